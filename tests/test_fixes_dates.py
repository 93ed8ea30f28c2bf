"""Date and time functions computed on our side in full mode (xlmodel/harness/fixes/dates.py).

Expected values come from Excel's documented 1900 date system (serial 1 is 1900-01-01 and
serial 60 the fictitious 1900-02-29), Microsoft's function examples, the Excel-saved
workbooks of the development set, YEARFRAC worked by hand from Excel's published algorithm,
and IronCalc as a second implementation where it agrees with Excel (YEARFRAC forward pairs).
"""

import datetime
import itertools
import random

import openpyxl
import pytest

from tests.excel_cases import excel, full_mode, ironcalc_alone
from xlmodel import harness
from xlmodel.errors import ExcelError
from xlmodel.harness.fixes import FIXES

# (formula, Excel's value): each computed in full mode, through the harness
CASES = [
    # YEARFRAC with the start after the end: Excel swaps the dates
    ("YEARFRAC(DATE(2015,4,20),DATE(2008,1,1),1)", 2666 / (2922 / 8)),  # 2008..2015 average
    ("YEARFRAC(DATE(2016,4,20),DATE(2015,5,1),1)", 355 / 366),    # 29 Feb 2016 inside
    ("YEARFRAC(DATE(2012,7,30),DATE(2012,1,1),1)", 211 / 366),    # Microsoft's example, swapped
    ("YEARFRAC(DATE(2020,3,1),DATE(2019,3,1),1)", 1.0),
    ("YEARFRAC(DATE(2011,5,31),DATE(2011,5,1))", 30 / 360),       # swap, then 30/360
    ("YEARFRAC(DATE(1995,2,28),DATE(1994,3,23))", 335 / 360),
    ("YEARFRAC(DATE(2011,3,31),DATE(2011,2,28))", 31 / 360),
    # YEARFRAC forward: Microsoft's examples and the development set
    ("YEARFRAC(DATE(2012,1,1),DATE(2012,7,30))", 209 / 360),
    ("YEARFRAC(DATE(2012,1,1),DATE(2012,7,30),1)", 211 / 366),
    ("YEARFRAC(DATE(2012,1,1),DATE(2012,7,30),3)", 211 / 365),
    ("YEARFRAC(DATE(2012,2,29),DATE(2013,2,28))", 1.0),           # both ends of February
    ("YEARFRAC(DATE(2015,12,31),DATE(2016,3,1),1)", 61 / 366),
    ("YEARFRAC(-1,0)", "#NUM!"),
    ("YEARFRAC(1,2,5)", "#NUM!"),
    ("YEARFRAC(\"not a date\",1)", "#VALUE!"),
    # serials 0 to 60: Excel's calendar has 1900-01-00 and 1900-02-29
    ("DATE(1900,1,1)", 1.0),
    ("DATE(0,1,1)", 1.0),
    ("DATE(1900,2,28)", 59.0),
    ("DATE(1900,2,29)", 60.0),
    ("DATE(1900,3,1)", 61.0),
    ("DATE(1900,1,0)", 0.0),
    ("DAY(1)", 1.0),
    ("MONTH(1)", 1.0),
    ("DAY(TRUE)", 1.0),
    ("DAY(59)", 28.0),
    ("DAY(60)", 29.0),
    ("MONTH(60)", 2.0),
    ("DAY(61)", 1.0),
    ("DAY(0)", 0.0),
    ("YEAR(0)", 1900.0),
    ("WEEKDAY(1)", 1.0),                 # 1900-01-01 shows as a Sunday
    ("WEEKDAY(0)", 7.0),
    ("DATEVALUE(\"1/1/1900\")", 1.0),
    # the development set (DATE.xlsx, YEAR.xlsx, DATEDIF.xlsx): Excel's cached values
    ("DATE(2008,2,29)", 39507.0),
    ("DATE(2009,1,400)", 40213.0),
    ("DATE(2009,14,1)", 40210.0),
    ("DATE(2009,1,-1)", 39812.0),
    ("DATE(2009,-1,1)", 39753.0),
    ("DATE(1900,1,-1)", "#NUM!"),
    ("DATE(10000,1,1)", "#NUM!"),
    ("DATE(-1,1,1)", "#NUM!"),
    ("DATE(\"2016\",1,1)", 42370.0),
    ("DATE(1,1,1)", 367.0),
    ("YEAR(\"7/5/1800\")", "#VALUE!"),
    ("YEAR(\"7/5/10000\")", "#VALUE!"),
    ("DATEDIF(DATE(2011,1,1),DATE(2011,12,31),\"MD\")", 30.0),
    ("DATEDIF(DATE(2001,6,1),DATE(2002,8,15),\"YD\")", 75.0),
    # DATEDIF "MD" when the end's day is lower: Microsoft warns it may be negative
    ("DATEDIF(DATE(2015,1,31),DATE(2015,3,1),\"MD\")", -2.0),   # 1 + 28 - 31
    ("DATEDIF(DATE(2016,1,31),DATE(2016,3,1),\"MD\")", -1.0),   # 1 + 29 - 31
    ("DATEDIF(DATE(2015,3,31),DATE(2015,5,1),\"MD\")", 0.0),    # 1 + 30 - 31
    ("DATEDIF(DATE(2011,1,2),DATE(2011,1,1),\"D\")", "#NUM!"),
    # the time of day is rounded to the second
    ("SECOND(2.5/86400)", 3.0),
    ("SECOND(1.5/86400)", 2.0),
    ("SECOND(0.6565)", 22.0),            # 15:45:21.6
    ("HOUR(0.5)", 12.0),                 # Microsoft's example
    ("SECOND(\"3:45:10\")", 10.0),
    # dates written as text (US English)
    ("DATEVALUE(\"1/1/2008\")", 39448.0),
    ("DATEVALUE(\"2008-1-1\")", 39448.0),
    ("DATEVALUE(\"1-Jan-2008\")", 39448.0),
    ("DATEVALUE(\"Jan 1, 2008\")", 39448.0),
    ("DATEVALUE(\"January 1, 2008\")", 39448.0),
    ("DATEVALUE(\"13/1/2008\")", "#VALUE!"),
    ("DATEVALUE(100)", "#VALUE!"),
    ("DAY(\"15-Jan-2017\")", 15.0),
    ("HOUR(\"2017-1-1 13:30\")", 13.0),
    # Microsoft's examples
    ("WEEKDAY(DATE(2008,2,14))", 5.0),
    ("WEEKDAY(DATE(2008,2,14),2)", 4.0),
    ("WEEKDAY(DATE(2008,2,14),3)", 3.0),
    ("WEEKDAY(DATE(2017,1,1),4)", "#NUM!"),
    ("TIME(12,0,0)", 0.5),
    ("TIME(0,-1,0)", "#NUM!"),
    ("TIME(32768,0,0)", "#NUM!"),        # arguments run 0 to 32767
]




def _book(path):
    book = openpyxl.Workbook()
    for row, (formula, _) in enumerate(CASES, 1):
        book.active.cell(row, 1, "=" + formula)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    """Each case in full mode, as a workbook cell computed by the harness."""
    computed = full_mode(_book(tmp_path_factory.mktemp("dates") / "dates.xlsx"))
    return {ref: value for (_, ref), value in computed.items()}


@pytest.mark.parametrize(("row", "formula", "expected"),
                         [(row, f, e) for row, (f, e) in enumerate(CASES, 1)],
                         ids=[f for f, _ in CASES])
def test_full_mode_gives_excels_value(computed, row, formula, expected):
    assert harness.same(computed[f"A{row}"], excel(expected)), computed[f"A{row}"]


def test_ironcalc_alone_misses_some_of_them(tmp_path):
    """The cases the fixes are for: IronCalc fed the same cells differs on many."""
    values = ironcalc_alone(_book(tmp_path / "dates.xlsx"))
    wrong = [f for row, (f, e) in enumerate(CASES, 1)
             if not harness.same(values.get(("Sheet", row, 1)), excel(e))]
    assert len(wrong) >= 25, wrong


def _serial(day: datetime.date) -> float:
    return float((day - datetime.date(1899, 12, 30)).days)


def _pairs(count: int, seed: int):
    rng = random.Random(seed)
    ends = [datetime.date(y, m, d) for y in (1999, 2000, 2003, 2004, 2011, 2012, 2100)
            for m, d in ((1, 1), (1, 31), (2, 28), (3, 1), (3, 30), (3, 31), (12, 31))
            if not (m == 2 and d == 29)]
    ends += [datetime.date(2004, 2, 29), datetime.date(2012, 2, 29)]
    pairs = [tuple(sorted(pair)) for pair in itertools.combinations(ends, 2)]
    rng.shuffle(pairs)
    return pairs[:count]


def test_yearfrac_agrees_with_ironcalc_on_forward_pairs_and_swaps_the_others(tmp_path):
    """IronCalc is a second implementation on forward pairs (start before end), where it
    follows Excel; a reversed pair is the forward pair's value in every basis."""
    pairs = _pairs(400, 7)
    book = openpyxl.Workbook()
    for row, (a, b) in enumerate(pairs, 1):
        for basis in range(5):
            book.active.cell(row, basis + 1,
                             f"=YEARFRAC({_serial(a):.0f},{_serial(b):.0f},{basis})")
    path = tmp_path / "yearfrac.xlsx"
    book.save(path)
    values = ironcalc_alone(path)
    checked = 0
    for row, (a, b) in enumerate(pairs, 1):
        for basis in range(5):
            forward = FIXES["YEARFRAC"](_serial(a), _serial(b), float(basis))
            assert forward == pytest.approx(values[("Sheet", row, basis + 1)], rel=1e-12), (
                a, b, basis)
            assert FIXES["YEARFRAC"](_serial(b), _serial(a), float(basis)) == forward
            checked += 1
    assert checked == 2000


@pytest.mark.parametrize(("serial", "ymd", "weekday"), [
    (61.0, (1900, 3, 1), 5),          # the first day after the fictitious 29 February
    (39448.0, (2008, 1, 1), 3),       # Microsoft's DATEVALUE("1/1/2008")
    (39492.0, (2008, 2, 14), 5),      # Microsoft's WEEKDAY example: a Thursday
    (40210.0, (2010, 2, 1), 2),       # DATE(2009,14,1), saved by Excel in DATE.xlsx
    (2958465.0, (9999, 12, 31), 6),   # the last date Excel has
])
def test_date_parts_of_serials_excel_documents(serial, ymd, weekday):
    assert (FIXES["YEAR"](serial), FIXES["MONTH"](serial), FIXES["DAY"](serial)) == ymd
    assert FIXES["WEEKDAY"](serial) == weekday
    assert FIXES["DATE"](*map(float, ymd)) == serial


def test_date_functions_refuse_serials_outside_the_calendar():
    for name in ("DAY", "MONTH", "YEAR", "WEEKDAY"):
        for bad in (-1.0, 2958466.0):
            result = FIXES[name](bad)
            assert isinstance(result, ExcelError) and result.code == "#NUM!", (name, bad)


def test_february_1900_has_29_days_on_excels_calendar():
    """Excel's calendar keeps the fictitious 1900-02-29 (serial 60): February 1900 has 29
    days there, and the month rules of YEARFRAC and DATEDIF follow it."""
    from xlmodel.formula import calendar

    assert calendar.days_in_month(1900, 2) == 29 and calendar.is_leap(1900)
    assert calendar.days_in_month(2100, 2) == 28 and not calendar.is_leap(2100)
    assert FIXES["DATE"](1900.0, 3.0, 0.0) == 60.0  # the day before 1 March is the 29th
