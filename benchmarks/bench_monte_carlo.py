"""Time a Monte Carlo of the breakeven launch cost p* against the memory-bandwidth floor.

Run: python benchmarks/bench_monte_carlo.py [draws] [--loop]
Target: the Monte Carlo within 5x the floor, both measured in this run.

The floor is the time to write, then read back, one array of ``draws`` float64 per drawn
input and one for the output: what a Monte Carlo that holds its draws in memory must at least
move. The two are timed alternately (best of 7 each), so that both see the same machine load.
``--loop`` adds a plain Python loop over the same model (one call per draw, on a subsample).
"""

import sys
import time

import numpy as np

from xlmodel import model as m
from xlmodel.model.inputs import get_scenario, ranges, whole_draw_inputs


def main(draws: int = 1_000_000, loop: bool = False, repeats: int = 7) -> None:
    base = get_scenario("base").values()
    low, high = ranges(base)
    whole = whole_draw_inputs()
    names = [n for n in m.uncertainty.parameter_names(m.breakeven_launch_cost)
             if n in low and low[n] != high[n]]
    arrays = np.ones((len(names) + 1, draws))  # touched once, so no page faults are timed

    def monte_carlo():
        return m.monte_carlo(m.breakeven_launch_cost, base, low, high, draws=draws, seed=1,
                             threshold=400.0, whole=whole)

    monte_carlo()  # warm up
    best_mc = best_floor = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = monte_carlo()
        best_mc = min(best_mc, time.perf_counter() - t0)
        t0 = time.perf_counter()
        arrays.fill(1.0)
        total = float(arrays.sum())
        best_floor = min(best_floor, time.perf_counter() - t0)
    assert total == arrays.size

    print(f"draws: {draws:,}; drawn inputs: {len(names)}")
    print(f"{'Monte Carlo of p*':<34}{'memory-bandwidth floor':<26}ratio (target <= 5x)")
    print(f"{best_mc * 1e3:>8.1f} ms{'':<23}{best_floor * 1e3:>8.1f} ms{'':<15}"
          f"{best_mc / best_floor:.1f}x")
    print(f"(best of {repeats}, alternated; floor: write and read {len(names) + 1} arrays of "
          f"{draws:,} float64, {arrays.nbytes / 1e6:,.0f} MB)")
    print("percentiles of p* [$/kg]: " + ", ".join(
        f"P{p:g} = {q:,.0f}" for p, q in result.percentiles.items()))
    print(f"P(p* > $400/kg) = {result.exceedance:.3f}")

    if loop:
        loop_draws = 20_000
        rng = np.random.default_rng(1)
        samples = {n: rng.triangular(low[n], base[n], high[n], loop_draws) for n in names}
        t0 = time.perf_counter()
        for k in range(loop_draws):
            v = dict(base)
            for n in names:
                v[n] = float(np.round(samples[n][k])) if n in whole else float(samples[n][k])
            m.call_with_inputs(m.breakeven_launch_cost, v)
        per_draw = (time.perf_counter() - t0) / loop_draws
        print(f"plain Python loop: {per_draw * draws:.1f} s (estimated from {loop_draws:,} "
              f"draws); speed-up {per_draw * draws / best_mc:,.0f}x")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 1_000_000, loop="--loop" in sys.argv)
