"""Edges found in review: sheet-scoped names, unsupported functions under IFERROR, big ranges
with one bad cell, JSON with overflowing differences, XLMODEL_INPUTS as assumptions."""

import json
import subprocess
import sys

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from xlmodel import harness, workbook
from xlmodel.errors import ExcelError
from xlmodel.functions.catalogue import invoke


def cli(*args):
    return subprocess.run([sys.executable, "-m", "xlmodel", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_sheet_scoped_names_shadow_workbook_names(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "My Sheet"
    inputs = wb.create_sheet("Inputs")
    calc = wb.create_sheet("Calc Sheet")
    inputs["B1"] = 0.05
    ws["A1"] = 10
    wb.defined_names["Local"] = DefinedName("Local", attr_text="Inputs!$B$1")
    ws.defined_names["Local"] = DefinedName("Local", attr_text="'My Sheet'!$A$1")
    calc.defined_names["Scen"] = DefinedName("Scen", attr_text="'Calc Sheet'!$A$1")
    ws["B1"] = "=Local*2"          # the sheet's own name: 10 * 2
    inputs["D1"] = "=Local*3"      # the workbook's name: 0.05 * 3
    calc["A1"] = "essay"
    calc["B1"] = "=BREAKEVEN_LAUNCH_COST(Scen)"
    inputs["C1"] = "='Calc Sheet'!Scen"
    path = tmp_path / "names.xlsx"
    wb.save(path)
    assert cli("calc", path).returncode == 0
    data = workbook.read_workbook(path)
    assert data.value("My Sheet", "B1") == 20.0
    assert data.value("Inputs", "D1") == pytest.approx(0.15)
    assert data.value("Calc Sheet", "B1") == pytest.approx(400, rel=1e-12)
    assert data.value("Inputs", "C1") == "essay"
    for mode in harness.MODES:
        assert harness.check(path, mode).ok


@pytest.mark.parametrize("mode", harness.MODES)
def test_unsupported_function_hidden_by_iferror_still_fails_the_check(tmp_path, mode):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "=IFERROR(ANNUALIZED_TOKEN_RETURN(OFFSET(B1,1,0)),-1)"
    path = tmp_path / "offset.xlsx"
    wb.save(path)
    workbook.write_cached_values(path, path, {("Sheet", "A1"): -1.0})
    report = harness.check(path, mode)
    assert [(m.where, m.kind) for m in report.mismatches] == [("Sheet!A1", "not recomputed")]
    assert "unknown function OFFSET" in report.mismatches[0].recomputed


def test_one_bad_cell_in_a_big_range_is_fast_and_alone():
    col = [[90.0]] * 100_000
    col[500] = [300.0]
    cells = invoke("BUILDOUT_GROWTH_RATE", col)
    assert cells[500][0] == ExcelError("#NUM!")
    assert cells[0][0] == pytest.approx(0.4268, abs=1e-4) and cells[-1] == cells[0]


def test_json_report_stays_valid_json_when_the_difference_overflows(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = 1.6e308
    ws["B1"] = "=A1"
    path = tmp_path / "big.xlsx"
    wb.save(path)
    assert cli("calc", path).returncode == 0
    workbook.write_cached_values(path, path, {("Sheet", "B1"): -1.7e308})
    run = cli("check", "--mode", "full", "--json", path)
    assert run.returncode == 1
    json.loads(run.stdout, parse_constant=lambda c: pytest.fail(f"not JSON: {c}"))


def test_inputs_table_feeds_back_as_assumptions():
    table = invoke("XLMODEL_INPUTS", "essay")
    assert invoke("BREAKEVEN_LAUNCH_COST", table) == [[pytest.approx(400, rel=1e-12)]]
