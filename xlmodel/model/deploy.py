"""Launch mass, flights and cadence, and the learning curve over cumulative mass.

Design/model.md section 8. Deploying ``P`` watts of IT load in orbit lifts
``P * k_power / specific_power`` kg: the solar array is oversized for eclipse and for
degradation (``k_power``, as in :func:`~xlmodel.model.orbital_cost_per_w_year`), and the
specific power counts the whole satellite. All functions broadcast over numpy arrays.
"""

from __future__ import annotations

import numpy as np

from . import _checks as chk
from . import portable as pm
from .costs import _mean_retention
from .launch import wright_price

#: Watts in a gigawatt over kilograms in a tonne: GW / (W/kg) = 1e6 t.
_T_PER_GW_AT_1_W_PER_KG = 1e6
# 250.00000000000003 flights is 250 flights: rounding noise must not add a flight.
_WHOLE_EPS = 1e-9


def launch_cost_at_cumulative_mass(cumulative_mass_t, mass_curve_reference_cost_per_kg,
                                   mass_curve_reference_mass_t, launch_learning_rate):
    """Launch price once ``cumulative_mass_t`` tonnes have been launched [$/kg].

    Parameters
    ----------
    cumulative_mass_t : array_like
        Cumulative mass launched [t], > 0.
    mass_curve_reference_cost_per_kg : array_like
        Price at the reference mass [$/kg], > 0. Suncatcher: Falcon Heavy, about $1,800/kg.
    mass_curve_reference_mass_t : array_like
        Cumulative mass at which that price holds [t], > 0. Suncatcher: about 400 t.
    launch_learning_rate : array_like
        Price cut per doubling of cumulative mass [-], in [0, 1).

    Notes
    -----
    Wright's law: ``p(M) = p0 (M / M0)^log2(1 - LR)`` (Suncatcher, arXiv 2511.19468, section
    4.4). With the defaults, 368,300 t gives $200/kg and 104,400 t gives $300/kg.
    """
    q = chk.positive("cumulative_mass_t", cumulative_mass_t)
    p0 = chk.positive("mass_curve_reference_cost_per_kg", mass_curve_reference_cost_per_kg)
    q0 = chk.positive("mass_curve_reference_mass_t", mass_curve_reference_mass_t)
    lr = chk.fraction("launch_learning_rate", launch_learning_rate, high_open=True)
    return wright_price(q, p0, q0, lr)


def cumulative_mass_for_launch_cost(target_launch_cost_per_kg, mass_curve_reference_cost_per_kg,
                                    mass_curve_reference_mass_t, launch_learning_rate):
    """Cumulative launched mass at which the price falls to a target [t].

    The inverse of :func:`launch_cost_at_cumulative_mass`:
    ``M = M0 (p / p0)^(1 / log2(1 - LR))``. A target above the reference price gives a mass
    below the reference mass (the curve read backwards). NaN where the price does not fall
    with mass (a learning rate of 0) and the target differs from the reference price.

    Parameters
    ----------
    target_launch_cost_per_kg : array_like
        The price to reach [$/kg], > 0.

    Other parameters are those of :func:`launch_cost_at_cumulative_mass`.
    """
    p = chk.positive("target_launch_cost_per_kg", target_launch_cost_per_kg)
    p0 = chk.positive("mass_curve_reference_cost_per_kg", mass_curve_reference_cost_per_kg)
    q0 = chk.positive("mass_curve_reference_mass_t", mass_curve_reference_mass_t)
    lr = chk.fraction("launch_learning_rate", launch_learning_rate, high_open=True)
    p, p0, q0, lr = np.broadcast_arrays(p, p0, q0, lr)
    slope = pm.log2(1.0 - lr)  # < 0 where the price falls
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        mass = q0 * pm.power(p / p0, 1.0 / slope)
    mass = np.where(lr == 0, np.where(p == p0, q0, np.nan), mass)
    return chk.scalar(mass)


def deployment_launch_mass(power_gw, specific_power_w_per_kg, sun_fraction,
                           solar_degradation_per_year, space_life_years):
    """Mass to launch to deliver ``power_gw`` of IT load in orbit, oversizing included [t].

    Parameters
    ----------
    power_gw : array_like
        IT load to deliver, averaged over the satellites' life [GW], >= 0.
    specific_power_w_per_kg : array_like
        Array output per kg launched, whole satellite [W/kg], > 0.
    sun_fraction, solar_degradation_per_year, space_life_years : array_like
        As in :func:`~xlmodel.model.orbital_cost_per_w_year`; they fix the oversizing
        ``k_power = 1 / (sun_fraction * mean_retention)``.

    Notes
    -----
    ``mass = P k_power / specific_power``. At 40 W/kg and no oversizing, 1 GW is 25,000 t.
    """
    p = chk.non_negative("power_gw", power_gw)
    return chk.scalar(p * _t_per_gw(specific_power_w_per_kg, sun_fraction,
                                    solar_degradation_per_year, space_life_years))


def _t_per_gw(specific_power_w_per_kg, sun_fraction, solar_degradation_per_year,
              space_life_years):
    spw = chk.positive("specific_power_w_per_kg", specific_power_w_per_kg)
    sun = chk.fraction("sun_fraction", sun_fraction, low_open=True)
    degr = chk.fraction("solar_degradation_per_year", solar_degradation_per_year, high_open=True)
    life = chk.whole("space_life_years", space_life_years, 1)
    k_power = 1.0 / (sun * _mean_retention(degr, life))
    return _T_PER_GW_AT_1_W_PER_KG * k_power / spw


def _whole_flights(mass_t, payload_t):
    flights = mass_t / payload_t
    return np.ceil(flights - _WHOLE_EPS * np.maximum(flights, 1.0))


def deployment_flights(power_gw, payload_per_flight_t, specific_power_w_per_kg, sun_fraction,
                       solar_degradation_per_year, space_life_years):
    """Launches needed to deliver ``power_gw`` of IT load in orbit [flights].

    Parameters
    ----------
    payload_per_flight_t : array_like
        Payload one launch puts in orbit [t], > 0. Starship: about 100 t.

    Other parameters are those of :func:`deployment_launch_mass`.

    Returns
    -------
    float or ndarray
        Whole flights, rounded up: ``ceil(mass / payload)``. At 40 W/kg, no oversizing and
        100 t a flight, 1 GW takes 250 flights.
    """
    p = chk.non_negative("power_gw", power_gw)
    payload = chk.positive("payload_per_flight_t", payload_per_flight_t)
    mass = p * _t_per_gw(specific_power_w_per_kg, sun_fraction, solar_degradation_per_year,
                         space_life_years)
    return chk.scalar(_whole_flights(mass, payload))


def flights_per_year(deployment_gw_per_year, payload_per_flight_t, specific_power_w_per_kg,
                     sun_fraction, solar_degradation_per_year, space_life_years):
    """Launches a year needed to deploy ``deployment_gw_per_year`` of IT load [flights/yr].

    Parameters
    ----------
    deployment_gw_per_year : array_like
        IT load brought into service each year [GW/yr], >= 0. SpaceX's S-1 (May 2026) speaks
        of 100 GW of compute a year; the essay's terrestrial build-out is 90 GW in 2030.

    Other parameters are those of :func:`deployment_flights`.

    Returns
    -------
    float or ndarray
        Whole flights a year, rounded up. Replacing satellites at the end of their life
        is not counted: this is the cadence of the build-out itself.
    """
    rate = chk.non_negative("deployment_gw_per_year", deployment_gw_per_year)
    payload = chk.positive("payload_per_flight_t", payload_per_flight_t)
    mass = rate * _t_per_gw(specific_power_w_per_kg, sun_fraction, solar_degradation_per_year,
                            space_life_years)
    return chk.scalar(_whole_flights(mass, payload))


def launch_cost_per_kw_year(mass_kg, power_kw, life_years, launch_cost_per_kg):
    """Launch cost alone per kW-year of a satellite, as Google Suncatcher computes it [$/kW/yr].

    Parameters
    ----------
    mass_kg : array_like
        Satellite mass [kg], >= 0.
    power_kw : array_like
        Satellite power [kW], > 0.
    life_years : array_like
        Satellite life [yr], > 0.
    launch_cost_per_kg : array_like
        Launch price [$/kg], >= 0.

    Notes
    -----
    ``mass * p / (power * life)``, no discounting (arXiv 2511.19468, Table 1). Starlink V2
    Mini, 575 kg, 28 kW, 5 yr: 14,786 at $3,600/kg (the paper prints $14,700).
    """
    mass = chk.non_negative("mass_kg", mass_kg)
    power = chk.positive("power_kw", power_kw)
    life = chk.positive("life_years", life_years)
    p = chk.non_negative("launch_cost_per_kg", launch_cost_per_kg)
    with np.errstate(over="ignore"):  # an infinite cost is the catalogue's #NUM!
        return chk.scalar(mass * p / (power * life))
