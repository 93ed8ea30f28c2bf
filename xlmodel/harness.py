"""The headless harness: recompute a saved workbook and compare with the values saved in it.

Two modes:

* ``local``: each cell that calls one of our functions is recomputed from the *saved*
  values of its arguments (argument expressions and nested calls are evaluated too). A
  regression in one function shows up alone, whatever the rest of the chain does.
* ``full``: the whole workbook is recomputed from its input cells, native formulas on
  IronCalc (:mod:`xlmodel.engine`) and our functions by the catalogue, and every formula
  cell is compared. A cell that cannot be recomputed (an external link, a 3-D reference,
  a data table, a function no engine has ...) keeps its saved value and is reported as
  *not recomputed*, with its reason; ``strict`` makes those failures.

Nothing in a file is ever executed: :mod:`xlmodel.ooxml` reads the package first, with
limits on size, ratio and cell count, and the engines only ever see what it read (formula
text, cell by cell); macros are ignored.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from xlmodel import ooxml
from xlmodel.errors import ExcelError, WorkbookError, as_excel_error

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
    """"value", "spill size" when a spilled range changed shape, or "not recomputed"
    (strict checks, and our own calls that could not be recomputed)."""

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
    keep_cells: bool = field(default=False, repr=False)
    """Whether :attr:`saved` and :attr:`formulas` are filled (``check(keep_cells=True)``)."""
    saved: dict = field(default_factory=dict, repr=False)
    """(sheet, ref) -> saved value of every compared cell, with ``keep_cells``."""
    formulas: dict = field(default_factory=dict, repr=False)
    """(sheet, ref) -> the formula that computes it (the spill's, for a filled cell), with
    ``keep_cells``."""
    not_recomputed: dict = field(default_factory=dict)
    """(sheet, ref) -> (reason, detail, formula) of each formula cell that kept its saved
    value; :data:`xlmodel.engine.REASONS` lists the reasons."""
    strict: bool = False
    fingerprint: tuple | None = field(default=None, repr=False)
    """The file as it was read (ooxml.fingerprint): update refuses a file changed since."""

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def reasons(self) -> dict[str, int]:
        """How many cells were not recomputed, by reason."""
        counts: dict[str, int] = {}
        for reason, _detail, _formula in self.not_recomputed.values():
            counts[reason] = counts.get(reason, 0) + 1
        return counts


# --- comparison -------------------------------------------------------------------------------

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


# --- loading ----------------------------------------------------------------------------------

@dataclass
class _Loaded:
    data: ooxml.WorkbookData
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
    """Native formula cells full mode computes on the Python side (:mod:`xlmodel.fixes`)."""
    too_large: dict = field(default_factory=dict)
    """Native formula cells with a range too large to evaluate -> why (kept, not recomputed)."""


def _called_names(text: str, where: str | None = None) -> list[str]:
    """The functions a formula calls. A formula that mentions one of ours but cannot be
    read (an external or 3-D reference, a formula past Excel's limits) is refused where
    ``where`` names it: it would otherwise pass unchecked."""
    from xlmodel.engine import called_names

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


def _column(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


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
            MAX_NESTING, MAX_ARGUMENTS, MAX_REGION_CELLS))
    long_digits, exponent, cell_range, nesting, arguments, region = _QUICK_RE
    if len(text) > 1_000 or text.count("(") + text.count("{") > nesting or (
            text.count(",") + text.count(";") >= arguments):
        return False
    # a long number: 300 digits, or an exponent of three digits (each test only where it
    # can match: two simple patterns cost less than one with both)
    if len(text) >= 300 and long_digits.search(text):
        return False
    if ("e" in text or "E" in text) and exponent.search(text):
        return False
    colons = text.count(":")
    if not colons:
        return True
    found = cell_range.findall(text)
    if len(found) != colons:
        return False
    for a, r1, b, r2 in found:
        rows = abs(int(r2) - int(r1)) + 1
        if rows * 16_384 > region and rows * (abs(_column(b) - _column(a)) + 1) > region:
            return False
    return True


def _array_hint(text: str) -> bool:
    if "(" not in text:
        return False
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


def _names_calling_ours(data: ooxml.WorkbookData) -> tuple[set[str], set[str]]:
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


def load(path: str | os.PathLike[str], mode: str = "full", **limits) -> _Loaded:
    """Read a workbook (through the hardened reader) and find the cells calling our functions.

    The engine returned evaluates our calls: only those cells (and array anchors, which
    ``#`` references need) are formulas to it; every other cell is a value, set before
    each evaluation (the saved values in local mode, IronCalc's in full mode).
    """

    limits.setdefault("max_cells", MAX_CELLS)
    limits.setdefault("max_rows", MAX_ROWS)
    return from_data(ooxml.read_workbook(path, **limits), mode, limits["max_cells"])


def from_data(data: ooxml.WorkbookData, mode: str = "full",
              max_cells: int = MAX_CELLS) -> _Loaded:
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
        if ours_re.search(text.upper()) is not None:  # _may_call_ours
            # (the engine parses these cells: one it cannot read is refused, _unreadable)
            names = _called_names(text)
            called.update(names)
            ours = any(spellings.catalogue_name(n) for n in names)
        if not ours and our_names:
            ours = _mentions(text, our_names)
        try:
            if not _plainly_within_limits(text) or _array_hint(text):
                _vet(text, f"{cell.sheet}!{cell.ref}", ours)  # (the common case skips it)
            big = _mentioned(text, big_names) if big_names else None
            if big:
                if ours:
                    raise WorkbookError(f"{cell.sheet}!{cell.ref}: {big_names[big[0]]}")
                raise RegionTooLarge(big_names[big[0]])
        except RegionTooLarge as exc:
            # a native formula Excel may well have saved: it keeps its saved value
            too_large[key] = str(exc)
        fixed = not ours and key not in too_large and _needs_fix(text)
        if ours:
            udf_keys.append(key)
        elif fixed:
            fixed_keys.append(key)
        if ours or fixed or (cell.array_ref is not None and key not in too_large):
            cells[key] = Formula(cell.formula, cell.array_ref, dynamic=cell.dynamic)
    if mode == "full" and any(isinstance(c.value, str) and len(c.value) > MAX_TEXT // 2
                              for c in by_key.values()):
        # a text long enough that joining two passes Excel's 32,767 characters: IronCalc
        # has no such limit, so text formulas are computed on the Python side, which has
        _text_on_python_side(formulas, cells, udf_keys, fixed_keys, too_large)
    names = {n.name: n.text for n in data.defined_names if n.workbook_scoped}
    local_names = {(n.scope, n.name): n.text for n in data.defined_names if not n.workbook_scoped}
    engine = Engine(cells, names, data.sheet_names, strict=False, spill_plain=False,
                    local_names=local_names, max_spill=max_cells)
    spellings.register(engine, called)
    if fixed_keys:
        from xlmodel.fixes import FIXES

        for name, fn in FIXES.items():
            engine.register_function(name, fn)
    return _Loaded(data, engine, _Saved(by_key), formulas, udf_keys, mode, fixed_keys,
                   too_large)


_FIX_HINT: list = []
_TEXT_OPS_RE: list = []


def _text_on_python_side(formulas, cells, udf_keys, fixed_keys, too_large) -> None:
    from xlmodel.engine import called_functions
    from xlmodel.formula import Formula

    if not _TEXT_OPS_RE:
        import re

        _TEXT_OPS_RE.append(re.compile(r"&|CONCAT|REPT\(|SUBSTITUTE\(|TEXTJOIN\("))
    _needs_fix("")  # the set of functions the Python side has
    python_side = _FIX_HINT[1]
    ours, fixed = set(udf_keys), set(fixed_keys)
    for key, cell in formulas.items():
        if key in ours or key in fixed or key in too_large or cell.array_ref or cell.dynamic:
            continue
        if _TEXT_OPS_RE[0].search(cell.formula.upper()) and set(
                called_functions(cell.formula)) <= python_side:
            fixed_keys.append(key)
            cells[key] = Formula(cell.formula, cell.array_ref, dynamic=cell.dynamic)


def _needs_fix(formula: str) -> bool:
    """The formula calls a function IronCalc gets wrong (:mod:`xlmodel.fixes`) and only
    functions the Python side has, so full mode computes it there."""
    if not _FIX_HINT:
        import re

        from xlmodel.fixes import FIXES
        from xlmodel.formula import NATIVE_FUNCTIONS

        _FIX_HINT.append(re.compile("|".join(re.escape(n + "(") for n in FIXES)))
        _FIX_HINT.append(frozenset(NATIVE_FUNCTIONS) | frozenset(FIXES))
    if not formula or _FIX_HINT[0].search(formula.upper()) is None:
        return False
    from xlmodel.engine import called_functions

    return set(called_functions(formula)) <= _FIX_HINT[1]


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
    """Our calls, for :func:`xlmodel.engine.recalculate`: evaluated by the formula engine of
    :mod:`xlmodel.formula` from the values IronCalc gives the cells they read."""

    def __init__(self, wb: _Loaded):
        self.wb = wb
        self.keys = list(wb.udf_keys) + (list(wb.fixed_keys) if wb.mode == "full" else [])
        self._grouped: dict | None = None

    def inputs(self):
        engine, seen, known = self.wb.engine, set(), {}
        for key in self.keys:
            text = self.wb.formulas[key].formula
            if (text, key[0]) in known:
                continue
            try:
                refs = engine.references(text, key[0])
            except Exception:  # noqa: BLE001 - evaluating it gives the error value
                continue
            known[(text, key[0])] = True
            for ref in refs:
                r2 = min(ref.r2, ooxml.MAX_ROW) if ref.r2 is not None else ooxml.MAX_ROW
                c2 = min(ref.c2, ooxml.MAX_COL) if ref.c2 is not None else ooxml.MAX_COL
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
            for key in self.keys:
                cell = formulas[key]
                text = cell.formula
                if cell.array_ref is None and not cell.dynamic and _position_free(text):
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


def _clip(rect, wb: _Loaded):
    """A whole-column or whole-row reference read only as far as the sheet has cells."""
    sheet, r1, c1, r2, c2 = rect
    cells = wb.data.cells.get(sheet, {})
    if r2 - r1 > 10_000 or c2 - c1 > 1_000:
        rows = [c.row for c in cells.values()] or [1]
        cols = [c.col for c in cells.values()] or [1]
        r2, c2 = min(r2, max(rows) + 1_000), min(c2, max(cols) + 100)
    return sheet, r1, c1, max(r1, r2), max(c1, c2)


# --- checking ---------------------------------------------------------------------------------

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
        fingerprint = ooxml.fingerprint(path)
    except OSError:
        fingerprint = None  # read_workbook gives the one-line error
    wb = load(path, mode, **limits)
    max_cells = limits.get("max_cells", MAX_CELLS)
    report = Report(str(path), mode, udf_cells=len(wb.udf_keys), fingerprint=fingerprint,
                    keep_cells=keep_cells)
    if mode == "full":
        from xlmodel import engine

        _circular_through_ours(wb)
        tables = None
        if any("[" in cell.formula for cell in wb.formulas.values()):
            from xlmodel.tables import read_tables

            tables = read_tables(path, wb.data, **limits)
        try:
            rec = engine.recalculate(wb.data, OurCalls(wb), cells=wb.saved.cells,
                                     tables=tables, kept={
                                         k: (engine.TOO_LARGE, why)
                                         for k, why in wb.too_large.items()})
        except (WorkbookError, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # a bug here must still be one line, never a traceback
            raise WorkbookError(f"{path}: full recalculation failed: {type(exc).__name__}: "
                                f"{str(exc).splitlines()[0][:200] if str(exc) else ''}") from None
        ours = set(wb.udf_keys)
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
    else:
        # the cells our calls read, through any chain of formulas: a cycle through our
        # calls, or a reference to a missing sheet, is refused
        _circular_through_ours(wb)
        wb.engine.set_values(wb.saved)
        keys = wb.udf_keys
        results = wb.engine.evaluate_cells(keys)
        spills = {}
        for k, v in results.items():
            if _is_array(v):
                rows, cols = len(v), len(v[0])
                if k[1] + rows - 1 > ooxml.MAX_ROW or k[2] + cols - 1 > ooxml.MAX_COL:
                    results[k] = ExcelError("#SPILL!", "the spill range runs off the sheet")
                    continue
                spills[k] = (k[1], k[2], k[1] + rows - 1, k[2] + cols - 1)
        _spill_bounds(spills, max_cells)
        _unreadable(wb, keys)
        _failed(wb, results)
    udf = set(wb.udf_keys)
    recomputed, saved, mismatches = report.recomputed, wb.saved, report.mismatches
    for key in keys:
        result = results.get(key)
        if key in udf and _our_call_failed(wb, report, key, result):
            continue
        cell = wb.formulas[key]
        if cell.array_ref is None and not cell.dynamic and (type(result) is float
                                                            or not _is_array(result)):
            # the common case: one plain cell
            value = result if type(result) is float else _plain(result)
            recomputed[(key[0], cell.ref)] = value
            if report.keep_cells:
                report.saved[(key[0], cell.ref)] = saved.get(key)
                report.formulas[(key[0], cell.ref)] = "=" + cell.formula
            report.checked += 1
            if not same(saved.get(key), value, rtol, atol):
                mismatches.append(Mismatch(key[0], cell.ref, "=" + cell.formula,
                                           saved.get(key), value,
                                           difference(saved.get(key), value)))
            continue
        _compare_cell(report, wb, key, result, spills.get(key), rtol, atol)
    return report


def _spill_bounds(spills: dict, max_cells: int) -> None:
    """Spills together fill at most ``max_cells`` cells (--max-cells)."""
    filled = 0
    for k, (r1, c1, r2, c2) in spills.items():
        n = (r2 - r1 + 1) * (c2 - c1 + 1)
        filled += n
        if n > max_cells or filled > max_cells:
            raise WorkbookError(f"{k[0]}!{ooxml.make_ref(k[1], k[2])}: the result fills "
                                f"{r2 - r1 + 1:,} x {c2 - c1 + 1:,} cells: spills may fill "
                                f"at most {max_cells:,} cells in all (--max-cells)")


def _unreadable(wb: _Loaded, keys, names: bool = True) -> None:
    """Local mode: a call the engine could not parse or compile evaluates to #NAME?; that
    is a reason to stop, not a value to compare or to write back. So is a defined name
    that the workbook does not define, even where IFERROR would hide it."""
    errors = wb.engine.formula_errors
    for key in keys:
        exc = errors.get(key)
        if exc is not None:
            sheet, row, col = key
            raise WorkbookError(f"{sheet}!{ooxml.make_ref(row, col)}: {exc}: the harness "
                                f"cannot evaluate this formula in {wb.mode} mode")
    if not names:
        return
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


def _native_grid(wb: _Loaded, rec, key):
    """IronCalc's values for a native formula cell: one value, or the grid it fills."""
    cell = wb.formulas[key]
    sheet = key[0]
    if cell.dynamic:
        r1, c1, r2, c2 = rec.spills.get(key, (key[1], key[2], key[1], key[2]))
    elif cell.array_ref:
        r1, c1, r2, c2 = ooxml.parse_range(cell.array_ref)
    else:
        return _text_limit(rec.values.get(key))
    return [[_text_limit(rec.values.get((sheet, r, c))) for c in range(c1, c2 + 1)]
            for r in range(r1, r2 + 1)]


#: Excel's longest text in a cell; a longer result is #VALUE! (IronCalc has no such limit).
MAX_TEXT = 32_767


def _text_limit(value):
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return ExcelError("#VALUE!", f"text of {len(value):,} characters, more than Excel's "
                          f"{MAX_TEXT:,}")
    return value


def _circular_through_ours(wb: _Loaded) -> None:
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
            raise WorkbookError(f"{key[0]}!{ooxml.make_ref(key[1], key[2])}: {exc}") from None
        except Exception:  # noqa: BLE001 - a formula it cannot read: no known edges
            refs = []
        for ref in refs:
            r1, c1 = ref.r1 or 1, ref.c1 or 1
            r2 = min(ref.r2 or ooxml.MAX_ROW, ooxml.MAX_ROW)
            c2 = min(ref.c2 or ooxml.MAX_COL, ooxml.MAX_COL)
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
                shown = ", ".join(f"{k[0]}!{ooxml.make_ref(k[1], k[2])}"
                                  for k in component[:6])
                more = f" and {len(component) - 6} more" if len(component) > 6 else ""
                what = "an xlmodel call" if any(k in ours for k in component) else "cells"
                raise WorkbookError(f"circular reference through {what}: {shown}{more}")

def _our_call_failed(wb: _Loaded, report: Report, key, result) -> bool:
    """One of our calls that could not be evaluated (a function or a name the engine does
    not know among its arguments) is a failure of the check, never skipped."""
    from xlmodel.engine import called_functions

    cell = wb.formulas[key]
    missing = wb.engine.unknown_functions
    unknown = [n for n in called_functions(cell.formula) if n in missing] if missing else []
    first = _grid(result)[0][0]
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
        from xlmodel.formula.values import array_of, as_array, resize

        grid = resize(array_of(result) if _is_array(result) and isinstance(result, list)
                      else as_array(result), shape).tolist()
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
                    report.recomputed[(sheet, ooxml.make_ref(r, c))] = None


def _grid(result) -> list[list]:
    if _is_array(result):
        return [list(r) for r in result]
    return [[result]]


def _cell_of(grid, i, j, wb, sheet, r, c):
    if i < len(grid) and j < len(grid[0]):
        return _plain(grid[i][j])
    return None


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
    ``report`` read it, or is read-only. Cells that were not recomputed keep their saved
    values.
    """
    values = {k: v for k, v in report.recomputed.items() if k not in report.not_recomputed}
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
    """A readable table of mismatches (or a one-line pass), then the cells that were not
    recomputed, counted by reason."""
    head = (f"{report.path}: {report.mode} mode, {report.checked} cells checked "
            f"({report.udf_cells} call xlmodel functions)")
    if report.not_recomputed:
        head += f", {len(report.not_recomputed)} not recomputed"
    tail = _not_recomputed_lines(report, limit)
    if report.ok:
        return "\n".join([head + ": all match", *tail])
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
    return "\n".join(lines + tail)


def _not_recomputed_lines(report: Report, limit: int) -> list[str]:
    if not report.not_recomputed:
        return []
    counts = ", ".join(f"{reason}: {n}" for reason, n in report.reasons().items())
    verdict = "failures (--strict)" if report.strict else "saved values kept"
    lines = [f"  not recomputed ({verdict}): {counts}"]
    for k, ((sheet, ref), (reason, detail, formula)) in enumerate(
            report.not_recomputed.items()):
        if k >= limit:
            lines.append(f"    ... and {len(report.not_recomputed) - limit} more")
            break
        shown = formula if len(formula) <= 60 else formula[:57] + "..."
        lines.append(f"    {sheet}!{ref}  {shown}  {reason} ({detail})")
    return lines


def to_json(reports: Iterable[Report]) -> list[dict]:
    return [{
        "path": r.path, "mode": r.mode, "ok": r.ok, "checked": r.checked,
        "udf_cells": r.udf_cells,
        "strict": r.strict,
        "not_recomputed": {
            "count": len(r.not_recomputed),
            "by_reason": r.reasons(),
            "cells": [{"cell": f"{sheet}!{ref}", "formula": formula, "reason": reason,
                       "detail": detail}
                      for (sheet, ref), (reason, detail, formula) in r.not_recomputed.items()],
        },
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
        out = ""
        if r.not_recomputed:
            out = ("\n    <system-out>" + escape("\n".join(_not_recomputed_lines(r, 1000)))
                   + "</system-out>")
        if r.ok and not out:
            cases.append(f'  <testcase classname="xlmodel.check" name={name}/>')
        elif r.ok:
            cases.append(f'  <testcase classname="xlmodel.check" name={name}>{out}\n'
                         "  </testcase>")
        else:
            msg = quoteattr(f"{len(r.mismatches)} cell(s) differ")
            cases.append(f'  <testcase classname="xlmodel.check" name={name}>\n'
                         f'    <failure message={msg}>{escape(format_report(r))}</failure>'
                         f'{out}\n  </testcase>')
    for path, err in errors.items():
        cases.append(f'  <testcase classname="xlmodel.check" name={quoteattr(Path(path).name)}>'
                     f'\n    <error message={quoteattr(err)}/>\n  </testcase>')
    failures = sum(not r.ok for r in reports)
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<testsuite name="xlmodel" tests="{len(reports) + len(errors)}" '
            f'failures="{failures}" errors="{len(errors)}">\n' + "\n".join(cases)
            + "\n</testsuite>\n")
