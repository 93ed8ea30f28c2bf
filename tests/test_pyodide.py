"""The xlwings Lite bundle (`xlmodel lite`) in real Pyodide, called as the add-in calls it.

Pyodide 0.27.7 boots in Node from the npm package; numpy and micropip are its own Pyodide-built
wheels, checked against the sha256 in its pyodide-lock.json; xlwings' pure wheel goes in through
micropip from a local file; xlwings Server's Pyodide-side runtime (``wasm/``) runs the bundle's
main.py, and the add-in's own ``makeWasmCall`` (from xlwings Server's JavaScript) calls it.
No network: any attempt fails the test (tests/pyodide_driver.mjs).

``.ci/install-runtimes`` installs all of it. Where it is missing these tests fail and say what
is missing; ``XLMODEL_SKIP_RUNTIMES=1`` turns that into an explicit skip for a developer's
machine (CI never sets it).

Expected numbers are worked from the equations (README, "The model in brief") or the essay's
published $400/kg.
"""

import json
import math
import os
import subprocess
from pathlib import Path

import pytest

from tests import runtimes
from xlmodel.excel.udf_module import write_lite_bundle
from xlmodel.functions.catalogue import FUNCTIONS

DRIVER = Path(__file__).with_name("pyodide_driver.mjs")
NUM = {"type": "Error", "errorType": "Num"}
VALUE = {"type": "Error", "errorType": "Value"}
NA = {"type": "Error", "errorType": "NotAvailable"}
NA_CELL = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}

CALLS = {
    "scalar": ("ANNUALIZED_TOKEN_RETURN", [[[2]], None]),
    "broadcast": ("COMPUTE_EQUIVALENCE", [[[1], [2]], [[0, 1, 2]], [[1]], None]),
    "spill": ("TOKEN_COST_CURVE", [[[8]], [[2025]], [[2028]], [[1]]]),
    "essay": ("BREAKEVEN_LAUNCH_COST", [[["essay"]]]),
    "omitted": ("ANNUALIZED_TOKEN_RETURN", [[[1]], None]),
    "given": ("ANNUALIZED_TOKEN_RETURN", [[[1]], [[1]]]),
    "blank": ("ANNUALIZED_TOKEN_RETURN", [[[1]], [[""]]]),
    "cells": ("ANNUALIZED_TOKEN_RETURN", [[[1], [0], [""], ["#DIV/0!"], [NA_CELL], [0.5]], None]),
    "whole": ("ANNUALIZED_TOKEN_RETURN", [[[0]], None]),
    "years": ("TOKEN_COST_CURVE", [[[1]], [[2030]], [[2020]], [[1]]]),
    "unknown": ("NO_SUCH_FUNCTION", [[[1]]]),
    "version": ("XLMODEL_VERSION", []),
    "base": ("BREAKEVEN_LAUNCH_COST", [None]),
    "buildout": ("BUILDOUT_CURVE", [None, None, None, None]),
}


def require_runtimes():
    problem = runtimes.missing()
    if problem:
        if os.environ.get("XLMODEL_SKIP_RUNTIMES") == "1":
            pytest.skip(f"XLMODEL_SKIP_RUNTIMES=1: {problem}")
        pytest.fail(problem, pytrace=False)


def run_driver(tmp: Path, bodies: list, repeats=None, probe_network=False) -> dict:
    main, _ = write_lite_bundle(tmp / "lite")
    job = {
        "pyodide_dir": str(runtimes.pyodide_dir()), "wheels_dir": str(runtimes.wheels_dir()),
        "xlwings_wheel": str(runtimes.xlwings_wheel()),
        "wasm_dir": str(runtimes.wasm_runtime_dir()),
        "officejs_code": str(runtimes.officejs_code()), "main_py": str(main),
        "calls": bodies, "repeats": repeats or {}, "probe_network": probe_network,
    }
    path = tmp / "job.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    proc = subprocess.run(["node", str(DRIVER), str(path)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, f"Pyodide driver failed:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def lite(tmp_path_factory):
    require_runtimes()
    bodies = [runtimes.call_body(name, args) for name, args in CALLS.values()]
    out = run_driver(tmp_path_factory.mktemp("pyodide"), bodies, probe_network=True)
    out["by_key"] = dict(zip(CALLS, out["results"], strict=True))
    return out


def value(lite, key):
    r = lite["by_key"][key]
    assert "value" in r, r
    return r["value"]


def test_runs_pyodide_0_27_7_with_its_own_wheels(lite):
    assert lite["pyodide_version"] == runtimes.PYODIDE_VERSION
    python, numpy, xlwings = lite["versions"]
    assert python.startswith("3.12.")
    assert xlwings == runtimes.xlwings_version()
    lock = runtimes.lock()["packages"]
    assert numpy == lock["numpy"]["version"]
    for name in runtimes.PYODIDE_PACKAGES:
        entry = lock[name]
        # checked twice: by the driver before loading, and here on the file itself
        assert lite["wheel_sha256"][name]["actual"] == entry["sha256"]
        assert runtimes.sha256(runtimes.wheels_dir() / entry["file_name"]) == entry["sha256"]


def test_no_network_access_at_all(lite):
    assert lite["network_attempts"] == []
    # and the guard does stop both Python's fetch and Pyodide's package download
    attempts = lite["probe_attempts"]
    assert any("127.0.0.1:9" in a for a in attempts), attempts
    assert any(a.startswith("fetch https://") and "six" in a for a in attempts), attempts
    assert lite["probe"][0].startswith("blocked: network access blocked")


def test_registers_every_function(lite):
    names = {f.name for f in FUNCTIONS}
    assert {f["name"] for f in lite["meta"]["functions"]} == names
    for name in names:
        assert f'CustomFunctions.associate("{name}"' in lite["code"]


def test_values_spills_and_optional_arguments(lite):
    assert value(lite, "scalar") == [[pytest.approx(math.sqrt(2) - 1, rel=1e-15)]]
    assert value(lite, "broadcast") == [[1.0, 2.0, 4.0], [2.0, 4.0, 8.0]]
    assert value(lite, "spill") == [[2025, 8], [2026, 4], [2027, 2], [2028, 1]]
    assert value(lite, "essay") == [[pytest.approx(400, rel=1e-12)]]
    assert value(lite, "omitted") == [[1.0]]
    assert value(lite, "given") == [[3.0]]      # 1/T = 1/1 + 1/1: 2^2 - 1
    assert value(lite, "blank") == [[1.0]]      # a blank optional is left out
    assert value(lite, "base")[0][0] < 0        # base: a free launch does not close the gap
    # build-out: 90 GW installed in the final year, 250 GW over the years, a constant growth
    # factor g between years; and g - 1 = 42.7 %/yr (README, "What it answers")
    gw = [row[1] for row in value(lite, "buildout")]
    assert gw[-1] == pytest.approx(90, rel=1e-9) and sum(gw) == pytest.approx(250, rel=1e-9)
    ratios = [b / a for a, b in zip(gw[:-1], gw[1:], strict=True)]
    assert ratios == pytest.approx([ratios[0]] * len(ratios), rel=1e-9)
    assert round(ratios[0] - 1, 3) == 0.427


def test_per_cell_errors(lite):
    assert value(lite, "cells") == [[1.0], [NUM], [VALUE], [{"type": "Error", "errorType": "Div0"}],
                                    [NA], [3.0]]


def test_whole_call_errors_show_value_with_error_prefix(lite):
    # xlwings' Wasm path hands the message to CustomFunctions.Error twice, so Excel shows
    # "Error: <message>" on hover; xlwings Server shows the message alone
    assert lite["by_key"]["whole"] == {"excel_error": "#VALUE!",
                                       "message": "Error: halving_years must be > 0, got 0"}
    r = lite["by_key"]["years"]
    assert r["excel_error"] == "#VALUE!"
    assert r["message"].startswith("Error: ") and "end_year must be >= start_year" in r["message"]
    r = lite["by_key"]["unknown"]
    assert r["excel_error"] == "#VALUE!"
    assert r["message"].startswith("Error: xlmodel ")
    assert "has no function NO_SUCH_FUNCTION" in r["message"]


def test_self_test_passes_in_pyodide(lite):
    (cell,) = value(lite, "version")[0]
    assert cell.startswith("xlmodel ") and cell.endswith("self-test passed")


def test_same_answers_as_the_in_process_path(lite):
    """Pyodide against xlwings' Office.js path in CPython: equal values (numpy builds may
    differ in the last digits), equal error values; messages differ by the "Error: " prefix."""
    from tests.test_officejs import run_officejs

    native = run_officejs([[name, args] for name, args in CALLS.values()])["results"]
    for key, here in zip(CALLS, native, strict=True):
        there = lite["by_key"][key]
        if "error" in here:
            assert here["error"] == "XlwingsError"
            assert there == {"excel_error": "#VALUE!", "message": "Error: " + here["message"]}
        else:
            assert there["value"] == _approx(here["value"]), key


def _approx(rows):
    return [[pytest.approx(c, rel=1e-12) if isinstance(c, float) else c for c in row]
            for row in rows]
