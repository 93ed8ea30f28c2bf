"""Shared by the tests that hold full mode to Excel's values case by case
(tests/test_fixes_*.py with the cases of tests/*_cases.py)."""

from xlmodel import harness, workbook
from xlmodel.errors import EXCEL_ERROR_CODES, ExcelError
from xlmodel.harness import engine


def excel(value):
    """A case's expected value as the harness holds it: an error code as an error value, a
    whole number as a float."""
    if isinstance(value, str) and value in EXCEL_ERROR_CODES:
        return ExcelError(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def full_mode(path) -> dict:
    """(sheet, ref) -> the value full mode computes, every cell recomputed."""
    report = harness.check(path, "full")
    assert not report.not_recomputed, report.not_recomputed
    return report.recomputed


def ironcalc_alone(path) -> dict:
    """(sheet, row, col) -> the value IronCalc gives, fed the same cells, without the fixes."""
    return engine.recalculate(workbook.read_workbook(path)).values
