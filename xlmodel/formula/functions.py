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
import math
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal

import numpy as np

from xlmodel.errors import ExcelError
from xlmodel.formula import numfmt
from xlmodel.formula.values import (
    ERR_CALC,
    ERR_DIV0,
    ERR_NA,
    ERR_NUM,
    ERR_REF,
    ERR_VALUE,
    MAX_TEXT,
    MISSING,
    Ref,
    array_of,
    as_array,
    check_number,
    check_size,
    compare,
    full,
    ndarray,
    parse_number_text,
    to_bool,
    to_number,
    to_text,
)


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


# --- helpers ---------------------------------------------------------------------------------


def collect_numbers(args, *, scalar_text: bool = True) -> list[float] | ExcelError:
    """Numbers of an aggregate's arguments, as SUM sees them.

    In arrays and references only numbers count (text, logicals and blanks are skipped);
    arguments typed directly are coerced (TRUE is 1, "3" is 3, "x" is #VALUE!). The first
    error met is returned instead.
    """
    out: list[float] = []
    for a in args:
        if type(a) is ndarray:
            for x in a.flat:
                t = type(x)
                if t is float:
                    out.append(x)
                elif t is ExcelError:
                    return x
        elif a is MISSING or a is None:
            out.append(0.0)
        else:
            x = to_number(a) if scalar_text or type(a) is not str else ERR_VALUE
            if type(x) is ExcelError:
                return x
            out.append(x)
    return out


def _vector(a: object) -> list | ExcelError:
    """A one-row or one-column array as a list; anything wider is #N/A."""
    arr = as_array(a)
    if arr.shape[0] != 1 and arr.shape[1] != 1:
        return ERR_NA
    return list(arr.flat)


def _int_arg(x: float) -> int:
    return int(math.trunc(x))


_WILDCARD = re.compile(r"~[*?~]|[*?]")


def wildcard_pattern(text: str) -> re.Pattern | None:
    """A compiled pattern for Excel wildcards (``*``, ``?``, ``~`` escapes), or None if none."""
    if "*" not in text and "?" not in text and "~" not in text:
        return None

    def repl(m: re.Match) -> str:
        s = m.group()
        if s == "*":
            return ".*"
        if s == "?":
            return "."
        return re.escape(s[1])

    parts = []
    pos = 0
    for m in _WILDCARD.finditer(text):
        parts.append(re.escape(text[pos : m.start()]))
        parts.append(repl(m))
        pos = m.end()
    parts.append(re.escape(text[pos:]))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _same_kind(a: object, b: object) -> bool:
    ta, tb = type(a), type(b)
    return ta is tb or (ta in (float, int) and tb in (float, int))


def exact_position(x: object, values: list, *, wildcards: bool = True,
                   reverse: bool = False) -> int | None:
    """0-based position of the first value equal to x (case-insensitive; wildcards for text)."""
    pattern = wildcard_pattern(x) if wildcards and type(x) is str else None
    order = range(len(values) - 1, -1, -1) if reverse else range(len(values))
    for i in order:
        v = values[i]
        if v is None or not _same_kind(x, v):
            continue
        if pattern is not None:
            if pattern.fullmatch(v):
                return i
        elif compare(x, v) == 0:
            return i
    return None


def sorted_position(x: object, values: list, descending: bool = False) -> int | None:
    """Binary search as MATCH type 1 (-1): the last value <= x (>= x) among values of x's type."""
    candidates = [i for i, v in enumerate(values) if v is not None and _same_kind(x, v)]
    lo, hi = 0, len(candidates)
    while lo < hi:  # find the first candidate for which "v <= x" (or >=) fails
        mid = (lo + hi) // 2
        c = compare(values[candidates[mid]], x)
        ok = c >= 0 if descending else c <= 0
        if ok:
            lo = mid + 1
        else:
            hi = mid
    return candidates[lo - 1] if lo > 0 else None


def make_criterion(criterion: object) -> Callable[[object], bool] | ExcelError:
    """A predicate for COUNTIF-style criteria: ``5``, ``">=5"``, ``"<>x"``, ``"a*"``."""
    if type(criterion) is ExcelError:
        return criterion
    if criterion is None or criterion is MISSING:
        criterion = ""
    if type(criterion) in (float, bool):
        target = criterion
        return lambda v: type(v) is type(target) and compare(v, target) == 0
    text = str(criterion)
    op = "="
    for candidate in (">=", "<=", "<>", "=", ">", "<"):
        if text.startswith(candidate):
            op, text = candidate, text[len(candidate) :]
            break
    number = parse_number_text(text) if text.strip() else None
    upper = text.upper()
    if number is not None:
        operand: object = number
    elif upper in ("TRUE", "FALSE"):
        operand = upper == "TRUE"
    else:
        operand = text
    if operand == "" and op in ("=", "<>"):
        if op == "=":
            return lambda v: v is None or v == ""
        return lambda v: not (v is None or v == "")
    pattern = wildcard_pattern(text) if type(operand) is str and op in ("=", "<>") else None

    def equal(v: object) -> bool:
        if pattern is not None:
            return type(v) is str and pattern.fullmatch(v) is not None
        if not _same_kind(v, operand):
            return False
        return compare(v, operand) == 0

    if op == "=":
        return equal
    if op == "<>":
        return lambda v: not equal(v)

    def ordered(v: object) -> bool:
        if v is None or not _same_kind(v, operand):
            return False
        c = compare(v, operand)
        return {"<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[op]

    return ordered


def _criteria_mask(pairs: list[tuple[object, object]]) -> ndarray | ExcelError:
    shape = None
    mask = None
    for rng, crit in pairs:
        arr = as_array(rng)
        if shape is None:
            shape = arr.shape
            mask = np.ones(shape, dtype=bool)
        elif arr.shape != shape:
            return ERR_VALUE
        test = make_criterion(crit)
        if type(test) is ExcelError:
            return test
        for idx, v in np.ndenumerate(arr):
            if mask[idx] and not test(v):
                mask[idx] = False
    return mask


def _round_with(x: float, digits: float, mode: str) -> float:
    d = _int_arg(digits)
    # Round on 15 significant digits first, as Excel does, so 0.1+0.2 rounds up like 0.3.
    value = Decimal(f"{x:.15g}") if x != 0 else Decimal(0)
    return float(value.quantize(Decimal(1).scaleb(-d), rounding=mode))


def _approx_int(q: float) -> float:
    """q, snapped to the nearest integer when it is within 15-digit noise of it."""
    r = round(q)
    if r != 0 and abs(q - r) <= abs(r) * 1e-15 * 4:
        return float(r)
    return q


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


# --- lookup and reference --------------------------------------------------------------------


@excel("ROWS", "r", needs_ctx=True)
def xl_rows(ctx, ref):
    return float(_shape_of(ref)[0])


@excel("COLUMNS", "r", needs_ctx=True)
def xl_columns(ctx, ref):
    return float(_shape_of(ref)[1])


def _shape_of(x: object) -> tuple[int, int]:
    if type(x) is Ref or type(x) is ndarray:
        return x.shape
    return (1, 1)


@excel("ROW", "r", needs_ctx=True, min_args=0)
def xl_row(ctx, ref=None):
    if ref is None or ref is MISSING:
        return float(ctx.cell[1])
    if type(ref) is not Ref:
        return ERR_VALUE
    if ref.r1 == ref.r2:
        return float(ref.r1)
    return array_of([[float(r)] for r in range(ref.r1, ref.r2 + 1)])


@excel("COLUMN", "r", needs_ctx=True, min_args=0)
def xl_column(ctx, ref=None):
    if ref is None or ref is MISSING:
        return float(ctx.cell[2])
    if type(ref) is not Ref:
        return ERR_VALUE
    if ref.c1 == ref.c2:
        return float(ref.c1)
    return array_of([[float(c) for c in range(ref.c1, ref.c2 + 1)]])


@excel("INDEX", "r n? n?", needs_ctx=True)
def xl_index(ctx, source, row=None, col=None):
    rows, cols = _shape_of(source)
    row = None if row is None else _int_arg(row)
    col = None if col is None else _int_arg(col)
    if (row is not None and row < 0) or (col is not None and col < 0):
        return ERR_VALUE
    if col is None:
        if rows == 1 and cols > 1:  # a single row: the one index counts along it
            row, col = 1, (row or 0)
        else:
            col = 1 if cols == 1 else 0
    row = row or 0
    if row > rows or col > cols:
        return ERR_REF
    r1, r2 = (1, rows) if row == 0 else (row, row)
    c1, c2 = (1, cols) if col == 0 else (col, col)
    if type(source) is Ref:
        return Ref(source.sheet, source.r1 + r1 - 1, source.c1 + c1 - 1,
                   source.r1 + r2 - 1, source.c1 + c2 - 1)
    arr = as_array(source)
    part = arr[r1 - 1 : r2, c1 - 1 : c2]
    return part[0, 0] if part.shape == (1, 1) else part


@excel("MATCH", "x a n?")
def xl_match(lookup, array, match_type=1.0):
    values = _vector(array)
    if type(values) is ExcelError:
        return values
    if lookup is None:
        return ERR_NA
    mode = _int_arg(match_type)
    if mode == 0:
        pos = exact_position(lookup, values)
    else:
        pos = sorted_position(lookup, values, descending=mode < 0)
    return ERR_NA if pos is None else float(pos + 1)


@excel("VLOOKUP", "x a n b?")
def xl_vlookup(lookup, table, col_index, approximate=True):
    return _lookup(lookup, as_array(table), col_index, approximate)


@excel("HLOOKUP", "x a n b?")
def xl_hlookup(lookup, table, row_index, approximate=True):
    return _lookup(lookup, as_array(table).T, row_index, approximate)


def _lookup(lookup, table: ndarray, index: float, approximate: bool) -> object:
    k = _int_arg(index)
    if k < 1:
        return ERR_VALUE
    if k > table.shape[1]:
        return ERR_REF
    keys = list(table[:, 0])
    if approximate:
        pos = sorted_position(lookup, keys)
    else:
        pos = exact_position(lookup, keys)
    return ERR_NA if pos is None else table[pos, k - 1]


@excel("XLOOKUP", "x a a l? n? n?", needs_ctx=True)
def xl_xlookup(ctx, lookup, lookup_array, return_array, if_not_found=None, match_mode=0.0,
               search_mode=1.0):
    keys = _vector(lookup_array)
    if type(keys) is ExcelError:
        return ERR_VALUE
    ret = as_array(return_array)
    lk = as_array(lookup_array)
    vertical = lk.shape[1] == 1 and lk.shape[0] > 1 or (lk.shape == (1, 1) and ret.shape[1] == 1)
    if vertical and ret.shape[0] != len(keys) or not vertical and ret.shape[1] != len(keys):
        return ERR_VALUE
    mode = _int_arg(match_mode)
    reverse = _int_arg(search_mode) < 0
    pos = None
    if mode in (0, 2, -1, 1):
        pos = exact_position(lookup, keys, wildcards=mode == 2, reverse=reverse)
    if pos is None and mode in (-1, 1):
        pos = _next_position(lookup, keys, larger=mode == 1, reverse=reverse)
    if pos is None:
        return ERR_NA if if_not_found is None else ctx.value(if_not_found())
    part = ret[pos : pos + 1, :] if vertical else ret[:, pos : pos + 1]
    return part[0, 0] if part.shape == (1, 1) else part


def _next_position(x: object, values: list, *, larger: bool, reverse: bool) -> int | None:
    best = None
    order = range(len(values) - 1, -1, -1) if reverse else range(len(values))
    for i in order:
        v = values[i]
        if v is None or not _same_kind(x, v):
            continue
        c = compare(v, x)
        if not (c > 0 if larger else c < 0):
            continue
        if best is None:
            best = i
            continue
        against = compare(v, values[best])
        if against < 0 if larger else against > 0:
            best = i
    return best


@excel("TRANSPOSE", "a")
def xl_transpose(values):
    arr = as_array(values)
    return arr.T.copy() if arr.size > 1 else arr[0, 0]


@excel("SEQUENCE", "n n? n? n?")
def xl_sequence(rows, cols=1.0, start=1.0, step=1.0):
    r, c = _int_arg(rows), _int_arg(cols)
    if r < 0 or c < 0:
        return ERR_VALUE
    if r == 0 or c == 0:
        return ERR_CALC
    check_size(r, c, f"SEQUENCE({r}, {c})")
    # start + k * step for k = 0, 1, ...: the same two roundings as in Python floats
    out = (np.arange(r * c, dtype=np.float64) * step + start).reshape(r, c).astype(object)
    return out if out.size > 1 else out[0, 0]


@excel("HSTACK", "a", variadic=True, min_args=1)
def xl_hstack(*arrays):
    parts = [as_array(a) for a in arrays if a is not MISSING]
    rows = max(p.shape[0] for p in parts)
    out = full((rows, sum(p.shape[1] for p in parts)), ERR_NA)
    col = 0
    for p in parts:
        out[: p.shape[0], col : col + p.shape[1]] = p
        col += p.shape[1]
    return out


@excel("VSTACK", "a", variadic=True, min_args=1)
def xl_vstack(*arrays):
    parts = [as_array(a) for a in arrays if a is not MISSING]
    cols = max(p.shape[1] for p in parts)
    out = full((sum(p.shape[0] for p in parts), cols), ERR_NA)
    row = 0
    for p in parts:
        out[row : row + p.shape[0], : p.shape[1]] = p
        row += p.shape[0]
    return out


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


def _sum_numbers(selected) -> object:
    nums = []
    for x in selected:
        if type(x) is ExcelError:
            return x
        if type(x) is float:
            nums.append(x)
    return math.fsum(nums)


def _average_numbers(selected) -> object:
    nums = [x for x in selected if type(x) is float]
    err = next((x for x in selected if type(x) is ExcelError), None)
    if err is not None:
        return err
    return math.fsum(nums) / len(nums) if nums else ERR_DIV0


def _extreme(reduce):
    def apply(selected) -> object:
        nums = []
        for x in selected:
            if type(x) is ExcelError:
                return x
            if type(x) is float:
                nums.append(x)
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


# --- text ------------------------------------------------------------------------------------


@excel("CONCAT", "a", variadic=True, min_args=1)
def xl_concat(*args):
    parts = []
    length = 0
    for a in args:
        items = a.flat if type(a) is ndarray else (a,)
        for x in items:
            t = to_text(x)
            if type(t) is ExcelError:
                return t
            parts.append(t)
            length += len(t)
            if length > MAX_TEXT:  # stop before joining gigabytes
                return _too_long(length)
    text = "".join(parts)
    return text if len(text) <= MAX_TEXT else _too_long(len(text))


@excel("CONCATENATE", "s", variadic=True, min_args=1)
def xl_concatenate(*parts):
    text = "".join(parts)
    return text if len(text) <= MAX_TEXT else _too_long(len(text))


def _too_long(n: int) -> ExcelError:
    return ExcelError("#VALUE!", f"text of {n:,} characters is longer than the {MAX_TEXT:,} "
                      "a cell holds")


@excel("TEXT", "x s")
def xl_text(value, fmt):
    if value is None:
        value = 0.0
    if type(value) is bool:
        return "TRUE" if value else "FALSE"
    if type(value) is str:
        number = parse_number_text(value)
        value = value if number is None else number
    return numfmt.format_value(value, fmt)


@excel("UPPER", "s")
def xl_upper(text):
    return text.upper()


@excel("LOWER", "s")
def xl_lower(text):
    return text.lower()


@excel("LEN", "s")
def xl_len(text):
    return float(len(text))


@excel("TRIM", "s")
def xl_trim(text):
    return " ".join(part for part in text.split(" ") if part)


@excel("LEFT", "s n?")
def xl_left(text, count=1.0):
    n = _int_arg(count)
    return ERR_VALUE if n < 0 else text[:n]


@excel("RIGHT", "s n?")
def xl_right(text, count=1.0):
    n = _int_arg(count)
    if n < 0:
        return ERR_VALUE
    return text[len(text) - n :] if n else ""


@excel("MID", "s n n")
def xl_mid(text, start, count):
    s, n = _int_arg(start), _int_arg(count)
    if s < 1 or n < 0:
        return ERR_VALUE
    return text[s - 1 : s - 1 + n]


@excel("REPT", "s n")
def xl_rept(text, times):
    n = _int_arg(times)
    if n < 0 or len(text) * n > 32767:
        return ERR_VALUE
    return text * n


@excel("SUBSTITUTE", "s s s n?")
def xl_substitute(text, old, new, instance=None):
    if old == "":
        return text
    if instance is None:
        length = len(text) + text.count(old) * (len(new) - len(old))
        return text.replace(old, new) if length <= MAX_TEXT else _too_long(length)
    k = _int_arg(instance)
    if k < 1:
        return ERR_VALUE
    pos = -1
    for _ in range(k):
        pos = text.find(old, pos + 1)
        if pos < 0:
            return text
    return text[:pos] + new + text[pos + len(old) :]


@excel("EXACT", "s s")
def xl_exact(a, b):
    return a == b


@excel("VALUE", "x")
def xl_value(x):
    t = type(x)
    if t is float:
        return x
    if x is None:
        return 0.0
    if t is str:
        number = parse_number_text(x)
        return ERR_VALUE if number is None else number
    return ERR_VALUE


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

