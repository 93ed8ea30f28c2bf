"""The fast Monte Carlo: its sampling, its percentiles, its blocks and its closed forms,
each against a second, textbook implementation."""

from decimal import Decimal, localcontext

import numpy as np
import pytest

from xlmodel import model as m
from xlmodel.errors import InputError
from xlmodel.model import uncertainty as mc
from xlmodel.model.costs import _crf, _geometric_sum, _mean_retention
from xlmodel.model.inputs import get_scenario, ranges, whole_draw_inputs


def _textbook_triangular(u, low, mode, high):
    c = (mode - low) / (high - low)
    left = low + np.sqrt(u * (high - low) * (mode - low))
    right = high - np.sqrt((1 - u) * (high - low) * (high - mode))
    return np.where(u < c, left, right)


@pytest.mark.parametrize("low, mode, high", [(1, 2, 4), (0, 0, 1), (0, 1, 1), (10, 15, 20),
                                             (-5, 4.9, 5), (0.95, 0.98, 0.99)])
def test_inverse_cdf_is_the_textbook_one(low, mode, high):
    u = np.concatenate([np.random.default_rng(1).random(20_000), [0.0, 1 - 2**-53]])
    got = mc._Triangular(low, mode, high)(u.copy(), np.empty(u.size), np.empty(u.size))
    want = _textbook_triangular(u, low, mode, high)
    assert np.allclose(got, want, rtol=1e-14, atol=1e-14 * max(abs(low), abs(high)))
    assert got.min() >= low and got.max() <= high


def test_percentiles_match_numpys():
    rng = np.random.default_rng(2)
    for n in (1, 2, 7, 1000, 100_001):
        x = rng.normal(size=n)
        pct = np.array([0, 2.5, 5, 50, 95, 99.9, 100])
        got = mc._percentiles(x.copy(), pct)
        assert np.allclose(got, np.percentile(x, pct), rtol=0, atol=1e-12)
    assert np.isnan(mc._percentiles(np.array([1.0, np.nan]), np.array([50.0]))).all()


def _run(draws, keep=False, seed=4):
    base = get_scenario("base").values()
    low, high = ranges(base)
    return m.monte_carlo(m.breakeven_launch_cost, base, low, high, draws=draws, seed=seed,
                         whole=whole_draw_inputs(), keep_draws=keep, threshold=0.0)


def test_draws_are_deterministic_and_the_output_is_the_model_on_them():
    draws = 2 * mc.BLOCK + 17  # two full blocks and a short one
    a, b = _run(draws, keep=True), _run(draws, keep=True)
    assert a.percentiles == b.percentiles and a.mean == b.mean
    base = get_scenario("base").values()
    low, high = ranges(base)
    values = dict(base)
    for name, x in a.samples.items():
        if name == "output":
            continue
        assert np.array_equal(x, b.samples[name])
        assert low[name] <= x.min() and x.max() <= high[name], name
        if name in whole_draw_inputs():
            assert np.array_equal(x, np.round(x)), name
        values[name] = x
    # the model with its domain checks on, on every draw at once: the same bits
    checked = m.call_with_inputs(m.breakeven_launch_cost, values)
    assert np.array_equal(checked, a.samples["output"])
    assert a.mean == pytest.approx(float(np.mean(checked)), rel=1e-12)
    assert a.exceedance == np.count_nonzero(checked > 0) / draws
    assert a.percentiles[50] == pytest.approx(float(np.median(checked)), rel=1e-12)
    assert _run(draws).samples is None


def test_a_bound_outside_the_domain_names_the_input_and_checks_come_back():
    base = get_scenario("base").values()
    low, high = ranges(base)
    low["sun_fraction"] = 0.0
    with pytest.raises(InputError, match="sun_fraction must be > 0 and <= 1"):
        m.monte_carlo(m.breakeven_launch_cost, base, low, high, draws=10)
    _run(mc.BLOCK + 1)
    with pytest.raises(InputError, match="sun_fraction"):
        m.orbital_cost_per_w_year(100, 9, 40, 0.0, 0, 0, 5, 0, 41, 0.1)


def _exact_crf(i, n):
    with localcontext() as ctx:
        ctx.prec = 60
        i = Decimal(float(i))
        if i == 0:
            return float(1 / Decimal(int(n)))
        return float(i / (1 - (1 + i) ** -int(n)))


def test_whole_year_annuity_is_exact_to_a_few_ulps():
    rng = np.random.default_rng(3)
    i = np.concatenate([[0.0, 1e-12, 1e-6], rng.uniform(0, 0.3, 300)])
    n = rng.integers(1, 40, i.size).astype(float)
    got = _crf(i, n)
    want = np.array([_exact_crf(a, b) for a, b in zip(i, n, strict=True)])
    assert np.max(np.abs(got - want) / want) < 2e-15
    # each element's value depends on that element alone: masked and uniform paths agree
    for k in range(0, i.size, 37):
        assert _crf(i[k], n[k]) == got[k]
    # fractional lives keep the logarithmic form
    assert float(m.capital_recovery_factor(0.1, 5.5)) == pytest.approx(
        0.1 / (1 - 1.1 ** -5.5), rel=1e-14)


def test_retention_mean_is_the_sum_over_whole_years():
    loss = np.array([0.0, 0.025, 0.09, 0.5])
    n = np.array([5.0, 5.0, 3.0, 12.0])
    want = [sum((1 - a) ** y for y in range(int(b))) / b for a, b in zip(loss, n, strict=True)]
    assert np.allclose(_mean_retention(loss, n), want, rtol=1e-15)
    assert np.array_equal(_geometric_sum(np.array([2.0, 2.0]), np.array([1.0, 10.0])),
                          [1.0, 1023.0])
