"""One number per argument takes a shorter path through the model (plain comparisons for the
domain checks, Python floats for the sums of whole years, operators instead of ufunc calls).
It must give the same bits, and accept and refuse the same values, as the array path."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlmodel import model as m
from xlmodel.errors import InputError
from xlmodel.model import _checks as chk


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


# whole lives exercise the sums of whole years; fractional ones the logarithmic forms
lives = st.one_of(st.integers(1, 40).map(float), floats(0.5, 40))
inputs = st.fixed_dictionaries({
    "facility_capex_per_w": floats(0, 50),
    "facility_life_years": lives,
    "terrestrial_opex_frac": floats(0, 0.1),
    "electricity_price_per_kwh": floats(0, 0.5),
    "pue": floats(1, 2),
    "chip_capex_per_w": floats(0, 80),
    "chip_life_years": lives,
    "discount_rate": st.one_of(st.just(0.0), floats(1e-12, 0.5), floats(5, 1e3)),
    "satellite_cost_per_w": floats(0, 50),
    "specific_power_w_per_kg": floats(5, 200),
    "sun_fraction": floats(0.5, 1),
    "solar_degradation_per_year": floats(0, 0.2),
    "space_chip_failure_per_year": floats(0, 0.3),
    "space_life_years": st.integers(1, 40).map(float),
    "space_ops_frac": floats(0, 0.1),
    "launch_cost_per_kg": floats(0, 20_000),
    "hardware_halving_years": floats(0.2, 10),
    "deployment_lead_years": floats(-3, 3),
})

MODEL = (m.breakeven_launch_cost, m.time_adjusted_breakeven_launch_cost,
         m.terrestrial_cost_per_w_year, m.orbital_cost_per_w_year)


def same_bits(a, b) -> bool:
    a, b = np.float64(a), np.float64(b)
    return a.tobytes() == b.tobytes()


@settings(max_examples=150, deadline=None)
@given(st.lists(inputs, min_size=1, max_size=6))
def test_one_number_per_argument_gives_the_bits_of_an_array_call(rows):
    arrays = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    for func in MODEL:
        vec = np.atleast_1d(m.call_with_inputs(func, arrays))
        for k, r in enumerate(rows):
            one = m.call_with_inputs(func, r)
            assert type(one) is float, func.__name__
            assert same_bits(one, vec[k]), (func.__name__, r, one, vec[k])


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.just(0.0), floats(1e-300, 1e3)), lives)
def test_annuity_and_retention_match_their_array_form(rate, life):
    crf = m.capital_recovery_factor(rate, life)
    assert same_bits(crf, m.capital_recovery_factor(np.array([rate]), np.array([life]))[0])
    assert same_bits(crf, m.capital_recovery_factor(np.float64(rate), np.float64(life)))
    if life == int(life) and rate < 1:
        kept = m.mean_geometric_retention(rate, life)
        assert same_bits(kept, m.mean_geometric_retention(np.array([rate]), np.array([life]))[0])


def test_whole_life_sum_overflows_to_the_same_limit():
    # (1 + i)^k overflows for a huge rate over a long whole life: the annuity tends to i
    big = m.capital_recovery_factor(1e3, 1000.0)
    assert big == 1e3
    assert same_bits(big, m.capital_recovery_factor(np.array([1e3]), np.array([1000.0]))[0])


EDGES = (math.nan, math.inf, -math.inf, -1.0, -0.0, 0.0, 5e-324, 0.5, 1.0, 1.5, 2.0, 3.0,
         1e308)
CHECKS = (
    ("positive", lambda v: chk.positive("x", v)),
    ("positive_or_inf", lambda v: chk.positive_or_inf("x", v)),
    ("non_negative", lambda v: chk.non_negative("x", v)),
    ("finite", lambda v: chk.finite("x", v)),
    ("fraction", lambda v: chk.fraction("x", v)),
    ("fraction open below", lambda v: chk.fraction("x", v, low_open=True)),
    ("fraction open above", lambda v: chk.fraction("x", v, high_open=True)),
    ("at_least 1", lambda v: chk.at_least("x", v, 1.0)),
    ("whole >= 1", lambda v: chk.whole("x", v, 1)),
    ("whole >= 0", lambda v: chk.whole("x", v, 0)),
)


def outcome(check, value):
    try:
        got = check(value)
    except InputError as exc:
        return ("refused", str(exc))
    return ("accepted", np.asarray(got, dtype=float).reshape(-1)[0].tobytes())


@pytest.mark.parametrize("label,check", CHECKS, ids=[c[0] for c in CHECKS])
@pytest.mark.parametrize("value", EDGES, ids=repr)
def test_a_scalar_is_accepted_and_refused_as_an_array_is(label, check, value):
    expected = outcome(check, np.array([value]))
    assert outcome(check, value) == expected
    assert outcome(check, np.float64(value)) == expected


def test_the_checks_refuse_with_the_argument_and_the_rule():
    with pytest.raises(InputError, match=r"space_life_years.*whole number >= 1"):
        m.orbital_cost_per_w_year(100.0, 9.0, 40.0, 1.0, 0.0, 0.0, 2.5, 0.0, 0.0, 0.0)
    with pytest.raises(InputError, match=r"discount_rate.*>= 0"):
        m.capital_recovery_factor(-0.01, 5.0)
    with pytest.raises(InputError, match=r"pue.*>= 1"):
        m.terrestrial_cost_per_w_year(10.0, 10.0, 0.0, 0.05, 0.99, 10.0, 4.0, 0.0)
