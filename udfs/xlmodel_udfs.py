"""xlmodel's Excel functions, for classic xlwings, xlwings Lite and xlwings Server.

Generated from the function catalogue (xlmodel/functions/catalogue.py) by `xlmodel udfs`: edit the
catalogue, not this file. Each function hands its arguments to the catalogue, which checks
them and returns numbers, spilled arrays or Excel error values.
"""

import xlwings as xw

from xlmodel.excel.runtime import call as _call
from xlmodel.excel.runtime import missing as _missing


def __getattr__(name):
    # xlwings Server and Lite look a called function up by its name: one this module does not
    # have is a #VALUE! with a message, never an AttributeError (xlwings Server answers that
    # with HTTP 500, which the add-in retries and which drops the connection)
    return _missing(name)



@xw.func(category="xlmodel")
@xw.arg('halving_years', ndim=2, err_to_str=True, doc='[yr] Years for the cost per token to halve (hardware).')
@xw.arg('algorithmic_halving_years', ndim=2, err_to_str=True, doc='[yr] Years for algorithmic gains alone to halve the cost per token. Blank leaves them out. Optional.')
def ANNUALIZED_TOKEN_RETURN(halving_years, algorithmic_halving_years=None):
    """Hurdle rate: the annual return compute must earn when the cost per token halves every halving_years: 2^(1/T) - 1. T = 1 gives 1 (100 %)."""
    return _call('ANNUALIZED_TOKEN_RETURN', halving_years, algorithmic_halving_years)


@xw.func(category="xlmodel")
@xw.arg('halving_years', ndim=2, err_to_str=True, doc='[yr] Years for the cost per token to halve (hardware).')
@xw.arg('algorithmic_halving_years', ndim=2, err_to_str=True, doc='[yr] Years for algorithmic gains alone to halve the cost per token. Blank leaves them out. Optional.')
def ANNUAL_COST_DECLINE(halving_years, algorithmic_halving_years=None):
    """Fraction by which the cost per token falls each year: 1 - 2^(-1/T). T = 1 gives 0.5."""
    return _call('ANNUAL_COST_DECLINE', halving_years, algorithmic_halving_years)


@xw.func(category="xlmodel")
@xw.arg('power', ndim=2, err_to_str=True, doc='Capacity deployed now (any power unit; the result is in the same unit).')
@xw.arg('delay_years', ndim=2, err_to_str=True, doc='[yr] How much later the alternative comes online.')
@xw.arg('halving_years', ndim=2, err_to_str=True, doc='[yr] Years for the cost per token to halve (hardware).')
@xw.arg('algorithmic_halving_years', ndim=2, err_to_str=True, doc='[yr] Years for algorithmic gains alone to halve the cost per token. Blank leaves them out. Optional.')
def COMPUTE_EQUIVALENCE(power, delay_years, halving_years, algorithmic_halving_years=None):
    """Power deployed delay_years later that does the work of power deployed now: P x 2^(delay/T). 1 GW now = 2 GW a year later when T = 1."""
    return _call('COMPUTE_EQUIVALENCE', power, delay_years, halving_years, algorithmic_halving_years)


@xw.func(category="xlmodel")
@xw.arg('lead_years', ndim=2, err_to_str=True, doc='[yr] How much sooner the capacity comes online.')
@xw.arg('halving_years', ndim=2, err_to_str=True, doc='[yr] Years for the cost per token to halve (hardware).')
@xw.arg('algorithmic_halving_years', ndim=2, err_to_str=True, doc='[yr] Years for algorithmic gains alone to halve the cost per token. Blank leaves them out. Optional.')
def HEAD_START_VALUE(lead_years, halving_years, algorithmic_halving_years=None):
    """How much more per unit (a fraction) capacity online lead_years sooner may cost and still break even: (1 + r)^lead - 1 = 2^(lead/T) - 1."""
    return _call('HEAD_START_VALUE', lead_years, halving_years, algorithmic_halving_years)


@xw.func(category="xlmodel")
@xw.arg('start_cost', ndim=2, err_to_str=True, doc='Cost per token (any unit) in start_year.')
@xw.arg('start_year', ndim=2, err_to_str=True, doc='[year] First year of the curve.')
@xw.arg('end_year', ndim=2, err_to_str=True, doc='[year] Last year of the curve.')
@xw.arg('halving_years', ndim=2, err_to_str=True, doc='[yr] Years for the cost per token to halve.')
def TOKEN_COST_CURVE(start_cost, start_year, end_year, halving_years):
    """Spills the cost per token for each year from start_year to end_year: year, cost (c0 x 2^(-(t - t0)/T)). No header row."""
    return _call('TOKEN_COST_CURVE', start_cost, start_year, end_year, halving_years)


@xw.func(category="xlmodel")
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
def TERRESTRIAL_COST_PER_W_YEAR(assumptions=None):
    """Cost of one delivered IT watt-year in a terrestrial data centre: facility and chips annualized, upkeep and energy."""
    return _call('TERRESTRIAL_COST_PER_W_YEAR', assumptions)


@xw.func(category="xlmodel")
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
@xw.arg('launch_cost_per_kg', ndim=2, err_to_str=True, doc="[$/kg] Launch price. Default: the assumptions' launch_cost_per_kg.")
def ORBITAL_COST_PER_W_YEAR(assumptions=None, launch_cost_per_kg=None):
    """Cost of one delivered IT watt-year in orbit at a launch price: satellite, launch and chips annualized with oversizing for eclipse, degradation and failures, plus ops."""
    return _call('ORBITAL_COST_PER_W_YEAR', assumptions, launch_cost_per_kg)


@xw.func(category="xlmodel")
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
def TERRESTRIAL_COST_PER_MTOK(assumptions=None):
    """Terrestrial cost per million tokens: cost per W-year / (tokens_per_joule x 31,557,600 J) x 1e6."""
    return _call('TERRESTRIAL_COST_PER_MTOK', assumptions)


@xw.func(category="xlmodel")
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
@xw.arg('launch_cost_per_kg', ndim=2, err_to_str=True, doc="[$/kg] Launch price. Default: the assumptions' launch_cost_per_kg.")
def ORBITAL_COST_PER_MTOK(assumptions=None, launch_cost_per_kg=None):
    """Orbital cost per million tokens at a launch price: cost per W-year / (tokens_per_joule x 31,557,600 J) x 1e6."""
    return _call('ORBITAL_COST_PER_MTOK', assumptions, launch_cost_per_kg)


@xw.func(category="xlmodel")
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
def BREAKEVEN_LAUNCH_COST(assumptions=None):
    """Launch price at which orbital and terrestrial cost per token are equal. Negative: even a free launch does not close the gap. The essay's reconstruction gives 400."""
    return _call('BREAKEVEN_LAUNCH_COST', assumptions)


@xw.func(category="xlmodel")
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
@xw.arg('lead_years', ndim=2, err_to_str=True, doc="[yr] How much sooner orbital capacity comes online. Default: the assumptions' deployment_lead_years.")
def TIME_ADJUSTED_BREAKEVEN(assumptions=None, lead_years=None):
    """Breakeven launch price when orbital capacity comes online lead_years sooner and so earns the hurdle rate: solves S(p) = T x (1 + r)^lead."""
    return _call('TIME_ADJUSTED_BREAKEVEN', assumptions, lead_years)


@xw.func(category="xlmodel")
@xw.arg('year', ndim=2, err_to_str=True, doc='[year] Calendar year.')
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
def LAUNCH_COST(year, assumptions=None):
    """Launch price in a year on Wright's learning curve: p0 x (1 - LR)^(m x (t - t0))."""
    return _call('LAUNCH_COST', year, assumptions)


@xw.func(category="xlmodel")
@xw.arg('start_year', ndim=2, err_to_str=True, doc='[year] First year of the curve.')
@xw.arg('end_year', ndim=2, err_to_str=True, doc='[year] Last year of the curve.')
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
def LAUNCH_COST_CURVE(start_year, end_year, assumptions=None):
    """Spills the launch price for each year from start_year to end_year: year, $/kg. No header row."""
    return _call('LAUNCH_COST_CURVE', start_year, end_year, assumptions)


@xw.func(category="xlmodel")
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
@xw.arg('target_launch_cost_per_kg', ndim=2, err_to_str=True, doc='[$/kg] Launch price to reach. Default: the breakeven launch cost p*.')
def CROSSOVER_YEAR(assumptions=None, target_launch_cost_per_kg=None):
    """First year the launch price reaches a target, by default the breakeven p*. #N/A when it never does (a target <= 0, or a price that does not fall)."""
    return _call('CROSSOVER_YEAR', assumptions, target_launch_cost_per_kg)


@xw.func(category="xlmodel")
@xw.arg('cumulative_mass_t', ndim=2, err_to_str=True, doc='[t] Cumulative mass launched.')
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
def LAUNCH_COST_AT_MASS(cumulative_mass_t, assumptions=None):
    """Launch price once a cumulative mass has been launched, on Wright's law over mass: p0 x (M / M0)^log2(1 - LR). Suncatcher: $1,800/kg at 400 t; $200/kg at ~368,300 t."""
    return _call('LAUNCH_COST_AT_MASS', cumulative_mass_t, assumptions)


@xw.func(category="xlmodel")
@xw.arg('target_launch_cost_per_kg', ndim=2, err_to_str=True, doc='[$/kg] Launch price to reach.')
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
def MASS_FOR_LAUNCH_COST(target_launch_cost_per_kg, assumptions=None):
    """Cumulative launched mass at which Wright's law over mass brings the price down to a target: M0 x (p / p0)^(1 / log2(1 - LR)). #N/A when the price does not fall."""
    return _call('MASS_FOR_LAUNCH_COST', target_launch_cost_per_kg, assumptions)


@xw.func(category="xlmodel")
@xw.arg('mass_kg', ndim=2, err_to_str=True, doc='[kg] Satellite mass.')
@xw.arg('power_kw', ndim=2, err_to_str=True, doc='[kW] Satellite power.')
@xw.arg('life_years', ndim=2, err_to_str=True, doc='[yr] Satellite life.')
@xw.arg('launch_cost_per_kg', ndim=2, err_to_str=True, doc='[$/kg] Launch price.')
def LAUNCH_COST_PER_KW_YEAR(mass_kg, power_kw, life_years, launch_cost_per_kg):
    """Launch cost alone per kW-year of a satellite, as Google Suncatcher computes it: mass x price / (power x life). Starlink V2 Mini (575 kg, 28 kW, 5 yr) at $3,600/kg: 14,786."""
    return _call('LAUNCH_COST_PER_KW_YEAR', mass_kg, power_kw, life_years, launch_cost_per_kg)


@xw.func(category="xlmodel")
@xw.arg('power_gw', ndim=2, err_to_str=True, doc='[GW] IT load to deliver in orbit.')
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
def LAUNCH_MASS(power_gw, assumptions=None):
    """Mass to launch to deliver a power of IT load in orbit, the array oversized for eclipse and degradation: P x k_power / specific power. 1 GW at 40 W/kg, no oversizing: 25,000 t."""
    return _call('LAUNCH_MASS', power_gw, assumptions)


@xw.func(category="xlmodel")
@xw.arg('power_gw', ndim=2, err_to_str=True, doc='[GW] IT load to deliver in orbit.')
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
@xw.arg('payload_per_flight_t', ndim=2, err_to_str=True, doc="[t] Payload one launch puts in orbit. Default: the assumptions' payload_per_flight_t (Starship, 100 t).")
def LAUNCH_FLIGHTS(power_gw, assumptions=None, payload_per_flight_t=None):
    """Launches needed to deliver a power of IT load in orbit, oversizing included: launch mass / payload per flight, rounded up. 1 GW at 40 W/kg, 100 t a flight, no oversizing: 250."""
    return _call('LAUNCH_FLIGHTS', power_gw, assumptions, payload_per_flight_t)


@xw.func(category="xlmodel")
@xw.arg('deployment_gw_per_year', ndim=2, err_to_str=True, doc='[GW/yr] IT load brought into service each year.')
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
@xw.arg('payload_per_flight_t', ndim=2, err_to_str=True, doc="[t] Payload one launch puts in orbit. Default: the assumptions' payload_per_flight_t (Starship, 100 t).")
def FLIGHTS_PER_YEAR(deployment_gw_per_year, assumptions=None, payload_per_flight_t=None):
    """Launches a year needed to deploy IT load in orbit at a rate in GW/yr, oversizing included, rounded up (replacements not counted). SpaceX's S-1 speaks of 100 GW a year."""
    return _call('FLIGHTS_PER_YEAR', deployment_gw_per_year, assumptions, payload_per_flight_t)


@xw.func(category="xlmodel")
@xw.arg('input', ndim=2, err_to_str=True, doc='Name of the input to solve for, e.g. satellite_cost_per_w.')
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
@xw.arg('launch_cost_per_kg', ndim=2, err_to_str=True, doc="[$/kg] Launch price. Default: the assumptions' launch_cost_per_kg.")
def WHAT_MUST_BE_TRUE(input, assumptions=None, launch_cost_per_kg=None):
    """The value one input must take for orbital to cost what terrestrial does at a launch price, the others held: exact where the cost is linear in it, bracketed otherwise. #N/A where no valid value does."""
    return _call('WHAT_MUST_BE_TRUE', input, assumptions, launch_cost_per_kg)


@xw.func(category="xlmodel")
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
@xw.arg('launch_cost_per_kg', ndim=2, err_to_str=True, doc="[$/kg] Launch price. Default: the assumptions' launch_cost_per_kg.")
def WHAT_MUST_BE_TRUE_TABLE(assumptions=None, launch_cost_per_kg=None):
    """Spills every input's required value for orbital to cost what terrestrial does at a launch price, beside its value and range: input, unit, value, low, high, required, method."""
    return _call('WHAT_MUST_BE_TRUE_TABLE', assumptions, launch_cost_per_kg)


@xw.func(category="xlmodel")
@xw.arg('final_year_gw', ndim=2, err_to_str=True, doc='[GW] Capacity installed in the final year. Default 90.0.')
@xw.arg('cumulative_gw', ndim=2, err_to_str=True, doc='[GW] Capacity installed over all the years. Default 250.0.')
@xw.arg('start_year', ndim=2, err_to_str=True, doc='[year] First year counted. Default 2026.0.')
@xw.arg('final_year', ndim=2, err_to_str=True, doc='[year] Final year. Default 2030.0.')
def BUILDOUT_GROWTH_RATE(final_year_gw=None, cumulative_gw=None, start_year=None, final_year=None):
    """Annual growth of terrestrial installs that meets both a final-year install and a cumulative total. Essay: 90 GW in 2030, 250 GW over 2026-2030: 0.427."""
    return _call('BUILDOUT_GROWTH_RATE', final_year_gw, cumulative_gw, start_year, final_year)


@xw.func(category="xlmodel")
@xw.arg('final_year_gw', ndim=2, err_to_str=True, doc='[GW] Capacity installed in the final year. Default 90.0.')
@xw.arg('cumulative_gw', ndim=2, err_to_str=True, doc='[GW] Capacity installed over all the years. Default 250.0.')
@xw.arg('start_year', ndim=2, err_to_str=True, doc='[year] First year counted. Default 2026.0.')
@xw.arg('final_year', ndim=2, err_to_str=True, doc='[year] Final year. Default 2030.0.')
def BUILDOUT_CURVE(final_year_gw=None, cumulative_gw=None, start_year=None, final_year=None):
    """Spills the installs per year that meet both a final-year install and a cumulative total: year, GW. No header row."""
    return _call('BUILDOUT_CURVE', final_year_gw, cumulative_gw, start_year, final_year)


@xw.func(category="xlmodel")
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
@xw.arg('output', ndim=2, err_to_str=True, doc='Output to study: breakeven_launch_cost, time_adjusted_breakeven_launch_cost, terrestrial_cost_per_w_year, orbital_cost_per_w_year. Default breakeven_launch_cost.')
def TORNADO(assumptions=None, output=None):
    """Spills a tornado table: each input at its low and high, the others at base, ranked by swing: input, low, high, output at low, output at high, swing."""
    return _call('TORNADO', assumptions, output)


@xw.func(category="xlmodel")
@xw.arg('assumptions', ndim=2, err_to_str=True, doc="A scenario name (base, essay, essay_energy, conservative), or a 2-column range of input names and values (4 columns add low and high). Blank values take the scenario's. Omitted: base. Optional.")
@xw.arg('percentiles', ndim=2, err_to_str=True, doc='[%] Percentiles to report, 0-100. Default 5, 50, 95.')
@xw.arg('threshold', ndim=2, err_to_str=True, doc='[output unit] Also report the share of draws above this value. Optional.')
@xw.arg('output', ndim=2, err_to_str=True, doc='Output to study: breakeven_launch_cost, time_adjusted_breakeven_launch_cost, terrestrial_cost_per_w_year, orbital_cost_per_w_year. Default breakeven_launch_cost.')
@xw.arg('draws', ndim=2, err_to_str=True, doc='Number of draws. Default 100000.0.')
@xw.arg('seed', ndim=2, err_to_str=True, doc='Random seed: the same seed gives the same result. Default 0.0.')
def MONTE_CARLO(assumptions=None, percentiles=None, threshold=None, output=None, draws=None, seed=None):
    """Spills percentiles, the mean and P(output > threshold) of an output with inputs drawn from triangular (low, value, high) distributions: label, value."""
    return _call('MONTE_CARLO', assumptions, percentiles, threshold, output, draws, seed)


@xw.func(category="xlmodel")
@xw.arg('scenario', ndim=2, err_to_str=True, doc='base, essay, essay_energy or conservative. Default base.')
def XLMODEL_INPUTS(scenario=None):
    """Spills every model input of a scenario: name, value, unit, source."""
    return _call('XLMODEL_INPUTS', scenario)


@xw.func(category="xlmodel")
def XLMODEL_VERSION():
    """The add-in's version and the result of a self-test (the essay's $400/kg). Use it to check that the functions are wired up."""
    return _call('XLMODEL_VERSION')


__all__ = [
    'ANNUALIZED_TOKEN_RETURN',
    'ANNUAL_COST_DECLINE',
    'COMPUTE_EQUIVALENCE',
    'HEAD_START_VALUE',
    'TOKEN_COST_CURVE',
    'TERRESTRIAL_COST_PER_W_YEAR',
    'ORBITAL_COST_PER_W_YEAR',
    'TERRESTRIAL_COST_PER_MTOK',
    'ORBITAL_COST_PER_MTOK',
    'BREAKEVEN_LAUNCH_COST',
    'TIME_ADJUSTED_BREAKEVEN',
    'LAUNCH_COST',
    'LAUNCH_COST_CURVE',
    'CROSSOVER_YEAR',
    'LAUNCH_COST_AT_MASS',
    'MASS_FOR_LAUNCH_COST',
    'LAUNCH_COST_PER_KW_YEAR',
    'LAUNCH_MASS',
    'LAUNCH_FLIGHTS',
    'FLIGHTS_PER_YEAR',
    'WHAT_MUST_BE_TRUE',
    'WHAT_MUST_BE_TRUE_TABLE',
    'BUILDOUT_GROWTH_RATE',
    'BUILDOUT_CURVE',
    'TORNADO',
    'MONTE_CARLO',
    'XLMODEL_INPUTS',
    'XLMODEL_VERSION',
    '__getattr__',
]
