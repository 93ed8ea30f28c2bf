"""Excel's native functions: a registry from upper-case name to implementation.

Each function is registered with one *kind* per parameter, which tells the evaluator how to
prepare the argument:

``n`` number, ``s`` text, ``b`` logical, ``x`` any scalar, ``v`` any scalar or error
    Coerced as Excel coerces (``n``: blank -> 0, TRUE -> 1, numeric text -> number). An error
    in such an argument (except ``v``) is the result without calling the function. When an
    array arrives, the function is applied element by element and the result spills
    (``=ABS(A1:A5)``).
``a`` array
    The values as they are: a reference becomes a 2-D array (even a single cell), a scalar
    stays a scalar. Not lifted.
``r`` reference
    A :class:`~xlmodel.formula.values.Ref` stays a reference (INDEX, ROWS, SUMIF's sum range).
``l`` lazy
    A thunk; the function decides what to evaluate (IF, IFERROR, CHOOSE).

A ``?`` after the kind means an empty argument (``F(a,,b)``) takes the parameter's default
instead of Excel's usual 0 / "" / FALSE. Functions flagged ``ctx`` get the evaluation context
first: ``ctx.read(ref)``, ``ctx.read_array(ref)`` and ``ctx.cell``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """How to call one function: parameter kinds, arity and defaults."""

    name: str
    impl: Callable
    kinds: tuple[str, ...]
    min_args: int
    max_args: int | None
    variadic: bool = False
    needs_ctx: bool = False
    defaults: tuple = ()
    repeat: int = 1

    def kind(self, i: int) -> str:
        """The kind of argument ``i``; variadic functions repeat their last ``repeat`` kinds."""
        n = len(self.kinds)
        if i < n:
            return self.kinds[i]
        if not n:
            return "v"
        return self.kinds[n - self.repeat + (i - n) % self.repeat]

    def default(self, i: int) -> object:
        """The default of argument ``i`` when it is left empty, for ``?`` kinds."""
        return self.defaults[i] if i < len(self.defaults) else None


#: Upper-case function name -> spec.
FUNCTIONS: dict[str, FunctionSpec] = {}

#: Functions that take references without reading their values (they add no dependency).
REFERENCE_ONLY = frozenset({"ROW", "COLUMN", "ROWS", "COLUMNS", "ISREF"})

#: Functions the evaluator implements itself, with a lazy, scoped or spill syntax.
SPECIAL_FORMS = frozenset({"LET", "ANCHORARRAY", "SINGLE"})


def spec_for(name: str, impl: Callable, kinds: str, *, variadic=False, needs_ctx=False,
             min_args: int | None = None, max_args: int | None = None,
             repeat: int = 1) -> FunctionSpec:
    """Build a spec, taking arity and defaults from the implementation's signature."""
    kind_list = tuple(kinds.split()) if kinds else ()
    params = list(inspect.signature(impl).parameters.values())
    if needs_ctx:
        params = params[1:]
    positional = [p for p in params if p.kind is not p.VAR_POSITIONAL]
    defaults = tuple(p.default if p.default is not p.empty else None for p in positional)
    required = sum(1 for p in positional if p.default is p.empty)
    if variadic:
        maximum = max_args
    else:
        maximum = len(positional) if max_args is None else max_args
    return FunctionSpec(
        name,
        impl,
        kind_list,
        required if min_args is None else min_args,
        maximum,
        variadic,
        needs_ctx,
        defaults,
        repeat,
    )


def excel(name: str, kinds: str = "", **options) -> Callable:
    """Register a native function under ``name`` (a decorator)."""

    def register(fn: Callable) -> Callable:
        for alias in name.split():
            FUNCTIONS[alias] = spec_for(alias, fn, kinds, **options)
        return fn

    return register


