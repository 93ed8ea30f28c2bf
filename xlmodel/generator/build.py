"""Build the template workbooks: write them with openpyxl, compute every formula headlessly,
then store the results as cached values, mark the spills as dynamic arrays and pin the
package so that two builds give the same bytes.

Order matters: any openpyxl load+save after the post-processing would drop the cached values
and the dynamic-array metadata, so the post-processing works on the zip and comes last.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from xlmodel import ooxml, udf_bridge
from xlmodel.catalogue import FUNCTIONS
from xlmodel.errors import WorkbookError
from xlmodel.formula import NATIVE_FUNCTIONS, Engine, Formula, lint_formula

from . import economics
from .writer import Book

#: Every template, by name: a function that writes it.
TEMPLATES: dict[str, Callable[[], Book]] = {economics.NAME: economics.build}

#: Fixed package time, so that builds are byte-identical.
PINNED_TIME = "2026-01-01T00:00:00Z"


@dataclass(frozen=True)
class Built:
    """What a build wrote."""

    name: str
    xlsx: Path
    xlsm: Path
    values: dict
    """(sheet, ref) -> computed value of every formula cell and spilled cell."""
    names: dict


def lint(book: Book) -> list[str]:
    """Formulas the headless harness could not evaluate: none may reach a template."""
    known = set(NATIVE_FUNCTIONS) | {f.name for f in FUNCTIONS} | {"LET"}
    sheets = [ws.title for ws in book.wb.worksheets]
    problems = []
    for ws in book.wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                text = _formula_text(c.value)
                if text is None:
                    continue
                for p in lint_formula(text[1:], known_functions=known,
                                      defined_names=book.names, sheets=sheets):
                    problems.append(f"{ws.title}!{c.coordinate}: {p}")
    return problems


def _formula_text(value) -> str | None:
    text = getattr(value, "text", value)  # ArrayFormula keeps its text in .text
    if isinstance(text, str) and text.startswith("="):
        return text
    return None


def vba_project() -> bytes:
    """xlwings' own VBA project (its quickstart workbook's), which 'Import Functions' needs."""
    import xlwings

    path = Path(xlwings.__file__).with_name("quickstart.xlsm")
    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/vbaProject.bin")


def compute(path: Path, spills) -> tuple[dict, dict]:
    """Every formula's value in the saved workbook at ``path``, by (sheet, ref).

    Returns (values, spill ranges by anchor).
    """
    data = ooxml.read_workbook(path)
    anchors = {(s.sheet, s.anchor) for s in spills}
    cells = {}
    for cell in data.iter_cells():
        key = (cell.sheet, cell.row, cell.col)
        if cell.formula is not None:
            dynamic = (cell.sheet, cell.ref) in anchors or cell.dynamic
            cells[key] = Formula(cell.formula, cell.array_ref, dynamic=dynamic)
        elif cell.value is not None:
            cells[key] = cell.value
    names = {n.name: n.text for n in data.defined_names if n.workbook_scoped}
    engine = Engine(cells, names, data.sheet_names)
    udf_bridge.register(engine)
    result = engine.calculate()
    values = {}
    for (sheet, row, col), v in result.items():
        if isinstance(cells.get((sheet, row, col)), Formula):
            values[(sheet, ooxml.make_ref(row, col))] = v
    spilled = {}
    for (sheet, row, col), ref in engine.spills.items():
        spilled[(sheet, ooxml.make_ref(row, col))] = ref
        for r in range(ref.r1, ref.r2 + 1):
            for c in range(ref.c1, ref.c2 + 1):
                values[(sheet, ooxml.make_ref(r, c))] = result.get((sheet, r, c))
    return values, spilled


def build_template(name: str, outdir: Path) -> Built:
    """Build template ``name`` into ``outdir`` as .xlsx and .xlsm; nothing half-written."""
    if name not in TEMPLATES:
        raise WorkbookError(f"no template {name!r}; templates: {', '.join(TEMPLATES)}")
    book = TEMPLATES[name]()
    problems = lint(book)
    if problems:
        raise WorkbookError(f"{name}: formulas the harness cannot evaluate: {problems[0]}"
                            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    book.wb.code_name = "ThisWorkbook"  # the document modules of xlwings' VBA project
    for k, ws in enumerate(book.wb.worksheets[:2], start=1):
        ws.sheet_properties.codeName = f"Sheet{k}"
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    xlsx, xlsm = outdir / f"{name}.xlsx", outdir / f"{name}.xlsm"
    with tempfile.TemporaryDirectory(dir=outdir, prefix=".xlmodel-build-") as tmp:
        tmp = Path(tmp)
        raw = tmp / "raw.xlsx"
        book.wb.save(raw)
        values, spilled = compute(raw, book.spills)
        for s in book.spills:
            got = spilled.get((s.sheet, s.anchor))
            want = ooxml.parse_range(s.ref)
            if got is None or (got.r1, got.c1, got.r2, got.c2) != want:
                raise WorkbookError(f"{name}: {s.sheet}!{s.anchor} was laid out for {s.ref} "
                                    f"but spills {got}")
        cached = tmp / "cached.xlsx"
        ooxml.write_cached_values(raw, cached, values,
                                  dynamic=[(s.sheet, s.anchor) for s in book.spills])
        staged_xlsx = tmp / "out.xlsx"
        ooxml.pin_package(cached, staged_xlsx, timestamp=PINNED_TIME)
        with_vba = tmp / "vba.xlsm"
        ooxml.inject_vba(staged_xlsx, with_vba, vba_project())
        staged_xlsm = tmp / "out.xlsm"
        ooxml.pin_package(with_vba, staged_xlsm, timestamp=PINNED_TIME)
        os.replace(staged_xlsx, xlsx)
        os.replace(staged_xlsm, xlsm)
    return Built(name, xlsx, xlsm, values, dict(book.names))


def build_all(outdir: Path, names=None) -> list[Built]:
    return [build_template(n, outdir) for n in (names or TEMPLATES)]
