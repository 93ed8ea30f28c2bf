"""The Excel functions through xlwings' real Office.js call path (xlwings Server and Lite).

Each test runs xlwings in a child process with XLWINGS_ON_SERVER=true and the noncommercial
licence key, so xlwings' own argument and result conversion runs, as in Excel.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xlmodel.excel.udf_module import write_lite_bundle
from xlmodel.functions.catalogue import FUNCTIONS

ROOT = Path(__file__).resolve().parents[1]
DRIVER = Path(__file__).with_name("officejs_driver.py")
UDF_MODULE = ROOT / "udfs" / "xlmodel_udfs.py"

ERR = {"#NUM!": "Num", "#VALUE!": "Value", "#N/A": "NotAvailable", "#DIV/0!": "Div0"}


def run_officejs(calls, module=UDF_MODULE, meta=False, cwd=None):
    env = dict(os.environ, XLWINGS_LICENSE_KEY="noncommercial", XLWINGS_ON_SERVER="true")
    if cwd is None:
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    job = json.dumps({"module": str(module), "calls": calls, "meta": meta})
    proc = subprocess.run([sys.executable, str(DRIVER)], input=job, capture_output=True,
                          text=True, env=env, timeout=120, cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def is_error(cell, code):
    return isinstance(cell, dict) and cell.get("type") == "Error" and (
        cell.get("errorType") == ERR[code])


def test_meta_lists_every_function_with_docs():
    meta = run_officejs([], meta=True)["meta"]
    funcs = {f["name"]: f for f in meta["functions"]}
    assert set(funcs) == {f.name for f in FUNCTIONS}
    for fn in FUNCTIONS:
        entry = funcs[fn.name]
        assert entry["description"] == fn.description
        assert [p["name"] for p in entry["parameters"]] == [a.name for a in fn.args]
        for p, a in zip(entry["parameters"], fn.args, strict=True):
            assert p["description"] == a.doc
            assert p.get("optional", False) == a.optional
        assert entry["result"]["dimensionality"] == "matrix"


def test_calls_return_the_models_numbers():
    calls = [
        ["ANNUALIZED_TOKEN_RETURN", [[[1]], None]],                 # scalar
        ["ANNUALIZED_TOKEN_RETURN", [[[1], [2], [0.5]], None]],     # column
        ["ANNUALIZED_TOKEN_RETURN", [[[1, 2, 0.5]], None]],         # row
        ["COMPUTE_EQUIVALENCE", [[[1], [2]], [[0, 1, 2]], [[1]], None]],  # 2-D broadcast
        ["BREAKEVEN_LAUNCH_COST", [[["essay"]]]],
        ["BREAKEVEN_LAUNCH_COST", [None]],
        ["BREAKEVEN_LAUNCH_COST",
         [[["scenario", "essay"], ["pue", None], ["Discount Rate", 0.07]]]],
        ["TOKEN_COST_CURVE", [[[8]], [[2025]], [[2028]], [[1]]]],
        ["BUILDOUT_CURVE", [None, None, None, None]],
        ["CROSSOVER_YEAR", [[["essay"]], None]],
        ["XLMODEL_VERSION", []],
    ]
    r = [x["value"] for x in run_officejs(calls)["results"]]
    assert r[0] == [[1.0]]
    assert r[1] == [[1.0], [pytest.approx(2 ** 0.5 - 1)], [3.0]]
    assert r[2] == [[1.0, pytest.approx(2 ** 0.5 - 1), 3.0]]
    assert r[3] == [[1.0, 2.0, 4.0], [2.0, 4.0, 8.0]]
    assert r[4] == [[pytest.approx(400, rel=1e-12)]]
    assert r[5][0][0] < 0  # base: even a free launch does not close the gap
    assert r[6] == [[pytest.approx(400, rel=1e-12)]]  # equal lives: discounting cancels
    assert r[7] == [[2025, 8], [2026, 4], [2027, 2], [2028, 1]]
    assert [round(row[1], 1) for row in r[8]] == [21.7, 31.0, 44.2, 63.1, 90.0]
    assert r[9] == [[2033]]
    assert "self-test passed" in r[10][0][0]


def test_blanks_errors_text_and_booleans_in_ranges():
    col = [[1], [0], ["abc"], [None], ["#DIV/0!"], [True],
           # how Office.js hands over an error cell
           [{"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}]]
    r = run_officejs([["ANNUALIZED_TOKEN_RETURN", [col, None]]])["results"][0]["value"]
    assert r[0] == [1.0]
    assert is_error(r[1][0], "#NUM!")
    assert is_error(r[2][0], "#VALUE!")
    assert is_error(r[3][0], "#VALUE!")
    assert is_error(r[4][0], "#DIV/0!")
    assert r[5] == [1.0]
    assert is_error(r[6][0], "#N/A")


def test_bad_input_gives_excel_errors_not_tracebacks():
    calls = [
        ["ANNUALIZED_TOKEN_RETURN", [[[0]], None]],
        ["ANNUALIZED_TOKEN_RETURN", [None, None]],
        ["BREAKEVEN_LAUNCH_COST", [[["no_such_input", 1]]]],
        ["BREAKEVEN_LAUNCH_COST", [[["sun_fraction", "high"]]]],
        ["TOKEN_COST_CURVE", [[[1]], [[2030]], [[2020]], [[1]]]],
        ["BUILDOUT_GROWTH_RATE", [[[300]], [[250]], None, None]],
        ["CROSSOVER_YEAR", [None, None]],
    ]
    res = run_officejs(calls)["results"]
    for k in range(6):
        # a whole-call failure is XlwingsError: #VALUE! in Excel, the message on hover
        assert res[k].get("error") == "XlwingsError", res[k]
    assert "halving_years must be > 0, got 0" in res[0]["message"]
    assert "halving_years is required" in res[1]["message"]
    assert "no_such_input" in res[2]["message"] and "valid names" in res[2]["message"]
    assert "sun_fraction must be a number" in res[3]["message"]
    assert "end_year must be >= start_year" in res[4]["message"]
    assert "must exceed" in res[5]["message"]
    assert is_error(res[6]["value"][0][0], "#N/A")  # the crossover that never comes


def test_lite_bundle_loads_and_answers(tmp_path):
    main, req = write_lite_bundle(tmp_path / "lite")
    lines = [x for x in req.read_text().splitlines() if x and not x.startswith("#")]
    assert lines == ["numpy"]
    # run from an empty folder without the repository on the path: the bundle carries xlmodel
    res = run_officejs([["BREAKEVEN_LAUNCH_COST", [[["essay"]]]],
                        ["ANNUALIZED_TOKEN_RETURN", [[[0]], None]]],
                       module=main, meta=True, cwd=tmp_path)
    assert len(res["meta"]["functions"]) == len(FUNCTIONS)
    assert res["results"][0]["value"] == [[pytest.approx(400, rel=1e-12)]]
    assert res["results"][1]["error"] == "XlwingsError"
