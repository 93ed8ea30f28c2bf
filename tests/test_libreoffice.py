"""LibreOffice as a second formula engine and as a renderer (xlmodel.libreoffice).

Expected values are worked out by hand from Excel's documented semantics, not taken from
LibreOffice. Each LibreOffice call costs about 1.5 s, so the workbooks are small and few.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.workbook.defined_name import DefinedName

from xlmodel.errors import ExcelError, WorkbookError
from xlmodel.harness.libreoffice import (
    _calls_udf,
    pdf_page_texts,
    png_names,
    print_pdf,
    recalculate,
    render_pngs,
    require_soffice,
)

SOFFICE = require_soffice()


# --- helpers ---------------------------------------------------------------------------------


def set_cached_values(path: Path, sheet_xml: str, values: dict[str, str]) -> None:
    """Write cached values into formula cells at XML level, as Excel would have saved them.

    openpyxl cannot write cached values, and a load+save would drop them, so the saved zip is
    rewritten. ``fullCalcOnLoad`` is removed too: with it LibreOffice recalculates anyway, and
    the test would not show that the profile setting is what forces the recalculation.
    """
    with zipfile.ZipFile(path) as zin:
        parts = {info.filename: zin.read(info) for info in zin.infolist()}
    xml = parts[sheet_xml].decode()
    for ref, value in values.items():
        cell = rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>\s*)<v\s*/>'
        xml, n = re.subn(cell, rf"\g<1><v>{value}</v>", xml)
        assert n == 1, f"no empty formula cell {ref} in {sheet_xml}"
    parts[sheet_xml] = xml.encode()
    workbook = parts["xl/workbook.xml"].decode()
    parts["xl/workbook.xml"] = workbook.replace('fullCalcOnLoad="1"', "").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)


def read_png(path: Path) -> tuple[int, int, bytes]:
    """Width, height and raw RGB rows (filter byte first) of a PNG written by render_pngs."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    pos, width, height, idat = 8, 0, 0, b""
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) == int.from_bytes(
            data[pos + 8 + length:pos + 12 + length], "big"), f"bad {kind!r} chunk CRC"
        if kind == b"IHDR":
            width, height = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big")
            assert body[8:10] == bytes([8, 2]), "expected 8-bit RGB"
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    rows = zlib.decompress(idat)
    assert len(rows) == height * (1 + 3 * width)
    return width, height, rows


def coloured_pixels(width: int, height: int, rows: bytes) -> int:
    """Pixels that are not grey: text and gridlines are grey, chart bars are coloured."""
    count = 0
    stride = 1 + 3 * width
    for y in range(height):
        row = rows[y * stride + 1:(y + 1) * stride]
        assert rows[y * stride] == 0, "render_pngs writes unfiltered rows"
        for x in range(0, len(row), 3):
            r, g, b = row[x], row[x + 1], row[x + 2]
            count += max(r, g, b) - min(r, g, b) > 40
    return count


# --- recalculation ---------------------------------------------------------------------------


def native_workbook(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Inputs"
    ws["A1"] = "units"
    ws["B1"] = 3
    ws["B2"] = 4.5
    ws["B3"] = "=B1*B2+1"
    ws["B4"] = "=SUM(B1:B3)"
    ws["B5"] = '=IF(B1>2,"big","small")'
    ws["B6"] = "=ROUND(B2/7,3)"
    ws["B7"] = "=ROUND(2.5,0)+ROUND(-2.5,0)*10"
    ws["B8"] = "=B2/(B1-3)"
    ws["B9"] = "=Rate*100"
    ws["B10"] = "=B1>2"
    out = wb.create_sheet("Out sheet")
    out["A1"] = "='Inputs'!B3*2"
    out["A2"] = "=Inputs!B4-Inputs!B1"
    wb.defined_names["Rate"] = DefinedName("Rate", attr_text="Inputs!$B$1")
    wb.save(path)


def test_native_formulas_match_independent_values(tmp_path):
    book = tmp_path / "native.xlsx"
    native_workbook(book)
    values = recalculate(book)
    units, price = 3, 4.5
    total = units * price + 1  # B3
    assert values == {
        "Inputs": {
            "A1": "units",
            "B1": units,
            "B2": price,
            "B3": total,
            "B4": units + price + total,
            "B5": "big",
            "B6": 0.643,  # 4.5 / 7 = 0.642857...
            "B7": 3 - 30,  # Excel rounds halves away from zero
            "B8": ExcelError("#DIV/0!"),
            "B9": units * 100,
            "B10": True,
        },
        "Out sheet": {"A1": total * 2, "A2": units + price + total - units},
    }


def test_wrong_cached_values_are_recalculated(tmp_path):
    book = tmp_path / "stale.xlsx"
    native_workbook(book)
    set_cached_values(book, "xl/worksheets/sheet1.xml", {"B3": "999", "B4": "-1"})
    set_cached_values(book, "xl/worksheets/sheet2.xml", {"A1": "12345"})
    stale = openpyxl.load_workbook(book, data_only=True)
    assert (stale["Inputs"]["B3"].value, stale["Out sheet"]["A1"].value) == (999, 12345)

    values = recalculate(book)
    assert values["Inputs"]["B3"] == 3 * 4.5 + 1
    assert values["Inputs"]["B4"] == 3 + 4.5 + 14.5
    assert values["Out sheet"]["A1"] == 29


def udf_workbook(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Model"
    ws["A1"] = "=_xll.BREAKEVEN(2)"
    ws["A2"] = "=A1*2"
    ws["A3"] = "=_xldudf_XLMODEL_PAYBACK(1)+0"
    ws["A4"] = "=A3+1"
    ws["A5"] = '=LEN("BREAKEVEN(")'  # the name inside a string is not a call
    wb.save(path)
    set_cached_values(path, "xl/worksheets/sheet1.xml", {"A1": "21", "A3": "7", "A5": "-5"})


def test_udf_cells_keep_cached_values_and_feed_native_formulas(tmp_path):
    book = tmp_path / "udf.xlsx"
    udf_workbook(book)
    values = recalculate(book, udf_names=["breakeven", "Payback"])["Model"]
    assert values == {"A1": 21, "A2": 42, "A3": 7, "A4": 8, "A5": len("BREAKEVEN(")}


def test_udf_cells_are_unknown_to_libreoffice_without_udf_names(tmp_path):
    book = tmp_path / "udf.xlsx"
    udf_workbook(book)
    values = recalculate(book)["Model"]
    assert values["A1"] == ExcelError("#NAME?")
    assert isinstance(values["A2"], ExcelError)


def test_concurrent_calls_use_separate_profiles(tmp_path):
    books = []
    for n in (2, 5):
        wb = openpyxl.Workbook()
        wb.active["A1"] = n
        wb.active["A2"] = "=A1^3"
        books.append(tmp_path / f"cube{n}.xlsx")
        wb.save(books[-1])
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(recalculate, books))
    assert [r["Sheet"]["A2"] for r in results] == [8, 125]


def test_timeout_kills_libreoffice_and_cleans_up(tmp_path, monkeypatch):
    book = tmp_path / "native.xlsx"
    native_workbook(book)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with pytest.raises(WorkbookError, match="timeout") as caught:
        recalculate(book, timeout=0.05)
    assert "\n" not in str(caught.value)
    assert list(scratch.iterdir()) == []
    if os.path.isdir("/proc"):
        assert _wait_for_no_process_mentioning(str(scratch)) == []


def _wait_for_no_process_mentioning(text: str, seconds: float = 5) -> list[str]:
    deadline = time.monotonic() + seconds
    while True:
        alive = []
        for entry in Path("/proc").iterdir():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if text in cmdline:
                alive.append(cmdline.replace("\0", " "))
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def test_missing_workbook_is_a_one_line_error(tmp_path):
    with pytest.raises(WorkbookError, match="workbook not found") as caught:
        recalculate(tmp_path / "nope.xlsx")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("=BREAKEVEN(A1)", True),
        ("=breakeven(A1)", True),
        ("=1+_xll.BreakEven(A1)", True),
        ("=_xldudf_BREAKEVEN(A1)", True),
        ("=_xldudf_XLMODEL_BREAKEVEN(A1)", True),
        ("=XLMODEL.BREAKEVEN(A1)", True),
        ("=BREAKEVENX(A1)", False),
        ('="BREAKEVEN(" & A1', False),
        ("='BREAKEVEN (2)'!A1", False),
        ("=_xlfn.BREAKEVEN.DIST(A1)", False),
    ],
)
def test_udf_spellings(formula, expected):
    assert _calls_udf(formula, frozenset({"BREAKEVEN"})) is expected


# --- rendering -------------------------------------------------------------------------------


def test_png_names_are_slugs_and_unique():
    assert png_names("Launch Model", ["Inputs", "Cash flow (€)", "cash-flow"]) == [
        "launch-model-inputs.png",
        "launch-model-cash-flow.png",
        "launch-model-cash-flow-2.png",
    ]


def test_render_one_png_per_sheet_with_chart(tmp_path):
    require_soffice(pdftoppm=True)
    wb = openpyxl.Workbook()
    inputs = wb.active
    inputs.title = "Inputs"
    inputs["A1"], inputs["B1"] = "rate", 0.05
    for row in range(3, 43):  # taller than a page unless fitted
        inputs.cell(row, 1, f"year {row - 2}")
        inputs.cell(row, 2, f"=100*(1+$B$1)^{row - 2}")
    chart_sheet = wb.create_sheet("Chart data")
    for row in range(1, 7):
        chart_sheet.cell(row, 1, row * row)
    chart = BarChart()
    chart.add_data(Reference(chart_sheet, min_col=1, min_row=1, max_row=6))
    chart_sheet.add_chart(chart, "C2")
    config = wb.create_sheet("xlwings.conf")
    config["A1"], config["B1"] = "UDF Modules", "xlmodel.udfs"
    hidden = wb.create_sheet("Hidden")
    hidden["A1"] = 1
    hidden.sheet_state = "hidden"
    wb.create_sheet("Blank")
    book = tmp_path / "Demo Book.xlsx"
    wb.save(book)

    outdir = tmp_path / "png"
    outdir.mkdir()
    (outdir / "demo-book-inputs.png").write_bytes(b"stale")
    dpi = 80
    paths = render_pngs(book, outdir, dpi=dpi)

    assert paths == [outdir / "demo-book-inputs.png", outdir / "demo-book-chart-data.png"]
    assert sorted(outdir.iterdir()) == sorted(paths)
    images = [read_png(p) for p in paths]
    for width, height, _ in images:
        # Cropped from one landscape page: at most 11.7 in (A4) by 8.5 in (letter).
        assert 40 < width <= 11.7 * dpi and 20 < height <= 8.5 * dpi
    assert coloured_pixels(*images[0]) == 0
    assert coloured_pixels(*images[1]) > 500  # the bars


def test_render_prints_as_the_page_setup_says(tmp_path):
    """A sheet with its own page setup (fit one page wide, as many tall as needed) renders
    page by page; a sheet without one is fitted to a single page."""
    require_soffice(pdftoppm=True)
    wb = openpyxl.Workbook()
    long = wb.active
    long.title = "Long"
    for row in range(1, 151):  # about three portrait pages at full size
        long.cell(row, 1, f"row {row}")
        long.cell(row, 2, f"=A{row}&\"!\"")
    long.page_setup.orientation = "portrait"
    long.sheet_properties.pageSetUpPr.fitToPage = True
    long.page_setup.fitToWidth = 1
    long.page_setup.fitToHeight = 0
    long.oddHeader.left.text = "&A"
    short = wb.create_sheet("Short")
    for row in range(1, 151):
        short.cell(row, 1, row)
    book = tmp_path / "pages.xlsx"
    wb.save(book)

    pages = print_pdf(book, tmp_path / "pages.pdf")
    assert pages.count("Short") == 1
    assert pages.count("Long") >= 2 and pages == ["Long"] * pages.count("Long") + ["Short"]
    texts = pdf_page_texts(tmp_path / "pages.pdf")
    assert "row 1!" in texts[0] and "row 150!" in texts[pages.count("Long") - 1]

    paths = render_pngs(book, tmp_path / "png", dpi=40)
    names = [p.name for p in paths]
    assert names[0] == "pages-long.png" and names[1] == "pages-long-page2.png"
    assert names[-1] == "pages-short.png" and len(names) == len(pages)


def test_the_fidelity_benchmark_runs_its_engines(capsys):
    # benchmarks/measure_engines.py on two Excel-saved workbooks: xlmodel and LibreOffice
    # each reproduce every formula cell Excel saved (a broken import in the script would
    # count every workbook as refused)
    import importlib.util

    root = Path(__file__).resolve().parents[1]
    files = [root / ".." / "shared" / "data" / "excel-saved" / f"{n}.xlsx"
             for n in ("ROUND", "SUM")]
    if not all(f.exists() for f in files):
        pytest.skip("the Excel-saved workbooks are not beside this checkout")
    spec = importlib.util.spec_from_file_location("measure_engines",
                                                  root / "benchmarks" / "measure_engines.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    totals = script.measure(files, ["xlmodel", "libreoffice"], False, 0)
    assert totals["xlmodel"] == [8, 8]
    assert totals["libreoffice"] == [8, 8]
    assert "refused" not in capsys.readouterr().out
