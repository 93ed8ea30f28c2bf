"""Launch cost learning curve and the year it crosses the breakeven (essay claim 6).

Wright's law on cumulative launched mass: each doubling cuts the price by the learning rate.
"""

from __future__ import annotations

import numpy as np

from . import _checks as chk
from . import portable as pm

# A crossover computed as 7.0000000001 doublings-years is year 7, not 8: floating-point noise
# in the logarithms must not push an exact hit into the next year.
_YEAR_EPS = 1e-9


def launch_cost_at_mass(cumulative_mass, launch_cost_per_kg, reference_mass, launch_learning_rate):
    """Launch price once cumulative launched mass reaches ``cumulative_mass`` [$/kg].

    Parameters
    ----------
    cumulative_mass : array_like
        Cumulative mass launched [any mass unit], > 0.
    launch_cost_per_kg : array_like
        Price at ``reference_mass`` [$/kg].
    reference_mass : array_like
        Cumulative mass at which that price holds [same unit], > 0.
    launch_learning_rate : array_like
        Price cut per doubling of cumulative mass [-], in [0, 1).

    Notes
    -----
    ``p(Q) = p0 (Q / Q0)^log2(1 - LR)``.
    """
    q = chk.positive("cumulative_mass", cumulative_mass)
    p0 = chk.non_negative("launch_cost_per_kg", launch_cost_per_kg)
    q0 = chk.positive("reference_mass", reference_mass)
    lr = chk.fraction("launch_learning_rate", launch_learning_rate, high_open=True)
    return wright_price(q, p0, q0, lr)


def wright_price(q, p0, q0, lr):
    """Wright's law on checked arguments: ``p0 (q / q0)^log2(1 - lr)``, the price once the
    cumulative quantity is ``q`` [same unit as ``q0``] at learning rate ``lr`` [-]."""
    with np.errstate(over="ignore", divide="ignore"):
        return chk.scalar(p0 * pm.power(q / q0, pm.log2(1.0 - lr)))


def launch_cost(year, launch_cost_per_kg, launch_base_year, launch_learning_rate,
                launch_mass_doublings_per_year):
    """Launch price in a calendar year [$/kg].

    Parameters
    ----------
    year : array_like
        Calendar year.
    launch_cost_per_kg : array_like
        Price in ``launch_base_year`` [$/kg].
    launch_base_year : array_like
        Year of that price.
    launch_learning_rate : array_like
        Price cut per doubling of cumulative launched mass [-].
    launch_mass_doublings_per_year : array_like
        Doublings of cumulative launched mass per year [1/yr], >= 0.

    Notes
    -----
    ``p(t) = p0 (1 - LR)^(m (t - t0))``.
    """
    t = chk.finite("year", year)
    p0 = chk.non_negative("launch_cost_per_kg", launch_cost_per_kg)
    t0 = chk.finite("launch_base_year", launch_base_year)
    lr = chk.fraction("launch_learning_rate", launch_learning_rate, high_open=True)
    m = chk.non_negative("launch_mass_doublings_per_year", launch_mass_doublings_per_year)
    with np.errstate(over="ignore"):
        return chk.scalar(p0 * pm.exp(m * (t - t0) * pm.log1p(-lr)))


def crossover_year(target_launch_cost_per_kg, launch_cost_per_kg, launch_base_year,
                   launch_learning_rate, launch_mass_doublings_per_year):
    """First whole year from ``launch_base_year`` on with a launch price <= the target.

    Parameters
    ----------
    target_launch_cost_per_kg : array_like
        The price to reach [$/kg], typically the breakeven ``p*`` or ``p**``.

    Other parameters are those of :func:`launch_cost`.

    Returns
    -------
    float or ndarray
        The year, or NaN where the price never reaches the target (a target <= 0 below
        the price, or a price that does not fall). ``launch_base_year`` is a whole year.
    """
    target = chk.finite("target_launch_cost_per_kg", target_launch_cost_per_kg)
    p0 = chk.non_negative("launch_cost_per_kg", launch_cost_per_kg)
    t0 = chk.whole("launch_base_year", launch_base_year, -10**6)
    lr = chk.fraction("launch_learning_rate", launch_learning_rate, high_open=True)
    m = chk.non_negative("launch_mass_doublings_per_year", launch_mass_doublings_per_year)
    target, p0, t0, lr, m = np.broadcast_arrays(target, p0, t0, lr, m)
    decay = m * -pm.log1p(-lr)  # continuous rate of price decline [1/yr]
    with np.errstate(divide="ignore", invalid="ignore"):
        years = pm.log(p0 / target) / decay
    steps = np.ceil(years - _YEAR_EPS)
    already = p0 <= target
    never = ~already & ((target <= 0) | (decay == 0))
    result = np.where(already, t0, t0 + steps)
    result = np.where(never, np.nan, result)
    return chk.scalar(result)
