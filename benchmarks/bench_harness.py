"""Wall time and peak memory of ``xlmodel check`` against the ``formulas`` library,
LibreOffice, formualizer and IronCalc, on model workbooks of about 2,400 and 120,000 formula
cells, and the start-up cost of importing the harness.

Run ``python benchmarks/bench_harness.py`` (``--help`` for options). The workbooks have the
shape of design/excel.md section 3: per calculation row ten native formulas (arithmetic,
SUM over ranges, IF, cross-sheet references), one call to one of our functions and one
native formula fed by that call, so about 8 % of the cells call our functions and 8 % more
depend on them. ``xlmodel calc`` gives them their cached values first, so that the harness
has saved values to compare with.

Every measurement runs in a fresh process, so the peak resident set size is that run's
alone; it is read from ``wait4`` and covers the largest process of the run (for LibreOffice,
soffice itself). Times are wall-clock times of the whole process: interpreter start,
imports and the work, which is what a user or a CI job waits for. The package's bytecode is
compiled before the runs (:func:`compile_package`), as installing it does.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import openpyxl

#: Calculation rows per workbook size; 12 formula cells a row plus one total.
SIZES = {"2.4k": 200, "120k": 10_000}
INPUT_ROWS = 200
#: Targets (the engine issue): full mode at 2.4k and 120k cells [s, MB], start-up [s].
TARGETS = {"2.4k": (0.3, None), "120k": (3.0, 150.0)}
STARTUP_SECONDS = 0.15
#: The same measurements before full mode moved to IronCalc (the issue's "now" column).
BEFORE = {"2.4k": "~1.0 s", "120k": "24 s CPU, 621 MB", "startup": "0.55-0.64 s"}
#: formulas takes minutes per 10,000 cells: it is run on the small workbook only.
FORMULAS_MAX_CELLS = 20_000
TIMEOUT = 600.0

# The calling conventions our functions are used with in the template workbooks.
UDF_CALLS = (
    "ANNUALIZED_TOKEN_RETURN(Inputs!C{i})",
    'BREAKEVEN_LAUNCH_COST("essay")',
    'ORBITAL_COST_PER_W_YEAR("base", Inputs!D{i})',
)

# Runs in the child for the formulas library: our functions registered as formulas
# custom functions (so they compute rather than give #NAME?), then load and calculate.
FORMULAS_CHILD = """
import json, sys, time
import numpy as np
import formulas
from formulas.functions import wrap_func
from xlmodel.functions.catalogue import invoke

def scalar(name):
    def run(*args):
        out = invoke(name, *[a.tolist() if isinstance(a, np.ndarray) else a for a in args])
        return out[0][0]
    return run

for name in ("ANNUALIZED_TOKEN_RETURN", "BREAKEVEN_LAUNCH_COST", "ORBITAL_COST_PER_W_YEAR"):
    formulas.get_functions()[name] = wrap_func(scalar(name))
t0 = time.perf_counter()
model = formulas.ExcelModel().loads(sys.argv[1]).finish()
t1 = time.perf_counter()
solution = model.calculate()
t2 = time.perf_counter()
values = {}
for key, ranges in solution.items():
    if ":" in key.rsplit("!", 1)[-1]:
        continue
    sheet = key.split("]", 1)[1].rsplit("!", 1)[0].rstrip("'")
    v = ranges.value[0][0]
    v = v if isinstance(v, (int, float)) else str(v)
    values[sheet.upper() + "!" + key.rsplit("!", 1)[1]] = v
print(json.dumps({"load": t1 - t0, "calc": t2 - t1, "values": values}))
"""

FORMUALIZER_CHILD = """
import json, sys, time
import formualizer
from xlmodel.functions.catalogue import invoke

def scalar(name):
    def run(*args):
        return invoke(name, *args)[0][0]
    return run

t0 = time.perf_counter()
wb = formualizer.Workbook.load_path(sys.argv[1])
for name in ("ANNUALIZED_TOKEN_RETURN", "BREAKEVEN_LAUNCH_COST", "ORBITAL_COST_PER_W_YEAR"):
    wb.register_function(name, scalar(name), min_args=0, max_args=8)
t1 = time.perf_counter()
wb.evaluate_all()
t2 = time.perf_counter()
values = {}
for sheet in wb.sheet_names:
    for r in range(1, 10_002):
        for c in range(1, 14):
            v = wb.get_value(sheet, r, c)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                values[f"{sheet.upper()}!{chr(64 + c)}{r}"] = v
print(json.dumps({"load": t1 - t0, "calc": t2 - t1, "values": values}))
"""

IRONCALC_CHILD = """
import json, sys, time
import ironcalc
t0 = time.perf_counter()
model = ironcalc.load_from_xlsx(sys.argv[1], "en", "UTC")
t1 = time.perf_counter()
model.evaluate()
t2 = time.perf_counter()
values = {}
for s, sheet in enumerate(["INPUTS", "MODEL"]):
    for r in range(1, 10_002):
        for c in range(1, 14):
            v = model.get_cell_value(s, r, c)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                values[f"{sheet}!{chr(64 + c)}{r}"] = v
print(json.dumps({"load": t1 - t0, "calc": t2 - t1, "values": values}))
"""

LIBREOFFICE_CHILD = """
import json, sys, time
from xlmodel.harness.libreoffice import recalculate
t0 = time.perf_counter()
values = recalculate(sys.argv[1])
t1 = time.perf_counter()
flat = {s.upper() + "!" + ref: v if isinstance(v, (int, float)) else str(v)
        for s, cells in values.items() for ref, v in cells.items()}
print(json.dumps({"recalc": t1 - t0, "values": flat}))
"""


# --- workbooks ---------------------------------------------------------------------------


def build_workbook(path: Path, rows: int) -> int:
    """Write a model workbook with ``12 * rows + 1`` formula cells; return that count."""
    wb = openpyxl.Workbook()
    inputs = wb.active
    inputs.title = "Inputs"
    for i in range(1, INPUT_ROWS + 1):
        inputs.cell(i, 1, 1.5 * i)
        inputs.cell(i, 2, 100 - i % 37)
        inputs.cell(i, 3, 0.5 + 0.25 * (i % 10))  # cost-halving time [yr]
        inputs.cell(i, 4, 100 + 10 * (i % 50))  # launch price [$/kg]
    model = wb.create_sheet("Model")
    formulas = 0
    for r in range(1, rows + 1):
        i = (r - 1) % INPUT_ROWS + 1
        row = [
            f"=Inputs!A{i}*2",
            f"=B{r}+Inputs!B{i}",
            f"=IF(C{r}>150,C{r}-150,C{r}+50)",
            f"=SUM(B{r}:D{r})",
            f"=SUM(Inputs!$A$1:$B${INPUT_ROWS})/{INPUT_ROWS}",
            f"=E{r}/MAX(1,ABS(D{r}))",
            f"=ROUND(G{r},4)",
            f"=IF(AND(B{r}>0,E{r}<1000000),H{r}*2,0)",
            f"=SUM(E{max(1, r - 11)}:E{r})",  # a trailing 12-row window
            f"=AVERAGE(B{r}:F{r})+J{r}/100",
            "=" + UDF_CALLS[r % len(UDF_CALLS)].format(i=i),
            f"=L{r}*B{r}+1",  # a native formula fed by our function
        ]
        for col, text in enumerate(row, start=2):
            model.cell(r, col, text)
        formulas += len(row)
    model.cell(rows + 1, 13, f"=SUM(M1:M{rows})")
    wb.save(path)
    return formulas + 1


# --- measuring -------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    peak_mb: float
    returncode: int
    stdout: str
    stderr: str


def measure(argv: list[str], timeout: float = TIMEOUT) -> Run:
    """Run ``argv`` to completion in a fresh process; wall time and peak RSS from wait4."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, start_new_session=True)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text_out, text_err = out.read().decode(errors="replace"), err.read().decode(
            errors="replace")
    # Linux reports kilobytes, macOS bytes.
    peak = usage.ru_maxrss / (1 << 20 if sys.platform == "darwin" else 1 << 10)
    return Run(seconds, peak, proc.returncode, text_out, text_err)


@dataclass
class Result:
    tool: str
    size: str
    cells: int
    seconds: float
    """Median wall time of the runs [s]."""
    peak_mb: float
    """Highest peak RSS of the runs [MB]."""
    inner: str = ""
    """The tool's own timing of its phases, where it reports one."""
    note: str = ""


def repeat(argv: list[str], times: int) -> list[Run]:
    runs = []
    for _ in range(times):
        run = measure(argv)
        if run.returncode != 0:
            last = (run.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise SystemExit(f"{' '.join(argv[:5])}... failed ({run.returncode}): {last}")
        runs.append(run)
    return runs


def summarize(tool: str, size: str, cells: int, runs: list[Run], inner: str = "",
              note: str = "") -> Result:
    return Result(tool, size, cells, statistics.median(r.seconds for r in runs),
                  max(r.peak_mb for r in runs), inner, note)


def cached_values(path: Path) -> dict[str, object]:
    """``SHEET!REF -> value`` of every formula cell, as xlmodel saved it."""
    from xlmodel import workbook

    data = workbook.read_workbook(path)
    return {f"{c.sheet.upper()}!{c.ref}": c.value for c in data.formula_cells()}


def agreement(expected: dict[str, object], got: dict[str, object]) -> tuple[int, int]:
    """How many of the expected numbers another engine reproduced to 1e-9 (relative)."""
    numbers = {k: v for k, v in expected.items() if isinstance(v, float)}
    same = 0
    for key, v in numbers.items():
        w = got.get(key)
        if isinstance(w, (int, float)) and not isinstance(w, bool) and abs(w - v) <= 1e-9 * max(
                1.0, abs(v)):
            same += 1
    return same, len(numbers)


def bench_size(size: str, path: Path, cells: int, times: int, skip: set[str]) -> list[Result]:
    python = sys.executable
    results = []
    full = repeat([python, "-m", "xlmodel", "check", "--mode", "full", str(path)], times)
    if "all match" not in full[0].stdout:
        raise SystemExit(f"full check of {path.name} does not pass: {full[0].stdout[:500]}")
    results.append(summarize("xlmodel check --mode full", size, cells, full))
    local = repeat([python, "-m", "xlmodel", "check", "--mode", "local", str(path)], times)
    results.append(summarize("xlmodel check --mode local", size, cells, local))
    saved = cached_values(path)

    if "formulas" in skip or cells > FORMULAS_MAX_CELLS:
        if "formulas" not in skip:
            print(f"formulas: not run on {cells:,} cells (minutes per 10,000 cells)")
    elif importlib.util.find_spec("formulas") is None:
        print("formulas is not installed (pip install formulas, or the bench extra): skipped")
    else:
        runs = repeat([python, "-c", FORMULAS_CHILD, str(path)], times)
        reports = [json.loads(r.stdout.strip().splitlines()[-1]) for r in runs]
        same, total = agreement(saved, reports[0]["values"])
        results.append(summarize(
            "formulas (load+finish, calculate)", size, cells, runs,
            inner=f"load {statistics.median(r['load'] for r in reports):.2f} s + calc "
                  f"{statistics.median(r['calc'] for r in reports):.2f} s",
            note=f"agrees on {same}/{total} numbers"))

    for tool, child, label, note in (
            ("formualizer", FORMUALIZER_CHILD, "formualizer (our functions registered)", ""),
            ("ironcalc", IRONCALC_CHILD, "IronCalc alone (load_from_xlsx, evaluate)",
             "; our functions are #NAME? there")):
        if tool in skip:
            continue
        if importlib.util.find_spec(tool) is None:
            print(f"{tool} is not installed (pip install {tool}): skipped")
            continue
        runs = repeat([python, "-c", child, str(path)], times)
        reports = [json.loads(r.stdout.strip().splitlines()[-1]) for r in runs]
        same, total = agreement(saved, reports[0]["values"])
        results.append(summarize(
            label, size, cells, runs,
            inner=f"load {statistics.median(r['load'] for r in reports):.2f} s + calc "
                  f"{statistics.median(r['calc'] for r in reports):.2f} s",
            note=f"agrees on {same}/{total} numbers{note}"))

    if "libreoffice" in skip:
        pass
    else:
        from xlmodel.harness.libreoffice import find_soffice

        if find_soffice() is None:
            print("LibreOffice (soffice) is not installed: skipped")
        else:
            runs = repeat([python, "-c", LIBREOFFICE_CHILD, str(path)], times)
            reports = [json.loads(r.stdout.strip().splitlines()[-1]) for r in runs]
            same, total = agreement(saved, reports[0]["values"])
            results.append(summarize(
                "LibreOffice recalculate (cold)", size, cells, runs,
                inner=f"recalculate() {statistics.median(r['recalc'] for r in reports):.2f} s",
                note=f"agrees on {same}/{total} numbers; our functions are #NAME? there"))
    return results


# --- report ------------------------------------------------------------------------------


def target_text(r: Result, small: str) -> str:
    if not r.tool.endswith("--mode full") or r.size not in TARGETS:
        return ""
    seconds, mb = TARGETS[r.size]
    text = f"<= {seconds} s: {r.seconds / seconds:.2f}x"
    if mb is not None:
        text += f", <= {mb:.0f} MB: {r.peak_mb / mb:.2f}x"
    return text + f" (before: {BEFORE[r.size]})"


def print_table(results: list[Result], startup: Run, small: str, large: str,
                imports: Run | None = None) -> None:
    """The results, the fixed cost of a check and how time and memory grow with size."""
    head = ("cells", "tool", "wall s", "peak MB", "target (ratio, <= 1 meets it)", "detail")
    rows = [head]
    for r in results:
        detail = "; ".join(x for x in (r.inner, r.note) if x)
        rows.append((f"{r.cells:,}", r.tool, f"{r.seconds:.2f}", f"{r.peak_mb:.0f}",
                     target_text(r, small), detail))
    widths = [max(len(row[k]) for row in rows) for k in range(len(head))]
    for k, row in enumerate(rows):
        print("  ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)).rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths))
    print(f"\nFixed cost (interpreter, imports, one package read): check --mode full of a "
          f"13-cell workbook takes {startup.seconds:.2f} s and {startup.peak_mb:.0f} MB")
    if imports is not None:
        print(f"Start-up, importing xlmodel.harness (interpreter included): "
              f"{imports.seconds:.3f} s, <= {STARTUP_SECONDS} s: "
              f"{imports.seconds / STARTUP_SECONDS:.2f}x (before: {BEFORE['startup']})")
    by_key = {(r.tool, r.size): r for r in results}
    cells_ratio = None
    print(f"\nGrowth from {small} to {large} (linear means the time ratio equals the cell "
          "ratio):")
    for tool in dict.fromkeys(r.tool for r in results):
        a, b = by_key.get((tool, small)), by_key.get((tool, large))
        if a is None or b is None:
            continue
        cells_ratio = b.cells / a.cells
        extra = ""
        small_work = a.seconds - startup.seconds
        if tool.startswith("xlmodel"):
            # the small workbook's own work is a few hundredths of a second, within the
            # noise of the fixed cost: a ratio is shown only where it is clearly measured
            extra = (f", {(b.seconds - startup.seconds) / small_work:.2f}x without start-up"
                     if small_work > 0.05 else ", (the small case is mostly start-up)")
        print(f"  {tool}: time {b.seconds / a.seconds:.2f}x{extra}, memory "
              f"{b.peak_mb / a.peak_mb:.2f}x  (cells {cells_ratio:.2f}x)")


def compile_package() -> None:
    """Write the package's bytecode first, as ``pip install`` does for an installed package:
    otherwise, where bytecode is not written (PYTHONDONTWRITEBYTECODE, an editable install
    in a read-only tree), every run would compile the sources again (about 60 ms) and the
    times would measure that instead of the work."""
    import compileall

    import xlmodel

    compileall.compile_dir(str(Path(xlmodel.__file__).parent), quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per measurement; the median time is shown (default 3)")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=("formulas", "libreoffice", "formualizer", "ironcalc"),
                        help="tools to leave out")
    parser.add_argument("--keep", metavar="FOLDER",
                        help="write the workbooks here and keep them (default: a temp folder)")
    args = parser.parse_args()
    skip = set(args.skip)
    compile_package()
    with tempfile.TemporaryDirectory(prefix="xlmodel-bench-") as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        tiny = folder / "bench-tiny.xlsx"
        build_workbook(tiny, 1)
        measure([sys.executable, "-m", "xlmodel", "calc", str(tiny)])
        startup = min((measure([sys.executable, "-m", "xlmodel", "check", "--mode", "full",
                                str(tiny)]) for _ in range(args.repeat)),
                      key=lambda r: r.seconds)
        imports = min((measure([sys.executable, "-c", "import xlmodel.harness"])
                       for _ in range(max(args.repeat, 5))), key=lambda r: r.seconds)
        results = []
        for size, rows in SIZES.items():
            path = folder / f"bench-{size}.xlsx"
            cells = build_workbook(path, rows)
            calc = measure([sys.executable, "-m", "xlmodel", "calc", str(path)])
            if calc.returncode != 0:
                raise SystemExit(f"xlmodel calc {path.name} failed: {calc.stderr.strip()}")
            print(f"{path.name}: {cells:,} formula cells, cached values written by xlmodel calc "
                  f"in {calc.seconds:.2f} s", flush=True)
            results.extend(bench_size(size, path, cells, args.repeat, skip))
        print()
        sizes = list(SIZES)
        print_table(results, startup, sizes[0], sizes[-1], imports)


if __name__ == "__main__":
    main()
