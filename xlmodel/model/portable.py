"""Elementary functions that give the same bits on every CPU.

numpy picks its ``exp``, ``log``, ``power``, ``expm1`` and ``log1p`` kernels by CPU feature at
run time (AVX-512, AVX2, NEON, or the C library), and the kernels differ in the last bits. A
model whose results are written into committed workbooks must not change with the machine
that builds them, so the model computes these functions here, with IEEE-754 basic operations
only (``+ - * /``, exact scaling by powers of two and round-to-nearest-even), which every CPU
rounds the same way.

Each function takes a scalar or an array and returns a numpy float64 or an ndarray of
float64, so the arithmetic that follows keeps numpy's rules (division by zero gives inf). Scalars
take a pure-Python path (a numpy call per operation on a 0-d array costs microseconds); arrays
take the numpy path. Both run the same operations in the same order, so they give the same
bits, and the tests check that they do.

Accuracy: ``exp`` and ``log`` follow fdlibm (Sun Microsystems' freely distributable libm,
1993), under one unit in the last place; ``log1p``, ``expm1``, ``exp2`` and ``log2`` are
built on them with a few units at most; ``power(b, y)`` is ``2^(y log2 b)``, whose error
grows with ``|y log b|`` (about 1e-14 relative at ``|y log b| = 50``), except for whole
powers up to 1024, which go by repeated squaring: far inside the model's tolerances.
Domain: real results only (``log`` of a negative number is NaN).

References
----------
.. [1] Sun Microsystems, fdlibm 5.3, ``e_exp.c`` and ``e_log.c``.
.. [2] W. Kahan, "Mathematics written in sand", 1983 (the ``expm1`` and ``log1p``
   corrections).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["exp", "exp2", "expm1", "log", "log1p", "log2", "power"]

# fdlibm constants. LN2_HI has its low 32 bits zero, so k * LN2_HI is exact for |k| < 2**20.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LN2 = 6.93147180559945286227e-01
_INV_LN2 = 1.44269504088896338700e00
_SQRT_HALF = 0.70710678118654752440
_EXP_MAX = 7.09782712893383973096e02  # above: overflow to inf
_EXP_MIN = -7.45133219101941108420e02  # below: underflow to 0
_MAX_WHOLE_POWER = 1024  # whole powers up to this go by repeated squaring

# exp: Remez polynomial for r - r^2 P(r^2) on |r| <= ln2/2 (fdlibm e_exp.c)
_P1 = 1.66666666666666019037e-01
_P2 = -2.77777777770155933842e-03
_P3 = 6.61375632143793436117e-05
_P4 = -1.65339022054652515390e-06
_P5 = 4.13813679705723846039e-08

# log: Remez polynomial for log(1+f) with s = f/(2+f) (fdlibm e_log.c)
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01


# The cores take finite, in-range arguments and use only basic operations. They are written
# once and run on Python floats or on numpy arrays: ``rint``, ``ldexp``, ``frexp`` and
# ``select`` are the only type-specific steps, and all of them are exact.

def _exp_core(x, rint, ldexp):
    k = rint(x * _INV_LN2)
    hi = x - k * _LN2_HI
    lo = k * _LN2_LO
    r = hi - lo
    z = r * r
    c = r - z * (_P1 + z * (_P2 + z * (_P3 + z * (_P4 + z * _P5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    return ldexp(y, k)


def _log_mantissa(f, k):
    """log(2^k (1 + f)) for sqrt(1/2) <= 1 + f < sqrt(2)."""
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    hfsq = 0.5 * f * f
    return k * _LN2_HI - ((hfsq - (s * (hfsq + (t1 + t2)) + k * _LN2_LO)) - f)


def _split(x, frexp, select):
    """x = 2^k m with sqrt(1/2) <= m < sqrt(2); returns (m - 1, k)."""
    m, e = frexp(x)
    low = m < _SQRT_HALF
    return select(low, m + m, m) - 1.0, select(low, e - 1.0, e * 1.0)


# --- the pure-Python side -------------------------------------------------------------------

def _py_rint(x):
    return float(round(x))


def _py_ldexp(y, k):
    return math.ldexp(y, int(k))


def _py_frexp(x):
    m, e = math.frexp(x)
    return m, float(e)


def _py_select(cond, a, b):
    return a if cond else b


def _py_exp(x: float) -> float:
    if x != x:
        return x
    if x > _EXP_MAX:
        return math.inf
    if x < _EXP_MIN:
        return 0.0
    return _exp_core(x, _py_rint, _py_ldexp)


def _py_log_edge(x: float) -> float | None:
    """What a logarithm gives at NaN, inf, 0 and below; None for a positive finite x."""
    if x != x or x == math.inf:
        return x
    if x < 0.0:
        return math.nan
    if x == 0.0:
        return -math.inf
    return None


def _py_log(x: float) -> float:
    edge = _py_log_edge(x)
    if edge is not None:
        return edge
    f, k = _split(x, _py_frexp, _py_select)
    return _log_mantissa(f, k)


def _py_log1p(x: float) -> float:
    if x != x or x == math.inf:
        return x
    if x < -1.0:
        return math.nan
    if x == -1.0:
        return -math.inf
    u = 1.0 + x
    if u == 1.0:
        return x
    return _py_log(u) + (x - (u - 1.0)) / u


def _py_expm1(x: float) -> float:
    if x != x or x == math.inf:
        return x
    if abs(x) > 1.0:
        return _py_exp(x) - 1.0
    u = _py_exp(x)
    if u == 1.0:
        return x
    um1 = u - 1.0
    return um1 * (x / _py_log(u))


def _py_exp2(x: float) -> float:
    if x != x:
        return x
    if x > 1024.0:
        return math.inf
    if x < -1075.0:
        return 0.0
    k = _py_rint(x)
    return math.ldexp(_exp_core((x - k) * _LN2, _py_rint, _py_ldexp), int(k))


def _py_log2(x: float) -> float:
    edge = _py_log_edge(x)
    if edge is not None:
        return edge
    return _log2_of_split(*_split(x, _py_frexp, _py_select))


def _py_power(b: float, y: float) -> float:
    if y == 0.0 or b == 1.0:
        return 1.0
    if b != b or y != y:
        return math.nan
    whole = y == math.floor(y)
    if b < 0.0 and not whole:
        return math.nan
    mag = abs(b)
    if mag == 0.0 or mag == math.inf:
        out = math.inf if (y > 0.0) == (mag == math.inf) else 0.0
    elif whole and abs(y) <= _MAX_WHOLE_POWER:
        n, acc, square = int(abs(y)), 1.0, mag
        while n:
            if n & 1:
                acc = acc * square
            square = square * square
            n >>= 1
        out = 1.0 / acc if y < 0.0 else acc
    else:
        out = _py_exp2(y * _py_log2(mag))
    return -out if b < 0.0 and y % 2.0 == 1.0 else out


# --- the numpy side ---------------------------------------------------------------------------

def _np_ldexp(y, k):
    return np.ldexp(y, k.astype(np.int64))


def _np_frexp(x):
    m, e = np.frexp(x)
    return m, e.astype(float)


def _np_exp(x):
    inner = np.clip(np.where(np.isnan(x), 0.0, x), _EXP_MIN, _EXP_MAX)
    y = _exp_core(inner, np.rint, _np_ldexp)
    y = np.where(x > _EXP_MAX, np.inf, y)
    y = np.where(x < _EXP_MIN, 0.0, y)
    return np.where(np.isnan(x), x, y)


def _np_logarithm(x, of_split):
    """``of_split(f, k)`` for positive finite x = 2^k (1 + f); the edges as a logarithm's."""
    bad = ~(x > 0.0) | (x == np.inf)
    inner = np.where(bad, 1.0, x)
    y = of_split(*_split(inner, _np_frexp, np.where))
    y = np.where(x == 0.0, -np.inf, y)
    y = np.where(x < 0.0, np.nan, y)
    return np.where(np.isnan(x) | (x == np.inf), x, y)


def _log2_of_split(f, k):
    return k + _log_mantissa(f, 0.0) * _INV_LN2


def _np_log(x):
    return _np_logarithm(x, _log_mantissa)


def _np_log1p(x):
    u = 1.0 + x
    inner_u = np.where((u > 0.0) & (u != np.inf) & (u != 1.0), u, 2.0)
    y = _np_log(inner_u) + (x - (inner_u - 1.0)) / inner_u
    y = np.where(u == 1.0, x, y)
    y = np.where(x == -1.0, -np.inf, y)
    y = np.where(x < -1.0, np.nan, y)
    return np.where(np.isnan(x) | (x == np.inf), x, y)


def _np_expm1(x):
    u = _np_exp(x)
    near = np.abs(x) <= 1.0
    safe_u = np.where(near & (u != 1.0), u, 2.0)
    kahan = (safe_u - 1.0) * (x / _np_log(safe_u))
    y = np.where(near, np.where(u == 1.0, x, kahan), u - 1.0)
    return np.where(np.isnan(x) | (x == np.inf), x, y)


def _np_exp2(x):
    inner = np.clip(np.where(np.isnan(x), 0.0, x), -1075.0, 1024.0)
    k = np.rint(inner)
    y = _np_ldexp(_exp_core((inner - k) * _LN2, np.rint, _np_ldexp), k)
    y = np.where(x > 1024.0, np.inf, y)
    y = np.where(x < -1075.0, 0.0, y)
    return np.where(np.isnan(x), x, y)


def _np_log2(x):
    return _np_logarithm(x, _log2_of_split)


def _np_power(b, y):
    b, y = np.broadcast_arrays(b, y)
    mag = np.abs(b)
    inner = np.where((mag > 0.0) & (mag != np.inf), mag, 1.0)
    whole = np.floor(y) == y
    small = whole & (np.abs(y) <= _MAX_WHOLE_POWER)
    # whole powers by repeated squaring, the same multiplications as the scalar loop
    n = np.where(small, np.abs(y), 0.0).astype(np.int64)
    acc, square = np.ones_like(inner), inner.copy()
    while n.any():
        acc = np.where(n & 1, acc * square, acc)
        square = square * square
        n >>= 1
    out = np.where(small, np.where(y < 0.0, 1.0 / acc, acc),
                   _np_exp2(np.where(small, 0.0, y) * _np_log2(inner)))
    edge = np.where((y > 0.0) == (mag == np.inf), np.inf, 0.0)
    out = np.where((mag == 0.0) | (mag == np.inf), edge, out)
    odd = whole & (np.fmod(y, 2.0) != 0.0)
    out = np.where((b < 0.0) & ~whole, np.nan, np.where((b < 0.0) & odd, -out, out))
    out = np.where(np.isnan(b) | np.isnan(y), np.nan, out)
    return np.where((y == 0.0) | (b == 1.0), 1.0, out)


# --- public: scalar or array ------------------------------------------------------------------

def _unary(py, vec, doc):
    def f(x):
        if isinstance(x, float | int) and not isinstance(x, bool):
            return np.float64(py(float(x)))
        arr = np.asarray(x, dtype=float)
        if arr.ndim == 0:
            return np.float64(py(float(arr)))
        with np.errstate(all="ignore"):
            return vec(arr)
    f.__doc__ = doc
    return f


exp = _unary(_py_exp, _np_exp, "e**x.")
log = _unary(_py_log, _np_log, "Natural logarithm; NaN below 0, -inf at 0.")
log1p = _unary(_py_log1p, _np_log1p, "log(1 + x), accurate for small x.")
expm1 = _unary(_py_expm1, _np_expm1, "e**x - 1, accurate for small x.")
exp2 = _unary(_py_exp2, _np_exp2, "2**x, exact for whole x.")
log2 = _unary(_py_log2, _np_log2, "Base-2 logarithm, exact for powers of two.")


def power(base, exponent):
    """``base ** exponent`` as a real number: NaN for a negative base and a fractional power."""
    b = np.asarray(base, dtype=float)
    y = np.asarray(exponent, dtype=float)
    if b.ndim == 0 and y.ndim == 0:
        return np.float64(_py_power(float(b), float(y)))
    with np.errstate(all="ignore"):
        return _np_power(b, y)
