"""Excel's search rules for MATCH, VLOOKUP, HLOOKUP and LOOKUP, where IronCalc 0.9.1 differs.

Only the approximate searches differ (an exact match, ``MATCH(x, r, 0)`` or ``VLOOKUP(x, t,
k, FALSE)``, agrees and stays with IronCalc: :func:`approximate` tells which calls come here).
Excel's rules, from Microsoft's examples, the Excel-saved ``MATCH.xlsx`` and a published table
of 77 arrays searched three ways in Excel:

* only values of the lookup value's own kind take part: numbers with numbers, text with text
  (case-insensitive), logicals with logicals; blanks, errors and other kinds are passed over.
  A blank lookup value is the number 0; an error lookup value is the result.
* ``match_type`` 1 (the default; VLOOKUP, HLOOKUP and LOOKUP when approximate): a bisection
  over the whole array, sorted or not. ``lo, hi = 0, n - 1``; while ``lo <= hi``: ``mid =
  (lo + hi) // 2``; step forward from ``mid`` to the first value of the right kind at or
  before ``hi`` (none: ``hi = mid - 1``); an equal value is the answer, after stepping over
  the equal values that follow it (the last of a run of duplicates); a smaller one is
  remembered and ``lo`` moves past it; otherwise ``hi = mid - 1``. The answer is the last
  value remembered, else ``#N/A``. IronCalc lands on another duplicate and differs on
  unsorted data.
* ``match_type`` -1: no bisection but a scan from the start over values of the right kind:
  an equal value is the answer; the first smaller value ends the scan and the greater value
  before it is the answer. So ``MATCH(40, {25;28;40;41}, -1)`` is ``#N/A``, as in
  Microsoft's example (IronCalc: 4).
* ``match_type`` 0: the first equal value; text may hold the wildcards ``*``, ``?`` and
  ``~`` (escape).
* VLOOKUP and HLOOKUP truncate the index: below 1 is ``#VALUE!`` (IronCalc: ``#REF!``),
  beyond the table ``#REF!``.

Text is ordered by ``str.lower`` (``"ß"`` is not ``"ss"``); Excel's collation, which puts
punctuation such as ``_ [ ] ^ ~`` before digits and letters, is not modelled.

Arguments arrive as the formula engine gives them with ``array_args``: a range or array
constant as a 2-D numpy object array, a scalar as itself.
"""

from __future__ import annotations

import math

from xlmodel.errors import ExcelError
from xlmodel.formula.functions.common import wildcard_pattern
from xlmodel.formula.parser import Bool, Missing, Number, find_calls

#: The lookup functions computed here (their arguments are arrays).
NAMES = frozenset({"MATCH", "VLOOKUP", "HLOOKUP", "LOOKUP"})
#: Where each function's match argument stands (LOOKUP is always approximate).
_MODE_ARG = {"MATCH": 2, "VLOOKUP": 3, "HLOOKUP": 3}


def approximate(formula: str) -> bool:
    """Whether the formula makes an approximate lookup, where IronCalc and Excel differ: a
    call to LOOKUP, or to MATCH, VLOOKUP or HLOOKUP whose match argument is not a literal
    0 or FALSE."""
    try:
        sites = find_calls(formula, NAMES)
    except Exception:  # noqa: BLE001 - a formula the parser refuses stays with IronCalc
        return False
    for site in sites:
        at = _MODE_ARG.get(site.name)
        if at is None:
            return True
        args = site.node.args
        if at == 3 and len(args) > 2 and isinstance(args[2], Number) and args[2].value < 1:
            return True  # an index below 1: #VALUE! in Excel, #REF! in IronCalc
        mode = args[at] if len(args) > at else None
        if isinstance(mode, Number) and mode.value == 0:
            continue
        if isinstance(mode, Bool) and not mode.value:
            continue
        if isinstance(mode, Missing) and site.name != "MATCH":
            continue  # VLOOKUP(x, t, k, ) is FALSE
        return True
    return False


def _scalar(value):
    """A single value from a 1x1 array (a one-cell reference), else the value itself."""
    if hasattr(value, "shape"):
        return value[0, 0] if value.size == 1 else _MANY
    return value


_MANY = ExcelError("#VALUE!", "a range where one value is expected")


def _vector(value) -> list | None:
    """A row or column as a list; None for a 2-D block."""
    if not hasattr(value, "shape"):
        return [value]
    rows, cols = value.shape
    if rows == 1 or cols == 1:
        return list(value.ravel())
    return None


def _rows(value) -> list[list]:
    if not hasattr(value, "shape"):
        return [[value]]
    return [list(r) for r in value]


def _kind(v) -> str | None:
    if v is None or isinstance(v, ExcelError):
        return None
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "num"
    return "text"


def _cmp(a, b) -> int:
    if isinstance(a, str):
        a, b = a.lower(), b.lower()
    return (a > b) - (a < b)


def _exact(x, values, wildcards=True):
    kind = _kind(x)
    rx = wildcard_pattern(x) if wildcards and kind == "text" else None
    for i, v in enumerate(values):
        if _kind(v) != kind:
            continue
        if rx is not None:
            if rx.fullmatch(v):
                return i
        elif _cmp(v, x) == 0:
            return i
    return None


def _bisect(x, values):
    """Excel's approximate search (match_type 1): index or None."""
    kind, n = _kind(x), len(values)
    lo, hi, best = 0, n - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        j = mid
        while j <= hi and _kind(values[j]) != kind:
            j += 1
        if j > hi:
            hi = mid - 1
            continue
        c = _cmp(values[j], x)
        if c == 0:
            while j + 1 < n and _kind(values[j + 1]) == kind and _cmp(values[j + 1], x) == 0:
                j += 1
            return j
        if c < 0:
            best, lo = j, j + 1
        else:
            hi = mid - 1
    return best


def _descending(x, values):
    """Excel's match_type -1: a linear scan (index or None)."""
    kind, best = _kind(x), None
    for i, v in enumerate(values):
        if _kind(v) != kind:
            continue
        c = _cmp(v, x)
        if c == 0:
            return i
        if c < 0:
            break
        best = i
    return best


def _lookup_value(x):
    return 0.0 if x is None else x


def _first_error(*values):
    for v in values:
        if isinstance(v, ExcelError):
            return v
    return None


def match(lookup_value=None, lookup_array=None, match_type=None):
    """Excel's ``MATCH(lookup_value, lookup_array, [match_type])``."""
    lookup_value, match_type = _scalar(lookup_value), _scalar(match_type)
    error = _first_error(lookup_value, match_type)
    if error is not None:
        return error
    values = _vector(lookup_array)
    if values is None:
        return ExcelError("#N/A", "MATCH: lookup_array must be one row or one column")
    if match_type is None:
        mode = 1
    else:
        if isinstance(match_type, str):
            try:
                match_type = float(match_type)
            except ValueError:
                return ExcelError("#VALUE!", "MATCH: match_type is not a number")
        mode = (match_type > 0) - (match_type < 0)
    x = _lookup_value(lookup_value)
    if mode == 0:
        pos = _exact(x, values)
    elif mode > 0:
        pos = _bisect(x, values)
    else:
        pos = _descending(x, values)
    if pos is None:
        return ExcelError("#N/A", "MATCH: no match")
    return float(pos + 1)


def _table_lookup(name, lookup_value, table, index, approximate_match):
    lookup_value, index = _scalar(lookup_value), _scalar(index)
    approximate_match = _scalar(approximate_match)
    error = _first_error(lookup_value, index, approximate_match)
    if error is not None:
        return error
    if isinstance(index, bool):
        index = float(index)
    if isinstance(index, str):
        try:
            index = float(index)
        except ValueError:
            return ExcelError("#VALUE!", f"{name}: the index is not a number")
    if index is None or not math.isfinite(index):
        return ExcelError("#VALUE!", f"{name}: the index is not a number")
    k = math.trunc(index)
    if k < 1:
        return ExcelError("#VALUE!", f"{name}: the index must be at least 1")
    width = max((len(r) for r in table), default=0)
    if k > width:
        return ExcelError("#REF!", f"{name}: the index is beyond the table")
    if isinstance(approximate_match, str):
        return ExcelError("#VALUE!", f"{name}: range_lookup must be TRUE or FALSE")
    approx = True if approximate_match is None else bool(approximate_match)
    x = _lookup_value(lookup_value)
    keys = [r[0] if r else None for r in table]
    pos = _bisect(x, keys) if approx else _exact(x, keys)
    if pos is None:
        return ExcelError("#N/A", f"{name}: no match")
    return table[pos][k - 1]


def vlookup(lookup_value=None, table_array=None, col_index_num=None, range_lookup=None):
    """Excel's ``VLOOKUP``."""
    return _table_lookup("VLOOKUP", lookup_value, _rows(table_array), col_index_num,
                         range_lookup)


def hlookup(lookup_value=None, table_array=None, row_index_num=None, range_lookup=None):
    """Excel's ``HLOOKUP``: the table searched along its first row."""
    columns = [list(c) for c in zip(*_rows(table_array), strict=True)]
    return _table_lookup("HLOOKUP", lookup_value, columns, row_index_num, range_lookup)


def lookup(lookup_value=None, lookup_vector=None, result_vector=None):
    """Excel's ``LOOKUP``: the vector form, and the array form (a block searched along its
    first row when it is wider than tall, else its first column; the result from its last
    row or column)."""
    lookup_value = _scalar(lookup_value)
    if isinstance(lookup_value, ExcelError):
        return lookup_value
    values = _vector(lookup_vector)
    result = None
    if values is None:
        if result_vector is not None:
            return ExcelError("#N/A", "LOOKUP: lookup_vector must be one row or one column")
        block = _rows(lookup_vector)
        if len(block[0]) > len(block):
            values, result = block[0], block[-1]
        else:
            values, result = [r[0] for r in block], [r[-1] for r in block]
    elif result_vector is not None:
        result = _vector(result_vector)
        if result is None:
            return ExcelError("#N/A", "LOOKUP: result_vector must be one row or one column")
    else:
        result = values
    pos = _bisect(_lookup_value(lookup_value), values)
    if pos is None:
        return ExcelError("#N/A", "LOOKUP: no match")
    if pos >= len(result):
        return ExcelError("#N/A", "LOOKUP: result_vector is shorter than lookup_vector")
    return result[pos]


#: Native function name -> implementation (array arguments).
FIXES = {"MATCH": match, "VLOOKUP": vlookup, "HLOOKUP": hlookup, "LOOKUP": lookup}
