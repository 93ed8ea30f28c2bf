"""Excel's native text functions.
"""

from __future__ import annotations

from xlmodel.errors import ExcelError
from xlmodel.formula import numfmt
from xlmodel.formula.functions.common import _int_arg
from xlmodel.formula.functions.registry import excel
from xlmodel.formula.values import (
    ERR_VALUE,
    MAX_TEXT,
    ndarray,
    to_text,
    value_of_text,
)

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
        number = value_of_text(value)
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
    return ERR_VALUE if count < 0 else text[:n]  # LEFT("abc", -0.5) is #VALUE!


@excel("RIGHT", "s n?")
def xl_right(text, count=1.0):
    n = _int_arg(count)
    if count < 0:
        return ERR_VALUE
    return text[max(0, len(text) - n) :] if n else ""  # RIGHT("abc", 4) is "abc"


@excel("MID", "s n n")
def xl_mid(text, start, count):
    s, n = _int_arg(start), _int_arg(count)
    if s < 1 or count < 0:
        return ERR_VALUE
    return text[s - 1 : s - 1 + n]


@excel("REPT", "s n")
def xl_rept(text, times):
    n = _int_arg(times)
    if times < 0 or len(text) * n > 32767:
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
        number = value_of_text(x)
        return ERR_VALUE if number is None else number
    return ERR_VALUE




