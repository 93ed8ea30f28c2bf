"""Find what would stop the formula engine from evaluating a formula, before a workbook ships.

The template generator calls :func:`lint_formula` on every formula it writes. Each problem is
one line that names the offending part of the formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from xlmodel.formula.cellrefs import MAX_COL, MAX_ROW, column_number
from xlmodel.formula.functions import FUNCTIONS, SPECIAL_FORMS
from xlmodel.formula.parser import Call, NameNode, RefNode, SpillNode, parse, strip_prefix, walk
from xlmodel.formula.tokenizer import FormulaError, tokenize

_A1 = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]+)")
_R1C1 = re.compile(r"[Rr]([0-9]*)[Cc]([0-9]*)")


def looks_like_cell(name: str) -> bool:
    """True for names Excel reads as a cell: ``P1``, ``AB12``, ``R1C1``, ``RC``, ``R``, ``C``."""
    m = _A1.fullmatch(name)
    if m and column_number(m.group(1)) <= MAX_COL and 1 <= int(m.group(2)) <= MAX_ROW:
        return True
    return bool(_R1C1.fullmatch(name)) or name.upper() in ("R", "C")


def lint_formula(
    text: str,
    *,
    known_functions: Iterable[str] = (),
    defined_names: Iterable[str] = (),
    sheets: Iterable[str] | None = None,
) -> list[str]:
    """Problems that would stop the engine from evaluating a formula; empty when it is fine.

    Parameters
    ----------
    text : str
        The formula, with or without ``=``.
    known_functions : iterable of str
        Functions registered besides the native ones (e.g. the add-in's UDFs).
    defined_names : iterable of str
        Workbook-scoped defined names.
    sheets : iterable of str, optional
        The workbook's sheets; references to other sheets are reported. None skips the check.
    """
    problems: list[str] = []
    functions = {strip_prefix(f) for f in known_functions} | set(FUNCTIONS) | SPECIAL_FORMS
    names = {n.upper() for n in defined_names}
    sheet_set = None if sheets is None else {s.upper() for s in sheets}
    try:
        tokens = tokenize(text[1:] if text.startswith("=") else text)
    except FormulaError as exc:
        return problems + [str(exc)]
    for i, tok in enumerate(tokens):
        if tok.kind == "STRUCT":
            problems.append(f"structured table reference {tok.text}")
        elif tok.kind == "EXTERNAL":
            problems.append(f"reference to another workbook {tok.text}")
        elif tok.kind == "SHEET" and i + 1 < len(tokens) and tokens[i + 1].kind == "NAME":
            problems.append(f"sheet-scoped name {tok.text}{tokens[i + 1].text}")
    if problems:
        return problems
    try:
        tree = parse(text)
    except FormulaError as exc:
        return problems + [str(exc)]
    let_names = _let_names(tree)
    for node in walk(tree):
        if isinstance(node, Call):
            if node.name not in functions:
                problems.append(f"unknown function {node.raw_name or node.name}")
        elif isinstance(node, NameNode):
            upper = node.name.upper()
            if looks_like_cell(node.name):
                problems.append(f"defined name {node.name} looks like a cell reference")
            elif upper not in names and upper not in let_names:
                problems.append(f"unknown name {node.name}")
        elif isinstance(node, RefNode | SpillNode):
            ref = node.anchor if isinstance(node, SpillNode) else node
            unknown = ref.sheet is not None and ref.sheet.upper() not in (sheet_set or ())
            if sheet_set is not None and unknown:
                problems.append(f"reference to unknown sheet {ref.sheet!r}")
            if ref.sheet is None and ref.r1 is not None and ref.c1 is not None:
                cell = _cell_text(text, ref)
                if cell.upper() in names:
                    problems.append(
                        f"defined name {cell} looks like a cell reference and is read as one"
                    )
    return list(dict.fromkeys(problems))


def _let_names(tree) -> set[str]:
    bound = set()
    for node in walk(tree):
        if isinstance(node, Call) and node.name == "LET":
            for i, arg in enumerate(node.args[:-1]):
                if i % 2 == 0 and isinstance(arg, NameNode):
                    bound.add(arg.name.upper())
    return bound


def _cell_text(text: str, node: RefNode) -> str:
    return text[node.start : node.end].replace("$", "")
