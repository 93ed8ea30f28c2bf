"""Tornado and Monte Carlo."""

import numpy as np
import pytest

from xlmodel import model as m
from xlmodel.errors import InputError
from xlmodel.model.inputs import get_scenario, ranges
from xlmodel.model.uncertainty import triangular_draws


def line(a, b, c=0.0):
    """A model with known sensitivities: 3a - b, plus c."""
    return 3 * np.asarray(a) - np.asarray(b) + c


def test_tornado_ranks_by_swing_with_exact_outputs():
    base_out, rows = m.tornado(line, {"a": 1, "b": 1, "c": 0}, {"a": 0, "b": -5, "c": 0},
                               {"a": 2, "b": 5, "c": 0})
    assert base_out == 2
    assert [r.name for r in rows] == ["b", "a"]  # swing 10 vs 6; c has no range
    b, a = rows
    assert (b.output_at_low, b.output_at_high, b.swing) == (8, -2, 10)
    assert (a.output_at_low, a.output_at_high, a.swing) == (-1, 5, 6)


def test_tornado_of_breakeven_facility_raises_it():
    low, high = ranges()
    base = get_scenario("base").values()
    base_out, rows = m.tornado(m.breakeven_launch_cost, base, low, high)
    assert base_out == pytest.approx(m.call_with_inputs(m.breakeven_launch_cost, base))
    facility = next(r for r in rows if r.name == "facility_capex_per_w")
    assert facility.output_at_high > facility.output_at_low
    swings = [r.swing for r in rows]
    assert swings == sorted(swings, reverse=True)


def test_triangular_draws_follow_the_distribution():
    rng = np.random.default_rng(5)
    x = triangular_draws(rng, 1.0, 2.0, 4.0, 400_000)
    assert x.min() >= 1 and x.max() <= 4
    assert x.mean() == pytest.approx(7 / 3, abs=0.01)
    # CDF at the mode is (mode - low) / (high - low) = 1/3; the median solves
    # 1 - (4 - x)^2 / ((4 - 1)(4 - 2)) = 1/2, x = 4 - sqrt(3)
    assert np.mean(x <= 2.0) == pytest.approx(1 / 3, abs=0.005)
    assert np.median(x) == pytest.approx(4 - 3 ** 0.5, abs=0.01)


def test_monte_carlo_linear_model_matches_analytic_moments():
    # a ~ tri(0, 1, 2): mean 1; output 3a - b with b fixed at 1: mean 2
    res = m.monte_carlo(line, {"a": 1, "b": 1}, {"a": 0}, {"a": 2}, draws=200_000, seed=3,
                        threshold=2.0)
    assert res.mean == pytest.approx(2.0, abs=0.01)
    assert res.percentiles[50] == pytest.approx(2.0, abs=0.02)
    assert res.exceedance == pytest.approx(0.5, abs=0.01)
    again = m.monte_carlo(line, {"a": 1, "b": 1}, {"a": 0}, {"a": 2}, draws=200_000, seed=3)
    assert again.percentiles == res.percentiles


def test_monte_carlo_rejects_bad_arguments():
    with pytest.raises(InputError, match="draws must be a whole number >= 1"):
        m.monte_carlo(line, {"a": 1, "b": 1}, {}, {}, draws=0)
    with pytest.raises(InputError, match="draws must be at most"):
        m.monte_carlo(line, {"a": 1, "b": 1}, {}, {}, draws=10**9)
    with pytest.raises(InputError, match="percentiles"):
        m.monte_carlo(line, {"a": 1, "b": 1}, {}, {}, percentiles=(5, 150))
    with pytest.raises(InputError, match="between its low"):
        m.monte_carlo(line, {"a": 5, "b": 1}, {"a": 0}, {"a": 2})
