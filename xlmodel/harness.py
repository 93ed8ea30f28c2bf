"""The headless harness: recompute a saved workbook and compare with the values saved in it.

Two modes:

* ``local``: each cell that calls one of our functions is recomputed from the *saved*
  values of its arguments (argument expressions and nested calls are evaluated too). A
  regression in one function shows up alone, whatever the rest of the chain does.
* ``full``: the whole workbook is recomputed from its input cells, native formulas and our
  functions alike, and every formula cell is compared.

Nothing in a file is ever executed: formulas are parsed and compiled by
:mod:`xlmodel.formula`, macros are ignored, and :mod:`xlmodel.ooxml` reads the package
with limits on size, ratio and cell count.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from xlmodel import ooxml, udf_bridge
from xlmodel.catalogue import FUNCTIONS
from xlmodel.errors import ExcelError, WorkbookError, as_excel_error
from xlmodel.formula import Engine, Formula, find_calls
from xlmodel.formula.parser import FormulaLimit, NameNode, RegionTooLarge, parse, walk
from xlmodel.formula.tokenizer import FormulaError
from xlmodel.formula.values import as_array, resize

MODES = ("local", "full")
#: Limits on what the harness reads. A model workbook of half a million cells is already
#: far past what anyone recalculates in CI; a sheet of a million rows is refused quickly
#: instead of exhausting memory. Both can be raised (``--max-cells``, ``--max-rows``).
MAX_CELLS = 500_000
MAX_ROWS = 200_000
#: Default tolerances: tight, since the same code should give the same floats.
RTOL = 1e-9
ATOL = 1e-12


@dataclass(frozen=True)
class Mismatch:
    """One cell whose recomputed value differs from the saved one."""

    sheet: str
    ref: str
    formula: str
    saved: object
    recomputed: object
    difference: float | None
    kind: str = "value"
    """"value", or "spill size" when a spilled range changed shape."""

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.ref}"


@dataclass
class Report:
    """What a check found in one workbook."""

    path: str
    mode: str
    checked: int = 0
    udf_cells: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    recomputed: dict = field(default_factory=dict, repr=False)
    """(sheet, ref) -> recomputed value of every compared cell (for --update)."""
    spill_refs: dict = field(default_factory=dict, repr=False)
    """(sheet, anchor ref) -> recomputed spill range, where it changed."""
    fingerprint: tuple | None = field(default=None, repr=False)
    """The file as it was read (ooxml.fingerprint): update refuses a file changed since."""

    @property
    def ok(self) -> bool:
        return not self.mismatches


# --- comparison -------------------------------------------------------------------------------

def same(saved, recomputed, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Saved and recomputed values agree: numbers within tolerance, text, booleans and error
    values as themselves (#NUM! equals #NUM!). Blank and empty text are the same."""
    if saved == "" or saved is None:
        return recomputed is None or recomputed == ""
    s_err, r_err = as_excel_error(saved), as_excel_error(recomputed)
    if s_err is None and isinstance(saved, str) and r_err is not None:
        # classic xlwings saves a failed call as text: "#NUM! halving_years must be ..."
        return saved.split(" ", 1)[0].upper() == r_err.code
    if s_err is not None or r_err is not None:
        return s_err == r_err
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


# --- loading ----------------------------------------------------------------------------------

@dataclass
class _Loaded:
    data: ooxml.WorkbookData
    engine: Engine
    saved: dict
    """(sheet, row, col) -> saved value of every cell."""
    formulas: dict
    """(sheet, row, col) -> Cell of every formula cell."""
    udf_keys: list
    """Formula cells that call one of our functions."""
    mode: str = "full"


def _called_names(text: str, where: str | None = None) -> list[str]:
    """The functions a formula calls. A formula that mentions one of ours but cannot be
    read (an external or 3-D reference, a formula past Excel's limits) is refused: it would
    otherwise pass unchecked."""
    try:
        return [c.name for c in find_calls(text)]
    except FormulaError as exc:
        if where is None:
            return []
        raise WorkbookError(f"{where}: {exc}: the harness cannot check this call") from None


def _names_calling_ours(data: ooxml.WorkbookData) -> tuple[set[str], set[str]]:
    """Defined names whose formulas call one of our functions, directly or through other
    names (upper-case), and every function the names call."""
    texts = {n.name.upper(): n.text for n in data.defined_names}
    called, ours = set(), set()
    for name, text in texts.items():
        if _may_call_ours(text):
            names = _called_names(text, f"defined name {name}")
            called.update(names)
            if any(udf_bridge.catalogue_name(n) for n in names):
                ours.add(name)
    for _ in range(len(texts)):  # names that use such names, to a fixed point
        grown = {n for n, t in texts.items() if n not in ours and _mentions(t, ours)}
        if not grown:
            break
        ours |= grown
    return ours, called


def _mentions(text: str, names: set[str]) -> bool:
    if not names:
        return False
    upper = text.upper()
    return any(n in upper for n in names) and any(
        isinstance(node, NameNode) and node.name.upper() in names
        for node in _nodes(text))


def _nodes(text: str):
    try:
        return list(walk(parse(text)))
    except FormulaError:
        return []


def _may_call_ours(text: str) -> bool:
    # Every spelling of our functions contains the catalogue name itself: a substring test
    # spares parsing the (many) native formulas twice.
    upper = text.upper()
    return any(name in upper for name in _OUR_NAMES)


_OUR_NAMES = tuple(f.name for f in FUNCTIONS)


def load(path: str | os.PathLike[str], mode: str = "full", **limits) -> _Loaded:
    """Read a workbook and build an engine with our functions registered in every spelling.

    In local mode only the cells that call our functions (and spill anchors, which ``#``
    references need) are formulas to the engine; every other cell is its saved value.
    """
    limits.setdefault("max_cells", MAX_CELLS)
    limits.setdefault("max_rows", MAX_ROWS)
    data = ooxml.read_workbook(path, **limits)
    cells, saved, formulas, udf_keys = {}, {}, {}, []
    our_names, called = _names_calling_ours(data)
    for cell in data.iter_cells():
        key = (cell.sheet, cell.row, cell.col)
        saved[key] = cell.value
        if cell.formula is None:
            if cell.value is not None:
                cells[key] = cell.value
            continue
        formulas[key] = cell
        ours = False
        if _may_call_ours(cell.formula):
            names = _called_names(cell.formula, f"{cell.sheet}!{cell.ref}")
            called.update(names)
            ours = any(udf_bridge.catalogue_name(n) for n in names)
        ours = ours or _mentions(cell.formula, our_names)
        if ours:
            udf_keys.append(key)
        # Every formula goes to the engine, in local mode too: each is vetted against
        # Excel's limits and the dependency graph is checked (cycles, missing sheets);
        # local mode then evaluates only the cells that call our functions.
        cells[key] = Formula(cell.formula, cell.array_ref, dynamic=cell.dynamic)
    names = {n.name: n.text for n in data.defined_names if n.workbook_scoped}
    local_names = {(n.scope, n.name): n.text for n in data.defined_names if not n.workbook_scoped}
    engine = Engine(cells, names, data.sheet_names, strict=False, spill_plain=False,
                    local_names=local_names, max_spill=limits["max_cells"])
    udf_bridge.register(engine, called)
    ours = set(udf_keys)
    for key, exc in engine.formula_errors.items():
        # no file Excel saved holds a formula past Excel's limits; a range too large to
        # evaluate matters only where the formula is evaluated
        if isinstance(exc, FormulaLimit) and (
                mode == "full" or key in ours or not isinstance(exc, RegionTooLarge)):
            sheet, row, col = key
            raise WorkbookError(f"{sheet}!{ooxml.make_ref(row, col)}: {exc}")
    return _Loaded(data, engine, saved, formulas, udf_keys, mode)


# --- checking ---------------------------------------------------------------------------------

def check(path: str | os.PathLike[str], mode: str = "local", *, rtol: float = RTOL,
          atol: float = ATOL, **limits) -> Report:
    """Recompute a workbook in ``mode`` and compare with its saved values.

    Raises WorkbookError (one line) for a file that cannot be read or evaluated: not a
    workbook, hostile content, a reference to a missing sheet, a circular reference.
    """
    if mode not in MODES:
        raise WorkbookError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    with _no_gc():
        try:
            return _check(path, mode, rtol, atol, limits)
        except RecursionError:  # a safety net: vetting bounds every formula's depth
            raise WorkbookError(f"{path}: formulas nest too deeply to evaluate") from None
        except MemoryError:
            raise WorkbookError(f"{path}: too large to process") from None


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


def _check(path, mode, rtol, atol, limits) -> Report:
    try:
        fingerprint = ooxml.fingerprint(path)
    except OSError:
        fingerprint = None  # read_workbook gives the one-line error
    wb = load(path, mode, **limits)
    max_cells = limits.get("max_cells", MAX_CELLS)
    report = Report(str(path), mode, udf_cells=len(wb.udf_keys), fingerprint=fingerprint)
    if mode == "full":
        values = wb.engine.calculate()
        spills = wb.engine.spills
        keys = list(wb.formulas)
        results = {k: values.get(k) for k in keys}
    else:
        wb.engine.check_references()
        wb.engine.set_values(wb.saved)
        keys = wb.udf_keys
        results = wb.engine.evaluate_cells(keys)
        spills, filled = {}, 0
        for k, v in results.items():
            if _is_array(v):
                rows, cols = len(v), len(v[0])
                filled += rows * cols
                if k[1] + rows - 1 > ooxml.MAX_ROW or k[2] + cols - 1 > ooxml.MAX_COL:
                    results[k] = ExcelError("#SPILL!", "the spill range runs off the sheet")
                    continue
                if rows * cols > max_cells or filled > max_cells:
                    raise WorkbookError(f"{k[0]}!{ooxml.make_ref(k[1], k[2])}: the result "
                                        f"fills {rows:,} x {cols:,} cells, more than the "
                                        f"{max_cells:,} allowed (--max-cells)")
                spills[k] = (k[1], k[2], k[1] + rows - 1, k[2] + cols - 1)
    _unsupported(wb)
    _unreadable(wb, keys)
    _failed(wb, results)
    for key in keys:
        _unknown_name(wb, key, results.get(key))
        _compare_cell(report, wb, key, results.get(key), spills.get(key), rtol, atol)
    return report


def _unsupported(wb: _Loaded) -> None:
    """A function the engine does not have is a reason to stop, not a mismatch: even under
    IFERROR, where its #NAME? would silently become the fallback value."""
    for name, (sheet, row, col) in wb.engine.unknown_functions.items():
        saved = wb.saved.get((sheet, row, col))
        if isinstance(saved, ExcelError) and saved.code == "#NAME?":
            continue  # Excel did not know it either
        raise WorkbookError(f"{sheet}!{ooxml.make_ref(row, col)}: unknown function {name}: "
                            f"the harness cannot evaluate this formula in {wb.mode} mode")


def _unreadable(wb: _Loaded, keys) -> None:
    """A formula the engine could not parse or compile evaluates to #NAME?; that is a
    reason to stop, not a value to compare or to write back. So is a defined name that
    the workbook does not define, even where IFERROR would hide it."""
    errors = wb.engine.formula_errors
    for key in keys:
        exc = errors.get(key)
        if exc is not None:
            sheet, row, col = key
            raise WorkbookError(f"{sheet}!{ooxml.make_ref(row, col)}: {exc}: the harness "
                                f"cannot evaluate this formula in {wb.mode} mode")
    for name, key in wb.engine.unknown_names.items():
        saved = wb.saved.get(key)
        if isinstance(saved, ExcelError) and saved.code == "#NAME?":
            continue  # Excel did not know it either
        sheet, row, col = key
        raise WorkbookError(f"{sheet}!{ooxml.make_ref(row, col)}: unknown name {name}: the "
                            f"harness cannot evaluate this formula in {wb.mode} mode")


def _failed(wb: _Loaded, results: dict) -> None:
    """A function that raised (an engine defect, not an Excel result) is a reason to stop
    where the cell then differs from its saved value: never report, or write back, the
    #VALUE! it became in place of a value the engine could not compute."""
    for key, what in wb.engine.failures.items():
        if key in results and not same(wb.saved.get(key), _plain(_grid(results[key])[0][0])):
            sheet, row, col = key
            raise WorkbookError(f"{sheet}!{ooxml.make_ref(row, col)}: the engine failed "
                                f"({what}): the harness cannot evaluate this formula in "
                                f"{wb.mode} mode")


def _unknown_name(wb: _Loaded, key, result) -> None:
    first = _grid(result)[0][0]
    if isinstance(first, ExcelError) and first.code == "#NAME?" and (
            first.message.startswith("unknown name")):
        saved = wb.saved.get(key)
        if not (isinstance(saved, ExcelError) and saved.code == "#NAME?"):
            sheet, row, col = key
            raise WorkbookError(f"{sheet}!{ooxml.make_ref(row, col)}: {first.message}: the "
                                f"harness cannot evaluate this formula in {wb.mode} mode")


def _is_array(v) -> bool:
    return hasattr(v, "shape") and len(getattr(v, "shape", ())) == 2 or (
        isinstance(v, list) and v and isinstance(v[0], list))


def _rect(spill) -> tuple[int, int, int, int] | None:
    if spill is None:
        return None
    if isinstance(spill, tuple):
        return spill
    return (spill.r1, spill.c1, spill.r2, spill.c2)


def _compare_cell(report: Report, wb: _Loaded, key, result, spill, rtol, atol) -> None:
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
    saved_rect = ooxml.parse_range(cell.array_ref) if cell.array_ref else None
    if cell.dynamic:
        if _is_array(result):
            rows, cols = len(result), len(result[0])
            new_rect = (row, col, row + rows - 1, col + cols - 1)
        else:
            new_rect = _rect(spill) or (row, col, row, col)
        grid = _grid(result)
    elif saved_rect is not None:
        new_rect = saved_rect
        shape = (saved_rect[2] - saved_rect[0] + 1, saved_rect[3] - saved_rect[1] + 1)
        if _is_array(result) or wb.mode == "local":
            grid = resize(as_array(result), shape).tolist()
        else:  # full mode: the engine filled the range in its store
            grid = [[wb.engine.value(sheet, r, c) for c in range(saved_rect[1],
                                                                 saved_rect[3] + 1)]
                    for r in range(saved_rect[0], saved_rect[2] + 1)]
    else:
        new_rect = (row, col, row, col)
        grid = [[_grid(result)[0][0]]]
    if saved_rect is not None and new_rect != saved_rect:
        shape = (saved_rect[2] - saved_rect[0] + 1, saved_rect[3] - saved_rect[1] + 1)
        new_shape = (new_rect[2] - new_rect[0] + 1, new_rect[3] - new_rect[1] + 1)
        report.mismatches.append(Mismatch(
            sheet, cell.ref, formula, f"{shape[0]}x{shape[1]} spill",
            f"{new_shape[0]}x{new_shape[1]} spill", None, kind="spill size"))
        report.spill_refs[(sheet, cell.ref)] = ooxml.make_range(*new_rect)
    r1, c1, r2, c2 = new_rect
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            value = _cell_of(grid, r - r1, c - c1, wb, sheet, r, c)
            saved = wb.saved.get((sheet, r, c))
            ref = ooxml.make_ref(r, c)
            report.recomputed[(sheet, ref)] = value
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
                    report.recomputed[(sheet, ooxml.make_ref(r, c))] = None


def _grid(result) -> list[list]:
    if _is_array(result):
        return [list(r) for r in result]
    return [[result]]


def _cell_of(grid, i, j, wb, sheet, r, c):
    if i < len(grid) and j < len(grid[0]):
        return _plain(grid[i][j])
    # full mode, a spill the engine wrote to its store (the result was its anchor only)
    return _plain(wb.engine.value(sheet, r, c))


def _plain(v):
    if isinstance(v, ExcelError) or v is None or isinstance(v, (bool, str)):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


# --- updating ---------------------------------------------------------------------------------

def update(path: str | os.PathLike[str], report: Report, dst=None) -> None:
    """Write ``report``'s recomputed values back as the workbook's cached values.

    Lossless (only ``<v>``/``t`` of those cells change, plus the ``ref`` of a spill that
    changed size) and atomic (a temporary file renamed over the destination, with the
    owner and mode of the file it replaces). Refused when the file changed since
    ``report`` read it, or is read-only.
    """
    values = {k: v for k, v in report.recomputed.items()}
    target = Path(dst or path).resolve()  # write through a symbolic link, not over it
    ooxml.write_cached_values(Path(path).resolve(), target, values, report.spill_refs or None,
                              expect=report.fingerprint)


# --- reports ----------------------------------------------------------------------------------

def _show(v) -> str:
    if isinstance(v, ExcelError):
        return v.code
    if isinstance(v, float):
        return repr(v)
    if v is None:
        return "(blank)"
    return str(v)


def format_report(report: Report, *, limit: int = 50) -> str:
    """A readable table of mismatches (or a one-line pass)."""
    head = (f"{report.path}: {report.mode} mode, {report.checked} cells checked "
            f"({report.udf_cells} call xlmodel functions)")
    if report.ok:
        return head + ": all match"
    rows = [("cell", "formula", "saved", "recomputed", "difference")]
    for m in report.mismatches[:limit]:
        diff = "" if m.difference is None else f"{m.difference:+.3g}"
        if m.kind == "spill size":
            diff = "spill size changed"
        formula = m.formula if len(m.formula) <= 60 else m.formula[:57] + "..."
        rows.append((m.where, formula, _show(m.saved), _show(m.recomputed), diff))
    widths = [max(len(r[k]) for r in rows) for k in range(5)]
    lines = [head + f": {len(report.mismatches)} mismatch(es)"]
    for k, r in enumerate(rows):
        lines.append("  " + "  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)))
        if k == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    if len(report.mismatches) > limit:
        lines.append(f"  ... and {len(report.mismatches) - limit} more")
    return "\n".join(lines)


def to_json(reports: Iterable[Report]) -> list[dict]:
    return [{
        "path": r.path, "mode": r.mode, "ok": r.ok, "checked": r.checked,
        "udf_cells": r.udf_cells,
        "mismatches": [{"cell": m.where, "formula": m.formula, "saved": _json(m.saved),
                        "recomputed": _json(m.recomputed), "difference": _json(m.difference),
                        "kind": m.kind} for m in r.mismatches],
    } for r in reports]


def _json(v):
    if isinstance(v, ExcelError):
        return v.code
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return v


def to_junit(reports: Iterable[Report], errors: dict[str, str] | None = None) -> str:
    """A JUnit XML report: one test case per workbook."""
    from xml.sax.saxutils import escape, quoteattr

    reports = list(reports)
    errors = errors or {}
    cases = []
    for r in reports:
        name = quoteattr(Path(r.path).name)
        if r.ok:
            cases.append(f'  <testcase classname="xlmodel.check" name={name}/>')
        else:
            msg = quoteattr(f"{len(r.mismatches)} cell(s) differ")
            cases.append(f'  <testcase classname="xlmodel.check" name={name}>\n'
                         f'    <failure message={msg}>{escape(format_report(r))}</failure>\n'
                         "  </testcase>")
    for path, err in errors.items():
        cases.append(f'  <testcase classname="xlmodel.check" name={quoteattr(Path(path).name)}>'
                     f'\n    <error message={quoteattr(err)}/>\n  </testcase>')
    failures = sum(not r.ok for r in reports)
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<testsuite name="xlmodel" tests="{len(reports) + len(errors)}" '
            f'failures="{failures}" errors="{len(errors)}">\n' + "\n".join(cases)
            + "\n</testsuite>\n")
