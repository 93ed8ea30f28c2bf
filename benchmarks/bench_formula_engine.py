"""Time and memory of the formula engine on synthetic workbooks of ~2,400 and ~12,000 formulas.

Run ``python benchmarks/bench_formula_engine.py``. Each workbook has an input sheet of
constants and a calculation sheet whose rows mix arithmetic, SUM over ranges (a trailing
12-row window feeding a chain down the column), IF, INDEX, a defined name and cross-sheet
references. Prints build (parse) time, calculation time and peak traced memory per size.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import tracemalloc

from xlmodel.formula import Engine, Formula

INPUT_ROWS = 200


def build_cells(rows: int) -> dict:
    """Cells of a workbook with ``6 * rows`` formula cells."""
    cells: dict = {}
    for r in range(1, INPUT_ROWS + 1):
        for c in range(1, 6):
            cells[("Inputs", r, c)] = float((r * 7 + c * 13) % 97) + c / 10
    for r in range(2, rows + 2):
        i = (r - 2) % INPUT_ROWS + 1
        cells[("Calc", r, 1)] = Formula(f"Inputs!A{i}*1.05+Inputs!B{i}")
        cells[("Calc", r, 2)] = Formula(f"SUM(Inputs!A{i}:E{i})")
        window = f"SUM(A{max(r - 11, 2)}:A{r})+C{r - 1}" if r > 2 else "A2"
        cells[("Calc", r, 3)] = Formula(window)
        cells[("Calc", r, 4)] = Formula(f"IF(B{r}>150,B{r}-150,-A{r})")
        table = f"Inputs!$A$1:$E${INPUT_ROWS}"
        cells[("Calc", r, 5)] = Formula(f"INDEX({table},MOD({r},{INPUT_ROWS})+1,3)")
        cells[("Calc", r, 6)] = Formula(f"ROUND(D{r}*Rate+E{r}/(1+C{r}/1000),4)")
    cells[("Inputs", 1, 7)] = 0.05
    return cells


def run(rows: int, *, trace: bool) -> tuple[float, float, float]:
    """Build and calculate once; return (build seconds, calc seconds, peak MB or nan)."""
    cells = build_cells(rows)
    gc.collect()
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    engine = Engine(cells, {"Rate": "Inputs!$G$1"}, ["Inputs", "Calc"])
    t1 = time.perf_counter()
    values = engine.calculate()
    t2 = time.perf_counter()
    peak = float("nan")
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    assert isinstance(values[("Calc", rows + 1, 6)], float)
    return t1 - t0, t2 - t1, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[400, 2000],
                        help="calculation rows (6 formulas each)")
    args = parser.parse_args()
    print(f"{'formulas':>9} {'build s':>8} {'calc s':>8} {'total s':>8} {'peak MB':>8}")
    for rows in args.rows:
        build, calc, _ = run(rows, trace=False)
        _, _, peak = run(rows, trace=True)
        print(f"{rows * 6:>9} {build:>8.3f} {calc:>8.3f} {build + calc:>8.3f} {peak:>8.1f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max RSS: {rss:.0f} MB (includes Python, numpy and the test data)")


if __name__ == "__main__":
    main()
