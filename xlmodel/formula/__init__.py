"""A formula engine for saved workbooks: tokenizer, parser, compiled closures, native functions.

Typical use::

    from xlmodel.formula import Engine, Formula

    engine = Engine({("Sheet1", 1, 1): 2.0, ("Sheet1", 1, 2): Formula("A1*3")})
    engine.calculate()[("Sheet1", 1, 2)]   # 6.0

Formula text is never executed as Python: it is parsed into a syntax tree and compiled into
closures over the cell values.
"""

from xlmodel.formula.evaluate import Engine, Formula
from xlmodel.formula.functions import FUNCTIONS as NATIVE_FUNCTIONS
from xlmodel.formula.lint import lint_formula
from xlmodel.formula.parser import Call, Node, find_calls, parse, source, walk
from xlmodel.formula.tokenizer import FormulaError, UnsupportedFormula, tokenize
from xlmodel.formula.values import MISSING, Ref, number_text

__all__ = [
    "Call",
    "Engine",
    "Formula",
    "FormulaError",
    "MISSING",
    "NATIVE_FUNCTIONS",
    "Node",
    "Ref",
    "UnsupportedFormula",
    "find_calls",
    "lint_formula",
    "number_text",
    "parse",
    "source",
    "tokenize",
    "walk",
]
