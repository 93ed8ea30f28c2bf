"""A workbook's structure: its main part, sheets, defined names and cell metadata.

Also the SpreadsheetML namespaces and relationship types the reader and the writers share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from xlmodel.errors import WorkbookError
from xlmodel.workbook.data import DefinedName, SheetInfo
from xlmodel.workbook.package import Package, Rel, local_name, read_rels

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
NS_XDA = "http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships/"
REL_OFFICE_DOCUMENT = _REL + "officeDocument"
REL_SHARED_STRINGS = _REL + "sharedStrings"
REL_SHEET_METADATA = _REL + "sheetMetadata"
REL_VBA_PROJECT = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
_SHEET_KINDS = {
    _REL + "worksheet": "worksheet",
    _REL + "chartsheet": "chartsheet",
    _REL + "dialogsheet": "dialogsheet",
    "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet": "macrosheet",
}


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _workbook_part(pkg: Package) -> str:
    for required in ("[Content_Types].xml", "_rels/.rels"):
        if pkg.info(required) is None:  # every Open XML package has both
            pkg.fail(f"not an Office Open XML package: missing part {required}")
    for rel in read_rels(pkg, "").values():
        if rel.type == _STRICT_REL + "officeDocument":
            pkg.fail("strict Open XML workbooks are not supported; save as 'Excel Workbook'")
        if rel.type == REL_OFFICE_DOCUMENT and rel.part:
            if pkg.info(rel.part) is None:
                pkg.fail(f"missing workbook part {rel.part}")
            return pkg.info(rel.part).filename
    if pkg.info("xl/workbook.xml") is not None:
        return pkg.info("xl/workbook.xml").filename
    pkg.fail("missing workbook part (no xl/workbook.xml); is this an Excel workbook?")
    raise AssertionError  # unreachable


@dataclass
class Structure:
    workbook_part: str
    workbook_rels: dict[str, Rel]
    sheets: list[SheetInfo]
    root: Element = field(repr=False)

    def rel_part(self, rel_type: str) -> str | None:
        for rel in self.workbook_rels.values():
            if rel.type == rel_type and rel.part:
                return rel.part
        return None

    def sheet(self, name: str, pkg: Package) -> SheetInfo:
        for info in self.sheets:
            if info.name == name:
                return info
        for info in self.sheets:
            if info.name.lower() == name.lower():
                return info
        pkg.fail(f"no sheet named {name!r}")
        raise AssertionError  # unreachable


def read_structure(pkg: Package) -> Structure:
    part = _workbook_part(pkg)
    root = pkg.tree(part)
    ns = _ns(root.tag)
    if ns == NS_STRICT:
        pkg.fail("strict Open XML workbooks are not supported; save as 'Excel Workbook'")
    if ns != NS_MAIN or local_name(root.tag) != "workbook":
        pkg.fail(f"{part} is not a SpreadsheetML workbook")
    rels = read_rels(pkg, part)
    sheets: list[SheetInfo] = []
    sheets_el = root.find(f"{{{NS_MAIN}}}sheets")
    rid_attr = f"{{{_REL[:-1]}}}id"
    seen: set[str] = set()
    for el in [] if sheets_el is None else sheets_el:
        if local_name(el.tag) != "sheet":
            continue
        name, rid = el.get("name"), el.get(rid_attr)
        if not name:
            pkg.fail("a sheet in workbook.xml has no name")
        rel = rels.get(rid or "")
        if rel is None or rel.part is None:
            pkg.fail(f"sheet {name!r} has no relationship to its part")
        if pkg.info(rel.part) is None:
            pkg.fail(f"sheet {name!r}: missing part {rel.part}")
        if name.upper() in seen:
            pkg.fail(f"two sheets are named {name!r} (Excel's sheet names are unique)")
        kind = _SHEET_KINDS.get(rel.type, "other")
        state = el.get("state", "visible")
        seen.add(name.upper())
        sheets.append(SheetInfo(name, pkg.info(rel.part).filename, kind, state))
    if not sheets:
        pkg.fail("the workbook lists no sheets")
    return Structure(part, rels, sheets, root)


def read_defined_names(root: Element, sheets: list[SheetInfo]) -> tuple[DefinedName, ...]:
    out = []
    container = root.find(f"{{{NS_MAIN}}}definedNames")
    for el in [] if container is None else container:
        if local_name(el.tag) != "definedName" or not el.get("name"):
            continue
        scope = None
        local_id = el.get("localSheetId")
        if local_id is not None:
            try:
                scope = sheets[int(local_id)].name
            except (ValueError, IndexError):
                raise WorkbookError(
                    f"defined name {el.get('name')!r} has a bad localSheetId {local_id!r}"
                ) from None
        hidden = el.get("hidden", "0").lower() in ("1", "true")
        out.append(DefinedName(el.get("name"), el.text or "", scope, hidden))
    return tuple(out)


@dataclass(frozen=True)
class _MetadataInfo:
    dynamic_cms: frozenset[int]  # 1-based cell-metadata indexes that mean "dynamic array"
    any_cm_dynamic: bool  # fallback when the part cannot be followed index by index


def dynamic_metadata(root: Element) -> _MetadataInfo:
    main = f"{{{NS_MAIN}}}"
    types_el = root.find(main + "metadataTypes")
    types = [] if types_el is None else [el.get("name") for el in types_el]
    if "XLDAPR" not in types:
        return _MetadataInfo(frozenset(), False)
    future: list[bool] = []
    for fm in root.findall(main + "futureMetadata"):
        if fm.get("name") == "XLDAPR":
            for bk in fm.findall(main + "bk"):
                props = bk.find(f".//{{{NS_XDA}}}dynamicArrayProperties")
                flag = "0" if props is None else props.get("fDynamic", "0")
                future.append(flag.lower() in ("1", "true"))
    cells_el = root.find(main + "cellMetadata")
    if cells_el is None:
        return _MetadataInfo(frozenset(), True)
    dynamic = set()
    try:
        for index, bk in enumerate(cells_el.findall(main + "bk"), start=1):
            rc = bk.find(main + "rc")
            if rc is None:
                continue
            type_index, value_index = int(rc.get("t", "0")), int(rc.get("v", "-1"))
            if 1 <= type_index <= len(types) and types[type_index - 1] == "XLDAPR":
                if 0 <= value_index < len(future) and future[value_index]:
                    dynamic.add(index)
    except ValueError:
        return _MetadataInfo(frozenset(), True)
    return _MetadataInfo(frozenset(dynamic), False)


def metadata_info(pkg: Package, structure: Structure) -> _MetadataInfo:
    part = structure.rel_part(REL_SHEET_METADATA)
    if part is None or pkg.info(part) is None:
        return _MetadataInfo(frozenset(), False)
    return dynamic_metadata(pkg.tree(part))
