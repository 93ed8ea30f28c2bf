"""The template workbooks: built right, reproducible, readable without Excel, and checked
against LibreOffice as a second formula engine."""

import io
import os
import platform
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from xlmodel.catalogue import FUNCTIONS, function_names
from xlmodel.errors import ExcelError
from xlmodel.generator.build import TEMPLATES, build_all, lint
from xlmodel.generator.economics import CLAIMS
from xlmodel.inputs import INPUTS
from xlmodel.libreoffice import recalculate, require_soffice

from .test_portable import reduced_cpu_features

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "workbooks"
DOCS = ROOT / "docs" / "images"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    out = tmp_path_factory.mktemp("built")
    return {b.name: b for b in build_all(out)}


def test_committed_workbooks_match_a_fresh_build(fresh):
    for built in fresh.values():
        for path in (built.xlsx, built.xlsm):
            committed = COMMITTED / path.name
            assert committed.exists(), f"{committed.name} is not committed: run `xlmodel build`"
            assert committed.read_bytes() == path.read_bytes(), (
                f"{committed.name} differs from a fresh build: run `xlmodel build` and commit")


def _smaller_cpu(kind: str) -> dict[str, str]:
    if kind == "numpy kernels":
        # numpy dispatches other SIMD kernels on a CPU without AVX-512 or AVX2
        disabled = reduced_cpu_features()
        return {"NPY_DISABLE_CPU_FEATURES": disabled} if disabled else {}
    # glibc's libm picks FMA variants of exp, log and pow on CPUs that have FMA
    if platform.machine() not in ("x86_64", "AMD64") or platform.libc_ver()[0] != "glibc":
        return {}
    return {"GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX512F,-AVX2,-FMA,-AVX"}


@pytest.mark.parametrize("kind", ["numpy kernels", "libm variants"])
def test_a_build_on_a_smaller_cpu_matches_the_committed_workbooks(tmp_path, kind):
    """The README's first command must leave git clean on any machine."""
    setting = _smaller_cpu(kind)
    if not setting:
        pytest.skip(f"no {kind} to switch off on this machine")
    env = dict(os.environ, **setting,
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "udfs")]))
    subprocess.run([sys.executable, "-m", "xlmodel", "build", "--out", str(tmp_path)],
                   env=env, check=True, capture_output=True)
    for name in TEMPLATES:
        for ext in ("xlsx", "xlsm"):
            built = (tmp_path / f"{name}.{ext}").read_bytes()
            assert built == (COMMITTED / f"{name}.{ext}").read_bytes(), (
                f"{name}.{ext} built with {setting} differs from the committed file")


def test_two_builds_are_byte_identical(fresh, tmp_path):
    again = {b.name: b for b in build_all(tmp_path)}
    for name, built in fresh.items():
        assert again[name].xlsx.read_bytes() == built.xlsx.read_bytes()
        assert again[name].xlsm.read_bytes() == built.xlsm.read_bytes()


def test_build_leaves_nothing_behind(fresh):
    folder = next(iter(fresh.values())).xlsx.parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{n}.{ext}" for n in TEMPLATES for ext in ("xlsx", "xlsm"))


@pytest.mark.parametrize("engine", ["openpyxl", "calamine"])
def test_pandas_reads_inputs_and_model_as_numbers(engine):
    path = COMMITTED / "ai_compute_economics.xlsx"
    inputs = pd.read_excel(path, sheet_name="Inputs", header=5, engine=engine)
    inputs = inputs.set_index("Input")
    assert inputs.loc["facility_capex_per_w", "Value used"] == pytest.approx(13.8)
    assert inputs.loc["launch_cost_per_kg", "Value used"] == pytest.approx(3600)
    model = pd.read_excel(path, sheet_name="Model", header=3, engine=engine)
    model = model.set_index("Quantity")
    hurdle = model.loc["Annualized token return (hurdle rate)"]
    assert hurdle["Python function"] == pytest.approx(1.0)
    assert hurdle["Native formula"] == pytest.approx(1.0)
    p_star = model.loc["Breakeven launch cost p*", "Python function"]
    assert isinstance(p_star, float) and p_star < 0  # base: even a free launch loses


def test_openpyxl_data_only_sees_every_formula_value(fresh):
    computed = fresh["ai_compute_economics"].values
    path = COMMITTED / "ai_compute_economics.xlsx"
    formulas = openpyxl.load_workbook(path)
    values = openpyxl.load_workbook(path, data_only=True)
    missing = []
    for ws in formulas.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    empty_text = computed[(ws.title, c.coordinate)] == ""
                    if values[ws.title][c.coordinate].value is None and not empty_text:
                        missing.append(f"{ws.title}!{c.coordinate}")
    assert not missing, missing[:10]


def test_spills_carry_dynamic_array_metadata():
    with zipfile.ZipFile(COMMITTED / "ai_compute_economics.xlsx") as zf:
        names = zf.namelist()
        assert "xl/metadata.xml" in names
        assert b"XLDAPR" in zf.read("xl/metadata.xml")
        assert b"metadata.xml" in zf.read("xl/_rels/workbook.xml.rels")
        assert b"/xl/metadata.xml" in zf.read("[Content_Types].xml")
        sheets = b"".join(zf.read(n) for n in names if n.startswith("xl/worksheets/sheet"))
    anchors = re.findall(rb'<c r="[A-Z]+\d+"[^>]*cm="1"[^>]*>\s*<f t="array" ref="([^"]+)"',
                         sheets)
    assert len(anchors) == 5  # three curves, tornado, Monte Carlo


def test_xlsm_carries_xlwings_vba_and_conf_sheet():
    path = COMMITTED / "ai_compute_economics.xlsm"
    with zipfile.ZipFile(path) as zf:
        assert "xl/vbaProject.bin" in zf.namelist()
        assert b"macroEnabled" in zf.read("[Content_Types].xml")
        vba = zf.read("xl/vbaProject.bin")
    assert b"xlwings" in vba
    wb = openpyxl.load_workbook(path, keep_vba=True)
    conf = wb["xlwings.conf"]
    settings = {conf.cell(r, 1).value: conf.cell(r, 2).value for r in range(1, conf.max_row + 1)}
    assert settings["UDF Modules"] == "xlmodel_udfs"
    assert (ROOT / "udfs" / "xlmodel_udfs.py").exists()


def test_inputs_are_named_validated_and_sourced():
    wb = openpyxl.load_workbook(COMMITTED / "ai_compute_economics.xlsx")
    for i in INPUTS:
        assert i.name in wb.defined_names, i.name
        sheet, ref = next(iter(wb.defined_names[i.name].destinations))
        assert sheet == "Inputs"
        row = wb["Inputs"][ref.replace("$", "")].row
        assert wb["Inputs"].cell(row, 1).value == i.name
        assert wb["Inputs"].cell(row, 7).value == i.unit
        assert wb["Inputs"].cell(row, 9).value == i.source
    ws = wb["Inputs"]
    assert ws.data_validations.dataValidation, "no data validation on Inputs"
    formulas = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert "=ScenarioNames" in formulas
    assert {"Assumptions", "AssumptionsWithRanges", "Scenario"} <= set(wb.defined_names)


def test_every_claim_has_a_place_and_every_function_is_documented():
    wb = openpyxl.load_workbook(COMMITTED / "ai_compute_economics.xlsx")
    text = " ".join(str(getattr(c.value, "text", c.value)) for ws in wb.worksheets
                    for row in ws.iter_rows() for c in row if c.value is not None)
    for _, _, _, funcs in CLAIMS:
        for f in funcs.split(", "):
            assert f"={f}(" in text or f"{f}(" in text, f
    documented = {wb["Functions"].cell(r, 2).value for r in range(1, 200)}
    for f in FUNCTIONS:
        assert f.signature in documented


def test_lint_accepts_the_templates_and_catches_what_the_harness_cannot_read():
    from xlmodel.generator.economics import build

    book = build()
    assert lint(book) == []
    ws = book.wb["Model"]
    ws["H1"] = "=SUM(Table1[Col])"
    ws["H2"] = "=NO_SUCH_FUNCTION(1)"
    problems = lint(book)
    assert any("H1" in p for p in problems) and any("H2" in p for p in problems)


def test_docs_show_every_sheet():
    wb = openpyxl.load_workbook(COMMITTED / "ai_compute_economics.xlsx", read_only=True)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for title in wb.sheetnames:
        if title == "xlwings.conf":
            continue
        png = DOCS / f"ai-compute-economics-{title.lower()}.png"
        assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert f"docs/images/{png.name}" in readme


# --- LibreOffice as the second engine ---------------------------------------------------------

def _num(v):
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else v


@pytest.fixture(scope="module", params=["xlsx", "xlsm"])
def libre_values(request):
    require_soffice()
    path = COMMITTED / f"ai_compute_economics.{request.param}"
    return path, recalculate(path, udf_names=function_names())


def _agree(udf, native, where):
    if isinstance(udf, ExcelError) or isinstance(native, ExcelError):
        assert udf == native, where
    else:
        assert native == pytest.approx(udf, rel=1e-9, abs=1e-12), where


def test_native_twins_computed_by_libreoffice_match_the_python_values(libre_values):
    path, libre_values = libre_values
    saved = openpyxl.load_workbook(path, data_only=True)
    formulas = openpyxl.load_workbook(path)["Model"]
    model, curves = saved["Model"], saved["Curves"]
    lo_model, lo_curves = libre_values["Model"], libre_values["Curves"]
    checked = 0
    for r in range(1, model.max_row + 1):
        udf = model.cell(r, 3).value
        if not str(formulas.cell(r, 3).value).startswith("="):
            continue
        native = lo_model.get(f"D{r}")
        _agree(as_value(udf), as_value(native), f"Model!D{r} {model.cell(r, 1).value}")
        checked += 1
    assert checked == 13
    # the curves: Python spill in one column, native twin in the next
    for py_col, native_col in (("B", "C"), ("G", "H"), ("N", "O")):
        rows = [r for r in range(1, curves.max_row + 1)
                if isinstance(curves[f"{py_col}{r}"].value, float)]
        assert len(rows) >= 5
        for r in rows:
            _agree(curves[f"{py_col}{r}"].value, lo_curves.get(f"{native_col}{r}"),
                   f"Curves!{native_col}{r}")
            checked += 1
    assert checked > 40


def test_libreoffice_check_cells_are_all_zero(libre_values):
    _, libre_values = libre_values
    for sheet, col in (("Model", "E"), ("Curves", "D"), ("Curves", "K"), ("Curves", "P")):
        column = libre_values[sheet]
        header = min(int(ref[len(col):]) for ref, v in column.items()
                     if re.fullmatch(rf"{col}\d+", ref) and v == "Check")
        cells = {ref: v for ref, v in column.items()
                 if re.fullmatch(rf"{col}\d+", ref) and int(ref[len(col):]) > header}
        assert all(isinstance(v, (int, float)) for v in cells.values()), cells
        assert cells, (sheet, col)
        assert max(cells.values()) <= 1e-9, (sheet, col)


def test_scenario_dropdown_drives_the_native_chain(tmp_path):
    """Switch the scenario to 'essay': LibreOffice's native chain gives $400/kg."""
    require_soffice()
    wb = openpyxl.load_workbook(COMMITTED / "ai_compute_economics.xlsx")
    sheet, ref = next(iter(wb.defined_names["Scenario"].destinations))
    wb[sheet][ref.replace("$", "")] = "essay"
    path = tmp_path / "essay.xlsx"
    wb.save(path)
    values = recalculate(path)
    sheet, ref = next(iter(wb.defined_names["p_star_native"].destinations))
    assert values[sheet][ref.replace("$", "")] == pytest.approx((19 - 9) * 40, rel=1e-12)


def as_value(v):
    if isinstance(v, str) and v.startswith("#"):
        return ExcelError(v)
    return v


def test_build_is_atomic_on_failure(tmp_path, monkeypatch):
    from xlmodel import ooxml
    from xlmodel.generator import build as build_mod

    target = tmp_path / "out"
    build_all(target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ooxml, "inject_vba", boom)
    with pytest.raises(RuntimeError):
        build_mod.build_all(target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before


def test_zip_is_valid_for_spreadsheet_readers():
    data = (COMMITTED / "ai_compute_economics.xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
