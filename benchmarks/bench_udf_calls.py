"""Per-call overhead of the Excel functions, direct and through xlwings' Office.js call path,
and one range call over 10,000 cells against 10,000 scalar calls.

Run: python benchmarks/bench_udf_calls.py
(The Office.js path is xlwings Server's and Lite's; it needs the noncommercial licence key,
which this script sets for itself.)
"""

import asyncio
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
os.environ["XLWINGS_ON_SERVER"] = "true"
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "udfs")]

import xlmodel_udfs  # noqa: E402
from xlwings.server import custom_functions_call  # noqa: E402

from xlmodel.functions import catalogue  # noqa: E402
from xlmodel.functions.catalogue import invoke  # noqa: E402

N = 10_000


def payload(func_name, args):
    return {"func_name": func_name, "args": args, "version": "0", "client": "Office.js",
            "culture_info_name": "en-US", "date_format": "M/d/yyyy", "runtime": "1.4"}


def timed(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


async def officejs_calls(calls):
    for name, args in calls:
        await custom_functions_call(payload(name, args), xlmodel_udfs)


def main():
    halvings = [[1.0 + (k % 100) / 50] for k in range(N)]
    k = 2000
    # per-call times are a few microseconds: the best of many short runs, so that a moment of
    # load on a shared machine does not decide the figure
    best_of = 15
    direct = timed(lambda: [invoke("ANNUALIZED_TOKEN_RETURN", [[1.5]]) for _ in range(k)],
                   best_of) / k
    breakeven = timed(lambda: [invoke("BREAKEVEN_LAUNCH_COST", "essay") for _ in range(k)],
                      best_of) / k

    def uncached(name, *args):
        catalogue._CALLS.clear()
        return invoke(name, *args)

    first = timed(lambda: [uncached("ANNUALIZED_TOKEN_RETURN", [[1.5]]) for _ in range(k)],
                  best_of) / k
    first_breakeven = timed(lambda: [uncached("BREAKEVEN_LAUNCH_COST", "essay")
                                     for _ in range(k)], best_of) / k
    ojs_calls = [("ANNUALIZED_TOKEN_RETURN", [[[1.5]], None])] * k
    ojs = timed(lambda: asyncio.run(officejs_calls(ojs_calls))) / k

    range_direct = timed(lambda: invoke("ANNUALIZED_TOKEN_RETURN", halvings))
    scalar_direct = timed(lambda: [invoke("ANNUALIZED_TOKEN_RETURN", h) for h in halvings], 1)
    range_ojs = timed(lambda: asyncio.run(officejs_calls(
        [("ANNUALIZED_TOKEN_RETURN", [halvings, None])])))
    scalar_ojs = timed(lambda: asyncio.run(officejs_calls(
        [("ANNUALIZED_TOKEN_RETURN", [[h], None]) for h in halvings])), 1)

    target = 30.0
    print(f"one scalar call through the catalogue (target <= {target:.0f} us):")
    print(f"  ANNUALIZED_TOKEN_RETURN(1.5), first call     {first * 1e6:8.1f} us  "
          f"{first * 1e6 / target:5.2f}x target")
    print(f"  ANNUALIZED_TOKEN_RETURN(1.5), repeated call  {direct * 1e6:8.1f} us  "
          f"{direct * 1e6 / target:5.2f}x target (identical pure calls are remembered)")
    print(f"  BREAKEVEN_LAUNCH_COST(\"essay\"), first call   {first_breakeven * 1e6:8.1f} us  "
          f"{first_breakeven * 1e6 / target:5.2f}x target")
    print(f"  BREAKEVEN_LAUNCH_COST(\"essay\"), repeated     {breakeven * 1e6:8.1f} us  "
          f"{breakeven * 1e6 / target:5.2f}x target")
    print(f"  Office.js path (xlwings), repeated call      {ojs * 1e6:8.1f} us")
    print(f"{N:,} cells of ANNUALIZED_TOKEN_RETURN:")
    print(f"  direct:    one range call {range_direct * 1e3:8.1f} ms   {N:,} scalar calls "
          f"{scalar_direct * 1e3:8.1f} ms   ratio {scalar_direct / range_direct:6.1f}x")
    print(f"  Office.js: one range call {range_ojs * 1e3:8.1f} ms   {N:,} scalar calls "
          f"{scalar_ojs * 1e3:8.1f} ms   ratio {scalar_ojs / range_ojs:6.1f}x")


if __name__ == "__main__":
    main()
