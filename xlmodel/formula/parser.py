"""Parse formula tokens into an abstract syntax tree.

Operator precedence, highest first, as in Excel: the range operator ``:``; unary ``-``/``+``
(so ``-2^2`` is 4); ``%``; ``^``; ``*`` ``/``; ``+`` ``-``; ``&``; comparisons. Binary
operators group left to right (``2^3^2`` is 64).

Every node records ``start``/``end``, its span in the formula text, so callers can recover the
exact source of any sub-expression with :func:`source`.
"""

from __future__ import annotations

import contextlib
import math
import sys
from dataclasses import dataclass, field

from xlmodel.formula.tokenizer import FormulaError, Token, UnsupportedFormula, tokenize

#: Prefixes the file format puts before newer or add-in function names.
FUNCTION_PREFIXES = ("_XLFN._XLWS.", "_XLFN.", "_XLWS.", "_XLUDF.", "_XLL.")

#: Excel's own specifications and limits: a formula holds at most 8,192 characters, nests
#: at most 64 levels (function calls, parentheses and array constants counted alike) and
#: passes at most 255 arguments to one function. A formula past them cannot come from
#: Excel; it is refused before anything parses or evaluates it.
MAX_FORMULA_CHARS = 8_192
MAX_NESTING = 64
MAX_ARGUMENTS = 255
#: Most cells one range in a formula may cover: Excel's grid is 1,048,576 x 16,384 cells,
#: but no evaluator here can hold a range of 17 billion values. 2^23 cells (eight columns
#: of a million rows) is 64 MiB of references at most.
MAX_REGION_CELLS = 1 << 23
#: Python frames a syntax tree of an accepted formula may need: one per operator of a
#: left-grouped chain (about 4,100 at 8,192 characters), a few per nesting level, and
#: three layers (parse, compile, evaluate).
_STACK_FRAMES = 40_000


@dataclass(slots=True)
class Node:
    """Base of all syntax-tree nodes."""

    start: int = field(default=0, kw_only=True)
    end: int = field(default=0, kw_only=True)


@dataclass(slots=True)
class Number(Node):
    value: float


@dataclass(slots=True)
class Text(Node):
    value: str


@dataclass(slots=True)
class Bool(Node):
    value: bool


@dataclass(slots=True)
class ErrorLit(Node):
    code: str


@dataclass(slots=True)
class ArrayConst(Node):
    """``{1,2;3,4}``: rows of constant scalars."""

    rows: list[list[object]]


@dataclass(slots=True)
class RefNode(Node):
    """A cell or range reference. Whole-column/row bounds are None. ``sheet`` None = own sheet."""

    sheet: str | None
    r1: int | None
    c1: int | None
    r2: int | None
    c2: int | None


@dataclass(slots=True)
class NameNode(Node):
    """A defined name or a LET variable (``_xlpm.`` prefix removed); ``sheet`` for Sheet!Name."""

    name: str
    sheet: str | None = None


@dataclass(slots=True)
class SpillNode(Node):
    """``A1#`` or ``_xlfn.ANCHORARRAY(A1)``: the spill range anchored at a cell."""

    anchor: RefNode


@dataclass(slots=True)
class Unary(Node):
    op: str  # "-", "+" or "@"
    operand: Node


@dataclass(slots=True)
class Percent(Node):
    operand: Node


@dataclass(slots=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(slots=True)
class Call(Node):
    """A function call. ``name`` is upper-case without file-format prefixes."""

    name: str
    args: list[Node]
    raw_name: str = ""


@dataclass(slots=True)
class Missing(Node):
    """An empty argument, as the middle one in ``F(a,,b)``."""


_BINARY = {
    ":": 8,
    "^": 5,
    "*": 4,
    "/": 4,
    "+": 3,
    "-": 3,
    "&": 2,
    "=": 1,
    "<>": 1,
    "<": 1,
    ">": 1,
    "<=": 1,
    ">=": 1,
}
_PERCENT_BP = 6
_UNARY_BP = 7


def strip_prefix(name: str) -> str:
    """Upper-case a function name and remove ``_xlfn.``-style prefixes."""
    upper = name.upper()
    changed = True
    while changed:
        changed = False
        for prefix in FUNCTION_PREFIXES:
            if upper.startswith(prefix):
                upper = upper[len(prefix) :]
                changed = True
    return upper


def parse(text: str) -> Node:
    """Parse a formula (with or without the leading ``=``) into a syntax tree.

    Raises
    ------
    FormulaError
        The text is not a formula.
    UnsupportedFormula
        The formula uses union, intersection, 3-D or external references or structured
        table references.
    """
    offset = 1 if text.startswith("=") else 0
    body = text[offset:]
    tokens = vet(body)
    with deep_stack():
        parser = _Parser(body, offset, tokens)
        node = parser.expression(0)
    if parser.pos < len(parser.tokens):
        tok = parser.tokens[parser.pos]
        if tok.space_before and _starts_operand(tok):
            raise UnsupportedFormula(f"intersection operator (space) in formula: {text}")
        raise FormulaError(f"unexpected {tok.text!r} in formula: {text}")
    return node


class FormulaLimit(FormulaError):
    """A formula passes one of Excel's limits: no file Excel saved holds it."""


class RegionTooLarge(FormulaLimit):
    """A range in a formula covers more cells than an evaluator here may hold (Excel itself
    allows it): the formula cannot be evaluated, though Excel may have saved it."""


def vet(text: str) -> list[Token]:
    """Check a formula (without ``=``) against Excel's limits before anything parses it.

    Non-recursive and linear in the formula's length, so that it can stand in front of any
    evaluator: too long, nested too deep, a call with too many arguments, or a range of
    more than :data:`MAX_REGION_CELLS` cells raise :class:`FormulaLimit`. Returns the
    tokens.
    """
    if len(text) > MAX_FORMULA_CHARS:
        raise FormulaLimit(f"formula of {len(text):,} characters, more than Excel's "
                           f"{MAX_FORMULA_CHARS:,} characters")
    tokens = tokenize(text)
    stack: list[list] = []  # [kind, arguments so far] of each open group
    for tok in tokens:
        kind = tok.kind
        if kind in ("FUNC", "LPAREN", "LBRACE"):
            stack.append([kind, 1])
            if len(stack) > MAX_NESTING:
                raise FormulaLimit(f"formula nests more than Excel's {MAX_NESTING} levels: "
                                   f"{_short(text)}")
        elif kind in ("RPAREN", "RBRACE"):
            if stack:
                stack.pop()
        elif kind == "COMMA" and stack and stack[-1][0] == "FUNC":
            stack[-1][1] += 1
            if stack[-1][1] > MAX_ARGUMENTS:
                raise FormulaLimit(f"a function call with more than Excel's {MAX_ARGUMENTS} "
                                   f"arguments: {_short(text)}")
        elif kind == "NUMBER" and not math.isfinite(tok.value):
            raise FormulaLimit(f"number {tok.text[:40]} is larger than any Excel holds "
                               "(about 1.8e308)")
        elif kind == "REF":
            r1, c1, r2, c2 = tok.value
            if None not in (r1, c1):
                cells = (r2 - r1 + 1) * (c2 - c1 + 1)
                if cells > MAX_REGION_CELLS:
                    raise RegionTooLarge(f"range {tok.text} has {cells:,} cells, more than the "
                                       f"{MAX_REGION_CELLS:,} a range may cover here")
    return tokens


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


@contextlib.contextmanager
def deep_stack(frames: int = _STACK_FRAMES):
    """Allow the Python recursion a vetted formula needs (parsing, compiling, evaluating).

    The vetting bounds every syntax tree's depth, so the limit is never reached by an
    accepted formula. CPython 3.11 and later run Python-to-Python calls without growing
    the C stack, so a higher limit cannot overflow it.
    """
    old = sys.getrecursionlimit()
    if old >= frames:
        yield
        return
    sys.setrecursionlimit(frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def source(text: str, node: Node) -> str:
    """The exact text of a node in the formula it was parsed from."""
    return text[node.start : node.end]


def walk(node: Node):
    """Yield a node and all nodes below it, parents first."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, Binary):
            stack.append(n.right)
            stack.append(n.left)
        elif isinstance(n, Unary | Percent):
            stack.append(n.operand)
        elif isinstance(n, Call):
            stack.extend(reversed(n.args))
        elif isinstance(n, SpillNode):
            stack.append(n.anchor)


def _starts_operand(tok: Token) -> bool:
    return tok.kind in (
        "NUMBER", "STRING", "BOOL", "ERROR", "SHEET", "REF", "NAME", "FUNC", "LPAREN", "LBRACE",
    )


class _Parser:
    def __init__(self, text: str, offset: int, tokens: list[Token]):
        self.text = text
        self.offset = offset
        self.tokens = tokens
        self.pos = 0

    # -- helpers ---------------------------------------------------------------------------

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise FormulaError(f"formula ends too early: {self.text}")
        self.pos += 1
        return tok

    def expect(self, kind: str) -> Token:
        tok = self.take()
        if tok.kind != kind:
            raise FormulaError(f"expected {kind.lower()} but found {tok.text!r} in: {self.text}")
        return tok

    def span(self, node: Node, start: int, end: int) -> Node:
        node.start = start + self.offset
        node.end = end + self.offset
        return node

    # -- grammar ---------------------------------------------------------------------------

    def expression(self, min_bp: int) -> Node:
        left = self.prefix()
        while True:
            tok = self.peek()
            if tok is None:
                break
            if tok.kind == "OP" and tok.value == "%":
                if _PERCENT_BP < min_bp:
                    break
                self.pos += 1
                left = self.span(Percent(left), left.start - self.offset, tok.end)
                continue
            if tok.kind == "HASH":
                if not isinstance(left, RefNode) or left.r1 != left.r2 or left.c1 != left.c2:
                    raise FormulaError(f"'#' must follow a cell reference in: {self.text}")
                self.pos += 1
                left = self.span(SpillNode(left), left.start - self.offset, tok.end)
                continue
            if tok.kind == "COMMA" and min_bp == -1:
                raise UnsupportedFormula(f"union operator (,) in formula: {self.text}")
            if tok.kind != "OP" or tok.value not in _BINARY:
                if tok.space_before and _starts_operand(tok):
                    raise UnsupportedFormula(f"intersection operator (space) in: {self.text}")
                break
            bp = _BINARY[tok.value]
            if bp < min_bp:
                break
            self.pos += 1
            right = self.expression(bp + 1)
            left = self.span(
                _binary(tok.value, left, right, self.text),
                left.start - self.offset,
                right.end - self.offset,
            )
        return left

    def prefix(self) -> Node:
        tok = self.take()
        kind = tok.kind
        if kind == "NUMBER":
            return self.span(Number(tok.value), tok.start, tok.end)
        if kind == "STRING":
            return self.span(Text(tok.value), tok.start, tok.end)
        if kind == "BOOL":
            return self.span(Bool(tok.value), tok.start, tok.end)
        if kind == "ERROR":
            return self.span(ErrorLit(tok.value), tok.start, tok.end)
        if kind == "OP" and tok.value in ("-", "+"):
            # A chain of signs, read in a loop: "+" changes nothing, and after the first "-"
            # the value is a number, so only whether the count of "-" is 0, odd or even
            # (>= 2) matters. "--x" stays two negations (it turns text into a number).
            minus = tok.value == "-"
            nxt = self.peek()
            while nxt is not None and nxt.kind == "OP" and nxt.value in ("-", "+"):
                minus += nxt.value == "-"
                self.pos += 1
                nxt = self.peek()
            operand = self.expression(_UNARY_BP)
            end = operand.end - self.offset
            if not minus:
                return self.span(Unary("+", operand), tok.start, end)
            node = operand
            for _ in range(2 - minus % 2):
                node = self.span(Unary("-", node), tok.start, end)
            return node
        if kind == "AT":
            operand = self.expression(_UNARY_BP)
            return self.span(Unary("@", operand), tok.start, operand.end - self.offset)
        if kind == "LPAREN":
            inner = self.expression(-1)
            close = self.expect("RPAREN")
            inner.start = tok.start + self.offset
            inner.end = close.end + self.offset
            return inner
        if kind == "LBRACE":
            return self.array_constant(tok)
        if kind == "REF":
            r1, c1, r2, c2 = tok.value
            return self.span(RefNode(None, r1, c1, r2, c2), tok.start, tok.end)
        if kind == "SHEET":
            return self.sheet_ref(tok)
        if kind == "NAME":
            name = tok.value
            if name.upper().startswith("_XLPM."):
                name = name[6:]
            return self.span(NameNode(name), tok.start, tok.end)
        if kind == "FUNC":
            return self.call(tok)
        if kind == "STRUCT":
            raise UnsupportedFormula(f"structured reference {tok.text} in: {self.text}")
        if kind == "EXTERNAL":
            raise UnsupportedFormula(f"external workbook reference in: {self.text}")
        raise FormulaError(f"unexpected {tok.text!r} in formula: {self.text}")

    def sheet_ref(self, sheet_tok: Token) -> Node:
        nxt = self.take()
        sheet = sheet_tok.value
        if ":" in sheet:  # Sheet1:Sheet3!A1 spans sheets; a real sheet name has no colon
            raise UnsupportedFormula(f"3-D reference {sheet_tok.text} in: {self.text}")
        if nxt.kind == "REF":
            r1, c1, r2, c2 = nxt.value
            return self.span(RefNode(sheet, r1, c1, r2, c2), sheet_tok.start, nxt.end)
        if nxt.kind == "ERROR":
            return self.span(ErrorLit(nxt.value), sheet_tok.start, nxt.end)
        if nxt.kind == "NAME":
            return self.span(NameNode(nxt.value, sheet), sheet_tok.start, nxt.end)
        raise FormulaError(f"expected a reference after {sheet_tok.text} in: {self.text}")

    def call(self, tok: Token) -> Node:
        name = strip_prefix(tok.value)
        args: list[Node] = []
        close = self.peek()
        if close is not None and close.kind == "RPAREN":
            self.pos += 1
        else:
            while True:
                nxt = self.peek()
                if nxt is not None and nxt.kind in ("COMMA", "RPAREN"):
                    args.append(self.span(Missing(), nxt.start, nxt.start))
                else:
                    args.append(self.expression(0))
                sep = self.take()
                if sep.kind == "RPAREN":
                    close = sep
                    break
                if sep.kind != "COMMA":
                    raise FormulaError(
                        f"expected ',' or ')' but found {sep.text!r} in: {self.text}"
                    )
        node: Node
        if name == "ANCHORARRAY":
            if len(args) != 1 or not isinstance(args[0], RefNode):
                raise FormulaError(f"ANCHORARRAY needs one cell reference in: {self.text}")
            node = SpillNode(args[0])
        elif name == "SINGLE" and len(args) == 1:
            node = Unary("@", args[0])
        else:
            node = Call(name, args, tok.value)
        return self.span(node, tok.start, close.end)

    def array_constant(self, open_tok: Token) -> Node:
        rows: list[list[object]] = [[]]
        while True:
            rows[-1].append(self.array_item())
            sep = self.take()
            if sep.kind == "RBRACE":
                break
            if sep.kind == "SEMI":
                rows.append([])
            elif sep.kind != "COMMA":
                raise FormulaError(f"unexpected {sep.text!r} in array constant: {self.text}")
        if len({len(r) for r in rows}) != 1:
            raise FormulaError(f"array constant rows differ in length in: {self.text}")
        return self.span(ArrayConst(rows), open_tok.start, sep.end)

    def array_item(self) -> object:
        tok = self.take()
        sign = 1.0
        if tok.kind == "OP" and tok.value in ("-", "+"):
            sign = -1.0 if tok.value == "-" else 1.0
            tok = self.take()
            if tok.kind != "NUMBER":
                raise FormulaError(f"expected a number in array constant: {self.text}")
        if tok.kind == "NUMBER":
            return sign * tok.value
        if tok.kind in ("STRING", "BOOL"):
            return tok.value
        if tok.kind == "ERROR":
            from xlmodel.errors import ExcelError

            return ExcelError(tok.value)
        raise FormulaError(f"array constants hold only constants, found {tok.text!r}: {self.text}")


def _binary(op: str, left: Node, right: Node, text: str) -> Node:
    if op == ":" and isinstance(left, RefNode) and isinstance(right, RefNode):
        merged = _merge_refs(left, right)
        if merged is not None:
            return merged
    return Binary(op, left, right)


def _merge_refs(a: RefNode, b: RefNode) -> RefNode | None:
    """``A1:B2`` written as two references (e.g. ``Sheet1!A1:Sheet1!B2``) becomes one range."""
    if b.sheet is not None and a.sheet is not None and a.sheet.upper() != b.sheet.upper():
        return None
    if None in (a.r1, a.c1, b.r1, b.c1):
        return None
    return RefNode(
        a.sheet if a.sheet is not None else b.sheet,
        min(a.r1, b.r1),
        min(a.c1, b.c1),
        max(a.r2, b.r2),
        max(a.c2, b.c2),
    )


@dataclass(frozen=True, slots=True)
class CallSite:
    """One function call found in a formula: its name and the source text of each argument."""

    name: str
    args: tuple[str, ...]
    node: Call


def find_calls(text: str, names: set[str] | frozenset[str] | None = None) -> list[CallSite]:
    """Every call in a formula (outermost first), optionally only those to ``names``.

    ``names`` are compared upper-case without ``_xlfn.``-style prefixes. An empty argument
    has the source text "".
    """
    wanted = None if names is None else {strip_prefix(n) for n in names}
    tree = parse(text)
    sites = []
    for node in walk(tree):
        if isinstance(node, Call) and (wanted is None or node.name in wanted):
            args = tuple(source(text, a).strip() for a in node.args)
            sites.append(CallSite(node.name, args, node))
    return sites
