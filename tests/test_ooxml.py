"""Tests for xlmodel.workbook and xlmodel.formula.cellrefs: safe reading, lossless writing,
dynamic arrays, VBA, determinism."""

from __future__ import annotations

import importlib.util
import io
import os
import re
import struct
import tracemalloc
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.formula.translate import Translator
from openpyxl.worksheet.formula import ArrayFormula

from xlmodel import workbook
from xlmodel.errors import ExcelError, WorkbookError
from xlmodel.formula import cellrefs
from xlmodel.workbook import reader, zipwriter

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_R = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
MAIN_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
SST_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"

# What XlsxWriter 3.x writes as xl/metadata.xml for write_dynamic_array_formula.
XLSXWRITER_METADATA = (
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


# --------------------------------------------------------------------------------------
# Fixture builders
# --------------------------------------------------------------------------------------


def make_package(
    path: Path,
    sheets: dict[str, str],
    *,
    shared_strings: str | None = None,
    workbook_extra: str = "",
    prefix: str = "",
    extra_members: dict[str, bytes] | None = None,
    skip: tuple[str, ...] = (),
) -> Path:
    """Write a minimal SpreadsheetML package by hand, sheet XML given as sheetData content."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f'xmlns:{prefix}="{NS}"' if prefix else f'xmlns="{NS}"'
    overrides = [f'<Override PartName="/xl/workbook.xml" ContentType="{MAIN_CT}"/>']
    rels = []
    sheet_tags = []
    members: dict[str, bytes] = {}
    for i, (name, body) in enumerate(sheets.items(), start=1):
        part = f"xl/worksheets/sheet{i}.xml"
        overrides.append(f'<Override PartName="/{part}" ContentType="{SHEET_CT}"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="{R}/worksheet" '
                    f'Target="worksheets/sheet{i}.xml"/>')
        sheet_tags.append(f'<{p}sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>')
        members[part] = (f'<{p}worksheet {xmlns}><{p}sheetData>{body}</{p}sheetData>'
                         f'</{p}worksheet>').encode()
    if shared_strings is not None:
        n = len(sheets) + 1
        overrides.append(f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_CT}"/>')
        rels.append(f'<Relationship Id="rId{n}" Type="{R}/sharedStrings" '
                    f'Target="sharedStrings.xml"/>')
        members["xl/sharedStrings.xml"] = f'<sst xmlns="{NS}">{shared_strings}</sst>'.encode()
    members["[Content_Types].xml"] = (
        f'<Types xmlns="{CT}"><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(overrides) + "</Types>").encode()
    members["_rels/.rels"] = (
        f'<Relationships xmlns="{PKG_R}"><Relationship Id="rId1" Type="{R}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>').encode()
    members["xl/workbook.xml"] = (
        f'<{p}workbook {xmlns} xmlns:r="{R}"><{p}sheets>{"".join(sheet_tags)}</{p}sheets>'
        f"{workbook_extra}</{p}workbook>").encode()
    members["xl/_rels/workbook.xml.rels"] = (
        f'<Relationships xmlns="{PKG_R}">{"".join(rels)}</Relationships>').encode()
    members.update(extra_members or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            if name not in skip:
                zf.writestr(name, data)
    return path


def openpyxl_book(path: Path) -> Path:
    """A workbook as the template generator makes it: inputs, formulas, an array formula."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Model"
    ws["A1"] = 2.5
    ws["A2"] = 4
    ws["A3"] = "label"
    ws["B1"] = "=A1*2"
    ws["B2"] = '=IF(A2>3,"big","small")'
    ws["B3"] = "=A2>3"
    ws["B4"] = "=1/0"
    ws["C2"] = ArrayFormula("C2:C4", "=A1:A3")
    ws["E3"] = "right"
    ws["A6"] = "below"
    other = wb.create_sheet("Other sheet")
    other["A1"] = "=Model!B1+1"
    wb.save(path)
    return path


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def raw_members(path: Path) -> list[tuple]:
    """Each member's header fields and raw (still compressed) bytes, in zip order."""
    out = []
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            at = info.header_offset
            name_len, extra_len = struct.unpack("<HH", data[at + 26:at + 30])
            start = at + 30 + name_len + extra_len
            out.append((info.filename, info.compress_type, info.date_time, info.CRC,
                        data[start:start + info.compress_size]))
    return out


def sheet_xml(path: Path, part: str = "xl/worksheets/sheet1.xml") -> str:
    return members(path)[part].decode()


def quickstart_vba() -> bytes:
    spec = importlib.util.find_spec("xlwings")
    book = Path(spec.origin).parent / "quickstart.xlsm"
    with zipfile.ZipFile(book) as zf:
        return zf.read("xl/vbaProject.bin")


# --------------------------------------------------------------------------------------
# References and formula translation
# --------------------------------------------------------------------------------------


def test_ref_helpers():
    assert cellrefs.parse_ref("AB12") == (12, 28)
    assert cellrefs.parse_ref("$a$1") == (1, 1)
    assert cellrefs.parse_ref("XFD1048576") == (1_048_576, 16_384)
    assert cellrefs.make_ref(12, 28) == "AB12"
    assert cellrefs.make_ref(1, 26 * 26 + 26) == "ZZ1"  # 702 is the last two-letter column
    assert cellrefs.make_ref(1, 703) == "AAA1"
    for bad in ("A0", "XFE1", "A1048577", "1A", "A", "", "A1:B2"):
        with pytest.raises(ValueError):
            cellrefs.parse_ref(bad)
    assert cellrefs.parse_range("A1:B3") == (1, 1, 3, 2)
    assert cellrefs.parse_range("B3:A1") == (1, 1, 3, 2)
    assert cellrefs.parse_range("C7") == (7, 3, 7, 3)
    assert cellrefs.make_range(1, 1, 3, 2) == "A1:B3"
    assert cellrefs.make_range(7, 3, 7, 3) == "C7"


@pytest.mark.parametrize(
    ("formula", "drow", "dcol", "expected"),
    [
        ("A1+$B$2+C$3+$D4", 1, 1, "B2+$B$2+D$3+$D5"),
        ("SUM(A1:B2)*Sheet2!C3", 2, 0, "SUM(A3:B4)*Sheet2!C5"),
        ("SUM(A:A,$B:C)", 0, 1, "SUM(B:B,$B:D)"),
        ("SUM(1:1,$2:3)", 2, 0, "SUM(3:3,$2:5)"),
        ("'My Sheet'!A1&\"A1\"", 1, 0, "'My Sheet'!A2&\"A1\""),
        ("LOG10(A1)+ATAN2(A1,B1)", 0, 1, "LOG10(B1)+ATAN2(B1,C1)"),
        ("Table1[[#This Row],[A1]]+Rate+R1C1+1E5", 3, 3, "Table1[[#This Row],[A1]]+Rate+R1C1+1E5"),
        ("A1#", 1, 1, "B2#"),
        ("A1", -1, 0, "#REF!"),
        ("_xlfn.XLOOKUP(A1,B1:B9,C1:C9)", 1, 0, "_xlfn.XLOOKUP(A2,B2:B10,C2:C10)"),
    ],
)
def test_translate_formula(formula, drow, dcol, expected):
    assert cellrefs.translate_formula(formula, drow, dcol) == expected


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------


def test_reads_every_value_type(tmp_path):
    sst = ("<si><t>plain</t></si>"
           "<si><r><rPr><b/></rPr><t>rich </t></r><r><t xml:space=\"preserve\">text</t></r>"
           "<rPh sb=\"0\" eb=\"1\"><t>PHONETIC</t></rPh></si>"
           "<si><t>tab_x0009_here</t></si>")
    body = (
        '<row r="1"><c r="A1"><v>1.5</v></c><c r="B1" t="n"><v>-2E-3</v></c>'
        '<c r="C1" t="s"><v>0</v></c><c r="D1" t="s"><v>1</v></c><c r="E1" t="s"><v>2</v></c></row>'
        '<row r="2"><c r="A2" t="str"><f>"x"&amp;"y"</f><v>xy</v></c>'
        '<c r="B2" t="inlineStr"><is><t>inline</t></is></c>'
        '<c r="C2" t="b"><v>1</v></c><c r="D2" t="b"><f>FALSE()</f><v>0</v></c>'
        '<c r="E2" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>'
        '<row r="3"><c r="A3"><f>A1+1</f><v></v></c><c r="B3"/><c r="C3"><f>A1</f></c>'
        '<c r="D3" t="e"><v>#BLOCKED!</v></c></row>'
    )
    path = make_package(tmp_path / "types.xlsx", {"Data": body}, shared_strings=sst)
    wb = workbook.read_workbook(path)
    got = {ref: cell.value for ref, cell in wb.cells["Data"].items()}
    assert got == {
        "A1": 1.5, "B1": -0.002, "C1": "plain", "D1": "rich text", "E1": "tab\there",
        "A2": "xy", "B2": "inline", "C2": True, "D2": False, "E2": ExcelError("#DIV/0!"),
        "A3": None, "C3": None, "D3": ExcelError("#BLOCKED!"),
    }
    assert "B3" not in wb.cells["Data"]  # a styled empty cell carries nothing
    assert type(got["A1"]) is float and type(got["C2"]) is bool
    assert wb.cell("Data", "$e$2").formula == "1/0"
    assert wb.cell("Data", "A2").formula == '"x"&"y"'
    assert wb.cell("Data", "C3").formula == "A1" and wb.cell("Data", "C3").value is None
    # openpyxl reads the same values (its errors are plain strings).
    ws = openpyxl.load_workbook(path, data_only=True)["Data"]
    assert [ws[r].value for r in ("A1", "B1", "C1", "D1", "B2", "C2", "D2", "E2")] == [
        1.5, -0.002, "plain", "rich text", "inline", True, False, "#DIV/0!"]


def test_shared_formulas_expand_like_openpyxl(tmp_path):
    master = "A1+$A$1+A$1+$A1+SUM(A1:B2)+'Other'!C3+LEN(\"A1\")+SUM(A:A)+SUM(1:1)"
    body = (
        '<row r="1"><c r="A1"><v>1</v></c></row>'
        f'<row r="2"><c r="B2"><f t="shared" ref="B2:D4" si="0">{master.replace("&", "&amp;")}'
        '</f><v>0</v></c><c r="C2"><f t="shared" si="0"/><v>0</v></c></row>'
        '<row r="3"><c r="B3"><f t="shared" si="0"/></c><c r="D3"><f t="shared" si="0"/></c></row>'
        '<row r="4"><c r="D4"><f t="shared" si="0"></f></c></row>'
    )
    path = make_package(tmp_path / "shared.xlsx", {"S": body, "Other": ""})
    wb = workbook.read_workbook(path)
    loaded = openpyxl.load_workbook(path)["S"]
    for ref in ("B2", "C2", "B3", "D3", "D4"):
        expected = Translator("=" + master, origin="B2").translate_formula(ref)
        assert "=" + wb.cell("S", ref).formula == expected
        assert loaded[ref].value == expected  # openpyxl's own reader agrees
    assert wb.cell("S", "D4").formula.startswith("C3+$A$1+C$1+$A3+SUM(C3:D4)+'Other'!E5")


def test_shared_formula_without_master_is_an_error(tmp_path):
    body = '<row r="1"><c r="A1"><f t="shared" si="4"/></c></row>'
    path = make_package(tmp_path / "orphan.xlsx", {"S": body})
    with pytest.raises(WorkbookError, match="si=4"):
        workbook.read_workbook(path)


def test_reads_prefixed_spreadsheetml(tmp_path):
    body = ('<x:row r="1"><x:c r="A1"><x:v>3</x:v></x:c>'
            '<x:c r="B1" t="str"><x:f>"t"</x:f><x:v>t</x:v></x:c></x:row>')
    path = make_package(tmp_path / "prefixed.xlsx", {"P": body}, prefix="x")
    wb = workbook.read_workbook(path)
    assert wb.value("P", "A1") == 3.0
    assert wb.cell("P", "B1").formula == '"t"'
    workbook.write_cached_values(path, tmp_path / "out.xlsx", {("P", "A1"): 4, ("P", "C1"): 1.5})
    xml = sheet_xml(tmp_path / "out.xlsx")
    assert '<x:c r="A1"><x:v>4</x:v></x:c>' in xml
    assert '<x:c r="C1"><x:v>1.5</x:v></x:c></x:row>' in xml
    assert workbook.read_workbook(tmp_path / "out.xlsx").value("P", "C1") == 1.5


def test_strict_open_xml_is_refused(tmp_path):
    path = make_package(tmp_path / "strict.xlsx", {"S": ""})
    data = members(path)
    data["xl/workbook.xml"] = data["xl/workbook.xml"].replace(
        NS.encode(), b"http://purl.oclc.org/ooxml/spreadsheetml/main")
    with zipfile.ZipFile(path, "w") as zf:
        for name, blob in data.items():
            zf.writestr(name, blob)
    with pytest.raises(WorkbookError, match="strict"):
        workbook.read_workbook(path)


def test_reads_openpyxl_book_names_and_arrays(tmp_path):
    path = openpyxl_book(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    from openpyxl.workbook.defined_name import DefinedName as OpenpyxlName
    wb.defined_names["Rate"] = OpenpyxlName("Rate", attr_text="Model!$A$1")
    wb["Other sheet"].defined_names["Local"] = OpenpyxlName("Local", attr_text="'Other sheet'!$A$1")
    wb.save(path)
    data = workbook.read_workbook(path)
    assert data.sheet_names == ("Model", "Other sheet")
    names = {n.name: n for n in data.defined_names}
    assert names["Rate"].text == "Model!$A$1" and names["Rate"].workbook_scoped
    assert names["Local"].scope == "Other sheet" and not names["Local"].workbook_scoped
    anchor = data.cell("Model", "C2")
    assert anchor.formula == "A1:A3" and anchor.array_ref == "C2:C4" and not anchor.dynamic
    assert data.cell("Model", "B1").value is None  # openpyxl writes no cached values
    assert data.cell("Other sheet", "A1").formula == "Model!B1+1"
    assert not data.has_vba
    assert [c.ref for c in data.formula_cells()] == ["B1", "B2", "C2", "B3", "B4", "A1"]


# --------------------------------------------------------------------------------------
# Writing cached values
# --------------------------------------------------------------------------------------

RESULTS = {
    ("Model", "B1"): 5.0,
    ("Model", "B2"): "big",
    ("Model", "B3"): True,
    ("Model", "B4"): ExcelError("#DIV/0!"),
    ("Model", "C2"): 2.5,
    ("Model", "C3"): 4,
    ("Model", "C4"): "label",
    ("Other sheet", "A1"): 0.1 + 0.2,
}


def test_written_values_read_back_everywhere(tmp_path):
    src = openpyxl_book(tmp_path / "book.xlsx")
    dst = tmp_path / "filled.xlsx"
    workbook.write_cached_values(src, dst, RESULTS)

    values = openpyxl.load_workbook(dst, data_only=True)
    model = values["Model"]
    assert model["B1"].value == 5.0
    assert model["B2"].value == "big"
    assert model["B3"].value is True
    assert model["B4"].value == "#DIV/0!"
    assert [model[r].value for r in ("C2", "C3", "C4")] == [2.5, 4, "label"]
    assert values["Other sheet"]["A1"].value == 0.1 + 0.2  # repr keeps every bit
    formulas = openpyxl.load_workbook(dst)["Model"]
    assert formulas["B1"].value == "=A1*2"  # formulas are still there

    frame = pd.read_excel(dst, sheet_name="Model", header=None, engine="openpyxl")
    assert frame.iloc[0, 1] == 5.0 and frame.iloc[2, 2] == 4 and frame.iloc[3, 2] == "label"
    calamine = pd.read_excel(dst, sheet_name="Other sheet", header=None, engine="calamine")
    assert calamine.iloc[0, 0] == pytest.approx(0.3)

    data = workbook.read_workbook(dst)
    for (sheet, ref), value in RESULTS.items():
        assert data.value(sheet, ref) == value


def test_only_targeted_spans_change(tmp_path):
    src = openpyxl_book(tmp_path / "book.xlsx")
    dst = tmp_path / "filled.xlsx"
    before = sheet_xml(src)
    workbook.write_cached_values(src, dst, {("Model", "B1"): 5.0, ("Model", "B2"): "big",
                                         ("Model", "B4"): ExcelError("#DIV/0!")})
    expected = (before
                .replace('<c r="B1"><f>A1*2</f><v /></c>', '<c r="B1"><f>A1*2</f><v>5.0</v></c>')
                .replace('<c r="B2"><f>IF(A2&gt;3,"big","small")</f><v /></c>',
                         '<c r="B2" t="str"><f>IF(A2&gt;3,"big","small")</f><v>big</v></c>')
                .replace('<c r="B4"><f>1/0</f><v /></c>',
                         '<c r="B4" t="e"><f>1/0</f><v>#DIV/0!</v></c>'))
    assert expected != before
    assert sheet_xml(dst) == expected
    old, new = raw_members(src), raw_members(dst)
    assert [m[0] for m in old] == [m[0] for m in new]
    for a, b in zip(old, new, strict=True):
        if a[0] == "xl/worksheets/sheet1.xml":
            assert a[1:3] == b[1:3]  # same method and timestamp
            assert a[4] != b[4]
        else:
            assert a == b  # header fields and compressed bytes identical


class Unseekable(io.RawIOBase):
    """A write-only stream: zipfile then writes data descriptors after each member."""

    def __init__(self, sink):
        self.sink = sink

    def writable(self):
        return True

    def write(self, data):
        return self.sink.write(data)

    def seekable(self):
        return False

    def tell(self):
        raise OSError("not seekable")


def test_descriptors_and_stored_members_survive(tmp_path):
    plain = make_package(tmp_path / "plain.xlsx",
                         {"S": '<row r="1"><c r="A1"><f>1+1</f><v/></c></row>'})
    src = tmp_path / "streamed.xlsx"
    with zipfile.ZipFile(plain) as zin, open(src, "wb") as sink, \
            zipfile.ZipFile(Unseekable(sink), "w") as zout:
        for i, info in enumerate(zin.infolist()):
            method = zipfile.ZIP_STORED if i % 2 else zipfile.ZIP_DEFLATED
            zout.writestr(info.filename, zin.read(info), compress_type=method)
    with zipfile.ZipFile(src) as zf:
        assert all(info.flag_bits & 0x08 for info in zf.infolist())
    dst = tmp_path / "out.xlsx"
    workbook.write_cached_values(src, dst, {("S", "A1"): 2})
    with zipfile.ZipFile(dst) as zf:
        assert zf.testzip() is None
    old, new = raw_members(src), raw_members(dst)
    for a, b in zip(old, new, strict=True):
        assert a[1] == b[1]  # compression method kept, stored stays stored
        if a[0] != "xl/worksheets/sheet1.xml":
            assert a == b
    assert workbook.read_workbook(dst).value("S", "A1") == 2.0
    assert openpyxl.load_workbook(dst, data_only=True)["S"]["A1"].value == 2


def test_none_removes_value_and_type(tmp_path):
    src = openpyxl_book(tmp_path / "book.xlsx")
    mid, dst = tmp_path / "mid.xlsx", tmp_path / "dst.xlsx"
    workbook.write_cached_values(src, mid, RESULTS)
    workbook.write_cached_values(mid, dst, {("Model", "B2"): None})
    assert '<c r="B2"><f>IF(A2&gt;3,"big","small")</f></c>' in sheet_xml(dst)
    assert workbook.read_workbook(dst).value("Model", "B2") is None


def test_value_conversions_round_trip(tmp_path):
    body = ('<row r="1"><c r="A1" t="inlineStr"><is><t>old</t></is></c>'
            '<c r="B1" t="s"><v>0</v></c></row>')
    src = make_package(tmp_path / "conv.xlsx", {"S": body}, shared_strings="<si><t>s</t></si>")
    values = {
        ("S", "A1"): np.float64(2.0),
        ("S", "B1"): np.int64(-3),
        ("S", "C1"): np.bool_(False),
        ("S", "D1"): float("nan"),
        ("S", "E1"): -float("inf"),
        ("S", "F1"): "ctrl\x01 and _x0041_ & <tag>",
        ("S", "G1"): 10**20,
        ("S", "H1"): 1e-300,
    }
    dst = tmp_path / "out.xlsx"
    workbook.write_cached_values(src, dst, values)
    xml = sheet_xml(dst)
    assert '<c r="A1"><v>2.0</v></c><c r="B1"><v>-3</v></c>' in xml  # <is> and t gone
    assert "<v>ctrl_x0001_ and _x005F_x0041_ &amp; &lt;tag&gt;</v>" in xml
    data = workbook.read_workbook(dst)
    assert [data.value("S", f"{c}1") for c in "ABCDEFGH"] == [
        2.0, -3.0, False, ExcelError("#NUM!"), ExcelError("#NUM!"),
        "ctrl\x01 and _x0041_ & <tag>", 1e20, 1e-300]
    ws = openpyxl.load_workbook(dst, data_only=True)["S"]
    assert [ws[f"{c}1"].value for c in "ABCDGH"] == [2.0, -3, False, "#NUM!", 1e20, 1e-300]


def test_spill_cells_are_inserted_in_order(tmp_path):
    body = (
        '<row r="1" spans="1:2"><c r="A1"><v>1</v></c>'
        '<c r="B1" cm="1"><f t="array" ref="B1:B2">SEQUENCE(2)</f><v>1</v></c></row>'
        '<row r="2" spans="1:3"><c r="A2"><v>2</v></c><c r="C2"><v>7</v></c></row>'
        '<row r="4"/><row r="7"><c r="A7" t="n"/></row>'
    )
    src = make_package(tmp_path / "spill.xlsx", {"S": body}, extra_members={})
    data = members(src)
    data["xl/worksheets/sheet1.xml"] = data["xl/worksheets/sheet1.xml"].replace(
        b"<sheetData>", b'<dimension ref="A1:C7"/><sheetData>')
    with zipfile.ZipFile(src, "w") as zf:
        for name, blob in data.items():
            zf.writestr(name, blob)
    dst = tmp_path / "spilled.xlsx"
    values = {("S", f"B{r}"): float(r) for r in range(1, 7)}
    values.update({("S", "D2"): 9.0, ("S", "A7"): "x", ("S", "E9"): 1, ("S", "F20"): None})
    workbook.write_cached_values(src, dst, values, arrays={("S", "B1"): "B1:B6"})

    root = ET.fromstring(members(dst)["xl/worksheets/sheet1.xml"])
    rows = root.findall(f"{{{NS}}}sheetData/{{{NS}}}row")
    layout = {int(r.get("r")): [c.get("r") for c in r] for r in rows}
    assert list(layout) == sorted(layout) == [1, 2, 3, 4, 5, 6, 7, 9]
    assert layout[2] == ["A2", "B2", "C2", "D2"]
    assert layout[4] == ["B4"] and layout[9] == ["E9"]
    assert [r.get("spans") for r in rows[:2]] == ["1:2", "1:4"]  # widened to column D
    assert root.find(f"{{{NS}}}dimension").get("ref") == "A1:E9"
    anchor = root.find(f"{{{NS}}}sheetData/{{{NS}}}row/{{{NS}}}c[@r='B1']/{{{NS}}}f")
    assert anchor.get("ref") == "B1:B6"

    ws = openpyxl.load_workbook(dst, data_only=True)["S"]
    assert [ws.cell(r, 2).value for r in range(1, 7)] == [1, 2, 3, 4, 5, 6]
    assert ws["D2"].value == 9 and ws["A7"].value == "x" and ws["E9"].value == 1
    assert ws["C2"].value == 7  # an untouched neighbour
    assert workbook.read_workbook(dst).cell("S", "B1").array_ref == "B1:B6"


@pytest.mark.parametrize("self_closing", [False, True])
def test_write_into_an_empty_sheet(tmp_path, self_closing):
    wb = openpyxl.Workbook()
    wb.active.title = "Empty"
    src = tmp_path / "empty.xlsx"
    wb.save(src)
    assert "<sheetData></sheetData>" in sheet_xml(src)
    if self_closing:
        data = members(src)
        data["xl/worksheets/sheet1.xml"] = data["xl/worksheets/sheet1.xml"].replace(
            b"<sheetData></sheetData>", b"<sheetData/>")
        with zipfile.ZipFile(src, "w") as zf:
            for name, blob in data.items():
                zf.writestr(name, blob)
    dst = tmp_path / "out.xlsx"
    workbook.write_cached_values(src, dst, {("Empty", "B2"): 3, ("Empty", "A5"): "z"})
    assert '<row r="2"><c r="B2"><v>3</v></c></row><row r="5">' in sheet_xml(dst)
    ws = openpyxl.load_workbook(dst, data_only=True)["Empty"]
    assert ws["B2"].value == 3 and ws["A5"].value == "z"


def test_array_edit_needs_an_array_formula(tmp_path):
    src = openpyxl_book(tmp_path / "book.xlsx")
    with pytest.raises(WorkbookError, match="no array formula"):
        workbook.write_cached_values(src, tmp_path / "x.xlsx", {},
                                     arrays={("Model", "B1"): "B1:B3"})
    with pytest.raises(WorkbookError, match="no sheet named"):
        workbook.write_cached_values(src, tmp_path / "x.xlsx", {("Nope", "A1"): 1})
    assert not (tmp_path / "x.xlsx").exists()


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_bad_value_leaves_destination_untouched(tmp_path):
    src = openpyxl_book(tmp_path / "book.xlsx")
    dst = tmp_path / "dst.xlsx"
    dst.write_bytes(b"previous content")
    with pytest.raises(WorkbookError, match="cannot write a value of type dict"):
        workbook.write_cached_values(src, dst, {("Model", "B1"): 1.0, ("Model", "B2"): {"a": 1}})
    assert dst.read_bytes() == b"previous content"
    assert leftovers(tmp_path, {"book.xlsx", "dst.xlsx"}) == []


def test_failure_mid_write_leaves_destination_untouched(tmp_path, monkeypatch):
    src = openpyxl_book(tmp_path / "book.xlsx")
    dst = tmp_path / "dst.xlsx"
    dst.write_bytes(b"previous content")
    original = zipwriter.ZipWriter.copy_verbatim
    calls = []

    def failing_copy(self, source, info):
        calls.append(info.filename)
        if len(calls) == 3:
            assert self.pos > 0  # part of the new package is already on disk
            raise OSError(28, "No space left on device")
        return original(self, source, info)

    monkeypatch.setattr(zipwriter.ZipWriter, "copy_verbatim", failing_copy)
    with pytest.raises(WorkbookError, match="No space left"):
        workbook.write_cached_values(src, dst, RESULTS)
    assert len(calls) == 3
    assert dst.read_bytes() == b"previous content"
    assert leftovers(tmp_path, {"book.xlsx", "dst.xlsx"}) == []


def test_in_place_and_deterministic(tmp_path):
    src = openpyxl_book(tmp_path / "book.xlsx")
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for out in (a, b):
        workbook.write_cached_values(src, out, RESULTS, dynamic=[("Model", "C2")])
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        assert zf.getinfo("xl/metadata.xml").date_time == (1980, 1, 1, 0, 0, 0)
        assert zf.testzip() is None
    inplace = tmp_path / "inplace.xlsx"
    inplace.write_bytes(src.read_bytes())
    workbook.write_cached_values(inplace, inplace, RESULTS, dynamic=[("Model", "C2")])
    assert inplace.read_bytes() == a.read_bytes()
    assert leftovers(tmp_path, {"book.xlsx", "a.xlsx", "b.xlsx", "inplace.xlsx"}) == []


# --------------------------------------------------------------------------------------
# Dynamic arrays, pinning, VBA
# --------------------------------------------------------------------------------------


def test_mark_dynamic_arrays(tmp_path):
    src = openpyxl_book(tmp_path / "book.xlsx")
    once, twice = tmp_path / "once.xlsx", tmp_path / "twice.xlsx"
    workbook.mark_dynamic_arrays(src, once, [("Model", "C2")])
    workbook.mark_dynamic_arrays(once, twice, [("Model", "C2")])
    assert once.read_bytes() == twice.read_bytes()  # idempotent

    parts = members(once)
    assert parts["xl/metadata.xml"] == XLSXWRITER_METADATA
    rels = ET.fromstring(parts["xl/_rels/workbook.xml.rels"])
    meta_rels = [r for r in rels if r.get("Type").endswith("/sheetMetadata")]
    assert [r.get("Target") for r in meta_rels] == ["metadata.xml"]
    assert len({r.get("Id") for r in rels}) == len(rels)
    types = ET.fromstring(parts["[Content_Types].xml"])
    override = [t.get("ContentType") for t in types if t.get("PartName") == "/xl/metadata.xml"]
    assert override == [
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"]
    assert '<c r="C2" cm="1"><f t="array" ref="C2:C4">A1:A3</f>' in sheet_xml(once)

    data = workbook.read_workbook(once)
    assert data.cell("Model", "C2").dynamic
    assert not data.cell("Model", "B1").dynamic
    assert openpyxl.load_workbook(once)["Model"]["C2"].value.ref == "C2:C4"


def test_cm_without_dynamic_metadata_is_not_dynamic(tmp_path):
    body = '<row r="1"><c r="A1" cm="1"><f t="array" ref="A1:A2">B1:B2</f><v>1</v></c></row>'
    path = make_package(tmp_path / "cm.xlsx", {"S": body})
    assert not workbook.read_workbook(path).cell("S", "A1").dynamic


def test_mark_dynamic_requires_an_array_formula(tmp_path):
    src = openpyxl_book(tmp_path / "book.xlsx")
    with pytest.raises(WorkbookError, match="no array formula"):
        workbook.mark_dynamic_arrays(src, tmp_path / "x.xlsx", [("Model", "B1")])


def test_pin_package_makes_builds_identical(tmp_path):
    first = openpyxl_book(tmp_path / "first.xlsx")
    # A second build of the same workbook at another time: other stamps, other core times.
    second = tmp_path / "second.xlsx"
    with zipfile.ZipFile(first) as zin, zipfile.ZipFile(second, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
                              rb"\g<1>2031-05-06T07:08:09Z", data)
            clone = zipfile.ZipInfo(info.filename, date_time=(2031, 5, 6, 7, 8, 10))
            clone.compress_type = info.compress_type
            clone.external_attr = info.external_attr
            zout.writestr(clone, data)
    assert b"2031-05-06T07:08:09Z" in members(second)["docProps/core.xml"]
    assert first.read_bytes() != second.read_bytes()
    pinned = [tmp_path / "p1.xlsx", tmp_path / "p2.xlsx"]
    workbook.pin_package(first, pinned[0])
    workbook.pin_package(second, pinned[1], timestamp="2026-01-01T00:00:00Z")
    assert pinned[0].read_bytes() == pinned[1].read_bytes()
    core = members(pinned[0])["docProps/core.xml"].decode()
    assert ">2026-01-01T00:00:00Z</dcterms:created>" in core
    assert ">2026-01-01T00:00:00Z</dcterms:modified>" in core
    with zipfile.ZipFile(pinned[0]) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2026, 1, 1, 0, 0, 0)}
    assert members(pinned[0]).keys() == members(first).keys()
    assert openpyxl.load_workbook(pinned[0])["Model"]["B1"].value == "=A1*2"
    assert openpyxl.load_workbook(pinned[1]).properties.created.year == 2026
    with pytest.raises(WorkbookError, match="timestamp"):
        workbook.pin_package(first, tmp_path / "bad.xlsx", timestamp="yesterday")


def test_inject_vba(tmp_path):
    vba = quickstart_vba()
    src = openpyxl_book(tmp_path / "book.xlsx")
    dst = tmp_path / "book.xlsm"
    workbook.inject_vba(src, dst, vba)
    parts = members(dst)
    assert parts["xl/vbaProject.bin"] == vba
    types = ET.fromstring(parts["[Content_Types].xml"])
    by_ext = {t.get("Extension"): t.get("ContentType") for t in types if t.get("Extension")}
    by_part = {t.get("PartName"): t.get("ContentType") for t in types if t.get("PartName")}
    assert by_ext["bin"] == "application/vnd.ms-office.vbaProject"
    assert by_part["/xl/workbook.xml"] == "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    rels = ET.fromstring(parts["xl/_rels/workbook.xml.rels"])
    assert [r.get("Target") for r in rels if r.get("Type").endswith("/vbaProject")] == [
        "vbaProject.bin"]
    assert 'codeName="ThisWorkbook"' in parts["xl/workbook.xml"].decode()
    assert workbook.read_workbook(dst).has_vba

    wb = openpyxl.load_workbook(dst, keep_vba=True)
    assert wb.vba_archive.read("xl/vbaProject.bin") == vba
    assert wb["Model"]["B1"].value == "=A1*2"
    resaved = tmp_path / "resaved.xlsm"
    wb.save(resaved)
    assert members(resaved)["xl/vbaProject.bin"] == vba
    wb.vba_archive.close()

    again = tmp_path / "again.xlsm"
    workbook.inject_vba(dst, again, vba)
    assert again.read_bytes() == dst.read_bytes()
    with pytest.raises(WorkbookError, match="vbaProject"):
        workbook.inject_vba(src, tmp_path / "bad.xlsm", b"not ole")


def test_inject_vba_when_bin_means_printer_settings(tmp_path):
    printer = "application/vnd.openxmlformats-officedocument.spreadsheetml.printerSettings"
    src = make_package(tmp_path / "p.xlsx", {"S": '<row r="1"><c r="A1"><v>1</v></c></row>'},
                       workbook_extra="")
    data = members(src)
    data["[Content_Types].xml"] = data["[Content_Types].xml"].replace(
        b"<Default Extension=\"xml\"",
        f'<Default Extension="bin" ContentType="{printer}"/><Default Extension="xml"'.encode())
    with zipfile.ZipFile(src, "w") as zf:
        for name, blob in data.items():
            zf.writestr(name, blob)
    dst = tmp_path / "p.xlsm"
    workbook.inject_vba(src, dst, quickstart_vba())
    types = ET.fromstring(members(dst)["[Content_Types].xml"])
    by_ext = {t.get("Extension"): t.get("ContentType") for t in types if t.get("Extension")}
    by_part = {t.get("PartName"): t.get("ContentType") for t in types if t.get("PartName")}
    assert by_ext["bin"] == printer
    assert by_part["/xl/vbaProject.bin"] == "application/vnd.ms-office.vbaProject"
    # No workbookPr before: it is created right after the root tag, before <sheets>.
    assert b'<workbookPr codeName="ThisWorkbook"/><sheets>' in members(dst)["xl/workbook.xml"]
    kept = openpyxl.load_workbook(dst, keep_vba=True).vba_archive
    assert kept.read("xl/vbaProject.bin") == quickstart_vba()
    kept.close()


# --------------------------------------------------------------------------------------
# Hostile files
# --------------------------------------------------------------------------------------


def refuses(path: Path, match: str, **limits) -> str:
    with pytest.raises(WorkbookError, match=match) as caught:
        workbook.read_workbook(path, **limits)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_not_a_zip_and_truncated_zip(tmp_path):
    text = tmp_path / "text.xlsx"
    text.write_text("just text")
    refuses(text, "not a zip")
    refuses(tmp_path / "absent.xlsx", "no such file")
    good = openpyxl_book(tmp_path / "book.xlsx").read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good[: len(good) // 2])
    refuses(cut, "zip")


def test_corrupt_member_data(tmp_path):
    path = openpyxl_book(tmp_path / "book.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/workbook.xml")
    at = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(at + 5, at + 25):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    refuses(path, "corrupt|not well-formed|zip")


def write_streamed_member(zf: zipfile.ZipFile, name: str, chunks, level: int = 1) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = level
    with zf.open(info, "w", force_zip64=True) as out:
        for chunk in chunks:
            out.write(chunk)


def test_zip_bomb_by_declared_size(tmp_path):
    path = make_package(tmp_path / "bomb.xlsx", {"S": ""}, skip=("xl/worksheets/sheet1.xml",))
    zeros = bytes(1 << 20)
    with zipfile.ZipFile(path, "a") as zf:
        write_streamed_member(zf, "xl/worksheets/sheet1.xml", (zeros for _ in range(1024)), 9)
    assert path.stat().st_size < 5 << 20  # 1 GiB of zeros in a few MB
    refuses(path, "zip bomb")


def patch_declared_size(path: Path, name: str, size: int) -> None:
    """Make the local and central headers of member ``name`` claim ``size`` bytes."""
    data = bytearray(path.read_bytes())
    eocd = data.rindex(b"PK\x05\x06")
    count, _, cd_offset = struct.unpack_from("<HLL", data, eocd + 10)
    at = cd_offset
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, at + 28)
        if data[at + 46:at + 46 + name_len] == name.encode():
            struct.pack_into("<L", data, at + 24, size)
            local = struct.unpack_from("<L", data, at + 42)[0]
            struct.pack_into("<L", data, local + 22, size)
        at += 46 + name_len + extra_len + comment_len
    path.write_bytes(bytes(data))


def test_zip_bomb_with_a_lying_header(tmp_path):
    """The headers say 2 MiB; the deflate stream inflates to 100 MiB."""
    path = tmp_path / "liar.xlsx"
    make_package(path, {"S": ""}, skip=("xl/worksheets/sheet1.xml",))
    head = f'<worksheet xmlns="{NS}"><sheetData>'.encode()
    with zipfile.ZipFile(path, "a") as zf:
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w") as out:
            out.write(head)
            for _ in range(100):
                out.write(b" " * (1 << 20))
    lie = 2 << 20
    patch_declared_size(path, "xl/worksheets/sheet1.xml", lie)
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size == lie
    tracemalloc.start()
    try:
        refuses(path, "zip|declared|inflates|CRC|corrupt")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    '<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
)


def test_billion_laughs_in_workbook_and_sheet(tmp_path):
    path = make_package(tmp_path / "wb.xlsx", {"S": ""})
    data = members(path)
    data["xl/workbook.xml"] = BILLION_LAUGHS.encode() + data["xl/workbook.xml"].replace(
        b"<sheets>", b"<sheets>&lol9;", 1)
    with zipfile.ZipFile(path, "w") as zf:
        for name, blob in data.items():
            zf.writestr(name, blob)
    refuses(path, "DTD")

    sheet = tmp_path / "sheet.xlsx"
    make_package(sheet, {"S": '<row r="1"><c r="A1" t="str"><v>&lol9;</v></c></row>'})
    data = members(sheet)
    data["xl/worksheets/sheet1.xml"] = BILLION_LAUGHS.encode() + data["xl/worksheets/sheet1.xml"]
    with zipfile.ZipFile(sheet, "w") as zf:
        for name, blob in data.items():
            zf.writestr(name, blob)
    refuses(sheet, "DTD")
    with pytest.raises(WorkbookError, match="DTD"):
        workbook.write_cached_values(sheet, tmp_path / "out.xlsx", {("S", "A1"): 1})


def test_too_many_members_is_refused_before_indexing(tmp_path):
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(60_000):  # past 65,535 entries would need zip64; this needs none
            zf.writestr(zipfile.ZipInfo(f"part{i}.xml"), b"")
    refuses(path, "more than 50000 zip members")


def test_missing_parts(tmp_path):
    no_sheet = make_package(tmp_path / "nosheet.xlsx", {"Gone": ""},
                            skip=("xl/worksheets/sheet1.xml",))
    message = refuses(no_sheet, "missing part")
    assert "Gone" in message
    no_book = make_package(tmp_path / "nobook.xlsx", {"S": ""}, skip=("xl/workbook.xml",))
    refuses(no_book, "workbook")


def bad_ref_package(tmp_path):
    return make_package(tmp_path / "ref.xlsx", {"S": '<row r="1"><c r="XFE1"><v>1</v></c></row>'})


def test_cell_outside_the_grid(tmp_path):
    refuses(bad_ref_package(tmp_path), "bad cell reference")


def million_row_package(path: Path, rows: int = 1_000_000, cells_per_row: int = 3) -> Path:
    make_package(path, {"S": ""}, skip=("xl/worksheets/sheet1.xml",))

    def chunks():
        yield f'<worksheet xmlns="{NS}"><sheetData>'.encode()
        letters = "ABCDEFGH"[:cells_per_row]
        for start in range(1, rows + 1, 20_000):
            yield "".join(
                f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>{r}</v></c>' for c in letters)
                + "</row>"
                for r in range(start, min(start + 20_000, rows + 1))
            ).encode()
        yield b"</sheetData></worksheet>"

    with zipfile.ZipFile(path, "a") as zf:
        write_streamed_member(zf, "xl/worksheets/sheet1.xml", chunks())
    return path


@pytest.fixture(scope="module")
def million_rows(tmp_path_factory):
    return million_row_package(tmp_path_factory.mktemp("big") / "million.xlsx")


def test_million_row_sheet_fails_fast_under_default_limits(million_rows):
    message = refuses(million_rows, "too many cells")
    assert "2000000" in message


def test_million_row_sheet_with_low_limits_is_refused_in_little_memory(million_rows):
    tracemalloc.start()
    try:
        refuses(million_rows, "too many cells", max_cells=10_000)
        refuses(million_rows, "too many rows", max_rows=50_000, max_cells=10_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20


def test_streaming_parser_enforces_limits_without_the_prescan(tmp_path, monkeypatch):
    """The byte prescan is a shortcut; the streaming parser enforces the same limits."""
    body = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 201))
    path = make_package(tmp_path / "small.xlsx", {"S": body})
    refuses(path, "too many cells", max_cells=150)
    monkeypatch.setattr(reader, "prescan", lambda *args: None)
    message = refuses(path, "too many cells", max_cells=150)
    assert "more than 150" in message
    refuses(path, "too many rows", max_rows=120)
    assert len(workbook.read_workbook(path, max_cells=200).cells["S"]) == 200


def test_write_refuses_hostile_source(tmp_path):
    text = tmp_path / "text.xlsx"
    text.write_text("nope")
    dst = tmp_path / "dst.xlsx"
    for call in (lambda: workbook.write_cached_values(text, dst, {}),
                 lambda: workbook.pin_package(text, dst),
                 lambda: workbook.inject_vba(text, dst, quickstart_vba()),
                 lambda: workbook.mark_dynamic_arrays(text, dst, [])):
        with pytest.raises(WorkbookError, match="not a zip"):
            call()
    assert not dst.exists()
    assert os.listdir(tmp_path) == ["text.xlsx"]
