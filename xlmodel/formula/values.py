"""Excel value semantics: coercion, comparison, text conversion and array broadcasting.

A scalar value is ``float``, ``str``, ``bool``, :class:`~xlmodel.errors.ExcelError` or ``None``
(a blank cell). An array is a 2-D numpy object array of scalars. A :class:`Ref` is a rectangle
of cells that has not been read yet; functions such as SUM, INDEX and ROWS treat a reference
differently from the array of its values, so references stay references until a consumer
needs values.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from xlmodel.errors import ExcelError, WorkbookError
from xlmodel.formula.calendar import text_serial
from xlmodel.formula.cellrefs import MAX_COL, MAX_ROW, column_letters  # noqa: F401 (re-exported)

ndarray = np.ndarray

ERR_NULL = ExcelError("#NULL!")
ERR_DIV0 = ExcelError("#DIV/0!")
ERR_VALUE = ExcelError("#VALUE!")
ERR_REF = ExcelError("#REF!")
ERR_NAME = ExcelError("#NAME?")
ERR_NUM = ExcelError("#NUM!")
ERR_NA = ExcelError("#N/A")
ERR_SPILL = ExcelError("#SPILL!")
ERR_CALC = ExcelError("#CALC!")

#: Longest text a cell holds in Excel [characters]; a longer result is #VALUE!.
MAX_TEXT = 32_767
#: Most elements of one array the engine builds (a range read, an elementwise result, a
#: SEQUENCE): 2^23, eight columns of a million rows, 64 MiB of references.
MAX_ARRAY_CELLS = 1 << 23


class LimitExceeded(WorkbookError):
    """Evaluating a formula would build an array larger than :data:`MAX_ARRAY_CELLS`, or a
    spill larger than the engine was told to allow: the evaluation stops, no value is made."""


#: Most array elements computed one at a time in Python (elementwise operators and
#: functions) in one evaluation: about 1.5 us each, so this bounds the time to well under
#: a minute whatever the formulas ask.
MAX_WORK = 10_000_000
_work = [0]


def reset_work() -> None:
    """Start a new evaluation's count of elementwise work."""
    _work[0] = 0


def _charge(n: int) -> None:
    _work[0] += n
    if _work[0] > MAX_WORK:
        raise LimitExceeded(f"the formulas need more than {MAX_WORK:,} array elements "
                            "computed one by one; the harness stops here")


def check_size(rows: int, cols: int, what: str) -> None:
    """Raise :class:`LimitExceeded` for an array of more than MAX_ARRAY_CELLS elements."""
    if rows * cols > MAX_ARRAY_CELLS:
        raise LimitExceeded(f"{what} of {rows:,} x {cols:,} cells is larger than the "
                            f"{MAX_ARRAY_CELLS:,} cells one array may hold here")

# LibreOffice and Excel treat numbers closer than 2**-48 relative as equal; sums of nearly
# opposite numbers become exactly 0 for the same reason.
_APPROX = 1.0 / (16777216.0 * 16777216.0)

_EXCEL_EPOCH = _dt.datetime(1899, 12, 30)


class _Missing:
    """An argument left empty, as in ``F(a,,b)``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


class Ref:
    """A rectangle of cells on one sheet: rows r1..r2 and columns c1..c2, 1-based, inclusive."""

    __slots__ = ("sheet", "r1", "c1", "r2", "c2")

    def __init__(self, sheet: str, r1: int, c1: int, r2: int, c2: int):
        self.sheet = sheet
        self.r1 = r1
        self.c1 = c1
        self.r2 = r2
        self.c2 = c2

    @property
    def shape(self) -> tuple[int, int]:
        return (self.r2 - self.r1 + 1, self.c2 - self.c1 + 1)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ref) and (
            (self.sheet, self.r1, self.c1, self.r2, self.c2)
            == (other.sheet, other.r1, other.c1, other.r2, other.c2)
        )

    def __hash__(self) -> int:
        return hash((self.sheet, self.r1, self.c1, self.r2, self.c2))

    def __repr__(self) -> str:
        return f"Ref({self.sheet!r}, {self.r1}, {self.c1}, {self.r2}, {self.c2})"


# --- addresses -------------------------------------------------------------------------------


def quote_sheet(sheet: str) -> str:
    """Return a sheet name as a formula spells it, quoted when it needs to be."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet) and not re.fullmatch(
        r"[A-Za-z]{1,3}[0-9]+", sheet
    ):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def address(sheet: str, row: int, col: int) -> str:
    """Return ``Sheet!B3`` for a cell."""
    return f"{quote_sheet(sheet)}!{column_letters(col)}{row}"


def range_address(sheet: str, r1: int, c1: int, r2: int, c2: int) -> str:
    """Return ``Sheet!A1:B3`` (or ``Sheet!A1`` for one cell)."""
    first = f"{column_letters(c1)}{r1}"
    if (r1, c1) == (r2, c2):
        return f"{quote_sheet(sheet)}!{first}"
    return f"{quote_sheet(sheet)}!{first}:{column_letters(c2)}{r2}"


# --- scalars ---------------------------------------------------------------------------------

_NUMBER_TEXT = re.compile(
    r"\s*([+-]?)\s*((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?\s*(%?)\s*"
)


def parse_number_text(text: str) -> float | None:
    """Return the number a text spells the way Excel reads it in arithmetic, or None.

    Handles signs, thousands separators, exponents and a trailing percent sign. Dates and
    currency symbols are not recognised.
    """
    m = _NUMBER_TEXT.fullmatch(text)
    if m is None:
        return None
    sign, digits, exponent, percent = m.groups()
    value = float(digits.replace(",", "") + (f"e{exponent}" if exponent else ""))
    if percent:
        value /= 100.0
    return -value if sign == "-" else value


_FRACTION = re.compile(r"([+-]?)(\d{1,15})\s+(\d{1,15})/(\d{1,15})")


def value_of_text(text: str) -> float | None:
    """The number VALUE reads in a text, or None: a number as arithmetic reads it, with a
    leading ``$`` or in parentheses for a negative one (``"(12)"`` is -12), a whole number and
    a fraction (``"1 1/2"``), or a date or time (``"12:00"`` is 0.5, ``"5-Jan-2020"``)."""
    number = parse_number_text(text)
    if number is not None:
        return number
    t = plain = text.strip()
    sign = 1.0
    if len(t) > 2 and t[0] == "(" and t[-1] == ")":
        sign, t = -1.0, t[1:-1].strip()
    if t[:1] in "+-" and t[1:2] == "$":
        t = t[0] + t[2:]
    elif t[:1] == "$":
        t = t[1:].lstrip()
    number = parse_number_text(t)
    if number is None:
        m = _FRACTION.fullmatch(t)
        if m is not None and int(m.group(4)):
            number = int(m.group(2)) + int(m.group(3)) / int(m.group(4))
            number = -number if m.group(1) == "-" else number
        elif t == plain:  # a date or time has no sign, currency or parentheses
            number = text_serial(t)
    return None if number is None else sign * number


def to_number(v: object) -> float | ExcelError:
    """Coerce a scalar to a number as Excel arithmetic does (text as VALUE reads it: ``"$4.00"``
    is 4, ``"6/1/2001"`` a date); other text is #VALUE!."""
    t = type(v)
    if t is float:
        return v
    if v is None or v is MISSING:
        return 0.0
    if t is bool:
        return 1.0 if v else 0.0
    if t is str:
        x = parse_number_text(v)
        if x is None:
            x = value_of_text(v)
        return ERR_VALUE if x is None else x
    if t is ExcelError:
        return v
    if t is int:
        return float(v)
    return ERR_VALUE


def to_text(v: object) -> str | ExcelError:
    """Coerce a scalar to text as ``&`` does."""
    t = type(v)
    if t is str:
        return v
    if t is float:
        return number_text(v)
    if v is None or v is MISSING:
        return ""
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is ExcelError:
        return v
    if t is int:
        return number_text(float(v))
    return ERR_VALUE


def to_bool(v: object) -> bool | ExcelError:
    """Coerce a scalar to a logical value as IF and NOT do."""
    t = type(v)
    if t is bool:
        return v
    if t is float:
        return v != 0.0
    if v is None or v is MISSING:
        return False
    if t is str:
        upper = v.upper()
        if upper == "TRUE":
            return True
        if upper == "FALSE":
            return False
        return ERR_VALUE
    if t is ExcelError:
        return v
    if t is int:
        return v != 0
    return ERR_VALUE


def number_text(x: float) -> str:
    """Format a number as Excel converts it to text: 15 significant digits, no trailing zeros.

    Numbers of 1e15 and above, and below 1e-9, use scientific notation (``1.5E+20``).
    """
    if x == 0.0:
        return "0"
    if x != x or x in (math.inf, -math.inf):
        return "#NUM!"
    text = f"{x:.15g}"
    mantissa, _, exponent = text.partition("e")
    if not exponent:
        return text
    e = int(exponent)
    if -10 < e < 0:
        # %.15g switches to exponents below 1e-4; Excel keeps decimals further down.
        digits = f"{abs(x):.{14 - e}f}".rstrip("0").rstrip(".")
        return ("-" if x < 0 else "") + digits
    return f"{mantissa}E{'+' if e >= 0 else '-'}{abs(e):02d}"


def round_half_away(x: float, digits: int) -> float:
    """Round to ``digits`` decimals, halves away from zero, on the shortest decimal form of x."""
    if x != x or x in (math.inf, -math.inf):
        return x
    d = Decimal(repr(x))
    q = Decimal(1).scaleb(-digits)
    return float(d.quantize(q, rounding=ROUND_HALF_UP))


def approx_equal(a: float, b: float) -> bool:
    """True when two numbers are equal to within Excel's comparison tolerance."""
    if a == b:
        return True
    d = a - b
    return (d if d >= 0 else -d) < (a if a >= 0 else -a) * _APPROX


def add(a: float, b: float) -> float:
    """Add, treating a result that cancels to within rounding noise as exactly 0."""
    if ((a < 0.0 < b) or (b < 0.0 < a)) and approx_equal(a, -b):
        return 0.0
    return a + b


def _rank(v: object) -> int:
    t = type(v)
    if t is float:
        return 0
    if t is str:
        return 1
    return 2  # bool


def compare(a: object, b: object) -> int | ExcelError:
    """Compare two scalars as Excel does: numbers < text < logicals, text case-insensitive.

    A blank compares as 0, "" or FALSE, whichever matches the other side.
    """
    if type(a) is ExcelError:
        return a
    if type(b) is ExcelError:
        return b
    if a is None or a is MISSING:
        a = _blank_like(b)
    if b is None or b is MISSING:
        b = _blank_like(a)
    if type(a) is int:
        a = float(a)
    if type(b) is int:
        b = float(b)
    ra, rb = _rank(a), _rank(b)
    if ra != rb:
        return -1 if ra < rb else 1
    if ra == 0:
        if approx_equal(a, b):
            return 0
        return -1 if a < b else 1
    if ra == 1:
        a = a.lower()
        b = b.lower()
    return (a > b) - (a < b)


def _blank_like(v: object) -> object:
    t = type(v)
    if t is str:
        return ""
    if t is bool:
        return False
    return 0.0


def check_number(x: float) -> float | ExcelError:
    """Return x, or #NUM! when it is infinite or NaN."""
    if x != x or x == math.inf or x == -math.inf:
        return ERR_NUM
    return x


def from_python(v: object) -> object:
    """Turn a Python or numpy result into an engine value (scalar or 2-D object array)."""
    if isinstance(v, ndarray):
        if v.ndim == 0:
            return from_python(v.item())
        arr = v.reshape((1, -1)) if v.ndim == 1 else v
        if arr.ndim != 2:
            return ERR_VALUE
        if arr.size == 0:
            return ERR_CALC
        out = np.empty(arr.shape, dtype=object)
        for i in range(arr.shape[0]):
            for j in range(arr.shape[1]):
                out[i, j] = scalar_from_python(arr[i, j])
        return out
    if isinstance(v, list | tuple):
        if not v:
            return ERR_CALC
        rows = [list(r) if isinstance(r, list | tuple | ndarray) else [r] for r in v]
        if not isinstance(v[0], list | tuple | ndarray):
            rows = [list(v)]  # a flat list is one row, as xlwings returns it
        width = max(len(r) for r in rows)
        if width == 0:
            return ERR_CALC
        out = np.empty((len(rows), width), dtype=object)
        for i, r in enumerate(rows):
            for j in range(width):
                out[i, j] = scalar_from_python(r[j]) if j < len(r) else ERR_NA
        return out
    return scalar_from_python(v)


def scalar_from_python(v: object) -> object:
    """Turn one Python/numpy scalar into an engine scalar; NaN and infinities become #NUM!."""
    t = type(v)
    if t is float:
        return check_number(v)
    if v is None or t is str or t is bool or t is ExcelError:
        return v
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, int | np.integer):
        return float(v)
    if isinstance(v, float | np.floating):
        return check_number(float(v))
    if isinstance(v, _dt.datetime):
        return (v - _EXCEL_EPOCH).total_seconds() / 86400.0
    if isinstance(v, _dt.date):
        return float((v - _EXCEL_EPOCH.date()).days)
    if isinstance(v, _dt.time):
        return (v.hour * 3600 + v.minute * 60 + v.second + v.microsecond / 1e6) / 86400.0
    if isinstance(v, ndarray | list | tuple):
        return ERR_VALUE
    return str(v)


# --- arrays ----------------------------------------------------------------------------------


def as_array(v: object) -> ndarray:
    """Return v as a 2-D object array (a scalar becomes 1x1)."""
    if type(v) is ndarray:
        return v
    out = np.empty((1, 1), dtype=object)
    out[0, 0] = v
    return out


def array_of(rows: list[list[object]]) -> ndarray:
    """Build a 2-D object array from a list of equal-length rows."""
    out = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
    for i, row in enumerate(rows):
        for j, x in enumerate(row):
            out[i, j] = x
    return out


def full(shape: tuple[int, int], value: object) -> ndarray:
    """A 2-D object array filled with one value."""
    check_size(shape[0], shape[1], "an array")
    out = np.empty(shape, dtype=object)
    out.fill(value)
    return out


def broadcast_shape(arrays: list[ndarray]) -> tuple[int, int]:
    """The shape of an elementwise result: the largest row and column counts."""
    return (max(a.shape[0] for a in arrays), max(a.shape[1] for a in arrays))


def pick(a: ndarray, i: int, j: int) -> object:
    """Element (i, j) of a broadcast operand: one row/column repeats, beyond the end is #N/A."""
    r, c = a.shape
    ii = 0 if r == 1 else i
    jj = 0 if c == 1 else j
    if ii >= r or jj >= c:
        return ERR_NA
    return a[ii, jj]


def resize(a: ndarray, shape: tuple[int, int]) -> ndarray:
    """Broadcast or truncate an array to a shape, padding with #N/A (legacy array formulas)."""
    rows, cols = shape
    check_size(rows, cols, "an array range")
    _charge(rows * cols)
    out = np.empty(shape, dtype=object)
    for i in range(rows):
        for j in range(cols):
            out[i, j] = pick(a, i, j)
    return out


def elementwise(fn, args: list, positions: list[int]) -> ndarray:
    """Call ``fn`` once per element of the arrays at ``positions`` in ``args``.

    Scalars and single rows/columns are repeated; where one array is shorter than the result,
    the element is #N/A without calling ``fn``, as in dynamic-array Excel.
    """
    arrays = [args[k] for k in positions]
    rows, cols = broadcast_shape(arrays)
    check_size(rows, cols, "an elementwise result")
    _charge(rows * cols)
    out = np.empty((rows, cols), dtype=object)
    call = list(args)
    shapes = [a.shape for a in arrays]
    for i in range(rows):
        for j in range(cols):
            ok = True
            for k, a, (r, c) in zip(positions, arrays, shapes, strict=True):
                ii = 0 if r == 1 else i
                jj = 0 if c == 1 else j
                if ii >= r or jj >= c:
                    ok = False
                    break
                call[k] = a[ii, jj]
            out[i, j] = fn(*call) if ok else ERR_NA
    return out


def first_error(values) -> ExcelError | None:
    """The first error value in an iterable, or None."""
    for x in values:
        if type(x) is ExcelError:
            return x
    return None
