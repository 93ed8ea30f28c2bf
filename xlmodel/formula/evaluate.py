"""The local formula engine: evaluate a workbook's formulas in dependency order.

Each formula is parsed (:mod:`~xlmodel.formula.parser`), compiled into a closure
(:mod:`~xlmodel.formula.compiler`) whose cell reads go straight to the value store
(:mod:`~xlmodel.formula.store`), and the formula cells are ordered topologically
(:mod:`~xlmodel.formula.graph`, iteratively, so chains of any length work) and each cell's
closure called once. Nothing here evaluates formula text as Python.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from xlmodel.errors import ExcelError, WorkbookError
from xlmodel.formula import functions as fn_lib
from xlmodel.formula.compiler import _Compiler
from xlmodel.formula.functions import FunctionSpec, spec_for
from xlmodel.formula.graph import (
    _any_reads,
    _cells_of,
    _contains,
    _parse_region,
    _topological_order,
    _union,
)
from xlmodel.formula.operators import _const, _final, _final_result
from xlmodel.formula.parser import (
    MAX_NESTING,
    Binary,
    Call,
    FormulaLimit,
    NameNode,
    Node,
    Percent,
    RefNode,
    SpillNode,
    Unary,
    deep_stack,
    parse,
)
from xlmodel.formula.store import Key, _Store
from xlmodel.formula.tokenizer import FormulaError
from xlmodel.formula.values import (
    MAX_COL,
    MAX_ROW,
    MISSING,
    LimitExceeded,
    Ref,
    address,
    as_array,
    from_python,
    ndarray,
    range_address,
    reset_work,
    resize,
    scalar_from_python,
)

#: How often a workbook is recomputed at most while spill ranges are still being discovered.
MAX_SPILL_PASSES = 8


@dataclass(frozen=True, slots=True)
class Formula:
    """A formula cell of the input.

    Parameters
    ----------
    text : str
        The formula, with or without the leading ``=``.
    array_ref : str, optional
        The range of a legacy array formula (``"A1:B3"``), filled exactly: a smaller result is
        padded with #N/A, a larger one truncated. With ``dynamic=True`` it is instead the range
        the formula spilled into when the workbook was saved; the cached values there belong
        to the formula and are replaced by the new spill.
    dynamic : bool
        The formula is a dynamic-array formula (saved with ``cm="1"``).
    """

    text: str
    array_ref: str | None = None
    dynamic: bool = False


class _Cell:
    """What the engine keeps per formula cell."""

    __slots__ = ("text", "ast", "error", "region", "legacy", "dynamic")

    def __init__(self, text, ast, error, region, legacy, dynamic=False):
        self.text = text
        self.ast = ast
        self.error = error
        self.region = region
        self.legacy = legacy
        self.dynamic = dynamic


# --- the engine ------------------------------------------------------------------------------


class Engine:
    """Evaluate the formulas of a workbook.

    Parameters
    ----------
    cells : mapping
        ``{(sheet, row, col): value or Formula}``, rows and columns 1-based. Values are
        float/int, str, bool, ExcelError, None or dates (turned into serial numbers).
    names : mapping, optional
        Workbook-scoped defined names: ``{name: "Sheet1!$A$1:$B$4"}`` (any formula text).
    sheets : iterable of str, optional
        Every sheet of the workbook, in order; by default the sheets that hold cells.
    strict : bool
        Raise :class:`WorkbookError` for formulas that cannot be parsed or use an unsupported
        construct. When False such cells evaluate to #NAME?.
    local_names : mapping, optional
        Sheet-scoped defined names: ``{(sheet, name): "Sheet!$A$1"}``. On its sheet (or
        written ``Sheet!name``) such a name wins over a workbook name of the same spelling.
    spill_plain : bool
        True: every formula returning an array spills (dynamic-array Excel, as when writing
        a new workbook). False: only formulas marked ``dynamic`` spill, and a plain formula
        keeps the top-left value, as Excel 365 reads a saved file (``=@F(...)``).

    Raises
    ------
    WorkbookError
        A formula cannot be parsed (strict mode), or a cell is on a sheet not in ``sheets``.
    """

    def __init__(
        self,
        cells: Mapping[Key, object],
        names: Mapping[str, str] | None = None,
        sheets: Iterable[str] | None = None,
        *,
        strict: bool = True,
        spill_plain: bool = True,
        local_names: Mapping[tuple[str, str], str] | None = None,
        max_spill: int | None = None,
    ):
        self.strict = strict
        #: Most cells one spill or array formula, and all of them together, may fill;
        #: more raises LimitExceeded.
        self.max_spill = max_spill
        self._filled = 0
        #: Formula cells that could not be parsed or compiled (non-strict mode, where they
        #: evaluate to #NAME?): key -> the FormulaError.
        self.formula_errors: dict[Key, FormulaError] = {}
        #: Defined names the formulas use that the workbook does not define: name -> cell.
        self.unknown_names: dict[str, Key] = {}
        self.spill_plain = spill_plain
        # sheet-scoped names: (SHEET, NAME) -> text; they shadow a workbook name on their sheet
        self._local_names = {
            (s.upper(), n.upper()): (v[1:] if v.startswith("=") else v)
            for (s, n), v in (local_names or {}).items()
        }
        if sheets is None:
            sheets = dict.fromkeys(k[0] for k in cells)
        sheet_list = list(sheets)
        self._sheets = {s.upper(): s for s in sheet_list}
        self._names = {
            k.upper(): (v[1:] if v.startswith("=") else v) for k, v in (names or {}).items()
        }
        self._functions: dict[str, FunctionSpec] = dict(fn_lib.FUNCTIONS)
        self._store = _Store()
        self._constants: dict[Key, object] = {}
        self._cells: dict[Key, _Cell] = {}
        self._extent: dict[str, list[int]] = {s: [1, 1] for s in sheet_list}
        self._parsed: dict[str, object] = {}  # formula text -> syntax tree or FormulaError
        with _no_gc():
            self._load(cells)
        self._compiled: dict[Key, Callable] | None = None
        self._deps: dict[Key, list[tuple]] | None = None
        self._name_fns: dict[tuple[str, str], Callable | None] = {}
        self._name_refs: dict[tuple[str, str], list[tuple]] = {}
        self._naming: set[tuple] = set()
        #: Functions the formulas call that the engine does not have: name -> first cell.
        self.unknown_functions: dict[str, Key] = {}
        self._formula_cache: dict[tuple[str, str], Callable] = {}

    def _load(self, cells: Mapping[Key, object]) -> None:
        for key, cell in cells.items():
            sheet, row, col = key
            canonical = self._sheets.get(sheet.upper())
            if canonical is None:
                raise WorkbookError(f"cell {sheet}!R{row}C{col} is on sheet {sheet!r}, "
                                    "which is not in the workbook")
            key = (canonical, int(row), int(col))
            self._grow(canonical, key[1], key[2])
            if isinstance(cell, Formula):
                self._cells[key] = self._parse_cell(key, cell)
            else:
                v = scalar_from_python(cell)
                if v is not None:
                    self._constants[key] = v

    # -- public API --------------------------------------------------------------------------

    def register_function(self, name: str, fn: Callable, *, array_args: bool = False) -> None:
        """Make ``fn`` callable from formulas as ``name`` (case-insensitive, prefixes ignored).

        With ``array_args=False`` every argument is a scalar (float, str, bool, None for blank
        or omitted); an array argument calls ``fn`` once per element and the results spill.
        With ``array_args=True`` range arguments arrive as 2-D numpy object arrays (a single
        cell too) and scalars as scalars. ``fn`` returns a scalar, a 2-D list or a numpy array;
        NaN becomes #NUM!, and any exception becomes #VALUE! with its message. An error value
        among scalar arguments is the result without calling ``fn``.
        """
        from xlmodel.formula.parser import strip_prefix

        def udf(*args):  # whatever fn raises becomes #VALUE! in _dispatch
            return from_python(fn(*[None if a is MISSING else a for a in args]))

        kind = "a" if array_args else "x"
        spec = spec_for(strip_prefix(name), udf, kind, variadic=True, min_args=0)
        self._functions[spec.name] = spec
        self._compiled = None
        self._formula_cache.clear()
        self._name_fns.clear()

    @property
    def function_names(self) -> frozenset[str]:
        """Every function name formulas may call: native and registered."""
        return frozenset(self._functions) | {"LET"}

    def calculate(self) -> dict[Key, object]:
        """Recompute every formula in dependency order and return every cell's value.

        Array results spill right and down from their cell; a spill onto a non-empty cell
        makes the formula #SPILL!. Legacy array formulas fill their range exactly.

        Raises
        ------
        WorkbookError
            A circular reference (naming cells on the cycle), a reference to a missing sheet,
            or (strict mode) a formula the engine cannot evaluate.
        """
        with _no_gc():
            return self._calculate()

    def _calculate(self) -> dict[Key, object]:
        reset_work()
        compiled = self._compile_all()
        keys = list(self._cells)
        deps = self._dependencies()
        dep_list = [deps[k] for k in keys]
        declared = {k: c.region for k, c in self._cells.items() if c.region is not None}
        base = dict(self._constants)
        for anchor, region in declared.items():
            for cell in _cells_of(anchor[0], region):  # cached spill values: replaced below
                base.pop(cell, None)
        assumed = dict(declared)
        for _ in range(MAX_SPILL_PASSES):
            order = _topological_order(keys, dep_list, assumed)
            self._run(order, keys, compiled, base)
            grown = self._grown_spills(assumed)
            if not grown or not _any_reads(grown, dep_list, keys):
                return dict(self._store.values)
            for anchor, region in grown.items():
                old = assumed.get(anchor)
                assumed[anchor] = region if old is None else _union(old, region)
        raise WorkbookError(f"spill ranges did not settle after {MAX_SPILL_PASSES} passes")

    @property
    def failures(self) -> dict[Key, str]:
        """Formula cells in whose evaluation a function raised an exception (the engine made
        it #VALUE!): key -> what was raised. Reset by each :meth:`calculate`."""
        return {k: v for k, v in self._store.failures.items() if k is not None}

    @property
    def spills(self) -> dict[Key, Ref]:
        """The range each spilling formula (and legacy array formula) covers."""
        return dict(self._store.spills)

    def extend(self, sheet: str, rows: int, cols: int) -> None:
        """Let whole columns and rows (``A:A``, ``1:1``) of ``sheet`` reach at least ``rows``
        rows and ``cols`` columns (a sheet whose values are set later holds them)."""
        canonical = self._sheet(sheet)
        ext = self._extent.get(canonical, [1, 1])
        if rows > ext[0] or cols > ext[1]:
            self._grow(canonical, rows, cols)
            self._compiled = None
            self._formula_cache.clear()
            self._name_fns.clear()

    def set_values(self, values: Mapping[Key, object]) -> None:
        """Replace the current values of all cells, e.g. with the values a workbook cached.

        Spill ranges come from the formulas' ``array_ref``. Use :meth:`evaluate_cells` or
        :meth:`evaluate_formula` afterwards to evaluate formulas against these values.
        """
        store = self._store
        loaded = {}
        for (sheet, row, col), v in values.items():
            canonical = self._sheets.get(sheet.upper())
            if canonical is None:
                raise WorkbookError(f"value for unknown sheet {sheet!r}")
            v = scalar_from_python(v)
            if v is not None:
                loaded[(canonical, row, col)] = v
        store.reset(loaded)
        for key, cell in self._cells.items():
            if cell.region is not None:
                r1, c1, r2, c2 = cell.region
                store.spills[key] = Ref(key[0], r1, c1, r2, c2)

    def evaluate_cells(self, keys: Iterable[Key]) -> dict[Key, object]:
        """Evaluate some formula cells from the current values, without recomputing others.

        Returns each cell's result as a scalar or a 2-D array (for a spilling result); the
        stored values are left unchanged.
        """
        with _no_gc():
            reset_work()
            results = {}
            for key in keys:
                key = (self._sheet(key[0]), key[1], key[2])
                cell = self._cells.get(key)
                if cell is None:
                    raise WorkbookError(f"{address(*key)} is not a formula cell")
                # compile just the cells asked for: local checks touch few of them
                f = (self._compiled or {}).get(key) or self._compile_cell(key, cell)
                self._store.current = key
                try:
                    results[key] = self._result(f())
                except LimitExceeded as exc:
                    raise _at(key, exc) from None
            return results

    def check_references(self) -> None:
        """Check the dependency graph without evaluating anything.

        Raises
        ------
        WorkbookError
            A circular reference (naming cells on the cycle) or a reference to a missing
            sheet.
        """
        with _no_gc():
            keys = list(self._cells)
            deps = self._dependencies()
            declared = {k: c.region for k, c in self._cells.items() if c.region is not None}
            _topological_order(keys, [deps[k] for k in keys], declared)

    def evaluate_formula(self, text: str, sheet: str, cell: Key | None = None) -> object:
        """Evaluate one formula on ``sheet`` against the current values.

        ``cell`` is the cell the formula is taken to be in (for ROW() and implicit
        intersection); by default A1 of the sheet. Returns a scalar or a 2-D array.
        """
        canonical = self._sheet(sheet)
        cell = cell or (canonical, 1, 1)
        cache_key = (text, canonical, cell)
        f = self._formula_cache.get(cache_key)
        with deep_stack():
            if f is None:
                ast = parse(text)
                f = _Compiler(self, canonical, cell).ref(ast)
                if len(self._formula_cache) > 10_000:
                    self._formula_cache.clear()
                self._formula_cache[cache_key] = f
            return self._result(f())

    def references(self, text: str, sheet: str) -> list[Ref]:
        """Every rectangle of cells a formula reads (defined names resolved)."""
        with deep_stack():
            return [Ref(*r) for r in self._rects(parse(text), self._sheet(sheet), frozenset())]

    def cell_references(self, key: Key) -> list[Ref] | None:
        """Every rectangle of cells a formula cell of the engine reads, from the syntax tree
        it already holds; None for a cell that is not one of its readable formulas."""
        cell = self._cells.get(key)
        if cell is None or cell.ast is None:
            return None
        with deep_stack():
            return [Ref(*r) for r in self._rects(cell.ast, key[0], frozenset())]

    def value(self, sheet: str, row: int, col: int) -> object:
        """The current value of one cell (None for blank)."""
        return self._store.values.get((self._sheet(sheet), row, col))

    # -- internals ---------------------------------------------------------------------------

    def _grow(self, sheet: str, row: int, col: int) -> None:
        ext = self._extent.setdefault(sheet, [1, 1])
        if row > ext[0]:
            ext[0] = row
        if col > ext[1]:
            ext[1] = col

    def _sheet(self, name: str) -> str:
        canonical = self._sheets.get(name.upper())
        if canonical is None:
            raise WorkbookError(f"reference to missing sheet {name!r}")
        return canonical

    def _parse_cell(self, key: Key, cell: Formula) -> _Cell:
        ast = error = None
        # one parse per distinct text: a column of calls with the same arguments shares its
        # syntax tree (trees are never changed once parsed; each cell compiles its own)
        parsed = self._parsed.get(cell.text)
        if parsed is None:
            try:
                parsed = parse(cell.text)
            except FormulaError as exc:
                parsed = exc
            self._parsed[cell.text] = parsed
        if isinstance(parsed, FormulaError):
            if self.strict:
                raise WorkbookError(f"{address(*key)}: {parsed}") from None
            error = ExcelError("#NAME?", str(parsed))
            self.formula_errors[key] = parsed
        else:
            ast = parsed
        region = None
        if cell.array_ref:
            region = _parse_region(cell.array_ref, key)
            self._grow(key[0], region[2], region[3])
        return _Cell(cell.text, ast, error, region, region is not None and not cell.dynamic,
                     cell.dynamic)

    def _resolve(self, node: RefNode, sheet: str) -> Ref:
        target = sheet if node.sheet is None else self._sheet(node.sheet)
        r1, c1, r2, c2 = node.r1, node.c1, node.r2, node.c2
        if r1 is None:
            r1, r2 = 1, self._extent.get(target, [1, 1])[0]
        if c1 is None:
            c1, c2 = 1, self._extent.get(target, [1, 1])[1]
        return Ref(target, r1, c1, r2, c2)

    def _compile_all(self) -> dict[Key, Callable]:
        if self._compiled is not None:
            return self._compiled
        compiled = {}
        for key, cell in self._cells.items():
            compiled[key] = self._compile_cell(key, cell)
        self._compiled = compiled
        return compiled

    def _compile_cell(self, key: Key, cell: _Cell) -> Callable:
        if cell.error is not None:
            return _const(cell.error)
        try:
            return _Compiler(self, key[0], key).ref(cell.ast)
        except FormulaError as exc:
            if self.strict:
                raise WorkbookError(f"{address(*key)}: {exc}") from None
            self.formula_errors[key] = exc
            return _const(ExcelError("#NAME?", str(exc)))
        except WorkbookError as exc:
            raise WorkbookError(f"{address(*key)}: {exc}") from None

    def _name_text(self, upper: str, sheet: str, qualifier: str | None) -> tuple[str, str] | None:
        """(text, sheet to read it on) of a name used on ``sheet``, or ``qualifier!name``."""
        scope = self._sheets.get(qualifier.upper(), qualifier) if qualifier else sheet
        text = self._local_names.get((scope.upper(), upper))
        if text is not None:
            return text, scope
        if qualifier is None and upper in self._names:
            return self._names[upper], sheet
        return None

    def _name_closure(self, upper: str, sheet: str,
                      qualifier: str | None = None) -> Callable | None:
        return self._through_name(
            self._name_fns, upper, sheet, qualifier, None,
            lambda text, context: _Compiler(self, context, (context, 1, 1)).ref(parse(text)))

    def _through_name(self, memo: dict, upper: str, sheet: str, qualifier: str | None,
                      absent, build: Callable):
        """What ``build(text, context)`` makes of a defined name, once per name and scope;
        ``absent`` when the name is not defined. A name that refers to itself, or names
        nested deeper than formulas may nest, are errors."""
        key = (upper, sheet, qualifier)
        if key in memo:
            return memo[key]
        found = self._name_text(upper, sheet, qualifier)
        if found is None:
            return absent
        if key in self._naming:
            raise FormulaError(f"defined name {upper} refers to itself")
        if len(self._naming) >= MAX_NESTING:
            raise FormulaLimit(f"defined names nest more than {MAX_NESTING} levels deep "
                               f"(at {upper})")
        self._naming.add(key)
        try:
            made = build(*found)
        finally:
            self._naming.discard(key)
        memo[key] = made
        return made

    def _dependencies(self) -> dict[Key, list[tuple]]:
        if self._deps is None:
            deps = {}
            for key, cell in self._cells.items():
                if cell.ast is None:
                    deps[key] = []
                    continue
                try:
                    deps[key] = self._rects(cell.ast, key[0], frozenset())
                except WorkbookError as exc:
                    raise WorkbookError(f"{address(*key)}: {exc}") from None
            self._deps = deps
        return self._deps

    def _rects(self, node: Node, sheet: str, local: frozenset[str]) -> list[tuple]:
        """Rectangles ``(sheet, r1, c1, r2, c2)`` whose values a syntax tree may read."""
        out: list[tuple] = []
        self._collect(node, sheet, local, out)
        return out

    def _collect(self, node: Node, sheet: str, local: frozenset[str], out: list) -> None:
        t = type(node)
        if t is RefNode:
            r = self._resolve(node, sheet)
            out.append((r.sheet, r.r1, r.c1, r.r2, r.c2))
        elif t is SpillNode:
            r = self._resolve(node.anchor, sheet)
            out.append((r.sheet, r.r1, r.c1, r.r1, r.c1))
        elif t is NameNode:
            upper = node.name.upper()
            if upper in local and node.sheet is None:
                return
            out.extend(self._name_rects(upper, sheet, node.sheet))
        elif t is Binary:
            if node.op == ":":
                inner: list[tuple] = []
                self._collect(node.left, sheet, local, inner)
                self._collect(node.right, sheet, local, inner)
                out.extend(inner)
                same = {r[0] for r in inner}
                if len(same) == 1:  # a dynamic range spans everything between its ends
                    out.append((inner[0][0], min(r[1] for r in inner), min(r[2] for r in inner),
                                max(r[3] for r in inner), max(r[4] for r in inner)))
            else:
                self._collect(node.left, sheet, local, out)
                self._collect(node.right, sheet, local, out)
        elif t is Unary or t is Percent:
            self._collect(node.operand, sheet, local, out)
        elif t is Call:
            args = node.args
            if node.name == "LET":
                bound = set(local)
                for i, arg in enumerate(args):
                    if i % 2 == 0 and i < len(args) - 1 and type(arg) is NameNode:
                        bound.add(arg.name.upper())
                    else:
                        self._collect(arg, sheet, frozenset(bound), out)
                return
            reference_only = node.name in fn_lib.REFERENCE_ONLY
            for arg in args:
                if reference_only and type(arg) is RefNode:
                    self._resolve(arg, sheet)  # still a missing-sheet error
                    continue
                self._collect(arg, sheet, local, out)

    def _name_rects(self, upper: str, sheet: str, qualifier: str | None = None) -> list[tuple]:
        return self._through_name(
            self._name_refs, upper, sheet, qualifier, [],
            lambda text, context: self._rects(parse(text), context, frozenset()))

    def _run(self, order: list[int], keys: list[Key], compiled, base: dict) -> None:
        store = self._store
        store.reset(base)
        self._filled = 0  # cells filled by spills and array formulas in this pass
        for i in order:
            key = keys[i]
            store.current = key
            try:
                self._write(key, compiled[key]())
            except LimitExceeded as exc:
                raise _at(key, exc) from None

    def _write(self, key: Key, result: object) -> None:
        store = self._store
        values = store.values
        if type(result) is Ref:
            result = store.read(result)
        cell = self._cells[key]
        sheet, row, col = key
        if cell.legacy:
            r1, c1, r2, c2 = cell.region
            self._spill_size(key, r2 - r1 + 1, c2 - c1 + 1)
            filled = resize(as_array(result), (r2 - r1 + 1, c2 - c1 + 1))
            for (i, j), x in np.ndenumerate(filled):
                store.set((sheet, r1 + i, c1 + j), _final(x))
            if (r1, c1) != (r2, c2):
                store.spills[key] = Ref(sheet, r1, c1, r2, c2)
            return
        if type(result) is not ndarray:
            store.set(key, _final(result))
            return
        rows, cols = result.shape
        if rows == 1 and cols == 1 or not (self.spill_plain or cell.dynamic):
            # a formula saved without dynamic-array metadata opens in Excel 365 as =@F(...):
            # implicit intersection, the top-left value only
            store.set(key, _final(result[0, 0]))
            return
        r2, c2 = row + rows - 1, col + cols - 1
        if r2 > MAX_ROW or c2 > MAX_COL:
            store.set(key, ExcelError("#SPILL!", "the spill range runs off the sheet"))
            return
        self._spill_size(key, rows, cols)
        formulas = self._cells
        for i in range(rows):
            for j in range(cols):
                target = (sheet, row + i, col + j)
                if (i or j) and (target in formulas or values.get(target) is not None):
                    store.set(key, ExcelError(
                        "#SPILL!", f"spill range {range_address(sheet, row, col, r2, c2)} "
                        f"is blocked at {address(*target)}"
                    ))
                    return
        for (i, j), x in np.ndenumerate(result):
            store.set((sheet, row + i, col + j), _final(x))
        store.spills[key] = Ref(sheet, row, col, r2, c2)

    def _spill_size(self, key: Key, rows: int, cols: int) -> None:
        if self.max_spill is None:
            return
        if rows * cols > self.max_spill:
            raise LimitExceeded(f"{address(*key)}: the formula fills {rows:,} x {cols:,} "
                                f"cells, more than the {self.max_spill:,} allowed")
        self._filled += rows * cols
        if self._filled > self.max_spill:
            raise LimitExceeded(f"{address(*key)}: spills and array formulas fill more than "
                                f"the {self.max_spill:,} cells allowed in all")

    def _grown_spills(self, assumed: Mapping[Key, tuple]) -> dict[Key, tuple]:
        grown = {}
        for anchor, ref in self._store.spills.items():
            region = (ref.r1, ref.c1, ref.r2, ref.c2)
            old = assumed.get(anchor)
            if old is None or not _contains(old, region):
                grown[anchor] = region
        return grown

    def _result(self, v: object) -> object:
        if type(v) is Ref:
            v = self._store.read(v)
        return _final_result(v)


def _at(key: Key, exc: LimitExceeded) -> LimitExceeded:
    where = address(*key)
    text = str(exc)
    return LimitExceeded(text if text.startswith(where) else f"{where}: {text}")


@contextlib.contextmanager
def _no_gc():
    """Pause the cyclic garbage collector.

    Compiling creates many small closures; with the collector on, each generation-2 pass walks
    every object of the workbook again, which makes large workbooks quadratic. Nothing built
    here forms reference cycles that need collecting promptly.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        with deep_stack():  # vetted formulas bound the depth of every syntax tree
            yield
    finally:
        if enabled:
            gc.enable()


