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

import importlib

# What the package offers, each from the module that owns it. They are imported on first use
# (PEP 562), so that a caller of one small module (cell references, say) does not load the
# engine and numpy with it: the hardened reader and the harness's start-up need neither.
_EXPORTS = {
    "Call": ("parser", "Call"),
    "Engine": ("evaluate", "Engine"),
    "Formula": ("evaluate", "Formula"),
    "FormulaError": ("tokenizer", "FormulaError"),
    "MISSING": ("values", "MISSING"),
    "NATIVE_FUNCTIONS": ("functions", "FUNCTIONS"),
    "Node": ("parser", "Node"),
    "Ref": ("values", "Ref"),
    "UnsupportedFormula": ("tokenizer", "UnsupportedFormula"),
    "find_calls": ("parser", "find_calls"),
    "lint_formula": ("lint", "lint_formula"),
    "number_text": ("values", "number_text"),
    "parse": ("parser", "parse"),
    "source": ("parser", "source"),
    "tokenize": ("tokenizer", "tokenize"),
    "walk": ("parser", "walk"),
}


def __getattr__(name: str):
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


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
