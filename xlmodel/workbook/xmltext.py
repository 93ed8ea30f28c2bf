"""XML text surgery: find tags by byte offset, edit attributes and splice elements, so
that only the targeted spans of a part change. Also the relationship and content-type
edits the writers make."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from xlmodel.errors import WorkbookError
from xlmodel.workbook.package import Package
from xlmodel.workbook.xmlparse import stream_parse

MARKUP_RE = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<![^>]*>"
    rb"|<(?P<close>/?)(?P<name>[^\s/>!?]+)"
    rb"(?P<attrs>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(?P<empty>/?)>",
    re.S,
)
_ATTR_RE = re.compile(rb"\s+([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_TAG_END_RE = re.compile(rb"\s*/?>\Z")


@dataclass
class Tag:
    start: int
    end: int
    closing: bool
    prefix: bytes
    local: bytes
    empty: bool
    raw: bytes

    def attrs(self) -> dict[bytes, bytes]:
        return attrs_of(self.raw)


def iter_tags(data: bytes, start: int = 0, end: int | None = None) -> Iterator[Tag]:
    """Yield the element tags of ``data`` in order, skipping comments, CDATA and PIs."""
    end = len(data) if end is None else end
    for m in MARKUP_RE.finditer(data, start, end):
        name = m.group("name")
        if name is None:
            continue
        prefix, _, local = name.rpartition(b":")
        yield Tag(m.start(), m.end(), bool(m.group("close")), prefix, local,
                   bool(m.group("empty")), m.group(0))


def attrs_of(raw: bytes) -> dict[bytes, bytes]:
    # The tag name holds no white space, so every match is a whole attribute.
    return {a.group(1): _xml_unescape(a.group(2) if a.group(2) is not None else a.group(3))
            for a in _ATTR_RE.finditer(raw)}


def _xml_unescape(value: bytes) -> bytes:
    if b"&" not in value:
        return value
    text = value.decode("utf-8")
    text = re.sub(r"&#x([0-9A-Fa-f]+);", lambda m: chr(int(m.group(1), 16)), text)
    text = re.sub(r"&#([0-9]+);", lambda m: chr(int(m.group(1))), text)
    for ent, ch in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'")):
        text = text.replace(ent, ch)
    return text.replace("&amp;", "&").encode("utf-8")


def xml_escape(text: str, *, attribute: bool = False) -> bytes:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attribute:
        text = text.replace('"', "&quot;")
    return text.encode("utf-8")


def set_attr(raw: bytes, name: bytes, value: bytes | None) -> bytes:
    """Return start tag ``raw`` with attribute ``name`` set to ``value`` (None removes it)."""
    m = MARKUP_RE.fullmatch(raw)
    if m is None or m.group("name") is None:
        raise WorkbookError(f"cannot edit tag {raw[:60]!r}")
    body_start = m.start("attrs")
    body = m.group("attrs") or b""
    for a in _ATTR_RE.finditer(body):
        if a.group(1) == name:
            s, e = body_start + a.start(), body_start + a.end()
            if value is not None and a.group(2) == value:
                return raw
            if value is None:
                return raw[:s] + raw[e:]
            return raw[:s] + b" " + name + b'="' + value + b'"' + raw[e:]
    if value is None:
        return raw
    insert = body_start + len(body)
    return raw[:insert] + b" " + name + b'="' + value + b'"' + raw[insert:]


def opening_tag(raw: bytes) -> bytes:
    """Turn a self-closing tag ``<x .../>`` into an opening tag ``<x ...>``."""
    return _TAG_END_RE.sub(b">", raw)


def qualified(prefix: bytes, local: bytes) -> bytes:
    return prefix + b":" + local if prefix else local


def apply_edits(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    if not edits:
        return data
    # Stable sort: insertions at the same offset keep the order they were planned in.
    edits = sorted(edits, key=lambda e: (e[0], e[1]))
    out, pos = [], 0
    for start, end, text in edits:
        if start < pos:
            raise WorkbookError("internal error: overlapping XML edits")
        out.append(data[pos:start])
        out.append(text)
        pos = end
    out.append(data[pos:])
    return b"".join(out)


def check_utf8(data: bytes, name: str) -> None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise WorkbookError(f"part {name} is UTF-16; only UTF-8 parts can be edited")
    m = re.match(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)", data)
    if m and m.group(1).lower() not in (b"utf-8", b"utf8"):
        raise WorkbookError(f"part {name} is {m.group(1).decode()!r}; only UTF-8 can be edited")


def validate_xml(pkg: Package, name: str, data: bytes) -> None:
    """Refuse a part that is not well-formed, or that has a DTD, before editing its text."""
    check_utf8(data, name)
    stream_parse(pkg, name, object(), [data])


def root_and_children(data: bytes, name: str) -> tuple[Tag, list[Tag], int]:
    """The root tag, its child start tags and the offset of the root's closing tag."""
    root = None
    children: list[Tag] = []
    depth = 0
    for tag in iter_tags(data):
        if root is None:
            if tag.closing:
                break
            root = tag
            if tag.empty:
                return root, [], tag.end
            depth = 1
            continue
        if tag.closing:
            depth -= 1
            if depth == 0:
                return root, children, tag.start
            continue
        if depth == 1:
            children.append(tag)
        if not tag.empty:
            depth += 1
    raise WorkbookError(f"part {name} is not well-formed XML")


def insert_children(data: bytes, name: str, elements: bytes, *, first: bool = False) -> bytes:
    root, children, close_at = root_and_children(data, name)
    if root.empty:
        closing = b"</" + qualified(root.prefix, root.local) + b">"
        return data[:root.start] + opening_tag(root.raw) + elements + closing + data[root.end:]
    at = root.end if first else close_at
    return data[:at] + elements + data[at:]


def ensure_relationship(rels: bytes, name: str, rel_type: str, target: str) -> bytes:
    root, children, _ = root_and_children(rels, name)
    ids = set()
    for child in children:
        attrs = child.attrs()
        if attrs.get(b"Type") == rel_type.encode():
            return rels
        ids.add(attrs.get(b"Id", b"").decode("utf-8", "replace"))
    numbers_used = [int(i[3:]) for i in ids if re.fullmatch(r"rId[0-9]+", i)]
    n = max(numbers_used, default=0) + 1
    while f"rId{n}" in ids:
        n += 1
    element = (b"<" + qualified(root.prefix, b"Relationship") + b' Id="rId' + str(n).encode()
               + b'" Type="' + rel_type.encode() + b'" Target="'
               + xml_escape(target, attribute=True) + b'"/>')
    return insert_children(rels, name, element)


def content_types(ct: bytes) -> tuple[dict[str, tuple[Tag, str]], dict[str, tuple[Tag, str]]]:
    defaults, overrides = {}, {}
    _, children, _ = root_and_children(ct, "[Content_Types].xml")
    for child in children:
        attrs = child.attrs()
        ctype = attrs.get(b"ContentType", b"").decode("utf-8", "replace")
        if child.local == b"Default":
            defaults[attrs.get(b"Extension", b"").decode("utf-8", "replace").lower()] = (
                child, ctype)
        elif child.local == b"Override":
            part = attrs.get(b"PartName", b"").decode("utf-8", "replace")
            overrides["/" + part.lstrip("/").lower()] = (child, ctype)
    return defaults, overrides


def ensure_override(ct: bytes, part: str, ctype: str) -> bytes:
    _, overrides = content_types(ct)
    found = overrides.get("/" + part.lower())
    if found is not None:
        tag, current = found
        if current == ctype:
            return ct
        new = set_attr(tag.raw, b"ContentType", ctype.encode())
        return ct[:tag.start] + new + ct[tag.end:]
    root, _, _ = root_and_children(ct, "[Content_Types].xml")
    element = (b"<" + qualified(root.prefix, b"Override") + b' PartName="/' + part.encode()
               + b'" ContentType="' + ctype.encode() + b'"/>')
    return insert_children(ct, "[Content_Types].xml", element)
