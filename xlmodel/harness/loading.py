"""Read a workbook through the hardened reader, vet every formula against Excel's limits
before any engine sees it, and find the cells that call our functions.

:func:`load` returns a :class:`Loaded` workbook whose formula engine (:mod:`xlmodel.formula`)
evaluates our calls; :class:`OurCalls` hands those cells to the full recalculation
(:func:`xlmodel.harness.engine.recalculate`).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from xlmodel import workbook
from xlmodel.errors import WorkbookError
from xlmodel.formula.cellrefs import MAX_COL, MAX_ROW, column_number

#: Limits on what the harness reads. A model workbook of half a million cells is already
#: far past what anyone recalculates in CI; a sheet of a million rows is refused quickly
#: instead of exhausting memory. Both can be raised (``--max-cells``, ``--max-rows``).
MAX_CELLS = 500_000
MAX_ROWS = 200_000


@dataclass
class Loaded:
    data: workbook.WorkbookData
    engine: object
    """The formula engine of :mod:`xlmodel.formula`, with only our calls (and array
    anchors) as formulas: it evaluates the cells that call our functions."""
    saved: dict
    """(sheet, row, col) -> saved value of every cell."""
    formulas: dict
    """(sheet, row, col) -> Cell of every formula cell."""
    udf_keys: list
    """Formula cells that call one of our functions."""
    mode: str = "full"
    fixed_keys: list = field(default_factory=list)
    """Native formula cells full mode computes on the Python side (:mod:`xlmodel.harness.fixes`)."""
    too_large: dict = field(default_factory=dict)
    """Native formula cells with a range too large to evaluate -> why (kept, not recomputed)."""


def _called_names(text: str, where: str | None = None) -> list[str]:
    """The functions a formula calls. A formula that mentions one of ours but cannot be
    read (an external or 3-D reference, a formula past Excel's limits) is refused where
    ``where`` names it: it would otherwise pass unchecked."""
    from xlmodel.harness.formula_text import called_names

    if where is not None:
        from xlmodel.formula import find_calls
        from xlmodel.formula.tokenizer import FormulaError

        try:
            return [c.name for c in find_calls(text)]
        except FormulaError as exc:
            raise WorkbookError(f"{where}: {exc}: the harness cannot check this call") from None
    return called_names(text)


def _vet(text: str, where: str, evaluated: bool) -> None:
    """Hold a formula to Excel's limits before any engine sees it (linear, non-recursive).

    A formula past them cannot come from Excel: the file is refused. A range only too large
    to evaluate here is refused only where the formula is evaluated (``evaluated``); the
    caller decides for the others. A formula the tokenizer cannot read (an external or 3-D
    reference, a syntax it lacks) is still held to the length and nesting limits.
    """
    if _plainly_within_limits(text) and not _array_hint(text):
        return  # the common case
    from xlmodel.formula.parser import MAX_FORMULA_CHARS, MAX_NESTING, RegionTooLarge, vet
    from xlmodel.formula.tokenizer import FormulaError

    try:
        vet(text)
        _array_size(text)
    except RegionTooLarge as exc:
        if evaluated:
            raise WorkbookError(f"{where}: {exc}") from None
        raise
    except FormulaError as exc:
        from xlmodel.formula.parser import FormulaLimit

        if isinstance(exc, FormulaLimit):
            raise WorkbookError(f"{where}: {exc}") from None
        if len(text) > MAX_FORMULA_CHARS:
            raise WorkbookError(f"{where}: formula of {len(text):,} characters, more than "
                                f"Excel's {MAX_FORMULA_CHARS:,} characters") from None
        depth = deepest = 0
        quoted = None
        for ch in text:  # nesting outside text constants and quoted sheet names
            if quoted:
                if ch == quoted:
                    quoted = None
            elif ch in "\"'":
                quoted = ch
            elif ch in "({":
                depth += 1
                deepest = max(deepest, depth)
            elif ch in ")}":
                depth -= 1
        if deepest > MAX_NESTING:
            raise WorkbookError(f"{where}: formula nests more than Excel's {MAX_NESTING} "
                                "levels") from None


_ARRAY_CALL_RE: list = []
_QUICK_RE: list = []


def _plainly_within_limits(text: str) -> bool:
    """True when counting characters alone shows a formula within every limit
    :func:`xlmodel.formula.parser.vet` checks (most formulas, at a fraction of its cost):
    short, few brackets and commas, no long numbers, and every ``:`` part of a range of
    cells small enough. False means: vet it."""
    if not _QUICK_RE:
        import re

        from xlmodel.formula.parser import MAX_ARGUMENTS, MAX_NESTING, MAX_REGION_CELLS

        _QUICK_RE.extend((
            re.compile(r"\d{300}"),
            re.compile(r"(?<=[\d.])[eE][+-]?\d{3}"),
            re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7}):\$?([A-Za-z]{1,3})\$?(\d{1,7})"
                       r"(?![\w.(!:$])"),
            re.compile(r"[0-9]{5}|[A-Za-z]{3}\$?[0-9]"),
            MAX_NESTING, MAX_ARGUMENTS, MAX_REGION_CELLS))
    long_digits, exponent, cell_range, small, nesting, arguments, region = _QUICK_RE
    size = len(text)
    if size > 1_000:
        return False
    # (a formula shorter than the nesting limit can pass neither count)
    if size > nesting and (text.count("(") + text.count("{") > nesting
                           or text.count(",") + text.count(";") >= arguments):
        return False
    # a long number: 300 digits, or an exponent of three digits (each test only where it
    # can match: two simple patterns cost less than one with both)
    if size >= 300 and long_digits.search(text):
        return False
    if ("e" in text or "E" in text) and exponent.search(text):
        return False
    colons = text.count(":")
    if not colons:
        return True
    found = cell_range.findall(text)
    if len(found) != colons:
        return False
    if small.search(text) is None:
        # no row number of five digits, no column of three letters: every range is within
        # 9,999 rows by 702 columns, below the region limit (2**23 cells; a test holds it)
        return True
    for a, r1, b, r2 in found:
        rows = abs(int(r2) - int(r1)) + 1
        cols = abs(column_number(b) - column_number(a)) + 1
        if rows * MAX_COL > region and rows * cols > region:
            return False
    return True


def _array_hint(text: str, upper: str | None = None) -> bool:
    if "(" not in text:
        return False
    if upper is None:
        upper = text.upper()
    return ("SEQUENCE(" in upper or "RANDARRAY(" in upper or "MAKEARRAY(" in upper
            or "MUNIT(" in upper)


def _array_size(text: str) -> None:
    """An array function with literal dimensions past what a range may cover here
    (``SEQUENCE(100000,100000)``) is a range too large to evaluate."""
    if not _array_hint(text):
        return
    upper = text.upper()
    from xlmodel.formula.parser import MAX_REGION_CELLS, RegionTooLarge

    if not _ARRAY_CALL_RE:
        import re

        _ARRAY_CALL_RE.append(re.compile(
            r"(SEQUENCE|RANDARRAY|MAKEARRAY|MUNIT)\(\s*(\d{1,15})\s*(?:,\s*(\d{1,15}))?"))
    for m in _ARRAY_CALL_RE[0].finditer(upper):
        rows = int(m.group(2))
        cols = rows if m.group(1) == "MUNIT" else int(m.group(3) or 1)
        if rows * cols > MAX_REGION_CELLS:
            raise RegionTooLarge(f"{m.group(1)} of {rows:,} x {cols:,} cells, more than the "
                                 f"{MAX_REGION_CELLS:,} an array may hold here")


def _names_calling_ours(data: workbook.WorkbookData) -> tuple[set[str], set[str]]:
    """Defined names whose formulas call one of our functions, directly or through other
    names (upper-case), and every function the names call."""
    from xlmodel.functions import spellings

    texts = {n.name.upper(): n.text for n in data.defined_names}
    called, ours = set(), set()
    for name, text in texts.items():
        if _may_call_ours(text):
            names = _called_names(text, f"defined name {name}")
            called.update(names)
            if any(spellings.catalogue_name(n) for n in names):
                ours.add(name)
    for _ in range(len(texts)):  # names that use such names, to a fixed point
        grown = {n for n, t in texts.items() if n not in ours and _mentions(t, ours)}
        if not grown:
            break
        ours |= grown
    return ours, called


def _mentioned(text: str, names) -> list[str]:
    """The names of ``names`` (upper case) that a formula uses (all of them that it might,
    where it cannot be read)."""
    if not names:
        return []
    upper = text.upper()
    maybe = [n for n in names if n in upper]
    if not maybe:
        return []
    from xlmodel.formula.parser import NameNode, parse, walk
    from xlmodel.formula.tokenizer import FormulaError

    try:
        used = {node.name.upper() for node in walk(parse(text)) if isinstance(node, NameNode)}
    except FormulaError:
        return maybe
    return [n for n in maybe if n in used]


def _mentions(text: str, names: set[str]) -> bool:
    if not names:
        return False
    upper = text.upper()
    if not any(n in upper for n in names):
        return False
    from xlmodel.formula.parser import NameNode, parse, walk
    from xlmodel.formula.tokenizer import FormulaError

    try:
        return any(isinstance(node, NameNode) and node.name.upper() in names
                   for node in walk(parse(text)))
    except FormulaError:
        return True  # it names one and cannot be read: treated as a call, refused later


def _may_call_ours(text: str) -> bool:
    # Every spelling of our functions contains the catalogue name itself: a substring test
    # spares parsing the (many) native formulas.
    return _our_names_re().search(text.upper()) is not None


_NAMES: list = []


def _our_names_re():
    if not _NAMES:
        import re

        from xlmodel.functions.catalogue import FUNCTIONS

        names = sorted((f.name for f in FUNCTIONS), key=len, reverse=True)
        # upper-cased text and a case-sensitive pattern: ten times faster than IGNORECASE
        _NAMES.append(re.compile("|".join(map(re.escape, names))))
    return _NAMES[0]


def load(path: str | os.PathLike[str], mode: str = "full", **limits) -> Loaded:
    """Read a workbook (through the hardened reader) and find the cells calling our functions.

    The engine returned evaluates our calls: only those cells (and array anchors, which
    ``#`` references need) are formulas to it; every other cell is a value, set before
    each evaluation (the saved values in local mode, IronCalc's in full mode).
    """

    limits.setdefault("max_cells", MAX_CELLS)
    limits.setdefault("max_rows", MAX_ROWS)
    return from_data(workbook.read_workbook(path, **limits), mode, limits["max_cells"])


def from_data(data: workbook.WorkbookData, mode: str = "full",
              max_cells: int = MAX_CELLS) -> Loaded:
    """:func:`load` for a workbook the reader has already read."""
    from xlmodel.formula import Engine, Formula
    from xlmodel.formula.parser import RegionTooLarge
    from xlmodel.functions import spellings

    big_names: dict = {}  # names whose ranges are too large to evaluate -> why
    texts = {}
    for n in data.defined_names:
        # every defined name is held to Excel's limits before any engine reads it
        text = n.text[1:] if n.text.startswith("=") else n.text
        texts[n.name.upper()] = text
        try:
            _vet(text, f"defined name {n.name}", False)
        except RegionTooLarge as exc:
            big_names[n.name.upper()] = f"defined name {n.name}: {exc}"
    for _ in range(len(texts)):  # names that use such names, to a fixed point
        grown = {n: f"defined name {n} uses {big_names[m]}" for n, t in texts.items()
                 if n not in big_names for m in _mentioned(t, big_names)}
        if not grown:
            break
        big_names.update(grown)
    our_names, called = _names_calling_ours(data)
    cells, by_key, formulas, udf_keys, fixed_keys = {}, {}, {}, [], []
    too_large: dict = {}
    ours_re = _our_names_re()
    for cell in data.iter_cells():
        key = (cell.sheet, cell.row, cell.col)
        by_key[key] = cell
        text = cell.formula
        if text is None:
            continue  # values reach the engine through set_values
        formulas[key] = cell
        ours = False
        upper = text.upper()
        if ours_re.search(upper) is not None:  # _may_call_ours
            # (the engine parses these cells: one it cannot read is refused, _unreadable)
            names = _called_names(text)
            called.update(names)
            ours = any(spellings.catalogue_name(n) for n in names)
        if not ours and our_names:
            ours = _mentions(text, our_names)
        try:
            if not _plainly_within_limits(text) or _array_hint(text, upper):
                _vet(text, f"{cell.sheet}!{cell.ref}", ours)  # (the common case skips it)
            big = _mentioned(text, big_names) if big_names else None
            if big:
                if ours:
                    raise WorkbookError(f"{cell.sheet}!{cell.ref}: {big_names[big[0]]}")
                raise RegionTooLarge(big_names[big[0]])
        except RegionTooLarge as exc:
            # a native formula Excel may well have saved: it keeps its saved value
            too_large[key] = str(exc)
        fixed = not ours and key not in too_large and _needs_fix(text, upper) and (
            cell.array_ref is not None or cell.dynamic or not _intersects(text))
        if ours:
            udf_keys.append(key)
        elif fixed:
            fixed_keys.append(key)
        if ours or fixed or (cell.array_ref is not None and key not in too_large):
            cells[key] = Formula(cell.formula, cell.array_ref, dynamic=cell.dynamic)
    names = {n.name: n.text for n in data.defined_names if n.workbook_scoped}
    local_names = {(n.scope, n.name): n.text for n in data.defined_names if not n.workbook_scoped}
    engine = Engine(cells, names, data.sheet_names, strict=False, spill_plain=False,
                    local_names=local_names, max_spill=max_cells)
    if fixed_keys or udf_keys:
        # whole columns and rows (A:A, 1:1) end at the last cell the sheet has, not at the
        # last formula the engine holds
        for sheet, sheet_cells in data.cells.items():
            if sheet_cells:
                engine.extend(sheet, max(c.row for c in sheet_cells.values()),
                              max(c.col for c in sheet_cells.values()))
    spellings.register(engine, called)
    if fixed_keys or udf_keys:
        # every cell the engine computes, ours as well as native ones, calls the same
        # functions: Excel's, where IronCalc's differ
        from xlmodel.harness.fixes import ARRAY_ARGS, FIXES

        for name, fn in FIXES.items():
            engine.register_function(name, fn, array_args=name in ARRAY_ARGS)
    return Loaded(data, engine, _Saved(by_key), formulas, udf_keys, mode, fixed_keys,
                   too_large)


_FIX_HINT: list = []


def _intersects(formula: str) -> bool:
    """A plain formula with a range where one value is expected (``=A1:A3&"x"``), which Excel
    intersects with the formula's row or column: IronCalc reads those as Excel does, the
    formula engine takes the range's first cell, so such a cell stays with IronCalc."""
    from xlmodel.harness.formula_text import needs_legacy_reading

    return needs_legacy_reading(formula)


def _needs_fix(formula: str, upper: str | None = None) -> bool:
    """The formula calls a function IronCalc gets wrong (:mod:`xlmodel.harness.fixes`) and only
    functions the Python side has, so full mode computes it there."""
    if not _FIX_HINT:
        import re

        from xlmodel.formula import NATIVE_FUNCTIONS
        from xlmodel.harness.fixes import FIXES, NAMES

        _FIX_HINT.append(re.compile("&|" + "|".join(re.escape(n + "(") for n in sorted(NAMES))))
        _FIX_HINT.append(frozenset(NATIVE_FUNCTIONS) | frozenset(FIXES))
    if not formula or _FIX_HINT[0].search(formula.upper() if upper is None else upper) is None:
        return False
    from xlmodel.harness.fixes import differs
    from xlmodel.harness.formula_text import called_functions

    called = set(called_functions(formula))
    return called <= _FIX_HINT[1] and differs(formula, called)


class _Saved(Mapping):
    """(sheet, row, col) -> saved value, a view of the cells read (no second copy)."""

    __slots__ = ("cells",)

    def __init__(self, cells: dict):
        self.cells = cells

    def __getitem__(self, key):
        return self.cells[key].value

    def get(self, key, default=None):
        cell = self.cells.get(key)
        return default if cell is None else cell.value

    def __iter__(self):
        return iter(self.cells)

    def __len__(self) -> int:
        return len(self.cells)

    def items(self):
        return ((k, c.value) for k, c in self.cells.items())


class OurCalls:
    """Our calls, for :func:`xlmodel.harness.engine.recalculate`: evaluated by the formula engine of
    :mod:`xlmodel.formula` from the values IronCalc gives the cells they read."""

    def __init__(self, wb: Loaded):
        self.wb = wb
        self.keys = list(wb.udf_keys) + (list(wb.fixed_keys) if wb.mode == "full" else [])
        self._grouped: dict | None = None
        self.native = set(wb.fixed_keys) if wb.mode == "full" else set()
        #: native cells whose evaluation here raised (a defect of this side, not Excel's
        #: value) -> what failed: they keep their saved values and are reported as such
        self.failed: dict = {}

    def inputs(self):
        engine, seen, known = self.wb.engine, set(), {}
        for key in self.keys:
            text = self.wb.formulas[key].formula
            if (text, key[0]) in known:
                continue
            try:
                # from the syntax tree the engine holds; a second parse only where it has none
                refs = engine.cell_references(key)
                if refs is None:
                    refs = engine.references(text, key[0])
            except Exception:  # noqa: BLE001 - evaluating it gives the error value
                continue
            known[(text, key[0])] = True
            for ref in refs:
                r2 = min(ref.r2, MAX_ROW) if ref.r2 is not None else MAX_ROW
                c2 = min(ref.c2, MAX_COL) if ref.c2 is not None else MAX_COL
                rect = (ref.sheet, ref.r1 or 1, ref.c1 or 1, r2, c2)
                if rect not in seen:
                    seen.add(rect)
                    yield _clip(rect, self.wb)

    def compute(self, values: dict) -> dict:
        engine = self.wb.engine
        engine.set_values(values)
        groups = self._groups()
        results = engine.evaluate_cells(list(groups))
        failed = engine.failures
        again = [k for first, others in groups.items() if first in failed for k in others]
        if again:  # a call that raised: each cell is evaluated (and its failure kept)
            results.update(engine.evaluate_cells(again))
        for first, others in groups.items():
            if first not in failed:
                for key in others:
                    results[key] = results[first]
        if self.native and failed:
            saved = self.wb.saved
            for key in self.native.intersection(failed):
                self.failed[key] = failed[key]
                results[key] = saved.get(key)
        return {key: results[key] for key in self.keys}

    def _groups(self) -> dict:
        """The first cell of each set of cells that must give the same result -> the others.

        The catalogue's functions are pure, so two plain cells on one sheet with the same
        formula text compute the same value, where the text reads only single cells (no
        range, which a legacy formula intersects with its own row or column), no name (a
        name may be a range, or relative to its cell) and calls only our functions and
        functions of their arguments alone (:data:`_POSITION_FREE`)."""
        if self._grouped is None:
            groups: dict = {}
            first: dict = {}
            formulas = self.wb.formulas
            # only a text that stands in more than one cell of a sheet can be shared
            repeated = Counter((key[0], formulas[key].formula) for key in self.keys)
            for key in self.keys:
                cell = formulas[key]
                text = cell.formula
                if (repeated[(key[0], text)] > 1 and cell.array_ref is None
                        and not cell.dynamic and _position_free(text)):
                    lead = first.setdefault((key[0], text), key)
                    if lead is not key:
                        groups[lead].append(key)
                        continue
                groups[key] = []
            self._grouped = groups
        return self._grouped


#: Native functions whose result depends on their arguments alone (not on the cell that
#: calls them, the time, chance or the workbook's layout): calls that use only these and
#: ours may be computed once per formula text.
_POSITION_FREE = frozenset("""
ABS AND AVERAGE CEILING CHOOSE CONCAT CONCATENATE EXP FLOOR IF IFERROR IFNA INT ISBLANK
ISERROR ISNUMBER ISTEXT LEN LN LOG LOG10 LOWER MAX MIN MOD NOT OR POWER PRODUCT ROUND
ROUNDDOWN ROUNDUP SIGN SQRT SUM TEXT TRIM UPPER VALUE""".split())
_POSITION_FREE_TOKENS = frozenset(
    "NUMBER STRING BOOL ERROR SHEET REF FUNC OP LPAREN RPAREN COMMA LBRACE RBRACE SEMI".split())
_FREE: dict = {}


def _position_free(text: str) -> bool:
    """See :meth:`OurCalls._groups` (decided once per formula text)."""
    found = _FREE.get(text)
    if found is None:
        found = _FREE[text] = _is_position_free(text)
    return found


def _is_position_free(text: str) -> bool:
    if ":" in text or "#" in text or "@" in text or "[" in text:
        return False
    from xlmodel.formula.tokenizer import FormulaError, tokenize
    from xlmodel.functions import spellings

    try:
        tokens = tokenize(text)
    except FormulaError:
        return False
    for token in tokens:
        kind = token.kind
        if kind not in _POSITION_FREE_TOKENS:
            return False  # a name, a spill or intersection operator, a table reference
        if kind == "REF":
            r1, c1, r2, c2 = token.value
            if r1 is None or c1 is None or (r1, c1) != (r2, c2):
                return False
        elif kind == "FUNC":
            name = token.value.upper()
            for prefix in ("_XLFN.", "_XLWS."):
                name = name.removeprefix(prefix)
            if name not in _POSITION_FREE and spellings.catalogue_name(token.value) is None:
                return False
    return True


def _clip(rect, wb: Loaded):
    """A whole-column or whole-row reference read only as far as the sheet has cells."""
    sheet, r1, c1, r2, c2 = rect
    cells = wb.data.cells.get(sheet, {})
    if r2 - r1 > 10_000 or c2 - c1 > 1_000:
        rows = [c.row for c in cells.values()] or [1]
        cols = [c.col for c in cells.values()] or [1]
        r2, c2 = min(r2, max(rows) + 1_000), min(c2, max(cols) + 100)
    return sheet, r1, c1, max(r1, r2), max(c1, c2)


#: Excel's longest text in a cell; a longer result is #VALUE! (IronCalc has no such limit).
MAX_TEXT = 32_767
