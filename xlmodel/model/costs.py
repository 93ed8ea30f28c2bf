"""Cost per delivered watt-year and per token, on Earth and in orbit (essay claims 5 and 7).

Both sides run the same chips, so tokens per joule is common to both and the comparison is
made per *delivered* IT watt-year. All money is in constant US dollars; all functions
broadcast over numpy arrays.
"""

from __future__ import annotations

import operator

import numpy as np

from . import _checks as chk
from . import portable as pm
from .timevalue import _halving

#: Watt-hours in one watt-year, divided by 1000: 1 W-year = 8.766 kWh (365.25 days).
KWH_PER_W_YEAR = 8.766
#: Seconds in a (Julian) year: 365.25 * 86,400.
SECONDS_PER_YEAR = 31_557_600.0
#: Tokens in a million tokens.
TOKENS_PER_MTOK = 1e6


def capital_recovery_factor(discount_rate, life_years):
    """Annual payment that repays 1 dollar of capital over ``life_years`` [1/yr].

    Parameters
    ----------
    discount_rate : array_like
        Cost of capital [1/yr], >= 0.
    life_years : array_like
        Economic life [yr], > 0.

    Notes
    -----
    ``CRF(i, n) = i / (1 - (1 + i)^-n)`` and ``CRF(0, n) = 1/n`` (straight line). For a whole
    life it is ``i + 1/S`` with ``S = sum_{k<n} (1 + i)^k``, summed by Horner's rule: basic
    arithmetic only, a sum of positive terms (no cancellation), exactly ``1/n`` at ``i = 0``.
    Other lives use ``expm1``/``log1p``, so that small rates converge smoothly on ``1/n``.
    """
    i = chk.non_negative("discount_rate", discount_rate)
    n = chk.positive("life_years", life_years)
    return chk.scalar(_crf(i, n))


#: Longest whole life summed term by term; longer (or fractional) lives use logarithms.
_MAX_WHOLE_YEARS = 1024
#: Below this rate x life, the closed forms take their two-term series: its first dropped
#: term is (i n)^2 / 12 relative, under 1e-17.
_SERIES_BELOW = 1e-8


#: One number as a Python or numpy scalar (see :mod:`._checks`).
_F64 = np.float64
_SCALAR = frozenset({float, _F64})
_OPERATOR = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
             np.divide: operator.truediv}


def _into(op, acc, other):
    """``op(acc, other)``, written into ``acc`` when ``acc`` is an array that already has the
    result's shape (else a new array). ``acc`` must be an intermediate result of the caller,
    never an argument. The values are those of ``op(acc, other)`` either way; reusing the
    memory keeps a block of a million-draw Monte Carlo from allocating, and the allocator
    from handing pages back to the system and faulting them in again, at every step."""
    if type(acc) is _F64 and type(other) in _SCALAR:
        # two scalars: the operator does the ufunc's arithmetic without its dispatch
        return _OPERATOR[op](acc, other)
    if type(acc) is np.ndarray and acc.ndim and (np.ndim(other) == 0
                                                 or np.shape(other) == acc.shape):
        return op(acc, other, out=acc)
    return op(acc, other)


def _whole_years(n):
    """Where ``n`` is a whole number of years that the closed forms sum term by term."""
    return (n >= 1) & (n <= _MAX_WHOLE_YEARS) & (n == np.floor(n))


def _horner(a: float, top: int) -> float:
    """:func:`_geometric_sum` of one value: the same multiplications and additions, in the
    same order, on Python floats (IEEE arithmetic, like numpy's; overflow reaches inf
    either way, without a warning)."""
    if top == 1:
        return 1.0
    total = a + 1.0
    for _ in range(top - 2):
        total = total * a + 1.0
    return total


def _whole_scalar(n) -> bool:
    """``n`` is one number, a whole life that the closed forms sum term by term."""
    return type(n) in _SCALAR and 1 <= n <= _MAX_WHOLE_YEARS and n == int(n)


def _geometric_sum(a, n):
    """``sum_{k<n} a^k`` for whole ``n`` >= 1 (arrays broadcast), by Horner's rule.

    The first step of each loop is written out: ``1 * a + 1`` is ``a + 1`` and ``0 * a + c``
    starts from ``a * 0``, the same values with one pass over the block fewer.
    """
    if type(a) in _SCALAR and type(n) in _SCALAR:
        return _F64(_horner(float(a), int(n)))
    a, n = np.asarray(a, dtype=float), np.asarray(n, dtype=float)
    total = np.empty(np.broadcast_shapes(a.shape, n.shape))
    if total.size == 0:
        return total
    top = int(n.max())
    if n.ndim == 0 or top == int(n.min()):
        if top == 1:
            total.fill(1.0)
            return total
        np.add(a, 1.0, out=total)
        for _ in range(top - 2):
            total *= a
            total += 1.0
        return total
    a, n = np.broadcast_arrays(a, n)
    # Horner from the highest power down, with the coefficient of a^k 1 for k < n and 0
    # above: the same operations, in the same order, as the loop above, for each element's
    # own n (0 * a + 0 stays 0 until k = n - 1, where 0 * a + 1 starts the sum at 1), with
    # arithmetic only (masked copies are several times slower). The comparison writes the
    # coefficient straight into a float array: one pass instead of a difference and a clip.
    low = int(n.min())
    coef = np.empty(a.shape)
    for k in range(top - 1, -1, -1):
        if k == top - 1:
            np.multiply(a, 0.0, out=total)
        else:
            total *= a
        if k < low:
            total += 1.0
        else:
            np.greater(n, k, out=coef)
            total += coef
    return total


def _reciprocal(x):
    """``1 / x`` of an intermediate result, in its memory where it is an array."""
    if type(x) is np.ndarray and x.ndim:
        return np.divide(1.0, x, out=x)
    return 1.0 / x


def _split_whole(n, whole_form, other_form):
    """``whole_form(n)`` where ``n`` is whole (and not too long), ``other_form(n)`` elsewhere;
    each element's value depends on that element alone."""
    if type(n) in _SCALAR:
        n = _F64(n)
        return whole_form(n) if _whole_scalar(n) else other_form(n)
    n = np.asarray(n, dtype=float)  # not broadcast: a single life is summed once
    whole = _whole_years(n)
    if whole.all():
        return whole_form(n)
    if not whole.any():
        return other_form(n)
    return np.where(whole, whole_form(np.where(whole, n, 1.0)), other_form(n))


def _crf(i, n):
    if type(i) in _SCALAR and _whole_scalar(n):  # one cell's call: i + 1 / S directly
        return _F64(i + 1.0 / _horner(1.0 + float(i), int(n)))
    i = i if type(i) in _SCALAR else np.asarray(i, dtype=float)

    def whole(n):
        with np.errstate(over="ignore"):
            total = _geometric_sum(1.0 + i, n)
            return _into(np.add, _reciprocal(total), i)  # i + 1 / S

    def other(n):
        with np.errstate(divide="ignore", invalid="ignore"):
            annuity = i / -pm.expm1(-n * pm.log1p(i))
        # where i n is tiny (i subnormal, say), the series 1/n + i (n + 1) / (2n) is exact to
        # the last bit, and the quotient above would have lost bits to underflow
        series = 1.0 / n + i * (n + 1.0) / (2.0 * n)
        return np.where(i * n < _SERIES_BELOW, series, annuity)

    return _split_whole(n, whole, other)


def mean_geometric_retention(annual_loss, life_years):
    """Mean over years ``y = 0 ... life-1`` of ``(1 - annual_loss)^y`` [fraction].

    Used for solar-array degradation and for chip survival: what fraction of the first-year
    capacity is, on average, still there over the satellite's life.

    Notes
    -----
    The mean runs over whole years, so ``life_years`` must be a whole number >= 1. It is
    ``sum_{y<n} q^y / n`` with ``q = 1 - annual_loss``, summed by Horner's rule (basic
    arithmetic only), which equals the closed form ``(1 - q^n) / (n (1 - q))``.
    """
    loss = chk.fraction("annual_loss", annual_loss, high_open=True)
    n = chk.whole("life_years", life_years, 1)
    return chk.scalar(_mean_retention(loss, n))


def _mean_retention(loss, n):
    if type(loss) in _SCALAR and _whole_scalar(n):  # one cell's call: S / n directly
        return _F64(_horner(1.0 - float(loss), int(n)) / float(n))
    loss = loss if type(loss) in _SCALAR else np.asarray(loss, dtype=float)

    def whole(n):
        return _into(np.divide, _geometric_sum(1.0 - loss, n), n)

    def other(n):
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = -pm.expm1(n * pm.log1p(-loss)) / (n * loss)
        # tiny losses: the series 1 - loss (n - 1) / 2, as for the annuity above
        return np.where(loss * n < _SERIES_BELOW, 1.0 - loss * (n - 1.0) / 2.0, mean)

    return _split_whole(n, whole, other)


def terrestrial_cost_per_w_year(
    facility_capex_per_w,
    facility_life_years,
    terrestrial_opex_frac,
    electricity_price_per_kwh,
    pue,
    chip_capex_per_w,
    chip_life_years,
    discount_rate,
):
    """Cost of one delivered IT watt-year in a terrestrial data centre [$/W/yr].

    Parameters
    ----------
    facility_capex_per_w : array_like
        Building, power and cooling capex per IT watt [$/W].
    facility_life_years : array_like
        Facility life [yr].
    terrestrial_opex_frac : array_like
        Maintenance per year as a fraction of facility capex [1/yr].
    electricity_price_per_kwh : array_like
        Electricity price [$/kWh].
    pue : array_like
        Power usage effectiveness, facility power over IT power [-], >= 1.
    chip_capex_per_w : array_like
        GPUs and other IT equipment per watt [$/W].
    chip_life_years : array_like
        Chip life [yr].
    discount_rate : array_like
        Cost of capital [1/yr].

    Notes
    -----
    ``T = F CRF(i, L_f) + o F + PUE * 8.766 kWh * price + C CRF(i, L_c)``.
    """
    f = chk.non_negative("facility_capex_per_w", facility_capex_per_w)
    lf = chk.positive("facility_life_years", facility_life_years)
    opex = chk.non_negative("terrestrial_opex_frac", terrestrial_opex_frac)
    price = chk.non_negative("electricity_price_per_kwh", electricity_price_per_kwh)
    pue = chk.at_least("pue", pue, 1.0)
    chips = chk.non_negative("chip_capex_per_w", chip_capex_per_w)
    lc = chk.positive("chip_life_years", chip_life_years)
    i = chk.non_negative("discount_rate", discount_rate)
    # f CRF_f + o f + PUE 8.766 price + C CRF_c, term by term into one array
    cost = _into(np.multiply, _crf(i, lf), f)
    cost = _into(np.add, cost, opex * f)
    cost = _into(np.add, cost, _into(np.multiply, pue * KWH_PER_W_YEAR, price))
    cost = _into(np.add, cost, _into(np.multiply, _crf(i, lc), chips))
    return chk.scalar(cost)


def _orbital_terms(
    satellite_cost_per_w,
    specific_power_w_per_kg,
    sun_fraction,
    solar_degradation_per_year,
    space_chip_failure_per_year,
    space_life_years,
    space_ops_frac,
    chip_capex_per_w,
    discount_rate,
):
    """Orbital cost as ``S(p) = intercept + slope * p``; returns (intercept, slope)."""
    sat = chk.non_negative("satellite_cost_per_w", satellite_cost_per_w)
    spw = chk.positive("specific_power_w_per_kg", specific_power_w_per_kg)
    sun = chk.fraction("sun_fraction", sun_fraction, low_open=True)
    degr = chk.fraction("solar_degradation_per_year", solar_degradation_per_year, high_open=True)
    fail = chk.fraction("space_chip_failure_per_year", space_chip_failure_per_year, high_open=True)
    # whole years: the array and chip losses are averaged over years 0 ... life-1
    life = chk.whole("space_life_years", space_life_years, 1)
    ops = chk.non_negative("space_ops_frac", space_ops_frac)
    chips = chk.non_negative("chip_capex_per_w", chip_capex_per_w)
    i = chk.non_negative("discount_rate", discount_rate)

    k_power = _reciprocal(_into(np.multiply, _mean_retention(degr, life), sun))
    k_chips = _reciprocal(_mean_retention(fail, life))
    crf = _crf(i, life)
    # (sat k_power + chips k_chips) CRF + ops sat k_power, then k_power CRF / specific power
    intercept = _into(np.add, sat * k_power, _into(np.multiply, k_chips, chips))
    intercept = _into(np.multiply, intercept, crf)
    intercept = _into(np.add, intercept, _into(np.multiply, ops * sat, k_power))
    slope = _into(np.divide, _into(np.multiply, k_power, crf), spw)
    return intercept, slope


def orbital_cost_per_w_year(
    launch_cost_per_kg,
    satellite_cost_per_w,
    specific_power_w_per_kg,
    sun_fraction,
    solar_degradation_per_year,
    space_chip_failure_per_year,
    space_life_years,
    space_ops_frac,
    chip_capex_per_w,
    discount_rate,
):
    """Cost of one delivered IT watt-year in orbit, at a launch price [$/W/yr].

    Parameters
    ----------
    launch_cost_per_kg : array_like
        Launch price to orbit [$/kg].
    satellite_cost_per_w : array_like
        Satellite bus, solar array and radiators per watt of array output [$/W].
    specific_power_w_per_kg : array_like
        Array output per kg launched [W/kg].
    sun_fraction : array_like
        Fraction of the orbit in sunlight [-], in (0, 1].
    solar_degradation_per_year : array_like
        Loss of array output per year [1/yr].
    space_chip_failure_per_year : array_like
        Chips lost per year, never repaired [1/yr].
    space_life_years : array_like
        Satellite life [yr], a whole number >= 1.
    space_ops_frac : array_like
        Operations per year as a fraction of satellite cost [1/yr].
    chip_capex_per_w : array_like
        GPUs and other IT equipment per watt [$/W].
    discount_rate : array_like
        Cost of capital [1/yr].

    Notes
    -----
    ``k_power = 1 / (sun_fraction * mean_retention(degradation))`` oversizes the array and
    ``k_chips = 1 / mean_retention(failures)`` overprovisions chips;
    ``S(p) = [(sat + p / specific_power) k_power + chips k_chips] CRF(i, life)
    + ops * sat * k_power``. Space pays no energy bill and needs no facility.
    """
    p = chk.non_negative("launch_cost_per_kg", launch_cost_per_kg)
    intercept, slope = _orbital_terms(
        satellite_cost_per_w, specific_power_w_per_kg, sun_fraction, solar_degradation_per_year,
        space_chip_failure_per_year, space_life_years, space_ops_frac, chip_capex_per_w,
        discount_rate,
    )
    return chk.scalar(intercept + slope * p)


def launch_cost_per_w_year(launch_cost_per_kg, specific_power_w_per_kg, space_life_years,
                           discount_rate=0.0):
    """Launch cost alone, annualized, per watt of array output [$/W/yr].

    Notes
    -----
    ``p / specific_power * CRF(i, life)``; with no discounting this is Google Suncatcher's
    ``mass * p / (power * life)`` (arXiv 2511.19468).
    """
    p = chk.non_negative("launch_cost_per_kg", launch_cost_per_kg)
    spw = chk.positive("specific_power_w_per_kg", specific_power_w_per_kg)
    life = chk.positive("space_life_years", space_life_years)
    i = chk.non_negative("discount_rate", discount_rate)
    return chk.scalar(p / spw * _crf(i, life))


def cost_per_mtok(cost_per_w_year, tokens_per_joule):
    """Cost per million tokens from the cost per delivered watt-year [$/Mtok].

    Notes
    -----
    A watt-year is 31,557,600 J, so ``$/Mtok = cost / (tokens_per_joule * 31,557,600) * 1e6``.
    """
    cost = chk.finite("cost_per_w_year", cost_per_w_year)
    tpj = chk.positive("tokens_per_joule", tokens_per_joule)
    return chk.scalar(cost / (tpj * SECONDS_PER_YEAR) * TOKENS_PER_MTOK)


def breakeven_launch_cost(
    facility_capex_per_w,
    facility_life_years,
    terrestrial_opex_frac,
    electricity_price_per_kwh,
    pue,
    chip_capex_per_w,
    chip_life_years,
    discount_rate,
    satellite_cost_per_w,
    specific_power_w_per_kg,
    sun_fraction,
    solar_degradation_per_year,
    space_chip_failure_per_year,
    space_life_years,
    space_ops_frac,
):
    """Launch price at which orbital and terrestrial cost per token are equal [$/kg].

    Parameters are those of :func:`terrestrial_cost_per_w_year` and
    :func:`orbital_cost_per_w_year`.

    Notes
    -----
    ``S`` is linear in ``p``, so ``S(p*) = T`` solves in closed form:
    ``p* = (T - S(0)) / (k_power CRF(i, space_life) / specific_power)``. A negative ``p*``
    means that even a free launch does not close the gap; it is returned as it is.
    The essay's reconstruction (facility $19/W, satellite $9/W, 40 W/kg, equal 5-year lives,
    no discounting, losses or energy) gives (19 - 9) * 40 = $400/kg.
    """
    return _breakeven(
        1.0, facility_capex_per_w, facility_life_years, terrestrial_opex_frac,
        electricity_price_per_kwh, pue, chip_capex_per_w, chip_life_years, discount_rate,
        satellite_cost_per_w, specific_power_w_per_kg, sun_fraction, solar_degradation_per_year,
        space_chip_failure_per_year, space_life_years, space_ops_frac,
    )


def time_adjusted_breakeven_launch_cost(
    facility_capex_per_w,
    facility_life_years,
    terrestrial_opex_frac,
    electricity_price_per_kwh,
    pue,
    chip_capex_per_w,
    chip_life_years,
    discount_rate,
    satellite_cost_per_w,
    specific_power_w_per_kg,
    sun_fraction,
    solar_degradation_per_year,
    space_chip_failure_per_year,
    space_life_years,
    space_ops_frac,
    hardware_halving_years,
    deployment_lead_years,
    algorithmic_halving_years=np.inf,
):
    """Breakeven launch price when orbital capacity comes online sooner [$/kg] (claim 7).

    Parameters
    ----------
    hardware_halving_years, algorithmic_halving_years : array_like
        Halving times of the cost per token [yr]; they fix the hurdle rate ``r``.
    deployment_lead_years : array_like
        How much sooner orbital capacity comes online than terrestrial [yr].

    Other parameters are those of :func:`breakeven_launch_cost`.

    Notes
    -----
    Capacity online ``lead`` years sooner is worth ``(1 + r)^lead`` times as much per
    delivered watt-year, so solve ``S(p**) = T (1 + r)^lead``.
    """
    t = _halving(hardware_halving_years, algorithmic_halving_years, "hardware_halving_years")
    lead = chk.finite("deployment_lead_years", deployment_lead_years)
    with np.errstate(over="ignore"):
        credit = pm.exp2(lead / t)
    return _breakeven(
        credit, facility_capex_per_w, facility_life_years, terrestrial_opex_frac,
        electricity_price_per_kwh, pue, chip_capex_per_w, chip_life_years, discount_rate,
        satellite_cost_per_w, specific_power_w_per_kg, sun_fraction, solar_degradation_per_year,
        space_chip_failure_per_year, space_life_years, space_ops_frac,
    )


def _breakeven(
    credit, facility_capex_per_w, facility_life_years, terrestrial_opex_frac,
    electricity_price_per_kwh, pue, chip_capex_per_w, chip_life_years, discount_rate,
    satellite_cost_per_w, specific_power_w_per_kg, sun_fraction, solar_degradation_per_year,
    space_chip_failure_per_year, space_life_years, space_ops_frac,
):
    terrestrial = terrestrial_cost_per_w_year(
        facility_capex_per_w, facility_life_years, terrestrial_opex_frac,
        electricity_price_per_kwh, pue, chip_capex_per_w, chip_life_years, discount_rate,
    )
    intercept, slope = _orbital_terms(
        satellite_cost_per_w, specific_power_w_per_kg, sun_fraction, solar_degradation_per_year,
        space_chip_failure_per_year, space_life_years, space_ops_frac, chip_capex_per_w,
        discount_rate,
    )
    # (one cell's call: a numpy scalar, which the operators combine as the ufuncs would)
    gap = _F64(terrestrial) if type(terrestrial) is float else np.asarray(terrestrial)
    if not (type(credit) is float and credit == 1.0):  # x * 1.0 is x
        gap = _into(np.multiply, gap, credit)
    return chk.scalar(_into(np.divide, _into(np.subtract, gap, intercept), slope))
