"""Domain checks shared by the model functions.

Each check converts its argument to a float array (so every model function broadcasts like a
ufunc) and raises :class:`~xlmodel.errors.InputError` naming the argument and the rule when
any element is outside the domain. NaN fails every check. A single float inside the domain
comes back as a numpy float64 scalar instead of a 0-d array: the same values and error
state, without the array machinery (the one-cell call from a spreadsheet).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

from xlmodel.errors import InputError

_TRUSTED: ContextVar[bool] = ContextVar("xlmodel_trusted_inputs", default=False)

#: One number passed as a Python or numpy scalar: a cell's value, the common call. A value of
#: one of these types that passes its check in plain comparisons (NaN fails them all) comes
#: back as a numpy float64 scalar, which computes like the 0-d array it would otherwise be
#: (the same IEEE arithmetic, the same error state) at a fraction of the cost per operation.
_F64 = np.float64
_NUMBER = frozenset({float, _F64})
_INF = float("inf")


@contextmanager
def trusted() -> Iterator[None]:
    """Skip the domain checks inside this block: for callers that have already checked every
    value they pass (the Monte Carlo checks each input's range once, then evaluates the model
    on millions of draws inside it)."""
    token = _TRUSTED.set(True)
    try:
        yield
    finally:
        _TRUSTED.reset(token)


def as_float(name: str, value) -> np.ndarray:
    """``value`` as a float array; text, None or objects raise InputError (#VALUE!)."""
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError(name, "must be a number", value, code="#VALUE!") from None


class _Shown(str):
    """A value already formatted for a message: shown without quotes."""

    def __repr__(self) -> str:
        return str(self)


def _fail(name: str, rule: str, arr: np.ndarray, bad: np.ndarray):
    # NaN fails every rule's comparison, so it lands here too, reported as not a number.
    got = arr[bad].flat[0] if arr.ndim else arr
    if np.isnan(got):
        raise InputError(name, "must be a number", _Shown("NaN"), code="#VALUE!")
    raise InputError(name, rule, _Shown(_fmt(got)))


def _fmt(x) -> str:
    x = float(x)
    if not np.isfinite(x):
        return str(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:g}"


def positive(name: str, value) -> np.ndarray:
    """Finite and > 0."""
    if type(value) in _NUMBER and 0 < value < _INF:
        return _F64(value)
    if _TRUSTED.get():
        return np.asarray(value, dtype=float)
    arr = as_float(name, value)
    bad = ~(np.isfinite(arr) & (arr > 0))
    if bad.any():
        _fail(name, "must be a finite number > 0", arr, bad)
    return arr


def positive_or_inf(name: str, value) -> np.ndarray:
    """> 0, +inf allowed (a halving time of inf means no improvement)."""  # NaN fails > 0
    if type(value) in _NUMBER and value > 0:
        return _F64(value)
    arr = as_float(name, value)
    bad = ~(arr > 0)
    if bad.any():
        _fail(name, "must be > 0", arr, bad)
    return arr


def non_negative(name: str, value) -> np.ndarray:
    """Finite and >= 0."""
    if type(value) in _NUMBER and 0 <= value < _INF:
        return _F64(value)
    if _TRUSTED.get():
        return np.asarray(value, dtype=float)
    arr = as_float(name, value)
    bad = ~(np.isfinite(arr) & (arr >= 0))
    if bad.any():
        _fail(name, "must be a finite number >= 0", arr, bad)
    return arr


def finite(name: str, value) -> np.ndarray:
    """Any finite number."""
    if type(value) in _NUMBER and -_INF < value < _INF:
        return _F64(value)
    if _TRUSTED.get():
        return np.asarray(value, dtype=float)
    arr = as_float(name, value)
    bad = ~np.isfinite(arr)
    if bad.any():
        _fail(name, "must be a finite number", arr, bad)
    return arr


def fraction(name: str, value, *, low_open: bool = False, high_open: bool = False) -> np.ndarray:
    """In [0, 1], with either end optionally open."""
    if type(value) in _NUMBER and (0 < value if low_open else 0 <= value) and (
            value < 1 if high_open else value <= 1):
        return _F64(value)
    if _TRUSTED.get():
        return np.asarray(value, dtype=float)
    arr = as_float(name, value)
    lo = arr > 0 if low_open else arr >= 0
    hi = arr < 1 if high_open else arr <= 1
    bad = ~(lo & hi)
    if bad.any():
        rule = f"must be {'>' if low_open else '>='} 0 and {'<' if high_open else '<='} 1"
        _fail(name, rule, arr, bad)
    return arr


def at_least(name: str, value, bound: float) -> np.ndarray:
    """Finite and >= bound."""
    if type(value) in _NUMBER and bound <= value < _INF:
        return _F64(value)
    if _TRUSTED.get():
        return np.asarray(value, dtype=float)
    arr = as_float(name, value)
    bad = ~(np.isfinite(arr) & (arr >= bound))
    if bad.any():
        _fail(name, f"must be a finite number >= {_fmt(bound)}", arr, bad)
    return arr


def whole(name: str, value, minimum: int) -> np.ndarray:
    """A whole number >= minimum."""
    if type(value) in _NUMBER and minimum <= value < _INF and value == round(value):
        return _F64(value)
    if _TRUSTED.get():
        return np.asarray(value, dtype=float)
    arr = as_float(name, value)
    bad = ~(np.isfinite(arr) & (arr >= minimum) & (arr == np.round(arr)))
    if bad.any():
        _fail(name, f"must be a whole number >= {minimum}", arr, bad)
    return arr


def scalar(result: np.ndarray):
    """Return a 0-d result as a Python float, anything else unchanged."""
    if type(result) is _F64:
        return float(result)
    result = np.asarray(result)
    return float(result) if result.ndim == 0 else result
