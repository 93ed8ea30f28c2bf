"""Approximate lookups computed on our side in full mode (xlmodel/harness/fixes/lookups.py),
against Excel's values (tests/lookup_cases.py says where each comes from)."""

import openpyxl
import pytest

from tests.excel_cases import excel, full_mode, ironcalc_alone
from tests.lookup_cases import CASES, SETUP
from xlmodel import harness
from xlmodel.errors import ExcelError
from xlmodel.harness.fixes.lookups import approximate


def _book(path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    for ref, value in SETUP.items():
        sheet[ref] = value
    for row, (formula, _, _) in enumerate(CASES, 1):
        sheet.cell(row, 40, formula)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    return full_mode(_book(tmp_path_factory.mktemp("lookups") / "lookups.xlsx"))


@pytest.mark.parametrize(("row", "formula", "expected", "source"),
                         [(row, *case) for row, case in enumerate(CASES, 1)],
                         ids=[f"{row}:{case[0]}" for row, case in enumerate(CASES, 1)])
def test_full_mode_gives_excels_value(computed, row, formula, expected, source):
    got = computed[("Sheet1", f"AN{row}")]
    assert harness.same(got, excel(expected)), (got, source)


def test_ironcalc_alone_misses_some_of_them(tmp_path):
    values = ironcalc_alone(_book(tmp_path / "lookups.xlsx"))
    wrong = [f for row, (f, e, _) in enumerate(CASES, 1)
             if not harness.same(values.get(("Sheet1", row, 40)), excel(e))]
    assert len(wrong) >= 40, len(wrong)


@pytest.mark.parametrize(("formula", "expected"), [
    ("MATCH(A1,B1:B9,0)", False),
    ("MATCH(A1,B1:B9, 0)", False),
    ("VLOOKUP(A1,B1:D9,2,FALSE)", False),
    ("VLOOKUP(A1,B1:D9,2,0)", False),
    ("HLOOKUP(A1,B1:D9,2,FALSE)", False),
    ("XLOOKUP(A1,B1:B9,C1:C9)", False),
    ("MATCH(A1,B1:B9)", True),
    ("MATCH(A1,B1:B9,1)", True),
    ("MATCH(A1,B1:B9,-1)", True),
    ("MATCH(A1,B1:B9,C1)", True),           # not known from the text: computed here
    ("VLOOKUP(A1,B1:D9,2)", True),
    ("VLOOKUP(A1,B1:D9,2,TRUE)", True),
    ("VLOOKUP(A1,B1:D9,0,FALSE)", True),    # an index below 1
    ("LOOKUP(A1,B1:B9)", True),
    ("INDEX(C1:C9,MATCH(A1,B1:B9,0))+MATCH(A1,B1:B9,1)", True),
])
def test_only_approximate_lookups_leave_ironcalc(formula, expected):
    assert approximate(formula) is expected


def test_an_exact_lookup_stays_with_ironcalc(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in range(1, 6):
        sheet.cell(row, 1, row * 10)
        sheet.cell(row, 2, f"=VLOOKUP({row * 10},A1:A5,1,FALSE)+MATCH({row * 10},A1:A5,0)")
    path = tmp_path / "exact.xlsx"
    book.save(path)
    from xlmodel.harness.loading import load

    loaded = load(path, "full")
    assert not loaded.fixed_keys


@pytest.mark.parametrize(("formula", "expected"), [
    ('LOOKUP(2.5,{1,2,3;"a","b","c"})', "b"),   # wider than tall: first row, last row
    ('LOOKUP(2,{1,"x";2,"y";3,"z"})', "y"),     # taller: first column, last column
    ('LOOKUP(0,{1,"x";2,"y";3,"z"})', ExcelError("#N/A")),
    ('LOOKUP(2,{1,2,3},{"a","b","c"})', "b"),   # the vector form
    ('MATCH(1,{1,"x";2,"y"})', ExcelError("#N/A")),  # not one row or column
])
def test_lookup_forms_and_shapes(formula, expected):
    from xlmodel.formula import Engine, Formula

    engine = Engine({("S", 1, 1): Formula(formula)}, {}, ["S"], strict=False)
    assert harness.same(engine.evaluate_cells([("S", 1, 1)])[("S", 1, 1)], expected)
