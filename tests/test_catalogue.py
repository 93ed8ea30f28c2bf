"""Direct calls of every catalogue function, as Excel would make them, on Linux."""

import math
from pathlib import Path

import pytest

from xlmodel.errors import ExcelError
from xlmodel.excel.udf_module import module_source
from xlmodel.functions import reference
from xlmodel.functions.calling import CallError
from xlmodel.functions.catalogue import FUNCTIONS, get_function, invoke

ROOT = Path(__file__).resolve().parents[1]


def one(name, *args):
    cells = invoke(name, *args)
    assert len(cells) == 1 and len(cells[0]) == 1, cells
    return cells[0][0]


def fails(name, *args):
    with pytest.raises(CallError) as err:
        invoke(name, *args)
    return err.value


# --- every function, with expected values worked out here -------------------------------------

def test_time_value_functions():
    assert one("ANNUALIZED_TOKEN_RETURN", 1) == 1.0
    assert one("ANNUALIZED_TOKEN_RETURN", 2, 2) == 1.0  # rates add: 1/2 + 1/2 = 1/yr
    assert one("ANNUAL_COST_DECLINE", 1) == 0.5
    assert one("COMPUTE_EQUIVALENCE", 1, 1, 1) == 2.0
    assert one("COMPUTE_EQUIVALENCE", 3, 2, 1) == 12.0
    assert one("HEAD_START_VALUE", 2, 1) == 3.0


def test_token_cost_curve_spills_year_and_cost():
    assert invoke("TOKEN_COST_CURVE", 8, 2025, 2028, 1) == [
        [2025.0, 8.0], [2026.0, 4.0], [2027.0, 2.0], [2028.0, 1.0]]
    assert invoke("TOKEN_COST_CURVE", [[1]], [[2030]], [[2030]], [[2]]) == [[2030.0, 1.0]]
    assert "end_year must be >= start_year" in str(fails("TOKEN_COST_CURVE", 1, 2030, 2020, 1))
    assert "whole year" in str(fails("TOKEN_COST_CURVE", 1, 2030.5, 2031, 1))
    assert "at most" in str(fails("TOKEN_COST_CURVE", 1, 0, 1e9, 1))


def test_breakeven_fixed_signature():
    assert one("BREAKEVEN_LAUNCH_COST", "essay") == pytest.approx(400, rel=1e-12)
    assert one("BREAKEVEN_LAUNCH_COST", "  Essay ") == pytest.approx(400, rel=1e-12)
    base = one("BREAKEVEN_LAUNCH_COST")
    assert one("BREAKEVEN_LAUNCH_COST", None) == base
    assert one("BREAKEVEN_LAUNCH_COST", [["scenario", "base"]]) == base
    # A two-column range: the essay's reconstruction typed in by hand from the base scenario
    rows = [["Facility capex per W", 19], ["satellite_cost_per_w", 9],
            ["specific power w per kg", 40],
            ["facility_life_years", 5], ["chip_life_years", 5], ["space_life_years", 5],
            ["discount_rate", 0], ["space_chip_failure_per_year", 0],
            ["solar_degradation_per_year", 0], ["sun_fraction", 1],
            ["electricity_price_per_kwh", 0], ["terrestrial_opex_frac", 0], ["space_ops_frac", 0]]
    assert one("BREAKEVEN_LAUNCH_COST", rows) == pytest.approx(400, rel=1e-12)
    # header row, blank rows and blank values are fine; scenario row anywhere
    with_header = [["Input", "Value"], ["pue", None], [None, None], ["scenario", "essay"]]
    assert one("BREAKEVEN_LAUNCH_COST", with_header) == pytest.approx(400, rel=1e-12)
    # names and values laid out in two rows (a 2x2 range is read as two columns)
    horizontal = [["scenario", "pue", "discount_rate"], ["essay", 1.5, 0.02]]
    assert one("BREAKEVEN_LAUNCH_COST", horizontal) == pytest.approx(400, rel=1e-12)


def test_breakeven_assumption_errors_name_the_problem():
    assert "valid names" in str(fails("BREAKEVEN_LAUNCH_COST", [["sunfraction", 0.9]]))
    assert "valid scenarios" in str(fails("BREAKEVEN_LAUNCH_COST", "optimistic"))
    err = fails("BREAKEVEN_LAUNCH_COST", [["pue", "high"]])
    assert err.error.code == "#VALUE!" and "pue must be a number" in str(err)
    err = fails("BREAKEVEN_LAUNCH_COST", [["sun_fraction", 1.5]])
    assert err.error.code == "#NUM!" and "sun_fraction must be" in str(err)
    assert "3 columns" in str(fails("BREAKEVEN_LAUNCH_COST", [["pue", 1, 2]] * 3))


def test_costs_per_w_year_and_mtok():
    # essay: T = (19 + 41) / 5 = 12 $/W/yr; S(p) = (9 + p/40)/5 + 41/5 = 10 + p/200
    assert one("TERRESTRIAL_COST_PER_W_YEAR", "essay") == pytest.approx(12.0)
    assert one("ORBITAL_COST_PER_W_YEAR", "essay", 400) == pytest.approx(12.0)
    assert one("ORBITAL_COST_PER_W_YEAR", "essay", 0) == pytest.approx(10.0)
    # default launch price: the scenario's $3,600/kg
    assert one("ORBITAL_COST_PER_W_YEAR", "essay") == pytest.approx(10 + 3600 / 200)
    mtok = 12.0 / (5 * 31_557_600) * 1e6
    assert one("TERRESTRIAL_COST_PER_MTOK", "essay") == pytest.approx(mtok)
    assert one("ORBITAL_COST_PER_MTOK", "essay", 400) == pytest.approx(mtok)
    assert invoke("ORBITAL_COST_PER_W_YEAR", "essay", [[0], [400]]) == [
        [pytest.approx(10.0)], [pytest.approx(12.0)]]


def test_time_adjusted_breakeven():
    # essay with a one-year lead at 100 %/yr: S(p**) = 24, p** = (24 - 10) * 200 = 2,800
    assert one("TIME_ADJUSTED_BREAKEVEN", "essay", 1) == pytest.approx(2800)
    assert one("TIME_ADJUSTED_BREAKEVEN", "essay", 0) == pytest.approx(400)
    assert invoke("TIME_ADJUSTED_BREAKEVEN", "essay", [[0, 1]]) == [
        [pytest.approx(400), pytest.approx(2800)]]


def test_launch_functions():
    # base: 3600 $/kg in 2025, 20 % per doubling, 1.3 doublings a year
    assert one("LAUNCH_COST", 2025) == pytest.approx(3600)
    assert one("LAUNCH_COST", 2027) == pytest.approx(3600 * 0.8 ** 2.6)
    curve = invoke("LAUNCH_COST_CURVE", 2025, 2027)
    assert [r[0] for r in curve] == [2025, 2026, 2027]
    assert curve[1][1] == pytest.approx(3600 * 0.8 ** 1.3)
    # essay p* = 400: log(9) / (1.3 log 1.25) = 7.57 years after 2025
    assert one("CROSSOVER_YEAR", "essay") == 2033
    assert one("CROSSOVER_YEAR", "essay", 5000) == 2025
    never = one("CROSSOVER_YEAR")  # base: p* < 0
    assert never == ExcelError("#N/A")


def test_buildout_functions():
    assert one("BUILDOUT_GROWTH_RATE") == pytest.approx(0.427, abs=5e-4)
    assert one("BUILDOUT_GROWTH_RATE", 90, 250, 2027, 2030) == pytest.approx(0.315, abs=5e-4)
    curve = invoke("BUILDOUT_CURVE")
    assert [round(r[1], 1) for r in curve] == [21.7, 31.0, 44.2, 63.1, 90.0]
    assert sum(r[1] for r in curve) == pytest.approx(250)
    assert "must exceed" in str(fails("BUILDOUT_CURVE", 300, 250))


def test_tornado_and_monte_carlo_tables():
    table = invoke("TORNADO", "essay")
    assert all(len(r) == 6 for r in table)
    swings = [r[5] for r in table]
    assert swings == sorted(swings, reverse=True)
    facility = next(r for r in table if r[0] == "facility_capex_per_w")
    # essay: p* = (F - 9) * 40 with equal lives; F from 13.8 to 19
    assert facility[3] == pytest.approx((13.8 - 9) * 40)
    assert facility[4] == pytest.approx((19 - 9) * 40)
    # custom low/high through a 4-column assumptions range
    rows = [["scenario", "essay", None, None], ["facility_capex_per_w", 19, 10, 30]]
    facility = next(r for r in invoke("TORNADO", rows) if r[0] == "facility_capex_per_w")
    assert facility[1:5] == [10, 30, pytest.approx(40), pytest.approx(840)]
    mc = invoke("MONTE_CARLO", None, [[5, 50, 95]], 0, None, 20000, 1)
    assert [r[0] for r in mc] == ["P5", "P50", "P95", "mean", "P(> 0)"]
    assert mc[0][1] < mc[1][1] < mc[2][1]
    assert 0 <= mc[4][1] <= 1
    assert invoke("MONTE_CARLO", None, None, None, None, 20000, 1) == invoke(
        "MONTE_CARLO", None, None, None, None, 20000, 1)
    assert "valid outputs" in str(fails("TORNADO", None, "profit"))


def test_reference_functions():
    table = invoke("XLMODEL_INPUTS", "essay")
    by_name = {r[0]: r for r in table}
    assert by_name["facility_capex_per_w"][1:3] == [19.0, "$/W"]
    assert all(len(r) == 4 and r[3] for r in table)
    assert "self-test passed" in one("XLMODEL_VERSION")


# --- Excel conventions -------------------------------------------------------------------------

def test_range_in_gives_same_shape_out():
    col = invoke("ANNUALIZED_TOKEN_RETURN", [[1], [2], [0.5]])
    assert col == [[1.0], [pytest.approx(2 ** 0.5 - 1)], [3.0]]
    row = invoke("ANNUALIZED_TOKEN_RETURN", [[1, 2, 0.5]])
    assert row == [[1.0, pytest.approx(2 ** 0.5 - 1), 3.0]]
    grid = invoke("COMPUTE_EQUIVALENCE", [[1], [2]], [[0, 1, 2]], 1)
    assert grid == [[1.0, 2.0, 4.0], [2.0, 4.0, 8.0]]


def test_bad_elements_are_errors_in_place():
    cells = invoke("ANNUALIZED_TOKEN_RETURN", [[1], [0], ["x"], [None], ["#DIV/0!"], [True]])
    assert cells[0][0] == 1.0
    assert cells[1][0] == ExcelError("#NUM!") and "must be > 0" in cells[1][0].message
    assert cells[2][0] == ExcelError("#VALUE!")
    assert cells[3][0] == ExcelError("#VALUE!")
    assert cells[4][0] == ExcelError("#DIV/0!")
    assert cells[5][0] == 1.0  # TRUE counts as 1, as in Excel
    # sizes that do not match give #N/A where one range runs out
    cells = invoke("COMPUTE_EQUIVALENCE", [[1, 1, 1]], [[1, 1]], 1)
    assert cells[0][:2] == [2.0, 2.0] and cells[0][2] == ExcelError("#N/A")


def test_whole_call_errors():
    assert fails("ANNUALIZED_TOKEN_RETURN", 0).error.code == "#NUM!"
    assert "halving_years is required" in str(fails("ANNUALIZED_TOKEN_RETURN"))
    assert "ragged" in str(fails("ANNUALIZED_TOKEN_RETURN", [[1, 2], [3]]))
    assert "empty range" in str(fails("ANNUALIZED_TOKEN_RETURN", []))
    assert "at most 2 arguments" in str(fails("ANNUALIZED_TOKEN_RETURN", 1, 1, 1))
    assert "single cell" in str(fails("TOKEN_COST_CURVE", [[1, 2]], 2025, 2030, 1))


def test_no_numpy_nan_or_inf_escapes():
    for fn in FUNCTIONS:
        args = [a.default if isinstance(a.default, float) else None for a in fn.args]
        try:
            cells = invoke(fn.name, *args)
        except CallError:
            continue
        for row in cells:
            for c in row:
                assert type(c) in (float, str, bool, ExcelError), (fn.name, c)
                if type(c) is float:
                    assert math.isfinite(c)
    assert one("COMPUTE_EQUIVALENCE", 1, 1e308, 1) == ExcelError("#NUM!")


# --- the catalogue as the single source ----------------------------------------------------------

def test_catalogue_entries_are_complete():
    for fn in FUNCTIONS:
        assert fn.name.isupper() and len(fn.description) <= 255
        assert fn.unit and fn.category and fn.example.startswith(f"={fn.name}(")
        for a in fn.args:
            assert a.description, (fn.name, a.name)
    assert get_function("breakeven_launch_cost").name == "BREAKEVEN_LAUNCH_COST"


def test_committed_udf_module_is_generated_from_the_catalogue():
    committed = (ROOT / "udfs" / "xlmodel_udfs.py").read_text(encoding="utf-8")
    assert committed == module_source(), "run `xlmodel udfs` and commit udfs/xlmodel_udfs.py"


def test_readme_function_reference_is_generated_from_the_catalogue():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = readme.index(reference.BEGIN), readme.index(reference.END) + len(reference.END)
    assert readme[start:end] == reference.markdown(), (
        "run `xlmodel functions --markdown` and paste it into README.md")


def test_readme_summary_and_scenarios_are_current():
    from xlmodel.model.headline import all_headlines, format_table
    from xlmodel.model.inputs import SCENARIOS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert format_table(all_headlines()) in readme, "paste `xlmodel summary` into README.md"
    for s in SCENARIOS:
        assert f"- **{s.name}**: {s.description}" in readme


def test_catalogue_imports_nothing_heavier_than_numpy():
    import subprocess
    import sys

    code = ("import sys, xlmodel.functions.catalogue, xlmodel.excel.runtime; "
            "print(sorted(m for m in ('pandas', 'openpyxl', 'xlwings', 'scipy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_sensitivity_works_for_every_scenario():
    from xlmodel.model.inputs import SCENARIOS

    for s in SCENARIOS:
        mc = invoke("MONTE_CARLO", s.name, None, 400.0, None, 5000.0)
        assert [r[0] for r in mc][-1] == "P(> 400)"
        table = invoke("TORNADO", s.name)
        for name, low, high, *_ in table:
            used = s.values()[name]
            assert low <= used <= high, (s.name, name)  # ranges widened to the value used


def test_every_assumption_is_checked_even_if_unused():
    err = fails("BREAKEVEN_LAUNCH_COST", [["algorithmic_halving_years", -1]])
    assert "algorithmic_halving_years must be > 0" in str(err)
    err = fails("BREAKEVEN_LAUNCH_COST", [["space_life_years", 5.5]])
    assert "space_life_years must be a whole number >= 1" in str(err)
    err = fails("CROSSOVER_YEAR", [["launch_base_year", 2025.5]])
    assert "launch_base_year must be a whole year" in str(err)


def test_an_error_as_the_only_argument_is_returned_as_that_error():
    # =SQRT(NA()) is #N/A in Excel; so is =ANNUALIZED_TOKEN_RETURN(NA())
    assert invoke("ANNUALIZED_TOKEN_RETURN", [["#N/A"]]) == [[ExcelError("#N/A")]]
    assert invoke("COMPUTE_EQUIVALENCE", [[1.0]], [["#DIV/0!"]], [[1.0]]) == [
        [ExcelError("#DIV/0!")]]
