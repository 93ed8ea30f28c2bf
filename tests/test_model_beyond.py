"""Mass, cadence, Suncatcher's launch cost per kW-year and what must be true (model.md §7-8).

Expected numbers are published figures (Suncatcher, arXiv 2511.19468, as design/model.md
quotes them) or arithmetic written out here from the source's own inputs.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlmodel import model as m
from xlmodel.errors import ExcelError, InputError
from xlmodel.functions.calling import CallError
from xlmodel.functions.catalogue import invoke
from xlmodel.model.inputs import INPUTS, SCENARIOS, get_input, get_scenario, ranges
from xlmodel.model.required import COMPARED

# --- Wright's law over cumulative mass (§8) ----------------------------------------------------


def one(name, *args):
    cells = invoke(name, *args)
    assert len(cells) == 1 and len(cells[0]) == 1, cells
    return cells[0][0]


def test_200_per_kg_at_about_368300_t():
    # the published figure, rounded to 100 t
    assert one("MASS_FOR_LAUNCH_COST", 200) == pytest.approx(368_300, abs=50)
    # worked by hand: (200/1800) = (M/400)^log2(0.8)  =>  M = 400 * 9^(1/-log2(0.8))
    assert one("MASS_FOR_LAUNCH_COST", 200) == pytest.approx(
        400 * 9 ** (1 / -math.log2(0.8)), rel=1e-12)


def test_300_per_kg_at_104400_t_and_the_v2_mini_launch_cost_that_follows():
    price = one("LAUNCH_COST_AT_MASS", 104_400)
    assert price == pytest.approx(300, abs=0.5)
    assert price == pytest.approx(1800 * (104_400 / 400) ** math.log2(0.8), rel=1e-12)
    # Starlink V2 Mini (575 kg, 28 kW, 5 yr) at that price: about $1,230/kW/yr
    assert one("LAUNCH_COST_PER_KW_YEAR", 575, 28, 5, price) == pytest.approx(1_230, abs=5)


def test_mass_curve_inverse_round_trips_and_spills():
    masses = [[400.0], [1e4], [104_400.0], [1e7]]
    prices = invoke("LAUNCH_COST_AT_MASS", masses)
    assert prices[0][0] == pytest.approx(1800, rel=1e-15)
    back = invoke("MASS_FOR_LAUNCH_COST", prices)
    for (mass,), (b,) in zip(masses, back, strict=True):
        assert b == pytest.approx(mass, rel=1e-12)
    # one doubling of mass cuts the price by the learning rate
    assert one("LAUNCH_COST_AT_MASS", 800) == pytest.approx(1800 * 0.8, rel=1e-14)
    rows = [["launch_learning_rate", 0.24], ["mass_curve_reference_cost_per_kg", 1000],
            ["mass_curve_reference_mass_t", 10]]
    assert one("LAUNCH_COST_AT_MASS", 40, rows) == pytest.approx(1000 * 0.76 ** 2, rel=1e-14)


def test_mass_curve_errors_name_the_argument_and_the_rule():
    no_learning = [["launch_learning_rate", 0]]
    err = one("MASS_FOR_LAUNCH_COST", 200, no_learning)
    assert isinstance(err, ExcelError) and err.code == "#N/A"
    assert "does not fall" in err.message
    assert one("MASS_FOR_LAUNCH_COST", 1800, no_learning) == 400  # the price it already has
    with pytest.raises(CallError, match="target_launch_cost_per_kg must be a finite number > 0"):
        invoke("MASS_FOR_LAUNCH_COST", 0)
    with pytest.raises(CallError, match="cumulative_mass_t must be a finite number > 0"):
        invoke("LAUNCH_COST_AT_MASS", -1)
    cells = invoke("LAUNCH_COST_AT_MASS", [[1000.0, -5.0]])
    assert isinstance(cells[0][0], float) and cells[0][1].code == "#NUM!"
    with pytest.raises(InputError, match="mass_curve_reference_mass_t must be"):
        m.launch_cost_at_cumulative_mass(1, 1800, 0, 0.2)


# --- Suncatcher Table 1 (§7-8) -----------------------------------------------------------------

TABLE_1 = [
    # satellite, mass kg, power kW, life yr, published at $3,600/kg, at $200/kg
    ("Starlink V2 Mini", 575, 28, 5, 14_700, 810),
    ("Starlink V1", 260, 7, 5, 26_600, 1_470),
    ("OneWeb", 150, 0.8, 5, 135_800, 7_500),
    ("Iridium", 860, 2, 12.5, 124_600, 6_900),
]


@pytest.mark.parametrize("name, mass, power, life, at_3600, at_200", TABLE_1)
def test_suncatcher_table_1(name, mass, power, life, at_3600, at_200):
    for price, published in ((3600, at_3600), (200, at_200)):
        got = one("LAUNCH_COST_PER_KW_YEAR", mass, power, life, price)
        # the paper's power figures are unrounded: about 1.5 %
        assert got == pytest.approx(published, rel=0.015), (name, price)
        assert got == pytest.approx(mass * price / (power * life), rel=1e-15)
        assert m.launch_cost_per_kw_year(mass, power, life, price) == got


def test_suncatcher_rows_spill_from_ranges():
    cells = invoke("LAUNCH_COST_PER_KW_YEAR", [[575], [260]], [[28], [7]], 5, [[3600, 200]])
    assert cells[0][0] == pytest.approx(14_786, abs=0.5)
    assert cells[0][1] == pytest.approx(821, abs=0.5)
    assert cells[1][0] == pytest.approx(260 * 3600 / 35, rel=1e-15)
    with pytest.raises(CallError, match="power_kw must be a finite number > 0"):
        invoke("LAUNCH_COST_PER_KW_YEAR", 575, 0, 5, 3600)
    with pytest.raises(CallError, match="life_years must be a finite number > 0"):
        invoke("LAUNCH_COST_PER_KW_YEAR", 575, 28, -1, 3600)


# --- mass and cadence (§8) ---------------------------------------------------------------------

def _k_power(sun, degradation, life):
    """Oversizing by hand: 1 / (sun x mean of (1 - d)^y over y = 0 .. life-1)."""
    mean = sum((1 - degradation) ** y for y in range(life)) / life
    return 1 / (sun * mean)


def test_one_gw_at_40_w_per_kg_is_25000_t_and_250_flights():
    # the essay's scenario has no eclipse and no degradation: no oversizing
    assert one("LAUNCH_MASS", 1, "essay") == pytest.approx(25_000, rel=1e-15)
    assert one("LAUNCH_FLIGHTS", 1, "essay") == 250
    assert one("LAUNCH_FLIGHTS", 1, "essay", 150) == math.ceil(25_000 / 150)


def test_launch_mass_includes_the_oversizing():
    k = _k_power(0.98, 0.025, 5)
    assert one("LAUNCH_MASS", 1) == pytest.approx(25_000 * k, rel=1e-12)
    assert one("LAUNCH_FLIGHTS", 1) == math.ceil(250 * k)
    v = get_scenario("conservative").values()
    expected = 90 * 1e9 / 36.5 * _k_power(0.95, 0.025, 5) / 1000
    assert one("LAUNCH_MASS", 90, "conservative") == pytest.approx(expected, rel=1e-12)
    assert m.call_with_inputs(m.deployment_launch_mass, {**v, "power_gw": 90}) == (
        one("LAUNCH_MASS", 90, "conservative"))


def test_flights_per_year_for_100_gw_a_year():
    k = _k_power(0.98, 0.025, 5)
    # 100 GW/yr at 40 W/kg is 2.5 million t a year before oversizing
    assert one("FLIGHTS_PER_YEAR", 100) == math.ceil(2.5e6 * k / 100)
    assert one("FLIGHTS_PER_YEAR", 100, None, 200) == math.ceil(2.5e6 * k / 200)
    assert one("FLIGHTS_PER_YEAR", 0) == 0
    cells = invoke("FLIGHTS_PER_YEAR", [[1.0, 10.0, -1.0]], "essay")
    assert cells[0][:2] == [250.0, 2500.0]
    assert cells[0][2].code == "#NUM!"
    assert "deployment_gw_per_year must be a finite number >= 0" in cells[0][2].message
    with pytest.raises(CallError, match="payload_per_flight_t must be a finite number > 0"):
        invoke("FLIGHTS_PER_YEAR", 1, None, 0)


def test_payload_default_is_sourced():
    spec = get_input("payload_per_flight_t")
    assert spec.default == 100 and spec.unit == "t" and "Starship" in spec.source
    for name in ("mass_curve_reference_cost_per_kg", "mass_curve_reference_mass_t"):
        assert "Suncatcher" in get_input(name).source


# --- what must be true -------------------------------------------------------------------------

def _costs(v):
    return (m.call_with_inputs(m.orbital_cost_per_w_year, v),
            m.call_with_inputs(m.terrestrial_cost_per_w_year, v))


def _valid(spec, x):
    try:
        spec.check(x)
    except InputError:
        return False
    return True


def _samples(spec, v):
    """Values across an input's domain, for checking that no root was missed."""
    d = spec.domain
    if d in ("[0,1)",):
        return np.concatenate([np.linspace(0, 1 - 1e-9, 2001)])
    if d == "(0,1]":
        return np.linspace(1e-3, 1, 2001)
    if d == "whole>=1":
        return np.arange(1.0, 1001.0)
    top = max(1e4, 100 * abs(v.get(spec.name) or 1))
    if d == ">0":
        return np.geomspace(1e-6, top, 4000)
    lo = 1.0 if d == ">=1" else 0.0
    return np.concatenate([[lo], lo + np.geomspace(1e-6, top, 4000)])


def _check_required(name, v, price):
    """The required value puts S = T to rounding (or S <= T for a whole life), or no value
    in the input's domain does."""
    r = m.required_input(name, v, price)
    spec = get_input(name)
    at = dict(v, launch_cost_per_kg=price) if name != "launch_cost_per_kg" else dict(v)
    if math.isnan(r.value):
        assert r.reason.startswith(name) or name in r.reason
        if name not in COMPARED:
            return
        xs = _samples(spec, at)
        s, t = _costs({**at, name: xs}) if name != "launch_cost_per_kg" else _costs(
            {**at, name: np.abs(xs)})
        gap = np.asarray(s) - np.asarray(t)
        tol = 1e-12 * np.maximum(np.abs(s), np.abs(t))
        # no sign change and no zero anywhere in the domain sampled
        assert (np.all(gap > tol) or np.all(gap < -tol) or np.all(np.abs(gap) <= tol)), (
            name, r.reason)
        return
    assert _valid(spec, r.value), (name, r.value)
    s, t = _costs({**at, name: r.value})
    if r.method == "whole":
        assert s <= t
        if r.value > 1:
            s1, t1 = _costs({**at, name: r.value - 1})
            assert s1 > t1
    else:
        assert s == pytest.approx(t, rel=1e-12, abs=1e-12), (name, r.method)


@pytest.mark.parametrize("scenario", [s.name for s in SCENARIOS])
@pytest.mark.parametrize("name", [i.name for i in INPUTS])
def test_what_must_be_true_closes_the_gap_or_says_none_does(scenario, name):
    v = get_scenario(scenario).values()
    p_star = m.call_with_inputs(m.breakeven_launch_cost, v)
    for price in (v["launch_cost_per_kg"], 200.0, 0.0, max(p_star, 0.0), 10 * abs(p_star)):
        _check_required(name, v, price)


def test_what_must_be_true_worked_by_hand():
    essay = get_scenario("essay").values()
    # essay: S = (sat + p / spw + chips) / 5 and T = (19 + chips) / 5, chips alike
    assert one("WHAT_MUST_BE_TRUE", "specific_power_w_per_kg", "essay") == pytest.approx(
        3600 / (19 - 9), rel=1e-14)  # 360 W/kg at today's price
    assert one("WHAT_MUST_BE_TRUE", "Satellite cost per W", "essay", 500) == pytest.approx(
        19 - 500 / 40, rel=1e-14)
    assert one("WHAT_MUST_BE_TRUE", "facility_capex_per_w", "essay") == pytest.approx(
        9 + 3600 / 40, rel=1e-14)
    assert one("WHAT_MUST_BE_TRUE", "launch_cost_per_kg", "essay", 1234) == pytest.approx(
        400, rel=1e-14)
    # sun fraction: (9 + p/40) / sun = 19
    assert one("WHAT_MUST_BE_TRUE", "sun_fraction", "essay", 200) == pytest.approx(
        (9 + 5) / 19, rel=1e-14)
    # satellite life: S(L) = (9 + 90 + 41) / L against T = 12: L >= 140/12 = 11.7, so 12
    assert one("WHAT_MUST_BE_TRUE", "space_life_years", "essay") == 12
    # chip failures at $200/kg: 41 / R(f) = 60 - 14, R(f) = (1 - (1-f)^5) / (5 f): bisect here
    lo, hi = 1e-12, 0.999
    for _ in range(200):
        mid = (lo + hi) / 2
        r = (1 - (1 - mid) ** 5) / (5 * mid)
        lo, hi = (mid, hi) if 41 / r < 46 else (lo, mid)
    got = m.required_input_value("space_chip_failure_per_year", essay, 200.0)
    assert got == pytest.approx(lo, rel=1e-9)
    # chips cancel in the essay (equal lives, no failures, no discounting): no chip price
    # closes a gap, and a price that does not matter when the sides are equal keeps its value
    err = one("WHAT_MUST_BE_TRUE", "chip_capex_per_w", "essay")
    assert err.code == "#N/A" and "does not depend on it" in err.message
    assert one("WHAT_MUST_BE_TRUE", "chip_capex_per_w", "essay", 400) == 41


def test_what_must_be_true_no_root_is_na_with_the_reason():
    err = one("WHAT_MUST_BE_TRUE", "satellite_cost_per_w", "essay")
    assert err.code == "#N/A"
    assert "satellite_cost_per_w" in err.message and "-71" in err.message
    err = one("WHAT_MUST_BE_TRUE", "tokens_per_joule")
    assert err.code == "#N/A" and "does not enter" in err.message
    with pytest.raises(CallError) as exc:
        invoke("WHAT_MUST_BE_TRUE", "sunfraction")
    assert exc.value.error.code == "#VALUE!" and "valid names" in str(exc.value)
    with pytest.raises(CallError, match="input is required"):
        invoke("WHAT_MUST_BE_TRUE", None)
    with pytest.raises(CallError, match="launch_cost_per_kg must be a finite number >= 0"):
        invoke("WHAT_MUST_BE_TRUE", "pue", None, -5)
    with pytest.raises(InputError, match="input_name must name a model input"):
        m.required_input("nonsense", get_scenario("base").values())


@pytest.mark.parametrize("scenario", [s.name for s in SCENARIOS])
def test_what_must_be_true_table_lists_every_input_beside_its_value_and_range(scenario):
    v = get_scenario(scenario).values()
    low, high = ranges(v)
    rows = invoke("WHAT_MUST_BE_TRUE_TABLE", scenario)
    assert [r[0] for r in rows] == [i.name for i in INPUTS]
    for row, spec in zip(rows, INPUTS, strict=True):
        name, unit, value, lo, hi, required, method = row
        assert unit == spec.unit
        assert value == ("" if v[name] is None else v[name])
        assert lo == low.get(name, "") and hi == high.get(name, "")
        single = one("WHAT_MUST_BE_TRUE", name, scenario)
        assert required == single
        assert method in ("exact", "bracketed", "whole", "no effect")
    linear = {r[0]: r[6] for r in rows}
    assert linear["satellite_cost_per_w"] == "exact" and linear["discount_rate"] == "bracketed"


def test_at_the_breakeven_price_every_linear_input_keeps_its_value():
    v = get_scenario("essay_energy").values()
    p_star = m.call_with_inputs(m.breakeven_launch_cost, v)
    for name in ("satellite_cost_per_w", "specific_power_w_per_kg", "facility_capex_per_w",
                 "electricity_price_per_kwh", "pue", "sun_fraction"):
        assert m.required_input_value(name, v, p_star) == pytest.approx(v[name], rel=1e-12)


# --- properties over random inputs -------------------------------------------------------------

def _input_strategy():
    draws = {}
    for spec in INPUTS:
        if spec.name not in COMPARED:
            continue
        if spec.name == "space_life_years":
            draws[spec.name] = st.integers(1, 15).map(float)
        elif spec.low is not None and spec.low < spec.high:
            draws[spec.name] = st.floats(spec.low, spec.high)
        else:
            draws[spec.name] = st.just(spec.default)
    return st.fixed_dictionaries(draws)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_input_strategy(), st.floats(0, 5000), st.sampled_from(sorted(COMPARED)))
def test_property_required_value_closes_the_gap(values, price, name):
    v = {**get_scenario("base").values(), **values}
    _check_required(name, v, price)


@settings(max_examples=150, deadline=None)
@given(_input_strategy(), st.sampled_from(["satellite_cost_per_w", "specific_power_w_per_kg",
                                           "facility_capex_per_w", "pue", "chip_capex_per_w",
                                           "electricity_price_per_kwh", "space_ops_frac"]))
def test_property_at_the_breakeven_price_the_input_is_already_enough(values, name):
    v = {**get_scenario("base").values(), **values}
    p_star = m.call_with_inputs(m.breakeven_launch_cost, v)
    if not p_star >= 0:
        return
    r = m.required_input(name, v, p_star)
    if r.method == "no effect":
        return
    assert r.value == pytest.approx(v[name], rel=1e-9, abs=1e-9)
