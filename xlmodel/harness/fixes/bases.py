"""The number-base conversions (``BIN2DEC`` ... ``HEX2OCT``): IronCalc gives ``#VALUE!`` where
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


FIXES = {f"{a}2{b}": _converter(a, b) for a in _BASES for b in _BASES if a != b}
