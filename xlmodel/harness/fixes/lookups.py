"""Which lookups IronCalc 0.9.1 computes otherwise than Excel: the approximate ones.

IronCalc lands on any of equal keys where Excel returns the last, bisects in its own way on
unsorted data, and bisects for ``match_type`` -1, where Excel scans (``MATCH(40,
{25;28;40;41}, -1)`` is ``#N/A`` in Microsoft's example, 4 in IronCalc); its VLOOKUP and
HLOOKUP give ``#REF!`` for an index below 1, where Excel gives ``#VALUE!``. A cell making
such a call is computed by the formula engine, whose search is Excel's
(:func:`xlmodel.formula.functions.common.sorted_position`); an exact lookup stays with
IronCalc, which agrees with Excel there.
"""

from __future__ import annotations

from xlmodel.formula.parser import Bool, Missing, Number, find_calls

#: The lookup functions whose approximate search differs.
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
