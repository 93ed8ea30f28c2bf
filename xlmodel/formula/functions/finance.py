"""Excel's native financial functions: NPV, PMT, FV, PV.
"""

from __future__ import annotations

import math

from xlmodel.errors import ExcelError
from xlmodel.formula.functions.common import collect_numbers
from xlmodel.formula.functions.registry import excel
from xlmodel.formula.values import (
    ERR_DIV0,
    ERR_NUM,
)

# --- finance ---------------------------------------------------------------------------------


@excel("NPV", "n a", variadic=True, min_args=2)
def xl_npv(rate, *values):
    nums = collect_numbers(values)
    if type(nums) is ExcelError:
        return nums
    if rate == -1:
        return ERR_DIV0
    return math.fsum(v / (1.0 + rate) ** (i + 1) for i, v in enumerate(nums))


@excel("PMT", "n n n n? n?")
def xl_pmt(rate, nper, pv, fv=0.0, when=0.0):
    if nper == 0:
        return ERR_NUM
    if rate == 0:
        return -(pv + fv) / nper
    growth = (1.0 + rate) ** nper
    return -(rate * (pv * growth + fv)) / ((1.0 + rate * (1 if when else 0)) * (growth - 1.0))


@excel("FV", "n n n n? n?")
def xl_fv(rate, nper, pmt, pv=0.0, when=0.0):
    if rate == 0:
        return -(pv + pmt * nper)
    growth = (1.0 + rate) ** nper
    return -(pv * growth + pmt * (1.0 + rate * (1 if when else 0)) * (growth - 1.0) / rate)


@excel("PV", "n n n n? n?")
def xl_pv(rate, nper, pmt, fv=0.0, when=0.0):
    if rate == 0:
        return -(fv + pmt * nper)
    growth = (1.0 + rate) ** nper
    return -(fv + pmt * (1.0 + rate * (1 if when else 0)) * (growth - 1.0) / rate) / growth

