"""Sensitivity (tornado) and uncertainty (Monte Carlo) over any model function.

Both work on a model function whose parameters are named like the inputs
(:mod:`xlmodel.inputs`) and on three mappings of input values: base, low and high. The model
function is called once, on arrays: one element per variant (tornado) or per draw (Monte
Carlo), never in a Python loop per draw.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from . import _checks as chk

#: Most draws one Monte Carlo call may take: 10 million floats per drawn input is about
#: 80 MB, enough for any percentile and small enough for a 2-core, shared machine.
MAX_DRAWS = 10_000_000


@cache
def parameter_names(func: Callable) -> tuple[str, ...]:
    """Names of ``func``'s parameters, in order."""
    return tuple(inspect.signature(func).parameters)


def call_with_inputs(func: Callable, values: Mapping[str, object]):
    """Call ``func`` with the entries of ``values`` that name its parameters.

    Parameters ``func`` has a default for may be missing from ``values``; a missing
    parameter without a default raises KeyError naming it.
    """
    kwargs = {}
    for name, required in _parameters(func):
        value = values.get(name)
        if value is not None:
            kwargs[name] = value
        elif required:
            raise KeyError(f"{func.__name__} needs the input {name!r}")
    return func(**kwargs)


@cache
def _parameters(func: Callable) -> tuple[tuple[str, bool], ...]:
    """(name, required) of each of ``func``'s parameters: read once per function, since
    ``inspect.signature`` costs more than most model functions themselves."""
    return tuple((name, p.default is inspect.Parameter.empty)
                 for name, p in inspect.signature(func).parameters.items())


@dataclass(frozen=True)
class TornadoRow:
    """One bar of a tornado chart."""

    name: str
    low_input: float
    high_input: float
    output_at_low: float
    output_at_high: float

    @property
    def swing(self) -> float:
        """Absolute change of the output between the input's low and high [output unit]."""
        return abs(self.output_at_high - self.output_at_low)


def tornado(func: Callable, base: Mapping[str, float], low: Mapping[str, float],
            high: Mapping[str, float], names: Sequence[str] | None = None):
    """Output at base, and with each input at its low then its high, ranked by swing.

    Parameters
    ----------
    func : callable
        Model function whose parameters are named like the inputs.
    base, low, high : mapping
        Input values. An input without a low or high (or with low == high) is left out.
    names : sequence of str, optional
        Inputs to vary; default: every parameter of ``func`` with a range.

    Returns
    -------
    base_output : float
    rows : list of TornadoRow
        Largest swing first; ties keep the parameter order.
    """
    params = parameter_names(func)
    if names is None:
        names = [n for n in params if n in low and n in high]
    names = [n for n in names if n in params and low.get(n) is not None
             and high.get(n) is not None and low[n] != high[n]]
    k = len(names)
    # Column 0 is the base; columns 1..k put one input at its low, k+1..2k at its high.
    values = {}
    for p in params:
        if p not in base or base[p] is None:
            continue
        col = np.full(2 * k + 1, float(base[p]))
        if p in names:
            j = names.index(p)
            col[1 + j] = float(low[p])
            col[1 + k + j] = float(high[p])
        values[p] = col
    out = np.asarray(call_with_inputs(func, values), dtype=float)
    rows = [TornadoRow(n, float(low[n]), float(high[n]), float(out[1 + j]), float(out[1 + k + j]))
            for j, n in enumerate(names)]
    order = sorted(range(k), key=lambda j: -_swing_key(rows[j].swing))
    return float(out[0]), [rows[j] for j in order]


def _swing_key(swing: float) -> float:
    return swing if np.isfinite(swing) else np.inf


def triangular_draws(rng: np.random.Generator, low, mode, high, size: int) -> np.ndarray:
    """Draws from the triangular distribution ``(low, mode, high)``; constant if low == high."""
    if low == high:
        return np.full(size, float(mode))
    # (1 - c) min(U1, U2) + c max(U1, U2) is triangular on [0, 1] with mode c (Stein and
    # Keblis, 2009): no square root and no branch per draw, about 3x faster than the inverse
    # CDF or rng.triangular.
    c = (mode - low) / (high - low)
    u1 = rng.random(size)
    u2 = rng.random(size)
    lo = np.minimum(u1, u2)
    np.maximum(u1, u2, out=u1)
    lo *= (1.0 - c) * (high - low)
    u1 *= c * (high - low)
    lo += u1
    lo += low
    return lo


@dataclass(frozen=True)
class MonteCarloResult:
    """Summary of a Monte Carlo run."""

    percentiles: dict[float, float]
    mean: float
    draws: int
    exceedance: float | None
    """Share of draws whose output exceeds the threshold, if one was given."""


def monte_carlo(func: Callable, base: Mapping[str, float], low: Mapping[str, float],
                high: Mapping[str, float], *, draws: int = 100_000, seed: int = 0,
                percentiles: Sequence[float] = (5, 50, 95), threshold: float | None = None,
                names: Sequence[str] | None = None,
                whole: Collection[str] = ()) -> MonteCarloResult:
    """Percentiles of ``func``'s output with inputs drawn from triangular distributions.

    Parameters
    ----------
    func : callable
        Model function whose parameters are named like the inputs.
    base, low, high : mapping
        Mode, lower and upper bound of each input's triangular distribution. Inputs with
        no range (or low == high) stay at base.
    draws : int
        Number of draws, 1 to ``MAX_DRAWS``.
    seed : int
        Seed of the random generator: the same seed gives the same result.
    percentiles : sequence of float
        Percentiles to report, each in [0, 100].
    threshold : float, optional
        Report the share of draws whose output exceeds it, e.g. the probability that the
        breakeven launch cost exceeds a given launch price.
    names : sequence of str, optional
        Inputs to draw; default: every parameter of ``func`` with a range.
    whole : collection of str
        Inputs that take whole numbers only (a life in years): their draws are rounded.
    """
    n = int(chk.whole("draws", draws, 1))
    if n > MAX_DRAWS:
        raise chk.InputError("draws", f"must be at most {MAX_DRAWS:,}", n)
    seed = int(chk.whole("seed", seed, 0))
    pct = chk.fraction("percentiles", np.asarray(percentiles, dtype=float) / 100.0) * 100.0
    params = parameter_names(func)
    drawn = set(names if names is not None else params)
    rng = np.random.default_rng(seed)
    values = {}
    for p in params:
        if p not in base or base[p] is None:
            continue
        lo, hi = low.get(p), high.get(p)
        if p in drawn and lo is not None and hi is not None and lo != hi:
            if not lo <= base[p] <= hi:
                raise chk.InputError(p, f"base value must lie between its low {lo:g} and "
                                     f"high {hi:g}", chk._Shown(f"{base[p]:g}"))
            values[p] = triangular_draws(rng, float(lo), float(base[p]), float(hi), n)
            if p in whole:
                np.round(values[p], out=values[p])
        else:
            values[p] = float(base[p])
    out = np.broadcast_to(np.asarray(call_with_inputs(func, values), dtype=float), (n,))
    qs = np.percentile(out, pct)
    exceed = None if threshold is None else float(np.mean(out > float(threshold)))
    return MonteCarloResult(
        percentiles={float(p): float(q)
                     for p, q in zip(np.atleast_1d(pct), np.atleast_1d(qs), strict=True)},
        mean=float(np.mean(out)), draws=n, exceedance=exceed,
    )
