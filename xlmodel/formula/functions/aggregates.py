"""Excel's native conditional aggregates: SUMIF(S), COUNTIF(S), AVERAGEIF(S), MAXIFS, MINIFS.
"""

from __future__ import annotations

import math

from xlmodel.errors import ExcelError
from xlmodel.formula.functions.common import _criteria_mask
from xlmodel.formula.functions.registry import excel
from xlmodel.formula.values import (
    ERR_DIV0,
    ERR_VALUE,
    MISSING,
    Ref,
    as_array,
)

# --- conditional aggregates ------------------------------------------------------------------


@excel("COUNTIF", "a x")
def xl_countif(values, criterion):
    mask = _criteria_mask([(values, criterion)])
    return mask if type(mask) is ExcelError else float(mask.sum())


@excel("COUNTIFS", "a x", variadic=True, min_args=2, repeat=2)
def xl_countifs(*pairs):
    if len(pairs) % 2:
        return ERR_VALUE
    mask = _criteria_mask(list(zip(pairs[::2], pairs[1::2], strict=True)))
    return mask if type(mask) is ExcelError else float(mask.sum())


@excel("SUMIF", "a x r", needs_ctx=True)
def xl_sumif(ctx, values, criterion, sum_range=None):
    return _if_aggregate(ctx, values, criterion, sum_range, _sum_numbers)


@excel("AVERAGEIF", "a x r", needs_ctx=True)
def xl_averageif(ctx, values, criterion, average_range=None):
    return _if_aggregate(ctx, values, criterion, average_range, _average_numbers)


def _if_aggregate(ctx, values, criterion, target, reduce) -> object:
    arr = as_array(values)
    mask = _criteria_mask([(arr, criterion)])
    if type(mask) is ExcelError:
        return mask
    if target is None or target is MISSING:
        data = arr
    elif type(target) is Ref:  # the sum range takes the criteria range's shape
        r, c = arr.shape
        data = ctx.read_array(Ref(target.sheet, target.r1, target.c1,
                                  target.r1 + r - 1, target.c1 + c - 1))
    else:
        data = as_array(target)
        if data.shape != arr.shape:
            return ERR_VALUE
    return reduce(data[mask])


def _ifs_aggregate(target, pairs, reduce) -> object:
    if len(pairs) % 2 or not pairs:
        return ERR_VALUE
    data = as_array(target)
    mask = _criteria_mask(list(zip(pairs[::2], pairs[1::2], strict=True)))
    if type(mask) is ExcelError:
        return mask
    if mask.shape != data.shape:
        return ERR_VALUE
    return reduce(data[mask])


def _numbers_of(selected) -> list[float] | ExcelError:
    """The numbers among the selected cells, or the first error among them."""
    nums = []
    for x in selected:
        if type(x) is ExcelError:
            return x
        if type(x) is float:
            nums.append(x)
    return nums


def _sum_numbers(selected) -> object:
    nums = _numbers_of(selected)
    return nums if type(nums) is ExcelError else math.fsum(nums)


def _average_numbers(selected) -> object:
    nums = _numbers_of(selected)
    if type(nums) is ExcelError:
        return nums
    return math.fsum(nums) / len(nums) if nums else ERR_DIV0


def _extreme(reduce):
    def apply(selected) -> object:
        nums = _numbers_of(selected)
        if type(nums) is ExcelError:
            return nums
        return reduce(nums) if nums else 0.0

    return apply


@excel("SUMIFS", "a a x", variadic=True, min_args=3, repeat=2)
def xl_sumifs(target, *pairs):
    return _ifs_aggregate(target, pairs, _sum_numbers)


@excel("AVERAGEIFS", "a a x", variadic=True, min_args=3, repeat=2)
def xl_averageifs(target, *pairs):
    return _ifs_aggregate(target, pairs, _average_numbers)


@excel("MINIFS", "a a x", variadic=True, min_args=3, repeat=2)
def xl_minifs(target, *pairs):
    return _ifs_aggregate(target, pairs, _extreme(min))


@excel("MAXIFS", "a a x", variadic=True, min_args=3, repeat=2)
def xl_maxifs(target, *pairs):
    return _ifs_aggregate(target, pairs, _extreme(max))


