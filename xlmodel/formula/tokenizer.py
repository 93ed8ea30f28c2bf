"""Split the text of an Excel formula (without the leading ``=``) into tokens.

The tokenizer knows the lexical forms of the file format: numbers, strings with doubled quotes,
error literals, A1 references and ranges (``$A$1``, ``A1:B5``, ``A:A``, ``1:3``), sheet
prefixes (``Sheet1!``, ``'My Sheet'!``), names, function names (a name followed by ``(``),
operators and punctuation. Structured table references (``Table1[Col]``) and external
workbook prefixes (``[1]Sheet1!``) are recognised so that they can be reported, not evaluated.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from xlmodel.errors import EXCEL_ERROR_CODES, WorkbookError
from xlmodel.formula.cellrefs import MAX_COL, MAX_ROW, column_number


class FormulaError(WorkbookError):
    """A formula cannot be parsed, or uses a construct the engine does not evaluate."""


class UnsupportedFormula(FormulaError):
    """A formula is valid Excel but uses a construct the engine does not evaluate."""


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its exact text and where it starts and ends in the formula.

    ``kind`` is one of NUMBER, STRING, BOOL, ERROR, SHEET, REF, NAME, FUNC, OP, HASH, AT,
    LPAREN, RPAREN, LBRACE, RBRACE, COMMA, SEMI, STRUCT, EXTERNAL. ``value`` holds the parsed
    payload: the number, the unquoted string, the sheet name, the function name, or for REF a
    tuple ``(r1, c1, r2, c2)`` where whole-column/whole-row bounds are None.
    ``space_before`` records whitespace before the token (Excel's intersection operator).
    """

    kind: str
    text: str
    start: int
    end: int
    value: object = None
    space_before: bool = False


def _name_class(ascii_chars: str) -> str:
    """A character class of ``ascii_chars`` and every character from U+0080 to U+FFFF, written
    as its complement: the same set, which ``re`` compiles in a fraction of a millisecond,
    where a class spelling out that range takes several (paid at every start-up)."""
    excluded = "".join(f"\\x{c:02x}" for c in range(128) if chr(c) not in ascii_chars)
    return f"[^{excluded}\\U00010000-\\U0010ffff]"


_SHEET_CHAR = _name_class(string.ascii_letters + string.digits + "_.\\")
_WORD_FIRST = _name_class(string.ascii_letters + "_\\")
_WORD_CHAR = _name_class(string.ascii_letters + string.digits + "_.?\\")

_END = r"(?![A-Za-z0-9_.(\[!'\\])"
_CELL = r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})"
_ERRORS = "|".join(re.escape(code) for code in sorted(EXCEL_ERROR_CODES, key=len, reverse=True))

_MASTER = re.compile(
    rf"""
    (?P<ws>\s+)
    |(?P<string>"(?:[^"]|"")*")
    |(?P<error>{_ERRORS})
    |(?P<qsheet>'(?:[^']|'')+'!)
    |(?P<external>\[[^\]]*\](?=[^\s\[\]()'"]*!))
    |(?P<sheet>{_SHEET_CHAR}+(?::{_SHEET_CHAR}+)?!)
    |(?P<cellrange>{_CELL}:{_CELL}{_END})
    |(?P<colrange>\$?([A-Za-z]{{1,3}}):\$?([A-Za-z]{{1,3}}){_END})
    |(?P<rowrange>\$?([0-9]{{1,7}}):\$?([0-9]{{1,7}}){_END})
    |(?P<cell>{_CELL}{_END})
    |(?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
    |(?P<word>{_WORD_FIRST}{_WORD_CHAR}*)
    |(?P<op><>|<=|>=|[-+*/^&=<>%:])
    |(?P<punct>[(){{}},;#@\[])
    """,
    re.VERBOSE,
)

_WORD = re.compile(_WORD_FIRST + _WORD_CHAR + "*")

_PUNCT = {
    "(": "LPAREN",
    ")": "RPAREN",
    "{": "LBRACE",
    "}": "RBRACE",
    ",": "COMMA",
    ";": "SEMI",
    "#": "HASH",
    "@": "AT",
}


def tokenize(text: str) -> list[Token]:
    """Return the tokens of a formula.

    Raises
    ------
    FormulaError
        A character that cannot start any token, or an unterminated string.
    """
    tokens: list[Token] = []
    pos = 0
    n = len(text)
    space = False
    while pos < n:
        m = _MASTER.match(text, pos)
        if m is None:
            if text[pos] == '"':
                raise FormulaError(f"unterminated string in formula: {text}")
            raise FormulaError(f"unexpected {text[pos]!r} at position {pos + 1} in formula: {text}")
        kind = m.lastgroup
        end = m.end()
        tok_text = m.group()
        if kind == "ws":
            space = True
            pos = end
            continue
        token = _classify(kind, m, text, pos, end)
        if token is None:  # a cell-like word beyond the grid limits is a name
            wm = _WORD.match(text, pos)
            token = _word_token(text, pos, wm.end())
        elif kind == "punct" and tok_text == "[":
            token = _structured(text, pos, pos)
        if token.kind == "NAME" and token.end < n and text[token.end] == "[":
            token = _structured(text, pos, token.end)
        tokens.append(_with_space(token, space))
        space = False
        pos = token.end
    return tokens


def _with_space(token: Token, space: bool) -> Token:
    if not space:
        return token
    return Token(token.kind, token.text, token.start, token.end, token.value, True)


def _classify(kind: str, m: re.Match, text: str, start: int, end: int) -> Token | None:
    tok = m.group()
    if kind == "string":
        return Token("STRING", tok, start, end, tok[1:-1].replace('""', '"'))
    if kind == "error":
        return Token("ERROR", tok, start, end, tok)
    if kind == "qsheet":
        return Token("SHEET", tok, start, end, tok[1:-2].replace("''", "'"))
    if kind == "sheet":
        return Token("SHEET", tok, start, end, tok[:-1])
    if kind == "external":
        return Token("EXTERNAL", tok, start, end, tok)
    if kind == "cellrange":
        g = m.groups()
        i = m.re.groupindex["cellrange"]
        c1, r1, c2, r2 = g[i], g[i + 1], g[i + 2], g[i + 3]
        bounds = _cell(c1, r1), _cell(c2, r2)
        if None in bounds:
            return None
        (ra, ca), (rb, cb) = bounds
        return Token("REF", tok, start, end, (min(ra, rb), min(ca, cb), max(ra, rb), max(ca, cb)))
    if kind == "colrange":
        i = m.re.groupindex["colrange"]
        ca, cb = column_number(m.group(i + 1)), column_number(m.group(i + 2))
        if max(ca, cb) > MAX_COL:
            return None
        return Token("REF", tok, start, end, (None, min(ca, cb), None, max(ca, cb)))
    if kind == "rowrange":
        i = m.re.groupindex["rowrange"]
        ra, rb = int(m.group(i + 1)), int(m.group(i + 2))
        if not (1 <= min(ra, rb) and max(ra, rb) <= MAX_ROW):
            raise FormulaError(f"row out of range in {tok!r}")
        return Token("REF", tok, start, end, (min(ra, rb), None, max(ra, rb), None))
    if kind == "cell":
        i = m.re.groupindex["cell"]
        rc = _cell(m.group(i + 1), m.group(i + 2))
        if rc is None:
            return None
        return Token("REF", tok, start, end, (rc[0], rc[1], rc[0], rc[1]))
    if kind == "number":
        return Token("NUMBER", tok, start, end, float(tok))
    if kind == "word":
        return _word_token(text, start, end)
    if kind == "op":
        return Token("OP", tok, start, end, tok)
    return Token(_PUNCT.get(tok, "PUNCT"), tok, start, end, tok)


def _cell(letters: str, digits: str) -> tuple[int, int] | None:
    col = column_number(letters)
    row = int(digits)
    if col > MAX_COL or not 1 <= row <= MAX_ROW:
        return None
    return row, col


def _word_token(text: str, start: int, end: int) -> Token:
    word = text[start:end]
    if end < len(text) and text[end] == "(":
        return Token("FUNC", text[start : end + 1], start, end + 1, word)
    if word.upper() in ("TRUE", "FALSE"):
        return Token("BOOL", word, start, end, word.upper() == "TRUE")
    return Token("NAME", word, start, end, word)


def closing_bracket(text: str, bracket: int) -> int | None:
    """Index of the ``]`` matching the ``[`` at ``bracket`` (``'`` escapes the next character
    inside brackets), or None when it is not closed."""
    depth = 0
    pos = bracket
    while pos < len(text):
        ch = text[pos]
        if ch == "'" and pos + 1 < len(text):  # ' escapes the next character inside brackets
            pos += 2
            continue
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                return pos
        pos += 1
    return None


def _structured(text: str, start: int, bracket: int) -> Token:
    """A structured reference: a table name (possibly empty) and balanced brackets."""
    pos = closing_bracket(text, bracket)
    if pos is None:
        raise FormulaError(f"unbalanced '[' in formula: {text}")
    return Token("STRUCT", text[start : pos + 1], start, pos + 1, text[start : pos + 1])
