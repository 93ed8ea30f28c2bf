"""The function catalogue: every Excel function of the add-in, described once.

Each :class:`ExcelFunction` holds its Excel name, its arguments (name, unit, description,
default), the shape of its result, a description Excel shows (at most 255 characters) and the
model function behind it. The xlwings module (``udfs/xlmodel_udfs.py``), the xlwings Lite
bundle, the template workbooks, the harness and the README's function reference are all
derived from this list; none of them repeats a signature by hand.

Calling convention: :func:`invoke` takes the raw arguments a spreadsheet hands over and
returns a 2-D list of Excel-safe cells (see :mod:`xlmodel.functions.calling`), or raises
:class:`~xlmodel.functions.calling.CallError` when the whole call fails.

This module imports nothing heavier than numpy, so it also runs under Pyodide (xlwings Lite).
"""

from __future__ import annotations

import numpy as np

from xlmodel import model as m
from xlmodel.errors import ExcelError, InputError
from xlmodel.functions.arguments import (
    ASSUMPTIONS,
    NUMBER,
    NUMBERS,
    SCALAR,
    TEXT,
    Arg,
    ExcelFunction,
    assumptions_arg,
    read_assumptions,
)
from xlmodel.functions.calling import (
    CallError,
    Elementwise,
    call_error,
    numbers,
    scalar_number,
    single,
    text,
    to_cells,
)
from xlmodel.functions.implementations import (
    _BUILDOUT,
    _COSTS,
    _LAUNCH,
    _MASS,
    _META,
    _T_VALUE,
    _UNCERTAINTY,
    _WHAT,
    ALG_HALVING,
    HALVING,
    LAUNCH_PRICE,
    OUTPUTS,
    _buildout_curve,
    _inputs_table,
    _launch_cost_curve,
    _monte_carlo,
    _orbital_cost,
    _payload_arg,
    _required_table,
    _required_value,
    _terrestrial_cost,
    _token_cost_curve,
    _tornado,
    _version,
    _with,
    _years_arg,
)

FUNCTIONS: tuple[ExcelFunction, ...] = (
    ExcelFunction(
        "ANNUALIZED_TOKEN_RETURN",
        "Hurdle rate: the annual return compute must earn when the cost per token halves "
        "every halving_years: 2^(1/T) - 1. T = 1 gives 1 (100 %).",
        (HALVING, ALG_HALVING), "1/yr (fraction)", _T_VALUE,
        lambda halving_years, algorithmic_halving_years: m.annualized_token_return(
            halving_years, algorithmic_halving_years),
        model=m.annualized_token_return, example="=ANNUALIZED_TOKEN_RETURN(1)",
    ),
    ExcelFunction(
        "ANNUAL_COST_DECLINE",
        "Fraction by which the cost per token falls each year: 1 - 2^(-1/T). T = 1 gives 0.5.",
        (HALVING, ALG_HALVING), "1/yr (fraction)", _T_VALUE,
        lambda halving_years, algorithmic_halving_years: m.annual_cost_decline(
            halving_years, algorithmic_halving_years),
        model=m.annual_cost_decline, example="=ANNUAL_COST_DECLINE(1)",
    ),
    ExcelFunction(
        "COMPUTE_EQUIVALENCE",
        "Power deployed delay_years later that does the work of power deployed now: "
        "P x 2^(delay/T). 1 GW now = 2 GW a year later when T = 1.",
        (Arg("power", "Capacity deployed now (any power unit; the result is in the same unit)."),
         Arg("delay_years", "How much later the alternative comes online.", "yr"),
         HALVING, ALG_HALVING),
        "same unit as power", _T_VALUE,
        lambda power, delay_years, halving_years, algorithmic_halving_years:
            m.compute_equivalence(power, delay_years, halving_years, algorithmic_halving_years),
        model=m.compute_equivalence, example="=COMPUTE_EQUIVALENCE(1, 1, 1)",
    ),
    ExcelFunction(
        "HEAD_START_VALUE",
        "How much more per unit (a fraction) capacity online lead_years sooner may cost and "
        "still break even: (1 + r)^lead - 1 = 2^(lead/T) - 1.",
        (Arg("lead_years", "How much sooner the capacity comes online.", "yr"),
         HALVING, ALG_HALVING),
        "fraction", _T_VALUE,
        lambda lead_years, halving_years, algorithmic_halving_years: m.head_start_value(
            lead_years, halving_years, algorithmic_halving_years),
        model=m.head_start_value, example="=HEAD_START_VALUE(1, 1)",
    ),
    ExcelFunction(
        "TOKEN_COST_CURVE",
        "Spills the cost per token for each year from start_year to end_year: year, cost "
        "(c0 x 2^(-(t - t0)/T)). No header row.",
        (Arg("start_cost", "Cost per token (any unit) in start_year.", "", SCALAR),
         Arg("start_year", "First year of the curve.", "year", SCALAR),
         Arg("end_year", "Last year of the curve.", "year", SCALAR),
         Arg("halving_years", "Years for the cost per token to halve.", "yr", SCALAR)),
        "year | cost unit", _T_VALUE, _token_cost_curve, elementwise=False,
        columns=("year", "cost per token"), model=m.token_cost,
        example="=TOKEN_COST_CURVE(1, 2025, 2035, 1)",
    ),
    ExcelFunction(
        "TERRESTRIAL_COST_PER_W_YEAR",
        "Cost of one delivered IT watt-year in a terrestrial data centre: facility and chips "
        "annualized, upkeep and energy.",
        (assumptions_arg(),), "$/W/yr", _COSTS, _terrestrial_cost,
        model=m.terrestrial_cost_per_w_year, example="=TERRESTRIAL_COST_PER_W_YEAR(\"base\")",
    ),
    ExcelFunction(
        "ORBITAL_COST_PER_W_YEAR",
        "Cost of one delivered IT watt-year in orbit at a launch price: satellite, launch and "
        "chips annualized with oversizing for eclipse, degradation and failures, plus ops.",
        (assumptions_arg(), LAUNCH_PRICE),
        "$/W/yr", _COSTS,
        _orbital_cost,
        model=m.orbital_cost_per_w_year, example="=ORBITAL_COST_PER_W_YEAR(\"base\", 200)",
    ),
    ExcelFunction(
        "TERRESTRIAL_COST_PER_MTOK",
        "Terrestrial cost per million tokens: cost per W-year / (tokens_per_joule x "
        "31,557,600 J) x 1e6.",
        (assumptions_arg(),), "$/Mtok", _COSTS,
        lambda inputs: m.cost_per_mtok(_terrestrial_cost(inputs), inputs["tokens_per_joule"]),
        model=m.cost_per_mtok, example="=TERRESTRIAL_COST_PER_MTOK()",
    ),
    ExcelFunction(
        "ORBITAL_COST_PER_MTOK",
        "Orbital cost per million tokens at a launch price: cost per W-year / "
        "(tokens_per_joule x 31,557,600 J) x 1e6.",
        (assumptions_arg(), LAUNCH_PRICE),
        "$/Mtok", _COSTS,
        lambda launch_cost_per_kg, inputs: m.cost_per_mtok(
            _orbital_cost(launch_cost_per_kg, inputs), inputs["tokens_per_joule"]),
        model=m.cost_per_mtok, example="=ORBITAL_COST_PER_MTOK(\"base\", 200)",
    ),
    ExcelFunction(
        "BREAKEVEN_LAUNCH_COST",
        "Launch price at which orbital and terrestrial cost per token are equal. Negative: "
        "even a free launch does not close the gap. The essay's reconstruction gives 400.",
        (assumptions_arg(),), "$/kg", _COSTS,
        lambda inputs: m.call_with_inputs(m.breakeven_launch_cost, inputs),
        model=m.breakeven_launch_cost, example="=BREAKEVEN_LAUNCH_COST(\"essay\")",
    ),
    ExcelFunction(
        "TIME_ADJUSTED_BREAKEVEN",
        "Breakeven launch price when orbital capacity comes online lead_years sooner and so "
        "earns the hurdle rate: solves S(p) = T x (1 + r)^lead.",
        (assumptions_arg(),
         Arg("lead_years", "How much sooner orbital capacity comes online.", "yr", NUMBER,
             optional=True, default_from=lambda v: v["deployment_lead_years"],
             default_doc="the assumptions' deployment_lead_years")),
        "$/kg", _COSTS,
        lambda lead_years, inputs: m.call_with_inputs(
            m.time_adjusted_breakeven_launch_cost,
            _with(inputs, deployment_lead_years=lead_years)),
        model=m.time_adjusted_breakeven_launch_cost,
        example="=TIME_ADJUSTED_BREAKEVEN(\"base\", 1)",
    ),
    ExcelFunction(
        "LAUNCH_COST",
        "Launch price in a year on Wright's learning curve: p0 x (1 - LR)^(m x (t - t0)).",
        (Arg("year", "Calendar year.", "year"), assumptions_arg()),
        "$/kg", _LAUNCH,
        lambda year, inputs: m.call_with_inputs(m.launch_cost, _with(inputs, year=year)),
        model=m.launch_cost, example="=LAUNCH_COST(2030)",
    ),
    ExcelFunction(
        "LAUNCH_COST_CURVE",
        "Spills the launch price for each year from start_year to end_year: year, $/kg. No "
        "header row.",
        (Arg("start_year", "First year of the curve.", "year", SCALAR),
         Arg("end_year", "Last year of the curve.", "year", SCALAR),
         assumptions_arg()),
        "year | $/kg", _LAUNCH, _launch_cost_curve, elementwise=False,
        columns=("year", "launch cost [$/kg]"), model=m.launch_cost,
        example="=LAUNCH_COST_CURVE(2025, 2040)",
    ),
    ExcelFunction(
        "CROSSOVER_YEAR",
        "First year the launch price reaches a target, by default the breakeven p*. #N/A "
        "when it never does (a target <= 0, or a price that does not fall).",
        (assumptions_arg(),
         Arg("target_launch_cost_per_kg", "Launch price to reach.", "$/kg", NUMBER,
             optional=True, default_from=lambda v: m.call_with_inputs(m.breakeven_launch_cost, v),
             default_doc="the breakeven launch cost p*")),
        "year", _LAUNCH,
        lambda target_launch_cost_per_kg, inputs: m.call_with_inputs(
            m.crossover_year, _with(inputs, target_launch_cost_per_kg=target_launch_cost_per_kg)),
        model=m.crossover_year, nan_error="#N/A",
        nan_message="the launch price never reaches the target",
        example="=CROSSOVER_YEAR(\"essay\")",
    ),
    ExcelFunction(
        "LAUNCH_COST_AT_MASS",
        "Launch price once a cumulative mass has been launched, on Wright's law over mass: "
        "p0 x (M / M0)^log2(1 - LR). Suncatcher: $1,800/kg at 400 t; $200/kg at ~368,300 t.",
        (Arg("cumulative_mass_t", "Cumulative mass launched.", "t"), assumptions_arg()),
        "$/kg", _LAUNCH,
        lambda cumulative_mass_t, inputs: m.call_with_inputs(
            m.launch_cost_at_cumulative_mass, _with(inputs, cumulative_mass_t=cumulative_mass_t)),
        model=m.launch_cost_at_cumulative_mass, example="=LAUNCH_COST_AT_MASS(104400)",
    ),
    ExcelFunction(
        "MASS_FOR_LAUNCH_COST",
        "Cumulative launched mass at which Wright's law over mass brings the price down to a "
        "target: M0 x (p / p0)^(1 / log2(1 - LR)). #N/A when the price does not fall.",
        (Arg("target_launch_cost_per_kg", "Launch price to reach.", "$/kg"), assumptions_arg()),
        "t", _LAUNCH,
        lambda target_launch_cost_per_kg, inputs: m.call_with_inputs(
            m.cumulative_mass_for_launch_cost,
            _with(inputs, target_launch_cost_per_kg=target_launch_cost_per_kg)),
        model=m.cumulative_mass_for_launch_cost, nan_error="#N/A",
        nan_message="the launch price does not fall with mass (learning rate 0)",
        example="=MASS_FOR_LAUNCH_COST(200)",
    ),
    ExcelFunction(
        "LAUNCH_COST_PER_KW_YEAR",
        "Launch cost alone per kW-year of a satellite, as Google Suncatcher computes it: "
        "mass x price / (power x life). Starlink V2 Mini (575 kg, 28 kW, 5 yr) at $3,600/kg: "
        "14,786.",
        (Arg("mass_kg", "Satellite mass.", "kg"),
         Arg("power_kw", "Satellite power.", "kW"),
         Arg("life_years", "Satellite life.", "yr"),
         Arg("launch_cost_per_kg", "Launch price.", "$/kg")),
        "$/kW/yr", _LAUNCH,
        lambda mass_kg, power_kw, life_years, launch_cost_per_kg: m.launch_cost_per_kw_year(
            mass_kg, power_kw, life_years, launch_cost_per_kg),
        model=m.launch_cost_per_kw_year, example="=LAUNCH_COST_PER_KW_YEAR(575, 28, 5, 3600)",
    ),
    ExcelFunction(
        "LAUNCH_MASS",
        "Mass to launch to deliver a power of IT load in orbit, the array oversized for eclipse "
        "and degradation: P x k_power / specific power. 1 GW at 40 W/kg, no oversizing: "
        "25,000 t.",
        (Arg("power_gw", "IT load to deliver in orbit.", "GW"), assumptions_arg()),
        "t", _MASS,
        lambda power_gw, inputs: m.call_with_inputs(
            m.deployment_launch_mass, _with(inputs, power_gw=power_gw)),
        model=m.deployment_launch_mass, example="=LAUNCH_MASS(1)",
    ),
    ExcelFunction(
        "LAUNCH_FLIGHTS",
        "Launches needed to deliver a power of IT load in orbit, oversizing included: "
        "launch mass / payload per flight, rounded up. 1 GW at 40 W/kg, 100 t a flight, no "
        "oversizing: 250.",
        (Arg("power_gw", "IT load to deliver in orbit.", "GW"), assumptions_arg(),
         _payload_arg()),
        "flights", _MASS,
        lambda power_gw, payload_per_flight_t, inputs: m.call_with_inputs(
            m.deployment_flights,
            _with(inputs, power_gw=power_gw, payload_per_flight_t=payload_per_flight_t)),
        model=m.deployment_flights, example="=LAUNCH_FLIGHTS(1)",
    ),
    ExcelFunction(
        "FLIGHTS_PER_YEAR",
        "Launches a year needed to deploy IT load in orbit at a rate in GW/yr, oversizing "
        "included, rounded up (replacements not counted). SpaceX's S-1 speaks of 100 GW a "
        "year.",
        (Arg("deployment_gw_per_year", "IT load brought into service each year.", "GW/yr"),
         assumptions_arg(), _payload_arg()),
        "flights/yr", _MASS,
        lambda deployment_gw_per_year, payload_per_flight_t, inputs: m.call_with_inputs(
            m.flights_per_year,
            _with(inputs, deployment_gw_per_year=deployment_gw_per_year,
                  payload_per_flight_t=payload_per_flight_t)),
        model=m.flights_per_year, example="=FLIGHTS_PER_YEAR(100)",
    ),
    ExcelFunction(
        "WHAT_MUST_BE_TRUE",
        "The value one input must take for orbital to cost what terrestrial does at a launch "
        "price, the others held: exact where the cost is linear in it, bracketed otherwise. "
        "#N/A where no valid value does.",
        (Arg("input", "Name of the input to solve for, e.g. satellite_cost_per_w.", "", TEXT),
         assumptions_arg(),
         Arg("launch_cost_per_kg", "Launch price.", "$/kg", SCALAR, optional=True,
             default_doc="the assumptions' launch_cost_per_kg")),
        "unit of the input", _WHAT, _required_value, elementwise=False,
        columns=("required value",), model=m.required_input,
        example="=WHAT_MUST_BE_TRUE(\"specific_power_w_per_kg\", \"essay\")",
    ),
    ExcelFunction(
        "WHAT_MUST_BE_TRUE_TABLE",
        "Spills every input's required value for orbital to cost what terrestrial does at a "
        "launch price, beside its value and range: input, unit, value, low, high, required, "
        "method.",
        (assumptions_arg(),
         Arg("launch_cost_per_kg", "Launch price.", "$/kg", SCALAR, optional=True,
             default_doc="the assumptions' launch_cost_per_kg")),
        "input | unit | input unit x4 | text", _WHAT, _required_table, elementwise=False,
        columns=("input", "unit", "value", "low", "high", "required value", "method"),
        model=m.what_must_be_true, example="=WHAT_MUST_BE_TRUE_TABLE(\"essay\")",
    ),
    ExcelFunction(
        "BUILDOUT_GROWTH_RATE",
        "Annual growth of terrestrial installs that meets both a final-year install and a "
        "cumulative total. Essay: 90 GW in 2030, 250 GW over 2026-2030: 0.427.",
        (Arg("final_year_gw", "Capacity installed in the final year.", "GW", NUMBER, True, 90.0),
         Arg("cumulative_gw", "Capacity installed over all the years.", "GW", NUMBER, True,
             250.0),
         _years_arg("start_year", "First year counted.", 2026.0, True),
         _years_arg("final_year", "Final year.", 2030.0, True)),
        "1/yr (fraction)", _BUILDOUT,
        lambda final_year_gw, cumulative_gw, start_year, final_year: m.buildout_growth_rate(
            final_year_gw, cumulative_gw, start_year, final_year),
        model=m.buildout_growth_rate, example="=BUILDOUT_GROWTH_RATE(90, 250, 2026, 2030)",
    ),
    ExcelFunction(
        "BUILDOUT_CURVE",
        "Spills the installs per year that meet both a final-year install and a cumulative "
        "total: year, GW. No header row.",
        (Arg("final_year_gw", "Capacity installed in the final year.", "GW", SCALAR, True, 90.0),
         Arg("cumulative_gw", "Capacity installed over all the years.", "GW", SCALAR, True,
             250.0),
         Arg("start_year", "First year counted.", "year", SCALAR, True, 2026.0),
         Arg("final_year", "Final year.", "year", SCALAR, True, 2030.0)),
        "year | GW", _BUILDOUT, _buildout_curve, elementwise=False,
        columns=("year", "installed [GW]"), model=m.buildout_curve,
        example="=BUILDOUT_CURVE(90, 250, 2026, 2030)",
    ),
    ExcelFunction(
        "TORNADO",
        "Spills a tornado table: each input at its low and high, the others at base, ranked "
        "by swing: input, low, high, output at low, output at high, swing.",
        (assumptions_arg(),
         Arg("output", "Output to study: " + ", ".join(OUTPUTS) + ".", "", TEXT, True,
             "breakeven_launch_cost")),
        "input | input unit | input unit | output unit x3", _UNCERTAINTY, _tornado,
        elementwise=False,
        columns=("input", "low", "high", "output at low", "output at high", "swing"),
        model=m.tornado, example="=TORNADO()",
    ),
    ExcelFunction(
        "MONTE_CARLO",
        "Spills percentiles, the mean and P(output > threshold) of an output with inputs "
        "drawn from triangular (low, value, high) distributions: label, value.",
        (assumptions_arg(),
         Arg("percentiles", "Percentiles to report, 0-100.", "%", NUMBERS, True, "5, 50, 95"),
         Arg("threshold", "Also report the share of draws above this value.", "output unit",
             SCALAR, True),
         Arg("output", "Output to study: " + ", ".join(OUTPUTS) + ".", "", TEXT, True,
             "breakeven_launch_cost"),
         Arg("draws", "Number of draws.", "", SCALAR, True, 100000.0),
         Arg("seed", "Random seed: the same seed gives the same result.", "", SCALAR, True, 0.0)),
        "label | output unit", _UNCERTAINTY, _monte_carlo, elementwise=False,
        columns=("statistic", "value"), model=m.monte_carlo,
        example="=MONTE_CARLO(, {5,50,95}, 400)",
    ),
    ExcelFunction(
        "XLMODEL_INPUTS",
        "Spills every model input of a scenario: name, value, unit, source.",
        (Arg("scenario", "base, essay, essay_energy or conservative.", "", TEXT, True, "base"),),
        "name | value | unit | source", _META, _inputs_table, elementwise=False,
        columns=("name", "value", "unit", "source"), example="=XLMODEL_INPUTS(\"essay\")",
    ),
    ExcelFunction(
        "XLMODEL_VERSION",
        "The add-in's version and the result of a self-test (the essay's $400/kg). Use it to "
        "check that the functions are wired up.",
        (), "text", _META, _version, elementwise=False, columns=("version",),
        example="=XLMODEL_VERSION()",
    ),
)

_BY_NAME = {f.name: f for f in FUNCTIONS}


def get_function(name: str) -> ExcelFunction:
    """The catalogue entry called ``name`` (case-insensitive)."""
    key = str(name).upper()
    if key not in _BY_NAME:
        raise KeyError(f"no Excel function {name!r} in the catalogue")
    return _BY_NAME[key]


def invoke(name: str, *raw_args) -> list[list]:
    """Call catalogue function ``name`` with raw spreadsheet arguments.

    Returns a 2-D list of cells (float, str, bool or ExcelError). Raises CallError when the
    whole call fails. Any other exception is a bug, and the adapters turn it into #VALUE!
    rather than a traceback in a cell.
    """
    key = _call_key(name, raw_args)
    if key is not None:
        hit = _CALLS.get(key)
        if hit is not None:
            if isinstance(hit, CallError):
                raise CallError(hit.error.code, hit.error.message)
            return [list(row) for row in hit]
    try:
        result = _call(name, raw_args)
    except CallError as exc:
        if key is not None:
            _remember(key, exc)
        raise
    if key is not None:
        _remember(key, [list(row) for row in result])
    return result


#: Results of recent calls by their arguments. Every catalogue function is pure (the same
#: arguments give the same result; MONTE_CARLO is seeded), so a workbook that makes the same
#: call in many cells computes it once.
_CALLS: dict = {}
_CALLS_MAX = 4096
#: Calls with more argument cells than this are not remembered (the key would cost more
#: than it saves).
_KEY_CELLS_MAX = 256


def _remember(key, value) -> None:
    if len(_CALLS) >= _CALLS_MAX:
        _CALLS.clear()
    _CALLS[key] = value


def _call_key(name, raw_args):
    """A hashable key of a call, or None when an argument is too big or unusual to key."""
    parts = [str(name).upper()]
    budget = _KEY_CELLS_MAX
    for a in raw_args:
        if isinstance(a, np.ndarray):
            a = a.tolist()
        if isinstance(a, (list, tuple)):
            rows = a if a and isinstance(a[0], (list, tuple)) else [a]
            frozen = []
            for row in rows:
                if not isinstance(row, (list, tuple)):
                    return None
                budget -= len(row)
                if budget < 0:
                    return None
                cells = tuple(_cell_key(x) for x in row)
                if None in cells:
                    return None
                frozen.append(cells)
            parts.append(("grid", len(rows) if a and isinstance(a[0], (list, tuple)) else 0,
                          tuple(frozen)))
        else:
            k = _cell_key(a)
            if k is None:
                return None
            parts.append(k)
    return tuple(parts)


def _cell_key(x):
    # typed, so that 1, 1.0 and True (equal in Python) stay different calls
    if x is None:
        return ("blank",)
    t = type(x)
    if t is float or t is str or t is bool or t is int:
        if t is float and x != x:
            return ("nan",)
        return (t.__name__, x)
    if isinstance(x, np.generic):
        return _cell_key(x.item())
    if isinstance(x, ExcelError):
        return ("error", x.code, x.message)
    return None


def _call(name, raw_args) -> list[list]:
    fn = get_function(name)
    if len(raw_args) > len(fn.args):
        raise CallError("#VALUE!", f"{fn.name} takes at most {len(fn.args)} arguments, "
                        f"got {len(raw_args)}")
    raw = list(raw_args) + [None] * (len(fn.args) - len(raw_args))
    try:
        return _invoke(fn, raw)
    except InputError as exc:
        raise call_error(exc) from None


def _invoke(fn: ExcelFunction, raw: list) -> list[list]:
    assumptions = None
    for a, value in zip(fn.args, raw, strict=True):
        if a.kind == ASSUMPTIONS:
            assumptions = read_assumptions(value)
    if fn.elementwise:
        named = []
        for a, value in zip(fn.args, raw, strict=True):
            if a.kind != NUMBER:
                continue
            default = a.default
            if a.default_from is not None:
                default = a.default_from(assumptions[0])
            if default is None and a.optional:
                default = _OPTIONAL_BLANK[a.name]
            named.append((a.name, value, default))
        fixed = {"inputs": assumptions[0]} if assumptions is not None else {}
        if not named:
            try:
                result = fn.compute(**fixed)
            except InputError as exc:
                raise call_error(exc) from None
            return to_cells(result, fn.nan_error, fn.nan_message)
        scalars = _scalar_arguments(named)
        if scalars is not None:
            # one value per argument, the common call from a cell: no broadcasting to do
            try:
                result = fn.compute(**scalars, **fixed)
            except InputError as exc:
                raise call_error(exc) from None
            value = np.asarray(result, dtype=float).reshape(-1)
            if value.size == 1:
                return to_cells([[value[0]]], fn.nan_error, fn.nan_message)
        cells = Elementwise(named).apply(fn.compute, **fixed)
        return to_cells(cells, fn.nan_error, fn.nan_message)
    kwargs = {}
    for a, value in zip(fn.args, raw, strict=True):
        if a.kind == ASSUMPTIONS:
            kwargs[a.name] = assumptions
        elif a.kind == SCALAR:
            default = a.default if isinstance(a.default, float) else None
            kwargs[a.name] = scalar_number(a.name, value, default, required=not a.optional)
        elif a.kind == TEXT:
            kwargs[a.name] = text(a.name, value, a.default if isinstance(a.default, str) else None)
        elif a.kind == NUMBERS:
            kwargs[a.name] = numbers(a.name, value)
        else:  # a NUMBER argument of a table function: one cell
            kwargs[a.name] = scalar_number(a.name, single(a.name, value), a.default)
    return to_cells(fn.compute(**kwargs))


def _scalar_arguments(named) -> dict | None:
    """{name: float} when every argument is one finite number (or blank with a default);
    None when :class:`Elementwise` must look at them (ranges, text, errors, NaN)."""
    out = {}
    for name, value, default in named:
        if type(value) is list and len(value) == 1 and type(value[0]) is list and len(
                value[0]) == 1:
            value = value[0][0]
        if value is None:
            if default is None:
                return None
            value = default
        if type(value) is not float or not (value == value) or value in (_INF, -_INF):
            if not (type(value) is float and value in (_INF, -_INF) and value == default):
                return None
        out[name] = value
    return out


_INF = float("inf")


# Optional NUMBER arguments without a default: what "not given" means to the model.
_OPTIONAL_BLANK = {"algorithmic_halving_years": np.inf}


def function_names() -> list[str]:
    return [f.name for f in FUNCTIONS]
