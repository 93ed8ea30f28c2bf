"""Formula kinds, unsupported functions and command-line edges of the harness, on
workbooks built here."""

import os
import subprocess
import sys

import openpyxl
import pytest
from openpyxl.worksheet.formula import ArrayFormula

from xlmodel import harness, workbook


def cli(*args):
    return subprocess.run([sys.executable, "-m", "xlmodel", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def kinds(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "In"
    ws["A1"], ws["A2"], ws["A3"] = 1, 2, 0.5
    ws["D1"] = "=TOKEN_COST_CURVE(8,2025,2028,1)"  # plain: Excel 365 reads it as =@...
    ws["B1"] = ArrayFormula("B1:C3", "=ANNUALIZED_TOKEN_RETURN(A1:A3)")  # legacy array
    ws["F1"] = ArrayFormula("F1:F3", "=ANNUALIZED_TOKEN_RETURN(1)")
    path = tmp_path / "kinds.xlsx"
    wb.save(path)
    assert cli("calc", path).returncode == 0
    return path


def test_plain_formula_keeps_the_top_left_value_and_calc_is_idempotent(kinds):
    first = kinds.read_bytes()
    data = workbook.read_workbook(kinds)
    assert data.value("In", "D1") == 2025.0
    assert data.cell("In", "E1") is None and data.cell("In", "D2") is None  # nothing spilled
    assert cli("calc", kinds).returncode == 0
    assert kinds.read_bytes() == first
    for mode in harness.MODES:
        assert harness.check(kinds, mode).ok


def test_legacy_array_formulas_fill_their_range_like_excel(kinds):
    data = workbook.read_workbook(kinds)
    # a one-column result entered over two columns is repeated across them
    for r, expected in ((1, 1.0), (2, 2 ** 0.5 - 1), (3, 3.0)):
        assert data.value("In", f"B{r}") == pytest.approx(expected)
        assert data.value("In", f"C{r}") == pytest.approx(expected)
    # a scalar fills the whole range
    assert [data.value("In", f"F{r}") for r in (1, 2, 3)] == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("mode", harness.MODES)
def test_tampered_cell_inside_a_legacy_array_is_caught(kinds, tmp_path, mode):
    bad = tmp_path / "bad.xlsx"
    workbook.write_cached_values(kinds, bad, {("In", "F2"): 7.0, ("In", "C3"): 1.5})
    report = harness.check(bad, mode)
    assert sorted(m.where for m in report.mismatches) == ["In!C3", "In!F2"]


@pytest.mark.parametrize("mode", harness.MODES)
def test_our_call_that_cannot_be_recomputed_fails_the_check(tmp_path, mode):
    """Our calls are computed by the catalogue's evaluator, which has no EOMONTH: the cell
    cannot be recomputed, and that fails the check (exit 1) rather than being skipped."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = "=ANNUALIZED_TOKEN_RETURN(1)+EOMONTH(1,1)"
    path = tmp_path / "date.xlsx"
    wb.save(path)
    report = harness.check(path, mode)
    assert [(m.where, m.kind) for m in report.mismatches] == [("S!A1", "not recomputed")]
    assert "unknown function EOMONTH" in str(report.mismatches[0].recomputed)
    run = cli("check", "--mode", mode, path)
    assert run.returncode == 1 and "unknown function EOMONTH" in run.stdout, run.stdout


def test_a_native_cell_no_engine_can_compute_keeps_its_value_and_is_reported(tmp_path):
    """One cell with a function no engine has does not stop the workbook: it keeps its
    saved value, its dependents are computed from it, and --strict makes it a failure."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = 3
    ws["B1"] = "=NO_SUCH_FUNCTION(A1)"
    ws["C1"] = "=B1*2"
    ws["D1"] = "=[1]Other!A1"
    ws["E1"] = "=SUM(S:T!A1)"
    path = tmp_path / "unknown.xlsx"
    wb.save(path)
    workbook.write_cached_values(path, path, {("S", "B1"): 5.0, ("S", "C1"): 10.0,
                                           ("S", "D1"): 1.0, ("S", "E1"): 2.0})
    report = harness.check(path, "full")
    assert report.ok and report.checked == 1  # C1, from B1's saved value
    assert report.reasons() == {"function no engine has": 1, "external link": 1,
                                "3-D reference": 1}
    assert report.not_recomputed[("S", "B1")][1] == "NO_SUCH_FUNCTION"
    strict = harness.check(path, "full", strict=True)
    assert sorted(m.where for m in strict.mismatches) == ["S!B1", "S!D1", "S!E1"]
    run = cli("check", "--mode", "full", path)
    assert run.returncode == 0 and "3 not recomputed" in run.stdout, run.stdout
    assert cli("check", "--mode", "full", "--strict", path).returncode == 1
    junit = tmp_path / "report.xml"
    assert cli("check", "--mode", "full", "--junit", junit, path).returncode == 0
    assert "function no engine has: 1" in junit.read_text() and "<failure" not in (
        junit.read_text())
    before = path.read_bytes()
    assert cli("calc", path).returncode == 0
    assert workbook.read_workbook(path).value("S", "B1") == 5.0  # calc never overwrites it
    assert path.read_bytes() == before


def test_bad_options_and_unwritable_reports_are_usage_errors(kinds, tmp_path):
    for args in (["--rtol", "-1"], ["--rtol", "nan"], ["--limit", "-1"], ["--max-cells", "x"]):
        run = cli("check", *args, kinds)
        assert run.returncode == 2 and "error: argument" in run.stderr, args
    run = cli("check", "--junit", tmp_path, kinds)  # a folder, not a file
    assert run.returncode == 2 and "cannot write" in run.stderr
    assert "Traceback" not in run.stderr


def test_update_writes_through_a_symbolic_link(kinds, tmp_path):
    link = tmp_path / "link.xlsx"
    os.symlink(kinds, link)
    workbook.write_cached_values(kinds, kinds, {("In", "D1"): 1.0})
    assert cli("calc", link).returncode == 0
    assert link.is_symlink()
    assert workbook.read_workbook(kinds).value("In", "D1") == 2025.0
