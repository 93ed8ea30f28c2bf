"""Excel's 1900 date system, and dates and times written as text (US English).

Serial 1 is 1900-01-01 and serial 60 the fictitious 1900-02-29 (Lotus compatibility), so
serial 61 is 1900-03-01; serial 0 reads as "1900-01-00"; the last serial is 2958465
(9999-12-31). From serial 61 on, the calendar is the proleptic Gregorian one counted from
1899-12-30.
"""

from __future__ import annotations

import datetime as _dt

#: The last date serial (9999-12-31).
MAX_SERIAL = 2958465
_BASE = _dt.date(1899, 12, 30)          # serial 0 for dates from 1900-03-01 on


def serial_to_ymd(serial: int):
    """Excel's calendar for a whole serial 0..2958465: (year, month, day)."""
    if serial == 0:
        return 1900, 1, 0
    if serial == 60:
        return 1900, 2, 29
    if serial < 60:
        d = _dt.date(1899, 12, 31) + _dt.timedelta(days=serial)
    else:
        d = _BASE + _dt.timedelta(days=serial)
    return d.year, d.month, d.day


def ymd_to_serial(y: int, m: int, d: int) -> int:
    """Serial of a real (proleptic Gregorian) date, Excel numbering (fake 1900-02-29 counted)."""
    s = (_dt.date(y, m, 1) - _BASE).days + d - 1
    if (y, m) < (1900, 3):   # real days before 1900-03-01 are one lower in Excel
        s -= 1
    return s


def days_in_month(y, m):
    """Days of a month on Excel's calendar, where February 1900 has 29."""
    if m == 12:
        return 31
    if (y, m) == (1900, 2):
        return 29
    return (_dt.date(y, m + 1, 1) - _dt.date(y, m, 1)).days


def is_leap(y):
    """A leap year on Excel's calendar, 1900 included."""
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0 or y == 1900)


def _digits(text: str) -> bool:
    """Only the digits 0-9 (not "²" or other scripts' digits, which Excel does not read)."""
    return text.isascii() and text.isdigit()


_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")


def _month_name(tok):
    """1..12 for an English month name or a prefix of at least three letters, else None."""
    t = tok.lower().rstrip(".")
    if len(t) >= 3:
        for i, full in enumerate(_MONTHS, 1):
            if full.startswith(t):
                return i
    return None


def _year(tok):
    if not _digits(tok) or len(tok) not in (1, 2, 4):
        return None
    y = int(tok)
    if len(tok) <= 2:
        y += 2000 if y < 30 else 1900
    return y


def _parse_time(text):
    """'h:mm[:ss[.fff]] [AM|PM]' or 'h AM' -> fraction of a day, or None."""
    t = text.strip().upper()
    ampm = None
    for suf in ("AM", "PM", "A", "P"):
        if t.endswith(suf) and (len(t) == len(suf) or t[-len(suf) - 1] in " 0123456789"):
            ampm = suf[0]
            t = t[: -len(suf)].strip()
            break
    parts = t.split(":")
    if not parts or not all(_digits(p.replace(".", "", 1)) for p in parts) or len(parts) > 3:
        return None
    if len(parts) == 1 and ampm is None:
        return None
    try:
        h = int(parts[0])
        mi = int(parts[1]) if len(parts) > 1 else 0
        s = float(parts[2]) if len(parts) > 2 else 0.0
    except ValueError:
        return None
    if ampm:
        if h > 12:
            return None
        h = h % 12 + (12 if ampm == "P" else 0)
    if mi > 59 and len(parts) == 3 or s >= 60:
        return None
    return (h * 3600 + mi * 60 + s) / 86400.0


def _parse_date(text):
    """Date part in US-English forms -> serial, or None. Years 1900..9999 only."""
    t = text.strip().replace(",", " ")
    y = m = d = None
    for sep in ("-", "/"):
        if sep in t:
            p = [x for x in t.split(sep)]
            break
    else:
        p = t.split()
    p = [x.strip() for x in p if x.strip()]
    if len(p) == 3:
        a, b, c = p
        if _digits(a) and len(a) == 4:                       # 2017-1-15, 2017/1/15
            y = int(a)
            m = int(b) if _digits(b) else _month_name(b)
            d = int(c) if _digits(c) else None
        elif _digits(a) and _digits(b):                     # 1/15/2017 (month first)
            m, d, y = int(a), int(b), _year(c)
        elif _digits(a):                                     # 15-Jan-2017
            d, m, y = int(a), _month_name(b), _year(c)
        elif _digits(b):                                     # Jan 15 2017
            m, d, y = _month_name(a), int(b), _year(c)
    elif len(p) == 2:
        a, b = p
        if _month_name(a) and _year(b) and len(b) == 4:     # Jan-2017 -> 1st of month
            m, d, y = _month_name(a), 1, _year(b)
    if None in (y, m, d):
        return None
    if not (1900 <= y <= 9999 and 1 <= m <= 12):
        return None
    if y == 1900 and m == 2 and d == 29:
        return 60
    if not 1 <= d <= days_in_month(y, m):
        return None
    return ymd_to_serial(y, m, d)


#: Longer than any date and time Excel reads ("Wednesday, September 30, 2026 12:00:00.000 PM").
_LONGEST = 64


def text_serial(text: str) -> float | None:
    """The serial (date plus the time as a fraction of a day) of a date or time written as
    text, as Excel reads it in US English, or None."""
    t = text.strip()
    if not t or len(t) > _LONGEST:
        return None
    tm = _parse_time(t)
    if tm is not None:
        return tm
    # date followed by a time: split at the first space before a digit:digit group
    for i, ch in enumerate(t):
        if ch == " " and ":" in t[i:]:
            ds = _parse_date(t[:i])
            tm = _parse_time(t[i + 1:])
            if ds is not None and tm is not None:
                return ds + tm
    return _parse_date(t)
