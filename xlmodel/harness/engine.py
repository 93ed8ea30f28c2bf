"""Full recalculation of a workbook on IronCalc, with our functions computed by the catalogue.

IronCalc (the ``ironcalc`` package: Rust, MIT/Apache-2.0) computes every native formula. It
never sees a file: it is fed cell by cell, through its API, from what the hardened reader
(:mod:`xlmodel.workbook`) read. It has no way to call Python functions, so the cells that call
one of ours are computed here, from the values IronCalc gives their arguments, and handed
back to IronCalc as values; that repeats until nothing changes (the depth of the chain of
our calls, two passes for most workbooks).

A cell that cannot be recomputed (an external link, a 3-D reference, a data table, a
function no engine has, a volatile function) keeps its saved value, which its dependents
then use, and is reported with the reason (:attr:`Recalculation.not_recomputed`).

Any exception from IronCalc, a Rust panic included (pyo3's ``PanicException`` is a
``BaseException``), becomes a one-line :class:`~xlmodel.errors.WorkbookError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from xlmodel.errors import EXCEL_ERROR_CODES, ExcelError, WorkbookError
from xlmodel.harness.formula_text import (
    CIRCULAR,
    STRUCTURED_REFERENCE,
    THREE_D_REFERENCE,
    TOO_LARGE,
    UNKNOWN_FUNCTION,
    UNREADABLE,
    UNSETTLED,
    any_called_functions,
    bound_whole_columns,
    called_functions,
    expand_qualified_names,
    expand_three_d,
    missing_sheet,
    needs_legacy_reading,
    static_reason,
)

Key = tuple[str, int, int]
#: Most passes of "compute our cells, hand them to IronCalc, recalculate".
MAX_PASSES = 50


@dataclass
class Recalculation:
    """What :func:`recalculate` found."""

    values: dict = field(default_factory=dict)
    """(sheet, row, col) -> recomputed value of every formula cell and every spilled cell."""
    spills: dict = field(default_factory=dict)
    """(sheet, row, col) of a dynamic anchor -> (r1, c1, r2, c2), the range it fills now."""
    not_recomputed: dict = field(default_factory=dict)
    """(sheet, row, col) -> (reason, detail) of each formula cell that keeps its saved value."""
    ours: dict = field(default_factory=dict)
    """(sheet, row, col) -> result (a value or a 2-D list) of each cell calling our functions."""
    passes: int = 0


# --- IronCalc ---------------------------------------------------------------------------------

def _import_ironcalc():
    try:
        import ironcalc
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise WorkbookError(f"full mode needs the ironcalc package: {exc}") from None
    return ironcalc


def _guarded(what: str, fn: Callable, *args):
    try:
        return fn(*args)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - a Rust panic surfaces as a BaseException
        raise WorkbookError(f"the formula engine failed while {what}: "
                            f"{type(exc).__name__}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else "(no message)")[:200]


def _accepted(what: str, text: str, setter, *args) -> bool:
    """``setter(*args)``; False when IronCalc refuses the formula (an ordinary exception: the
    cell keeps its value); any other failure, a Rust panic included, is one WorkbookError."""
    # (no closure and no message built per call: this runs once per formula cell)
    try:
        setter(*args)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception:  # noqa: BLE001 - refused by the engine
        return False
    except BaseException as exc:  # noqa: BLE001 - a Rust panic surfaces as a BaseException
        raise WorkbookError(f"the formula engine failed while setting {what} {text[:60]!r}: "
                            f"{type(exc).__name__}: {_first_line(exc)}") from None
    return True


class _Model:
    """An IronCalc model with every call guarded."""

    def __init__(self, sheets: Iterable[str]):
        ic = _import_ironcalc()
        self.ic = ic
        self.error_type = ic.CellType.ErrorValue
        self.m = _guarded("starting", ic.create, "workbook", "en", "UTC")
        self.index: dict[str, int] = {}
        for k, name in enumerate(sheets):
            if k == 0:
                _guarded(f"adding sheet {name!r}", self.m.rename_sheet, 0, name)
            else:
                _guarded(f"adding sheet {name!r}", self.m.add_sheet, name)
            self.index[name] = k

    def put(self, sheet: int, row: int, col: int, value) -> None:
        m = self.m
        if value is None:
            fn, args = m.range_clear_contents, (sheet, row, col, row, col)
        elif isinstance(value, bool):
            fn, args = m.update_cell_with_bool, (sheet, row, col, value)
        elif isinstance(value, (int, float)):
            fn, args = m.update_cell_with_number, (sheet, row, col, float(value))
        elif isinstance(value, ExcelError):
            fn, args = m.update_cell_with_formula, (sheet, row, col, "=" + value.code)
        else:
            fn, args = m.update_cell_with_text, (sheet, row, col, str(value))
        _guarded("writing a value", fn, *args)

    def formula(self, sheet: int, row: int, col: int, text: str) -> bool:
        """Set a formula; False when IronCalc refuses it (an ordinary exception)."""
        return _accepted("formula", text, self.m.update_cell_with_formula, sheet, row, col, text)

    def array_formula(self, sheet: int, rect, text: str) -> bool:
        r1, c1, r2, c2 = rect
        return _accepted("array formula", text, self.m.set_user_array_formula,
                         sheet, r1, c1, c2 - c1 + 1, r2 - r1 + 1, text)

    def evaluate(self) -> None:
        _guarded("recalculating", self.m.evaluate)

    def get(self, sheet: int, row: int, col: int):
        m = self.m
        try:
            value = m.get_cell_value(sheet, row, col)
            if isinstance(value, str) and m.get_cell_type(sheet, row, col) == self.error_type:
                code = value.upper()
                return ExcelError(code) if code in EXCEL_ERROR_CODES else ExcelError(
                    "#VALUE!", f"engine error {value}")
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # noqa: BLE001
            raise WorkbookError(f"the formula engine failed while reading a value: "
                                f"{type(exc).__name__}: {_first_line(exc)}") from None
        return value


def _is_engine_failure(value, saved) -> bool:
    """IronCalc's own error (#ERROR!: it could not parse or evaluate the formula) or a
    #NAME? that Excel did not give."""
    if not isinstance(value, ExcelError):
        return False
    if value.message.startswith("engine error"):
        return True
    return value.code == "#NAME?" and not (isinstance(saved, ExcelError)
                                           and saved.code == "#NAME?")


def _failure_reason(model: _Model, formula: str) -> tuple[str, str]:
    unknown = [n for n in dict.fromkeys(called_functions(formula)) if not _known(model, n)]
    if unknown:
        return UNKNOWN_FUNCTION, ", ".join(unknown)
    return UNREADABLE, "IronCalc could not evaluate it"


_KNOWN: dict[str, bool] = {}


def _known(model: _Model, name: str) -> bool:
    """IronCalc has function ``name`` (asked once per name, on a scratch model)."""
    if name not in _KNOWN:
        probe = _guarded("probing a function", model.ic.create, "probe", "en", "UTC")
        ok = True
        try:
            probe.update_cell_with_formula(0, 1, 1, f"={name}()")
            probe.evaluate()
            ok = probe.get_cell_value(0, 1, 1) != "#NAME?"
        except Exception:  # noqa: BLE001
            ok = False
        _KNOWN[name] = ok
    return _KNOWN[name]


# --- recalculation ----------------------------------------------------------------------------

class PythonCells(Protocol):
    """The cells computed on the Python side (our calls, :mod:`xlmodel.harness.fixes`), for
    :func:`recalculate`; :class:`xlmodel.harness.loading.OurCalls` is the implementation."""

    keys: list[Key]
    native: set[Key]
    """The keys of native cells among them (IronCalc computes them otherwise than Excel): a
    chain through them that does not settle leaves them at their saved values."""

    def inputs(self) -> Iterable[tuple[str, int, int, int, int]]:
        """Rectangles (sheet, r1, c1, r2, c2) of the cells they read."""

    def compute(self, values: dict) -> dict:
        """``{key: value or 2-D list}`` for every key, from ``values`` ({(sheet, row, col):
        value} of the cells they read, blanks left out)."""


def recalculate(data, python_cells: PythonCells | None = None, *,
                cells: dict | None = None, tables: dict | None = None,
                kept: dict | None = None) -> Recalculation:
    """Recompute every formula of ``data`` (a :class:`xlmodel.workbook.WorkbookData`).

    ``cells``, when given, is ``{(sheet, row, col): Cell}`` of every cell of ``data``
    (a caller that has built it already spares building it twice). ``tables`` are the
    workbook's tables (:func:`xlmodel.workbook.tables.read_tables`), for structured references.
    ``kept`` maps formula cells the caller already knows cannot be recomputed (a range
    too large to evaluate) to (reason, detail): they keep their saved values.
    """
    from xlmodel.formula.cellrefs import MAX_ROW, parse_range

    out = Recalculation()
    model = _Model(data.sheet_names)
    index = model.index
    for dn in data.defined_names:
        scope = None if dn.scope is None else index.get(dn.scope)
        text = dn.text[1:] if dn.text.startswith("=") else dn.text
        try:
            model.m.new_defined_name(dn.name, scope, text)
        except Exception:  # noqa: BLE001 - a name it cannot read: its users give #NAME?
            pass
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise WorkbookError(f"the formula engine failed on defined name {dn.name!r}: "
                                f"{type(exc).__name__}: {_first_line(exc)}") from None

    local_names = {(dn.scope.upper(), dn.name.upper()):
                   dn.text[1:] if dn.text.startswith("=") else dn.text
                   for dn in data.defined_names if dn.scope is not None}
    known_sheets = frozenset(name.upper() for name in index)
    rewritten: dict[Key, str] = {}  # formulas IronCalc gets in another spelling
    ours = set(python_cells.keys) if python_cells is not None else set()
    if cells is None:
        cells = {(c.sheet, c.row, c.col): c for c in data.iter_cells()}
    native = []         # formula cells IronCalc computes
    grid = []           # of them, the array formulas (a range of cells, or a spill)
    known = _KNOWN      # functions IronCalc has (a dictionary lookup spares a call)
    # where IronCalc has every function any formula may call, no formula needs its own look
    # (not where that would mean probing many names: those may be words in text constants)
    candidates = any_called_functions(c.formula for k, c in cells.items()
                                      if c.formula is not None and k not in ours)
    every_known = sum(n not in known for n in candidates) <= 64 and all(
        known.get(n) or _known(model, n) for n in candidates)
    covered = set()     # cells a native array formula fills: not fed as values
    for key, cell in cells.items():
        formula = cell.formula
        if formula is None:
            continue
        rect = parse_range(cell.array_ref) if cell.array_ref else None
        reason = static_reason(formula, rect is not None and formula.startswith("TABLE("))
        if kept and key in kept:
            reason = kept[key]
        if reason is not None:
            if reason[0] == STRUCTURED_REFERENCE and tables:
                from xlmodel.workbook.tables import expand_structured

                expanded = expand_structured(formula, tables, cell.row)
                if expanded is not None:
                    reason = static_reason(expanded)
                    if reason is None:
                        rewritten[key] = expanded
            if reason is not None and reason[0] == THREE_D_REFERENCE:
                expanded = expand_three_d(rewritten.get(key, formula), list(index))
                if expanded is not None:
                    rewritten[key] = expanded
                    reason = None
        text = rewritten.get(key, formula) if rewritten else formula
        gone = None if reason is not None else missing_sheet(text, known_sheets)
        if gone is not None:
            raise WorkbookError(f"{cell.sheet}!{cell.ref}: reference to missing sheet "
                                f"{gone!r}")
        if key in ours:
            continue
        if reason is None and "(" in text and not (every_known and text is formula):
            # a function IronCalc lacks is kept even where IFERROR would hide its #NAME?
            unknown = [n for n in dict.fromkeys(called_functions(text))
                       if not (known.get(n) or _known(model, n))]
            if unknown:
                reason = (UNKNOWN_FUNCTION, ", ".join(unknown))
        if reason is not None:
            out.not_recomputed[key] = reason
            continue
        native.append(key)
        if cell.array_ref or cell.dynamic:
            grid.append(key)
        if rect is not None:
            for r in range(rect[0], rect[2] + 1):
                for c in range(rect[1], rect[3] + 1):
                    if (r, c) != (cell.row, cell.col):
                        covered.add((cell.sheet, r, c))

    # below the last row in use (plus room for spills) every cell is empty
    last_row = min(max((k[1] for k in cells), default=1) + 1_000, MAX_ROW)
    sheet_of = index.__getitem__
    texts: dict[Key, str] = {}
    legacy = {}
    for key in native:
        cell = cells[key]
        text = rewritten.get(key, cell.formula) if rewritten else cell.formula
        if local_names and "!" in text:
            text = expand_qualified_names(text, local_names)
        if ":" in text:
            text = bound_whole_columns(text, last_row)
        if ":" in text and text != cell.formula:
            too_large = _too_large(text)
            if too_large is not None:
                # whole columns across the sheet: IronCalc would hold every cell of them
                out.not_recomputed[key] = (TOO_LARGE, too_large)
                continue
        texts[key] = text
        if not cell.array_ref and not cell.dynamic and needs_legacy_reading(text):
            legacy[(index[key[0]], key[1], key[2])] = text
    native = [k for k in native if k not in out.not_recomputed]
    readings = legacy_readings(model, list(index), legacy)
    set_formula = model.m.update_cell_with_formula
    for key, cell in cells.items():
        if key in covered:
            continue
        s = sheet_of(cell.sheet)
        if cell.formula is None or key in ours or key in out.not_recomputed:
            if cell.value is not None:
                model.put(s, cell.row, cell.col, cell.value)
            continue
        formula = texts[key]
        if cell.array_ref and not cell.dynamic:
            ok = model.array_formula(s, parse_range(cell.array_ref), "=" + formula)
        elif cell.dynamic:
            ok = model.formula(s, cell.row, cell.col, "=" + formula)
        elif readings and (s, cell.row, cell.col) in readings:
            # a legacy formula with ranges where values are expected: IronCalc's own reading
            ok = model.formula(s, cell.row, cell.col, readings[(s, cell.row, cell.col)])
        else:
            # a formula saved without dynamic-array metadata: Excel reads it as =@(...)
            # (model.formula, without its call: this runs once per formula cell)
            ok = _accepted("formula", formula, set_formula, s, cell.row, cell.col,
                           "=@(" + formula + ")")
        if not ok:
            out.not_recomputed[key] = (UNREADABLE, "IronCalc refused the formula")
            if cell.value is not None:
                model.put(s, cell.row, cell.col, cell.value)
    native = [k for k in native if k not in out.not_recomputed]
    del texts, legacy, readings  # (IronCalc holds the formulas now)
    model.evaluate()
    out.passes = 1

    # cells IronCalc could not evaluate keep their saved values; their dependents are
    # then computed from those (rounds: a failure's dependents fail with it at first)
    current: dict | None = None  # what IronCalc holds for each native cell, while it holds
    get = model.get
    get_value = model.m.get_cell_value  # (a number needs none of get's checks)
    for _ in range(MAX_PASSES):
        failed, roots, cycle = [], [], []
        current = {}
        for key in native:
            try:
                value = get_value(index[key[0]], key[1], key[2])
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException:  # noqa: BLE001 - get() below reports it, in one line
                value = None
            if type(value) is float:
                current[key] = value
                continue  # the common case: a number is neither a failure nor a cycle
            value = current[key] = get(index[key[0]], key[1], key[2])
            cell = cells[key]
            if _is_engine_failure(value, cell.value):
                failed.append(key)
                reason = _failure_reason(model, cell.formula)
                if reason[0] != UNREADABLE:
                    roots.append((key, reason))
            elif isinstance(value, ExcelError) and value.code == "#CIRC!" and not (
                    isinstance(cell.value, ExcelError) and cell.value.code == "#CIRC!"):
                cycle.append(key)
        if cycle:
            if any(cells[k].value is None for k in cycle):
                from xlmodel.formula.cellrefs import make_ref

                shown = ", ".join(f"{k[0]}!{make_ref(k[1], k[2])}" for k in cycle[:6])
                more = f" and {len(cycle) - 6} more" if len(cycle) > 6 else ""
                raise WorkbookError(f"circular reference through {shown}{more}")
            # saved by an application that iterated: the saved values are its answer
            roots.extend((key, (CIRCULAR, "on or after a cycle")) for key in cycle)
        if not roots:
            roots = [(key, (UNREADABLE, "IronCalc could not evaluate it")) for key in failed]
        if not roots:
            break
        for key, reason in roots:
            out.not_recomputed[key] = reason
            _keep_saved(model, cells, cells[key])
        done = {key for key, _ in roots}
        native = [k for k in native if k not in done]
        model.evaluate()
        out.passes += 1
        current = None
    read_at = out.passes

    if python_cells is not None and python_cells.keys:
        out.ours = _settle(model, python_cells, cells, out)

    # results
    # the array formulas still computed (native less what cannot be recomputed)
    grid = [k for k in grid if k not in out.not_recomputed]
    dynamic = [k for k in grid if cells[k].dynamic]
    extents = _spill_extents(model, dynamic) if dynamic else {}
    # the values read above still hold where nothing was recalculated since
    reuse = current is not None and out.passes == read_at and not dynamic
    if reuse:
        out.values = current  # and only the grids remain to be read
    for key in grid if reuse else native:
        cell = cells[key]
        s = index[key[0]]
        if cell.array_ref and not cell.dynamic:
            rect = parse_range(cell.array_ref)
        elif cell.dynamic:
            rect = extents.get(key, (key[1], key[2], key[1], key[2]))
            out.spills[key] = rect
        else:
            if not reuse:
                out.values[key] = model.get(s, key[1], key[2])
            continue
        for r in range(rect[0], rect[2] + 1):
            for c in range(rect[1], rect[3] + 1):
                out.values[(key[0], r, c)] = model.get(s, r, c)
    return out


def _too_large(text: str) -> str | None:
    """Why a formula's ranges are too large to evaluate (:func:`xlmodel.formula.parser.vet`),
    or None."""
    from xlmodel.formula.parser import RegionTooLarge, vet
    from xlmodel.formula.tokenizer import FormulaError

    try:
        vet(text)
    except RegionTooLarge as exc:
        return str(exc)
    except FormulaError:
        return None
    return None


# --- legacy formulas ---------------------------------------------------------------------------

_THEME = (
    '<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="Office">'
    '<a:themeElements><a:clrScheme name="Office">' + "".join(
        f'<a:{tag}><a:srgbClr val="{rgb}"/></a:{tag}>' for tag, rgb in zip(
            ("dk1", "lt1", "dk2", "lt2", "accent1", "accent2", "accent3", "accent4",
             "accent5", "accent6", "hlink", "folHlink"),
            ("000000", "FFFFFF", "44546A", "E7E6E6", "4472C4", "ED7D31", "A5A5A5", "FFC000",
             "5B9BD5", "70AD47", "0563C1", "954F72"), strict=True))
    + '</a:clrScheme><a:fontScheme name="Office"><a:majorFont><a:latin typeface="Calibri"/>'
    '<a:ea typeface=""/><a:cs typeface=""/></a:majorFont><a:minorFont>'
    '<a:latin typeface="Calibri"/><a:ea typeface=""/><a:cs typeface=""/></a:minorFont>'
    '</a:fontScheme><a:fmtScheme name="Office"/></a:themeElements></a:theme>')
_STYLES = (
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
    'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
    'builtinId="0"/></cellStyles></styleSheet>')


def _legacy_package(sheets: list[str], formulas: dict) -> bytes:
    """A minimal .xlsx holding only ``formulas`` ({(sheet index, row, col): text}), written
    here from text the hardened reader read, for IronCalc's reading of legacy formulas."""
    import io
    import zipfile
    from xml.sax.saxutils import escape, quoteattr

    from xlmodel.formula.cellrefs import make_ref

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            "</Types>"))
        z.writestr("_rels/.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'))
        z.writestr("xl/workbook.xml", (
            f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>' + "".join(
                f'<sheet name={quoteattr(name)} sheetId="{k + 1}" r:id="rId{k + 1}"/>'
                for k, name in enumerate(sheets)) + "</sheets></workbook>"))
        z.writestr("xl/_rels/workbook.xml.rels", (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships">' + "".join(
                f'<Relationship Id="rId{k + 1}" Type="{rel}/worksheet" '
                f'Target="worksheets/sheet{k + 1}.xml"/>' for k in range(len(sheets)))
            + "</Relationships>"))
        z.writestr("xl/styles.xml", _STYLES)
        z.writestr("xl/theme/theme1.xml", _THEME)
        by_sheet: dict[int, dict[int, list]] = {}
        for (s, r, c), text in sorted(formulas.items()):
            by_sheet.setdefault(s, {}).setdefault(r, []).append((c, text))
        for k in range(len(sheets)):
            rows = by_sheet.get(k, {})
            body = "".join(
                f'<row r="{r}">' + "".join(
                    f'<c r="{make_ref(r, c)}"><f>{escape(text)}</f><v>0</v></c>'
                    for c, text in cells)
                + "</row>" for r, cells in sorted(rows.items()))
            z.writestr(f"xl/worksheets/sheet{k + 1}.xml",
                       f'<worksheet xmlns="{main}"><sheetData>{body}</sheetData></worksheet>')
    return out.getvalue()


def legacy_readings(model: _Model, sheets: list[str], formulas: dict) -> dict:
    """IronCalc's reading of legacy formulas, with ``@`` where Excel intersects a range
    (``SIN(A1:A3)`` -> ``SIN(@A1:A3)``): {(sheet index, row, col): formula text}. Formulas
    it cannot read are left out (they get ``=@(...)``)."""
    import os
    import tempfile

    if not formulas:
        return {}
    data = _legacy_package(sheets, formulas)
    with tempfile.TemporaryDirectory(prefix="xlmodel-legacy-") as tmp:
        path = os.path.join(tmp, "legacy.xlsx")
        with open(path, "wb") as f:
            f.write(data)
        try:
            read = model.ic.load_from_xlsx(path, "en", "UTC")
        except Exception:  # noqa: BLE001 - then every formula gets =@(...)
            return {}
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise WorkbookError(f"the formula engine failed while reading legacy formulas: "
                                f"{type(exc).__name__}: {_first_line(exc)}") from None
    out = {}
    for key in formulas:
        try:
            text = read.get_cell_formula(*key)
        except Exception:  # noqa: BLE001
            continue
        if isinstance(text, str) and text.startswith("="):
            out[key] = text
    return out


def _keep_saved(model: _Model, cells: dict, cell) -> None:
    """Put a formula cell's saved value (its saved range, for an array) in its place."""
    from xlmodel.formula.cellrefs import parse_range

    s = model.index[cell.sheet]
    if cell.array_ref:
        r1, c1, r2, c2 = parse_range(cell.array_ref)
        _guarded("clearing a range", model.m.range_clear_contents, s, r1, c1, r2, c2)
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                saved = cells.get((cell.sheet, r, c))
                if saved is not None and saved.value is not None:
                    model.put(s, r, c, saved.value)
    else:
        model.put(s, cell.row, cell.col, cell.value)


def _settle(model: _Model, python_cells: PythonCells, cells: dict, out: Recalculation) -> dict:
    """Compute our cells from IronCalc's values until they stop changing."""
    index = model.index
    rects = list(python_cells.inputs())
    fed: dict[Key, object] = {}   # what IronCalc holds for our cells now, by cell
    for key in python_cells.keys:
        cell = cells[key]
        fed[key] = cell.value
        if cell.array_ref:
            r1, c1, r2, c2 = _parse(cell.array_ref)
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    other = cells.get((key[0], r, c))
                    fed[(key[0], r, c)] = None if other is None else other.value
    results: dict[Key, object] = {}
    given_up: set[Key] = set()

    def read_inputs() -> dict:
        values = {}
        for sheet, r1, c1, r2, c2 in rects:
            s = index.get(sheet)
            if s is None:
                continue
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    v = model.get(s, r, c)
                    if v is not None:
                        values[(sheet, r, c)] = v
        return values

    for attempt in range(MAX_PASSES):
        results = {k: _result(v) for k, v in python_cells.compute(read_inputs()).items()
                   if k not in given_up}
        changed, moving = {}, set()
        for key, result in results.items():
            for k, v in _layout(cells[key], result).items():
                if k not in fed or not _identical(fed[k], v):
                    changed[k] = v
                    moving.add(key)
        if not changed:
            return results
        if attempt == MAX_PASSES - 1 and moving <= python_cells.native:
            # a long chain through native cells of both engines, not through ours: those
            # still moving keep their saved values, which the cells after them then read
            for key in moving:
                given_up.add(key)
                out.not_recomputed[key] = (UNSETTLED, f"still changing after {MAX_PASSES} "
                                                      "passes between the two engines")
                model.put(index[key[0]], key[1], key[2], cells[key].value)
            model.evaluate()
            return {k: _result(v) for k, v in python_cells.compute(read_inputs()).items()
                    if k not in given_up}
        for (sheet, r, c), v in changed.items():
            fed[(sheet, r, c)] = v
            model.put(index[sheet], r, c, v)
        model.evaluate()
        out.passes += 1
    raise WorkbookError(f"the cells calling xlmodel functions did not settle after "
                        f"{MAX_PASSES} recalculations (a circular chain through them?)")


def _layout(cell, result) -> dict:
    """The cells a result of one of our calls fills, and the cells its old spill covered
    that it no longer does (None)."""
    from xlmodel.formula.values import array_of, resize

    sheet, row, col = cell.sheet, cell.row, cell.col
    if hasattr(result, "tolist") and getattr(result, "ndim", 0) == 2:
        result = result.tolist()
    grid = result if _is_grid(result) else [[result]]
    grid = [[_scalar(v) for v in line] for line in grid]
    old = _parse(cell.array_ref) if cell.array_ref else (row, col, row, col)
    if cell.dynamic:
        new = (row, col, row + len(grid) - 1, col + len(grid[0]) - 1)
    elif cell.array_ref:
        new = old
        grid = resize(array_of(grid), (old[2] - old[0] + 1, old[3] - old[1] + 1)).tolist()
    else:
        new = old
    filled = {}
    for r in range(min(old[0], new[0]), max(old[2], new[2]) + 1):
        for c in range(min(old[1], new[1]), max(old[3], new[3]) + 1):
            inside = new[0] <= r <= new[2] and new[1] <= c <= new[3]
            filled[(sheet, r, c)] = grid[r - row][c - col] if inside else None
    return filled


def _parse(ref: str):
    from xlmodel.formula.cellrefs import parse_range

    return parse_range(ref)


def _identical(a, b) -> bool:
    if isinstance(a, ExcelError) or isinstance(b, ExcelError):
        return isinstance(a, ExcelError) and isinstance(b, ExcelError) and a.code == b.code
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))
                                       and not isinstance(a, bool) and not isinstance(b, bool)):
        return False
    return a == b


def _result(v):
    """A result of one of our calls as plain Python: a value or a 2-D list of values."""
    if hasattr(v, "tolist") and getattr(v, "ndim", 0) == 2:
        v = v.tolist()
    if _is_grid(v):
        return [[_scalar(x) for x in line] for line in v]
    return _scalar(v)


def _scalar(v):
    if v is None or isinstance(v, (bool, str, float, ExcelError)):
        return v
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, int) and not isinstance(v, bool):
        return float(v)
    return v


def _is_grid(v) -> bool:
    return isinstance(v, list) and bool(v) and isinstance(v[0], list)


def _spill_extents(model: _Model, anchors: list[Key]) -> dict:
    """The range each dynamic anchor spills into, from ROWS(A1#) and COLUMNS(A1#) on a
    scratch sheet."""
    from xlmodel.formula.cellrefs import make_ref

    name = "xlmodel spill extents"
    while name in model.index:
        name += "_"
    _guarded("adding a scratch sheet", model.m.add_sheet, name)
    s = len(model.index)
    for k, (sheet, row, col) in enumerate(anchors, start=1):
        quoted = "'" + sheet.replace("'", "''") + "'!" + make_ref(row, col)
        model.formula(s, k, 1, f"=ROWS({quoted}#)")
        model.formula(s, k, 2, f"=COLUMNS({quoted}#)")
    model.evaluate()
    extents = {}
    for k, (sheet, row, col) in enumerate(anchors, start=1):
        rows, cols = model.get(s, k, 1), model.get(s, k, 2)
        if isinstance(rows, float) and isinstance(cols, float) and rows >= 1 and cols >= 1:
            extents[(sheet, row, col)] = (row, col, row + int(rows) - 1, col + int(cols) - 1)
    _guarded("removing a scratch sheet", model.m.delete_sheet, s)
    return extents
