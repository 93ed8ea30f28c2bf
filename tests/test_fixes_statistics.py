"""Statistics computed on our side in full mode (xlmodel/harness/fixes/statistics.py) and
criteria computed by the formula engine, against Excel's values (tests/statistics_cases.py
says where each comes from)."""

import math
import re

import openpyxl
import pytest

from tests.excel_cases import excel, full_mode, ironcalc_alone
from tests.statistics_cases import CASES, SETUP
from xlmodel import harness
from xlmodel.errors import ExcelError
from xlmodel.harness.fixes import FIXES, differs
from xlmodel.harness.formula_text import called_functions


def _agrees(got, expected) -> bool:
    """Within the harness's tolerance, or to the last digit a shorter published value gives."""
    if harness.same(got, expected):
        return True
    if type(got) is not float or type(expected) is not float or expected == 0:
        return False
    digits = len(re.sub(r"[^0-9]", "", repr(expected).split("e")[0]).lstrip("0"))
    unit = 10 ** (math.floor(math.log10(abs(expected))) - digits + 1)
    return digits < 15 and abs(got - expected) <= unit


def _book(path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    for (row, col), value in SETUP.items():
        if value in ("TRUE", "FALSE"):
            value = value == "TRUE"
        elif isinstance(value, str) and value.startswith("'"):
            sheet.cell(row, col, value[1:]).data_type = "s"
            continue
        sheet.cell(row, col, value)
    for row, (formula, _, _) in enumerate(CASES, 1):
        sheet.cell(row, 20, formula)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    return full_mode(_book(tmp_path_factory.mktemp("stats") / "stats.xlsx"))


@pytest.mark.parametrize(("row", "formula", "expected", "source"),
                         [(row, *case) for row, case in enumerate(CASES, 1)],
                         ids=[f"{row}:{case[0]}" for row, case in enumerate(CASES, 1)])
def test_full_mode_gives_excels_value(computed, row, formula, expected, source):
    got = computed[("Sheet1", f"T{row}")]
    assert _agrees(got, excel(expected)), (got, source)


def test_ironcalc_alone_misses_some_of_them(tmp_path):
    values = ironcalc_alone(_book(tmp_path / "s.xlsx"))
    wrong = [f for row, (f, e, _) in enumerate(CASES, 1)
             if not _agrees(values.get(("Sheet1", row, 20)), excel(e))]
    assert len(wrong) >= 20, len(wrong)


@pytest.mark.parametrize(("formula", "expected"), [
    ('COUNTIF(A1:A9,"<>a")', True),
    ('SUMIFS(B1:B9,A1:A9,"<>Closed")', True),
    ('COUNTIF(A1:A9,"<>"&C1)', True),
    ('COUNTIF(A1:A9,"=")', True),
    ('COUNTIF(A1:A9,"<>")', False),        # not empty: IronCalc agrees
    ('COUNTIF(A1:A9,"<>5")', False),       # a number: IronCalc agrees
    ('COUNTIF(A1:A9,">=b")', False),
    ('COUNT(A1:A9,"<>a")', False),         # no criteria function
])
def test_only_criteria_ironcalc_reads_otherwise_leave_it(formula, expected):
    assert differs(formula, set(called_functions(formula))) is expected


def test_variance_keeps_its_digits_where_one_pass_loses_them():
    """Worked exactly: 1e9 + {4, 7, 13, 16} has mean 1e9 + 10 and squared deviations
    36 + 9 + 9 + 36 = 90, so VAR.S is 30 and STDEV.P is sqrt(22.5)."""
    data = [[1e9 + 4], [1e9 + 7], [1e9 + 13], [1e9 + 16]]
    import numpy as np

    block = np.array(data, dtype=object)
    assert FIXES["VAR.S"](block) == 30.0
    assert FIXES["STDEV.P"](block) == math.sqrt(22.5)
    assert FIXES["DEVSQ"](block) == 90.0
    assert FIXES["SLOPE"](block, np.array([[1.0], [2.0], [3.0], [4.0]], dtype=object)) == 4.2


def test_a_fix_that_fails_is_one_cells_error_not_a_refused_workbook():
    result = FIXES["LARGE"](object(), 1.0)
    assert isinstance(result, ExcelError), result
