"""Hardened XML parsing of package parts: no DTD, no entities, bounded tokens.

Small parts are parsed whole with defusedxml (:func:`parse_tree`); worksheets and shared
strings stream through an expat parser set up the same way (:func:`stream_parse`), after a
count of their tags in the raw bytes has refused an oversized sheet (:func:`prescan`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from xml.etree.ElementTree import Element, ParseError
from xml.parsers import expat

from defusedxml.common import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring as _defused_fromstring

from xlmodel.errors import WorkbookError
from xlmodel.workbook.limits import MiB, one_line


def parse_tree(data: bytes, name: str) -> Element:
    try:
        return _defused_fromstring(data, forbid_dtd=True)
    except DTDForbidden:
        raise WorkbookError(f"part {name} declares a DTD, which is not allowed") from None
    except (EntitiesForbidden, ExternalReferenceForbidden):
        raise WorkbookError(f"part {name} declares entities, which is not allowed") from None
    except ParseError as exc:
        raise WorkbookError(f"part {name} is not well-formed XML ({one_line(exc)})") from None


def _forbid_dtd(name: str, sysid: str | None, pubid: str | None, has_internal: int) -> None:
    raise DTDForbidden(name, sysid, pubid)


def _forbid_entity(name: str, *args: object) -> None:
    raise EntitiesForbidden(name, None, None, None, None, None)


def _forbid_unparsed(name: str, base: object, sysid: str, pubid: str, notation: str) -> None:
    raise EntitiesForbidden(name, None, base, sysid, pubid, notation)


def _forbid_external(context: str, base: str | None, sysid: str, pubid: str | None) -> None:
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


def hardened_parser() -> expat.XMLParserType:
    """An expat parser set up as defusedxml sets up its own: no DTD, no entities."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _forbid_dtd
    parser.EntityDeclHandler = _forbid_entity
    parser.UnparsedEntityDeclHandler = _forbid_unparsed
    parser.ExternalEntityRefHandler = _forbid_external
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    return parser


#: Longest run of bytes without a "<" or without a ">" in a streamed part [B]. The longest
#: legitimate ones are a cell's text (32,767 characters, under 200 KB even with every
#: character escaped) and a formula (8,192 characters). expat 2.5 rescans an unfinished
#: token from its start at every chunk, so an unbounded token makes parsing quadratic; and
#: one tag of millions of attributes would become one dictionary of millions of entries.
_MAX_TOKEN = 1 * MiB


def stream_parse(pkg, name: str, handler: object, chunks: Iterable[bytes]) -> None:
    # pkg: the workbook.package.Package the part comes from (it reports the errors)
    parser = hardened_parser()
    if hasattr(handler, "start"):
        parser.StartElementHandler = handler.start
    if hasattr(handler, "end"):
        parser.EndElementHandler = handler.end
    if hasattr(handler, "data"):
        parser.CharacterDataHandler = handler.data
    try:
        # bytes since the last "<" and since the last ">": a run without either is one
        # tag, or one text, being read
        since = {b"<": 0, b">": 0}
        for chunk in chunks:
            for mark in since:
                first = chunk.find(mark)
                if first < 0:
                    since[mark] += len(chunk)
                else:
                    since[mark] += first
                    if since[mark] <= _MAX_TOKEN:
                        since[mark] = len(chunk) - chunk.rfind(mark) - 1
                if since[mark] > _MAX_TOKEN:
                    pkg.fail(f"part {name} has an XML token (a tag or a text) longer than "
                             f"{_MAX_TOKEN >> 20} MiB")
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except DTDForbidden:
        pkg.fail(f"part {name} declares a DTD, which is not allowed")
    except (EntitiesForbidden, ExternalReferenceForbidden):
        pkg.fail(f"part {name} declares entities, which is not allowed")
    except expat.ExpatError as exc:
        pkg.fail(f"part {name} is not well-formed XML ({one_line(exc)})")


# Counting tags in the raw bytes costs a fraction of parsing them, so an oversized sheet
# is refused before the parser (about 2.5 us a cell here) ever sees it.
_PRESCAN_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.\-]{0,31}:)?(c|row)[\s/>]")
_PRESCAN_TAIL = 48


def _starts(buf: bytes) -> int:
    """Start tags (and other markup) begun in ``buf``: a ``<`` not followed by ``/``; a ``<``
    at the very end waits for the next chunk, which may begin with ``/``."""
    return buf.count(b"<") - buf.count(b"</") - buf.endswith(b"<")


def prescan(pkg, name: str, max_cells: int, max_rows: int, max_elements: int,
            chunks: Iterable[bytes] | None = None) -> None:
    """Refuse a part whose raw bytes hold more cells, rows or elements than allowed
    (``chunks``: the part's bytes, when the caller has them already)."""
    cells = rows = starts = 0
    tail = b""
    for chunk in pkg.chunks(name) if chunks is None else chunks:
        buf = tail + chunk
        found = _PRESCAN_TAG_RE.findall(buf)
        old = _PRESCAN_TAG_RE.findall(tail) if tail else []
        cells += found.count(b"c") - old.count(b"c")
        rows += found.count(b"row") - old.count(b"row")
        starts += _starts(buf) - _starts(tail)
        if cells > max_cells:
            pkg.fail(f"too many cells: more than {max_cells} in {name}")
        if rows > max_rows:
            pkg.fail(f"too many rows: more than {max_rows} in {name}")
        if starts > max_elements:
            pkg.fail(f"too many XML elements: more than {max_elements} in {name}")
        tail = buf[-_PRESCAN_TAIL:]


def surely_within(data: bytes, max_cells: int, max_rows: int, max_elements: int) -> bool:
    """True when plain byte counts show that :func:`prescan` would pass on ``data``: every
    tag it counts as a cell holds ``<c`` or ``:c``, every row ``row``, and its element count
    is this one (a margin covers the edges of its chunks)."""
    margin = 64
    return (data.count(b"<c") + data.count(b":c") <= max_cells - margin
            and data.count(b"row") <= max_rows - margin
            and data.count(b"<") - data.count(b"</") <= max_elements - margin)
