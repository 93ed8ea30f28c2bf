"""Time value of compute (essay claims 1-4).

If the cost of a token halves every ``T`` years, capacity bought today must earn the rate at
which waiting would otherwise make it cheaper. All functions broadcast over numpy arrays.
"""

from __future__ import annotations

import numpy as np

from . import _checks as chk
from . import portable as pm


def combined_halving_years(hardware_halving_years, algorithmic_halving_years=np.inf):
    """Halving time of the cost per token when hardware and algorithms both improve [yr].

    Parameters
    ----------
    hardware_halving_years : array_like
        Years for hardware alone to halve the cost per token [yr], > 0; ``inf`` for none.
    algorithmic_halving_years : array_like, optional
        Years for algorithmic gains alone to halve it [yr], > 0; ``inf`` (the default) leaves
        algorithms out, as the essay does.

    Returns
    -------
    float or ndarray
        ``T`` [yr].

    Notes
    -----
    Halving *rates* add: ``1/T = 1/T_hardware + 1/T_algorithmic``.
    """
    return chk.scalar(_halving(hardware_halving_years, algorithmic_halving_years,
                               "hardware_halving_years"))


def _halving(halving_years, algorithmic_halving_years, name="halving_years"):
    hw = chk.positive_or_inf(name, halving_years)
    alg = chk.positive_or_inf("algorithmic_halving_years", algorithmic_halving_years)
    return 1.0 / (1.0 / hw + 1.0 / alg)


def annualized_token_return(halving_years, algorithmic_halving_years=np.inf):
    """Hurdle rate: the annual return capacity must earn to beat waiting [1/yr, 1 = 100 %].

    Notes
    -----
    ``r = 2^(1/T) - 1`` with ``T`` from :func:`combined_halving_years`. ``T = 1`` gives 100 %
    (the essay, claim 2); Epoch AI's 2.07-year hardware halving gives 39.8 %.
    """
    t = _halving(halving_years, algorithmic_halving_years)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return chk.scalar(pm.exp2(1.0 / t) - 1.0)


def annual_cost_decline(halving_years, algorithmic_halving_years=np.inf):
    """Fraction by which the cost per token falls each year [1/yr].

    Notes
    -----
    ``d = 1 - 2^(-1/T)``; ``T = 1`` gives 50 %.
    """
    t = _halving(halving_years, algorithmic_halving_years)
    return chk.scalar(1.0 - pm.exp2(-1.0 / t))


def token_cost(start_cost, start_year, year, halving_years, algorithmic_halving_years=np.inf):
    """Cost per token in ``year`` given its cost in ``start_year`` [same unit as start_cost].

    Notes
    -----
    ``c(t) = c0 * 2^(-(t - t0)/T)`` (claim 1).
    """
    c0 = chk.non_negative("start_cost", start_cost)
    t0 = chk.finite("start_year", start_year)
    t1 = chk.finite("year", year)
    t = _halving(halving_years, algorithmic_halving_years)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return chk.scalar(c0 * pm.exp2(-(t1 - t0) / t))


def compute_equivalence(power, delay_years, halving_years, algorithmic_halving_years=np.inf):
    """Power deployed ``delay_years`` later that does the work of ``power`` deployed now.

    Parameters
    ----------
    power : array_like
        Capacity deployed now [W, or any power unit; the result is in the same unit].
    delay_years : array_like
        How much later the alternative capacity comes online [yr], may be negative.
    halving_years : array_like
        Halving time of the cost per token [yr].

    Notes
    -----
    ``P * 2^(delay/T)``: with ``T = 1``, 1 GW now is worth 2 GW a year later (claim 3).
    """
    p = chk.non_negative("power", power)
    delay = chk.finite("delay_years", delay_years)
    t = _halving(halving_years, algorithmic_halving_years)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return chk.scalar(p * pm.exp2(delay / t))


def head_start_value(lead_years, halving_years, algorithmic_halving_years=np.inf):
    """Extra cost per unit that capacity online ``lead_years`` sooner may carry and break even.

    Returns a fraction (0.5 = 50 % more expensive per unit).

    Notes
    -----
    ``(1 + r)^lead - 1 = 2^(lead/T) - 1`` (claim 4).
    """
    lead = chk.finite("lead_years", lead_years)
    t = _halving(halving_years, algorithmic_halving_years)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return chk.scalar(pm.exp2(lead / t) - 1.0)
