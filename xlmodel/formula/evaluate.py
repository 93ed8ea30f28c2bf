"""Compile formula syntax trees to Python closures and evaluate a workbook in dependency order.

Nothing here evaluates formula text as Python: each node becomes a closure over its children's
closures, and cell reads go straight to a dict of values. A workbook is recomputed by ordering
its formula cells topologically (iteratively, so chains of any length work) and calling each
cell's closure once.
"""

from __future__ import annotations

import contextlib
import gc
import math
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from xlmodel.errors import ExcelError, WorkbookError
from xlmodel.formula import functions as fn_lib
from xlmodel.formula.cellrefs import column_number
from xlmodel.formula.functions import FunctionSpec, power, spec_for
from xlmodel.formula.parser import (
    MAX_NESTING,
    ArrayConst,
    Binary,
    Bool,
    Call,
    ErrorLit,
    FormulaLimit,
    Missing,
    NameNode,
    Node,
    Number,
    Percent,
    RefNode,
    SpillNode,
    Text,
    Unary,
    deep_stack,
    parse,
)
from xlmodel.formula.tokenizer import FormulaError
from xlmodel.formula.values import (
    ERR_DIV0,
    ERR_NUM,
    ERR_REF,
    ERR_VALUE,
    MAX_ARRAY_CELLS,
    MAX_COL,
    MAX_ROW,
    MAX_TEXT,
    MISSING,
    LimitExceeded,
    Ref,
    add,
    address,
    array_of,
    as_array,
    check_size,
    compare,
    elementwise,
    from_python,
    ndarray,
    range_address,
    reset_work,
    resize,
    scalar_from_python,
    to_bool,
    to_number,
    to_text,
)

Key = tuple[str, int, int]

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


# --- the value store and the context functions see -----------------------------------------


class _Store:
    """Current cell values, spill ranges and a cache of range arrays."""

    def __init__(self):
        self.values: dict[Key, object] = {}
        self.spills: dict[Key, Ref] = {}
        self.cache: dict[tuple, ndarray | None] = {}
        # The same values as dense per-column lists (index = row), so that reading a range
        # is a list slice per column rather than a dict lookup per cell.
        self.columns: dict[tuple[str, int], list] = {}
        #: The formula cell being evaluated, and the cells where a function raised an
        #: exception (turned into #VALUE!): key -> what was raised.
        self.current: Key | None = None
        self.failures: dict[Key | None, str] = {}

    def reset(self, values: Mapping[Key, object]) -> None:
        """Replace every value; forget spills and cached ranges."""
        self.failures.clear()
        self.values.clear()
        self.columns.clear()
        self.spills.clear()
        self.cache.clear()
        for key, v in values.items():
            self.set(key, v)

    def set(self, key: Key, v: object) -> None:
        self.values[key] = v
        sheet, r, c = key
        column = self.columns.get((sheet, c))
        if column is None:
            column = self.columns[(sheet, c)] = []
        if r >= len(column):
            column.extend([None] * (r + 1 - len(column)))
        column[r] = v

    def read(self, ref: Ref) -> object:
        if ref.r1 == ref.r2 and ref.c1 == ref.c2:
            return self.values.get((ref.sheet, ref.r1, ref.c1))
        return self.read_array(ref)

    def read_array(self, ref: Ref) -> ndarray:
        key = (ref.sheet, ref.r1, ref.c1, ref.r2, ref.c2)
        cache = self.cache
        arr = cache.get(key)
        if arr is not None:
            return arr
        # Keep a range only once it is read a second time: lookup tables are read by many
        # formulas, while running totals read a different range each and would fill memory.
        seen = key in cache
        sheet, r1, r2 = ref.sheet, ref.r1, ref.r2
        rows = r2 - r1 + 1
        if rows * (ref.c2 - ref.c1 + 1) > MAX_ARRAY_CELLS:
            check_size(rows, ref.c2 - ref.c1 + 1,
                       f"range {range_address(sheet, r1, ref.c1, r2, ref.c2)}")
        arr = np.empty((rows, ref.c2 - ref.c1 + 1), dtype=object)
        columns = self.columns
        for j, c in enumerate(range(ref.c1, ref.c2 + 1)):
            column = columns.get((sheet, c))
            if column is None or len(column) <= r1:
                continue  # np.empty of objects is already None
            part = column[r1 : r2 + 1]
            if len(part) < rows:
                part.extend([None] * (rows - len(part)))
            arr[:, j] = part
        arr.flags.writeable = False  # may be shared through the cache: nobody may change it
        cache[key] = arr if seen else None
        return arr


class _Context:
    """What a function implementation may use: values of references, the current cell."""

    __slots__ = ("store", "cell")

    def __init__(self, store: _Store, cell: Key):
        self.store = store
        self.cell = cell

    def read(self, ref: Ref) -> object:
        return self.store.read(ref)

    def read_array(self, ref: Ref) -> ndarray:
        return self.store.read_array(ref)

    def value(self, v: object) -> object:
        return self.store.read(v) if type(v) is Ref else v

    def lift(self, fn: Callable, args: list) -> object:
        positions = [k for k, a in enumerate(args) if type(a) is ndarray]
        if not positions:
            return fn(*args)
        return elementwise(fn, args, positions)


# --- operators -------------------------------------------------------------------------------


def _numbers(a: object, b: object):
    if type(a) is not float:
        a = to_number(a)
        if type(a) is ExcelError:
            return a, None
    if type(b) is not float:
        b = to_number(b)
        if type(b) is ExcelError:
            return b, None
    return a, b


def _finite(x: float) -> object:
    if x != x or x == math.inf or x == -math.inf:
        return ERR_NUM
    return x


def op_add(a, b):
    a, b = _numbers(a, b)
    return a if b is None else _finite(add(a, b))


def op_sub(a, b):
    a, b = _numbers(a, b)
    return a if b is None else _finite(add(a, -b))


def op_mul(a, b):
    a, b = _numbers(a, b)
    return a if b is None else _finite(a * b)


def op_div(a, b):
    a, b = _numbers(a, b)
    if b is None:
        return a
    if b == 0.0:
        return ERR_DIV0
    return _finite(a / b)


def op_pow(a, b):
    a, b = _numbers(a, b)
    return a if b is None else power(a, b)


def op_concat(a, b):
    a = to_text(a)
    if type(a) is ExcelError:
        return a
    b = to_text(b)
    if type(b) is ExcelError:
        return b
    if len(a) + len(b) > MAX_TEXT:
        return ExcelError("#VALUE!", f"& makes text of {len(a) + len(b):,} characters, longer "
                          f"than the {MAX_TEXT:,} a cell holds")
    return a + b


def _comparison(test: Callable[[int], bool]) -> Callable:
    def op(a, b):
        c = compare(a, b)
        if type(c) is ExcelError:
            return c
        return test(c)

    return op


_OPERATORS: dict[str, Callable] = {
    "+": op_add,
    "-": op_sub,
    "*": op_mul,
    "/": op_div,
    "^": op_pow,
    "&": op_concat,
    "=": _comparison(lambda c: c == 0),
    "<>": _comparison(lambda c: c != 0),
    "<": _comparison(lambda c: c < 0),
    ">": _comparison(lambda c: c > 0),
    "<=": _comparison(lambda c: c <= 0),
    ">=": _comparison(lambda c: c >= 0),
}


def op_neg(a):
    if type(a) is not float:
        a = to_number(a)
        if type(a) is ExcelError:
            return a
    return -a


def op_percent(a):
    if type(a) is not float:
        a = to_number(a)
        if type(a) is ExcelError:
            return a
    return a / 100.0


def _lift1(op: Callable, f: Callable) -> Callable:
    def run():
        a = f()
        if type(a) is ndarray:
            return elementwise(op, [a], [0])
        return op(a)

    return run


def _lift2(op: Callable, fa: Callable, fb: Callable) -> Callable:
    def run():
        a = fa()
        b = fb()
        ta = type(a) is ndarray
        tb = type(b) is ndarray
        if ta or tb:
            return elementwise(op, [a, b], [0, 1] if ta and tb else ([0] if ta else [1]))
        return op(a, b)

    return run


def _const(v: object) -> Callable:
    return lambda: v


# --- converters for function arguments -------------------------------------------------------


def _raw(v):
    return None if v is MISSING else v


_CONVERTERS: dict[str, Callable] = {
    "n": to_number,
    "s": to_text,
    "b": to_bool,
    "x": _raw,
    "v": _raw,
}
_LIFTED = frozenset(_CONVERTERS)
_ERRORS_PASS = frozenset({"v"})


def _final(v: object) -> object:
    """A scalar as a cell holds it: blank results are 0, NaN and infinities #NUM!."""
    t = type(v)
    if t is float:
        return _finite(v)
    if v is None or v is MISSING:
        return 0.0
    if t is int:
        return float(v)
    if t is ndarray:
        return _final(v[0, 0])
    return v


def _final_result(v: object) -> object:
    if type(v) is ndarray:
        out = np.empty(v.shape, dtype=object)
        for idx, x in np.ndenumerate(v):
            out[idx] = _final(x)
        return out[0, 0] if out.shape == (1, 1) else out
    return _final(v)


# --- the compiler ----------------------------------------------------------------------------


class _Compiler:
    """Turns one formula's syntax tree into a closure, for one cell of one engine."""

    def __init__(self, engine: Engine, sheet: str, cell: Key):
        self.engine = engine
        self.sheet = sheet
        self.cell = cell
        self.store = engine._store
        self.ctx = _Context(engine._store, cell)
        self.scope: dict[str, list] = {}

    # value mode: the closure returns a scalar or an array, never a Ref
    def value(self, node: Node) -> Callable:
        t = type(node)
        if t is Number or t is Text or t is Bool:
            return _const(node.value)
        if t is RefNode:
            ref = self.engine._resolve(node, self.sheet)
            if ref.r1 == ref.r2 and ref.c1 == ref.c2:
                get = self.store.values.get
                key = (ref.sheet, ref.r1, ref.c1)
                return lambda: get(key)
            read_array = self.store.read_array
            return lambda: read_array(ref)
        if t is Binary and node.op != ":":
            op = _OPERATORS[node.op]
            return _lift2(op, self.value(node.left), self.value(node.right))
        if t is Unary:
            if node.op == "-":
                return _lift1(op_neg, self.value(node.operand))
            if node.op == "+":
                return self.value(node.operand)
            return self._implicit_intersection(self.ref(node.operand))
        if t is Percent:
            return _lift1(op_percent, self.value(node.operand))
        f = self.ref(node)
        read = self.store.read

        def deref():
            v = f()
            return read(v) if type(v) is Ref else v

        return deref

    # reference mode: the closure may return a Ref
    def ref(self, node: Node) -> Callable:
        t = type(node)
        if t is RefNode:
            return _const(self.engine._resolve(node, self.sheet))
        if t is ErrorLit:
            return _const(ExcelError(node.code))
        if t is ArrayConst:
            arr = array_of(node.rows)
            arr.flags.writeable = False
            return _const(arr[0, 0] if arr.shape == (1, 1) else arr)
        if t is Missing:
            return _const(MISSING)
        if t is NameNode:
            return self._name(node)
        if t is SpillNode:
            anchor = self.engine._resolve(node.anchor, self.sheet)
            key = (anchor.sheet, anchor.r1, anchor.c1)
            spills = self.store.spills
            values = self.store.values

            def spill():
                ref = spills.get(key)
                if ref is not None:
                    return ref
                v = values.get(key)
                return v if type(v) is ExcelError else ERR_REF

            return spill
        if t is Binary and node.op == ":":
            return self._range_op(self.ref(node.left), self.ref(node.right))
        if t is Call:
            return self._call(node)
        return self.value(node)

    def _range_op(self, fa: Callable, fb: Callable) -> Callable:
        def run():
            a = fa()
            b = fb()
            if type(a) is ExcelError:
                return a
            if type(b) is ExcelError:
                return b
            if type(a) is not Ref or type(b) is not Ref or a.sheet != b.sheet:
                return ERR_VALUE
            return Ref(a.sheet, min(a.r1, b.r1), min(a.c1, b.c1), max(a.r2, b.r2),
                       max(a.c2, b.c2))

        return run

    def _implicit_intersection(self, f: Callable) -> Callable:
        _, row, col = self.cell
        read = self.store.read

        def run():
            v = f()
            if type(v) is Ref:
                if v.r1 == v.r2 and v.c1 == v.c2:
                    return read(v)
                if v.c1 == v.c2 and v.r1 <= row <= v.r2:
                    return read(Ref(v.sheet, row, v.c1, row, v.c1))
                if v.r1 == v.r2 and v.c1 <= col <= v.c2:
                    return read(Ref(v.sheet, v.r1, col, v.r1, col))
                return ERR_VALUE
            if type(v) is ndarray:
                return v[0, 0]
            return v

        return run

    def _name(self, node: NameNode) -> Callable:
        upper = node.name.upper()
        if node.sheet is None:
            box = self.scope.get(upper)
            if box is not None:
                return lambda: box[0]
        compiled = self.engine._name_closure(upper, self.sheet, node.sheet)
        if compiled is None:
            shown = node.name if node.sheet is None else f"{node.sheet}!{node.name}"
            self.engine.unknown_names.setdefault(shown, self.cell)
            return _const(ExcelError("#NAME?", f"unknown name {shown}"))
        return compiled

    def _let(self, node: Call) -> Callable:
        args = node.args
        if len(args) < 3 or len(args) % 2 == 0:
            raise FormulaError("LET needs name/value pairs and a final calculation")
        saved = dict(self.scope)
        binders = []
        for name_node, value_node in zip(args[:-1:2], args[1:-1:2], strict=True):
            if type(name_node) is not NameNode or name_node.sheet is not None:
                raise FormulaError("LET names must be plain names")
            f = self.ref(value_node)
            box = [None]
            self.scope[name_node.name.upper()] = box
            binders.append((box, f))
        body = self.ref(args[-1])
        self.scope = saved

        def run():
            for box, f in binders:
                box[0] = f()
            return body()

        return run

    def _call(self, node: Call) -> Callable:
        name = node.name
        if name == "LET":
            return self._let(node)
        spec = self.engine._functions.get(name)
        if spec is None:
            shown = node.raw_name or name
            # remembered even when an IFERROR around the call would hide the #NAME?
            self.engine.unknown_functions.setdefault(shown.upper(), self.cell)
            return _const(ExcelError("#NAME?", f"unknown function {shown}"))
        n = len(node.args)
        if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
            raise FormulaError(f"{name} does not take {n} argument{'s' if n != 1 else ''}")
        fns: list[Callable] = []
        convs: list[tuple[int, Callable, bool]] = []
        lifted: list[int] = []
        read_array = self.store.read_array
        for i, arg in enumerate(node.args):
            kind = spec.kind(i)
            base, optional = kind[0], kind.endswith("?")
            if type(arg) is Missing and optional:
                fns.append(_const(spec.default(i)))
                continue
            if base == "l":
                thunk = self.ref(arg)
                fns.append(_const(thunk))
            elif base == "r":
                fns.append(self.ref(arg))
            elif base == "a":
                g = self.ref(arg)
                fns.append(_as_array_arg(g, read_array))
            else:
                fns.append(self.value(arg))
                convs.append((i, _CONVERTERS[base], base not in _ERRORS_PASS))
                lifted.append(i)
        return _dispatch(spec, fns, convs, lifted, self.ctx)


def _as_array_arg(g: Callable, read_array: Callable) -> Callable:
    def run():
        v = g()
        return read_array(v) if type(v) is Ref else v

    return run


def _dispatch(spec: FunctionSpec, fns, convs, lifted, ctx: _Context) -> Callable:
    impl = spec.impl
    needs_ctx = spec.needs_ctx
    name = spec.name

    def scalar_call(*args):
        if convs:
            args = list(args)
            for k, conv, stop_on_error in convs:
                x = conv(args[k])
                if stop_on_error and type(x) is ExcelError:
                    return x
                args[k] = x
        try:
            r = impl(ctx, *args) if needs_ctx else impl(*args)
        except OverflowError:
            return ERR_NUM
        except ZeroDivisionError:
            return ERR_DIV0
        except LimitExceeded:
            raise  # not a value: the evaluation stops
        except Exception as exc:  # a function must never bring down the workbook
            # ... but its failure is no result either: the cell being computed is noted,
            # so that a check can refuse to call the #VALUE! a recomputed value
            store = ctx.store
            store.failures.setdefault(store.current, f"{name}: {type(exc).__name__}: {exc}")
            return ExcelError("#VALUE!", f"{name}: {exc}")
        t = type(r)
        if t is float:
            return _finite(r)
        if t is int:
            return float(r)
        if r is MISSING:
            return 0.0
        return r

    def element_call(*args):
        r = scalar_call(*args)
        if type(r) is Ref:
            r = ctx.store.read(r)
        if type(r) is ndarray:
            r = r[0, 0]
        return r

    if not lifted:
        return lambda: scalar_call(*[f() for f in fns])

    def run():
        args = [f() for f in fns]
        arrays = [k for k in lifted if type(args[k]) is ndarray]
        if arrays:
            return elementwise(element_call, args, arrays)
        return scalar_call(*args)

    return run


# --- the dependency graph --------------------------------------------------------------------


class _Graph:
    """Nodes are formula cells (0..n-1) plus helper nodes that stand for parts of columns."""

    def __init__(self, n: int):
        self.succ: list[list[int]] = [[] for _ in range(n)]

    def new_nodes(self, count: int) -> int:
        base = len(self.succ)
        self.succ.extend([] for _ in range(count))
        return base


class _Column:
    """The owned cells of one sheet column, with a lazily built segment tree over them.

    A range covering many formula cells of a column depends on O(log n) segment nodes instead
    of every cell, so running totals (``SUM($A$1:A5000)``) stay linear-logarithmic.
    """

    __slots__ = ("rows", "owners", "base", "size")

    def __init__(self, rows: list[int], owners: list[int]):
        self.rows = rows
        self.owners = owners
        self.base = -1
        self.size = 0

    def _node(self, x: int) -> int | None:
        if x >= self.size:
            j = x - self.size
            return self.owners[j] if j < len(self.owners) else None
        return self.base + x

    def segments(self, graph: _Graph, lo: int, hi: int) -> list[int]:
        if self.base < 0:
            size = 1
            while size < len(self.owners):
                size *= 2
            self.size = size
            self.base = graph.new_nodes(size)
            for p in range(size - 1, 0, -1):
                for child in (2 * p, 2 * p + 1):
                    c = self._node(child)
                    if c is not None:
                        graph.succ[c].append(self.base + p)
        out = []
        lo += self.size
        hi += self.size
        while lo < hi:
            if lo & 1:
                out.append(self._node(lo))
                lo += 1
            if hi & 1:
                hi -= 1
                out.append(self._node(hi))
            lo >>= 1
            hi >>= 1
        return out


def _topological_order(
    keys: list[Key],
    deps: list[list[tuple]],
    regions: Mapping[Key, tuple[int, int, int, int]],
) -> list[int]:
    """Order formula cells so each comes after every formula cell its references cover."""
    n = len(keys)
    index = {k: i for i, k in enumerate(keys)}
    owner: dict[Key, int] = {}
    for anchor, (r1, c1, r2, c2) in regions.items():
        a = index[anchor]
        sheet = anchor[0]
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                owner[(sheet, r, c)] = a
    owner.update(index)
    by_column: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for (sheet, r, c), o in owner.items():
        by_column.setdefault((sheet, c), []).append((r, o))
    columns = {}
    for col_key, items in by_column.items():
        items.sort()
        columns[col_key] = _Column([r for r, _ in items], [o for _, o in items])
    graph = _Graph(n)
    succ = graph.succ
    for i, rects in enumerate(deps):
        for sheet, r1, c1, r2, c2 in rects:
            if r1 == r2 and c1 == c2:
                o = owner.get((sheet, r1, c1))
                if o is not None:
                    succ[o].append(i)
                continue
            for c in range(c1, c2 + 1):
                col = columns.get((sheet, c))
                if col is None:
                    continue
                lo = bisect_left(col.rows, r1)
                hi = bisect_right(col.rows, r2)
                if hi - lo <= 8:
                    for p in range(lo, hi):
                        succ[col.owners[p]].append(i)
                else:
                    for node in col.segments(graph, lo, hi):
                        succ[node].append(i)
    total = len(succ)
    indegree = [0] * total
    for targets in succ:
        for v in targets:
            indegree[v] += 1
    queue = deque(v for v in range(total) if indegree[v] == 0)
    order: list[int] = []
    done = 0
    while queue:
        u = queue.popleft()
        done += 1
        if u < n:
            order.append(u)
        for v in succ[u]:
            indegree[v] -= 1
            if indegree[v] == 0:
                queue.append(v)
    if done < total:
        cycle = _find_cycle(succ, indegree, n)
        names = " -> ".join(address(*keys[i]) for i in cycle[:6])
        more = " -> ..." if len(cycle) > 6 else ""
        raise WorkbookError(f"circular reference: {names}{more} -> {address(*keys[cycle[0]])}")
    return order


def _find_cycle(succ: list[list[int]], indegree: list[int], n: int) -> list[int]:
    """Formula nodes on one cycle among the nodes Kahn's algorithm could not order."""
    remaining = {v for v, d in enumerate(indegree) if d > 0}
    pred: dict[int, int] = {}
    for u in remaining:
        for v in succ[u]:
            if v in remaining:
                pred.setdefault(v, u)
    start = next(iter(remaining))
    seen: dict[int, int] = {}
    path: list[int] = []
    v = start
    while v not in seen:
        seen[v] = len(path)
        path.append(v)
        v = pred[v]
    cycle = path[seen[v] :]
    cycle.reverse()  # predecessors were followed backwards
    real = [u for u in cycle if u < n]
    return real or cycle


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
        try:
            ast = parse(cell.text)
        except FormulaError as exc:
            if self.strict:
                raise WorkbookError(f"{address(*key)}: {exc}") from None
            error = ExcelError("#NAME?", str(exc))
            self.formula_errors[key] = exc
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
        key = (upper, sheet, qualifier)
        if key in self._name_fns:
            return self._name_fns[key]
        found = self._name_text(upper, sheet, qualifier)
        if found is None:
            return None
        text, context = found
        if key in self._naming:
            raise FormulaError(f"defined name {upper} refers to itself")
        if len(self._naming) >= MAX_NESTING:
            raise FormulaLimit(f"defined names nest more than {MAX_NESTING} levels deep "
                               f"(at {upper})")
        self._naming.add(key)
        try:
            f = _Compiler(self, context, (context, 1, 1)).ref(parse(text))
        finally:
            self._naming.discard(key)
        self._name_fns[key] = f
        return f

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
        key = (upper, sheet, qualifier)
        if key in self._name_refs:
            return self._name_refs[key]
        found = self._name_text(upper, sheet, qualifier)
        if found is None:
            return []
        text, context = found
        if key in self._naming:
            raise FormulaError(f"defined name {upper} refers to itself")
        if len(self._naming) >= MAX_NESTING:
            raise FormulaLimit(f"defined names nest more than {MAX_NESTING} levels deep "
                               f"(at {upper})")
        self._naming.add(key)
        try:
            rects = self._rects(parse(text), context, frozenset())
        finally:
            self._naming.discard(key)
        self._name_refs[key] = rects
        return rects

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


def _parse_region(text: str, key: Key) -> tuple[int, int, int, int]:
    part = text.split("!")[-1].replace("$", "").upper()
    first, _, last = part.partition(":")
    last = last or first
    try:
        (ra, ca), (rb, cb) = _cell_rc(first), _cell_rc(last)
    except ValueError:
        raise WorkbookError(f"{address(*key)}: bad array range {text!r}") from None
    r1, c1, r2, c2 = min(ra, rb), min(ca, cb), max(ra, rb), max(ca, cb)
    if (r1, c1) != (key[1], key[2]):
        raise WorkbookError(f"{address(*key)}: array range {text} does not start at the cell")
    return r1, c1, r2, c2


def _cell_rc(text: str) -> tuple[int, int]:
    letters = text.rstrip("0123456789")
    digits = text[len(letters) :]
    if not letters or not digits or not letters.isalpha():
        raise ValueError(text)
    return int(digits), column_number(letters)


def _cells_of(sheet: str, region: tuple[int, int, int, int]):
    r1, c1, r2, c2 = region
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            yield (sheet, r, c)


def _contains(outer: tuple, inner: tuple) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and (
        inner[3] <= outer[3]
    )


def _union(a: tuple, b: tuple) -> tuple:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _any_reads(grown: Mapping[Key, tuple], deps: list[list[tuple]], keys: list[Key]) -> bool:
    """True when some formula other than the anchor reads a cell of a newly seen spill."""
    for i, rects in enumerate(deps):
        for sheet, r1, c1, r2, c2 in rects:
            for anchor, (a1, b1, a2, b2) in grown.items():
                if anchor == keys[i] or sheet != anchor[0]:
                    continue
                if r1 <= a2 and a1 <= r2 and c1 <= b2 and b1 <= c2:
                    return True
    return False

