"""The public writers: cached values, dynamic-array flags, reproducible packages, VBA.

Each is text surgery over the XML tags (:mod:`~xlmodel.workbook.xmltext`,
:mod:`~xlmodel.workbook.sheet_edit`), rezipped (:mod:`~xlmodel.workbook.zipwriter`) and
written atomically (:mod:`~xlmodel.workbook.atomic`): a workbook on disk is never left
half-written.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Mapping
from datetime import datetime

from xlmodel.errors import WorkbookError
from xlmodel.formula.cellrefs import MAX_ROW, make_range, make_ref, parse_range, parse_ref
from xlmodel.workbook.atomic import check_unchanged, require_writable
from xlmodel.workbook.data import SheetInfo
from xlmodel.workbook.limits import TREE_PART_CAP, Limits, MiB
from xlmodel.workbook.package import Package, guard, read_rels, rels_name
from xlmodel.workbook.sheet_edit import SheetEdits, cell_payload, edit_sheet
from xlmodel.workbook.structure import (
    REL_SHEET_METADATA,
    REL_VBA_PROJECT,
    Structure,
    dynamic_metadata,
    read_structure,
)
from xlmodel.workbook.xmlparse import parse_tree
from xlmodel.workbook.xmltext import (
    Tag,
    apply_edits,
    check_utf8,
    content_types,
    ensure_override,
    ensure_relationship,
    insert_children,
    iter_tags,
    opening_tag,
    qualified,
    root_and_children,
    set_attr,
    validate_xml,
    xml_escape,
)
from xlmodel.workbook.zipwriter import rezip

NS_DCTERMS = "http://purl.org/dc/terms/"
REL_CORE_PROPERTIES = (
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
)
CT_SHEET_METADATA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"
CT_VBA_PROJECT = "application/vnd.ms-office.vbaProject"
CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_MAIN_MACRO = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CT_TEMPLATE = "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml"
CT_TEMPLATE_MACRO = "application/vnd.ms-excel.template.macroEnabled.main+xml"

#: The metadata part XlsxWriter writes for ``write_dynamic_array_formula``, byte for byte:
#: one XLDAPR metadata type, one future-metadata block with fDynamic="1", and one cell
#: metadata block (``cm="1"``) pointing at it.
DYNAMIC_ARRAY_METADATA = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<metadata xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
    b'<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" '
    b'copy="1" pasteAll="1" pasteValues="1" merge="1" splitFirst="1" rowColShift="1" '
    b'clearFormats="1" clearComments="1" assign="1" coerce="1" cellMeta="1"/></metadataTypes>'
    b'<futureMetadata name="XLDAPR" count="1"><bk><extLst>'
    b'<ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
    b'<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk>'
    b'</futureMetadata><cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata>'
    b"</metadata>"
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_DEFAULT_LIMITS = Limits(2_000_000, MAX_ROW, 512 * MiB, 200.0, 256 * MiB)


def _normalize_key(key: object, what: str) -> tuple[str, tuple[int, int]]:
    try:
        sheet, ref = key
        return sheet, parse_ref(ref)
    except (TypeError, ValueError):
        raise WorkbookError(f"{what}: expected (sheet, cell reference), got {key!r}") from None


def _dynamic_plan(pkg: Package, structure: Structure, replace: dict[str, bytes],
                  append: list[tuple[str, bytes]]) -> bytes:
    """Make sure the package carries XLDAPR metadata; return the ``cm`` index to use."""
    wb_dir = posixpath.dirname(structure.workbook_part)
    part = structure.rel_part(REL_SHEET_METADATA) or posixpath.join(wb_dir, "metadata.xml")
    info = pkg.info(part)
    if info is not None:
        meta = dynamic_metadata(pkg.tree(part))
        if not meta.dynamic_cms:
            pkg.fail(f"{info.filename} has no dynamic-array entry; cannot mark spills")
        cm = str(min(meta.dynamic_cms)).encode()
        part = info.filename
    else:
        append.append((part, DYNAMIC_ARRAY_METADATA))
        cm = b"1"
    rels_part = rels_name(structure.workbook_part)
    target = posixpath.relpath(part, wb_dir or ".")
    _edit_member(pkg, replace, append, rels_part,
                 lambda d: ensure_relationship(d, rels_part, REL_SHEET_METADATA, target))
    _edit_member(pkg, replace, append, "[Content_Types].xml",
                 lambda d: ensure_override(d, part, CT_SHEET_METADATA))
    return cm


def _edit_member(pkg: Package, replace: dict[str, bytes], append: list[tuple[str, bytes]],
                 name: str, edit) -> None:
    info = pkg.info(name)
    if info is None:
        pkg.fail(f"missing part {name}")
    current = replace.get(info.filename)
    if current is None:
        current = pkg.read(info.filename, TREE_PART_CAP)
        parse_tree(current, info.filename)
        check_utf8(current, info.filename)
    new = edit(current)
    if new != current:
        replace[info.filename] = new


def write_cached_values(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    values: Mapping[tuple[str, str], object],
    arrays: Mapping[tuple[str, str], str] | None = None,
    *,
    dynamic: Iterable[tuple[str, str]] = (),
    expect: tuple | None = None,
) -> None:
    """Write cached values into a workbook's cells, changing nothing else.

    Parameters
    ----------
    src, dst : str or path-like
        Source and destination packages; they may be the same file.
    values : mapping
        ``(sheet, ref) -> value``: a float or int (no ``t``; floats written with
        ``repr`` so they round-trip), str (``t="str"``), bool (``t="b"``), ExcelError
        (``t="e"``) or None (removes ``<v>`` and ``t``). NaN and infinities become
        ``#NUM!``. A cell missing from the XML, such as a non-anchor cell of a spill, is
        inserted in column order (its row is created if needed, the row's ``spans`` and
        the sheet's ``<dimension>`` are widened).
    arrays : mapping, optional
        ``(sheet, anchor ref) -> "A1:B9"``: the new range of that anchor's array formula.
    dynamic : iterable of (sheet, ref), optional
        Anchors to mark as dynamic arrays, as :func:`mark_dynamic_arrays` does, in the
        same pass.
    expect : tuple, optional
        The :func:`fingerprint` ``src`` had when the values were computed: if ``src``
        differs from it before reading or just before the rename, nothing is written.

    Raises
    ------
    WorkbookError
        On a bad source package, an unknown sheet, an array edit on a cell without an
        array formula, or a value of an unsupported type. ``dst`` is then untouched.
    """
    src, dst = os.fspath(src), os.fspath(dst)
    with guard(src):
        require_writable(dst)
        check_unchanged(src, expect)
        with Package(src, _DEFAULT_LIMITS) as pkg:
            structure = read_structure(pkg)
            per_sheet: dict[str, SheetEdits] = {}

            def edits_for(sheet_name: str) -> tuple[SheetInfo, SheetEdits]:
                info = structure.sheet(sheet_name, pkg)
                if info.kind not in ("worksheet", "macrosheet"):
                    pkg.fail(f"sheet {info.name!r} is a {info.kind}, not a worksheet")
                return info, per_sheet.setdefault(info.part, SheetEdits())

            for key, value in values.items():
                sheet_name, rc = _normalize_key(key, "values")
                info, edits = edits_for(sheet_name)
                edits.values[rc] = cell_payload(value, f"{info.name}!{make_ref(*rc)}")
            for key, new_range in (arrays or {}).items():
                sheet_name, rc = _normalize_key(key, "arrays")
                try:
                    canonical = make_range(*parse_range(new_range))
                except ValueError:
                    raise WorkbookError(f"arrays: bad range {new_range!r}") from None
                edits_for(sheet_name)[1].arrays[rc] = canonical
            for key in dynamic:
                sheet_name, rc = _normalize_key(key, "dynamic")
                edits_for(sheet_name)[1].dynamic.add(rc)

            replace: dict[str, bytes] = {}
            append: list[tuple[str, bytes]] = []
            cm = None
            if any(e.dynamic for e in per_sheet.values()):
                cm = _dynamic_plan(pkg, structure, replace, append)
            for sheet in structure.sheets:
                edits = per_sheet.get(sheet.part)
                if edits is None or sheet.part in replace:
                    continue
                data = pkg.read(sheet.part)
                validate_xml(pkg, sheet.part, data)
                new = edit_sheet(data, sheet.part, sheet.name, edits, cm)
                if new != data:
                    replace[sheet.part] = new
            check = None if expect is None else (lambda: check_unchanged(src, expect))
            rezip(pkg, dst, replace, append, before_replace=check)


def mark_dynamic_arrays(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    anchors: Iterable[tuple[str, str]],
) -> None:
    """Flag array-formula anchors as dynamic arrays so that Excel 365 spills them.

    Adds ``cm`` to each anchor's ``<c>`` and makes sure the package has the XLDAPR
    metadata part XlsxWriter writes (``xl/metadata.xml``), its workbook relationship and
    its content type. Running it twice gives the same bytes. Each anchor must already
    carry ``<f t="array">``.
    """
    write_cached_values(src, dst, {}, dynamic=anchors)


def _timestamp(text: str) -> tuple[datetime, tuple[int, ...]]:
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError):
        raise WorkbookError(
            f"timestamp must look like 2026-01-01T00:00:00Z, got {text!r}") from None
    if not 1980 <= moment.year <= 2107:
        raise WorkbookError(f"timestamp year must be within 1980..2107, got {moment.year}")
    return moment, (moment.year, moment.month, moment.day, moment.hour, moment.minute,
                    moment.second - moment.second % 2)


def _pin_core(data: bytes, stamp: bytes) -> bytes:
    root, _, _ = root_and_children(data, "docProps/core.xml")
    prefixes = {b"" if k == b"xmlns" else k[6:] for k, v in root.attrs().items()
                if k.startswith(b"xmlns") and v == NS_DCTERMS.encode()}
    edits: list[tuple[int, int, bytes]] = []
    opened: Tag | None = None
    for tag in iter_tags(data):
        if tag.prefix not in prefixes or tag.local not in (b"created", b"modified"):
            continue
        if tag.closing and opened is not None:
            edits.append((opened.end, tag.start, stamp))
            opened = None
        elif tag.empty:
            closing = b"</" + qualified(tag.prefix, tag.local) + b">"
            edits.append((tag.start, tag.end, opening_tag(tag.raw) + stamp + closing))
        elif not tag.closing:
            opened = tag
    return apply_edits(data, edits)


def pin_package(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    timestamp: str = "2026-01-01T00:00:00Z",
) -> None:
    """Make a package reproducible: fixed creation/modification times and member stamps.

    Rewrites the text of ``dcterms:created`` and ``dcterms:modified`` in the core
    properties (when present) and gives every zip member the same timestamp, so that two
    builds of the same workbook are byte-identical. Compressed member data is copied
    unchanged.
    """
    src, dst = os.fspath(src), os.fspath(dst)
    _, date_time = _timestamp(timestamp)
    with guard(src):
        with Package(src, _DEFAULT_LIMITS) as pkg:
            replace: dict[str, bytes] = {}
            core = None
            for rel in read_rels(pkg, "").values():
                if rel.type == REL_CORE_PROPERTIES and rel.part:
                    core = rel.part
            core_info = pkg.info(core or "docProps/core.xml")
            if core_info is not None:
                data = pkg.read(core_info.filename, TREE_PART_CAP)
                parse_tree(data, core_info.filename)
                check_utf8(data, core_info.filename)
                new = _pin_core(data, timestamp.encode("ascii"))
                if new != data:
                    replace[core_info.filename] = new
            rezip(pkg, dst, replace, [], date_time=date_time)


def _add_codename(workbook: bytes, name: str, codename: str) -> bytes:
    root, children, _ = root_and_children(workbook, name)
    for child in children:
        if child.local == b"workbookPr":
            if b"codeName" in child.attrs():
                return workbook
            new = set_attr(child.raw, b"codeName", xml_escape(codename, attribute=True))
            return workbook[:child.start] + new + workbook[child.end:]
    # workbookPr comes after fileVersion and fileSharing when those are present.
    at = root.end
    for child in children:
        if child.local in (b"fileVersion", b"fileSharing"):
            at = _element_end(workbook, child)
    element = (b"<" + qualified(root.prefix, b"workbookPr") + b' codeName="'
               + xml_escape(codename, attribute=True) + b'"/>')
    return workbook[:at] + element + workbook[at:]


def _element_end(data: bytes, tag: Tag) -> int:
    if tag.empty:
        return tag.end
    depth = 0
    for t in iter_tags(data, tag.start):
        if t.closing:
            depth -= 1
            if depth == 0:
                return t.end
        elif not t.empty:
            depth += 1
    raise WorkbookError("unclosed element")


def inject_vba(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    vba_bin: bytes,
    *,
    workbook_codename: str | None = "ThisWorkbook",
) -> None:
    """Turn an .xlsx package into an .xlsm by adding a VBA project.

    Adds (or replaces) ``xl/vbaProject.bin``, its workbook relationship and its content
    type (the ``bin`` Default, or an Override when ``bin`` already means something else),
    and switches the workbook part to the macro-enabled content type. Like XlsxWriter, it
    also gives the workbook the VBA code name ``ThisWorkbook`` unless it has one or
    ``workbook_codename`` is None.
    """
    src, dst = os.fspath(src), os.fspath(dst)
    if not isinstance(vba_bin, (bytes, bytearray)) or not bytes(vba_bin).startswith(_OLE_MAGIC):
        raise WorkbookError("vba_bin is not a vbaProject.bin (no OLE compound-file signature)")
    with guard(src):
        with Package(src, _DEFAULT_LIMITS) as pkg:
            structure = read_structure(pkg)
            wb_part = structure.workbook_part
            wb_dir = posixpath.dirname(wb_part)
            replace: dict[str, bytes] = {}
            append: list[tuple[str, bytes]] = []
            part = structure.rel_part(REL_VBA_PROJECT) or posixpath.join(wb_dir, "vbaProject.bin")
            info = pkg.info(part)
            if info is not None:
                part = info.filename
                replace[part] = bytes(vba_bin)
            else:
                append.append((part, bytes(vba_bin)))
            rels_part = rels_name(wb_part)
            target = posixpath.relpath(part, wb_dir or ".")
            _edit_member(pkg, replace, append, rels_part,
                         lambda d: ensure_relationship(d, rels_part, REL_VBA_PROJECT, target))
            _edit_member(pkg, replace, append, "[Content_Types].xml",
                         lambda d: _vba_content_types(d, part, wb_part))
            if workbook_codename:
                _edit_member(pkg, replace, append, wb_part,
                             lambda d: _add_codename(d, wb_part, workbook_codename))
            rezip(pkg, dst, replace, append)


def _vba_content_types(ct: bytes, vba_part: str, wb_part: str) -> bytes:
    name = "[Content_Types].xml"
    defaults, overrides = content_types(ct)
    if "/" + vba_part.lower() not in overrides:
        current = defaults.get("bin")
        if current is None:
            root, _, _ = root_and_children(ct, name)
            element = (b"<" + qualified(root.prefix, b"Default") + b' Extension="bin" ContentType="'
                       + CT_VBA_PROJECT.encode() + b'"/>')
            ct = insert_children(ct, name, element, first=True)
        elif current[1] != CT_VBA_PROJECT:
            ct = ensure_override(ct, vba_part, CT_VBA_PROJECT)
    else:
        ct = ensure_override(ct, vba_part, CT_VBA_PROJECT)
    _, overrides = content_types(ct)
    current = overrides.get("/" + wb_part.lower())
    current_type = current[1] if current else CT_MAIN
    macro = {CT_MAIN: CT_MAIN_MACRO, CT_TEMPLATE: CT_TEMPLATE_MACRO}.get(current_type,
                                                                        current_type)
    return ensure_override(ct, wb_part, macro)
