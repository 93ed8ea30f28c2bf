"""The functions behind the catalogue's entries where an entry needs more than one model call:
curves, tornado, Monte Carlo, the input table, what must be true; and the outputs tornado and
Monte Carlo can study.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from xlmodel import model as m
from xlmodel._version import __version__
from xlmodel.errors import ExcelError, InputError
from xlmodel.functions.arguments import MAX_CELL_DRAWS, MAX_CURVE_ROWS, NUMBER, Arg, _input_name
from xlmodel.functions.calling import (
    CallError,
    call_error,
)
from xlmodel.model.inputs import (
    INPUTS,
    get_input,
    get_scenario,
    normalize_name,
    whole_draw_inputs,
)

# --- outputs that tornado and Monte Carlo can study -------------------------------------------

#: Model outputs by the names TORNADO and MONTE_CARLO accept.
OUTPUTS: dict[str, Callable] = {
    "breakeven_launch_cost": m.breakeven_launch_cost,
    "time_adjusted_breakeven_launch_cost": m.time_adjusted_breakeven_launch_cost,
    "terrestrial_cost_per_w_year": m.terrestrial_cost_per_w_year,
    "orbital_cost_per_w_year": m.orbital_cost_per_w_year,
}


def output_function(name: str | None) -> Callable:
    key = normalize_name(name or "breakeven_launch_cost")
    if key not in OUTPUTS:
        raise CallError("#VALUE!", f"output {name!r} is unknown; valid outputs: "
                        + ", ".join(OUTPUTS))
    return OUTPUTS[key]


# --- the functions' implementations -----------------------------------------------------------

def _with(inputs, **over):
    v = dict(inputs)
    v.update(over)
    return v


def _halving_kw(halving_years, algorithmic_halving_years=np.inf):
    return {"halving_years": halving_years, "algorithmic_halving_years": algorithmic_halving_years}


def _curve_years(start_year, end_year):
    for name, y in (("start_year", start_year), ("end_year", end_year)):
        if y != int(y):
            raise CallError("#NUM!", f"{name} must be a whole year, got {y:g}")
    if end_year < start_year:
        raise CallError("#NUM!", f"end_year must be >= start_year, got {end_year:g} < "
                        f"{start_year:g}")
    if end_year - start_year + 1 > MAX_CURVE_ROWS:
        raise CallError("#NUM!", f"the curve would have {end_year - start_year + 1:,.6g} rows; "
                        f"at most {MAX_CURVE_ROWS} are allowed")
    return np.arange(start_year, end_year + 1, dtype=float)


def _token_cost_curve(start_cost, start_year, end_year, halving_years):
    years = _curve_years(start_year, end_year)
    cost = m.token_cost(start_cost, start_year, years, halving_years)
    return np.column_stack([years, cost])


def _launch_cost_curve(start_year, end_year, assumptions):
    inputs = assumptions[0]
    years = _curve_years(start_year, end_year)
    return np.column_stack([years, m.call_with_inputs(m.launch_cost, _with(inputs, year=years))])


def _buildout_curve(final_year_gw, cumulative_gw, start_year, final_year):
    years, gw = m.buildout_curve(final_year_gw, cumulative_gw, start_year, final_year)
    return np.column_stack([years, gw])


def _tornado(assumptions, output):
    inputs, low, high = assumptions
    base_out, rows = m.tornado(output_function(output), inputs, low, high)
    return [[r.name, r.low_input, r.high_input, r.output_at_low, r.output_at_high, r.swing]
            for r in rows] or [[ExcelError("#N/A", "no input of this output has a range")] * 6]


def _monte_carlo(assumptions, percentiles, threshold, output, draws, seed):
    inputs, low, high = assumptions
    if draws > MAX_CELL_DRAWS:
        raise CallError("#NUM!", f"draws must be at most {MAX_CELL_DRAWS:,} in a cell, "
                        f"got {draws:,.0f}")
    res = m.monte_carlo(output_function(output), inputs, low, high, draws=draws, seed=seed,
                        percentiles=percentiles or (5, 50, 95), threshold=threshold,
                        whole=whole_draw_inputs())
    rows = [[f"P{p:g}", q] for p, q in res.percentiles.items()]
    rows.append(["mean", res.mean])
    if res.exceedance is not None:
        rows.append([f"P(> {threshold:g})", res.exceedance])
    return rows


def _inputs_table(scenario):
    try:
        values = get_scenario(scenario or "base").values()
    except InputError as exc:
        raise call_error(exc) from None
    return [[i.name, values[i.name] if values[i.name] is not None else "", i.unit, i.source]
            for i in INPUTS]


def _version():
    from xlmodel.model.inputs import get_scenario as _scenario

    # Self-test: the essay's reconstruction must give (19 - 9) x 40 = $400/kg.
    p = m.call_with_inputs(m.breakeven_launch_cost, _scenario("essay").values())
    ok = abs(p - 400.0) < 1e-9
    return [[f"xlmodel {__version__}: " + ("self-test passed" if ok else
                                           f"SELF-TEST FAILED (p* = {p!r})")]]


def _years_arg(name, description, default=None, optional=False):
    return Arg(name, description, "year", NUMBER, optional, default)


def _terrestrial_cost(inputs):
    return m.call_with_inputs(m.terrestrial_cost_per_w_year, inputs)


def _orbital_cost(launch_cost_per_kg, inputs):
    return m.call_with_inputs(m.orbital_cost_per_w_year,
                              _with(inputs, launch_cost_per_kg=launch_cost_per_kg))


def _required_value(input, assumptions, launch_cost_per_kg):
    inputs = assumptions[0]
    if input is None:
        raise CallError("#VALUE!", "input is required: the name of an input, e.g. "
                        "satellite_cost_per_w")
    name = _input_name(input)
    r = m.required_input(name, inputs, launch_cost_per_kg)
    if r.value != r.value:  # NaN: no root
        return [[ExcelError("#N/A", r.reason)]]
    return [[r.value]]


def _required_table(assumptions, launch_cost_per_kg):
    inputs, low, high = assumptions
    rows = []
    for row in m.what_must_be_true(inputs, low, high, launch_cost_per_kg,
                                   names=[i.name for i in INPUTS]):
        r = row.required
        value = ExcelError("#N/A", r.reason) if r.value != r.value else r.value
        rows.append([row.name, get_input(row.name).unit, row.value, row.low, row.high, value,
                     r.method])
    return rows


def _payload_arg():
    return Arg("payload_per_flight_t", "Payload one launch puts in orbit.", "t", NUMBER,
               optional=True, default_from=lambda v: v["payload_per_flight_t"],
               default_doc="the assumptions' payload_per_flight_t (Starship, 100 t)")


LAUNCH_PRICE = Arg("launch_cost_per_kg", "Launch price.", "$/kg", NUMBER, optional=True,
                   default_from=lambda v: v["launch_cost_per_kg"],
                   default_doc="the assumptions' launch_cost_per_kg")
HALVING = Arg("halving_years", "Years for the cost per token to halve (hardware).", "yr")
ALG_HALVING = Arg("algorithmic_halving_years", "Years for algorithmic gains alone to halve "
                  "the cost per token. Blank leaves them out.", "yr", NUMBER, optional=True)

_T_VALUE = "Time value of compute"
_COSTS = "Costs and breakeven"
_LAUNCH = "Launch"
_MASS = "Mass and cadence"
_WHAT = "What must be true"
_BUILDOUT = "Build-out"
_UNCERTAINTY = "Sensitivity and uncertainty"
_META = "Reference"

