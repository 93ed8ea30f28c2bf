"""The input table, the scenarios and the name matching."""

import math

import pytest

from xlmodel import model as m
from xlmodel.errors import InputError
from xlmodel.model.inputs import INPUTS, SCENARIOS, get_input, get_scenario, resolve

# The defaults of design/model.md §6, written out again here.
PUBLISHED_DEFAULTS = {
    "hardware_halving_years": 1.0, "launch_cost_per_kg": 3600, "launch_learning_rate": 0.20,
    "specific_power_w_per_kg": 40, "satellite_cost_per_w": 9, "sun_fraction": 0.98,
    "solar_degradation_per_year": 0.025, "space_chip_failure_per_year": 0.09,
    "space_life_years": 5, "space_ops_frac": 0.01, "facility_capex_per_w": 13.8,
    "facility_life_years": 15, "terrestrial_opex_frac": 0.03,
    "electricity_price_per_kwh": 0.08, "pue": 1.2, "chip_capex_per_w": 41,
    "chip_life_years": 5, "discount_rate": 0.10, "tokens_per_joule": 5,
    "buildout_final_year_gw": 90, "buildout_cumulative_gw": 250,
}


def test_defaults_are_the_published_ones():
    for name, value in PUBLISHED_DEFAULTS.items():
        assert get_input(name).default == value, name
    assert get_input("algorithmic_halving_years").default is None


def test_every_input_has_unit_source_and_sane_range():
    for i in INPUTS:
        assert i.unit and i.source and i.description, i.name
        if i.low is not None:
            assert i.low <= i.default <= i.high, i.name
    assumptions = {i.name for i in INPUTS if i.is_assumption}
    assert {"chip_life_years", "discount_rate", "tokens_per_joule",
            "launch_mass_doublings_per_year"} <= assumptions


def test_every_model_parameter_is_an_input():
    names = {i.name for i in INPUTS}
    for func in (m.breakeven_launch_cost, m.time_adjusted_breakeven_launch_cost,
                 m.launch_cost, m.buildout_growth_rate):
        for p in m.uncertainty.parameter_names(func):
            if p != "year":
                assert p in names, p


def test_doublings_assumption_reaches_200_per_kg_mid_2030s():
    v = get_scenario("base").values()
    price_2035 = m.call_with_inputs(m.launch_cost, {**v, "year": 2035})
    assert 150 <= price_2035 <= 250


def test_names_match_loosely_and_unknown_names_list_the_valid_ones():
    assert get_input("Sun Fraction").name == "sun_fraction"
    assert get_input(" SUN-fraction ").name == "sun_fraction"
    with pytest.raises(InputError) as err:
        get_input("sunfraction")
    assert "valid names" in str(err.value) and "sun_fraction" in str(err.value)
    with pytest.raises(InputError) as err:
        get_scenario("optimistic")
    assert "essay" in str(err.value) and "conservative" in str(err.value)


def test_resolve_overrides_scenario_and_keeps_blanks():
    v = resolve([("Scenario", "Essay"), ("Discount Rate", 0.05), ("pue", None), ("pue ", "")])
    assert v["discount_rate"] == 0.05
    assert v["facility_capex_per_w"] == 19.0  # from the essay scenario
    assert v["pue"] == 1.2
    with pytest.raises(InputError, match="pue must be a number"):
        resolve([("pue", "high")])
    with pytest.raises(InputError, match="pue must be a number"):
        resolve([("pue", True)])
    with pytest.raises(InputError, match="valid names"):
        resolve([("not_an_input", 1.0)])


def test_scenarios_cover_the_required_set_and_are_complete():
    names = {s.name for s in SCENARIOS}
    assert {"essay", "base", "conservative"} <= names
    for s in SCENARIOS:
        v = s.values()
        assert set(v) == {i.name for i in INPUTS}
        p = m.call_with_inputs(m.breakeven_launch_cost, v)
        assert math.isfinite(p)


def test_base_breakeven_is_negative_as_model_md_says():
    assert m.call_with_inputs(m.breakeven_launch_cost, get_scenario("base").values()) < 0
