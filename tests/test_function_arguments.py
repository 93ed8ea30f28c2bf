"""How the functions take their arguments: conflicting assumption rows, dates, and numbers no
spreadsheet holds. Every bad argument is an Excel error value naming it, never an exception."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from xlmodel.errors import ExcelError
from xlmodel.excel.runtime import call
from xlmodel.functions.calling import CallError, serial_number
from xlmodel.functions.catalogue import invoke


def error_of(name, *args) -> ExcelError:
    """The error value a call gives: the whole call's (CallError), or that of its one cell
    (an argument that is not a usable number is an error in its cell, as in a range)."""
    try:
        result = invoke(name, *args)
    except CallError as exc:
        return exc.error
    assert len(result) == 1 and len(result[0]) == 1, result
    assert isinstance(result[0][0], ExcelError), result
    return result[0][0]


# --- assumptions: no row silently wins -----------------------------------------------------------

@pytest.mark.parametrize("rows", [
    [["launch_cost_per_kg", 100.0], ["launch_cost_per_kg", 200.0]],  # conflicting
    [["launch_cost_per_kg", 100.0], ["Launch cost per kg", 100.0]],  # the same, twice
    [["launch_cost_per_kg", 100.0, 50.0, 150.0], ["launch_cost_per_kg", 200.0, 50.0, 250.0]],
])
def test_duplicate_assumption_rows_are_value_errors_naming_the_input(rows):
    err = error_of("BREAKEVEN_LAUNCH_COST", rows)
    assert err.code == "#VALUE!"
    assert "launch_cost_per_kg" in err.message and "twice" in err.message


def test_two_scenario_rows_are_a_value_error():
    err = error_of("BREAKEVEN_LAUNCH_COST", [["scenario", "essay"], ["scenario", "base"]])
    assert err.code == "#VALUE!" and "scenario" in err.message


def test_a_blank_duplicate_gives_nothing_and_is_no_conflict():
    """The essay's p* is 400 $/kg (README); a blank row for one of its inputs changes
    nothing."""
    cells = invoke("BREAKEVEN_LAUNCH_COST", [["scenario", "essay"], ["pue", None],
                                              ["pue", ""]])
    assert cells[0][0] == pytest.approx(400.0, rel=1e-9)


# --- dates --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "serial"), [
    (dt.date(1900, 3, 1), 61.0),        # Excel's serial, after its 1900-02-29
    (dt.date(2025, 1, 1), 45658.0),     # =DATE(2025,1,1) in Excel
    (dt.date(2030, 1, 1), 47484.0),
    (dt.datetime(2025, 1, 1, 18, 0), 45658.75),
    (np.datetime64("2025-01-01T06:00"), 45658.25),
])
def test_a_date_is_its_excel_serial_number(value, serial):
    from xlmodel.functions.calling import number_or_error

    assert number_or_error("x", value) == serial


def test_a_datetime_argument_is_the_same_call_as_its_serial():
    """Classic xlwings hands a date-formatted cell over as a datetime."""
    when = dt.datetime(2025, 1, 1)
    assert serial_number(when) == 45658.0
    assert invoke("COMPUTE_EQUIVALENCE", 1.0, when, 45658.0) == [[2.0]]  # 2^(T/T) = 2
    assert call("LAUNCH_COST", when) == call("LAUNCH_COST", 45658.0)


# --- numbers past a spreadsheet's -----------------------------------------------------------------

@pytest.mark.parametrize("huge", [10 ** 400, -(10 ** 400), math.inf, -math.inf,
                                  np.float64("inf")])
def test_numbers_no_spreadsheet_holds_are_num_errors(huge):
    err = error_of("ANNUALIZED_TOKEN_RETURN", huge)
    assert err.code == "#NUM!" and "halving_years" in err.message
    err = error_of("COMPUTE_EQUIVALENCE", huge, 1.0, 1.0)
    assert err.code == "#NUM!" and "power" in err.message
    err = error_of("BREAKEVEN_LAUNCH_COST", [["tokens_per_joule", huge]])
    assert err.code == "#NUM!" and "tokens_per_joule" in err.message
    # classic xlwings shows an error in one cell of the result as its code, as for a range
    (cell,) = call("ANNUALIZED_TOKEN_RETURN", huge)[0]
    assert cell == "#NUM!"


def test_in_a_range_only_the_bad_cell_is_an_error():
    """2^(1/1) - 1 = 1 and 2^(1/2) - 1 = 0.41421356..."""
    cells = invoke("ANNUALIZED_TOKEN_RETURN", [[1.0], [math.inf], [10 ** 400], [2.0]])
    assert cells[0][0] == 1.0 and cells[3][0] == pytest.approx(math.sqrt(2) - 1, rel=1e-15)
    assert [c[0].code for c in cells[1:3]] == ["#NUM!", "#NUM!"]


def test_an_omitted_argument_still_means_none():
    """The optional algorithmic halving time defaults to 'no algorithmic gains' (infinite):
    omitting it is not a call with infinity."""
    assert invoke("ANNUALIZED_TOKEN_RETURN", [[1.0, 2.0]]) == [[1.0, pytest.approx(
        math.sqrt(2) - 1, rel=1e-15)]]


def test_a_scenario_read_is_shared_but_each_caller_gets_its_own_copy():
    from xlmodel.functions.arguments import read_assumptions
    from xlmodel.model.inputs import get_scenario, ranges

    values, low, high = read_assumptions("essay")
    assert values == get_scenario("essay").values()
    assert (low, high) == ranges(values)
    values["facility_capex_per_w"] = -1.0
    low.clear()
    again, low2, _ = read_assumptions("ESSAY")
    assert again["facility_capex_per_w"] == get_scenario("essay").values()["facility_capex_per_w"]
    assert low2 == ranges(again)[0]
    # the essay's reconstruction, (19 - 9) x 40 = $400/kg, after the mutation above
    assert invoke("BREAKEVEN_LAUNCH_COST", "essay") == [[pytest.approx(400.0, rel=1e-12)]]


def test_an_unknown_scenario_stays_an_error_on_every_call():
    for _ in range(2):
        with pytest.raises(CallError, match="unknown; valid scenarios"):
            invoke("BREAKEVEN_LAUNCH_COST", "no such scenario")


def test_a_scenario_by_name_reads_as_the_same_scenario_given_in_a_range():
    from xlmodel.functions.arguments import read_assumptions

    for name in ("essay", "conservative", " Essay_Energy "):
        by_name = read_assumptions(name)
        by_row = read_assumptions([["scenario", name.strip().lower()]])
        assert by_name == by_row
    assert read_assumptions("") == read_assumptions(None) == read_assumptions("base")
