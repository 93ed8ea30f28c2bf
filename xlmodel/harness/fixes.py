"""Native Excel functions that IronCalc computes differently from Excel, computed on our side.

Full mode hands a cell that calls one of these to the Python side, as it does the cells that
call our own functions, when every function the cell calls is one the formula engine of
:mod:`xlmodel.formula` has; IronCalc then takes the value. Each fix is narrow and tested
against the values Excel computed and saved (tests/test_fixes.py).

The number-base conversions (``BIN2DEC`` ... ``HEX2OCT``): IronCalc gives ``#VALUE!`` where
Excel gives ``#NUM!`` (a number that is not valid in its base, given with ``places``), and
``#NUM!`` where Excel gives 0 (a blank or empty argument). Excel's rules, followed here:

* the number is text or a number read as its digits, at most 10 digits of its base; 10
  digits with the top bit set are negative (two's complement: 10 bits binary, 30 octal,
  40 hexadecimal); a blank or empty number is 0; anything else is ``#NUM!``; a decimal
  number is truncated, and empty or non-numeric text is ``#VALUE!`` there;
* a result must fit the target base in 10 digits (binary -512 ... 511, octal -2^29 ...
  2^29-1, hexadecimal -2^39 ... 2^39-1), else ``#NUM!``; a negative result is written in
  10 digits, whatever ``places`` says;
* ``places`` (optional, checked before the number) is truncated to a whole number; text is
  ``#VALUE!``; below 1 or above 10 is ``#NUM!``, and so is a positive result with more
  digits.

``VDB`` with a fractional start period: IronCalc (like LibreOffice) prorates each whole
period linearly; Excel instead moves the whole grid of periods. Excel's rule, which
reproduces all 40 ``VDB`` cells Excel saved in the development set (14 of which IronCalc
misses):

* when ``start`` has a fractional part ``f``, the first step runs from 0 to ``f`` and whole
  steps follow (``f``, ``f + 1``, ...); otherwise the steps are the whole periods; the last
  step ends at ``life``;
* a step from ``t`` of length ``n`` depreciates ``min(rate * n, book - salvage)``, where
  ``rate`` is the declining balance ``book * factor / life`` or, unless ``no_switch``, the
  straight line ``(book - salvage) / (life - t)`` where that is larger;
* the result is the part of each step's depreciation that falls in ``[start, end]``,
  prorated by length.

On whole periods this is the ordinary variable declining balance, where IronCalc and
Excel agree. The argument rules follow ECMA-376 (Part 1, 18.17.7.339): a negative cost,
salvage or start, a life or factor that is not positive, ``end < start`` or ``end > life``
are ``#NUM!``; a salvage above cost depreciates nothing (0). These edges are not in the
Excel-saved set.
"""

from __future__ import annotations

import math

from xlmodel.errors import ExcelError

_BASES = {"BIN": 2, "OCT": 8, "DEC": 10, "HEX": 16}
_DIGITS = "0123456789ABCDEF"


def _num(message: str) -> ExcelError:
    return ExcelError("#NUM!", message)


def _from_base(name: str, number, base: int):
    """The integer value of a base-2/8/16 number argument, or an error value."""
    if number is None or number == "":
        return 0
    if isinstance(number, bool):
        return ExcelError("#VALUE!", f"{name}: the number is a logical value")
    if isinstance(number, float):
        if number != math.floor(number) or number < 0:
            return _num(f"{name}: {number!r} is not a base-{base} number")
        number = str(int(number))
    text = str(number).strip().upper()
    if not text or len(text) > 10 or any(ch not in _DIGITS[:base] for ch in text):
        return _num(f"{name}: {str(number)[:20]!r} is not a base-{base} number of at most "
                    "10 digits")
    value = int(text, base)
    bits = {2: 10, 8: 30, 16: 40}[base]
    if len(text) == 10 and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def _from_decimal(name: str, number):
    if number is None:
        return 0  # a blank cell; empty text is #VALUE! below, as in Excel
    if isinstance(number, bool):
        return ExcelError("#VALUE!", f"{name}: the number is a logical value")
    if isinstance(number, str):
        try:
            number = float(number.strip())
        except ValueError:
            return ExcelError("#VALUE!", f"{name}: {number[:20]!r} is not a number")
    if not math.isfinite(number):
        return _num(f"{name}: the number is not finite")
    return int(number)  # Excel truncates toward zero


def _places(name: str, places):
    """``places`` as a whole number of digits (None when omitted), or an error value."""
    if places is None:
        return None
    if isinstance(places, bool):
        return ExcelError("#VALUE!", f"{name}: places must be a number")
    if isinstance(places, str):
        try:
            places = float(places)
        except ValueError:
            return ExcelError("#VALUE!", f"{name}: places must be a number")
    places = math.trunc(places)
    if not 1 <= places <= 10:
        return _num(f"{name}: places must be 1 to 10, got {places}")
    return places


def _to_base(name: str, value: int, base: int, places):
    limit = {2: 1 << 9, 8: 1 << 29, 16: 1 << 39}[base]
    if not -limit <= value < limit:
        return _num(f"{name}: {value} does not fit 10 base-{base} digits")
    if value < 0:
        return _digits(value + limit * 2, base)  # always 10 digits: places is ignored
    text = _digits(value, base)
    if places is None:
        return text
    if len(text) > places:
        return _num(f"{name}: the result has {len(text)} digits, more than places ({places})")
    return text.rjust(places, "0")


def _digits(value: int, base: int) -> str:
    if value == 0:
        return "0"
    out = []
    while value:
        value, d = divmod(value, base)
        out.append(_DIGITS[d])
    return "".join(reversed(out))


def _converter(source: str, target: str):
    name = f"{source}2{target}"
    base_in, base_out = _BASES[source], _BASES[target]

    def convert(number=None, places=None):
        for arg in (number, places):
            if isinstance(arg, ExcelError):
                return arg
        if base_out != 10:
            # Excel checks places before the number: DEC2BIN("E", 0) is #NUM!
            places = _places(name, places)
            if isinstance(places, ExcelError):
                return places
        value = (_from_decimal(name, number) if base_in == 10
                 else _from_base(name, number, base_in))
        if isinstance(value, ExcelError):
            return value
        if base_out == 10:
            return float(value)
        return _to_base(name, value, base_out, places)

    convert.__name__ = name
    return convert


#: Bound on the steps of one VDB call (each period is one step until the straight line takes
#: over, which is summed at once): a call past it is #NUM!, never a hang.
VDB_MAX_STEPS = 1 << 16


def _number(name: str, what: str, value, default=None):
    """A numeric argument as a float, or an error value: a blank is 0 (or the default, for
    an optional argument), a logical value is 1 or 0, text is read as a number."""
    if value is None:
        return 0.0 if default is None else default
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return ExcelError("#VALUE!", f"{name}: {what} {value[:20]!r} is not a number")
    if not math.isfinite(value):
        return _num(f"{name}: {what} is not finite")
    return float(value)


def vdb(cost=None, salvage=None, life=None, start=None, end=None, factor=None,
        no_switch=None):
    """Excel's ``VDB(cost, salvage, life, start_period, end_period, [factor], [no_switch])``."""
    args = []
    for what, value, default in (("cost", cost, None), ("salvage", salvage, None),
                                 ("life", life, None), ("start_period", start, None),
                                 ("end_period", end, None), ("factor", factor, 2.0),
                                 ("no_switch", no_switch, 0.0)):
        if isinstance(value, ExcelError):
            return value
        value = _number("VDB", what, value, default)
        if isinstance(value, ExcelError):
            return value
        args.append(value)
    cost, salvage, life, start, end, factor, no_switch = args
    for what, bad, rule in (("cost", cost < 0, "must not be negative"),
                            ("salvage", salvage < 0, "must not be negative"),
                            ("life", life <= 0, "must be positive"),
                            ("start_period", start < 0, "must not be negative"),
                            ("end_period", end < start, "must not be before start_period"),
                            ("end_period", end > life, "must not be after life"),
                            ("factor", factor <= 0, "must be positive")):
        if bad:
            return _num(f"VDB: {what} {rule}")
    fraction = start - math.floor(start)
    t, book, total, steps = 0.0, cost, 0.0, 0
    while t < end and book > salvage:
        steps += 1
        if steps > VDB_MAX_STEPS:
            return _num(f"VDB: more than {VDB_MAX_STEPS:,} periods to depreciate")
        stop = min(fraction if t == 0.0 and fraction > 0.0 else t + 1.0, life)
        length = stop - t
        rate = book * factor / life
        if not no_switch and life > t:
            straight = (book - salvage) / (life - t)
            if straight >= rate:
                # the straight line from here on: the same amount per period to the end
                total += straight * max(0.0, min(end, life) - max(t, start))
                break
        depreciation = min(rate * length, book - salvage)
        low, high = max(t, start), min(stop, end)
        if high > low:
            total += depreciation * (high - low) / length
        book -= depreciation
        t = stop
    return total


#: Native function name -> Python implementation with Excel's semantics (scalar arguments:
#: float, str, bool, None for blank or omitted).
FIXES = {f"{a}2{b}": _converter(a, b) for a in _BASES for b in _BASES if a != b}
FIXES["VDB"] = vdb
