"""Argument helpers the native functions share: number collection, criteria, lookups, rounding.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import ROUND_UP, Decimal

import numpy as np

from xlmodel.errors import ExcelError
from xlmodel.formula.values import (
    ERR_NA,
    ERR_VALUE,
    MISSING,
    as_array,
    compare,
    ndarray,
    parse_number_text,
    to_number,
)

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


class Wildcard:
    """An Excel wildcard pattern: ``*`` any run of characters, ``?`` any one, ``~`` before
    ``*``, ``?`` or ``~`` that character itself; case-insensitive. Matching takes time in
    proportion to the text times the pattern at worst, never more (a regular expression of
    ``.*`` runs backtracks without bound: ``*a*a*a...b`` against ``aaa...``)."""

    __slots__ = ("_parts",)

    def __init__(self, text: str):
        parts: list[str | None] = []  # None is "*", "\0" is "?", else one character
        for m in re.finditer(r"~[*?~]|[*?]|.", text, re.DOTALL):
            s = m.group()
            if s == "*":
                if not parts or parts[-1] is not None:
                    parts.append(None)
            elif s == "?":
                parts.append("\0")
            else:
                parts.append(s[-1].lower())
        self._parts = parts

    def fullmatch(self, text: str) -> bool:
        parts, text = self._parts, text.lower()
        p = t = 0
        star, mark = -1, 0
        while t < len(text):
            if p < len(parts) and parts[p] is not None and (
                    parts[p] == "\0" or parts[p] == text[t]):
                p += 1
                t += 1
            elif p < len(parts) and parts[p] is None:
                star, mark = p, t
                p += 1
            elif star >= 0:
                p, mark = star + 1, mark + 1
                t = mark
            else:
                return False
        while p < len(parts) and parts[p] is None:
            p += 1
        return p == len(parts)


def wildcard_pattern(text: str) -> Wildcard | None:
    """The Excel wildcard pattern of a text (``*``, ``?``, ``~`` escapes), or None if it has
    none."""
    if "*" not in text and "?" not in text and "~" not in text:
        return None
    return Wildcard(text)


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
    """Excel's approximate search, as MATCH type 1 (-1), VLOOKUP, HLOOKUP and LOOKUP do it:
    0-based position, or None. Only values of x's kind take part (numbers, text, logicals);
    blanks, errors and other kinds are passed over.

    Type 1: a bisection over the whole array, sorted or not. From the middle of ``lo..hi``
    it steps forward to a value of x's kind (none before ``hi``: the upper half goes); an
    equal value is the answer, after stepping over the equal values that follow it (the last
    of a run of duplicates); a smaller one is remembered and the search goes on above it; a
    larger one sends it below the middle. The answer is the last value remembered.

    Type -1: no bisection but a scan from the start: an equal value is the answer; the first
    smaller value ends the scan, and the larger value before it is the answer. So
    ``MATCH(40, {25;28;40;41}, -1)`` is #N/A, as in Microsoft's example."""
    if descending:
        best = None
        for i, v in enumerate(values):
            if v is None or not _same_kind(x, v):
                continue
            c = compare(v, x)
            if c == 0:
                return i
            if c < 0:
                break
            best = i
        return best
    lo, hi, best, n = 0, len(values) - 1, None, len(values)
    while lo <= hi:
        mid = (lo + hi) // 2
        j = mid
        while j <= hi and (values[j] is None or not _same_kind(x, values[j])):
            j += 1
        if j > hi:
            hi = mid - 1
            continue
        c = compare(values[j], x)
        if c == 0:
            while j + 1 < n and values[j + 1] is not None and _same_kind(x, values[j + 1]) \
                    and compare(values[j + 1], x) == 0:
                j += 1
            return j
        if c < 0:
            best, lo = j, j + 1
        else:
            hi = mid - 1
    return best


def make_criterion(criterion: object) -> Callable[[object], bool] | ExcelError:
    """A predicate for COUNTIF-style criteria: ``5``, ``">=5"``, ``"<>x"``, ``"a*"``."""
    if type(criterion) is ExcelError:
        return criterion
    if criterion is None or criterion is MISSING:
        criterion = ""
    if type(criterion) is bool:
        return lambda v: v is criterion
    if type(criterion) is float:
        target = criterion
        return lambda v: (v == target if type(v) is float
                          else type(v) is str and parse_number_text(v) == target)
    text = str(criterion)
    if text == "=":
        return lambda v: v is None  # "=" alone: empty cells, not a formula's ""
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
            return type(v) is str and pattern.fullmatch(v)
        if type(v) is str and type(operand) is float:
            # a number stored as text matches the number ("10" and 10 both count "10")
            return parse_number_text(v) == operand
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
    if x == 0 or value.adjusted() + d >= 15:
        return float(value)  # every digit it has is kept (ROUNDUP(1E+300, 10) is 1E+300)
    if value.adjusted() + d < -1:
        # the place is above the first digit: 0, or one unit of that place rounding up
        if mode != ROUND_UP:
            return 0.0
        return math.copysign(10.0 ** -d if -d <= 308 else math.inf, x)
    return float(value.quantize(Decimal(1).scaleb(-d), rounding=mode))


def _approx_int(q: float) -> float:
    """q, snapped to the nearest integer when it is within 15-digit noise of it."""
    r = round(q)
    if r != 0 and abs(q - r) <= abs(r) * 1e-15 * 4:
        return float(r)
    return q


