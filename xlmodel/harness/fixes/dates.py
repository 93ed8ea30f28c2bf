"""Date and time functions where IronCalc 0.9.1 differs from Excel.

Excel's serial dates (1900 system): serial 1 is 1900-01-01, serial 60 is the fictitious
1900-02-29 (Lotus compatibility), serial 61 is 1900-03-01, serial 0 is "1900-01-00"; the last
valid serial is 2958465 (9999-12-31). IronCalc numbers every day from 1899-12-30 without the
fake leap day, so for serials 0..60 it is one day off (DAY(1) = 31, MONTH(1) = 12), refuses
serial 0, and DATE() of a day before 1900-03-01 is one too high.

Scalar arguments as in the harness: float, str, bool, None (blank / omitted).
"""

from __future__ import annotations

import math

from xlmodel.errors import ExcelError
from xlmodel.formula.calendar import (
    MAX_SERIAL,
    days_in_month,
    is_leap,
    serial_to_ymd,
    text_serial,
    ymd_to_serial,
)
from xlmodel.formula.values import parse_number_text


def _num(msg):
    return ExcelError("#NUM!", msg)


def _value(msg):
    return ExcelError("#VALUE!", msg)


# ---------------------------------------------------------------- argument coercion

def _to_number(name, v, bool_ok=True):
    if v is None:
        return 0.0
    if isinstance(v, ExcelError):
        return v
    if isinstance(v, bool):
        if not bool_ok:
            return _value(f"{name}: a logical value is not a date")
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    text = str(v).strip()
    number = parse_number_text(text)  # as Excel reads it: "1,000" is 1000, "1_0" no number
    if number is not None:
        return number
    dv = text_serial(text)
    if dv is None:
        return _value(f"{name}: {text[:30]!r} is not a date or number")
    return dv


def _to_serial(name, v, bool_ok=True):
    """A date argument as a whole serial 0..2958465 (truncated), or an error."""
    x = _to_number(name, v, bool_ok)
    if isinstance(x, ExcelError):
        return x
    if x < 0 or x >= MAX_SERIAL + 1:
        return _num(f"{name}: {x!r} is not a valid date serial")
    return int(math.floor(x))


def datevalue(date_text=None):
    """DATEVALUE: text only (a number is #VALUE!); the date part of the text, whole."""
    if not isinstance(date_text, str) or isinstance(date_text, bool):
        return _value("DATEVALUE: the argument is not text")
    v = text_serial(date_text)
    if v is None:
        return _value(f"DATEVALUE: {date_text[:30]!r} is not a date")
    return float(math.floor(v))


# ---------------------------------------------------------------- DAY / MONTH / YEAR / WEEKDAY

def _part(index, name):
    def f(serial_number=None):
        """DAY/MONTH/YEAR on Excel's calendar: serial 0 is 1900-01-00, 60 is 1900-02-29."""
        s = _to_serial(name, serial_number)
        if isinstance(s, ExcelError):
            return s
        return float(serial_to_ymd(s)[index])
    f.__name__ = name.lower()
    return f


day = _part(2, "DAY")
month = _part(1, "MONTH")
year = _part(0, "YEAR")

_WEEKDAY_START = {1: 1, 2: 2, 3: 2, 11: 2, 12: 3, 13: 4, 14: 5, 15: 6, 16: 7, 17: 1}


def weekday(serial_number=None, return_type=None):
    """WEEKDAY: serial 1 (1900-01-01) is a Sunday (serial mod 7 == 1), serial 0 a Saturday.
    return_type 1/17: Sun=1..Sat=7; 2/11: Mon=1..Sun=7; 3: Mon=0..Sun=6; 12..16: Tue..Sat=1."""
    s = _to_serial("WEEKDAY", serial_number)
    if isinstance(s, ExcelError):
        return s
    rt = 1 if return_type is None else _to_number("WEEKDAY", return_type)
    if isinstance(rt, ExcelError):
        return rt
    rt = int(math.floor(rt))
    if rt not in _WEEKDAY_START:
        return _num("WEEKDAY: invalid return_type")
    dow = (s + 6) % 7 + 1            # Sun=1 .. Sat=7
    first = _WEEKDAY_START[rt]       # Sun=1 .. Sat=7 of the day numbered 1 (or 0 for type 3)
    n = (dow - first) % 7
    return float(n if rt == 3 else n + 1)


# ---------------------------------------------------------------- HOUR / MINUTE / SECOND

def _hms(serial_number, name):
    x = _to_number(name, serial_number)
    if isinstance(x, ExcelError):
        return x
    if x < 0:
        return _num(f"{name}: negative time")
    if x >= MAX_SERIAL + 1:
        return _num(f"{name}: value too large")
    secs = int(math.floor((x - math.floor(x)) * 86400 + 0.5)) % 86400
    return secs // 3600, secs // 60 % 60, secs % 60


def hour(serial_number=None):
    """HOUR: the time of day rounded to the nearest second (half up), then its hour."""
    r = _hms(serial_number, "HOUR")
    return r if isinstance(r, ExcelError) else float(r[0])


def minute(serial_number=None):
    """MINUTE: the time of day rounded to the nearest second (half up), then its minute."""
    r = _hms(serial_number, "MINUTE")
    return r if isinstance(r, ExcelError) else float(r[1])


def second(serial_number=None):
    """SECOND: the time of day rounded to the nearest second (half up): SECOND(2.5 s) = 3."""
    r = _hms(serial_number, "SECOND")
    return r if isinstance(r, ExcelError) else float(r[2])


# ---------------------------------------------------------------- DATE / TIME

def date(year=None, month=None, day=None):
    """DATE: year < 1900 adds 1900 (0..1899), year outside 0..9999 is #NUM!; months and days
    overflow either way; the result is on Excel's calendar (DATE(1900,2,29) = 60,
    DATE(1900,1,0) = 0); a result below 0 or above 9999-12-31 is #NUM!."""
    vals = []
    for v in (year, month, day):
        x = _to_number("DATE", v)
        if isinstance(x, ExcelError):
            return x
        vals.append(int(math.floor(x)))
    y, m, d = vals
    if y < 0 or y >= 10000:
        return _num("DATE: year out of range")
    if y < 1900:
        y += 1900
    y += (m - 1) // 12
    m = (m - 1) % 12 + 1
    if y > 9999 or y < 1900:
        return _num("DATE: result out of range")
    # Excel's calendar is linear in serials (it has the fake 1900-02-29), so days overflow
    # simply by adding to the serial of the first of the month.
    s = ymd_to_serial(y, m, 1) + d - 1
    if s < 0 or s > MAX_SERIAL:
        return _num("DATE: result out of range")
    return float(s)


def time(hour=None, minute=None, second=None):
    """TIME: each argument truncated toward zero; an argument above 32767 is #NUM!; the
    total h*3600+m*60+s seconds must not be negative (#NUM!); the result is that
    total modulo one day, as a fraction of a day."""
    vals = []
    for v in (hour, minute, second):
        x = _to_number("TIME", v)
        if isinstance(x, ExcelError):
            return x
        x = int(math.floor(x)) if x >= 0 else -int(math.floor(-x))
        if x > 32767:
            return _num("TIME: argument above 32767")
        vals.append(x)
    total = vals[0] * 3600 + vals[1] * 60 + vals[2]
    if total < 0:
        return _num("TIME: negative time")
    return (total % 86400) / 86400.0


# ---------------------------------------------------------------- DATEDIF

def datedif(start_date=None, end_date=None, unit=None):
    """DATEDIF(start, end, unit): dates truncated; start > end is #NUM!; unit (any case) is
    Y, M, D, MD, YM or YD, anything else #NUM!. "MD" is Excel's known quirk:
    d2 - d1, and when negative plus the length of the month before the end month
    (so 2015-01-31 .. 2015-03-01 gives -2). "YD" moves the start into the end's year (or the
    year before) like DATE() does (29 Feb -> 1 Mar); across 29 February this follows
    LibreOffice and is unconfirmed against Excel."""
    s = _to_serial("DATEDIF", start_date)
    if isinstance(s, ExcelError):
        return s
    e = _to_serial("DATEDIF", end_date)
    if isinstance(e, ExcelError):
        return e
    if not isinstance(unit, str):
        return _value("DATEDIF: unit is not text") if unit is not None else _num("DATEDIF: no unit")
    u = unit.upper()
    if s > e:
        return _num("DATEDIF: start date after end date")
    y1, m1, d1 = serial_to_ymd(s)
    y2, m2, d2 = serial_to_ymd(e)
    months = (y2 - y1) * 12 + (m2 - m1) - (1 if d2 < d1 else 0)
    if u == "D":
        return float(e - s)
    if u == "M":
        return float(months)
    if u == "Y":
        return float(months // 12)
    if u == "YM":
        return float(months % 12)
    if u == "MD":
        if d2 >= d1:
            return float(d2 - d1)
        py, pm = (y2, m2 - 1) if m2 > 1 else (y2 - 1, 12)
        return float(d2 + days_in_month(py, pm) - d1)
    if u == "YD":
        # start moved to the end's year (or the year before), overflowing like DATE():
        # 29 February in a common year becomes 1 March.
        yy = y2 if (m2, d2) >= (m1, d1) else y2 - 1
        return float(e - (ymd_to_serial(yy, m1, 1) + d1 - 1))
    return _num(f"DATEDIF: unknown unit {unit[:10]!r}")


# ---------------------------------------------------------------- YEARFRAC

def _last_of_feb(y, m, d):
    return m == 2 and d == days_in_month(y, 2)


def yearfrac(start_date=None, end_date=None, basis=None):
    """YEARFRAC(start, end, [basis]) as Excel computes it (David A. Wheeler's analysis of
    Excel 2007, confirmed by Excel-computed tables in DayCounts.jl):

    * dates and basis are truncated; a negative date is #NUM!, basis outside 0..4 #NUM!;
      logical values are #VALUE!; the dates are swapped when start > end (never negative).
    * 0, US 30/360: d1 = 31 -> 30; d2 = 31 -> 30 when d1 (after that) is 30; otherwise when
      start is the last day of February, d1 = 30, and d2 = 30 too when end is also the last
      day of February. Result ((y2-y1)*360 + (m2-m1)*30 + d2-d1) / 360.
    * 1, actual/actual: dates at most one year apart (same year, or next year with end's
      month/day <= start's) use 366 when both are in one leap year, or a 29 February lies in
      [start, end], else 365; farther apart, the average length of the years y1..y2.
    * 2: days/360; 3: days/365; 4: European 30/360 (31 -> 30 on both dates).
    """
    for v in (start_date, end_date, basis):
        if isinstance(v, bool):
            return _value("YEARFRAC: logical value")
    s = _to_number("YEARFRAC", start_date)
    if isinstance(s, ExcelError):
        return s
    e = _to_number("YEARFRAC", end_date)
    if isinstance(e, ExcelError):
        return e
    b = 0.0 if basis is None else _to_number("YEARFRAC", basis)
    if isinstance(b, ExcelError):
        return b
    if s < 0 or e < 0 or s >= MAX_SERIAL + 1 or e >= MAX_SERIAL + 1:
        return _num("YEARFRAC: invalid date")
    b = int(math.floor(b))
    if b < 0 or b > 4:
        return _num("YEARFRAC: basis must be 0..4")
    s, e = int(math.floor(s)), int(math.floor(e))
    if s > e:
        s, e = e, s
    if s == e:
        return 0.0
    y1, m1, d1 = serial_to_ymd(s)
    y2, m2, d2 = serial_to_ymd(e)
    days = e - s
    if b == 0:
        if d1 >= 30:
            d1 = 30
            if d2 == 31:
                d2 = 30
        elif _last_of_feb(y1, m1, d1):
            if _last_of_feb(y2, m2, d2):
                d2 = 30
            d1 = 30
        return ((y2 - y1) * 360 + (m2 - m1) * 30 + (d2 - d1)) / 360.0
    if b == 2:
        return days / 360.0
    if b == 3:
        return days / 365.0
    if b == 4:
        d1, d2 = min(d1, 30), min(d2, 30)
        return ((y2 - y1) * 360 + (m2 - m1) * 30 + (d2 - d1)) / 360.0
    # basis 1
    if y1 == y2 or (y2 == y1 + 1 and (m1, d1) >= (m2, d2)):
        if y1 == y2 and is_leap(y1):
            year_len = 366
        elif (is_leap(y1) and (m1, d1) <= (2, 29) and (y2 > y1 or (m2, d2) >= (3, 1))) or \
             (is_leap(y2) and (m2, d2) >= (3, 1) and (y1 < y2 or (m1, d1) < (3, 1))) or \
             (m2 == 2 and d2 == 29):
            year_len = 366
        else:
            year_len = 365
        return days / year_len
    total = ymd_to_serial(y2 + 1, 1, 1) - ymd_to_serial(y1, 1, 1) if y2 < 9999 else \
        sum(366 if is_leap(y) else 365 for y in range(y1, y2 + 1))
    return days / (total / (y2 - y1 + 1))


#: The date functions computed on our side.
FIXES = {
    "DAY": day, "MONTH": month, "YEAR": year, "WEEKDAY": weekday,
    "HOUR": hour, "MINUTE": minute, "SECOND": second,
    "DATE": date, "TIME": time, "DATEDIF": datedif, "DATEVALUE": datevalue,
    "YEARFRAC": yearfrac,
}
