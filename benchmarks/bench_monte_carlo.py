"""Time a Monte Carlo of the breakeven launch cost: vectorized against a plain Python loop.

Run: python benchmarks/bench_monte_carlo.py [draws]
Target: 1,000,000 draws in <= 0.25 s on a 2-core machine.
"""

import sys
import time

import numpy as np

from xlmodel import model as m
from xlmodel.inputs import get_scenario, ranges


def main(draws: int = 1_000_000, loop_draws: int = 20_000) -> None:
    base = get_scenario("base").values()
    low, high = ranges()
    m.monte_carlo(m.breakeven_launch_cost, base, low, high, draws=1000)  # warm up

    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        result = m.monte_carlo(m.breakeven_launch_cost, base, low, high, draws=draws, seed=1,
                               threshold=400.0)
        best = min(best, time.perf_counter() - t0)

    # The same draws, one model call per draw, on a subsample (then scaled).
    rng = np.random.default_rng(1)
    names = [n for n in m.uncertainty.parameter_names(m.breakeven_launch_cost)
             if n in low and low[n] != high[n]]
    samples = {n: rng.triangular(low[n], base[n], high[n], loop_draws) for n in names}
    t0 = time.perf_counter()
    for k in range(loop_draws):
        v = dict(base)
        for n in names:
            v[n] = float(samples[n][k])
        m.call_with_inputs(m.breakeven_launch_cost, v)
    loop = (time.perf_counter() - t0) * draws / loop_draws

    print(f"draws: {draws:,}")
    print(f"vectorized Monte Carlo: {best:.3f} s (best of 5; target <= 0.25 s)")
    print(f"plain Python loop:      {loop:.1f} s (estimated from {loop_draws:,} draws)")
    print(f"speed-up: {loop / best:,.0f}x")
    print("percentiles of p* [$/kg]: " + ", ".join(
        f"P{p:g} = {q:,.0f}" for p, q in result.percentiles.items()))
    print(f"P(p* > $400/kg) = {result.exceedance:.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
