"""Excel's native functions, as the local formula engine computes them.

:mod:`~.registry` holds the registry (upper-case name -> :class:`FunctionSpec`) and the
``@excel`` decorator with the argument kinds; :mod:`~.common` the argument helpers the
functions share; one module per family registers its functions when imported: maths, logic
and information, lookup and reference, conditional aggregates, text, finance.
"""

from xlmodel.formula.functions import aggregates, finance, logic, lookup, maths, text
from xlmodel.formula.functions.maths import power
from xlmodel.formula.functions.registry import (
    FUNCTIONS,
    REFERENCE_ONLY,
    SPECIAL_FORMS,
    FunctionSpec,
    excel,
    spec_for,
)

__all__ = [
    "FUNCTIONS",
    "REFERENCE_ONLY",
    "SPECIAL_FORMS",
    "FunctionSpec",
    "aggregates",
    "excel",
    "finance",
    "logic",
    "lookup",
    "maths",
    "power",
    "spec_for",
    "text",
]
