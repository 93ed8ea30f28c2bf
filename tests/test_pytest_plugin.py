"""The pytest plugin: workbooks under the configured folders are collected and checked."""

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl

from xlmodel import workbook

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbooks" / "ai_compute_economics.xlsx"


def run_pytest(folder, *args):
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=folder, capture_output=True, text=True, timeout=180)


def project(tmp_path, ini_extra=""):
    (tmp_path / "books").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\ntestpaths = books other\nxlmodel_workbooks = books\n" + ini_extra)
    shutil.copyfile(TEMPLATE, tmp_path / "books" / "good.xlsx")
    # a workbook outside the configured folder is not collected
    shutil.copyfile(TEMPLATE, tmp_path / "other" / "ignored.xlsx")
    return tmp_path


def test_collects_one_item_per_workbook_and_passes(tmp_path):
    run = run_pytest(project(tmp_path), "-v")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "good.xlsx::good.xlsx[local] PASSED" in run.stdout
    assert "ignored.xlsx" not in run.stdout
    run = run_pytest(tmp_path, "-v", "--xlmodel-mode", "full")
    assert run.returncode == 0 and "good.xlsx[full] PASSED" in run.stdout


def test_failure_message_is_the_cell_table(tmp_path):
    folder = project(tmp_path)
    wb = openpyxl.load_workbook(TEMPLATE)
    sheet, ref = next(iter(wb.defined_names["p_star"].destinations))
    ref = ref.replace("$", "")
    workbook.write_cached_values(TEMPLATE, folder / "books" / "bad.xlsx", {(sheet, ref): 7.0})
    run = run_pytest(folder)
    assert run.returncode == 1
    assert f"{sheet}!{ref}" in run.stdout and "BREAKEVEN_LAUNCH_COST" in run.stdout
    assert "1 failed, 1 passed" in run.stdout
    # a looser tolerance does not hide a real change; rtol=1 does
    assert run_pytest(folder, "--xlmodel-rtol", "1e-3").returncode == 1
    assert run_pytest(folder, "--xlmodel-rtol", "1e3").returncode == 0


def test_unreadable_workbook_fails_its_item_with_one_line(tmp_path):
    folder = project(tmp_path)
    (folder / "books" / "broken.xlsx").write_bytes(b"not a workbook")
    run = run_pytest(folder)
    assert run.returncode == 1
    assert "not a zip" in run.stdout and "Traceback" not in run.stdout


def test_plugin_is_inert_without_configuration(tmp_path):
    shutil.copyfile(TEMPLATE, tmp_path / "book.xlsx")
    (tmp_path / "test_x.py").write_text("def test_x():\n    pass\n")
    run = run_pytest(tmp_path, "-v")
    assert run.returncode == 0 and "book.xlsx" not in run.stdout
