"""Saved against recomputed values: numbers within tolerance, text, booleans and error
values as themselves, and a formula cell compared over the whole range it fills (a dynamic
spill, a legacy array formula, or one plain cell)."""

from __future__ import annotations

import math

from xlmodel.errors import ExcelError, as_excel_error
from xlmodel.formula.cellrefs import make_range, make_ref, parse_range
from xlmodel.harness.loading import Loaded
from xlmodel.harness.report import Mismatch, Report

#: Default tolerances: tight, since the same code should give the same floats.
RTOL = 1e-9
ATOL = 1e-12


def same(saved, recomputed, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Saved and recomputed values agree: numbers within tolerance, text, booleans and error
    values as themselves (#NUM! equals #NUM!). Blank and empty text are the same."""
    if type(saved) is float and type(recomputed) is float:  # the common case
        return abs(saved - recomputed) <= atol + rtol * abs(saved)
    if saved == "" or saved is None:
        return recomputed is None or recomputed == ""
    s_err, r_err = as_excel_error(saved), as_excel_error(recomputed)
    if s_err is None and isinstance(saved, str) and r_err is not None:
        # classic xlwings saves a failed call as text: "#NUM! halving_years must be ..."
        return saved.split(" ", 1)[0].upper() == r_err.code
    if s_err is not None or r_err is not None:
        return s_err == r_err
    if isinstance(recomputed, bool) and type(saved) is float and saved in (0.0, 1.0):
        # LibreOffice saves a logical result as the number 1 or 0 (t="n", BOOLEAN format)
        return saved == float(recomputed)
    if isinstance(saved, bool) or isinstance(recomputed, bool):
        return type(saved) is type(recomputed) and saved == recomputed
    if isinstance(saved, (int, float)) and isinstance(recomputed, (int, float)):
        if math.isnan(saved) or math.isnan(recomputed):
            return False
        return abs(saved - recomputed) <= atol + rtol * abs(saved)
    if isinstance(saved, str) and isinstance(recomputed, str):
        return saved == recomputed
    return False


def difference(saved, recomputed) -> float | None:
    if isinstance(saved, (int, float)) and isinstance(recomputed, (int, float)) and not (
            isinstance(saved, bool) or isinstance(recomputed, bool)):
        return float(recomputed) - float(saved)
    return None


def is_array(v) -> bool:
    return hasattr(v, "shape") and len(getattr(v, "shape", ())) == 2 or (
        isinstance(v, list) and v and isinstance(v[0], list))


def _rect(spill) -> tuple[int, int, int, int] | None:
    if spill is None:
        return None
    if isinstance(spill, tuple):
        return spill
    return (spill.r1, spill.c1, spill.r2, spill.c2)


def compare_cell(report: Report, wb: Loaded, key, result, spill, rtol, atol) -> None:
    """Compare one formula cell, and the range it fills, with the saved values.

    Three kinds of formula, as Excel 365 reads a saved file:

    * dynamic (saved with ``cm``): spills; its range may change size (reported);
    * legacy array formula (``t="array"`` without ``cm``): fills its fixed range, a
      one-row or one-column result repeated across it, #N/A where the result runs out;
    * plain: one cell; an array result is cut to its top-left value (``=@F(...)``).
    """
    sheet, row, col = key
    cell = wb.formulas[key]
    formula = "=" + cell.formula
    saved_rect = parse_range(cell.array_ref) if cell.array_ref else None
    if cell.dynamic:
        if is_array(result):
            rows, cols = len(result), len(result[0])
            new_rect = (row, col, row + rows - 1, col + cols - 1)
        else:
            new_rect = _rect(spill) or (row, col, row, col)
        grid = as_grid(result)
    elif saved_rect is not None:
        new_rect = saved_rect
        shape = (saved_rect[2] - saved_rect[0] + 1, saved_rect[3] - saved_rect[1] + 1)
        from xlmodel.formula.values import array_of, as_array, resize

        grid = resize(array_of(result) if is_array(result) and isinstance(result, list)
                      else as_array(result), shape).tolist()
    else:
        new_rect = (row, col, row, col)
        grid = [[as_grid(result)[0][0]]]
    if saved_rect is not None and new_rect != saved_rect:
        shape = (saved_rect[2] - saved_rect[0] + 1, saved_rect[3] - saved_rect[1] + 1)
        new_shape = (new_rect[2] - new_rect[0] + 1, new_rect[3] - new_rect[1] + 1)
        report.mismatches.append(Mismatch(
            sheet, cell.ref, formula, f"{shape[0]}x{shape[1]} spill",
            f"{new_shape[0]}x{new_shape[1]} spill", None, kind="spill size"))
        report.spill_refs[(sheet, cell.ref)] = make_range(*new_rect)
    r1, c1, r2, c2 = new_rect
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            value = _cell_of(grid, r - r1, c - c1, wb, sheet, r, c)
            saved = wb.saved.get((sheet, r, c))
            ref = make_ref(r, c)
            report.recomputed[(sheet, ref)] = value
            if report.keep_cells:
                report.saved[(sheet, ref)] = saved
                report.formulas[(sheet, ref)] = formula
            report.checked += 1
            if not same(saved, value, rtol, atol):
                report.mismatches.append(Mismatch(
                    sheet, ref, formula if (r, c) == (row, col) else f"(filled by "
                    f"{cell.ref}) {formula}", saved, value, difference(saved, value)))
    if saved_rect is not None and new_rect != saved_rect:
        # cells the old spill covered and the new one does not: they become blank
        for r in range(saved_rect[0], saved_rect[2] + 1):
            for c in range(saved_rect[1], saved_rect[3] + 1):
                if not (r1 <= r <= r2 and c1 <= c <= c2):
                    report.recomputed[(sheet, make_ref(r, c))] = None


def as_grid(result) -> list[list]:
    if is_array(result):
        return [list(r) for r in result]
    return [[result]]


def _cell_of(grid, i, j, wb, sheet, r, c):
    if i < len(grid) and j < len(grid[0]):
        return plain(grid[i][j])
    return None


def plain(v):
    if isinstance(v, ExcelError) or v is None or isinstance(v, (bool, str)):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return v
