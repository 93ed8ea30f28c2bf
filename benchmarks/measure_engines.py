"""Fidelity of formula engines on workbooks saved by real Excel.

Every formula cell of an Excel-saved workbook carries the value Excel computed. Each engine
recomputes the workbook and this script counts the formula cells it reproduces within the
harness's default tolerance (rtol 1e-9, atol 1e-12; text, booleans and error values as
themselves), per engine, per workbook and per function.

    python benchmarks/measure_engines.py [FOLDER_OR_FILES...] [--engines a,b] [--functions]

Engines:

* ``xlmodel``: ``xlmodel check --mode full`` as it is in this checkout; a refused workbook
  (one line, exit 2) counts 0 of its cells.
* ``ironcalc`` / ``formualizer``: the engine fed cell by cell, through its API, from what
  xlmodel's hardened reader read (as the harness would do it).
* ``ironcalc-file`` / ``formualizer-file``: the engine loading the file itself, for
  reference (the harness never does this).
* ``libreoffice``: LibreOffice headless, recalculating every cell on load.

By default the folder is the 64 workbooks in ``../shared/data/excel-saved/``.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xlmodel import workbook  # noqa: E402
from xlmodel.errors import EXCEL_ERROR_CODES, ExcelError, WorkbookError  # noqa: E402
from xlmodel.formula import cellrefs  # noqa: E402
from xlmodel.harness import ATOL, RTOL, same  # noqa: E402
from xlmodel.harness import engine as adapter  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "excel-saved"
_FUNC_RE = re.compile(r"([A-Z][A-Z0-9._]*)\(", re.IGNORECASE)


def functions_of(formula: str) -> list[str]:
    names = []
    for name in _FUNC_RE.findall(re.sub(r'"[^"]*"', '""', formula)):
        name = name.upper()
        for prefix in ("_XLFN._XLWS.", "_XLFN.", "_XLWS."):
            if name.startswith(prefix):
                name = name[len(prefix):]
        names.append(name)
    return names


def _plain(value):
    if isinstance(value, str) and value.upper() in EXCEL_ERROR_CODES:
        return ExcelError(value.upper())
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


# --- engines ----------------------------------------------------------------------------------

def run_ironcalc_file(path: Path, data) -> dict:
    import ironcalc

    model = ironcalc.load_from_xlsx(str(path), "en", "UTC")
    model.evaluate()
    index = {name: k for k, name in enumerate(data.sheet_names)}
    out = {}
    for cell in data.formula_cells():
        out[(cell.sheet, cell.row, cell.col)] = _ironcalc_value(
            model, index[cell.sheet], cell.row, cell.col)
    return out


def _ironcalc_value(model, sheet, row, col):
    import ironcalc

    value = model.get_cell_value(sheet, row, col)
    if model.get_cell_type(sheet, row, col) == ironcalc.CellType.ErrorValue:
        return ExcelError(str(value).upper())
    return value


def run_ironcalc(path: Path, data) -> dict:


    return adapter.recalculate(data).values


def run_formualizer_file(path: Path, data) -> dict:
    import formualizer

    wb = formualizer.Workbook.load_path(str(path))
    wb.evaluate_all()
    return {(c.sheet, c.row, c.col): _formualizer_value(wb.get_value(c.sheet, c.row, c.col))
            for c in data.formula_cells()}


def _formualizer_value(value):
    import formualizer

    if isinstance(value, formualizer.ExcelError) or type(value).__name__ == "ExcelError":
        text = str(value)
        for code in EXCEL_ERROR_CODES:
            if code in text.upper():
                return ExcelError(code)
        return ExcelError("#VALUE!")
    return _plain(_serial(value))


def _serial(value):
    """A date, time or datetime as Excel's serial number (1900 system)."""
    import datetime

    if isinstance(value, datetime.datetime):
        return (value - datetime.datetime(1899, 12, 30)).total_seconds() / 86400
    if isinstance(value, datetime.date):
        return float((value - datetime.date(1899, 12, 30)).days)
    if isinstance(value, datetime.time):
        return (value.hour * 3600 + value.minute * 60 + value.second
                + value.microsecond / 1e6) / 86400
    if isinstance(value, datetime.timedelta):
        return value.total_seconds() / 86400
    return value


def run_formualizer(path: Path, data) -> dict:
    import formualizer

    wb = formualizer.Workbook()
    for name in data.sheet_names:
        wb.add_sheet(name)
    # formualizer's Python API has no call that defines a name: names give #NAME? here
    for cell in data.iter_cells():
        if cell.formula is not None:
            wb.set_formula(cell.sheet, cell.row, cell.col, "=" + cell.formula)
        elif cell.value is not None:
            v = cell.value
            if isinstance(v, ExcelError):
                wb.set_formula(cell.sheet, cell.row, cell.col, "=" + v.code)
            elif isinstance(v, str):
                wb.set_value(cell.sheet, cell.row, cell.col, formualizer.LiteralValue.text(v))
            else:
                wb.set_value(cell.sheet, cell.row, cell.col, v)
    wb.evaluate_all()
    return {(c.sheet, c.row, c.col): _formualizer_value(wb.get_value(c.sheet, c.row, c.col))
            for c in data.formula_cells()}


def run_xlmodel(path: Path, data) -> dict:
    from xlmodel import harness

    report = harness.check(path, "full")
    out = {}
    for (sheet, ref), value in report.recomputed.items():
        row, col = cellrefs.parse_ref(ref)
        out[(sheet, row, col)] = value
    return out


def run_libreoffice(path: Path, data) -> dict:
    from xlmodel.harness import libreoffice

    values = libreoffice.recalculate(path)
    out = {}
    for c in data.formula_cells():
        out[(c.sheet, c.row, c.col)] = _plain(_serial(values.get(c.sheet, {}).get(c.ref)))
    return out


ENGINES = {
    "xlmodel": run_xlmodel,
    "ironcalc": run_ironcalc,
    "ironcalc-file": run_ironcalc_file,
    "formualizer": run_formualizer,
    "formualizer-file": run_formualizer_file,
    "libreoffice": run_libreoffice,
}


# --- measuring --------------------------------------------------------------------------------

def measure(files: list[Path], engines: list[str], show_functions: bool, show_cells: int):
    totals = {e: [0, 0] for e in engines}
    seconds = dict.fromkeys(engines, 0.0)
    by_function = {e: collections.Counter() for e in engines}
    cells_by_function = collections.Counter()
    failures = {e: [] for e in engines}
    for path in files:
        try:
            data = workbook.read_workbook(path)
        except WorkbookError as exc:
            print(f"{path.name}: unreadable: {exc}")
            continue
        formula_cells = [c for c in data.formula_cells() if c.value is not None]
        for c in formula_cells:
            for name in set(functions_of(c.formula)):
                cells_by_function[name] += 1
        row = [f"{path.name:34}", f"{len(formula_cells):6}"]
        for engine in engines:
            start = time.perf_counter()
            try:
                got = ENGINES[engine](path, data)
                error = None
            except BaseException as exc:  # noqa: BLE001 - a Rust panic is a BaseException
                if isinstance(exc, KeyboardInterrupt):
                    raise
                got, error = {}, f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
            seconds[engine] += time.perf_counter() - start
            good = 0
            for c in formula_cells:
                key = (c.sheet, c.row, c.col)
                value = got.get(key, _Missing)
                if value is not _Missing and same(c.value, value, RTOL, ATOL):
                    good += 1
                else:
                    for name in set(functions_of(c.formula)):
                        by_function[engine][name] += 1
                    failures[engine].append((path.name, c.sheet, c.ref, c.formula, c.value,
                                             None if value is _Missing else value))
            totals[engine][0] += good
            totals[engine][1] += len(formula_cells)
            row.append(f"{good:6}" + (" (refused)" if error else ""))
            if error:
                failures[engine].append((path.name, "", "", error, "", ""))
        print("  ".join(row))
    print()
    print(f"{'engine':18} {'reproduced':>12} {'of':>7} {'share':>8} {'seconds':>8}")
    for engine in engines:
        good, n = totals[engine]
        print(f"{engine:18} {good:12} {n:7} {100 * good / max(n, 1):7.1f}% "
              f"{seconds[engine]:8.2f}")
    if show_functions:
        for engine in engines:
            print(f"\nfailing cells per function, {engine} (function: failing/cells using it)")
            for name, bad in by_function[engine].most_common():
                print(f"  {name:16} {bad:5}/{cells_by_function[name]}")
    if show_cells:
        for engine in engines:
            print(f"\nfirst failing cells, {engine}")
            for f in failures[engine][:show_cells]:
                print("  ", *[str(x)[:70] for x in f])
    return totals


class _Missing:
    pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--engines", default="xlmodel,ironcalc,ironcalc-file,formualizer,"
                        "formualizer-file")
    parser.add_argument("--functions", action="store_true", help="failures per function")
    parser.add_argument("--cells", type=int, default=0, help="show the first N failing cells")
    args = parser.parse_args(argv)
    paths = args.paths or [DEFAULT]
    files = []
    for p in paths:
        files.extend(sorted(p.glob("*.xls[xm]")) if p.is_dir() else [p])
    measure(files, args.engines.split(","), args.functions, args.cells)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
