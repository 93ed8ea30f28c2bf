"""The pandas API against the Excel functions, called through the catalogue's Excel calling
convention (``invoke``): the same numbers, bit for bit."""

import math
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xlmodel
from xlmodel.errors import ExcelError
from xlmodel.functions.catalogue import invoke
from xlmodel.model.inputs import INPUTS, SCENARIOS

ROOT = Path(__file__).resolve().parents[1]
NAMES = [s.name for s in SCENARIOS]


def one(name, *args):
    cells = invoke(name, *args)
    assert len(cells) == 1 and len(cells[0]) == 1
    return cells[0][0]


def test_import_xlmodel_does_not_load_pandas():
    # the Excel runtimes import xlmodel with numpy only
    code = "import sys, xlmodel, xlmodel.functions.catalogue; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
    assert set(xlmodel.__all__) >= {"summary", "tornado", "monte_carlo", "check"}
    with pytest.raises(AttributeError):
        xlmodel.no_such_thing  # noqa: B018


@pytest.mark.parametrize("scenario", NAMES)
def test_input_table_is_xlmodel_inputs(scenario):
    frame = xlmodel.input_table(scenario)
    cells = invoke("XLMODEL_INPUTS", scenario)
    assert list(frame.index) == [c[0] for c in cells] == [i.name for i in INPUTS]
    for (name, value, unit, source) in cells:
        row = frame.loc[name]
        assert row["unit"] == unit and row["source"] == source
        assert (math.isnan(row["value"]) if value == "" else row["value"] == value)
    assert frame.loc["chip_life_years", "assumption"]


def test_scenario_table_holds_every_scenario():
    frame = xlmodel.scenario_table()
    assert list(frame.columns) == [*NAMES, "unit"]
    for s in SCENARIOS:
        for name, value in s.values().items():
            got = frame.loc[name, s.name]
            assert (math.isnan(got) if value is None else got == value)
    assert set(frame.attrs["descriptions"]) == set(NAMES)


@pytest.mark.parametrize("scenario", NAMES)
def test_summary_is_the_excel_functions(scenario):
    col = xlmodel.summary(scenario)[scenario]
    v = SCENARIOS[NAMES.index(scenario)].values()
    assert col["breakeven_launch_cost"] == one("BREAKEVEN_LAUNCH_COST", scenario)
    assert col["time_adjusted_breakeven"] == one("TIME_ADJUSTED_BREAKEVEN", scenario)
    assert col["terrestrial_cost_per_mtok"] == one("TERRESTRIAL_COST_PER_MTOK", scenario)
    assert col["orbital_cost_per_mtok"] == one("ORBITAL_COST_PER_MTOK", scenario)
    assert col["hurdle_rate"] == one("ANNUALIZED_TOKEN_RETURN", v["hardware_halving_years"])
    assert col["buildout_growth_rate"] == one("BUILDOUT_GROWTH_RATE")
    crossover = one("CROSSOVER_YEAR", scenario)
    if isinstance(crossover, ExcelError):
        assert crossover.code == "#N/A" and math.isnan(col["crossover_year"])
    else:
        assert col["crossover_year"] == crossover


def test_summary_of_every_scenario_and_of_a_mapping():
    frame = xlmodel.summary()
    assert list(frame.columns) == ["label", "unit", *NAMES]
    assert frame.loc["breakeven_launch_cost", "essay"] == pytest.approx(400, rel=1e-12)
    rows = [["scenario", "essay"], ["electricity_price_per_kwh", 0.08]]
    custom = xlmodel.summary({"scenario": "essay", "Electricity price per kWh": 0.08})
    assert custom.loc["breakeven_launch_cost", "custom"] == one("BREAKEVEN_LAUNCH_COST", rows)
    with pytest.raises(ValueError, match="valid names"):
        xlmodel.summary({"sunfraction": 1})
    with pytest.raises(ValueError, match="sun_fraction must be > 0 and <= 1"):
        xlmodel.summary({"sun_fraction": 2})


@pytest.mark.parametrize("scenario", NAMES)
def test_tornado_is_tornado(scenario):
    frame = xlmodel.tornado(scenario)
    assert frame.values.tolist() == invoke("TORNADO", scenario)
    assert frame.attrs["base_output"] == one("BREAKEVEN_LAUNCH_COST", scenario)
    orbital = xlmodel.tornado(scenario, "orbital_cost_per_w_year")
    assert orbital.values.tolist() == invoke("TORNADO", scenario, "orbital_cost_per_w_year")


@pytest.mark.parametrize("scenario", NAMES)
def test_monte_carlo_is_monte_carlo(scenario):
    stats = xlmodel.monte_carlo(scenario, draws=20_000, seed=7, percentiles=(5, 25, 50, 95),
                                threshold=400)
    cells = invoke("MONTE_CARLO", scenario, [[5, 25, 50, 95]], 400, None, 20_000, 7)
    assert list(stats.index) == [c[0] for c in cells]
    assert stats.tolist() == [c[1] for c in cells]


def test_monte_carlo_returns_its_draws_on_request():
    stats, draws = xlmodel.monte_carlo(draws=5_000, seed=3, return_draws=True)
    assert stats.equals(xlmodel.monte_carlo(draws=5_000, seed=3))
    assert len(draws) == 5_000 and draws.columns[-1] == "output"
    assert np.percentile(draws["output"], 50) == pytest.approx(stats["P50"], rel=1e-12)
    assert (draws["facility_life_years"] == draws["facility_life_years"].round()).all()
    # each row is a set of inputs: BREAKEVEN_LAUNCH_COST of the first gives its output
    first = draws.iloc[0]
    rows = [[name, float(first[name])] for name in draws.columns[:-1]]
    assert one("BREAKEVEN_LAUNCH_COST", rows) == first["output"]
    with pytest.raises(ValueError, match="draws must be"):
        xlmodel.monte_carlo(draws=0)
    with pytest.raises(ValueError, match="output 'nope' is unknown"):
        xlmodel.monte_carlo(output="nope")


@pytest.mark.parametrize("scenario", NAMES)
@pytest.mark.parametrize("price", [None, 200.0, 1000.0])
def test_what_must_be_true_is_the_excel_table(scenario, price):
    frame = xlmodel.what_must_be_true(scenario, price)
    cells = invoke("WHAT_MUST_BE_TRUE_TABLE", scenario, price)
    assert list(frame.index) == [c[0] for c in cells]
    for (name, unit, value, low, high, required, method) in cells:
        row = frame.loc[name]
        assert row["unit"] == unit and row["method"] == method
        for got, want in ((row["value"], value), (row["low"], low), (row["high"], high)):
            assert (math.isnan(got) if want == "" else got == want)
        if isinstance(required, ExcelError):
            assert math.isnan(row["required"]) and row["reason"] == required.message
        else:
            assert row["required"] == required
        single = xlmodel.required_value(name, scenario, price)
        assert (math.isnan(single) if isinstance(required, ExcelError) else single == required)


def test_call_runs_any_excel_function():
    assert xlmodel.call("LAUNCH_FLIGHTS", 1, "essay") == 250
    curve = xlmodel.call("LAUNCH_COST_CURVE", 2025, 2027)
    assert list(curve.columns) == ["year", "launch cost [$/kg]"]
    assert curve.values.tolist() == invoke("LAUNCH_COST_CURVE", 2025, 2027)
    assert xlmodel.call("BREAKEVEN_LAUNCH_COST", {"scenario": "essay"}) == pytest.approx(400)
    assert xlmodel.call("WHAT_MUST_BE_TRUE", "tokens_per_joule").code == "#N/A"
    with pytest.raises(ValueError, match="end_year must be >= start_year"):
        xlmodel.call("LAUNCH_COST_CURVE", 2030, 2020)
    with pytest.raises(ValueError, match="no Excel function"):
        xlmodel.call("NOPE")


def _tamper(src: Path, dst: Path, old: bytes, new: bytes) -> None:
    """Copy a workbook with one saved value replaced in its sheets' XML."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        done = False
        for item in zin.infolist():
            data = zin.read(item.filename)
            if not done and item.filename.startswith("xl/worksheets/") and old in data:
                data = data.replace(old, new, 1)
                done = True
            zout.writestr(item, data)
    assert done


def test_check_reports_every_cell_and_the_ones_that_moved(tmp_path):
    src = ROOT / "workbooks" / "ai_compute_economics.xlsx"
    report = xlmodel.check(src)
    assert list(report.columns) == ["workbook", "sheet", "cell", "formula", "saved",
                                    "recomputed", "difference", "match"]
    assert len(report) > 50 and report["match"].all()
    assert xlmodel.check([src], mismatches_only=True).empty
    # change one saved value of a breakeven cell by 1
    p = report[report["formula"].str.contains("BREAKEVEN_LAUNCH_COST")].iloc[0]
    saved = float(p["saved"])
    copy = tmp_path / "tampered.xlsx"
    _tamper(src, copy, f"<v>{saved!r}</v>".encode(), f"<v>{saved + 1!r}</v>".encode())
    bad = xlmodel.check(copy, mismatches_only=True)
    assert len(bad) == 1
    row = bad.iloc[0]
    assert (row["sheet"], row["cell"]) == (p["sheet"], p["cell"])
    assert row["saved"] == saved + 1 and row["recomputed"] == saved
    assert row["difference"] == pytest.approx(-1)
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_frames_are_pandas_objects():
    assert isinstance(xlmodel.input_table(), pd.DataFrame)
    assert isinstance(xlmodel.monte_carlo(draws=100), pd.Series)
