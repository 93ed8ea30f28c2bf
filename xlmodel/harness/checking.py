"""The check itself: recompute a loaded workbook in local or full mode, compare every
formula cell with its saved value, and write the recomputed values back (``--update``)."""

from __future__ import annotations

import contextlib
import gc
import os
from pathlib import Path

from xlmodel import workbook
from xlmodel.errors import ExcelError, WorkbookError
from xlmodel.formula.cellrefs import MAX_COL, MAX_ROW, make_ref, parse_range
from xlmodel.harness.compare import (
    ATOL,
    RTOL,
    as_grid,
    compare_cell,
    difference,
    is_array,
    plain,
    same,
)
from xlmodel.harness.formula_text import PYTHON_SIDE_FAILED
from xlmodel.harness.loading import MAX_CELLS, MAX_TEXT, Loaded, OurCalls, load
from xlmodel.harness.report import Mismatch, Report

MODES = ("local", "full")


def check(path: str | os.PathLike[str], mode: str = "local", *, rtol: float = RTOL,
          atol: float = ATOL, strict: bool = False, keep_cells: bool = False,
          **limits) -> Report:
    """Recompute a workbook in ``mode`` and compare with its saved values.

    With ``keep_cells`` the report also keeps each compared cell's saved value and formula
    (:attr:`Report.saved`, :attr:`Report.formulas`), for a table of every cell.

    A cell that cannot be recomputed keeps its saved value and is listed in
    ``Report.not_recomputed`` with its reason; with ``strict`` each is also a mismatch. A
    call to one of our functions is always recomputed, or it is a mismatch.

    Raises WorkbookError (one line) for a file that cannot be read or evaluated: not a
    workbook, hostile content, a limit passed, a failure inside the formula engine.
    """
    if mode not in MODES:
        raise WorkbookError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    with _no_gc():
        try:
            report = _check(path, mode, rtol, atol, limits, keep_cells)
        except RecursionError:  # a safety net: vetting bounds every formula's depth
            raise WorkbookError(f"{path}: formulas nest too deeply to evaluate") from None
        except MemoryError:
            raise WorkbookError(f"{path}: too large to process") from None
    report.strict = strict
    if strict:
        for (sheet, ref), (reason, detail, formula) in report.not_recomputed.items():
            report.mismatches.append(Mismatch(sheet, ref, formula, "(saved value kept)",
                                              f"not recomputed: {reason} ({detail})", None,
                                              kind="not recomputed"))
    return report


@contextlib.contextmanager
def _no_gc():
    # A check builds hundreds of thousands of small, long-lived objects (cells, syntax
    # trees, closures): the cyclic garbage collector would rescan them all again and again,
    # making the time grow faster than the workbook. Nothing here creates cycles to collect.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check(path, mode, rtol, atol, limits, keep_cells=False) -> Report:
    try:
        fingerprint = workbook.fingerprint(path)
    except OSError:
        fingerprint = None  # read_workbook gives the one-line error
    wb = load(path, mode, **limits)
    max_cells = limits.get("max_cells", MAX_CELLS)
    report = Report(str(path), mode, udf_cells=len(wb.udf_keys), fingerprint=fingerprint,
                    keep_cells=keep_cells)
    if mode == "full":
        from xlmodel.harness import engine

        _circular_through_ours(wb)
        tables = None
        if any("[" in cell.formula for cell in wb.formulas.values()):
            from xlmodel.workbook.tables import read_tables

            tables = read_tables(path, wb.data, **limits)
        calls = OurCalls(wb)
        try:
            rec = engine.recalculate(wb.data, calls, cells=wb.saved.cells,
                                     tables=tables, kept={
                                         k: (engine.TOO_LARGE, why)
                                         for k, why in wb.too_large.items()})
        except (WorkbookError, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # a bug here must still be one line, never a traceback
            raise WorkbookError(f"{path}: full recalculation failed: {type(exc).__name__}: "
                                f"{str(exc).splitlines()[0][:200] if str(exc) else ''}") from None
        ours = set(wb.udf_keys)
        for key, what in calls.failed.items():  # a native cell kept at its saved value
            rec.not_recomputed[key] = (PYTHON_SIDE_FAILED, what)
            rec.ours.pop(key, None)
        for key, (reason, detail) in rec.not_recomputed.items():
            if key not in ours:
                cell = wb.formulas[key]
                report.not_recomputed[(key[0], cell.ref)] = (reason, detail,
                                                             "=" + cell.formula)
        results = {}
        spills = {}
        kept, ours_done, values = rec.not_recomputed, rec.ours, rec.values
        for key, cell in wb.formulas.items():
            if key in kept:
                continue
            if key in ours_done:
                results[key] = ours_done[key]
                continue
            if cell.array_ref is None and not cell.dynamic:  # one plain cell: inline
                value = values.get(key)
                results[key] = _text_limit(value) if type(value) is str else value
                continue
            results[key] = _native_grid(wb, rec, key)
            if key in rec.spills:
                spills[key] = rec.spills[key]
        keys = [k for k in wb.formulas if k in results]
        _spill_bounds(rec.spills, max_cells)
        _failed(wb, rec.ours)
        _unreadable(wb, wb.udf_keys, names=False)
        rec.values = values = None  # every value is in results now (memory for the report)
    else:
        # the cells our calls read, through any chain of formulas: a cycle through our
        # calls, or a reference to a missing sheet, is refused
        _circular_through_ours(wb)
        wb.engine.set_values(wb.saved)
        keys = wb.udf_keys
        results = wb.engine.evaluate_cells(keys)
        spills = {}
        for k, v in results.items():
            if is_array(v):
                rows, cols = len(v), len(v[0])
                if k[1] + rows - 1 > MAX_ROW or k[2] + cols - 1 > MAX_COL:
                    results[k] = ExcelError("#SPILL!", "the spill range runs off the sheet")
                    continue
                spills[k] = (k[1], k[2], k[1] + rows - 1, k[2] + cols - 1)
        _spill_bounds(spills, max_cells)
        _unreadable(wb, keys)
        _failed(wb, results)
    udf = set(wb.udf_keys)
    recomputed, mismatches = report.recomputed, report.mismatches
    formulas, keep, checked = wb.formulas, report.keep_cells, 0
    for key in keys:
        result = results.get(key)
        if key in udf and _our_call_failed(wb, report, key, result):
            continue
        cell = formulas[key]
        if cell.array_ref is None and not cell.dynamic and (type(result) is float
                                                            or not is_array(result)):
            # the common case: one plain cell
            value = result if type(result) is float else plain(result)
            recomputed[(key[0], cell.ref)] = value
            was = cell.value  # the saved value (what wb.saved gives for the key)
            if keep:
                report.saved[(key[0], cell.ref)] = was
                report.formulas[(key[0], cell.ref)] = "=" + cell.formula
            checked += 1
            if type(was) is float and type(value) is float and (  # same(), inline
                    abs(was - value) <= atol + rtol * abs(was)):
                continue
            if not same(was, value, rtol, atol):
                mismatches.append(Mismatch(key[0], cell.ref, "=" + cell.formula, was, value,
                                           difference(was, value)))
            continue
        report.checked += checked
        checked = 0
        compare_cell(report, wb, key, result, spills.get(key), rtol, atol)
    report.checked += checked
    return report


def _spill_bounds(spills: dict, max_cells: int) -> None:
    """Spills together fill at most ``max_cells`` cells (--max-cells)."""
    filled = 0
    for k, (r1, c1, r2, c2) in spills.items():
        n = (r2 - r1 + 1) * (c2 - c1 + 1)
        filled += n
        if n > max_cells or filled > max_cells:
            raise WorkbookError(f"{k[0]}!{make_ref(k[1], k[2])}: the result fills "
                                f"{r2 - r1 + 1:,} x {c2 - c1 + 1:,} cells: spills may fill "
                                f"at most {max_cells:,} cells in all (--max-cells)")


def _unreadable(wb: Loaded, keys, names: bool = True) -> None:
    """Local mode: a call the engine could not parse or compile evaluates to #NAME?; that
    is a reason to stop, not a value to compare or to write back. So is a defined name
    that the workbook does not define, even where IFERROR would hide it."""
    errors = wb.engine.formula_errors
    for key in keys:
        exc = errors.get(key)
        if exc is not None:
            sheet, row, col = key
            raise WorkbookError(f"{sheet}!{make_ref(row, col)}: {exc}: the harness "
                                f"cannot evaluate this formula in {wb.mode} mode")
    if not names:
        return
    for name, key in wb.engine.unknown_names.items():
        saved = wb.saved.get(key)
        if isinstance(saved, ExcelError) and saved.code == "#NAME?":
            continue  # Excel did not know it either
        sheet, row, col = key
        raise WorkbookError(f"{sheet}!{make_ref(row, col)}: unknown name {name}: the "
                            f"harness cannot evaluate this formula in {wb.mode} mode")


def _failed(wb: Loaded, results: dict) -> None:
    """A function that raised (an engine defect, not an Excel result) is a reason to stop
    where the cell then differs from its saved value: never report, or write back, the
    #VALUE! it became in place of a value the engine could not compute."""
    for key, what in wb.engine.failures.items():
        if key in results and not same(wb.saved.get(key), plain(as_grid(results[key])[0][0])):
            sheet, row, col = key
            raise WorkbookError(f"{sheet}!{make_ref(row, col)}: the engine failed "
                                f"({what}): the harness cannot evaluate this formula in "
                                f"{wb.mode} mode")


def _native_grid(wb: Loaded, rec, key):
    """IronCalc's values for a native formula cell: one value, or the grid it fills."""
    cell = wb.formulas[key]
    sheet = key[0]
    if cell.dynamic:
        r1, c1, r2, c2 = rec.spills.get(key, (key[1], key[2], key[1], key[2]))
    elif cell.array_ref:
        r1, c1, r2, c2 = parse_range(cell.array_ref)
    else:
        return _text_limit(rec.values.get(key))
    return [[_text_limit(rec.values.get((sheet, r, c))) for c in range(c1, c2 + 1)]
            for r in range(r1, r2 + 1)]


def _text_limit(value):
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return ExcelError("#VALUE!", f"text of {len(value):,} characters, more than Excel's "
                          f"{MAX_TEXT:,}")
    return value


def _circular_through_ours(wb: Loaded) -> None:
    """Follow the formulas our calls read, through any chain of formulas: a circular
    reference that an xlmodel call is on, or one with a cell saved without a value, and a
    reference to a missing sheet are refused. IronCalc sees our cells as values, so it
    cannot tell; a cycle of native cells all saved with values is an iterative
    calculation's answer, which full mode keeps (not recomputed) and local mode does not
    evaluate."""
    starts = list(wb.udf_keys)
    if not starts:
        return
    engine, formulas = wb.engine, wb.formulas
    by_row: dict = {}
    for key in formulas:
        by_row.setdefault((key[0], key[1]), []).append(key[2])
    deps: dict = {}

    def edges(key):
        found = deps.get(key)
        if found is not None:
            return found
        found = []
        try:
            refs = engine.cell_references(key)
            if refs is None:
                refs = engine.references(formulas[key].formula, key[0])
        except WorkbookError as exc:  # a missing sheet
            raise WorkbookError(f"{key[0]}!{make_ref(key[1], key[2])}: {exc}") from None
        except Exception:  # noqa: BLE001 - a formula it cannot read: no known edges
            refs = []
        for ref in refs:
            r1, c1 = ref.r1 or 1, ref.c1 or 1
            r2 = min(ref.r2 or MAX_ROW, MAX_ROW)
            c2 = min(ref.c2 or MAX_COL, MAX_COL)
            if r2 - r1 > len(by_row):
                rows = [r for (s, r) in by_row if s == ref.sheet and r1 <= r <= r2]
            else:
                rows = range(r1, r2 + 1)
            for r in rows:
                for c in by_row.get((ref.sheet, r), ()):
                    if c1 <= c <= c2:
                        found.append((ref.sheet, r, c))
        deps[key] = found
        return found

    # strongly connected components (Tarjan's, without recursion)
    ours, saved = set(wb.udf_keys), wb.saved
    index: dict = {}
    low: dict = {}
    on_stack: set = set()
    stack: list = []
    counter = 0
    for root in starts:
        if root in index:
            continue
        work = [(root, iter(edges(root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            key, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(edges(nxt))))
                elif nxt in on_stack:
                    low[key] = min(low[key], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[key])
            if low[key] != index[key]:
                continue
            component = []
            while True:
                k = stack.pop()
                on_stack.discard(k)
                component.append(k)
                if k == key:
                    break
            if len(component) == 1 and key not in deps[key]:
                continue  # no cycle
            if any(k in ours for k in component) or any(saved.get(k) is None
                                                       for k in component):
                component.sort()
                shown = ", ".join(f"{k[0]}!{make_ref(k[1], k[2])}"
                                  for k in component[:6])
                more = f" and {len(component) - 6} more" if len(component) > 6 else ""
                what = "an xlmodel call" if any(k in ours for k in component) else "cells"
                raise WorkbookError(f"circular reference through {what}: {shown}{more}")


def _our_call_failed(wb: Loaded, report: Report, key, result) -> bool:
    """One of our calls that could not be evaluated (a function or a name the engine does
    not know among its arguments) is a failure of the check, never skipped."""
    from xlmodel.harness.formula_text import called_functions

    cell = wb.formulas[key]
    missing = wb.engine.unknown_functions
    unknown = [n for n in called_functions(cell.formula) if n in missing] if missing else []
    first = as_grid(result)[0][0]
    saved = wb.saved.get(key)
    if not unknown:
        # (an unknown function is a failure even under IFERROR, which would hide it)
        if not (isinstance(first, ExcelError) and first.code == "#NAME?"):
            return False
        if isinstance(saved, ExcelError) and saved.code == "#NAME?":
            return False  # Excel did not know it either
    why = (f"unknown function {unknown[0]}" if unknown else first.message or "#NAME?")
    report.checked += 1
    report.mismatches.append(Mismatch(key[0], cell.ref, "=" + cell.formula, saved,
                                      f"not recomputed: {why}", None, kind="not recomputed"))
    return True


def update(path: str | os.PathLike[str], report: Report, dst=None) -> None:
    """Write ``report``'s recomputed values back as the workbook's cached values.

    Lossless (only ``<v>``/``t`` of those cells change, plus the ``ref`` of a spill that
    changed size) and atomic (a temporary file renamed over the destination, with the
    owner and mode of the file it replaces). Refused when the file changed since
    ``report`` read it, or is read-only. Cells that were not recomputed keep their saved
    values.
    """
    values = {k: v for k, v in report.recomputed.items() if k not in report.not_recomputed}
    target = Path(dst or path).resolve()  # write through a symbolic link, not over it
    workbook.write_cached_values(Path(path).resolve(), target, values, report.spill_refs or None,
                                 expect=report.fingerprint)
