"""Build the template workbooks: write them with openpyxl, compute every formula headlessly,
then store the results as cached values, mark the spills as dynamic arrays and pin the
package so that two builds give the same bytes.

Order matters: any openpyxl load+save after the post-processing would drop the cached values
and the dynamic-array metadata, so the post-processing works on the zip and comes last.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from xlmodel import workbook
from xlmodel.errors import WorkbookError
from xlmodel.formula import NATIVE_FUNCTIONS, lint_formula
from xlmodel.formula.cellrefs import make_ref, parse_range
from xlmodel.formula.tokenizer import FormulaError, tokenize
from xlmodel.functions.catalogue import FUNCTIONS

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


#: Numbers a template formula may hold: every other constant is a named, labelled cell.
ALLOWED_LITERALS = frozenset({0.0, 1.0, 100.0})

#: Excel's own functions beyond those the formula engine knows: a defined name spelled like
#: one makes LibreOffice read the call as the name (Err:509).
EXCEL_FUNCTIONS = frozenset("""
ACOS ACOSH ADDRESS AREAS ASIN ASINH ATAN ATAN2 ATANH AVEDEV BETADIST BINOMDIST CEILING.MATH
CELL CHAR CHIDIST CHOOSECOLS CHOOSEROWS CLEAN CODE COMBIN CORREL COS COSH COUNTBLANK COVAR
CUMIPMT CUMPRINC DATE DATEDIF DATEVALUE DAY DAYS DB DDB DEGREES DEVSQ DOLLAR DROP EDATE EFFECT
EOMONTH ERROR.TYPE EVEN EXPAND FACT FILTER FIND FISHER FIXED FORECAST FREQUENCY GAMMA GEOMEAN
GROWTH HARMEAN HOUR HYPERLINK IFS INDIRECT INFO INTERCEPT IPMT IRR ISFORMULA ISOWEEKNUM ISPMT
ISREF KURT LAMBDA LARGE LINEST LOGEST LOOKUP MAP MDETERM MINUTE MINVERSE MIRR MMULT MODE MONTH
MROUND NETWORKDAYS NOMINAL NORMDIST NORMINV NORMSDIST NORMSINV NOW NPER ODD OFFSET PEARSON
PERCENTILE PERCENTRANK PERMUT PPMT PROPER QUARTILE QUOTIENT RADIANS RAND RANDARRAY RANDBETWEEN
RANK RATE REDUCE REPLACE ROMAN RSQ SCAN SEARCH SECOND SHEET SHEETS SIN SINH SKEW SLN SLOPE
SMALL SORT SORTBY STANDARDIZE STDEV STDEVP SUBTOTAL SUMX2MY2 SUMX2PY2 SUMXMY2 SWITCH SYD T TAKE
TAN TANH TDIST TEXTJOIN TIME TIMEVALUE TINV TOCOL TOROW TODAY TREND TRIMMEAN TTEST TYPE UNIQUE
VAR VARP VDB WEEKDAY WEEKNUM WORKDAY WRAPCOLS WRAPROWS XIRR XNPV YEAR YEARFRAC
""".split())


def lint(book: Book) -> list[str]:
    """What must not reach a template: formulas the headless harness could not evaluate,
    numbers typed into formulas (other than 0, 1 and 100), and defined names that spell a
    function's name, native or the add-in's."""
    ours = {f.name for f in FUNCTIONS}
    known = set(NATIVE_FUNCTIONS) | ours | {"LET"}
    functions = {n.upper() for n in known | EXCEL_FUNCTIONS}
    sheets = [ws.title for ws in book.wb.worksheets]
    problems = [f"defined name {name!r} spells the function {name.upper()}"
                for name in book.names if name.upper() in functions]
    for ws in book.wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                text = _formula_text(c.value)
                if text is None:
                    continue
                where = f"{ws.title}!{c.coordinate}"
                for p in lint_formula(text[1:], known_functions=known,
                                      defined_names=book.names, sheets=sheets):
                    problems.append(f"{where}: {p}")
                problems += [f"{where}: the number {lit} is typed into the formula; make it "
                             "a named, labelled input or constant"
                             for lit in formula_literals(text)]
    return problems


def formula_literals(text: str) -> list[str]:
    """Numbers typed into a formula other than 0, 1 and 100 (strings do not count).

    >>> formula_literals('=pue*8.766*price+IF(A1>1,"2 GW",100)-1E-9')
    ['8.766', '1E-9']
    """
    try:
        tokens = tokenize(text[1:] if text.startswith("=") else text)
    except FormulaError as exc:
        return [f"(unreadable formula: {exc})"]
    return [t.text for t in tokens if t.kind == "NUMBER" and float(t.value) not in
            ALLOWED_LITERALS]


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
    """Every formula's value in the saved workbook at ``path``, by (sheet, ref): native
    formulas on IronCalc, our functions by the catalogue (:mod:`xlmodel.harness.engine`).

    Returns (values, spill ranges by anchor as (r1, c1, r2, c2)).
    """
    from xlmodel import harness
    from xlmodel.harness import engine

    data = workbook.read_workbook(path)
    anchors = {(s.sheet, s.anchor) for s in spills}
    marked = {}
    for sheet, cells in data.cells.items():
        marked[sheet] = {ref: dataclasses.replace(c, dynamic=True)
                         if (sheet, ref) in anchors and c.formula is not None else c
                         for ref, c in cells.items()}
    data = dataclasses.replace(data, cells=marked)
    wb = harness.from_data(data)
    calls = harness.OurCalls(wb)
    rec = engine.recalculate(data, calls)
    for (sheet, row, col), what in calls.failed.items():
        raise WorkbookError(f"{sheet}!{make_ref(row, col)}: cannot be computed: {what}")
    if rec.not_recomputed:
        (sheet, row, col), (reason, detail) = next(iter(rec.not_recomputed.items()))
        raise WorkbookError(f"{sheet}!{make_ref(row, col)}: cannot be computed: "
                            f"{reason} ({detail})")
    values, spilled = {}, {}
    for key, cell in wb.formulas.items():
        sheet, row, col = key
        if key in rec.ours:
            result = rec.ours[key]
            grid = result if isinstance(result, list) else [[result]]
            if cell.dynamic:
                rect = (row, col, row + len(grid) - 1, col + len(grid[0]) - 1)
                spilled[(sheet, cell.ref)] = rect
                for i, line in enumerate(grid):
                    for j, v in enumerate(line):
                        values[(sheet, make_ref(row + i, col + j))] = v
            else:
                values[(sheet, cell.ref)] = grid[0][0]
            continue
        if key in rec.spills:
            rect = rec.spills[key]
            spilled[(sheet, cell.ref)] = rect
            for r in range(rect[0], rect[2] + 1):
                for c in range(rect[1], rect[3] + 1):
                    values[(sheet, make_ref(r, c))] = rec.values.get((sheet, r, c))
        else:
            values[(sheet, cell.ref)] = rec.values.get(key)
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
            want = parse_range(s.ref)
            if got is None or tuple(got) != want:
                raise WorkbookError(f"{name}: {s.sheet}!{s.anchor} was laid out for {s.ref} "
                                    f"but spills {got}")
        cached = tmp / "cached.xlsx"
        workbook.write_cached_values(raw, cached, values,
                                     dynamic=[(s.sheet, s.anchor) for s in book.spills])
        staged_xlsx = tmp / "out.xlsx"
        workbook.pin_package(cached, staged_xlsx, timestamp=PINNED_TIME)
        with_vba = tmp / "vba.xlsm"
        workbook.inject_vba(staged_xlsx, with_vba, vba_project())
        staged_xlsm = tmp / "out.xlsm"
        workbook.pin_package(with_vba, staged_xlsm, timestamp=PINNED_TIME)
        os.replace(staged_xlsx, xlsx)
        os.replace(staged_xlsm, xlsm)
    return Built(name, xlsx, xlsm, values, dict(book.names))


def build_all(outdir: Path, names=None) -> list[Built]:
    return [build_template(n, outdir) for n in (names or TEMPLATES)]
