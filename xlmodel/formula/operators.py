"""Excel's operators and argument converters, on scalar values and on arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from xlmodel.errors import ExcelError
from xlmodel.formula.functions import power
from xlmodel.formula.values import (
    ERR_DIV0,
    ERR_NUM,
    MAX_TEXT,
    MISSING,
    add,
    compare,
    elementwise,
    ndarray,
    to_bool,
    to_number,
    to_text,
)

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


