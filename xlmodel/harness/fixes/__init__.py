"""Native Excel functions that IronCalc computes differently from Excel, computed on our side.

Full mode hands a cell that calls one of these to the Python side, as it does the cells that
call our own functions, when every function the cell calls is one the formula engine of
:mod:`xlmodel.formula` has; IronCalc then takes the value. Each fix is narrow and tested
against the values Excel computed and saved, published examples and hand-worked cases
(tests/test_fixes.py, tests/test_fixes_dates.py).

* :mod:`.bases`: ``BIN2DEC`` ... ``HEX2OCT`` (Excel's error values and blanks);
* :mod:`.depreciation`: ``VDB`` with a fractional start period;
* :mod:`.dates`: Excel's calendar (serials 0 to 60, the fictitious 29 February 1900),
  ``YEARFRAC`` with the dates in either order, ``DATEDIF``'s ``"MD"``, the time of day
  rounded to the second, and dates written as text;
* :mod:`.lookups`: the approximate searches of ``MATCH``, ``VLOOKUP``, ``HLOOKUP`` and
  ``LOOKUP`` (Excel's bisection, its scan for ``match_type`` -1, the last of duplicates).
"""

from __future__ import annotations

from xlmodel.harness.fixes.bases import FIXES as _BASE_FIXES
from xlmodel.harness.fixes.dates import FIXES as _DATE_FIXES
from xlmodel.harness.fixes.depreciation import vdb
from xlmodel.harness.fixes.lookups import FIXES as _LOOKUP_FIXES
from xlmodel.harness.fixes.lookups import NAMES as ARRAY_ARGS
from xlmodel.harness.fixes.lookups import approximate

#: Native function name -> Python implementation with Excel's semantics (scalar arguments:
#: float, str, bool, None for blank or omitted).
FIXES = {**_BASE_FIXES, "VDB": vdb, **_DATE_FIXES, **_LOOKUP_FIXES}

_ALWAYS = frozenset(FIXES) - ARRAY_ARGS


def differs(formula: str, called: set[str]) -> bool:
    """Whether a formula calling the functions ``called`` makes a call IronCalc gets wrong:
    any call to a function fixed here, except a lookup that matches exactly."""
    return not _ALWAYS.isdisjoint(called) or (
        not ARRAY_ARGS.isdisjoint(called) and approximate(formula))
