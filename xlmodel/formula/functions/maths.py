"""Excel's native maths functions.
"""

from __future__ import annotations

import math
import statistics
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP

import numpy as np

from xlmodel.errors import ExcelError
from xlmodel.formula.functions.common import _approx_int, _round_with, collect_numbers
from xlmodel.formula.functions.registry import excel
from xlmodel.formula.values import (
    ERR_DIV0,
    ERR_NUM,
    ERR_VALUE,
    MISSING,
    as_array,
    check_number,
    ndarray,
    to_number,
)

# --- maths -----------------------------------------------------------------------------------


@excel("SUM", "a", variadic=True, min_args=1)
def xl_sum(*args):
    nums = collect_numbers(args)
    if type(nums) is ExcelError:
        return nums
    return math.fsum(nums)


@excel("PRODUCT", "a", variadic=True, min_args=1)
def xl_product(*args):
    nums = collect_numbers(args)
    if type(nums) is ExcelError:
        return nums
    return math.prod(nums) if nums else 0.0


@excel("AVERAGE", "a", variadic=True, min_args=1)
def xl_average(*args):
    nums = collect_numbers(args)
    if type(nums) is ExcelError:
        return nums
    return math.fsum(nums) / len(nums) if nums else ERR_DIV0


@excel("MEDIAN", "a", variadic=True, min_args=1)
def xl_median(*args):
    nums = collect_numbers(args)
    if type(nums) is ExcelError:
        return nums
    return float(statistics.median(nums)) if nums else ERR_NUM


@excel("MIN", "a", variadic=True, min_args=1)
def xl_min(*args):
    nums = collect_numbers(args)
    if type(nums) is ExcelError:
        return nums
    return min(nums) if nums else 0.0


@excel("MAX", "a", variadic=True, min_args=1)
def xl_max(*args):
    nums = collect_numbers(args)
    if type(nums) is ExcelError:
        return nums
    return max(nums) if nums else 0.0


@excel("COUNT", "a", variadic=True, min_args=1)
def xl_count(*args):
    n = 0
    for a in args:
        if type(a) is ndarray:
            n += sum(1 for x in a.flat if type(x) is float)
        elif a is MISSING or type(to_number(a)) is float:
            n += 1
    return float(n)


@excel("COUNTA", "a", variadic=True, min_args=1)
def xl_counta(*args):
    n = 0
    for a in args:
        if type(a) is ndarray:
            n += sum(1 for x in a.flat if x is not None)
        else:
            n += 1
    return float(n)


@excel("COUNTBLANK", "a")
def xl_countblank(values):
    return float(sum(1 for x in as_array(values).flat if x is None or x == ""))


@excel("SUMSQ", "a", variadic=True, min_args=1)
def xl_sumsq(*args):
    nums = collect_numbers(args)
    if type(nums) is ExcelError:
        return nums
    return math.fsum(x * x for x in nums)


@excel("ABS", "n")
def xl_abs(x):
    return abs(x)


@excel("SQRT", "n")
def xl_sqrt(x):
    return ERR_NUM if x < 0 else math.sqrt(x)


@excel("EXP", "n")
def xl_exp(x):
    return math.exp(x) if x < 709.8 else ERR_NUM


@excel("LN", "n")
def xl_ln(x):
    return ERR_NUM if x <= 0 else math.log(x)


@excel("LOG10", "n")
def xl_log10(x):
    return ERR_NUM if x <= 0 else math.log10(x)


@excel("LOG", "n n?")
def xl_log(x, base=10.0):
    if x <= 0 or base <= 0:
        return ERR_NUM
    if base == 1:
        return ERR_DIV0
    return math.log10(x) if base == 10.0 else math.log(x) / math.log(base)


def power(a: float, b: float) -> float | ExcelError:
    """a^b with Excel's errors: 0^0 and roots of negatives are #NUM!, 0^-1 is #DIV/0!."""
    if a == 0.0:
        if b == 0.0:
            return ERR_NUM
        if b < 0.0:
            return ERR_DIV0
        return 0.0
    if a < 0.0 and b != math.floor(b):
        return ERR_NUM
    try:
        return check_number(math.pow(a, b))
    except (OverflowError, ValueError):
        return ERR_NUM


@excel("POWER", "n n")
def xl_power(a, b):
    return power(a, b)


@excel("ROUND", "n n")
def xl_round(x, digits):
    return _round_with(x, digits, ROUND_HALF_UP)


@excel("ROUNDUP", "n n")
def xl_roundup(x, digits):
    return _round_with(x, digits, ROUND_UP)


@excel("ROUNDDOWN", "n n")
def xl_rounddown(x, digits):
    return _round_with(x, digits, ROUND_DOWN)


@excel("TRUNC", "n n?")
def xl_trunc(x, digits=0.0):
    return _round_with(x, digits, ROUND_DOWN)


@excel("INT", "n")
def xl_int(x):
    return float(math.floor(_approx_int(x)))


@excel("MOD", "n n")
def xl_mod(n, d):
    if d == 0:
        return ERR_DIV0
    q = _approx_int(n / d)
    if q == math.floor(q):
        return 0.0
    r = n % d
    return r


@excel("SIGN", "n")
def xl_sign(x):
    return float((x > 0) - (x < 0))


@excel("CEILING", "n n")
def xl_ceiling(x, significance):
    if significance == 0 or x == 0:
        return 0.0
    if x > 0 and significance < 0:
        return ERR_NUM
    return math.ceil(_approx_int(x / significance)) * significance


@excel("FLOOR", "n n")
def xl_floor(x, significance):
    if x == 0:
        return 0.0
    if significance == 0:
        return ERR_DIV0
    if x > 0 and significance < 0:
        return ERR_NUM
    return math.floor(_approx_int(x / significance)) * significance


@excel("PI")
def xl_pi():
    return math.pi


@excel("SUMPRODUCT", "a", variadic=True, min_args=1)
def xl_sumproduct(*arrays):
    arrays = [as_array(a) for a in arrays]
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        return ERR_VALUE
    total = []
    for idx in np.ndindex(shape):
        product = 1.0
        for a in arrays:
            x = a[idx]
            t = type(x)
            if t is ExcelError:
                return x
            product *= x if t is float else 0.0
        total.append(product)
    return math.fsum(total)


