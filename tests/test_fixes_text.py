"""Text in full mode: numbers written as text with 15 significant digits and TEXT's number
formats (xlmodel/formula/numfmt.py), against Excel's values (tests/text_cases.py)."""

import openpyxl
import pytest

from tests.excel_cases import excel, full_mode, ironcalc_alone
from tests.text_cases import CASES
from xlmodel import harness
from xlmodel.errors import ExcelError
from xlmodel.formula import numfmt


def _book(path):
    book = openpyxl.Workbook()
    for row, (formula, _, _) in enumerate(CASES, 1):
        book.active.cell(row, 1, formula)
    book.save(path)
    return path


@pytest.fixture(scope="module")
def computed(tmp_path_factory):
    return full_mode(_book(tmp_path_factory.mktemp("text") / "text.xlsx"))


@pytest.mark.parametrize(("row", "formula", "expected", "source"),
                         [(row, *case) for row, case in enumerate(CASES, 1)],
                         ids=[f"{row}:{case[0]}" for row, case in enumerate(CASES, 1)])
def test_full_mode_gives_excels_value(computed, row, formula, expected, source):
    got = computed[("Sheet", f"A{row}")]
    assert harness.same(got, excel(expected)), (got, source)


def test_ironcalc_alone_misses_some_of_them(tmp_path):
    values = ironcalc_alone(_book(tmp_path / "t.xlsx"))
    wrong = [f for row, (f, e, _) in enumerate(CASES, 1)
             if not harness.same(values.get(("Sheet", row, 1)), excel(e))]
    assert len(wrong) >= 50, len(wrong)


@pytest.mark.parametrize(("value", "fmt", "expected"), [
    (0.0, "mm/dd/yyyy", "01/00/1900"),          # serial 0
    (60.0, "d mmm yyyy", "29 Feb 1900"),        # the fictitious leap day
    (61.0, "d mmm yyyy", "1 Mar 1900"),
    (45141.999999, "h:mm:ss", "0:00:00"),       # rounds into the next day
    (1234.5, "#,##0", "1,235"),                 # half away from zero
    (-1234.5, "#,##0;(#,##0)", "(1,235)"),
    (0.0, "0;-0;\"zero\"", "zero"),
    (1.0 / 3.0, "# ??/??", "  1/3 "),           # no whole part; both padded to two
    ("abc", "0;0;0;\"[\"@\"]\"", "[abc]"),
])
def test_number_formats_worked_by_hand(value, fmt, expected):
    assert numfmt.format_value(value, fmt) == expected


def test_a_format_it_cannot_read_is_value_error():
    assert isinstance(numfmt.format_value(1.0, "[unclosed"), ExcelError)


@pytest.mark.parametrize(("value", "fmt", "expected"), [
    (1e26, "0.00", "100000000000000000000000000.00"),    # past 28 decimal digits
    (5.0, "0." + "0" * 30, "5." + "0" * 30),
    (0.37, "# ??/100", " 37/100"),                       # a denominator written out
    (0.5, "# ?/10", " 5/10"),
    (1.0, "?/?", "1/1"),                                 # no whole part to carry into
    (3000000.0, "[h]:mm", "72000000:00"),                # elapsed hours past 9999-12-31
])
def test_number_formats_at_the_edges(value, fmt, expected):
    assert numfmt.format_value(value, fmt) == expected


def test_a_fraction_with_many_placeholders_is_found_at_once():
    """The closest fraction with up to twelve-digit denominators: by continued fractions,
    not by trying every denominator (that took hours)."""
    assert numfmt.format_value(0.333, "?/" + "?" * 12).strip() == "333/1000"
    assert numfmt.format_value(1 / 3, "?/" + "?" * 12).strip() == "1/3"


@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_a_number_that_is_not_finite_is_num(value):
    assert numfmt.format_value(value, "0") == ExcelError("#NUM!")


def test_a_format_longer_than_excels_is_value_error():
    assert numfmt.format_value(1.0, "0" * 256) == ExcelError("#VALUE!")
