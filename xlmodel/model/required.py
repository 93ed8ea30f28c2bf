"""What must be true: the value of one input at which orbital equals terrestrial.

Design/model.md section 8. At a given launch price ``p``, hold every input but one at its
value and solve ``S(p) = T`` for that one:

* **exact**, in closed form, where the gap ``S - T`` is linear in the input or in its
  reciprocal: the launch price, satellite cost, specific power (``1/x``), sun fraction
  (``1/x``), space upkeep, chip capex (both sides), facility capex, terrestrial upkeep,
  electricity price and PUE;
* **bracketed** where it is not: array degradation, chip failures, the facility and chip
  lives and the discount rate. The gap is sampled over the input's domain (bounded as
  :data:`SEARCH` says), every sign change is bisected down to adjacent floating-point numbers,
  and the root nearest the input's value is returned;
* **whole** for the satellite life, which the model takes in whole years: the least whole
  life at which orbital costs no more than terrestrial (an exact root rarely falls on a whole
  year);
* no root (NaN, with the reason) where the root falls outside the input's domain (a negative
  satellite cost, a sun fraction above 1), where no value in the search range closes the
  gap, or where the input does not move the gap at all: the time-value, launch-curve,
  build-out and mass inputs, and ``tokens_per_joule``, which scales both sides alike. An
  input that does not move the gap when the two sides are already equal keeps its value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from . import _checks as chk
from .costs import (
    KWH_PER_W_YEAR,
    _crf,
    _mean_retention,
    orbital_cost_per_w_year,
    terrestrial_cost_per_w_year,
)
from .uncertainty import call_with_inputs, parameter_names

#: Inputs of the orbital and the terrestrial cost.
ORBITAL = parameter_names(orbital_cost_per_w_year)
TERRESTRIAL = parameter_names(terrestrial_cost_per_w_year)
COMPARED = tuple(dict.fromkeys(ORBITAL + TERRESTRIAL))

EXACT = "exact"
BRACKETED = "bracketed"
WHOLE = "whole"
NO_EFFECT = "no effect"

#: Where the bracketed inputs are searched: (low, high, spacing of the sample). The bounds
#: are far beyond any plausible value (lives from about 30 seconds to a million years, a
#: cost of capital up to 10^8 %/yr), so that a root the model has is found, however absurd
#: the value; the root nearest the value used is the one reported.
SEARCH = {
    "solar_degradation_per_year": (0.0, 1.0 - 1e-9, "linear"),
    "space_chip_failure_per_year": (0.0, 1.0 - 1e-9, "linear"),
    "facility_life_years": (1e-6, 1e6, "geometric"),
    "chip_life_years": (1e-6, 1e6, "geometric"),
    "discount_rate": (0.0, 1e6, "geometric"),
}
#: Longest satellite life searched [yr], as far beyond plausible values as SEARCH.
MAX_WHOLE_LIFE = 1000
_SAMPLES = 1201


@dataclass(frozen=True)
class Required:
    """The value an input must take for orbital to equal terrestrial."""

    name: str
    value: float
    """The required value, NaN where there is none."""
    method: str
    """exact, bracketed, whole or no effect."""
    reason: str = ""
    """Why there is no value, where there is none."""


def _values(inputs: Mapping[str, object], launch_cost_per_kg) -> dict[str, float]:
    v = {k: inputs[k] for k in COMPARED if k in inputs and inputs[k] is not None}
    missing = [k for k in COMPARED if k not in v]
    if missing:
        raise KeyError("what must be true needs the inputs " + ", ".join(missing))
    if launch_cost_per_kg is not None:
        v["launch_cost_per_kg"] = launch_cost_per_kg
    # the model's own checks: an input outside its domain names itself and its rule
    call_with_inputs(orbital_cost_per_w_year, v)
    call_with_inputs(terrestrial_cost_per_w_year, v)
    return {k: float(chk.as_float(k, x)) for k, x in v.items()}


def gap(inputs: Mapping[str, object], launch_cost_per_kg=None):
    """Orbital minus terrestrial cost per delivered watt-year [$/W/yr] (broadcasts)."""
    v = dict(inputs)
    if launch_cost_per_kg is not None:
        v["launch_cost_per_kg"] = launch_cost_per_kg
    return (np.asarray(call_with_inputs(orbital_cost_per_w_year, v))
            - np.asarray(call_with_inputs(terrestrial_cost_per_w_year, v)))


def required_input(input_name: str, inputs: Mapping[str, object],
                   launch_cost_per_kg: float | None = None) -> Required:
    """The value of ``input_name`` at which orbital equals terrestrial at a launch price.

    Parameters
    ----------
    input_name : str
        An input of :mod:`xlmodel.model.inputs` (its exact name).
    inputs : mapping
        A full input set; every input of the orbital and terrestrial cost is needed.
    launch_cost_per_kg : float, optional
        The launch price [$/kg]; default: ``inputs["launch_cost_per_kg"]``. Ignored when
        solving for the launch price itself (the answer is then the breakeven ``p*``).

    Returns
    -------
    Required
        The value (NaN where there is none, with the reason) and how it was found.
    """
    if input_name not in COMPARED and input_name not in inputs:
        raise chk.InputError("input_name", "must name a model input", input_name,
                             code="#VALUE!")
    v = _values(inputs, launch_cost_per_kg)
    if input_name not in COMPARED:
        return _no_effect(input_name, inputs.get(input_name), v,
                          "it does not enter the orbital or the terrestrial cost")
    if input_name in _LINEAR:
        coef, const, transform, check = _LINEAR[input_name](v)
        return _solve_linear(input_name, coef, const, transform, check, v)
    if input_name == "space_life_years":
        return _whole_life(v)
    return _bracket(input_name, v)


def required_input_value(input_name: str, inputs: Mapping[str, object],
                         launch_cost_per_kg: float | None = None) -> float:
    """:func:`required_input`'s value alone (NaN where there is none)."""
    return required_input(input_name, inputs, launch_cost_per_kg).value


#: A gap within this many units in the last place of the costs counts as zero (rounding).
_ROUNDING = 64 * np.finfo(float).eps


def _tolerance(v) -> float:
    """Rounding of the gap at these inputs [$/W/yr]."""
    s = abs(float(call_with_inputs(orbital_cost_per_w_year, v)))
    t = abs(float(call_with_inputs(terrestrial_cost_per_w_year, v)))
    return _ROUNDING * max(s, t)


def _no_effect(name, current, v, why) -> Required:
    here = float(gap(v))
    if abs(here) <= _tolerance(v) and current is not None:
        return Required(name, float(current), NO_EFFECT)
    return Required(name, math.nan, NO_EFFECT, f"{name} cannot close the gap: {why}")


# --- exact: the gap is coef * g(x) + const, g(x) = x or 1/x -----------------------------------

def _parts(v):
    i = v["discount_rate"]
    life = v["space_life_years"]
    crf_s = float(_crf(i, life))
    r_power = float(_mean_retention(v["solar_degradation_per_year"], life))
    k_chips = 1.0 / float(_mean_retention(v["space_chip_failure_per_year"], life))
    k_power = 1.0 / (v["sun_fraction"] * r_power)
    crf_f = float(_crf(i, v["facility_life_years"]))
    crf_c = float(_crf(i, v["chip_life_years"]))
    return crf_s, r_power, k_power, k_chips, crf_f, crf_c


def _orbital(v, k_power, k_chips, crf_s, *, sat=None, launch=None, chips=None, ops=None):
    """Terms of S; any keyword set to 0 leaves its term out."""
    sat = v["satellite_cost_per_w"] if sat is None else sat
    launch = v["launch_cost_per_kg"] / v["specific_power_w_per_kg"] if launch is None else launch
    chips = v["chip_capex_per_w"] if chips is None else chips
    ops = v["space_ops_frac"] if ops is None else ops
    return (sat + launch) * k_power * crf_s + chips * k_chips * crf_s + ops * sat * k_power


def _terrestrial(v, crf_f, crf_c, *, facility=None, opex=None, energy=None, chips=None):
    f = v["facility_capex_per_w"] if facility is None else facility
    opex = v["terrestrial_opex_frac"] if opex is None else opex
    energy = (v["pue"] * KWH_PER_W_YEAR * v["electricity_price_per_kwh"]
              if energy is None else energy)
    chips = v["chip_capex_per_w"] if chips is None else chips
    return f * crf_f + opex * f + energy + chips * crf_c


_DIRECT = "x"
_RECIPROCAL = "1/x"


def _launch_price(v):
    crf_s, _, k_power, k_chips, crf_f, crf_c = _parts(v)
    coef = k_power * crf_s / v["specific_power_w_per_kg"]
    const = _orbital(v, k_power, k_chips, crf_s, launch=0.0) - _terrestrial(v, crf_f, crf_c)
    return coef, const, _DIRECT, (lambda x: x >= 0, "must be >= 0")


def _satellite_cost(v):
    crf_s, _, k_power, k_chips, crf_f, crf_c = _parts(v)
    coef = k_power * (crf_s + v["space_ops_frac"])
    const = _orbital(v, k_power, k_chips, crf_s, sat=0.0) - _terrestrial(v, crf_f, crf_c)
    return coef, const, _DIRECT, (lambda x: x >= 0, "must be >= 0")


def _specific_power(v):
    crf_s, _, k_power, k_chips, crf_f, crf_c = _parts(v)
    coef = v["launch_cost_per_kg"] * k_power * crf_s
    const = _orbital(v, k_power, k_chips, crf_s, launch=0.0) - _terrestrial(v, crf_f, crf_c)
    return coef, const, _RECIPROCAL, (lambda x: x > 0, "must be > 0")


def _sun_fraction(v):
    crf_s, r_power, _, k_chips, crf_f, crf_c = _parts(v)
    # S = A / sun + B: the array terms scale with k_power = 1 / (sun * retention)
    coef = _orbital(v, 1.0 / r_power, k_chips, crf_s, chips=0.0)
    const = _orbital(v, 0.0, k_chips, crf_s) - _terrestrial(v, crf_f, crf_c)
    return coef, const, _RECIPROCAL, (lambda x: 0 < x <= 1, "must be > 0 and <= 1")


def _space_ops(v):
    crf_s, _, k_power, k_chips, crf_f, crf_c = _parts(v)
    coef = v["satellite_cost_per_w"] * k_power
    const = _orbital(v, k_power, k_chips, crf_s, ops=0.0) - _terrestrial(v, crf_f, crf_c)
    return coef, const, _DIRECT, (lambda x: x >= 0, "must be >= 0")


def _chip_capex(v):
    crf_s, _, k_power, k_chips, crf_f, crf_c = _parts(v)
    coef = k_chips * crf_s - crf_c
    const = (_orbital(v, k_power, k_chips, crf_s, chips=0.0)
             - _terrestrial(v, crf_f, crf_c, chips=0.0))
    return coef, const, _DIRECT, (lambda x: x >= 0, "must be >= 0")


def _facility_capex(v):
    crf_s, _, k_power, k_chips, crf_f, crf_c = _parts(v)
    coef = -(crf_f + v["terrestrial_opex_frac"])
    const = _orbital(v, k_power, k_chips, crf_s) - _terrestrial(v, crf_f, crf_c, facility=0.0)
    return coef, const, _DIRECT, (lambda x: x >= 0, "must be >= 0")


def _terrestrial_opex(v):
    crf_s, _, k_power, k_chips, crf_f, crf_c = _parts(v)
    coef = -v["facility_capex_per_w"]
    const = _orbital(v, k_power, k_chips, crf_s) - _terrestrial(v, crf_f, crf_c, opex=0.0)
    return coef, const, _DIRECT, (lambda x: x >= 0, "must be >= 0")


def _electricity(v):
    crf_s, _, k_power, k_chips, crf_f, crf_c = _parts(v)
    coef = -v["pue"] * KWH_PER_W_YEAR
    const = _orbital(v, k_power, k_chips, crf_s) - _terrestrial(v, crf_f, crf_c, energy=0.0)
    return coef, const, _DIRECT, (lambda x: x >= 0, "must be >= 0")


def _pue(v):
    crf_s, _, k_power, k_chips, crf_f, crf_c = _parts(v)
    coef = -KWH_PER_W_YEAR * v["electricity_price_per_kwh"]
    const = _orbital(v, k_power, k_chips, crf_s) - _terrestrial(v, crf_f, crf_c, energy=0.0)
    return coef, const, _DIRECT, (lambda x: x >= 1, "must be >= 1")


_LINEAR = {
    "launch_cost_per_kg": _launch_price,
    "satellite_cost_per_w": _satellite_cost,
    "specific_power_w_per_kg": _specific_power,
    "sun_fraction": _sun_fraction,
    "space_ops_frac": _space_ops,
    "chip_capex_per_w": _chip_capex,
    "facility_capex_per_w": _facility_capex,
    "terrestrial_opex_frac": _terrestrial_opex,
    "electricity_price_per_kwh": _electricity,
    "pue": _pue,
}


#: The closed end of each domain rule.
_EDGES = {"must be >= 0": 0.0, "must be >= 1": 1.0, "must be > 0 and <= 1": 1.0}


def _solve_linear(name, coef, const, transform, check, v) -> Required:
    if coef == 0:
        return _no_effect(name, v[name], v, "the gap does not depend on it with these inputs")
    g = -const / coef
    if transform == _RECIPROCAL:
        if not g > 0:
            return Required(name, math.nan, EXACT,
                            f"no valid {name} closes the gap: 1/{name} would have to be "
                            f"{g:.6g} (it must be > 0)")
        x = 1.0 / g
    else:
        x = g
    ok, rule = check
    edge = _EDGES.get(rule)
    if math.isfinite(x) and not ok(x) and edge is not None and abs(x - edge) <= 1e-12 * max(
            1.0, abs(edge)) and abs(float(gap({**v, name: edge}))) <= _tolerance(v):
        x = edge  # past the domain's edge by rounding only: the edge itself closes the gap
    if not (math.isfinite(x) and ok(x)):
        return Required(name, math.nan, EXACT,
                        f"no valid {name} closes the gap: it would have to be {x:.6g} "
                        f"(it {rule})")
    return Required(name, x + 0.0, EXACT)  # + 0.0: no -0


# --- bracketed ---------------------------------------------------------------------------------

def _grid(name, current):
    lo, hi, spacing = SEARCH[name]
    if spacing == "linear":
        pts = np.linspace(lo, hi, _SAMPLES)
    else:
        first = lo if lo > 0 else 1e-6
        pts = np.geomspace(first, hi, _SAMPLES)
        if lo == 0:
            pts = np.concatenate([[0.0], pts])
    if lo <= current <= hi:
        pts = np.unique(np.concatenate([pts, [current]]))
    return pts


def _bracket(name, v) -> Required:
    current = v[name]
    xs = _grid(name, current)
    f = np.asarray(gap({**v, name: xs}), dtype=float)
    finite = np.isfinite(f)
    roots = list(xs[finite & (np.abs(f) <= _tolerance(v))])
    a, b = f[:-1], f[1:]
    cross = np.flatnonzero(np.isfinite(a) & np.isfinite(b) & (np.sign(a) * np.sign(b) < 0))
    for k in cross:
        roots.append(_bisect(name, v, xs[k], xs[k + 1], a[k]))
    if not roots:
        lo, hi, _ = SEARCH[name]
        return Required(name, math.nan, BRACKETED,
                        f"no {name} from {lo:g} to {hi:g} closes the gap")
    best = min(roots, key=lambda x: (abs(x - current), x))
    return Required(name, float(best), BRACKETED)


def _bisect(name, v, lo, hi, f_lo):
    """Bisect until ``lo`` and ``hi`` are adjacent floats; return the end nearer zero."""
    f_hi = None
    for _ in range(2000):
        mid = lo + (hi - lo) / 2.0
        if mid <= lo or mid >= hi:
            break
        f_mid = float(gap({**v, name: mid}))
        if f_mid == 0:
            return mid
        if (f_mid < 0) == (f_lo < 0):
            lo, f_lo = mid, f_mid
        else:
            hi, f_hi = mid, f_mid
    if f_hi is None:
        f_hi = float(gap({**v, name: hi}))
    return lo if abs(f_lo) <= abs(f_hi) else hi


def _whole_life(v) -> Required:
    lives = np.arange(1.0, MAX_WHOLE_LIFE + 1.0)
    f = np.asarray(gap({**v, "space_life_years": lives}), dtype=float)
    ok = np.flatnonzero(f <= 0)
    if ok.size == 0:
        return Required("space_life_years", math.nan, WHOLE,
                        f"no whole space_life_years from 1 to {MAX_WHOLE_LIFE} makes "
                        "orbital cost no more than terrestrial")
    return Required("space_life_years", float(lives[ok[0]]), WHOLE)


# --- the table ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequiredRow:
    """One row of the what-must-be-true table."""

    name: str
    value: float | None
    low: float | None
    high: float | None
    required: Required


def what_must_be_true(inputs: Mapping[str, object], low: Mapping[str, float] | None = None,
                      high: Mapping[str, float] | None = None,
                      launch_cost_per_kg: float | None = None,
                      names=None) -> list[RequiredRow]:
    """Every input's required value beside its value and its range.

    Parameters
    ----------
    inputs : mapping
        A full input set.
    low, high : mapping, optional
        Each input's range (see :func:`xlmodel.model.inputs.ranges`).
    launch_cost_per_kg : float, optional
        The launch price [$/kg]; default: the inputs'.
    names : sequence of str, optional
        Inputs to list; default: every key of ``inputs``, in its order.
    """
    low, high = low or {}, high or {}
    names = list(inputs) if names is None else list(names)
    return [RequiredRow(n, inputs.get(n), low.get(n), high.get(n),
                        required_input(n, inputs, launch_cost_per_kg)) for n in names]
