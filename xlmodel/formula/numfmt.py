"""Excel number formats for the TEXT function: the numeric subset.

Supported: ``General``, digit placeholders ``0 # ?``, decimal point, thousands separator,
percent, scientific ``0.00E+00``, quoted literals, backslash escapes, ``@`` for text and up to
four ``;``-separated sections (positive; negative; zero; text). Date and time codes are not.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from xlmodel.errors import ExcelError
from xlmodel.formula.values import ERR_VALUE, number_text

_DATE_CODES = re.compile(r"[dDyYhHsS]|\bm+\b|AM/PM|A/P", re.IGNORECASE)
_BRACKET = re.compile(r"\[[^\]]*\]")


def format_value(value: object, fmt: str) -> str | ExcelError:
    """Format a number or text with an Excel number format, as TEXT(value, fmt) does."""
    sections = _split_sections(fmt)
    if isinstance(value, str):
        if len(sections) >= 4:
            return _render_literal(sections[3]).replace("\x00", value)
        if "@" in sections[0]:
            return _render_literal(sections[0]).replace("\x00", value)
        return value
    x = float(value)
    section = sections[0]
    negative_sign = x < 0
    if x < 0 and len(sections) >= 2:
        section = sections[1]
        negative_sign = False
        x = -x
    elif x == 0 and len(sections) >= 3:
        section = sections[2]
    if x < 0 and not negative_sign:
        x = -x
    section = _BRACKET.sub("", section)  # colours and conditions are ignored
    body = _strip_literals(section)
    if body.strip().upper() == "GENERAL" or not body.strip():
        text = number_text(abs(x) if negative_sign else x) if body.strip() else ""
        rendered = _render_literal(section.replace("General", "\x00").replace("GENERAL", "\x00"))
        return ("-" if negative_sign else "") + rendered.replace("\x00", text)
    if _DATE_CODES.search(body.replace("E+", "").replace("E-", "").replace("e+", "")):
        return ERR_VALUE
    formatted = _format_number(abs(x), section)
    if isinstance(formatted, ExcelError):
        return formatted
    if negative_sign and any(ch != "0" for ch in re.sub(r"[^0-9]", "", formatted)):
        formatted = "-" + formatted
    return formatted


def _split_sections(fmt: str) -> list[str]:
    sections, current, i = [], [], 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == '"':
            j = fmt.find('"', i + 1)
            j = len(fmt) - 1 if j < 0 else j
            current.append(fmt[i : j + 1])
            i = j + 1
            continue
        if ch == "\\" and i + 1 < len(fmt):
            current.append(fmt[i : i + 2])
            i += 2
            continue
        if ch == ";":
            sections.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    sections.append("".join(current))
    return sections


def _strip_literals(section: str) -> str:
    return re.sub(r'"[^"]*"?|\\.', "", section)


def _parse(section: str) -> list[tuple[str, str]]:
    """Split a section into ('lit', text) and ('code', char) items."""
    items: list[tuple[str, str]] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            j = section.find('"', i + 1)
            j = len(section) if j < 0 else j
            items.append(("lit", section[i + 1 : j]))
            i = j + 1
            continue
        if ch == "\\" and i + 1 < len(section):
            items.append(("lit", section[i + 1]))
            i += 2
            continue
        if ch in "_*" and i + 1 < len(section):  # padding codes: a space / nothing
            items.append(("lit", " " if ch == "_" else ""))
            i += 2
            continue
        if ch in "0#?.,%@" or (ch in "Ee" and i + 1 < len(section) and section[i + 1] in "+-"):
            if ch in "Ee":
                items.append(("code", ch + section[i + 1]))
                i += 2
                continue
            items.append(("code", ch))
        else:
            items.append(("lit", ch))
        i += 1
    return items


def _render_literal(section: str) -> str:
    out = []
    for kind, text in _parse(section):
        if kind == "lit":
            out.append(text)
        elif text == "@":
            out.append("\x00")
        else:
            out.append(text)
    return "".join(out)


def _format_number(x: float, section: str) -> str | ExcelError:
    items = _parse(section)
    codes = [t for k, t in items if k == "code"]
    x *= 100.0 ** codes.count("%")
    exp_index = next((i for i, (k, t) in enumerate(items) if k == "code" and t[0] in "Ee"), None)
    mantissa_items = items if exp_index is None else items[:exp_index]
    exp_items = [] if exp_index is None else items[exp_index + 1 :]
    point = next(
        (i for i, (k, t) in enumerate(mantissa_items) if k == "code" and t == "."), None
    )
    int_items = mantissa_items if point is None else mantissa_items[:point]
    frac_items = [] if point is None else mantissa_items[point + 1 :]
    frac_places = [t for k, t in frac_items if k == "code" and t in "0#?"]
    int_places = [t for k, t in int_items if k == "code" and t in "0#?"]
    thousands = any(
        k == "code" and t == "," for k, t in int_items
    ) and bool(int_places)
    exponent = 0
    if exp_index is not None:
        if x != 0:
            exponent = Decimal(repr(x)).adjusted() - max(len(int_places) - 1, 0)
        x = float(Decimal(repr(x)).scaleb(-exponent))
    rounded = Decimal(repr(x)).quantize(Decimal(1).scaleb(-len(frac_places)), ROUND_HALF_UP)
    if exp_index is not None and rounded >= Decimal(10) ** max(len(int_places), 1):
        exponent += 1
        rounded = (rounded / 10).quantize(Decimal(1).scaleb(-len(frac_places)), ROUND_HALF_UP)
    digits = f"{rounded:f}"
    int_digits, _, frac_digits = digits.partition(".")
    int_digits = int_digits.lstrip("0")
    int_text = _fill_integer(int_items, int_digits, thousands)
    frac_text = _fill_fraction(frac_items, frac_digits)
    text = int_text + ("." + frac_text if point is not None else "")
    if exp_index is not None:
        sign_code = items[exp_index][1][1]
        exp_places = [t for k, t in exp_items if k == "code" and t in "0#?"]
        exp_digits = str(abs(exponent)).rjust(max(len(exp_places), 1), "0")
        sign = "-" if exponent < 0 else ("+" if sign_code == "+" else "")
        tail = "".join(t for k, t in exp_items if k == "lit")
        text += items[exp_index][1][0] + sign + exp_digits + tail
    return text


def _fill_integer(items: list[tuple[str, str]], digits: str, thousands: bool) -> str:
    places = [i for i, (k, t) in enumerate(items) if k == "code" and t in "0#?"]
    if not places:
        return "".join(t if k == "lit" else ("%" if t == "%" else "") for k, t in items)
    out: list[str] = []
    remaining = digits
    slots: dict[int, str] = {}
    for n, idx in enumerate(reversed(places)):
        code = items[idx][1]
        if n == len(places) - 1:  # the leftmost placeholder takes every remaining digit
            fill = remaining if remaining else ("0" if code == "0" else " " if code == "?" else "")
            slots[idx] = fill
            remaining = ""
        elif remaining:
            slots[idx] = remaining[-1]
            remaining = remaining[:-1]
        else:
            slots[idx] = "0" if code == "0" else (" " if code == "?" else "")
    for i, (k, t) in enumerate(items):
        if k == "lit":
            out.append(t)
        elif i in slots:
            out.append(slots[i])
        elif t == "%":
            out.append("%")
    text = "".join(out)
    if thousands:
        first, last = places[0], places[-1]
        prefix = "".join(t if k == "lit" else ("%" if t == "%" else "") for k, t in items[:first])
        suffix = "".join(
            t if k == "lit" else ("%" if t == "%" else "") for k, t in items[last + 1 :]
        )
        min_digits = sum(1 for i in places if items[i][1] == "0")
        number = digits.rjust(min_digits, "0") if digits or min_digits else ""
        grouped = f"{int(number):,}" if number else ""
        if number and len(number) > len(str(int(number))):
            grouped = number[: len(number) - len(str(int(number)))] + grouped
        text = prefix + grouped + suffix
    return text


def _fill_fraction(items: list[tuple[str, str]], digits: str) -> str:
    places = [i for i, (k, t) in enumerate(items) if k == "code" and t in "0#?"]
    chars = list(digits.ljust(len(places), "0"))
    # Trailing zeros under "#" vanish, under "?" become spaces.
    for n in range(len(places) - 1, -1, -1):
        code = items[places[n]][1]
        if chars[n] != "0" or code == "0":
            break
        chars[n] = "" if code == "#" else " "
    out = []
    n = 0
    for k, t in items:
        if k == "lit":
            out.append(t)
        elif t in "0#?":
            out.append(chars[n])
            n += 1
        elif t == "%":
            out.append("%")
    return "".join(out)
