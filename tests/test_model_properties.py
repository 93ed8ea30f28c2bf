"""Identities the model must satisfy for any valid inputs (hypothesis), and agreement with a
second, loop-based implementation of the orbital-versus-terrestrial arithmetic."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlmodel import model as m
from xlmodel.errors import InputError


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


terrestrial_inputs = st.fixed_dictionaries({
    "facility_capex_per_w": floats(0, 50),
    "facility_life_years": floats(1, 30),
    "terrestrial_opex_frac": floats(0, 0.1),
    "electricity_price_per_kwh": floats(0, 0.5),
    "pue": floats(1, 2),
    "chip_capex_per_w": floats(0, 80),
    "chip_life_years": floats(1, 10),
    # the loop implementation's textbook CRF loses digits for rates below 1e-4
    "discount_rate": st.one_of(st.just(0.0), floats(1e-4, 0.3)),
})
orbital_inputs = st.fixed_dictionaries({
    "satellite_cost_per_w": floats(0, 50),
    "specific_power_w_per_kg": floats(5, 200),
    "sun_fraction": floats(0.5, 1),
    "solar_degradation_per_year": floats(0, 0.2),
    "space_chip_failure_per_year": floats(0, 0.3),
    "space_life_years": st.integers(1, 15).map(float),
    "space_ops_frac": floats(0, 0.1),
})


def both(t, o):
    v = dict(t)
    v.update(o)
    return v


# --- a second implementation, written from design/model.md with plain Python loops ---------

def ref_crf(i, n):
    if i == 0:
        return 1 / n
    return i / (1 - (1 + i) ** -n)


def ref_mean(loss, life):
    years = range(int(life))
    return sum((1 - loss) ** y for y in years) / len(years)


def ref_terrestrial(v):
    f = v["facility_capex_per_w"]
    return (f * ref_crf(v["discount_rate"], v["facility_life_years"])
            + v["terrestrial_opex_frac"] * f
            + v["pue"] * 8.766 * v["electricity_price_per_kwh"]
            + v["chip_capex_per_w"] * ref_crf(v["discount_rate"], v["chip_life_years"]))


def ref_orbital(v, p):
    life = v["space_life_years"]
    k_power = 1 / (v["sun_fraction"] * ref_mean(v["solar_degradation_per_year"], life))
    k_chips = 1 / ref_mean(v["space_chip_failure_per_year"], life)
    sat = v["satellite_cost_per_w"]
    capex = (sat + p / v["specific_power_w_per_kg"]) * k_power + v["chip_capex_per_w"] * k_chips
    return capex * ref_crf(v["discount_rate"], life) + v["space_ops_frac"] * sat * k_power


@settings(max_examples=300, deadline=None)
@given(terrestrial_inputs, orbital_inputs, floats(0, 20_000))
def test_agrees_with_loop_implementation(t, o, price):
    v = both(t, o)
    assert m.call_with_inputs(m.terrestrial_cost_per_w_year, v) == pytest.approx(
        ref_terrestrial(v), rel=1e-10, abs=1e-12)
    v["launch_cost_per_kg"] = price
    assert m.call_with_inputs(m.orbital_cost_per_w_year, v) == pytest.approx(
        ref_orbital(v, price), rel=1e-10, abs=1e-12)


@settings(max_examples=300, deadline=None)
@given(terrestrial_inputs, orbital_inputs)
def test_orbital_cost_at_breakeven_equals_terrestrial(t, o):
    v = both(t, o)
    p_star = m.call_with_inputs(m.breakeven_launch_cost, v)
    terrestrial = ref_terrestrial(v)
    # S is linear in p, so it can be evaluated at a negative p* too
    assert ref_orbital(v, p_star) == pytest.approx(terrestrial, rel=1e-9, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(terrestrial_inputs, orbital_inputs, floats(0.01, 20), floats(0.3, 5))
def test_breakeven_monotone_in_facility_and_satellite_cost(t, o, bump, halving):
    v = both(t, o)
    p = m.call_with_inputs(m.breakeven_launch_cost, v)
    dearer_facility = dict(v, facility_capex_per_w=v["facility_capex_per_w"] + bump)
    dearer_satellite = dict(v, satellite_cost_per_w=v["satellite_cost_per_w"] + bump)
    assert m.call_with_inputs(m.breakeven_launch_cost, dearer_facility) > p
    assert m.call_with_inputs(m.breakeven_launch_cost, dearer_satellite) < p


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(terrestrial_inputs, orbital_inputs), min_size=1, max_size=8))
def test_scalar_and_vectorized_calls_agree(rows):
    dicts = [both(t, o) for t, o in rows]
    arrays = {k: np.array([d[k] for d in dicts]) for k in dicts[0]}
    vec = m.call_with_inputs(m.breakeven_launch_cost, arrays)
    scalars = [m.call_with_inputs(m.breakeven_launch_cost, d) for d in dicts]
    assert np.asarray(vec).shape == (len(dicts),)
    np.testing.assert_allclose(vec, scalars, rtol=1e-13, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(floats(0.1, 5), st.lists(floats(0.1, 5), min_size=1, max_size=10))
def test_hurdle_rate_broadcasts(h0, hs):
    vec = m.annualized_token_return(np.array(hs))
    for h, r in zip(hs, vec, strict=True):
        assert r == m.annualized_token_return(h)
        assert r == pytest.approx(2 ** (1 / h) - 1, rel=1e-12)
    assert isinstance(m.annualized_token_return(h0), float)


@settings(max_examples=300, deadline=None)
@given(floats(0.1, 1000), floats(1.001, 50), st.integers(2, 40))
def test_buildout_curve_meets_both_conditions(final_gw, ratio, n):
    cumulative = final_gw * ratio
    years, gw = m.buildout_curve(final_gw, cumulative, 2000, 2000 + n - 1)
    assert len(years) == n
    assert gw[-1] == pytest.approx(final_gw, rel=1e-12)
    assert gw.sum() == pytest.approx(cumulative, rel=1e-9)
    # geometric: constant ratio between consecutive years
    g = m.buildout_growth_factor(final_gw, cumulative, 2000, 2000 + n - 1)
    np.testing.assert_allclose(gw[1:] / gw[:-1], g, rtol=1e-9)
    # growth exactly when n F > C
    assert (g > 1) == (n * final_gw > cumulative) or math.isclose(n * final_gw, cumulative)


@pytest.mark.parametrize("call, message", [
    (lambda: m.annualized_token_return(0), "halving_years must be > 0, got 0"),
    (lambda: m.annualized_token_return(-1), "halving_years must be > 0, got -1"),
    (lambda: m.capital_recovery_factor(-0.1, 5), "discount_rate must be a finite number >= 0"),
    (lambda: m.terrestrial_cost_per_w_year(1, 1, 0, 0.1, 0.9, 1, 1, 0), "pue must be"),
    (lambda: m.orbital_cost_per_w_year(1, 1, 1, 0, 0, 0, 5, 0, 1, 0), "sun_fraction must be > 0"),
    (lambda: m.buildout_growth_rate(300, 250, 2026, 2030),
     "buildout_cumulative_gw must exceed buildout_final_year_gw"),
    (lambda: m.buildout_growth_rate(90, 250, 2030, 2026), "buildout_final_year must be after"),
    (lambda: m.buildout_growth_rate(90, 250, 2026.5, 2030), "must be a whole number"),
    (lambda: m.annualized_token_return("abc"), "halving_years must be a number"),
    (lambda: m.annualized_token_return(float("nan")), "halving_years must be a number"),
    (lambda: m.annualized_token_return(np.array([1.0, 0.0])), "got 0"),
    (lambda: m.mean_geometric_retention(0.025, 5.5), "life_years must be a whole number >= 1"),
    (lambda: m.orbital_cost_per_w_year(1, 1, 1, 1, 0, 0, 0.5, 0, 1, 0),
     "space_life_years must be a whole number >= 1"),
    (lambda: m.crossover_year(400, 3600, 2025.5, 0.2, 1.3), "launch_base_year must be a whole"),
])
def test_domain_errors_name_the_argument_and_rule(call, message):
    with pytest.raises(InputError) as err:
        call()
    assert message in str(err.value)


@pytest.mark.parametrize("final_gw, cumulative_gw", [
    (1.0, 1.000000000001), (90.0, 90.00001), (1.0, 1e100), (1e-6, 1e6), (90.0, 250.0)])
def test_buildout_extremes(final_gw, cumulative_gw):
    # two years: F (1 + h) = C, so h = (C - F)/F exactly and g = F/(C - F)
    g2 = m.buildout_growth_factor(final_gw, cumulative_gw, 2029, 2030)
    assert g2 == pytest.approx(final_gw / (cumulative_gw - final_gw), rel=1e-14)
    # any length: the curve still meets both conditions
    for n in (3, 7, 40):
        years, gw = m.buildout_curve(final_gw, cumulative_gw, 2000, 2000 + n - 1)
        assert gw[-1] == pytest.approx(final_gw, rel=1e-12)
        assert gw.sum() == pytest.approx(cumulative_gw, rel=1e-9)


def _decimal_growth_factor(final_gw, cumulative_gw, n):
    """g with F sum_{j<n} g^-j = C, by bisection on log g in 60-digit decimals: a second
    implementation, independent of the model's floats."""
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = 60
        f, c = Decimal(final_gw), Decimal(cumulative_gw)
        lo, hi = Decimal(-2000), Decimal(2000)  # log g
        for _ in range(400):
            mid = (lo + hi) / 2
            h = (-mid).exp()
            total = f * sum(h ** j for j in range(n))
            lo, hi = (mid, hi) if total > c else (lo, mid)
        return (lo + hi) / 2


@pytest.mark.parametrize("final_gw, cumulative_gw, n", [
    (1e-300, 1e300, 5), (1e-200, 1e200, 5), (5e-324, 1e308, 5), (1e-160, 1e160, 40),
    (1e-308, 1.7e308, 2)])
def test_buildout_past_the_float_range_of_c_over_f(final_gw, cumulative_gw, n):
    # (C - F) / F overflows: the growth factor and every install are still ordinary floats
    import math
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        g = m.buildout_growth_factor(final_gw, cumulative_gw, 2000, 2000 + n - 1)
        years, gw = m.buildout_curve(final_gw, cumulative_gw, 2000, 2000 + n - 1)
    log_g = _decimal_growth_factor(final_gw, cumulative_gw, n)
    if g > 0:
        assert math.log(g) == pytest.approx(float(log_g), rel=1e-12)
    else:  # below the smallest float: the factor is 0, and the installs still come out
        assert float(log_g) < math.log(5e-324)
    assert all(math.isfinite(x) for x in gw)
    assert gw[-1] == final_gw
    assert gw.sum() == pytest.approx(cumulative_gw, rel=1e-10)
    assert m.buildout_growth_rate(final_gw, cumulative_gw, 2000, 2000 + n - 1) == g - 1.0


@pytest.mark.parametrize("rate", [2.2250738585e-313, 1e-12, 1e-9, 2e-9, 1e-7])
def test_annuity_and_retention_keep_full_precision_for_tiny_rates(rate):
    # fractional lives take the closed forms; a subnormal rate once lost bits to underflow
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = 400
        i, n = Decimal(rate), Decimal(4.5)
        crf = float(i / (1 - (1 + i) ** (-n)))
        kept = float((1 - (1 - i) ** n) / (n * i))
    assert m.capital_recovery_factor(rate, 4.5) == pytest.approx(crf, rel=4e-16)
    from xlmodel.model.costs import _mean_retention
    assert float(_mean_retention(np.array(rate), np.array(4.5))) == pytest.approx(kept, rel=4e-16)
