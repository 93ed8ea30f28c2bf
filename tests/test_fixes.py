"""Native functions IronCalc gets wrong, computed on our side: against Excel's cached values
and hand-worked cases."""

from pathlib import Path

import pytest

from xlmodel import harness, workbook
from xlmodel.errors import ExcelError
from xlmodel.harness import engine
from xlmodel.harness.fixes import FIXES

EXCEL_SAVED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "excel-saved"
BASES = EXCEL_SAVED / "BASES.xlsx"


@pytest.fixture(scope="module")
def bases():
    if not BASES.exists():
        pytest.skip("the Excel-saved workbooks are not beside this checkout")
    return BASES


def test_every_base_conversion_excel_computed_is_reproduced(bases):
    """3,046 cells of BIN2DEC ... HEX2OCT, each with the value Excel cached."""
    report = harness.check(bases, "full")
    assert report.ok, harness.format_report(report, limit=10)
    assert report.checked == 3046


def test_ironcalc_alone_misses_some_of_them(bases):
    """The cells the fix is for: without it, IronCalc differs from Excel on them."""
    data = workbook.read_workbook(bases)
    values = engine.recalculate(data).values
    wrong = [c.ref for c in data.formula_cells()
             if not harness.same(c.value, values.get((c.sheet, c.row, c.col)))]
    assert len(wrong) >= 50


@pytest.mark.parametrize(("call", "args", "expected"), [
    ("BIN2DEC", ("1111111111",), -1.0),          # ten digits, top bit set: two's complement
    ("BIN2DEC", (1010.0,), 10.0),               # a number is read as its digits
    ("BIN2DEC", (None,), 0.0),                  # a blank cell
    ("HEX2DEC", ("FFFFFFFFFF",), -1.0),
    ("OCT2DEC", ("7777777777",), -1.0),
    ("DEC2HEX", (255.0, 4.0), "00FF"),
    ("DEC2BIN", (-1.0,), "1111111111"),         # negatives: ten digits, places ignored
    ("DEC2BIN", (-1.0, 3.0), "1111111111"),
    ("DEC2OCT", (9.9,), "11"),                  # truncated toward zero
    ("HEX2BIN", ("1FF",), "111111111"),
    ("BIN2HEX", ("1111111111",), "FFFFFFFFFF"),
    ("OCT2HEX", ("17",), "F"),
])
def test_conversions_worked_by_hand(call, args, expected):
    assert FIXES[call](*args) == expected


@pytest.mark.parametrize(("call", "args", "code"), [
    ("DEC2BIN", (512.0,), "#NUM!"),             # binary holds -512 ... 511
    ("DEC2BIN", (-513.0,), "#NUM!"),
    ("DEC2HEX", (255.0, 1.0), "#NUM!"),         # FF needs two digits
    ("DEC2HEX", (1.0, 11.0), "#NUM!"),          # places above 10
    ("BIN2OCT", ("E", 0.0), "#NUM!"),           # places is checked first
    ("BIN2DEC", ("2",), "#NUM!"),               # not a binary digit
    ("BIN2DEC", ("10000000000",), "#NUM!"),     # eleven digits
    ("DEC2BIN", ("",), "#VALUE!"),              # empty text, not a blank cell
    ("DEC2BIN", (1.0, "x"), "#VALUE!"),
    ("BIN2DEC", (True,), "#VALUE!"),
])
def test_errors_as_excel_gives_them(call, args, code):
    result = FIXES[call](*args)
    assert isinstance(result, ExcelError) and result.code == code, result
    assert call in result.message  # the message names the function


def test_an_error_argument_is_the_result():
    assert FIXES["DEC2BIN"](ExcelError("#DIV/0!")) == ExcelError("#DIV/0!")
