"""Cell references in A1 style: column letters and numbers, cells and ranges, and the
shift of relative references that fills a shared formula.

Shared by the package reader and writers and the formula engine.
"""

from __future__ import annotations

import re


def column_number(letters: str) -> int:
    """Return the 1-based column number of column letters such as ``"AB"`` (28)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def column_letters(col: int) -> str:
    """Return the letters of a 1-based column number (28 -> ``"AB"``)."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


#: Excel's grid: 1,048,576 rows by 16,384 columns (XFD).
MAX_ROW = 1_048_576
MAX_COL = 16_384

_REF_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})")


def parse_ref(ref: str) -> tuple[int, int]:
    """Return the 1-based ``(row, col)`` of an A1-style cell reference.

    ``$`` markers and lower case are accepted: ``parse_ref("$ab$12") == (12, 28)``.

    Raises
    ------
    ValueError
        If ``ref`` is not a single cell inside Excel's grid.
    """
    m = _REF_RE.fullmatch(ref.strip()) if isinstance(ref, str) else None
    if m is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    row, col = int(m.group(2)), column_number(m.group(1))
    if row > MAX_ROW or col > MAX_COL:
        raise ValueError(f"cell reference outside the sheet: {ref!r}")
    return row, col


_CANONICAL_REF_RE = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_COLUMNS: dict[str, int] = {}


def cell_position(ref: str) -> tuple[int, int, str]:
    """``(row, col, canonical ref)`` of a cell's ``r`` attribute; the fast path of parse_ref."""
    m = _CANONICAL_REF_RE.fullmatch(ref)
    if m is None:
        row, col = parse_ref(ref)
        return row, col, make_ref(row, col)
    letters, digits = m.groups()
    col = _COLUMNS.get(letters)
    if col is None:
        col = _COLUMNS[letters] = column_number(letters)
    row = int(digits)
    if row > MAX_ROW or col > MAX_COL:
        raise ValueError(f"cell reference outside the sheet: {ref!r}")
    return row, col, ref


def make_ref(row: int, col: int) -> str:
    """Return the A1 reference of the 1-based ``(row, col)``: ``make_ref(12, 28) == "AB12"``."""
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        raise ValueError(f"cell outside the sheet: row {row}, column {col}")
    return f"{column_letters(col)}{row}"


def parse_range(text: str) -> tuple[int, int, int, int]:
    """Return ``(first_row, first_col, last_row, last_col)`` of ``"A1:B3"`` (or of one cell).

    The corners are put in order, so ``"B3:A1"`` gives the same result as ``"A1:B3"``.
    """
    if not isinstance(text, str):
        raise ValueError(f"not a range: {text!r}")
    first, sep, last = text.partition(":")
    r1, c1 = parse_ref(first)
    r2, c2 = parse_ref(last) if sep else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def make_range(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    """Return ``"A1:B3"`` for the corners given, or ``"A1"`` for a single cell."""
    first, last = make_ref(first_row, first_col), make_ref(last_row, last_col)
    return first if first == last else f"{first}:{last}"


_FORMULA_TOKEN_RE = re.compile(
    r"""
    (?P<skip>"(?:[^"]|"")*"|'(?:[^']|'')*'|\[(?:[^\[\]]|\[[^\[\]]*\])*\])
  | (?<![\w.$])(?P<rows>(?P<r1a>\$?)(?P<r1>\d+):(?P<r2a>\$?)(?P<r2>\d+))(?![\w.(\[!:])
  | (?<![\w.$])(?P<cols>(?P<c1a>\$?)(?P<c1>[A-Za-z]{1,3}):(?P<c2a>\$?)(?P<c2>[A-Za-z]{1,3}))
      (?![\w.(\[!:])
  | (?<![\w.$])(?P<cell>(?P<ca>\$?)(?P<col>[A-Za-z]{1,3})(?P<ra>\$?)(?P<row>\d+))(?![\w.(\[!])
    """,
    re.VERBOSE,
)


def _shift(value: int, delta: int, absolute: str, limit: int) -> int | None:
    if absolute:
        return value
    shifted = value + delta
    return shifted if 1 <= shifted <= limit else None


def translate_formula(formula: str, drow: int, dcol: int) -> str:
    """Shift the relative references of ``formula`` by ``drow`` rows and ``dcol`` columns.

    This is how Excel fills a shared formula: ``A1``, ``A1:B2``, ``A:A`` and ``1:1`` move,
    ``$`` parts stay, text in strings, sheet names, structured references and function
    names such as ``LOG10(`` is left alone. A reference pushed off the sheet becomes
    ``#REF!``.
    """

    def replace(m: re.Match[str]) -> str:
        if m.group("skip") is not None:
            return m.group(0)
        if m.group("cell") is not None:
            col, row = column_number(m.group("col")), int(m.group("row"))
            if col > MAX_COL or row > MAX_ROW:
                return m.group(0)  # a name such as XFE1, not a reference
            new_col = _shift(col, dcol, m.group("ca"), MAX_COL)
            new_row = _shift(row, drow, m.group("ra"), MAX_ROW)
            if new_col is None or new_row is None:
                return "#REF!"
            return f"{m.group('ca')}{column_letters(new_col)}{m.group('ra')}{new_row}"
        if m.group("cols") is not None:
            c1, c2 = column_number(m.group("c1")), column_number(m.group("c2"))
            if c1 > MAX_COL or c2 > MAX_COL:
                return m.group(0)
            n1 = _shift(c1, dcol, m.group("c1a"), MAX_COL)
            n2 = _shift(c2, dcol, m.group("c2a"), MAX_COL)
            if n1 is None or n2 is None:
                return "#REF!"
            return f"{m.group('c1a')}{column_letters(n1)}:{m.group('c2a')}{column_letters(n2)}"
        r1, r2 = int(m.group("r1")), int(m.group("r2"))
        if not (1 <= r1 <= MAX_ROW and 1 <= r2 <= MAX_ROW):
            return m.group(0)
        n1 = _shift(r1, drow, m.group("r1a"), MAX_ROW)
        n2 = _shift(r2, drow, m.group("r2a"), MAX_ROW)
        if n1 is None or n2 is None:
            return "#REF!"
        return f"{m.group('r1a')}{n1}:{m.group('r2a')}{n2}"

    if drow == 0 and dcol == 0:
        return formula
    return _FORMULA_TOKEN_RE.sub(replace, formula)
