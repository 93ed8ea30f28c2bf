"""The template workbooks: built right, reproducible, readable without Excel, and checked
against LibreOffice as a second formula engine."""

import functools
import io
import os
import platform
import re
import statistics
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from xlmodel.errors import ExcelError
from xlmodel.functions.catalogue import FUNCTIONS, function_names
from xlmodel.harness.libreoffice import (
    _calls_udf,
    pdf_page_texts,
    pdf_word_heights,
    print_pdf,
    recalculate,
    require_soffice,
    to_pdf,
)
from xlmodel.model.inputs import INPUTS, SCENARIOS
from xlmodel.template.build import TEMPLATES, build_all, lint
from xlmodel.template.economics import CLAIMS

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
    inputs = inputs.set_index("Name")
    assert inputs.loc["facility_capex_per_w", "Value used"] == pytest.approx(13.8)
    assert inputs.loc["launch_cost_per_kg", "Value used"] == pytest.approx(3600)
    assert inputs.loc["launch_cost_per_kg", "Input"] == "Launch price today"
    model = pd.read_excel(path, sheet_name="Model", header=3, engine=engine)
    model = model.set_index("Quantity")
    hurdle = model.loc["Annualized token return (hurdle rate)"]
    assert hurdle["Python"] == pytest.approx(1.0)
    assert hurdle["Native"] == pytest.approx(1.0)
    p_star = model.loc["Breakeven launch cost p*", "Python"]
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


def test_values_are_cached_so_nothing_forces_a_recalculation_on_open():
    with zipfile.ZipFile(COMMITTED / "ai_compute_economics.xlsx") as zf:
        workbook = zf.read("xl/workbook.xml").decode()
    calc = re.search(r"<calcPr[^>]*>", workbook).group(0)
    assert 'fullCalcOnLoad="1"' not in calc and "fullCalcOnLoad=\"true\"" not in calc


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
    assert len(anchors) == 6  # three curves, what must be true, tornado, Monte Carlo


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


def test_inputs_are_named_labelled_validated_and_sourced():
    wb = openpyxl.load_workbook(COMMITTED / "ai_compute_economics.xlsx")
    ws = wb["Inputs"]
    for i in INPUTS:
        assert i.name in wb.defined_names, i.name
        sheet, ref = next(iter(wb.defined_names[i.name].destinations))
        assert sheet == "Inputs"
        row = ws[ref.replace("$", "")].row
        label, name, unit = ws.cell(row, 1).value, ws.cell(row, 2).value, ws.cell(row, 6).value
        assert name == i.name
        assert label and "_" not in label, label  # a human label beside the model name
        assert ws.cell(row, 11).value == i.source
        # rates stored as fractions read as percentages; other units as the model has them
        if i.unit == "1/yr" and i.name != "launch_mass_doublings_per_year":
            assert (unit, ws.cell(row, 3).number_format) == ("%/yr", "0.0%"), i.name
        elif i.name in ("launch_learning_rate", "sun_fraction"):
            assert (unit, ws.cell(row, 3).number_format) == ("%", "0.0%"), i.name
        else:
            assert unit and unit != "-", i.name
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
    documented = {wb["Functions"].cell(r, 1).value for r in range(1, 200)}
    for f in FUNCTIONS:
        assert f.signature in documented


def test_lint_accepts_the_templates_and_catches_what_the_harness_cannot_read():
    from xlmodel.template.economics import build

    book = build()
    assert lint(book) == []
    ws = book.wb["Model"]
    ws["H1"] = "=SUM(Table1[Col])"
    ws["H2"] = "=NO_SUCH_FUNCTION(1)"
    problems = lint(book)
    assert any("H1" in p for p in problems) and any("H2" in p for p in problems)


def _all_formulas(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                text = getattr(c.value, "text", c.value)
                if isinstance(text, str) and text.startswith("="):
                    yield f"{ws.title}!{c.coordinate}", text


def test_no_formula_in_the_committed_workbook_types_a_number_but_0_1_100():
    """Scanned independently of the build's lint, with a plain pattern on the saved file."""
    wb = openpyxl.load_workbook(COMMITTED / "ai_compute_economics.xlsx")
    number = re.compile(r"(?<![A-Za-z0-9_.$:])(\d+(?:\.\d*)?(?:[Ee][+-]?\d+)?)(?![A-Za-z0-9_(:!])")
    found = []
    for where, text in _all_formulas(wb):
        bare = re.sub(r'"(?:[^"]|"")*"', '""', text)  # strings are not numbers
        bare = re.sub(r"'(?:[^']|'')*'!", "", bare)  # nor quoted sheet names
        bare = re.sub(r"\$?[A-Z]{1,3}\$?\d+", "A1", bare)  # nor cell references
        found += [(where, n) for n in number.findall(bare) if float(n) not in (0, 1, 100)]
    assert not found, found[:10]
    assert sum(1 for _ in _all_formulas(wb)) > 400  # the scan saw the workbook's formulas


@pytest.mark.parametrize("formula", ["=pue*8.766*electricity_price_per_kwh",
                                     "=tokens_per_joule*31557600", "=IF(A1>2,1,0)",
                                     "=pue-1E-300"])
def test_lint_refuses_numbers_typed_into_formulas(formula):
    from xlmodel.template.economics import build

    book = build()
    book.wb["Model"]["H1"] = formula
    problems = lint(book)
    assert len(problems) == 1 and "Model!H1" in problems[0] and "typed into" in problems[0]


def test_build_refuses_a_template_that_fails_the_lint(tmp_path, monkeypatch):
    from xlmodel.errors import WorkbookError
    from xlmodel.template import build as build_mod
    from xlmodel.template import economics

    def with_literal():
        book = economics.build()
        book.wb["Model"]["H1"] = "=pue*8.766"
        return book

    monkeypatch.setitem(build_mod.TEMPLATES, economics.NAME, with_literal)
    with pytest.raises(WorkbookError, match="8.766"):
        build_mod.build_template(economics.NAME, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["crossover_year", "Breakeven_Launch_Cost", "sum", "rate"])
def test_lint_refuses_a_defined_name_that_spells_a_function(name):
    """LibreOffice reads CROSSOVER_YEAR(...) as the name crossover_year (Err:509)."""
    from xlmodel.template.economics import build

    book = build()
    book.define(name, "Model", "$H$1")
    problems = lint(book)
    assert any(f"defined name {name!r}" in p for p in problems), problems


def test_every_sheet_has_a_page_setup_and_the_conf_sheet_does_not_print():
    wb = openpyxl.load_workbook(COMMITTED / "ai_compute_economics.xlsx")
    for ws in wb.worksheets:
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage, ws
        assert ws.oddHeader.left.text == "&A" and "xlmodel" in ws.oddHeader.right.text, ws
        assert "&P" in ws.oddFooter.right.text
        if ws.title == "xlwings.conf":
            # hidden, and without a print area (LibreOffice prints a hidden sheet that has one)
            assert ws.sheet_state == "hidden" and not ws.print_area
        else:
            assert ws.sheet_state == "visible" and ws.print_area, ws.title
    wide = [ws.title for ws in wb.worksheets if ws.page_setup.orientation == "landscape"]
    assert {"Inputs", "Model", "Curves", "Sensitivity", "Monte Carlo"} <= set(wide)
    for ws in wb.worksheets:
        assert ws.print_title_rows, ws.title
    for title in ("Inputs", "Scenarios", "Model", "Checks", "Functions"):  # their header row
        assert wb[title].print_title_rows != "$1:$1", title


def test_formulas_are_short_and_free_of_offset_and_indirect():
    """The review found one formula of about 400 characters."""
    wb = openpyxl.load_workbook(COMMITTED / "ai_compute_economics.xlsx")
    formulas = dict(_all_formulas(wb))
    longest = max(formulas, key=lambda w: len(formulas[w]))
    assert len(formulas[longest]) <= 180, (longest, formulas[longest])
    assert not [w for w, f in formulas.items() if re.search(r"\b(OFFSET|INDIRECT)\(", f)]


def test_charts_plot_the_native_columns_with_titles_and_axis_titles():
    with zipfile.ZipFile(COMMITTED / "ai_compute_economics.xlsx") as zf:
        charts = [zf.read(n).decode() for n in sorted(zf.namelist())
                  if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
    assert len(charts) == 7
    # chart parts as openpyxl writes them: the chart namespace is the default one
    refs = [r for xml in charts for r in re.findall(r"<(?:c:)?f>([^<]+)</(?:c:)?f>", xml)]
    curves = [r for r in refs if r.startswith("'Curves'")]
    # the Python spills sit in A:B, G:H and O:P; the native years and values beside them
    python_cols = {"A", "B", "G", "H", "O", "P"}
    used = {m for r in curves for m in re.findall(r"\$([A-Z]+)\$", r)}
    assert used and not used & python_cols, used
    for xml in charts:
        titles = re.findall(r"<(?:c:)?title>", xml)
        assert len(titles) == 3, "a chart title and two axis titles"
    launch = next(x for x in charts if "Launch price" in x)
    assert re.search(r'<(?:c:)?logBase val="10"', launch)  # the crossover reads plainly
    assert "reaches p*" in launch and "reaches p**" in launch


def test_docs_show_every_sheet():
    wb = openpyxl.load_workbook(COMMITTED / "ai_compute_economics.xlsx", read_only=True)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for title in wb.sheetnames:
        if title == "xlwings.conf":
            continue
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower())
        png = DOCS / f"ai-compute-economics-{slug}.png"
        assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert f"docs/images/{png.name}" in readme


# --- LibreOffice as the second engine ---------------------------------------------------------

SCENARIO_NAMES = [sc.name for sc in SCENARIOS]


def _build_scenario(name: str, outdir: Path) -> Path:
    """The template built with the Inputs sheet's scenario set to ``name``, values cached."""
    from xlmodel.template import build as build_mod
    from xlmodel.template import economics

    saved = build_mod.TEMPLATES[economics.NAME]
    build_mod.TEMPLATES[economics.NAME] = functools.partial(economics.build, name)
    try:
        return build_mod.build_template(economics.NAME, outdir).xlsx
    finally:
        build_mod.TEMPLATES[economics.NAME] = saved


@pytest.fixture(scope="module")
def scenario_books(tmp_path_factory):
    require_soffice()
    out = {}
    for name in SCENARIO_NAMES:
        path = (_build_scenario(name, tmp_path_factory.mktemp(name)) if name != "base"
                else COMMITTED / "ai_compute_economics.xlsx")
        out[name] = (path, recalculate(path, udf_names=function_names()))
    xlsm = COMMITTED / "ai_compute_economics.xlsm"  # the macro-enabled twin of base
    out["base (.xlsm)"] = (xlsm, recalculate(xlsm, udf_names=function_names()))
    return out


def _same(saved, libre) -> bool:
    if saved in (None, "") and libre in (None, ""):
        return True
    if isinstance(saved, ExcelError) or isinstance(libre, ExcelError):
        return saved == libre
    if isinstance(saved, bool) or isinstance(libre, bool):
        return saved == libre
    if isinstance(saved, (int, float)) and isinstance(libre, (int, float)):
        return libre == pytest.approx(saved, rel=1e-9, abs=1e-12)
    return saved == libre


def _native_cells(path):
    """(sheet, ref, saved value) of every formula cell that calls no add-in function."""
    formulas = openpyxl.load_workbook(path)
    saved = openpyxl.load_workbook(path, data_only=True)
    udfs = frozenset(function_names())
    for where, text in _all_formulas(formulas):
        if _calls_udf(text, udfs):
            continue
        sheet, ref = where.rsplit("!", 1)
        yield sheet, ref, as_value(saved[sheet][ref].value)


@pytest.mark.parametrize("scenario", [*SCENARIO_NAMES, "base (.xlsm)"])
def test_libreoffice_recomputes_every_native_cell_as_saved(scenario_books, scenario):
    """Add-in cells frozen at their saved values, LibreOffice recomputes every native cell of
    the workbook (twins, working, checks, labels) and agrees with the cached values."""
    path, libre = scenario_books[scenario]
    compared, wrong = 0, []
    for sheet, ref, saved in _native_cells(path):
        got = libre[sheet].get(ref)
        compared += 1
        if not _same(saved, got):
            wrong.append(f"{sheet}!{ref}: saved {saved!r}, LibreOffice {got!r}")
    assert not wrong, f"{len(wrong)} of {compared}: " + "; ".join(wrong[:8])
    assert compared > 400
    sheet, ref = next(iter(openpyxl.load_workbook(path).defined_names["master_check"]
                           .destinations))
    assert libre[sheet][ref.replace("$", "")] == 1, "the master check fails"


def test_scenarios_give_their_published_breakeven(scenario_books):
    """The essay's reconstruction: (19 - 9) x 40 = $400/kg, computed by LibreOffice's twins;
    with the energy bill: + 1.2 x 8.766 x 0.08 x 40 x 5 = $168.3/kg."""
    wb = openpyxl.load_workbook(COMMITTED / "ai_compute_economics.xlsx")
    sheet, ref = next(iter(wb.defined_names["p_star_native"].destinations))
    ref = ref.replace("$", "")
    assert scenario_books["essay"][1][sheet][ref] == pytest.approx((19 - 9) * 40, rel=1e-12)
    energy = 1.2 * 8.766 * 0.08 * 40 * 5
    assert scenario_books["essay_energy"][1][sheet][ref] == pytest.approx(400 + energy,
                                                                           rel=1e-12)


def test_mass_and_cadence_twins_give_the_published_figures(scenario_books):
    """design/model.md section 8, computed by LibreOffice's native twins: $200/kg at about
    368,300 t, $300/kg at 104,400 t; Starlink V2 Mini 575 kg, 28 kW, 5 yr: 575 x 3600 /
    (28 x 5) = $14,786 per kW-year; and the essay's 1 GW at 40 W/kg with no oversizing:
    1e9 / 40 / 1000 = 25,000 t, 250 flights of 100 t."""
    wb = openpyxl.load_workbook(COMMITTED / "ai_compute_economics.xlsx")

    def native(scenario, name):
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        return scenario_books[scenario][1][sheet][ref.replace("$", "")]

    assert native("base", "mass_for_target_native") == pytest.approx(368_300, abs=50)
    assert native("base", "price_at_mass_native") == pytest.approx(300, abs=0.5)
    assert native("base", "kw_year_today_native") == pytest.approx(575 * 3600 / (28 * 5),
                                                                   rel=1e-12)
    assert native("essay", "deploy_mass_native") == pytest.approx(25_000, rel=1e-12)
    assert native("essay", "deploy_flights_native") == 250


@pytest.mark.parametrize("scenario", SCENARIO_NAMES)
def test_sensitivity_has_no_error_under_any_scenario(scenario_books, scenario):
    """Tornado and Monte Carlo ranges widen to include each scenario's values (the 5-year
    facility life of 'essay' lies below the base range 10-20)."""
    path, _ = scenario_books[scenario]
    saved = openpyxl.load_workbook(path, data_only=True)
    for title in ("Sensitivity", "Monte Carlo"):
        errors = [c.coordinate for row in saved[title].iter_rows() for c in row
                  if isinstance(c.value, str) and c.value.startswith("#")]
        assert not errors, (title, errors[:5])


def test_twins_never_read_a_python_cell(tmp_path):
    """Every add-in cell (and spilled cell) replaced by nonsense: LibreOffice's twins and their
    working still give the saved values."""
    require_soffice()
    path = COMMITTED / "ai_compute_economics.xlsx"
    wb = openpyxl.load_workbook(path)
    udfs = frozenset(function_names())
    poisoned = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                text = getattr(c.value, "text", c.value)
                if isinstance(text, str) and text.startswith("=") and _calls_udf(text, udfs):
                    ref = getattr(c.value, "ref", None) or c.coordinate
                    for cells in ws[ref] if ":" in ref else ((ws[ref],),):
                        for cell in cells:
                            cell.value = -12345.0
                            poisoned.add((ws.title, cell.coordinate))
    copy = tmp_path / "poisoned.xlsx"
    wb.save(copy)
    libre = recalculate(copy)
    saved = openpyxl.load_workbook(path, data_only=True)
    twins = [n for n in wb.defined_names if n.endswith("_native")
             and next(iter(wb.defined_names[n].destinations))[0] == "Model"]
    assert len(twins) == 13
    checked = 0
    for name in twins:
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        ref = ref.replace("$", "")
        assert _same(as_value(saved[sheet][ref].value), libre[sheet].get(ref)), name
        checked += 1
    curves = saved["Curves"]
    for col in ("C", "D", "I", "J", "Q", "R"):  # the native years and values
        for r in range(8, 24):
            if (curves[f"{col}{r}"].value is not None and ("Curves", f"{col}{r}")
                    not in poisoned):
                assert _same(curves[f"{col}{r}"].value, libre["Curves"].get(f"{col}{r}")), \
                    f"Curves!{col}{r}"
                checked += 1
    assert checked > 13 + 16 * 4


def test_curve_years_follow_from_and_to_natively(tmp_path):
    """From 2030 to 2045: LibreOffice's native years and prices follow, worked by hand from
    Wright's law p0 (1 - LR)^(m (t - t0)) with the base inputs."""
    require_soffice()
    wb = openpyxl.load_workbook(COMMITTED / "ai_compute_economics.xlsx")
    for name, value in (("curve_start_year", 2030), ("curve_end_year", 2045)):
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        wb[sheet][ref.replace("$", "")] = value
    path = tmp_path / "years.xlsx"
    wb.save(path)
    curves = recalculate(path)["Curves"]
    years = [curves[f"I{r}"] for r in range(8, 24)]
    assert years == list(range(2030, 2046))
    assert [curves[f"C{r}"] for r in range(8, 24)] == years
    base = {i.name: i.default for i in INPUTS}
    for r, t in zip(range(8, 24), years, strict=True):
        price = base["launch_cost_per_kg"] * (1 - base["launch_learning_rate"]) ** (
            base["launch_mass_doublings_per_year"] * (t - base["launch_base_year"]))
        assert curves[f"J{r}"] == pytest.approx(price, rel=1e-12)


def test_libreoffice_without_the_add_in_counts_python_errors_as_failures():
    """LibreOffice shows #NAME? in every add-in cell: no check may count that as agreement,
    and the master check shows the failure."""
    require_soffice()
    path = COMMITTED / "ai_compute_economics.xlsx"
    libre = recalculate(path)  # add-in cells not frozen
    wb = openpyxl.load_workbook(path)

    def value(name):
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        return libre[sheet].get(ref.replace("$", ""))

    assert value("p_star") == ExcelError("#NAME?")
    assert value("p_star_native") == pytest.approx(
        openpyxl.load_workbook(path, data_only=True)["Model"]["E16"].value, rel=1e-9)
    checks = [n for n in wb.defined_names if n.startswith("check_")
              and next(iter(wb.defined_names[n].destinations))[0] == "Model"]
    assert len(checks) == 13
    assert all(value(n) == 1 for n in checks), {n: value(n) for n in checks}
    assert value("master_check") == 0


def test_check_cells_fail_on_an_error_unless_both_sides_give_n_a(tmp_path):
    """The check formula, computed by LibreOffice on hand-made pairs."""
    require_soffice()
    from xlmodel.template.writer import check_formula

    pairs = [(2, 2, 0), (2, 3, 1 / 3), (0, 0, 0), ("=NA()", "=NA()", 0), ("=NA()", 5, 1),
             (5, "=NA()", 1), ("=1/0", "=1/0", 1), ("=1/0", 5, 1), (5, "=SQRT(-1)", 1),
             ("=NO_SUCH_ADDIN(1)", "=NA()", 1)]
    wb = openpyxl.Workbook()
    ws = wb.active
    for r, (udf, twin, _) in enumerate(pairs, start=1):
        ws.cell(r, 1, udf)
        ws.cell(r, 2, twin)
        ws.cell(r, 3, check_formula(f"A{r}", f"B{r}"))
    path = tmp_path / "checks.xlsx"
    wb.save(path)
    got = recalculate(path)["Sheet"]
    for r, (_, _, want) in enumerate(pairs, start=1):
        assert got[f"C{r}"] == pytest.approx(want, rel=1e-12), pairs[r - 1]


def as_value(v):
    if isinstance(v, str) and v.startswith("#"):
        return ExcelError(v)
    return v


def test_build_is_atomic_on_failure(tmp_path, monkeypatch):
    from xlmodel import workbook
    from xlmodel.template import build as build_mod

    target = tmp_path / "out"
    build_all(target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(workbook, "inject_vba", boom)
    with pytest.raises(RuntimeError):
        build_mod.build_all(target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before


def test_zip_is_valid_for_spreadsheet_readers():
    data = (COMMITTED / "ai_compute_economics.xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None


# --- printing ---------------------------------------------------------------------------------

A4 = (595.3, 841.9)  # points


def _page_sizes(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True,
                          text=True, check=True).stdout
    return [(float(w), float(h)) for w, h in
            re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    require_soffice(pdftoppm=True)
    out = tmp_path_factory.mktemp("pdf")
    path = COMMITTED / "ai_compute_economics.xlsx"
    pdf = out / "as-rendered.pdf"
    pages = print_pdf(path, pdf, udf_names=function_names(), skip_sheets=())
    return path, pdf, pages


def test_printing_gives_every_visible_sheet_on_a4_and_never_the_conf_sheet(printed):
    path, pdf, pages = printed
    wb = openpyxl.load_workbook(path)
    visible = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert list(dict.fromkeys(pages)) == visible
    texts = pdf_page_texts(pdf)
    assert len(texts) == len(pages) == len(_page_sizes(pdf))
    assert not any("UDF Modules" in t or "xlwings.conf " in t.splitlines()[0] for t in texts)
    for sheet, (width, height) in zip(pages, _page_sizes(pdf), strict=True):
        landscape = wb[sheet].page_setup.orientation == "landscape"
        want = (A4[1], A4[0]) if landscape else A4
        assert (width, height) == pytest.approx(want, abs=1), sheet
    assert len(pages) <= 20  # was 46 portrait pages for fewer sheets before the page setup


def test_no_chart_is_split_and_no_sheet_is_wider_than_a_page(printed):
    path, pdf, pages = printed
    wb = openpyxl.load_workbook(path)
    texts = pdf_page_texts(pdf)
    for ws in wb.worksheets:
        n = pages.count(ws.title)
        if ws._charts:
            # the pages break only where the sheet says, and never inside a chart
            breaks = sorted(b.id for b in ws.row_breaks.brk)
            assert n == len(breaks) + 1, f"{ws.title}: {n} pages for {len(breaks)} breaks"
            for chart in ws._charts:
                top, bottom = _chart_rows(ws, chart)
                assert not [b for b in breaks if top <= b < bottom], (ws.title, top, bottom)
        if n > 1:
            # a sheet over several pages repeats its header row on each: the first and the
            # last heading on every page mean the page holds the sheet's full width
            assert ws.print_title_rows, ws.title
            row = int(ws.print_title_rows.split(":")[0].strip("$"))
            heads = [c.value for c in ws[row] if c.value]
            for text in (t for t, p in zip(texts, pages, strict=True) if p == ws.title):
                assert heads[0] in text and heads[-1] in text, (ws.title, heads)


def _chart_rows(ws, chart) -> tuple[int, int]:
    """First and last row (1-based) a chart covers: its anchor and its height over the rows'
    heights (15 pt unless set; 12,700 EMU a point)."""
    anchor = chart.anchor
    top = anchor._from.row + 1
    height_pt, row = anchor.ext.height / 12700, top
    while height_pt > 0:
        height_pt -= ws.row_dimensions[row].height or 15
        row += 1
    return top, row - 1


def test_printed_text_is_legible(printed):
    """Median height of the words' boxes on each page: 10 pt text at full size gives about
    12 pt; at least 7 pt means no page shrinks its text below about 58 %."""
    _, pdf, pages = printed
    heights = pdf_word_heights(pdf)
    assert len(heights) == len(pages)
    for sheet, page in zip(pages, heights, strict=True):
        assert page and statistics.median(page) >= 7, (sheet, statistics.median(page))


def test_libreoffice_prints_the_workbook_itself_the_same_way(printed, tmp_path):
    """Printed as it is, without the render's copy: the same pages, and xlwings.conf absent."""
    path, pdf, pages = printed
    direct = to_pdf(path, tmp_path / "direct.pdf")
    assert _page_sizes(direct) == _page_sizes(pdf)
    assert not any("UDF Modules" in t for t in pdf_page_texts(direct))


def test_master_check_catches_an_invalid_scenario_value(tmp_path):
    """A sun fraction of 1.5 typed into the 'essay' column (written into the file as Excel
    would save it): LibreOffice's native checks flag the scenario, and the master check fails
    although the scenario picked is base."""
    require_soffice()
    from xlmodel import workbook

    src = COMMITTED / "ai_compute_economics.xlsx"
    wb = openpyxl.load_workbook(src)
    ws = wb["Scenarios"]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "Name")
    row = next(r for r in range(header, ws.max_row + 1) if ws.cell(r, 2).value == "sun_fraction")
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(header, c).value == "essay")
    path = tmp_path / "bad.xlsx"
    workbook.write_cached_values(src, path, {("Scenarios", ws.cell(row, col).coordinate): 1.5})
    libre = recalculate(path, udf_names=function_names())

    def value(name):
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        return libre[sheet][ref.replace("$", "")]

    assert value("checks_failed") == 1
    assert value("master_check") == 0
