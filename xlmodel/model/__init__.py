"""Floor 1, the economic model: pure numpy functions of named inputs, no Excel.

Owns the equations (one module per part of the model: time value of compute, costs on Earth
and in orbit, launch learning, build-out, deployment mass and cadence, what must be true,
uncertainty), the sourced inputs and scenarios (:mod:`~xlmodel.model.inputs`) and the
headline figures (:mod:`~xlmodel.model.headline`).

Each function broadcasts like a ufunc and checks its domain, raising
:class:`xlmodel.errors.InputError` naming the argument and the rule.

May import: :mod:`xlmodel.errors` and numpy, nothing else of xlmodel or of Excel (no
openpyxl, xlwings or pandas): it runs unchanged in Pyodide, and its transcendental functions
are the CPU-independent ones of :mod:`~xlmodel.model.portable`.
"""

from .buildout import buildout_curve, buildout_growth_factor, buildout_growth_rate
from .costs import (
    breakeven_launch_cost,
    capital_recovery_factor,
    cost_per_mtok,
    launch_cost_per_w_year,
    mean_geometric_retention,
    orbital_cost_per_w_year,
    terrestrial_cost_per_w_year,
    time_adjusted_breakeven_launch_cost,
)
from .deploy import (
    cumulative_mass_for_launch_cost,
    deployment_flights,
    deployment_launch_mass,
    flights_per_year,
    launch_cost_at_cumulative_mass,
    launch_cost_per_kw_year,
)
from .launch import crossover_year, launch_cost, launch_cost_at_mass
from .required import Required, required_input, required_input_value, what_must_be_true
from .timevalue import (
    annual_cost_decline,
    annualized_token_return,
    combined_halving_years,
    compute_equivalence,
    head_start_value,
    token_cost,
)
from .uncertainty import call_with_inputs, monte_carlo, tornado

__all__ = [
    "Required",
    "cumulative_mass_for_launch_cost",
    "deployment_flights",
    "deployment_launch_mass",
    "flights_per_year",
    "launch_cost_at_cumulative_mass",
    "launch_cost_per_kw_year",
    "required_input",
    "required_input_value",
    "what_must_be_true",
    "annual_cost_decline",
    "annualized_token_return",
    "breakeven_launch_cost",
    "buildout_curve",
    "buildout_growth_factor",
    "buildout_growth_rate",
    "call_with_inputs",
    "capital_recovery_factor",
    "combined_halving_years",
    "compute_equivalence",
    "cost_per_mtok",
    "crossover_year",
    "head_start_value",
    "launch_cost",
    "launch_cost_at_mass",
    "launch_cost_per_w_year",
    "mean_geometric_retention",
    "monte_carlo",
    "orbital_cost_per_w_year",
    "terrestrial_cost_per_w_year",
    "time_adjusted_breakeven_launch_cost",
    "token_cost",
    "tornado",
]
