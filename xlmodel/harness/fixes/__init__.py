"""Native Excel functions that IronCalc computes otherwise than Excel, computed on our side.

Full mode hands a cell that calls one of these to the Python side, as it does the cells that
call our own functions, when every function the cell calls is one the formula engine of
:mod:`xlmodel.formula` has; IronCalc then takes the value. Each fix is tested
against the values Excel computed and saved, published examples and hand-worked cases
(tests/test_fixes*.py, with the cases of tests/*_cases.py). Which cells leave IronCalc is
decided by :func:`differs` from the formula's text: for the families below every call goes
(a date function, a statistic of the variance family, TEXT, a number joined into text),
since the text cannot tell whether IronCalc's answer will be the wrong one; for lookups and
criteria only the calls that can differ (an approximate lookup, a ``"<>text"`` criterion).

* :mod:`.bases`: ``BIN2DEC`` ... ``HEX2OCT`` (Excel's error values and blanks);
* :mod:`.depreciation`: ``VDB`` with a fractional start period;
* :mod:`.dates`: Excel's calendar (serials 0 to 60, the fictitious 29 February 1900),
  ``YEARFRAC`` with the dates in either order, ``DATEDIF``'s ``"MD"``, the time of day
  rounded to the second, and dates written as text;
* :mod:`.statistics`: the variance family and the regression pairs with two passes (IronCalc
  loses digits), ``NPV`` over array constants, ``LARGE``/``SMALL`` with a fractional ``k``;
* criteria (``COUNTIF``, ``SUMIF``, ``AVERAGEIF`` and their ``S`` forms): IronCalc matches
  ``"<>text"`` against text cells only, where Excel matches every cell but that text
  (numbers, logicals, blanks), and ``"="`` against ``""`` results too, where Excel matches
  empty cells only; a formula with such a literal criterion is computed by the formula engine
  of :mod:`xlmodel.formula`, which follows Excel;
* text: IronCalc writes a number as text with 17 digits and no exponent (``=1/3&""`` is
  ``0.3333333333333333``, Excel ``0.333333333333333``; ``1E+20`` comes out in full), and its
  ``TEXT`` rounds halves to even and lacks fractions, conditions and many date codes; a
  formula that joins text with ``&``, calls ``TEXT`` or a function that turns a number into
  text is computed by the formula engine (15 significant digits, :mod:`xlmodel.formula.numfmt`),
  and so is ``VALUE``, which reads dates, times, fractions and ``(12)`` as Excel does;
  :mod:`.text` has ``TEXTJOIN``;
* :mod:`.lookups`: the approximate searches of ``MATCH``, ``VLOOKUP``, ``HLOOKUP`` and
  ``LOOKUP`` (Excel's bisection, its scan for ``match_type`` -1, the last of duplicates),
  computed by the formula engine.
"""

from __future__ import annotations

import re

from xlmodel.errors import ExcelError
from xlmodel.harness.fixes.bases import FIXES as _BASE_FIXES
from xlmodel.harness.fixes.dates import FIXES as _DATE_FIXES
from xlmodel.harness.fixes.depreciation import vdb
from xlmodel.harness.fixes.lookups import NAMES as _LOOKUPS
from xlmodel.harness.fixes.lookups import approximate
from xlmodel.harness.fixes.statistics import FIXES as _STATISTICS_FIXES
from xlmodel.harness.fixes.text import FIXES as _TEXT_FIXES
from xlmodel.harness.formula_text import STRING_RE

#: Native function name -> Python implementation with Excel's semantics (scalar arguments:
#: float, str, bool, None for blank or omitted).
FIXES = {**_BASE_FIXES, "VDB": vdb, **_DATE_FIXES, **_STATISTICS_FIXES, **_TEXT_FIXES}


def _guarded(name: str, fn):
    """A fix whose own defect is one cell's ``#VALUE!`` with the reason, never a workbook
    the harness refuses (a raising function stops the check, as for our own calls)."""
    def call(*args):
        try:
            return fn(*args)
        except ArithmeticError as exc:  # past the largest number, as Excel says it
            return ExcelError("#NUM!", f"{name}: {type(exc).__name__}: {exc}")
        except (LookupError, TypeError, ValueError) as exc:
            return ExcelError("#VALUE!", f"{name}: internal error ({type(exc).__name__}: "
                                         f"{exc})")

    call.__name__ = fn.__name__
    call.__doc__ = fn.__doc__
    return call


#: Where a fix that takes arrays expects one value: an array there is taken value by value,
#: and the results fill an array of the same shape (``LARGE(r, {1, 2})``).
_ONE_VALUE = {"LARGE": (1,), "SMALL": (1,), "FORECAST": (0,), "FORECAST.LINEAR": (0,),
              "NPV": (0,)}
#: The most values one such call takes one by one.
MAX_LIFTED = 10_000


def _lifted(name: str, fn, positions: tuple[int, ...]):
    def call(*args):
        lifted = [i for i in positions
                  if i < len(args) and hasattr(args[i], "shape") and args[i].size > 1]
        if not lifted:
            return fn(*args)
        rows = max(args[i].shape[0] for i in lifted)
        cols = max(args[i].shape[1] for i in lifted)
        if rows * cols > MAX_LIFTED:
            return ExcelError("#VALUE!", f"{name}: more than {MAX_LIFTED:,} values where one "
                                         "is expected")
        out = []
        for r in range(rows):
            line = []
            for c in range(cols):
                one = list(args)
                for i in lifted:
                    a = args[i]
                    if (a.shape[0] > 1 and r >= a.shape[0]) or (a.shape[1] > 1 and
                                                                  c >= a.shape[1]):
                        one = None  # past the end of a smaller array, as Excel pads it
                        break
                    one[i] = a[r if a.shape[0] > 1 else 0, c if a.shape[1] > 1 else 0]
                line.append(ExcelError("#N/A") if one is None else fn(*one))
            out.append(line)
        return out

    call.__name__ = fn.__name__
    call.__doc__ = fn.__doc__
    return call


FIXES = {name: _guarded(name, fn) for name, fn in FIXES.items()}
FIXES.update({name: _lifted(name, FIXES[name], at) for name, at in _ONE_VALUE.items()})

#: The fixes that take ranges and array constants as 2-D arrays.
ARRAY_ARGS = frozenset(_STATISTICS_FIXES) | frozenset(_TEXT_FIXES)

_ALWAYS = frozenset(FIXES)

#: Functions of the formula engine whose criteria IronCalc reads otherwise than Excel.
_CRITERIA = frozenset({"COUNTIF", "COUNTIFS", "SUMIF", "SUMIFS", "AVERAGEIF", "AVERAGEIFS"})
#: A literal criterion "<>" followed by text that is not a number (or by a joined value), or
#: "=" alone.
_CRITERION_RE = re.compile(r'"(?:<>(?:[^"0-9.+\-]|"\s*&)|=")')

#: Functions of the formula engine that turn a number into text as Excel does, where
#: IronCalc does not (and TEXT, whose formats IronCalc follows less closely).
_TEXT = frozenset({"CONCAT", "CONCATENATE", "EXACT", "LEFT", "LEN", "LOWER", "MID", "REPT",
                   "RIGHT", "SUBSTITUTE", "TEXT", "TRIM", "UPPER", "VALUE"})

#: Every function whose call may move a cell to the Python side (and ``&`` does too).
NAMES = frozenset(FIXES) | _LOOKUPS | _CRITERIA | _TEXT | {"XLOOKUP"}


def _joins(formula: str) -> bool:
    """The formula joins text with ``&`` (outside its text constants)."""
    if "&" not in formula:
        return False
    return '"' not in formula or "&" in STRING_RE.sub("", formula)


def differs(formula: str, called: set[str]) -> bool:
    """Whether a formula calling the functions ``called`` makes a call IronCalc gets wrong:
    any call to a function fixed here, except a lookup that matches exactly; a literal
    criterion IronCalc reads otherwise than Excel; text made from numbers."""
    return (not _ALWAYS.isdisjoint(called)
            or not _TEXT.isdisjoint(called) or _joins(formula)
            # IronCalc's XLOOKUP gives #N/A or #VALUE! over an array constant
            or ("XLOOKUP" in called and "{" in formula)
            or (not _LOOKUPS.isdisjoint(called) and approximate(formula))
            or (not _CRITERIA.isdisjoint(called) and _CRITERION_RE.search(formula) is not None))
