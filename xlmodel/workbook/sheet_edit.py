"""Worksheet surgery: locate every row, cell and cell child of ``sheetData`` by byte
offset, and write new cached values, array ranges and dynamic-array flags into them
(inserting cells and rows where a spill needs them) without touching anything else."""

from __future__ import annotations

import bisect
import math
import numbers
import re
import sys
from dataclasses import dataclass, field

from xlmodel.errors import ExcelError, WorkbookError
from xlmodel.formula.cellrefs import cell_position, make_range, make_ref, parse_range
from xlmodel.workbook.xmltext import (
    MARKUP_RE,
    Tag,
    apply_edits,
    attrs_of,
    iter_tags,
    opening_tag,
    qualified,
    set_attr,
    xml_escape,
)


def _tag_of(m: re.Match[bytes]) -> Tag:
    close, name, _, empty = m.groups()
    prefix, _, local = name.rpartition(b":")
    return Tag(m.start(), m.end(), bool(close), prefix, local, bool(empty), m.group(0))


_R_ATTR_RE = re.compile(rb"\sr\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def _r_attr(m: re.Match[bytes]) -> bytes | None:
    """The ``r`` attribute of a row or cell tag (their attribute values never hold text)."""
    a = _R_ATTR_RE.search(m.group(0))
    if a is None:
        return None
    return a.group(1) if a.group(1) is not None else a.group(2)


@dataclass
class _CellTok:
    row: int
    col: int
    explicit: bool  # has an r attribute
    match: re.Match[bytes]
    close_start: int  # offset of </c>, or the tag's end for <c/>
    end: int
    children: dict[bytes, tuple[int, int]] = field(default_factory=dict)
    f_match: re.Match[bytes] | None = None

    @property
    def tag(self) -> Tag:
        return _tag_of(self.match)

    @property
    def f_tag(self) -> Tag | None:
        return None if self.f_match is None else _tag_of(self.f_match)


@dataclass
class _RowTok:
    row: int
    explicit: bool
    match: re.Match[bytes]
    close_start: int
    end: int
    cells: list[_CellTok] = field(default_factory=list)

    @property
    def tag(self) -> Tag:
        return _tag_of(self.match)


@dataclass
class _SheetTokens:
    prefix: bytes
    open_tag: Tag  # <sheetData ...> or <sheetData/>
    close_start: int
    end: int
    rows: list[_RowTok]
    dimension: Tag | None


def _tokenize_sheet(data: bytes, name: str) -> _SheetTokens:
    """Locate every row, cell and cell child of ``sheetData`` by byte offset."""
    dimension = None
    open_tag = None
    for tag in iter_tags(data):
        if tag.closing:
            continue
        if tag.local == b"dimension" and dimension is None:
            dimension = tag
        elif tag.local == b"sheetData":
            open_tag = tag
            break
    if open_tag is None:
        raise WorkbookError(f"part {name} has no sheetData")
    prefix = open_tag.prefix
    if dimension is not None and dimension.prefix != prefix:
        dimension = None
    if open_tag.empty:
        return _SheetTokens(prefix, open_tag, open_tag.end, open_tag.end, [], dimension)

    rows: list[_RowTok] = []
    depth = 0
    row = cell = None
    child_start: dict[bytes, int] = {}
    last_row = 0
    for m in MARKUP_RE.finditer(data, open_tag.end):
        close, qname, _, empty = m.groups()
        if qname is None:
            continue  # comment, CDATA or processing instruction
        local = qname.rpartition(b":")[2]
        if close:
            if depth == 0:
                if local != b"sheetData":
                    raise WorkbookError(f"part {name}: unexpected </{local.decode()}>")
                return _SheetTokens(prefix, open_tag, m.start(), m.end(), rows, dimension)
            depth -= 1
            if depth == 0:
                row.close_start, row.end = m.start(), m.end()
            elif depth == 1:
                cell.close_start, cell.end = m.start(), m.end()
            elif depth == 2 and local in child_start:
                cell.children[local] = (child_start.pop(local), m.end())
            continue
        if depth == 0:
            if local != b"row":
                raise WorkbookError(f"part {name}: unexpected <{local.decode()}> in sheetData")
            r = _r_attr(m)
            number = int(r) if r else last_row + 1
            last_row = number
            row = _RowTok(number, bool(r), m, m.end(), m.end())
            rows.append(row)
        elif depth == 1:
            if local != b"c":
                if not empty:
                    depth += 1  # an opaque element in a row (extLst): skip its content
                    cell = _CellTok(0, 0, False, m, m.end(), m.end())
                continue
            ref = _r_attr(m)
            if ref:
                r, c, _ = cell_position(ref.decode("ascii"))
            else:
                r, c = row.row, (row.cells[-1].col if row.cells else 0) + 1
            cell = _CellTok(r, c, bool(ref), m, m.end(), m.end())
            row.cells.append(cell)
        elif depth == 2 and local in (b"f", b"v", b"is"):
            if local == b"f":
                cell.f_match = m
            if empty:
                cell.children[local] = (m.start(), m.end())
            else:
                child_start[local] = m.start()
        if not empty:
            depth += 1
    raise WorkbookError(f"part {name}: sheetData is not closed")


@dataclass(frozen=True)
class _Payload:
    t: bytes | None
    v: bytes | None  # None removes <v>


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_|\r")


def _escape_ooxml(text: str) -> str:
    """Escape characters XML cannot carry as ``_xHHHH_``, and literal ``_xHHHH_`` texts."""

    def repl(m: re.Match[str]) -> str:
        s = m.group(0)
        return "_x005F" + s if s.startswith("_x") else f"_x{ord(s):04X}_"

    return _CONTROL_RE.sub(repl, text)


def _is_numpy_bool(value: object) -> bool:
    # numpy is not imported for this: a numpy boolean exists only once numpy is loaded
    np = sys.modules.get("numpy")
    return np is not None and isinstance(value, np.bool_)


def cell_payload(value: object, where: str) -> _Payload:
    if value is None:
        return _Payload(None, None)
    if isinstance(value, bool) or _is_numpy_bool(value):
        return _Payload(b"b", b"1" if value else b"0")
    if isinstance(value, ExcelError):
        return _Payload(b"e", value.code.encode("ascii"))
    if isinstance(value, numbers.Integral):
        n = int(value)
        if abs(n) < 10**15:
            return _Payload(None, str(n).encode("ascii"))
        value = float(n) if abs(n) < 10**308 else math.inf
    if isinstance(value, numbers.Real):
        x = float(value)
        if not math.isfinite(x):
            return _Payload(b"e", b"#NUM!")  # Excel has no NaN or infinity
        return _Payload(None, repr(x).encode("ascii"))
    if isinstance(value, str):
        return _Payload(b"str", xml_escape(_escape_ooxml(value)))
    raise WorkbookError(f"{where}: cannot write a value of type {type(value).__name__}")


@dataclass
class SheetEdits:
    values: dict[tuple[int, int], _Payload] = field(default_factory=dict)
    arrays: dict[tuple[int, int], str] = field(default_factory=dict)
    dynamic: set[tuple[int, int]] = field(default_factory=set)


def _edit_cell(cell: _CellTok, edits: SheetEdits, cm: bytes | None, sheet: str,
               prefix: bytes) -> list[tuple[int, int, bytes]]:
    key = (cell.row, cell.col)
    where = f"{sheet}!{make_ref(*key)}"
    out: list[tuple[int, int, bytes]] = []
    tag = cell.tag.raw
    if key in edits.arrays or key in edits.dynamic:
        f_tag = cell.f_tag
        if f_tag is None or f_tag.attrs().get(b"t") != b"array":
            raise WorkbookError(f"{where} has no array formula")
        if key in edits.arrays:
            new_f = set_attr(f_tag.raw, b"ref", edits.arrays[key].encode("ascii"))
            if new_f != f_tag.raw:
                out.append((f_tag.start, f_tag.end, new_f))
        if key in edits.dynamic:
            tag = set_attr(tag, b"cm", cm)
    payload = edits.values.get(key)
    body: bytes | None = None
    if payload is not None:
        tag = set_attr(tag, b"t", payload.t)
        v_el = (b"<" + qualified(prefix, b"v") + b">" + payload.v + b"</" + qualified(prefix, b"v")
                + b">") if payload.v is not None else b""
        if cell.tag.empty:
            if v_el:
                body = v_el
        else:
            if b"v" in cell.children:
                s, e = cell.children[b"v"]
                out.append((s, e, v_el))
            elif v_el:
                at = cell.children[b"f"][1] if b"f" in cell.children else cell.tag.end
                out.append((at, at, v_el))
            if b"is" in cell.children and payload.t != b"inlineStr":
                s, e = cell.children[b"is"]
                out.append((s, e, b""))
    if body is not None:
        closing = b"</" + qualified(cell.tag.prefix, b"c") + b">"
        out.append((cell.tag.start, cell.tag.end, opening_tag(tag) + body + closing))
    elif tag != cell.tag.raw:
        out.append((cell.tag.start, cell.tag.end, tag))
    return out


def _new_cell(row: int, col: int, payload: _Payload, prefix: bytes) -> bytes:
    c, v = qualified(prefix, b"c"), qualified(prefix, b"v")
    t = b' t="' + payload.t + b'"' if payload.t is not None else b""
    ref = make_ref(row, col).encode("ascii")
    return (b"<" + c + b' r="' + ref + b'"' + t + b"><" + v + b">" + payload.v + b"</" + v
            + b"></" + c + b">")


def _widen_spans(raw: bytes, cols: list[int]) -> bytes:
    spans = attrs_of(raw).get(b"spans")
    if not spans:
        return raw
    try:
        bounds = [int(x) for part in spans.split() for x in part.split(b":")]
    except ValueError:
        return raw
    low, high = min(bounds + cols), max(bounds + cols)
    if low >= min(bounds) and high <= max(bounds):
        return raw
    return set_attr(raw, b"spans", f"{low}:{high}".encode("ascii"))


def edit_sheet(data: bytes, name: str, sheet: str, edits: SheetEdits,
                cm: bytes | None) -> bytes:
    toks = _tokenize_sheet(data, name)
    prefix = toks.prefix
    out: list[tuple[int, int, bytes]] = []
    existing = {(c.row, c.col): c for r in toks.rows for c in r.cells}
    for key in set(edits.arrays) | edits.dynamic:
        if key not in existing:
            raise WorkbookError(f"{sheet}!{make_ref(*key)} has no array formula")
    for key, cell in existing.items():
        if key in edits.values or key in edits.arrays or key in edits.dynamic:
            out.extend(_edit_cell(cell, edits, cm, sheet, prefix))

    new_cells: dict[int, list[tuple[int, _Payload]]] = {}
    for (r, c), payload in sorted(edits.values.items()):
        if (r, c) not in existing and payload.v is not None:
            new_cells.setdefault(r, []).append((c, payload))
    if not new_cells:
        return apply_edits(data, out)

    rows = {row.row: row for row in toks.rows}
    numbers = [row.row for row in toks.rows]
    new_rows: dict[int, list[bytes]] = {}  # insertion offset -> row elements
    for r, items in new_cells.items():
        texts = [(c, _new_cell(r, c, p, prefix)) for c, p in items]
        row = rows.get(r)
        if row is None:
            # Rows are in ascending order; only the next row's own number can be implied.
            index = bisect.bisect_right(numbers, r)
            following = toks.rows[index] if index < len(toks.rows) else None
            if following is not None and not following.explicit:
                raise WorkbookError(f"{sheet}: cannot insert row {r} before a row without r")
            at = following.match.start() if following is not None else toks.close_start
            row_q = qualified(prefix, b"row")
            element = (b"<" + row_q + b' r="' + str(r).encode() + b'">'
                       + b"".join(t for _, t in texts) + b"</" + row_q + b">")
            new_rows.setdefault(at, []).append(element)
            continue
        row_tag = _widen_spans(row.tag.raw, [c for c, _ in items])
        if row.tag.empty:
            row_q = qualified(row.tag.prefix, b"row")
            out.append((row.tag.start, row.tag.end, opening_tag(row_tag)
                        + b"".join(t for _, t in texts) + b"</" + row_q + b">"))
            continue
        if row_tag != row.tag.raw:
            out.append((row.tag.start, row.tag.end, row_tag))
        groups: dict[int, list[bytes]] = {}
        for c, text in texts:
            following = next((x for x in row.cells if x.col > c), None)
            if following is not None and not following.explicit:
                raise WorkbookError(f"{sheet}: cannot insert a cell before a cell without r")
            at = following.match.start() if following is not None else row.close_start
            groups.setdefault(at, []).append(text)
        out.extend((at, at, b"".join(texts_at)) for at, texts_at in groups.items())

    if new_rows:
        if toks.open_tag.empty:
            sd = qualified(prefix, b"sheetData")
            body = b"".join(b"".join(v) for _, v in sorted(new_rows.items()))
            out.append((toks.open_tag.start, toks.open_tag.end,
                        opening_tag(toks.open_tag.raw) + body + b"</" + sd + b">"))
        else:
            out.extend((at, at, b"".join(v)) for at, v in new_rows.items())

    if toks.dimension is not None:
        out.extend(_dimension_edit(toks.dimension, [
            (r, c) for r, items in new_cells.items() for c, _ in items]))
    return apply_edits(data, out)


def _dimension_edit(tag: Tag, cells: list[tuple[int, int]]) -> list[tuple[int, int, bytes]]:
    ref = tag.attrs().get(b"ref", b"")
    rows = [r for r, _ in cells]
    cols = [c for _, c in cells]
    try:
        r1, c1, r2, c2 = parse_range(ref.decode("ascii"))
        rows += [r1, r2]
        cols += [c1, c2]
    except ValueError:
        pass  # a missing or odd dimension is replaced by the new cells' extent
    new = make_range(min(rows), min(cols), max(rows), max(cols)).encode("ascii")
    if new == ref:
        return []
    return [(tag.start, tag.end, set_attr(tag.raw, b"ref", new))]
