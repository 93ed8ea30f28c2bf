"""Floor 3, Excel's formula language: cell references, tokenizer, parser, the vetting of
untrusted formulas, and the local formula engine (compiled closures, native functions).

Owns everything that reads formula text. The harness uses it for local mode and to vet every
formula before any engine sees it; the template uses its lint on every formula it writes.

May import: :mod:`xlmodel.errors` and numpy. It knows no function of ours: the harness
registers them (:mod:`xlmodel.functions.spellings`).

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
