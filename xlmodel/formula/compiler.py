"""The compiler: one formula's syntax tree becomes a Python closure over the cell values.

Nothing here evaluates formula text as Python: each node becomes a closure over its children's
closures, and function calls dispatch through the native function table with their argument
converters.
"""

from __future__ import annotations

from collections.abc import Callable

from xlmodel.errors import ExcelError
from xlmodel.formula.functions import FunctionSpec
from xlmodel.formula.operators import (
    _CONVERTERS,
    _ERRORS_PASS,
    _OPERATORS,
    _const,
    _finite,
    _lift1,
    _lift2,
    op_neg,
    op_percent,
)
from xlmodel.formula.parser import (
    ArrayConst,
    Binary,
    Bool,
    Call,
    ErrorLit,
    Missing,
    NameNode,
    Node,
    Number,
    Percent,
    RefNode,
    SpillNode,
    Text,
    Unary,
)
from xlmodel.formula.store import Key, _Context
from xlmodel.formula.tokenizer import FormulaError
from xlmodel.formula.values import (
    ERR_DIV0,
    ERR_NUM,
    ERR_REF,
    ERR_VALUE,
    MISSING,
    LimitExceeded,
    Ref,
    array_of,
    elementwise,
    ndarray,
)

# --- the compiler ----------------------------------------------------------------------------


class _Compiler:
    """Turns one formula's syntax tree into a closure, for one cell of one engine."""

    def __init__(self, engine, sheet: str, cell: Key):
        # engine: the xlmodel.formula.evaluate.Engine compiling this cell (it owns the compiler)
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


