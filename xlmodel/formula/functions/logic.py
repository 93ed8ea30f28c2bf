"""Excel's native logical and information functions.
"""

from __future__ import annotations

from xlmodel.errors import ExcelError
from xlmodel.formula.functions.common import _int_arg
from xlmodel.formula.functions.registry import excel
from xlmodel.formula.values import (
    ERR_NA,
    ERR_VALUE,
    MISSING,
    ndarray,
    to_bool,
    to_number,
)

# --- logic and information -------------------------------------------------------------------


@excel("IF", "l l l", needs_ctx=True, min_args=1)
def xl_if(ctx, test, if_true=None, if_false=None):
    cond = ctx.value(test())
    if type(cond) is not ndarray:
        b = to_bool(cond)
        if type(b) is ExcelError:
            return b
        branch = if_true if b else if_false
        if branch is None:
            return b
        return branch()
    flags = [to_bool(x) for x in cond.flat]
    need_true = any(f is True for f in flags)
    need_false = any(f is False for f in flags)
    t = _branch_value(ctx, if_true, True) if need_true else None
    f = _branch_value(ctx, if_false, False) if need_false else None

    def choose(c, a, b):
        c = to_bool(c)
        if type(c) is ExcelError:
            return c
        return a if c else b

    return ctx.lift(choose, [cond, t, f])


def _branch_value(ctx, thunk, default: bool) -> object:
    if thunk is None:
        return default
    value = ctx.value(thunk())
    return 0.0 if value is MISSING else value


@excel("IFERROR", "l l", needs_ctx=True)
def xl_iferror(ctx, value, value_if_error):
    return _if_error(ctx, value, value_if_error, lambda e: True)


@excel("IFNA", "l l", needs_ctx=True)
def xl_ifna(ctx, value, value_if_na):
    return _if_error(ctx, value, value_if_na, lambda e: e.code == "#N/A")


def _if_error(ctx, value, alternative, matches) -> object:
    v = ctx.value(value())
    if type(v) is ndarray:
        if not any(type(x) is ExcelError and matches(x) for x in v.flat):
            return v
        alt = _branch_value(ctx, alternative, False)
        return ctx.lift(
            lambda x, a: a if type(x) is ExcelError and matches(x) else x, [v, alt]
        )
    if type(v) is ExcelError and matches(v):
        return _branch_value(ctx, alternative, False)
    return 0.0 if v is MISSING else v


@excel("CHOOSE", "l", variadic=True, needs_ctx=True, min_args=2)
def xl_choose(ctx, index, *choices):
    idx = ctx.value(index())
    if type(idx) is not ndarray:
        x = to_number(idx)
        if type(x) is ExcelError:
            return x
        k = _int_arg(x)
        if not 1 <= k <= len(choices):
            return ERR_VALUE
        return choices[k - 1]()
    picked: dict[int, object] = {}
    for x in idx.flat:
        x = to_number(x)
        if type(x) is float and 1 <= _int_arg(x) <= len(choices):
            k = _int_arg(x)
            if k not in picked:
                picked[k] = ctx.value(choices[k - 1]())
    keys = sorted(picked)
    values = [picked[k] for k in keys]

    def choose(i, *vals):
        i = to_number(i)
        if type(i) is ExcelError:
            return i
        k = _int_arg(i)
        return vals[keys.index(k)] if k in picked else ERR_VALUE

    return ctx.lift(choose, [idx, *values])


@excel("AND", "a", variadic=True, min_args=1)
def xl_and(*args):
    flags = _logicals(args)
    if type(flags) is ExcelError:
        return flags
    return all(flags)


@excel("OR", "a", variadic=True, min_args=1)
def xl_or(*args):
    flags = _logicals(args)
    if type(flags) is ExcelError:
        return flags
    return any(flags)


@excel("XOR", "a", variadic=True, min_args=1)
def xl_xor(*args):
    flags = _logicals(args)
    if type(flags) is ExcelError:
        return flags
    return sum(flags) % 2 == 1


def _logicals(args) -> list[bool] | ExcelError:
    flags: list[bool] = []
    for a in args:
        if type(a) is ndarray:
            for x in a.flat:
                t = type(x)
                if t is bool:
                    flags.append(x)
                elif t is float:
                    flags.append(x != 0.0)
                elif t is ExcelError:
                    return x
        elif a is not MISSING:
            b = to_bool(a)
            if type(b) is ExcelError:
                return b
            flags.append(b)
    return flags if flags else ERR_VALUE


@excel("NOT", "b")
def xl_not(x):
    return not x


@excel("TRUE")
def xl_true():
    return True


@excel("FALSE")
def xl_false():
    return False


@excel("NA")
def xl_na():
    return ERR_NA


@excel("ISERROR", "v")
def xl_iserror(x):
    return type(x) is ExcelError


@excel("ISERR", "v")
def xl_iserr(x):
    return type(x) is ExcelError and x.code != "#N/A"


@excel("ISNA", "v")
def xl_isna(x):
    return type(x) is ExcelError and x.code == "#N/A"


@excel("ISNUMBER", "v")
def xl_isnumber(x):
    return type(x) is float


@excel("ISTEXT", "v")
def xl_istext(x):
    return type(x) is str


@excel("ISNONTEXT", "v")
def xl_isnontext(x):
    return type(x) is not str


@excel("ISLOGICAL", "v")
def xl_islogical(x):
    return type(x) is bool


@excel("ISBLANK", "v")
def xl_isblank(x):
    return x is None


@excel("ISEVEN", "n")
def xl_iseven(x):
    return _int_arg(x) % 2 == 0


@excel("ISODD", "n")
def xl_isodd(x):
    return _int_arg(x) % 2 == 1


@excel("N", "v")
def xl_n(x):
    t = type(x)
    if t is float or t is ExcelError:
        return x
    if t is bool:
        return 1.0 if x else 0.0
    return 0.0


