"""Excel number formats, as the TEXT function applies them.

Sections (``positive;negative;zero;text``) and conditions (``[<=9999999]``); the digit
placeholders ``0 # ?``, the decimal point, grouping and scaling by ``,``, ``%`` and
``E+``/``E-``; fractions (``# ?/?``, ``# ?/8``); dates and times on Excel's 1900 calendar
(serial 0 is 1900-01-00 and serial 60 the fictitious 1900-02-29), with the time rounded to
the second shown (or its shown fraction), ``AM/PM`` and ``A/P``, elapsed ``[h]``, ``[m]``,
``[s]``; quoted, escaped and plain literals, ``[$-409]`` locale tags and colours; ``@``.
Numbers round half away from zero on their 15-digit decimal value, and a negative value that
rounds to zero keeps its minus sign (``-0``), as Excel shows it.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction

from xlmodel.errors import ExcelError
from xlmodel.formula import calendar
from xlmodel.formula.values import number_text

_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"]

_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

_COND = re.compile(r"^\[(<=|>=|<>|<|>|=)\s*(-?[\d.]+(?:e[+-]?\d+)?)\]$", re.I)

_ELAPSED = re.compile(r"^(h+|m+|s+)$", re.I)


#: Excel's longest number format.
MAX_FORMAT = 255


def format_value(value: object, fmt: str) -> str | ExcelError:
    """Format a number or text with an Excel number format, as TEXT(value, fmt) does."""
    if len(fmt) > MAX_FORMAT:
        return ExcelError("#VALUE!", f"TEXT: a number format has at most {MAX_FORMAT} "
                                     "characters")
    if isinstance(value, str):
        return _text_section(value, fmt)
    x = float(value)
    if not math.isfinite(x):
        return ExcelError("#NUM!", "TEXT: the number is not finite")
    try:
        sections = [_locale_literal(_tokens(s)) for s in _split_sections(fmt)]
        sec, neg_sign = _pick(x, sections)
        if sec is None:
            return ExcelError("#VALUE!", "TEXT: the format has no section for the value")
        if any(t == ("code", "@") for t in sec):
            if any(t[0] == "code" and t[1] in "0#?" or t[0] == "dt" for t in sec):
                return ExcelError("#VALUE!", "TEXT: @ mixed with number codes")
            return "".join(number_text(x) if t == ("code", "@") else t[1]
                           for t in sec if t[0] in ("lit", "code"))
        if not [t for t in sec if t[0] != "br" or _ELAPSED.match(t[1])]:
            return "-" if neg_sign else ""
        if _is_date(sec):
            if x < 0:
                if any(t[0] in ("dt", "ampm", "ap") for t in sec):
                    return ExcelError("#VALUE!", "TEXT: a negative date or time")
                return "-" + _fmt_datetime(-x, sec)
            return _fmt_datetime(x, sec)
        # Excel keeps the minus on a value that rounds to zero ("-0", "-0.00")
        return ("-" if neg_sign else "") + _fmt_number(x, sec)
    except (ValueError, IndexError, ArithmeticError) as exc:
        return ExcelError("#VALUE!", f"TEXT: {exc}")


def _split_sections(fmt):
    sections, cur, i, q = [], [], 0, False
    while i < len(fmt):
        c = fmt[i]
        if c == '"':
            q = not q
        elif not q and c in "\\_*" and i + 1 < len(fmt):
            cur.append(fmt[i:i + 2])
            i += 2
            continue
        elif not q and c == ";":
            sections.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    sections.append("".join(cur))
    return sections


def _tokens(sec):
    """Tokens: ('lit', text), ('br', inner), or ('code', char-run)."""
    toks, i = [], 0
    while i < len(sec):
        c = sec[i]
        if c == '"':
            j = sec.find('"', i + 1)
            j = len(sec) if j < 0 else j
            toks.append(("lit", sec[i + 1:j]))
            i = j + 1
        elif c == "\\" and i + 1 < len(sec):
            toks.append(("lit", sec[i + 1]))
            i += 2
        elif c == "_" and i + 1 < len(sec):
            toks.append(("lit", " "))
            i += 2
        elif c == "*" and i + 1 < len(sec):
            i += 2  # fill character: nothing in TEXT
        elif c == "[":
            j = sec.find("]", i)
            if j < 0:
                raise ValueError("unclosed [")
            toks.append(("br", sec[i + 1:j]))
            i = j + 1
        elif sec[i:i + 5].upper() == "AM/PM":
            toks.append(("ampm", sec[i:i + 5]))
            i += 5
        elif sec[i:i + 3].upper() == "A/P":
            toks.append(("ap", sec[i:i + 3]))
            i += 3
        elif sec[i:i + 7].lower() == "general":
            toks.append(("general", ""))
            i += 7
        elif c.lower() in "ymdhse" and not (c in "eE" and sec[i + 1:i + 2] in ("+", "-")):
            j = i
            while j < len(sec) and sec[j].lower() == c.lower():
                j += 1
            if c.lower() == "e":
                toks.append(("lit", sec[i:j]))  # 'e' alone: literal in number formats
            else:
                toks.append(("dt", sec[i:j].lower()))
            i = j
        elif c in "Ee" and sec[i + 1:i + 2] in ("+", "-"):
            toks.append(("exp", sec[i + 1]))
            i += 2
        elif c in "0#?.,%/@":
            toks.append(("code", c))
            i += 1
        else:
            toks.append(("lit", c))
            i += 1
    return toks


#: Enough digits for any number (to 1E+308) at any place a format of 255 characters shows.
_DIGITS = Context(prec=1_000, Emax=10_000, Emin=-10_000)


def _round_dec(x, places, shift=0):
    """|x| on its 15 significant digits, times 10**shift, rounded half away from zero to
    ``places`` decimals."""
    d = Decimal(format(abs(x), ".15g")).scaleb(shift, _DIGITS)
    return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_DIGITS)


def _group(digits):
    out = []
    for k, ch in enumerate(reversed(digits)):
        if k and k % 3 == 0:
            out.append(",")
        out.append(ch)
    return "".join(reversed(out))


def _fill_int(placeholders_and_lits, digits, grouping):
    """Place integer digits into placeholders from the right; extra digits go left."""
    slots = [i for i, t in enumerate(placeholders_and_lits) if t[0] == "ph"]
    out = [t[1] if t[0] == "lit" else None for t in placeholders_and_lits]
    if not slots:
        out.insert(0, digits)
    ds = list(digits)
    for n, i in enumerate(reversed(slots)):
        ph = placeholders_and_lits[i][1]
        if ds:
            out[i] = ds.pop()
        else:
            out[i] = "0" if ph == "0" else " " if ph == "?" else ""
        if n == len(slots) - 1 and ds:
            out[i] = "".join(ds) + out[i]
    text = "".join(out)
    if grouping:
        # group the run of digits (digits + zero padding) wherever it sits
        m = re.search(r"\d+", text)
        if m:
            text = text[:m.start()] + _group(m.group()) + text[m.end():]
    return text


def _fmt_number(x, toks):
    """Format abs(x) with a number section (sign handled by the caller)."""
    x = abs(x)
    items = [t for t in toks if t[0] != "br"]
    if any(t[0] == "general" for t in items):
        out = []
        for t in items:
            out.append(number_text(x) if t[0] == "general" else t[1] if t[0] == "lit" else
                       t[1] if t[0] == "code" else "")
        return "".join(out)
    pct = sum(1 for t in items if t == ("code", "%"))
    x = x * 100 ** pct
    kinds = [(t[1] if t[0] == "code" else None) for t in items]
    ph = [i for i, k in enumerate(kinds) if k in ("0", "#", "?")]
    if not ph:  # no digit placeholder at all: the literals alone ("xxx", "big")
        return "".join(t[1] for t in items if t[0] in ("lit", "code"))
    if "/" in kinds:
        return _fmt_fraction(x, items)
    exp_i = next((i for i, t in enumerate(items) if t[0] == "exp"), None)
    body_end = exp_i if exp_i is not None else len(items)
    dot = next((i for i, k in enumerate(kinds[:body_end]) if k == "."), None)
    end_int = dot if dot is not None else body_end
    isph = [k in ("0", "#", "?") for k in kinds]
    scale, grouping = 0, False
    for i in range(body_end):
        if kinds[i] != ",":
            continue
        if i < end_int:
            before = any(isph[:i])
            after = any(isph[i + 1:end_int])
            if before and after:
                grouping = True
                items[i] = ("skip", "")
            elif before:
                scale += 1
                items[i] = ("skip", "")
            else:
                items[i] = ("lit", ",")
        else:
            if any(isph[dot + 1:i]) and not any(isph[i + 1:body_end]):
                scale += 1
                items[i] = ("skip", "")
            else:
                items[i] = ("lit", ",")
    x = x / 1000 ** scale

    def conv(t):
        if t[0] == "code" and t[1] in "0#?":
            return ("ph", t[1])
        return ("lit", t[1]) if t[0] in ("lit", "code") else None

    int_part = [c for c in (conv(t) for t in items[:end_int]) if c]
    dec_items = [c for c in (conv(t) for t in items[dot + 1:body_end]) if c] \
        if dot is not None else []
    ndec = sum(1 for t in dec_items if t[0] == "ph")
    exp_text = ""
    if exp_i is not None:
        eph = [t[1] for t in items[exp_i + 1:] if t[0] == "code" and t[1] in "0#?"]
        nint = sum(1 for t in int_part if t[0] == "ph") or 1
        if x == 0:
            e = 0
        else:
            e = math.floor(math.log10(x))
            if nint > 1:
                e = e - (e % nint)
            else:
                e = e - (nint - 1)
        mant = _round_dec(x, ndec, -e)
        if x and mant >= Decimal(10) ** (nint if nint > 1 else 1):
            e += nint if nint > 1 else 1
            mant = _round_dec(x, ndec, -e)
        sign = items[exp_i][1]
        es = ("-" if e < 0 else "+" if sign == "+" else "")
        exp_text = "E" + es + str(abs(e)).zfill(len(eph))
        tail = "".join(t[1] for t in items[exp_i + 1:] if t[0] == "lit")
        exp_text += tail
        r = mant
    else:
        r = _round_dec(x, ndec)
    s = format(r, "f")
    ip, _, fp = s.partition(".")
    ip = "" if ip == "0" else ip
    int_text = _fill_int(int_part, ip, grouping)
    if dot is None:
        return int_text + exp_text
    fp = fp.ljust(ndec, "0")
    out, k = [], 0
    dec_ph = [t for t in dec_items if t[0] == "ph"]
    # trailing zeros under # and ? placeholders
    keep = ndec
    while keep > 0 and fp[keep - 1] == "0" and dec_ph[keep - 1][1] != "0":
        keep -= 1
    for t in dec_items:
        if t[0] == "lit":
            out.append(t[1])
            continue
        if k < keep:
            out.append(fp[k])
        else:
            out.append(" " if t[1] == "?" else "")
        k += 1
    return int_text + "." + "".join(out) + exp_text


def _fmt_fraction(x, items):
    kinds = [(t[1] if t[0] == "code" else None) for t in items]
    slash = kinds.index("/")
    left = items[:slash]
    right = items[slash + 1:]
    # denominator: a number written out (1-9 first: "/8", "/100"), or placeholders
    fixed = ""
    if right and right[0][0] == "lit" and right[0][1][:1] in "123456789":
        run = 0
        while run < len(right) and (right[run][1].isdigit() and right[run][0] in ("lit", "code")):
            fixed += right[run][1]
            run += 1
        right = right[run:]
    den_ph = [t[1] for t in right if t[0] == "code" and t[1] in "0#?"]
    den_lits = "".join(t[1] for t in right if t[0] == "lit" and not t[1].isdigit())
    # split left into integer part and numerator at the last literal gap
    phs = [i for i, t in enumerate(left) if t[0] == "code" and t[1] in "0#?"]
    num_start = phs[-1]
    while num_start - 1 >= 0 and left[num_start - 1][0] == "code" and \
            left[num_start - 1][1] in "0#?":
        num_start -= 1
    int_items = left[:num_start]
    num_ph = [t[1] for t in left[num_start:] if t[0] == "code"]
    has_int = any(t[0] == "code" and t[1] in "0#?" for t in int_items)
    whole = math.floor(x) if has_int else 0
    frac = x - whole
    if fixed:
        den = int(fixed)
        num = int(_round_dec(frac * den, 0))
    else:
        # the closest fraction whose denominator has at most as many digits as placeholders
        best = Fraction(frac).limit_denominator(10 ** len(den_ph) - 1)
        num, den = best.numerator, best.denominator
    if has_int and den and num == den:
        whole, num = whole + 1, 0
    if has_int:
        ints = [(("ph", t[1]) if t[0] == "code" and t[1] in "0#?" else ("lit", t[1]))
                for t in int_items if t[0] in ("code", "lit")]
        int_text = _fill_int(ints, str(whole) if whole else "", False)
        if not whole and num == 0:
            int_text = _fill_int(ints, "0", False)
    else:
        int_text = "".join(t[1] for t in int_items if t[0] == "lit")
    if num == 0 and has_int:
        width = len(num_ph) + 1 + (len(den_ph) or len(fixed))
        return int_text.rstrip() + " " * (len(int_text) - len(int_text.rstrip())) + " " * width
    ntext = str(num).rjust(len(num_ph)) if "?" in num_ph else str(num)
    dtext = str(den) if fixed else (str(den).ljust(len(den_ph)) if "?" in den_ph else str(den))
    return int_text + ntext + "/" + dtext + den_lits


def _fmt_datetime(x, toks):
    """A number of zero or more with a date or time section (the caller writes the sign)."""
    items = [t for t in toks if not (t[0] == "br" and not _ELAPSED.match(t[1]))]
    has_ampm = any(t[0] in ("ampm", "ap") for t in items)
    # fractional seconds after s: ".0", ".00" ...
    frac_digits = 0
    for i, t in enumerate(items):
        if t == ("code", ".") and i > 0 and (items[i - 1][0] == "dt" and items[i - 1][1][0] == "s"
                                             or items[i - 1][0] == "br"):
            j = i + 1
            while j < len(items) and items[j] == ("code", "0"):
                j += 1
            frac_digits = max(frac_digits, j - i - 1)
    for t in items:
        if t[0] == "code" and t[1] in "#?@":
            raise ValueError("number code in a date format")
    unit = 86400 * 10 ** frac_digits
    ticks = int(_round_dec(x * unit, 0))
    days, rem = divmod(ticks, unit)
    secs, sub = divmod(rem, 10 ** frac_digits)
    hh, mm, ss = secs // 3600, secs // 60 % 60, secs % 60
    y, mo, d = calendar.serial_to_ymd(days) if days <= calendar.MAX_SERIAL else (9999, 12, 31)
    # m after h or before s is minutes
    kinds = []
    for i, t in enumerate(items):
        if t[0] == "dt" and t[1][0] == "m" and len(t[1]) <= 2:
            prev = next((items[j] for j in range(i - 1, -1, -1)
                         if items[j][0] in ("dt", "br")), None)
            nxt = next((items[j] for j in range(i + 1, len(items))
                        if items[j][0] in ("dt", "br")), None)
            is_min = (prev is not None and (prev[1][0] == "h")) or \
                     (nxt is not None and nxt[1][0] == "s")
            kinds.append("min" if is_min else "mon")
        else:
            kinds.append(None)
    if days > calendar.MAX_SERIAL and any(
            t[0] == "dt" and (t[1][0] in "yd" or kind == "mon") for t, kind in zip(items, kinds,
                                                                                    strict=True)):
        raise ValueError("date out of range")
    out, i = [], 0
    while i < len(items):
        t = items[i]
        k, v = t
        if k == "dt":
            c = v[0]
            if c == "y":
                out.append(str(y)[-2:].zfill(2) if len(v) <= 2 else str(y).zfill(4))
            elif c == "m" and kinds[i] == "min":
                out.append(str(mm).zfill(len(v)))
            elif c == "m":
                out.append(str(mo).zfill(2) if len(v) == 2 else str(mo) if len(v) == 1 else
                           _MONTHS[mo - 1][:3].title() if len(v) == 3 else
                           _MONTHS[mo - 1][0].upper() if len(v) == 5 else
                           _MONTHS[mo - 1].title())
            elif c == "d":
                wd = _DAYS[(days + 6) % 7]
                out.append(str(d).zfill(2) if len(v) == 2 else str(d) if len(v) == 1 else
                           wd[:3] if len(v) == 3 else wd)
            elif c == "h":
                h = hh
                if has_ampm:
                    h = h % 12 or 12
                out.append(str(h).zfill(min(len(v), 2)))
            elif c == "s":
                out.append(str(ss).zfill(min(len(v), 2)))
        elif k == "br":
            c = v[0].lower()
            total = days * 86400 + secs
            val = total // 3600 if c == "h" else total // 60 if c == "m" else total
            out.append(str(val).zfill(len(v)))
            if c == "m":
                for j in range(i + 1, len(items)):
                    if items[j][0] == "dt" and items[j][1][0] == "m":
                        kinds[j] = "min"
        elif k == "ampm":
            out.append("AM" if hh < 12 else "PM")
        elif k == "ap":
            out.append(v[0] if hh < 12 else v[2])
        elif k == "code" and v == "." and frac_digits:
            n = 0
            j = i + 1
            while j < len(items) and items[j] == ("code", "0"):
                n += 1
                j += 1
            out.append("." + str(sub).zfill(frac_digits)[:n] if n else ".")
            i = j
            continue
        elif k == "code" and v == "0":
            raise ValueError("0 in a date format")
        elif k in ("lit", "code"):
            out.append(v)
        i += 1
    return "".join(out)


def _is_date(toks):
    return any(t[0] in ("dt", "ampm", "ap") or
               (t[0] == "br" and _ELAPSED.match(t[1])) for t in toks)


def _condition(toks):
    for t in toks:
        if t[0] == "br":
            m = _COND.match("[" + t[1] + "]")
            if m:
                return m.group(1), float(m.group(2))
    return None


def _test(cond, x):
    op, v = cond
    return {"<": x < v, "<=": x <= v, ">": x > v, ">=": x >= v, "=": x == v, "<>": x != v}[op]


def _locale_literal(toks):
    out = []
    for t in toks:
        if t[0] == "br" and t[1].startswith("$"):
            sym = t[1][1:].split("-")[0]
            out.append(("lit", sym))
        else:
            out.append(t)
    return out


def _pick(x, sections):
    conds = [_condition(s) for s in sections]
    if any(conds):
        for i, s in enumerate(sections[:2]):
            c = conds[i]
            if c is not None and _test(c, x):
                neg = x < 0 and not (c[0] in ("<", "<=") and c[1] <= 0)
                return s, neg
            if c is None:
                return s, x < 0
        if len(sections) >= 3:
            return sections[2], x < 0
        if len(sections) == 2 and conds[1] is not None:
            return None, False
        return sections[-1], x < 0
    n = len(sections)
    if n == 1 or (x > 0) or (x == 0 and n == 2):
        return sections[0], x < 0
    if x < 0:
        return sections[1], False
    return sections[2], False


def _text_section(text, fmt):
    sections = _split_sections(fmt)
    if len(sections) >= 4:
        sec = sections[3]
    else:
        sec = next((s for s in sections if "@" in s.replace('"@"', "")), None)
        if sec is None:
            return text
    out = []
    for k, v in _tokens(sec):
        if k == "code" and v == "@":
            out.append(text)
        elif k in ("lit", "code"):
            out.append(v)
        elif k == "dt":
            out.append(v)
    return "".join(out)
