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


# --- VDB -------------------------------------------------------------------------------------

VDB_BOOK = EXCEL_SAVED / "VDB.xlsx"


@pytest.fixture(scope="module")
def vdb_book():
    if not VDB_BOOK.exists():
        pytest.skip("the Excel-saved workbooks are not beside this checkout")
    return VDB_BOOK


def test_every_vdb_cell_excel_computed_is_reproduced(vdb_book):
    """VDB.xlsx: 128 formula cells, 40 of them VDB (fractional periods among them), each with
    the value Excel cached."""
    report = harness.check(vdb_book, "full")
    assert report.ok, harness.format_report(report, limit=10)
    assert report.checked == 128
    data = workbook.read_workbook(vdb_book)
    assert sum("VDB(" in c.formula for c in data.formula_cells()) == 40


def test_ironcalc_alone_prorates_fractional_periods_otherwise(vdb_book):
    data = workbook.read_workbook(vdb_book)
    values = engine.recalculate(data).values
    wrong = [c.ref for c in data.formula_cells()
             if not harness.same(c.value, values.get((c.sheet, c.row, c.col)))]
    assert sum("VDB(" in data.cell("Sheet1", ref).formula for ref in wrong) >= 10


@pytest.mark.parametrize(("args", "expected"), [
    # the examples of Excel's documentation and ECMA-376 (to the cent)
    ((2400.0, 300.0, 3650.0, 0.0, 1.0), 1.32),
    ((2400.0, 300.0, 120.0, 0.0, 1.0), 40.00),
    ((2400.0, 300.0, 10.0, 0.0, 1.0), 480.00),
    ((2400.0, 300.0, 120.0, 6.0, 18.0), 396.31),
    ((2400.0, 300.0, 10.0, 0.0, 0.875, 1.5), 315.00),
])
def test_vdb_published_examples(args, expected):
    assert FIXES["VDB"](*args) == pytest.approx(expected, abs=0.005)


@pytest.mark.parametrize(("args", "expected"), [
    # 1000 at 20 % a period: 200, 160, 128, 102.4 ...
    ((1000.0, 100.0, 10.0, 3.0, 3.5), 0.5 * 102.4),           # half of the fourth period
    # a fractional start moves the grid: [0, 0.3] takes 60, then [0.3, 1.3] takes 188,
    # of which 0.3 falls before 0.6
    ((1000.0, 100.0, 10.0, 0.3, 0.6), 0.3 * 188.0),
    # straight line takes over: 1000 -> 100 in 2 periods at factor 5, 450 a period
    ((1000.0, 100.0, 2.0, 0.0, 2.0, 5.0), 900.0),
    ((1000.0, 100.0, 2.0, 0.0, 2.0, 5.0, True), 900.0),       # capped at salvage
    # no switch: 1000 * (1 - 0.8 ** 10) after 10 periods
    ((1000.0, 100.0, 10.0, 0.0, 10.0, 2.0, True), 1000.0 * (1 - 0.8 ** 10)),
    # the last step ends at life (the rule that gives Excel's 13.5-14 cells, where the
    # straight line ends at life): 200, 160, then min(0.2 * 640 * 0.5, 640 - 600) = 40
    ((1000.0, 600.0, 2.5, 0.0, 2.5, 0.5, True), 400.0),
    ((1000.0, 1100.0, 10.0, 0.0, 1.0), 0.0),                 # salvage above cost
    ((None, 0.0, 10.0, 0.0, 1.0), 0.0),                      # a blank cost is 0
    (("1000", 100.0, 10.0, 0.0, 1.0), 200.0),                # text read as a number
    ((1000.0, 100.0, 10.0, 0.0, 0.0), 0.0),
])
def test_vdb_worked_by_hand(args, expected):
    assert FIXES["VDB"](*args) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("args", "code", "named"), [
    ((-1.0, 0.0, 10.0, 0.0, 1.0), "#NUM!", "cost"),
    ((1000.0, -1.0, 10.0, 0.0, 1.0), "#NUM!", "salvage"),
    ((1000.0, 0.0, 0.0, 0.0, 0.0), "#NUM!", "life"),
    ((1000.0, 0.0, 10.0, -1.0, 1.0), "#NUM!", "start_period"),
    ((1000.0, 0.0, 10.0, 2.0, 1.0), "#NUM!", "end_period"),
    ((1000.0, 0.0, 10.0, 0.0, 11.0), "#NUM!", "end_period"),
    ((1000.0, 0.0, 10.0, 0.0, 1.0, 0.0), "#NUM!", "factor"),
    (("x", 0.0, 10.0, 0.0, 1.0), "#VALUE!", "cost"),
    ((1000.0, 0.0, 1e9, 0.0, 1e9), "#NUM!", "periods"),       # bounded: never a hang
])
def test_vdb_errors_name_the_argument(args, code, named):
    result = FIXES["VDB"](*args)
    assert isinstance(result, ExcelError) and result.code == code, result
    assert "VDB" in result.message and named in result.message


def test_vdb_an_error_argument_is_the_result():
    assert FIXES["VDB"](1.0, ExcelError("#REF!"), 1.0, 0.0, 1.0) == ExcelError("#REF!")


def test_vdb_agrees_with_ironcalc_on_whole_periods(tmp_path):
    """On whole periods both follow the ordinary rule: a second implementation."""
    import itertools

    import openpyxl

    cases = [(c, s, life, a, b, f, ns)
             for c, s in ((1000.0, 100.0), (2400.0, 300.0), (50.0, 0.0))
             for life in (3.0, 7.0, 12.0)
             for a, b in itertools.combinations(range(int(life) + 1), 2)
             for f, ns in ((2.0, False), (1.5, False), (1.5, True), (3.0, True))][::7]
    assert len(cases) > 100
    book = openpyxl.Workbook()
    sheet = book.active
    for row, args in enumerate(cases, 1):
        sheet.cell(row, 1, "=VDB(" + ",".join(
            str(x).upper() if isinstance(x, bool) else repr(x) for x in args) + ")")
    path = tmp_path / "vdb.xlsx"
    book.save(path)
    values = engine.recalculate(workbook.read_workbook(path)).values
    for row, args in enumerate(cases, 1):
        assert FIXES["VDB"](*args) == pytest.approx(values[("Sheet", row, 1)], rel=1e-9), args


def test_a_native_cell_the_python_side_fails_on_keeps_its_value_and_is_reported(
        tmp_path, monkeypatch):
    """A defect of the Python side on a native cell is that cell's "not recomputed", never
    a refused workbook; the cells IronCalc computes are still checked."""
    import dataclasses

    import openpyxl

    from xlmodel.formula.functions import registry
    from xlmodel.harness import formula_text

    def broken(text):
        raise RuntimeError("a defect")

    monkeypatch.setitem(registry.FUNCTIONS, "LEN", dataclasses.replace(
        registry.FUNCTIONS["LEN"], impl=broken))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "abc"
    sheet["B1"] = '=LEN(A1)&" letters"'
    sheet["C1"] = "=1+1"
    path = tmp_path / "broken.xlsx"
    book.save(path)
    report = harness.check(path, "full")
    reason = report.not_recomputed[("Sheet", "B1")]
    assert reason[0] == formula_text.PYTHON_SIDE_FAILED and "a defect" in reason[1]
    assert report.recomputed[("Sheet", "C1")] == 2.0


def test_a_cell_that_intersects_a_range_stays_with_ironcalc(tmp_path):
    """Excel (and IronCalc) read a range where one value is expected at the formula's own
    row; the Python side would take the first cell, so such a cell is not moved there."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["A2"], sheet["A3"] = 100, 45000, 3
    sheet["B2"], sheet["C2"], sheet["D2"] = '=A1:A3&"x"', "=LEN(A1:A3)", "=DAY(A1:A3)"
    path = tmp_path / "intersect.xlsx"
    book.save(path)
    got = harness.check(path, "full").recomputed
    # 45000 is 2023-03-15
    assert (got[("Sheet", "B2")], got[("Sheet", "C2")], got[("Sheet", "D2")]) == (
        "45000x", 5.0, 15.0)


def test_whole_columns_reach_every_row_on_the_python_side(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    data = book.create_sheet("Data")
    for row in range(1, 5):
        data.cell(row, 1, f"k{row}")
        data.cell(row, 2, row)
    sheet["A1"] = '=SUM(Data!B:B)&""'
    sheet["A2"] = '=INDEX(Data!B:B,MATCH("k3",Data!A:A,0))&""'
    path = tmp_path / "columns.xlsx"
    book.save(path)
    got = harness.check(path, "full").recomputed
    assert (got[("Sheet", "A1")], got[("Sheet", "A2")]) == ("10", "3")


def test_a_long_chain_through_both_engines_keeps_saved_values_rather_than_refusing(
        tmp_path):
    """Each step of this chain alternates between a cell the Python side computes (text
    made from a number) and one IronCalc computes: past 50 passes between the engines the
    cells still changing keep their saved values, and the rest of the workbook is checked."""
    import openpyxl

    from xlmodel.harness import formula_text

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = 1
    for row in range(2, 120):
        sheet[f"A{row}"] = f'=(A{row - 1}&"")/3' if row % 2 == 0 else f"=A{row - 1}*3"
    sheet["B1"] = "=2+2"
    path = tmp_path / "chain.xlsx"
    book.save(path)
    report = harness.check(path, "full")
    assert {reason for reason, _, _ in report.not_recomputed.values()} == {
        formula_text.UNSETTLED}
    assert report.recomputed[("Sheet", "A50")] == pytest.approx(1 / 3, rel=1e-12)
    assert report.recomputed[("Sheet", "B1")] == 4.0


def test_an_array_where_a_fix_expects_one_value_is_taken_value_by_value(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "=SUM(LARGE({5,4,3},{1,2}))"
    path = tmp_path / "lift.xlsx"
    book.save(path)
    assert harness.check(path, "full").recomputed[("Sheet", "A1")] == 9.0
