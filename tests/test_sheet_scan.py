"""The fast path for worksheets (xlmodel/workbook/sheet_scan.py) gives exactly what the
streaming reader gives: the same cells, names and sheets, or the same one-line error.

Each workbook is read twice, with ``reader.FAST_SHEETS`` on and off, and the two results
are compared whole. The crafted sheets also say whether the fast path must have read them
(a plain shape) or declined them (another shape): a test of equality alone would pass if
the fast path never ran.
"""

from __future__ import annotations

import random
import re
import zipfile
from pathlib import Path

import pytest

from tests.hostile_corpus import CASES, NS, mutate, package
from xlmodel.errors import WorkbookError
from xlmodel.workbook import reader, sheet_scan

ROOT = Path(__file__).resolve().parents[1]
EXCEL_SAVED = ROOT.parent / "shared" / "data" / "excel-saved"
TEMPLATES = sorted((ROOT / "workbooks").glob("*.xls[xm]"))


def _read(path: Path, fast: bool, monkeypatch, **limits):
    monkeypatch.setattr(reader, "FAST_SHEETS", fast)
    try:
        data = reader.read_workbook(path, **limits)
    except WorkbookError as exc:
        return ("error", str(exc))
    return ("data", data.sheets, data.cells, data.defined_names, data.has_vba)


def _same_both_ways(path: Path, monkeypatch, **limits):
    streamed = _read(path, False, monkeypatch, **limits)
    fast = _read(path, True, monkeypatch, **limits)
    assert fast == streamed
    return streamed


def _fast_path_used(path: Path, monkeypatch, **limits) -> list[bool]:
    """For each sheet read: did the fast path read it (True) or decline it (False)?"""
    used = []
    original = sheet_scan.read_plain_sheet

    def spy(*args):
        handler = original(*args)
        used.append(handler is not None)
        return handler

    monkeypatch.setattr(reader, "read_plain_sheet", spy)
    _read(path, True, monkeypatch, **limits)
    monkeypatch.setattr(reader, "read_plain_sheet", original)
    return used


# --- corpora ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(EXCEL_SAVED.glob("*.xlsx")) + TEMPLATES,
                         ids=lambda p: p.name)
def test_excel_saved_and_template_workbooks_read_the_same(path, monkeypatch):
    result = _same_both_ways(path, monkeypatch)
    assert result[0] == "data"


def test_the_fast_path_reads_excel_saved_sheets(monkeypatch):
    # Excel's own sheets are the plain shape (row spans, x14ac attributes, styles, shared
    # formulas, types): most of them must take the fast path, or it buys nothing
    paths = sorted(EXCEL_SAVED.glob("*.xlsx"))
    used = [u for p in paths for u in _fast_path_used(p, monkeypatch)]
    assert len(used) >= len(paths)
    assert sum(used) >= 0.9 * len(used)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_cases_read_the_same(name, tmp_path, monkeypatch):
    path = tmp_path / "case.xlsx"
    try:
        CASES[name].build(path)
    except Exception:  # noqa: BLE001 - a case that builds nothing has nothing to read
        pytest.skip("the case builds no file")
    _same_both_ways(path, monkeypatch)
    _same_both_ways(path, monkeypatch, max_cells=50, max_rows=20)


@pytest.mark.parametrize("seed", range(60))
def test_mutated_templates_read_the_same(seed, tmp_path, monkeypatch):
    path = tmp_path / "mutated.xlsx"
    mutate(TEMPLATES[seed % len(TEMPLATES)], path, seed)
    _same_both_ways(path, monkeypatch)


# --- crafted sheets ---------------------------------------------------------------------------

PLAIN = {
    "bare": '<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f>A1*2</f><v>2</v></c></row>',
    "spaces and new lines": '\n  <row r="1" >\n    <c r="A1" ><f >A1+1</f >\n <v >1.5</v >'
                            "\n    </c >\n  </row >\n",
    "single quotes": "<row r='1'><c r='A1' t='str'><f>\"a\"&amp;\"b\"</f><v>ab</v></c></row>",
    "entities": '<row r="1"><c r="A1" t="str"><f>IF(B1&lt;&gt;0,"&quot;x&apos;","")</f>'
                "<v>&#34;x&#x27;&#233;</v></c></row>",
    "styles and types": '<row r="1" spans="1:4" ht="20" customHeight="1"><c r="A1" s="3" t="b">'
                        '<v>1</v></c><c r="B1" s="1" t="e"><v>#DIV/0!</v></c><c r="C1" t="s">'
                        '<v>0</v></c><c r="D1" t="n" s="2"><v> 7 </v></c></row>',
    "no references": "<row><c><v>1</v></c><c><v>2</v></c></row><row><c><f>A1+B1</f></c></row>",
    "reference not first": '<row r="2"><c s="1" r="B2"><v>4</v></c><c t="str" r="C2">'
                           "<f>B2&amp;\"\"</f><v>4</v></c></row>",
    "lower-case reference": '<row r="1"><c r="b1"><v>3</v></c></row>',
    "shared and array formulas": '<row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0">B1*2</f>'
                                 '<v>0</v></c><c r="B1"><f t="array" ref="B1:B2">C1:C2</f><v>0</v>'
                                 '</c></row><row r="2"><c r="A2"><f t="shared" si="0"/><v>0</v></c>'
                                 '</row><row r="3"><c r="A3"><f t="shared" si="0"/></c></row>',
    "data table": '<row r="1"><c r="A1"><f t="dataTable" ref="A1:A2" dt2D="0" dtr="0" r1="B1"/>'
                  "<v>1</v></c></row>",
    "inline strings": '<row r="1"><c r="A1" t="inlineStr"><is><t>plain</t></is></c><c r="B1" '
                      't="inlineStr"><is><t xml:space="preserve"> x_x0041_ </t></is></c>'
                      '<c r="C1" t="inlineStr"><is><t/></is></c></row>',
    "empty elements": '<row r="1"/><row r="2"><c r="A2"/><c r="B2"><v/></c><c r="C2"><f/>'
                      '<v></v></c><c r="D2" s="4"/></row>',
    "dates and exponents": '<row r="1"><c r="A1" t="d"><v>2024-02-29T12:00:00</v></c>'
                           '<c r="B1"><v>-1.5E-7</v></c><c r="C1"><v>.5</v></c><c r="D1"><v>+3.</v>'
                           "</c></row>",
    "prefixed attributes": '<row r="1" x14ac:dyDescent="0.25"><c r="A1" cm="1"><f>A2</f><v>0</v>'
                           "</c></row>",
    "non-ASCII text": '<row r="1"><c r="A1" t="str"><f>"€ ü 中"</f><v>€ ü 中 𝄞</v></c></row>',
    "odd row numbers": '<row r=" 5 "><c r="A5"><v>1</v></c></row><row r="+7"><c r="A7"><v>2</v>'
                       "</c></row>",
    "a cell after sheetData": '<row r="1"><c r="A1"><v>1</v></c></row>',  # + the tail below
}

DECLINED = {
    "comment": '<row r="1"><!-- note --><c r="A1"><v>1</v></c></row>',
    "CDATA": '<row r="1"><c r="A1" t="str"><v><![CDATA[a<b]]></v></c></row>',
    "rich text": '<row r="1"><c r="A1" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c>'
                 "</row>",
    "phonetic run": '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t><rPh sb="0" eb="1"><t>x</t>'
                    "</rPh></is></c></row>",
    "carriage return": '<row r="1"><c r="A1" t="str"><v>a\r\nb</v></c></row>',
    "namespace declared": '<row r="1"><c xmlns="urn:other" r="A1"><v>1</v></c><c r="B1"><v>2</v>'
                          "</c></row>",
    "prefixed element": '<row r="1"><x:c xmlns:x="' + NS + '" r="A1"><x:v>1</x:v></x:c></row>',
    "extension in a cell": '<row r="1"><c r="A1"><v>1</v><extLst><ext uri="u"/></extLst></c></row>',
    "tab in an attribute": '<row r="1"><c r="A1" s="1\t"><v>1</v></c></row>',
    "entity in an attribute": '<row r="1"><c r="A&#49;"><v>1</v></c></row>',
    "duplicate cell": '<row r="1"><c r="A1"><v>1</v></c><c r="A1"><v>2</v></c></row>',
    "cell in another row": '<row r="1"><c r="A2"><v>1</v></c></row>',
    "duplicate row": '<row r="1"><c r="A1"><v>1</v></c></row><row r="1"/>',
    "bad number": '<row r="1"><c r="A1"><v>1e999</v></c></row>',
    "NaN": '<row r="1"><c r="A1"><v>NaN</v></c></row>',
    "bad row number": '<row r="x"><c r="A1"><v>1</v></c></row>',
    "bad reference": '<row r="1"><c r="A0"><v>1</v></c></row>',
    "column past XFD": '<row r="1"><c r="XFE1"><v>1</v></c></row>',
    "row past the grid": '<row r="1048577"><c r="A1048577"><v>1</v></c></row>',
    "value before formula": '<row r="1"><c r="A1"><v>1</v><f>B1</f></c></row>',
    "text between elements": '<row r="1"><c r="A1">x<v>1</v></c></row>',
    "shared formula without a master": '<row r="1"><c r="A1"><f t="shared" si="9"/></c></row>',
    "bad shared string": '<row r="1"><c r="A1" t="s"><v>5</v></c></row>',
    "unknown type": '<row r="1"><c r="A1" t="zz"><v>1</v></c></row>',
}


def _sheet(tmp_path: Path, body: str, *, tail: str = "", head: str = "",
           encoding: str | None = None) -> Path:
    xml = f'<worksheet xmlns="{NS}" xmlns:x14ac="urn:x14ac">{head}<sheetData>{body}' \
          f"</sheetData>{tail}</worksheet>"
    if encoding is None:
        data = xml.encode()
    else:
        data = f'<?xml version="1.0" encoding="{encoding}"?>{xml}'.encode(encoding)
    path = tmp_path / "crafted.xlsx"
    package(path, {"S": "", "T": '<row r="1"><c r="A1"><f>S!A1</f><v>1</v></c></row>'},
            strings=["zero"], dynamic=True)
    with zipfile.ZipFile(path) as zf:
        members = {i: zf.read(i) for i in zf.namelist()}
    members["xl/worksheets/sheet1.xml"] = data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return path


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_plain_sheets_take_the_fast_path_with_the_same_result(name, tmp_path, monkeypatch):
    tail = '<extLst><c r="Z1"><v>9</v></c></extLst>' if "after" in name else ""
    path = _sheet(tmp_path, PLAIN[name], tail=tail)
    result = _same_both_ways(path, monkeypatch)
    assert _fast_path_used(path, monkeypatch)[0] is True, result
    if "after" in name:
        assert set(result[2]["S"]) == {"A1", "Z1"}


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_other_shapes_are_declined_with_the_same_result(name, tmp_path, monkeypatch):
    path = _sheet(tmp_path, DECLINED[name])
    _same_both_ways(path, monkeypatch)
    assert _fast_path_used(path, monkeypatch)[0] is False


@pytest.mark.parametrize("head, expect_fast", [
    ("", True),
    # "<sheetData>" inside a comment before the real one: the scan must not start there
    ('<!-- <sheetData><row r="2"><c r="A2"><v>5</v></c></row></sheetData> -->', False),
    ('<sheetPr><?pi <sheetData>?></sheetPr>', False),
    ('<sheetPr codeName="a&gt;b"/>', True),
])
def test_the_scan_starts_at_the_real_sheet_data(head, expect_fast, tmp_path, monkeypatch):
    path = _sheet(tmp_path, '<row r="1"><c r="B1"><v>1</v></c></row>', head=head)
    result = _same_both_ways(path, monkeypatch)
    assert set(result[2]["S"]) == {"B1"}
    assert _fast_path_used(path, monkeypatch)[0] is expect_fast


@pytest.mark.parametrize("encoding, expect_fast", [
    ("UTF-8", True), ("utf-16", False), ("ISO-8859-1", False)])
def test_only_utf8_parts_take_the_fast_path(encoding, expect_fast, tmp_path, monkeypatch):
    path = _sheet(tmp_path, '<row r="1"><c r="A1" t="str"><v>é</v></c></row>', encoding=encoding)
    result = _same_both_ways(path, monkeypatch)
    assert result[2]["S"]["A1"].value == "é"
    assert _fast_path_used(path, monkeypatch)[0] is expect_fast


@pytest.mark.parametrize("limits", [
    {"max_cells": 3}, {"max_cells": 4}, {"max_rows": 1}, {"max_rows": 2}])
def test_limits_give_the_same_errors(limits, tmp_path, monkeypatch):
    body = ('<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row>'
            '<row r="2"><c r="A2"><f>A1</f><v>1</v></c></row>')
    path = _sheet(tmp_path, body)
    _same_both_ways(path, monkeypatch, **limits)


def test_element_limit_gives_the_same_error(tmp_path, monkeypatch):
    # The byte prescan refuses such a sheet before either path sees it; without it, the
    # element limit (6 per allowed cell + 200,000) is what stops 200,010 empty rows
    monkeypatch.setattr(reader, "prescan", lambda *args: None)
    path = _sheet(tmp_path, "".join(f'<row r="{r}"/>' for r in range(1, 200_011)))
    result = _same_both_ways(path, monkeypatch, max_cells=1)
    assert result[0] == "error" and "too many XML elements" in result[1]
    result = _same_both_ways(path, monkeypatch, max_cells=10)
    assert result[0] == "data"


def test_random_plain_sheets_read_the_same(tmp_path, monkeypatch):
    rng = random.Random(7)
    for trial in range(25):
        rows = []
        for r in sorted(rng.sample(range(1, 400), rng.randint(1, 30))):
            cells = []
            for c in sorted(rng.sample(range(1, 60), rng.randint(0, 6))):
                ref = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[c % 26] * (1 + c // 26) + str(r)
                kind = rng.choice(["n", "n", "str", "b", "e", "s", "inline", "none"])
                f = rng.choice(["", "<f>A1+1</f>", "<f>SUM(A1:B2)&amp;\"x\"</f>", "<f/>"])
                v = {"n": f"<v>{rng.uniform(-1e6, 1e6)!r}</v>", "str": "<v>t&amp;u</v>",
                     "b": "<v>1</v>", "e": "<v>#N/A</v>", "s": "<v>0</v>",
                     "inline": "<is><t>in</t></is>", "none": ""}[kind]
                t = {"n": "", "inline": ' t="inlineStr"', "none": ""}.get(kind, f' t="{kind}"')
                style = rng.choice(["", ' s="2"'])
                cells.append(f'<c r="{ref}"{style}{t}>{f}{v}</c>')
            rows.append(f'<row r="{r}">{"".join(cells)}</row>')
        path = _sheet(tmp_path, "".join(rows))
        result = _same_both_ways(path, monkeypatch)
        assert _fast_path_used(path, monkeypatch)[0] is True, (trial, result)


def test_cells_keep_the_frozen_dataclass_contract():
    """Cell's faster __init__ (xlmodel/workbook/data.py) takes the same arguments, defaults
    and keywords, and the cell stays immutable, hashable and replaceable."""
    import dataclasses

    from xlmodel.workbook.data import Cell

    cell = Cell("S", "B2", 2, 2, "A1*2", 4.0)
    assert (cell.sheet, cell.ref, cell.row, cell.col, cell.formula, cell.value,
            cell.array_ref, cell.dynamic) == ("S", "B2", 2, 2, "A1*2", 4.0, None, False)
    assert cell == Cell(sheet="S", ref="B2", row=2, col=2, formula="A1*2", value=4.0)
    assert hash(cell) == hash(Cell("S", "B2", 2, 2, "A1*2", 4.0))
    marked = dataclasses.replace(cell, dynamic=True, array_ref="B2:B3")
    assert (marked.dynamic, marked.array_ref, marked.value) == (True, "B2:B3", 4.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cell.value = 5.0
    with pytest.raises(TypeError):
        Cell("S", "B2", 2, 2, "A1*2")  # value has no default


def test_the_cheap_count_never_skips_a_prescan_that_would_refuse(tmp_path):
    """``surely_within`` lets the fast path skip the byte prescan only where the prescan
    would pass: checked on sheets of prefixed and plain tags, split across chunks, with
    limits around their true counts."""
    from xlmodel.workbook.package import Package
    from xlmodel.workbook.xmlparse import prescan, surely_within

    rng = random.Random(11)
    pieces = ['<row r="1">', "</row>", '<c r="A1">', "<c/>", "<x:c>", "</x:c>", "<x:c/>",
              "<x:c/>", "<x:row/>", "<x:row>", "<v>1</v>", "<f>A1:c2</f>", "<cols/>",
              "<!-- <c> -->", " ", "\n"]
    path = package(tmp_path / "p.xlsx", {"S": ""})
    skipped = refused = 0
    for _ in range(600):
        body = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 2_000)))
        data = f'<worksheet xmlns="{NS}" xmlns:x="{NS}"><sheetData>{body}</sheetData>' \
               "</worksheet>"
        raw = data.encode()
        # limits just around the true counts plus the margin, one quantity at a time
        true = (len(re.findall(rb"<(?:x:)?c[\s/>]", raw)),
                len(re.findall(rb"<(?:x:)?row[\s/>]", raw)), raw.count(b"<") - raw.count(b"</"))
        limits = [1 << 30] * 3
        which = rng.randrange(3)
        limits[which] = max(true[which] + rng.randint(-80, 200), 0)
        cells, rows, starts = limits
        size = rng.choice([7, 64, 1 << 20])  # chunk edges anywhere
        chunks = [raw[i:i + size] for i in range(0, len(raw), size)]
        with Package(str(path), reader.Limits(10, 10, 1 << 30, 200.0, 1 << 30)) as pkg:
            try:
                prescan(pkg, "S", cells, rows, starts, chunks)
                passes = True
            except WorkbookError:
                passes = False
        if surely_within(raw, cells, rows, starts):
            assert passes, (cells, rows, starts, body)
            skipped += 1
        refused += not passes
    assert skipped > 50 and refused > 50


def test_an_oversized_sheet_names_the_first_limit_the_stream_passes(tmp_path, monkeypatch):
    """The prescan counts chunk by chunk: with the rows past their limit in the first MiB and
    the cells past theirs after it, both paths name the rows (the fast path prescans the
    bytes it holds in the same chunks)."""
    pad = "<a>" + "y" * 200 + "</a>"
    body = "<row/>" * 1_001 + pad * 6_000 + '<row r="5000">' + "<c/>" * 1_001 + "</row>"
    path = _sheet(tmp_path, body)
    result = _same_both_ways(path, monkeypatch, max_cells=1_000, max_rows=1_000)
    assert result[0] == "error" and "too many rows" in result[1]


def test_a_bad_crc_after_a_corrupt_cell_gives_the_streaming_error(tmp_path, monkeypatch):
    """The fast path inflates the whole part before reading it; a CRC error at its end must
    not hide the corrupt cell the streaming reader meets first (found in review)."""
    body = '<row r="x"><c r="A1"><v>1</v></c></row>' + "<row><c><v>1</v></c></row>" * 60_000
    path = _sheet(tmp_path, body)
    with zipfile.ZipFile(path) as zf:
        members = {i: zf.read(i) for i in zf.namelist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    raw = bytearray(path.read_bytes())
    sheet = members["xl/worksheets/sheet1.xml"]
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    at = start + sheet.index(b"<v>1</v>", int(1.2 * (1 << 20))) + 3
    raw[at] = ord("2")  # one digit changed 1.2 MiB in: only the CRC tells
    path.write_bytes(bytes(raw))
    result = _same_both_ways(path, monkeypatch)
    assert result[0] == "error" and "bad row number" in result[1]


def test_the_tail_sees_what_the_last_cell_left_open(tmp_path, monkeypatch):
    """The streaming handler still holds the last cell's inline string when the part's tail
    is read: a <t> and a <v> there then refuse the file, both ways (found in review)."""
    path = _sheet(tmp_path, '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>',
                  tail='<extLst><t><c r="B1"><v>1</v></c></t></extLst>')
    result = _same_both_ways(path, monkeypatch)
    assert result[0] == "error" and "inside the text" in result[1]


NESTED = {
    "a run inside a value": ('<row r="1"><c r="A1"><v>1<t>x</t></v></c></row>',
                             "A1: <t> inside the text"),
    "an inline string inside a formula": (
        '<row r="1"><c r="A1"><f>A1<is><t>x</t></is></f></c></row>', "A1: <is> inside the text"),
    "a cell inside a formula": ('<row r="1"><c r="A1"><f>A1<c/></f></c></row>',
                                "A1: <c> inside the text"),
    "a cell inside a cell": ('<row r="1"><c r="A1"><c r="B1"><v>1</v></c></c></row>',
                             "A1: a cell inside another cell"),
    "a row inside a cell": ('<row r="1"><c r="A1"><row r="2"/></c></row>',
                            "A1: a row inside a cell"),
    "rich text inside a value": ('<row r="1"><c r="A1"><v><r><t>1</t></r></v></c></row>',
                                 "A1: <r> inside the text"),
}


@pytest.mark.parametrize("name", sorted(NESTED))
def test_misplaced_elements_are_refused_with_a_reason(name, tmp_path, monkeypatch):
    """Elements where the schema has none (found in review: these were internal errors)."""
    body, reason = NESTED[name]
    result = _same_both_ways(_sheet(tmp_path, body), monkeypatch)
    assert result[0] == "error" and reason in result[1], result


def test_the_element_count_holds_across_a_split_end_tag():
    """A chunk that ends in ``<`` of an end tag: the prescan counts it once the next chunk
    shows the ``/``, so a part exactly at the element limit passes wherever it is cut
    (found in review: it was refused when the cut fell inside ``</``)."""
    from xlmodel.workbook import xmlparse

    class Pkg:
        def fail(self, message):
            raise WorkbookError(message)

    data = b"<a>" + b"<b></b>" * 5 + b"</a>"
    elements = data.count(b"<") - data.count(b"</")
    for cut in range(1, len(data)):
        chunks = [data[:cut], data[cut:]]
        xmlparse.prescan(Pkg(), "part", 10, 10, elements, chunks=chunks)
        with pytest.raises(WorkbookError, match="too many XML elements"):
            xmlparse.prescan(Pkg(), "part", 10, 10, elements - 1, chunks=chunks)


def test_a_corrupt_lzma_member_is_one_line(tmp_path):
    """A corrupt LZMA-compressed part: one line naming the file, as for a deflated one."""
    path = _sheet(tmp_path, '<row r="1"><c r="A1"><v>1</v></c></row>' * 1)
    with zipfile.ZipFile(path) as zf:
        members = {i: zf.read(i) for i in zf.namelist()}
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content, zipfile.ZIP_LZMA if "sheet1" in name else
                        zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    raw = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for at in range(start + 9, start + info.compress_size - 2):
        raw[at] ^= 0x5A  # the LZMA stream garbled past its header
    path.write_bytes(bytes(raw))
    with pytest.raises(WorkbookError) as caught:
        reader.read_workbook(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path)), message
    assert "internal" not in message


def test_dense_character_references_are_streamed(tmp_path, monkeypatch):
    """A text with many character references is left to expat, which reads them much faster
    than one call each (found in review: such a sheet read ten times slower)."""
    dense = '<row r="1"><c r="A1" t="str"><f>"x"</f><v>' + "&#9;" * 5_000 + "</v></c></row>"
    path = _sheet(tmp_path, dense)
    result = _same_both_ways(path, monkeypatch)
    assert result[2]["S"]["A1"].value == "\t" * 5_000
    assert _fast_path_used(path, monkeypatch)[0] is False
    few = '<row r="1"><c r="A1"><f>"&#9;&#x41;"</f><v>1</v></c></row>'
    path = _sheet(tmp_path, few)
    assert _same_both_ways(path, monkeypatch)[2]["S"]["A1"].formula == '"\tA"'
    assert _fast_path_used(path, monkeypatch)[0] is True


def test_a_large_tail_is_streamed(tmp_path, monkeypatch):
    """Only the rows are decoded on the fast path; a tail past MAX_TAIL bytes streams, which
    holds less of it (found in review: a tail of astral characters took 12 times the
    memory)."""
    blob = "".join(chr(0x10000 + (i * 7919) % 0x40000) for i in range(2_000))
    tail = "<extLst><ext uri='x'>" + f"<a>{blob}</a>" * (sheet_scan.MAX_TAIL // 8_000 + 1) \
        + "</ext></extLst>"
    path = _sheet(tmp_path, '<row r="1"><c r="A1"><v>1</v></c></row>', tail=tail)
    assert _same_both_ways(path, monkeypatch)[2]["S"]["A1"].value == 1.0
    assert _fast_path_used(path, monkeypatch)[0] is False
    path = _sheet(tmp_path, '<row r="1"><c r="A1"><v>1</v></c></row>',
                  tail=f"<extLst><ext uri='x'><a>{blob}</a></ext></extLst>")
    assert _same_both_ways(path, monkeypatch)[2]["S"]["A1"].value == 1.0
    assert _fast_path_used(path, monkeypatch)[0] is True
