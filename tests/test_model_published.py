"""The model against the figures published by the essay and its sources (design/model.md §7).

Every expected number here is either a published figure or arithmetic written out in the
test from the source's own inputs, never a value printed by the code under test.
"""

import math

import pytest

from xlmodel import model as m
from xlmodel.model.inputs import get_scenario


def test_essay_halving_every_year_means_100_percent_hurdle():
    assert m.annualized_token_return(1.0) == pytest.approx(1.0, rel=1e-15)
    assert m.annual_cost_decline(1.0) == pytest.approx(0.5, rel=1e-15)


def test_essay_one_gw_today_is_two_gw_next_year():
    assert m.compute_equivalence(1.0, 1.0, 1.0) == pytest.approx(2.0, rel=1e-15)
    # and a two-year head start may cost up to (1 + 100 %)^2 - 1 = 300 % more
    assert m.head_start_value(2.0, 1.0) == pytest.approx(3.0, rel=1e-15)


def test_epoch_hardware_halving_gives_39_8_percent():
    assert m.annualized_token_return(2.07) == pytest.approx(0.398, abs=5e-4)


def test_a16z_tenfold_per_year_gives_900_percent():
    # 10x per year is a halving time of 1/log2(10) years; hardware left out (infinite).
    t_alg = 1.0 / math.log2(10.0)
    assert m.annualized_token_return(math.inf, t_alg) == pytest.approx(9.0, rel=1e-9)


def test_hardware_and_algorithmic_rates_add():
    # 1-year hardware and 1-year algorithmic halving together halve every half year: 4x a year.
    assert m.combined_halving_years(1.0, 1.0) == pytest.approx(0.5)
    assert m.annualized_token_return(1.0, 1.0) == pytest.approx(3.0)


def test_reconstruction_gives_exactly_400_per_kg():
    expected = (19 - 9) * 40  # the essay's reconstruction, $/kg
    v = get_scenario("essay").values()
    assert m.call_with_inputs(m.breakeven_launch_cost, v) == pytest.approx(expected, rel=1e-12)


def test_reconstruction_with_energy_adds_the_energy_bill():
    # 1.2 PUE x 8.766 kWh/W-yr x $0.08/kWh per W-yr, times 40 W/kg x 5 yr of life
    expected = 400 + 1.2 * 8.766 * 0.08 * 40 * 5
    v = get_scenario("essay_energy").values()
    assert m.call_with_inputs(m.breakeven_launch_cost, v) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "mass_kg, power_kw, price, published, from_inputs",
    [
        # Starlink V2 Mini: 575 kg, 28 kW, 5 yr
        (575, 28, 3600, 14_700, 14_786),
        (575, 28, 200, 810, 821),
        # Starlink V1: 260 kg, 7 kW, 5 yr
        (260, 7, 3600, 26_600, None),
        (260, 7, 200, 1_470, None),
    ],
)
def test_suncatcher_launch_cost_per_kw_year(mass_kg, power_kw, price, published, from_inputs):
    specific_power = power_kw * 1000 / mass_kg  # W/kg
    per_kw_year = 1000 * m.launch_cost_per_w_year(price, specific_power, 5)
    # the paper rounds its inputs (its 821 is printed as 810): within 2 %
    assert per_kw_year == pytest.approx(published, rel=0.02)
    if from_inputs is not None:
        assert per_kw_year == pytest.approx(from_inputs, abs=0.5)


def test_launch_cost_inside_orbital_cost_matches_suncatcher():
    # With no losses, no chips and no satellite cost, the orbital cost is launch cost alone.
    s = m.orbital_cost_per_w_year(3600, 0.0, 28_000 / 575, 1.0, 0.0, 0.0, 5, 0.0, 0.0, 0.0)
    assert 1000 * s == pytest.approx(14_786, abs=0.5)


def test_suncatcher_terrestrial_power_cost_band():
    # $570-3,000 per kW-yr of power: energy alone at the band's prices and PUEs.
    low = 1000 * m.terrestrial_cost_per_w_year(0, 1, 0, 0.06, 1.09, 0, 1, 0)
    high = 1000 * m.terrestrial_cost_per_w_year(0, 1, 0, 0.25, 1.4, 0, 1, 0)
    assert low == pytest.approx(570, rel=0.01)
    assert high == pytest.approx(3_000, rel=0.03)


def test_starcloud_energy_bill():
    # 40 MW for 10 years at $0.04/kWh: about $140M
    per_w_year = m.terrestrial_cost_per_w_year(0, 1, 0, 0.04, 1.0, 0, 1, 0)
    assert per_w_year * 40e6 * 10 == pytest.approx(140e6, rel=0.005)


@pytest.mark.parametrize(
    "start, growth, curve",
    [
        (2026, 0.427, [21.7, 31.0, 44.2, 63.1, 90.0]),
        (2027, 0.315, None),
    ],
)
def test_essay_buildout_growth(start, growth, curve):
    rate = m.buildout_growth_rate(90, 250, start, 2030)
    assert rate == pytest.approx(growth, abs=5e-4)
    years, gw = m.buildout_curve(90, 250, start, 2030)
    assert list(years) == list(range(start, 2031))
    assert gw[-1] == pytest.approx(90, rel=1e-12)
    assert gw.sum() == pytest.approx(250, rel=1e-12)
    if curve:
        assert gw == pytest.approx(curve, abs=0.05)


def test_crf_is_the_annuity_factor():
    # 10 % over 5 years: 0.1 / (1 - 1.1^-5) = 0.263797...
    assert m.capital_recovery_factor(0.10, 5) == pytest.approx(0.1 / (1 - 1.1 ** -5), rel=1e-14)
    assert m.capital_recovery_factor(0.0, 5) == 0.2
    # continuous in the rate at zero
    assert m.capital_recovery_factor(1e-12, 5) == pytest.approx(0.2, rel=1e-9)


def test_mean_retention_is_the_mean_over_the_years():
    # 2.5 %/yr over 5 years: mean of 1, .975, .975^2, .975^3, .975^4
    expected = sum(0.975 ** y for y in range(5)) / 5
    assert m.mean_geometric_retention(0.025, 5) == pytest.approx(expected, rel=1e-14)
    assert m.mean_geometric_retention(0.0, 7) == 1.0


def test_launch_curve_and_crossover():
    # p(t) = 3600 * 0.8^(1.3 (t - 2025)); $400/kg is reached after log(9)/(1.3 log 1.25)
    # = 7.57 years, so in 2033.
    assert m.launch_cost(2025, 3600, 2025, 0.2, 1.3) == 3600
    assert m.launch_cost(2026, 3600, 2025, 0.2, 1.3) == pytest.approx(3600 * 0.8 ** 1.3)
    assert m.crossover_year(400, 3600, 2025, 0.2, 1.3) == 2033
    # an exact hit counts: one doubling a year at 50 % reaches 900 after exactly 2 years
    assert m.crossover_year(900, 3600, 2025, 0.5, 1.0) == 2027
    assert m.crossover_year(5000, 3600, 2025, 0.2, 1.3) == 2025
    assert math.isnan(m.crossover_year(-10, 3600, 2025, 0.2, 1.3))
    assert math.isnan(m.crossover_year(100, 3600, 2025, 0.0, 1.3))


def test_wright_law_on_mass():
    # each doubling of cumulative mass cuts the price by 20 %
    assert m.launch_cost_at_mass(4.0, 1000, 1.0, 0.2) == pytest.approx(640)


def test_cost_per_mtok():
    # $1 per W-year at 1 token per joule: 1e6 / 31,557,600 $/Mtok
    assert m.cost_per_mtok(1.0, 1.0) == pytest.approx(1e6 / 31_557_600, rel=1e-15)


def test_time_adjusted_breakeven_credits_the_hurdle():
    # Essay reconstruction, 1 year sooner at 100 %/yr: S(p**) = 2 T, T = (19 + 41)/5 = 12,
    # S(p) = (9 + p/40)/5 + 41/5, so p** = (24 - 50/5) * 200 = 2,800.
    v = get_scenario("essay").values()
    v["deployment_lead_years"] = 1.0
    assert m.call_with_inputs(m.time_adjusted_breakeven_launch_cost, v) == pytest.approx(2800)
    v["deployment_lead_years"] = 0.0
    assert m.call_with_inputs(m.time_adjusted_breakeven_launch_cost, v) == pytest.approx(400)
