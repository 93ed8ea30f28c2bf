"""The fast path for a worksheet's cells: one regular-expression scan of ``<sheetData>``
instead of a Python call for every XML element.

It is an optimisation of the streaming reader (:mod:`xlmodel.workbook.reader`), never a
second reader with rules of its own:

- The whole part first goes through the hardened expat parser with no handlers (no DTD, no
  entities, well-formed, every token bounded, every inflated byte counted). That costs a
  twentieth of a parse with handlers.
- Everything outside ``<sheetData>`` goes to the streaming reader's own handler, through
  the same parser, in document order.
- Inside ``<sheetData>``, each row and cell must be one of the plain shapes spreadsheet
  programs write: ``<row ...>``, ``<c ...>`` holding an optional ``<f>``, an optional
  ``<v>`` and an optional inline string of one ``<t>``. The scan updates the handler's state
  as the handler itself would, and computes each cell with the handler's own methods
  (every formula that is not a plain one, every value that is not a plain number).

Anything else (a comment, CDATA, a rich-text run, a namespace declaration, a carriage
return, an encoding other than UTF-8, a cell the handler would refuse or a limit it would
enforce) declines: the caller then reads the part with the streaming reader from the start,
which gives its own result or its own error. So a part this path reads gives exactly what
the streaming reader gives (``tests/test_sheet_scan.py`` compares the two on every
workbook of the test corpora and on crafted variants).
"""

from __future__ import annotations

import math
import re

from xlmodel.errors import WorkbookError
from xlmodel.formula.cellrefs import MAX_COL, MAX_ROW, cell_position, make_ref
from xlmodel.workbook.data import Cell
from xlmodel.workbook.limits import CHUNK
from xlmodel.workbook.structure import NS_MAIN
from xlmodel.workbook.xmlparse import hardened_parser, stream_parse

#: Largest part [B] read this way: the part is held whole in memory, as bytes and as text.
MAX_PART = 32 << 20

_SHEET_DATA = NS_MAIN + "}sheetData"
_HEAD_RE = re.compile(rb"<sheetData[ \t\n]*>")
_DECLARATION_RE = re.compile(rb"<\?xml[^>]*?encoding[ \t\n]*=[ \t\n]*[\"']([A-Za-z0-9._-]+)")

_S = r"[ \t\n]"
_ATTRS = (r"((?:" + _S + r"++[\w:.\-]++" + _S + r"*+=" + _S
          + r"*+(?:\"[^\"<&\t\n\r]*+\"|'[^'<&\t\n\r]*+'))*+)" + _S + r"*+")
#: A number as the file format writes it (the reader's _NUMBER_RE without the spaces).
_NUMBER = r"[+-]?+(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)(?:[eE][+-]?+[0-9]++)?+"
# One token of <sheetData>: a cell, a row's start or end, or white space. Possessive
# quantifiers throughout, so that no input makes the scan backtrack. The groups:
#   1-2 the column letters and row of a cell's r attribute, when it comes first
#   3 the cell's (other) attributes, 4 the <f>'s attributes, 5 its text
#   6 the <v> element, 7 its text when a plain number, 8 its text otherwise
#   9 the inline string, 10 its text, 11 a row's attributes, 12 "/" of an empty row
_TOKEN_RE = re.compile(
    r"<c(?:" + _S + r"++r=\"([A-Z]{1,3})([1-9][0-9]{0,6})\")?+" + _ATTRS + r"(?:/>|>"
    r"(?:" + _S + r"*+<f" + _ATTRS + r"(?:/>|>([^<]*+)</f" + _S + r"*+>))?+"
    r"(" + _S + r"*+<v" + _S + r"*+(?:/>|>(?:(" + _NUMBER + r")(?=<)|([^<]*+))</v" + _S
    + r"*+>))?+"
    r"(" + _S + r"*+<is" + _S + r"*+>" + _S + r"*+<t(?:" + _S + r"++xml:space" + _S
    + r"*+=" + _S + r"*+(?:\"preserve\"|'preserve'))?+" + _S + r"*+(?:/>|>([^<]*+)</t"
    + _S + r"*+>)" + _S + r"*+</is" + _S + r"*+>)?+"
    + _S + r"*+</c" + _S + r"*+>)"
    r"|<row" + _ATTRS + r"(/?)>"
    r"|</row" + _S + r"*+>"
    r"|" + _S + r"++"
)
_ATTR_RE = re.compile(_S + r"++([\w:.\-]++)" + _S + r"*+=" + _S + r"*+(?:\"([^\"]*+)\"|'([^']*+)')")
_ENTITY_RE = re.compile(r"&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|(lt|gt|amp|quot|apos));")
MAX_TAIL = 4 << 20  # bytes after the rows; past it the part is streamed
_MAX_CHAR_REFS = 64  # in one text; past it the part is streamed (a call each is slow)
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


class _Decline(Exception):
    """The part is not of the plain shape: the streaming reader reads it."""


def _entity(m: re.Match) -> str:
    hexa, dec, name = m.groups()
    if name:
        return _NAMED[name]
    return chr(int(hexa, 16) if hexa else int(dec))


def _text(raw: str) -> str:
    # what expat delivers for the text: the five entities and character references
    # replaced (the vetted part has no other "&"); the named ones without a call each
    if "&" not in raw:
        return raw
    if "&#" in raw:
        if raw.count("&#") > _MAX_CHAR_REFS:
            raise _Decline  # dense character references: expat reads them faster
        return _ENTITY_RE.sub(_entity, raw)
    return raw.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace(
        "&apos;", "'").replace("&amp;", "&")


def _attributes(raw: str) -> dict[str, str]:
    return {name: dq or sq for name, dq, sq in _ATTR_RE.findall(raw)}


def read_plain_sheet(pkg, name: str, make_handler, before=None):
    """The sheet's handler (:class:`xlmodel.workbook.reader._SheetHandler`), filled as the
    streaming reader would fill it; None where the part is not of the plain shape, or
    anything about it fails (the caller then streams it, for its own result or error).

    ``before(data)``, when given, runs on the part's bytes before they are parsed (the
    byte prescan of an oversized sheet: its error is the streaming reader's first one too).
    """
    info = pkg.info(name)
    if info is None or info.file_size > MAX_PART:
        return None
    elements, array_cells = pkg.elements, pkg.array_cells
    try:
        held = [b"".join(pkg.chunks(name))]  # (inflating enforces every zip limit)
    except Exception:  # noqa: BLE001
        # a limit, a corrupt stream or a bad CRC: the streaming reader, which may meet a
        # corrupt cell before the end of the part, gives its own first error
        return None
    if before is not None:
        before(held[0])
    try:
        # vets the whole part, no handlers (in the chunks the token bound is counted over)
        data = held[0]
        stream_parse(pkg, name, object(),
                     (data[i:i + CHUNK] for i in range(0, max(len(data), 1), CHUNK)))
        del data
        handler = make_handler()
        _scan(held, handler)
        return handler
    except (_Decline, WorkbookError):
        # (a limit or a corrupt cell: the streaming reader, from the start, reports it)
        pkg.elements, pkg.array_cells = elements, array_cells
        return None


def _utf8(data: bytes) -> bool:
    if data.startswith((b"\xfe\xff", b"\xff\xfe", b"\x00", b"<\x00")):
        return False  # UTF-16 or UTF-32
    head = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if not head.startswith(b"<?xml"):
        return True
    m = _DECLARATION_RE.match(head[:head.find(b"?>") + 2])
    return m is None or m.group(1).lower() in (b"utf-8", b"utf8")


def _scan(held: list[bytes], handler) -> None:
    """Fill ``handler`` from the part's bytes (``held``, emptied: the part is held once)."""
    data = held.pop()
    head = _HEAD_RE.search(data)
    if head is None or not _utf8(data):
        raise _Decline
    parser = hardened_parser()
    seen = []

    def start(tag, attrs):
        seen.append((tag, parser.CurrentByteIndex))
        handler.start(tag, attrs)

    parser.StartElementHandler = start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.data
    try:
        parser.Parse(data[:head.end()], False)
        # the match is the start tag of a real sheetData element of the main namespace,
        # and not text inside a comment, a CDATA section or a processing instruction
        if not seen or seen[-1] != (_SHEET_DATA, head.start()):
            raise _Decline
        parser.StartElementHandler = handler.start
        # only the rows are decoded; the tail is parsed from its own bytes
        body_end = data.find(b"</sheetData", head.end())
        if body_end < 0 or len(data) - body_end > MAX_TAIL:
            raise _Decline  # (a large tail streams with less memory)
        with memoryview(data) as view:
            text = str(view[head.end():body_end], "utf-8")
        tail = data[body_end:]
        del data
        _scan_rows(text, handler)
        del text
        parser.Parse(tail, True)
    except _Decline:
        raise
    except Exception as exc:  # noqa: BLE001 - the streaming reader gives the error
        raise _Decline from exc


def _hold(h, groups) -> None:
    """Give handler ``h`` a cell's formula, value and inline string, as it holds them after
    streaming the cell (``groups``: the cell's match of the token pattern)."""
    _, _, _, f_attrs, f_text, v_el, v_number, v_text, is_el, t_text, _, _ = groups
    h.f_attrs = None if f_attrs is None else _attributes(f_attrs)
    h.f_text = None if f_attrs is None else _text(f_text or "")
    h.v_text = None if v_el is None else _text(v_number or v_text or "")
    h.inline = None if is_el is None else [_text(t_text or "")]


def _scan_rows(text: str, h) -> None:
    """Read the rows and cells of ``text``, the body of ``<sheetData>``, into handler ``h``."""
    end = len(text)
    if text.find("\r") >= 0 or text.find("xmlns") >= 0:
        raise _Decline  # a line ending to normalise, or a namespace declared
    if h.cell is not None or h.text is not None or h.inline is not None or h.phonetic:
        raise _Decline  # sheetData inside a cell (the part's head is not the usual one)
    pkg = h.pkg
    # every element of a plain body is "<x ...>" with "</x>", or "<x/>"
    elements = pkg.elements + text.count("<", 0, end) - text.count("</", 0, end)
    if elements > pkg.max_elements:
        raise _Decline
    budget, max_rows = h.cell_budget, h.max_rows
    count, rows, row, col, row_given = h.count, h.rows, h.row, h.col, h.row_given
    positions, row_numbers, cells = h.positions, h.row_numbers, h.cells
    sheet, finish, number = h.sheet, h._finish_cell, h.number_re.fullmatch
    columns: dict[str, int] = {}
    kinds: dict[str, str | None | bool] = {}  # other attributes -> the type, False: others
    inf, isfinite, position_of = math.inf, math.isfinite, cell_position
    pos, last = 0, None
    for m in _TOKEN_RE.finditer(text, 0, end):
        if m.start() != pos:
            break
        pos = m.end()
        (letters, digits, c_attrs, f_attrs, f_text, v_el, v_number, v_text, is_el, t_text,
         r_attrs, _) = m.groups()
        if c_attrs is not None:  # a cell
            last = m
            count += 1
            if count > budget:
                raise _Decline
            kind = kinds.get(c_attrs, False) if letters else False
            if kind is False and letters and c_attrs not in kinds and len(kinds) < 512:
                given = _attributes(c_attrs)
                kind = kinds[c_attrs] = given.get("t") if given.keys() <= {"s", "t"} else False
            if kind is not False:  # r="B7" first, then at most a style and a type
                c = columns.get(letters)
                if c is None:
                    c = columns[letters] = position_of(letters + "1")[1]
                r = int(digits)
                if r > MAX_ROW:
                    raise _Decline
                ref = letters + digits
                attrs = None
            else:
                attrs = _attributes(c_attrs)
                if letters:
                    attrs["r"] = letters + digits
                kind = attrs.get("t")
                ref = attrs.get("r")
                if ref:
                    r, c, ref = position_of(ref)  # (a ValueError declines)
                else:
                    r, c = row, col + 1
                    if not 1 <= c <= MAX_COL or r < 1:
                        raise _Decline
                    ref = make_ref(r, c)
            if row_given and r != row:
                raise _Decline
            position = r * 16_385 + c
            if position in positions:
                raise _Decline
            positions.add(position)
            col = c
            if attrs is None and not f_attrs and is_el is None and (kind is None or kind == "n"):
                # the common cell: a plain formula or none, a number or none
                if f_text:
                    formula = _text(f_text)
                else:
                    formula = None
                if v_number is not None:
                    value = float(v_number)
                    if not isfinite(value):
                        raise _Decline
                elif v_text and v_text.strip():
                    v = _text(v_text)
                    value = float(v) if number(v) else inf
                    if not isfinite(value):
                        raise _Decline
                else:
                    value = None
                if formula is not None or value is not None:
                    cells[ref] = Cell(sheet, ref, r, c, formula, value)
                continue
            if attrs is None:
                attrs = {"r": ref} if kind is None else {"r": ref, "t": kind}
            h.cell = (r, c, ref, attrs)
            _hold(h, m.groups())
            finish()
            h.cell = None
        elif r_attrs is not None:  # a row
            rows += 1
            if rows > max_rows:
                raise _Decline
            given = _attributes(r_attrs).get("r") if r_attrs else None
            row_given = bool(given)
            row = int(given) if given else row + 1  # (a ValueError declines)
            if not 1 <= row <= MAX_ROW or row in row_numbers:
                raise _Decline
            row_numbers.add(row)
            col = 0
        # (a </row> or white space between tags: nothing to do)
    if pos != end:
        raise _Decline  # another shape
    pkg.elements = elements
    h.count, h.rows, h.row, h.col, h.row_given = count, rows, row, col, row_given
    if last is not None:
        # what the streaming handler still holds of the last cell (the part's tail reads it)
        _hold(h, last.groups())


__all__ = ["MAX_PART", "read_plain_sheet"]
