"""The headless harness on real workbooks: the shipped templates, tampered copies, files
computed by LibreOffice, spills that change size and every spelling of our functions."""

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xlmodel import harness, workbook
from xlmodel.errors import ExcelError
from xlmodel.harness.libreoffice import require_soffice, resave

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "workbooks").glob("*.xls[xm]"))


def cli(*args):
    return subprocess.run([sys.executable, "-m", "xlmodel", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def members(path):
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def cell_of(path, name):
    """(sheet, ref) that a defined name points at."""
    wb = openpyxl.load_workbook(path, read_only=False)
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    return sheet, ref.replace("$", "")


@pytest.mark.parametrize("mode", harness.MODES)
@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_shipped_templates_pass(path, mode):
    report = harness.check(path, mode)
    assert report.ok, harness.format_report(report)
    assert report.udf_cells >= 15 and report.checked >= 100


@pytest.mark.parametrize("mode", harness.MODES)
def test_one_changed_cached_value_fails_there_and_only_there(tmp_path, mode):
    src = ROOT / "workbooks" / "ai_compute_economics.xlsx"
    sheet, ref = cell_of(src, "p_star")  # a Python-function cell
    bad = tmp_path / "tampered.xlsx"
    workbook.write_cached_values(src, bad, {(sheet, ref): 123.0})
    report = harness.check(bad, mode)
    assert [m.where for m in report.mismatches] == [f"{sheet}!{ref}"]
    m = report.mismatches[0]
    assert m.saved == 123.0 and m.recomputed < 0
    assert m.formula == "=BREAKEVEN_LAUNCH_COST(Assumptions)"
    text = harness.format_report(report)
    assert f"{sheet}!{ref}" in text and "123.0" in text and "BREAKEVEN_LAUNCH_COST" in text
    # and the command line says so with exit code 1
    run = cli("check", "--mode", mode, bad)
    assert run.returncode == 1 and f"{sheet}!{ref}" in run.stdout


def test_changed_native_value_is_caught_by_full_mode_only(tmp_path):
    src = ROOT / "workbooks" / "ai_compute_economics.xlsx"
    sheet, ref = cell_of(src, "p_star_native")
    bad = tmp_path / "tampered.xlsx"
    workbook.write_cached_values(src, bad, {(sheet, ref): 0.5})
    assert harness.check(bad, "local").ok  # local mode checks our functions only
    full = harness.check(bad, "full")
    assert [m.where for m in full.mismatches] == [f"{sheet}!{ref}"]


def test_update_restores_the_file_and_changes_only_values(tmp_path):
    src = ROOT / "workbooks" / "ai_compute_economics.xlsx"
    sheet, ref = cell_of(src, "p_star")
    bad = tmp_path / "tampered.xlsx"
    workbook.write_cached_values(src, bad, {(sheet, ref): 123.0})
    tampered = members(bad)
    run = cli("check", "--update", bad)
    assert run.returncode == 0, run.stderr
    # every part but one sheet is byte-identical, and in that sheet only <v> text changed
    updated, original = members(bad), members(src)
    changed = [n for n in updated if updated[n] != tampered[n]]
    assert len(changed) == 1 and changed[0].startswith("xl/worksheets/")
    assert tampered[changed[0]].replace(b"<v>123.0</v>", b"") != tampered[changed[0]]
    assert updated == original  # the original values, byte for byte
    assert harness.check(bad, "full").ok


def test_spill_that_changes_size_is_reported(tmp_path):
    src = ROOT / "workbooks" / "ai_compute_economics.xlsx"
    sheet, ref = cell_of(src, "curve_end_year")
    moved = tmp_path / "longer.xlsx"
    workbook.write_cached_values(src, moved, {(sheet, ref): 2041.0})  # an input: one year more
    for mode in harness.MODES:
        report = harness.check(moved, mode)
        spills = [m for m in report.mismatches if m.kind == "spill size"]
        anchors = {m.where for m in spills}
        assert {"Curves!A8", "Curves!G8"} <= anchors, harness.format_report(report)
        token = next(m for m in spills if m.where == "Curves!A8")
        assert (token.saved, token.recomputed) == ("16x2 spill", "17x2 spill")
    # --update rewrites the array range and the values, and the file then passes
    assert cli("calc", moved).returncode == 0
    assert harness.check(moved, "full").ok
    data = workbook.read_workbook(moved)
    assert data.cell("Curves", "A8").array_ref == "A8:B24"
    assert data.value("Curves", "A24") == 2041.0


def test_every_spelling_of_our_functions_resolves(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = 2
    ws["B1"] = "=_xll.ANNUALIZED_TOKEN_RETURN(A1)"
    ws["B2"] = '=_xldudf_BREAKEVEN_LAUNCH_COST("essay")'
    ws["B3"] = "=_xldudf_XLMODEL_ANNUALIZED_TOKEN_RETURN(1)"
    ws["B4"] = "=annualized_token_return(0.5)"
    ws["B5"] = "=B1*2+SUM(B2:B4)"
    ws["B6"] = "=ANNUALIZED_TOKEN_RETURN(0)"
    path = tmp_path / "spellings.xlsx"
    wb.save(path)
    assert cli("calc", path).returncode == 0
    data = workbook.read_workbook(path)
    expected = {"B1": 2 ** 0.5 - 1, "B2": 400.0, "B3": 1.0, "B4": 3.0}
    for ref, value in expected.items():
        assert data.value("S", ref) == pytest.approx(value, rel=1e-12), ref
    assert data.value("S", "B5") == pytest.approx(2 * (2 ** 0.5 - 1) + 404, rel=1e-12)
    assert data.value("S", "B6") == ExcelError("#NUM!")
    for mode in harness.MODES:
        report = harness.check(path, mode)
        assert report.ok and report.udf_cells == 5


def test_workbook_computed_and_saved_by_libreoffice_passes_full_mode(tmp_path):
    require_soffice()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    other = wb.create_sheet("Calc")
    for r in range(1, 21):
        ws.cell(r, 1, r * 1.5)
        ws.cell(r, 2, f"=A{r}^2/7+IF(A{r}>10,ROUND(A{r}/3,2),-A{r})")
    other["A1"] = "=SUM(Data!B1:B20)"
    other["A2"] = "=AVERAGE(Data!A1:A20)*PI()"
    other["A3"] = "=INDEX(Data!B1:B20,MATCH(15,Data!A1:A20,0))"
    other["A4"] = '=IF(A1>100,"big","small")&" "&TEXT(A2,"0.00")'
    other["A5"] = "=1/0"
    other["A6"] = "=ISERROR(A5)"
    other["A7"] = "=MAX(Data!B1:B20)-MIN(Data!B1:B20)+MOD(17,5)+ABS(-2)+SQRT(16)+LN(EXP(2))"
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    computed = tmp_path / "by_libreoffice.xlsx"
    resave(plain, computed)
    assert openpyxl.load_workbook(computed, data_only=True)["Calc"]["A1"].value is not None
    report = harness.check(computed, "full")
    assert report.ok, harness.format_report(report)
    assert report.checked >= 27


def test_json_and_junit_reports(tmp_path):
    src = ROOT / "workbooks" / "ai_compute_economics.xlsx"
    sheet, ref = cell_of(src, "hurdle_rate")
    bad = tmp_path / "bad.xlsx"
    workbook.write_cached_values(src, bad, {(sheet, ref): 0.5})
    junit = tmp_path / "report" / "junit.xml"
    run = cli("check", "--json", "--junit", junit, src, bad)
    assert run.returncode == 1
    data = json.loads(run.stdout)
    assert [d["ok"] for d in data] == [True, False]
    assert data[1]["mismatches"][0]["cell"] == f"{sheet}!{ref}"
    assert data[1]["mismatches"][0]["saved"] == 0.5
    assert data[1]["mismatches"][0]["recomputed"] == 1.0
    xml = junit.read_text()
    assert 'tests="2"' in xml and 'failures="1"' in xml and f"{sheet}!{ref}" in xml


def test_classic_error_text_equals_the_error_value():
    assert harness.same("#NUM! halving_years must be > 0, got 0", ExcelError("#NUM!"))
    assert harness.same(ExcelError("#N/A"), ExcelError("#N/A"))
    assert not harness.same(ExcelError("#N/A"), ExcelError("#NUM!"))
    assert not harness.same(1.0, 1.0 + 1e-6)
    assert harness.same(1.0, 1.0 + 1e-12)
    assert not harness.same(True, 1.0)
    assert harness.same(None, "")


def test_xlsm_vba_is_kept_by_update(tmp_path):
    src = ROOT / "workbooks" / "ai_compute_economics.xlsm"
    copy = tmp_path / "copy.xlsm"
    shutil.copyfile(src, copy)
    assert cli("calc", copy).returncode == 0
    assert members(copy) == members(src)
