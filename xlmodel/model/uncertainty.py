"""Sensitivity (tornado) and uncertainty (Monte Carlo) over any model function.

Both work on a model function whose parameters are named like the inputs
(:mod:`xlmodel.model.inputs`) and on three mappings of input values: base, low and high. The model
function is called once, on arrays: one element per variant (tornado) or per draw (Monte
Carlo), never in a Python loop per draw.
"""

from __future__ import annotations

import inspect
import math
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


#: Draws evaluated at a time: a block of every drawn input and the model's temporaries stays
#: in the processor's cache. Fixed, so that a seed gives the same draws on every machine.
BLOCK = 16_384


#: Bound on ``t`` in :class:`_Triangular`: each of ``u / c`` and ``(1 - u) / (1 - c)`` is at
#: most 1 on its own side of ``c`` before rounding, and two roundings add under 3 units of
#: 2^-53.
_T_BOUND = 1.0 + math.ldexp(1.0, -51)


class _Triangular:
    """Inverse CDF of the triangular distribution (low, mode, high): one uniform per draw.

    With ``c = (mode - low) / (high - low)``, the textbook inverse is
    ``low + sqrt(u (high - low)(mode - low))`` for ``u < c`` and
    ``high - sqrt((1 - u)(high - low)(high - mode))`` otherwise. Both are
    ``mode + w (1 - sqrt(t))`` with ``t = min(u / c, (1 - u) / (1 - c))`` (uniform on
    [0, 1] in either branch) and ``w = -(mode - low)`` left of the mode, ``high - mode`` right
    of it: one square root, and the branch chosen by arithmetic, since masked copies are
    several times slower. Where rounding puts ``u`` on the other side of ``c``, ``t`` is 1 and
    both branches give the mode.

    The side is ``u >= u0``, written as 0.0 or 1.0 straight into a float array; ``u0`` is the
    first double at which ``u + (1 - c)`` rounds to 1 or more, worked out once here, so the
    draws are those of ``floor(u + 1 - c)`` to the last bit in one pass instead of two. The
    final clamp to [low, high] is kept only where rounding could reach past an end: every
    step is monotone in ``1 - sqrt(t)``, which lies between ``1 - sqrt(_T_BOUND)`` and 1, so
    evaluating both ends of that interval on both sides bounds every draw.
    """

    def __init__(self, low: float, mode: float, high: float):
        self.low, self.mode, self.high = float(low), float(mode), float(high)
        c = (self.mode - self.low) / (self.high - self.low)
        one_minus_c = 1.0 - c
        self.inv_c = math.inf if c == 0 else 1.0 / c
        self.inv_1mc = math.inf if c == 1 else 1.0 / (1.0 - c)
        self.left = self.mode - self.low
        self.span = self.left + (self.high - self.mode)
        self.u0 = _side_threshold(one_minus_c)
        # t is exactly u (c = 1) or 1 - u (c = 0) at the ends, so at most 1 there
        y_min = 1.0 - math.sqrt(1.0 if c in (0.0, 1.0) else _T_BOUND)
        sides = [s for s, present in ((0.0, self.u0 > 0.0), (1.0, self.u0 < 1.0)) if present]
        reach = [self.mode + (s * self.span - self.left) * y for s in sides for y in (y_min, 1.0)]
        self.clamp = not all(self.low <= x <= self.high for x in reach)

    def __call__(self, u: np.ndarray, scratch: np.ndarray, side: np.ndarray) -> np.ndarray:
        """Turn the uniforms ``u`` (in [0, 1)) into draws, in place (``scratch``, ``side``:
        buffers of its size)."""
        np.greater_equal(u, self.u0, out=side)  # 0 left of the mode, 1 right of it
        if self.inv_c == math.inf:  # the mode at low: every draw right of it, t = 1 - u
            np.subtract(1.0, u, out=u)
        else:
            np.subtract(1.0, u, out=scratch)
            scratch *= self.inv_1mc  # inf when the mode is at high: then fmin keeps u / c
            u *= self.inv_c
            np.fmin(u, scratch, out=u)
        np.sqrt(u, out=u)
        np.subtract(1.0, u, out=u)
        side *= self.span
        side -= self.left
        u *= side
        u += self.mode
        if self.clamp:
            np.clip(u, self.low, self.high, out=u)
        return u


def _side_threshold(one_minus_c: float) -> float:
    """The least double ``u`` in [0, 1] with ``u + one_minus_c >= 1`` after rounding (the
    sum is monotone in ``u``, so the side of every ``u`` is ``u >= threshold``)."""
    u = max(0.0, 1.0 - one_minus_c)
    while u > 0.0 and math.nextafter(u, 0.0) + one_minus_c >= 1.0:
        u = math.nextafter(u, 0.0)
    while u + one_minus_c < 1.0:
        u = math.nextafter(u, 2.0)
    return u


def triangular_draws(rng: np.random.Generator, low, mode, high, size: int) -> np.ndarray:
    """Draws from the triangular distribution ``(low, mode, high)``; constant if low == high.

    One uniform per draw, through the inverse CDF (see :class:`_Triangular`).
    """
    if low == high:
        return np.full(size, float(mode))
    u = rng.random(size)
    return _Triangular(low, mode, high)(u, np.empty(size), np.empty(size))


@dataclass(frozen=True)
class MonteCarloResult:
    """Summary of a Monte Carlo run."""

    percentiles: dict[float, float]
    mean: float
    draws: int
    exceedance: float | None
    """Share of draws whose output exceeds the threshold, if one was given."""
    samples: dict[str, np.ndarray] | None = None
    """With ``keep_draws``: every drawn input's draws and the output's (key ``"output"``),
    in draw order."""


def monte_carlo(func: Callable, base: Mapping[str, float], low: Mapping[str, float],
                high: Mapping[str, float], *, draws: int = 100_000, seed: int = 0,
                percentiles: Sequence[float] = (5, 50, 95), threshold: float | None = None,
                names: Sequence[str] | None = None,
                whole: Collection[str] = (), keep_draws: bool = False) -> MonteCarloResult:
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
        Seed of the random generator: the same seed gives the same result on every machine.
    percentiles : sequence of float
        Percentiles to report, each in [0, 100], interpolated linearly between the sorted
        draws (numpy's default method).
    threshold : float, optional
        Report the share of draws whose output exceeds it, e.g. the probability that the
        breakeven launch cost exceeds a given launch price.
    names : sequence of str, optional
        Inputs to draw; default: every parameter of ``func`` with a range.
    whole : collection of str
        Inputs that take whole numbers only (a life in years): their draws are rounded.
    keep_draws : bool
        Also return every draw (:attr:`MonteCarloResult.samples`).

    Notes
    -----
    The draws are made and evaluated in blocks of :data:`BLOCK`: for each block, one uniform
    per drawn input (in parameter order) from numpy's SFC64 generator seeded with ``seed``
    (the fastest of numpy's generators), turned into a triangular draw by the inverse CDF;
    then ``func`` on the block. Percentiles come from ``numpy.partition`` (a selection per
    rank), not a full sort.
    """
    n = int(chk.whole("draws", draws, 1))
    if n > MAX_DRAWS:
        raise chk.InputError("draws", f"must be at most {MAX_DRAWS:,}", n)
    seed = int(chk.whole("seed", seed, 0))
    pct = np.atleast_1d(chk.fraction("percentiles",
                                     np.asarray(percentiles, dtype=float) / 100.0) * 100.0)
    params = parameter_names(func)
    drawn = set(names if names is not None else params)
    fixed, dists = {}, {}
    for p in params:
        if p not in base or base[p] is None:
            continue
        lo, hi = low.get(p), high.get(p)
        if p in drawn and lo is not None and hi is not None and lo != hi:
            if not lo <= base[p] <= hi:
                raise chk.InputError(p, f"base value must lie between its low {lo:g} and "
                                     f"high {hi:g}", chk._Shown(f"{base[p]:g}"))
            dists[p] = _Triangular(float(lo), float(base[p]), float(hi))
        else:
            fixed[p] = float(base[p])
    rng = np.random.Generator(np.random.SFC64(seed))
    out = np.empty(n)
    kept = {p: np.empty(n) for p in dists} if keep_draws else None
    size = min(BLOCK, n)
    uniforms = np.empty((len(dists), size))
    scratch, side = np.empty(size), np.empty(size)
    for start in range(0, n, BLOCK):
        stop = min(start + BLOCK, n)
        u = uniforms if stop - start == size else np.empty((len(dists), stop - start))
        values = dict(fixed)
        for j, (p, dist) in enumerate(dists.items()):
            rng.random(out=u[j])  # row by row: the same stream as the whole block at once
            x = dist(u[j], scratch[: stop - start], side[: stop - start])
            if p in whole:
                np.round(x, out=x)
            values[p] = x
            if kept is not None:
                kept[p][start:stop] = x
        if start == 0:
            # Every draw lies between its input's low and high (rounded, for whole inputs),
            # and every domain is an interval save that of whole numbers, which the checked
            # first block would catch: so the bounds and the first block are checked, and
            # the remaining blocks skip the checks.
            _check_bounds(func, fixed, dists, whole)
            result = call_with_inputs(func, values)
        else:
            with chk.trusted():
                result = call_with_inputs(func, values)
        out[start:stop] = np.broadcast_to(np.asarray(result, dtype=float), (stop - start,))
    mean = float(np.mean(out))
    exceed = None if threshold is None else float(np.count_nonzero(out > float(threshold)) / n)
    samples = None
    if kept is not None:
        samples = {**kept, "output": out}
        out = out.copy()  # the partition below reorders
    qs = _percentiles(out, pct)
    return MonteCarloResult(
        percentiles={float(p): float(q) for p, q in zip(pct, qs, strict=True)},
        mean=mean, draws=n, exceedance=exceed, samples=samples,
    )


def _check_bounds(func, fixed, dists, whole):
    """Call ``func`` once with every drawn input at its low, then at its high (raises the
    model's InputError, naming the input, if a bound is outside its domain)."""
    for end in ("low", "high"):
        values = dict(fixed)
        for p, dist in dists.items():
            x = getattr(dist, end)
            values[p] = float(np.round(x)) if p in whole else x
        call_with_inputs(func, values)


def _select(values: np.ndarray, ranks: list[int]) -> None:
    """Put the order statistics ``ranks`` (sorted, distinct) of ``values`` in place.

    One ``partition`` per rank, each on the slice between the ranks already placed: several
    times faster than ``partition`` given all the ranks at once."""
    pending = [(0, values.size, ranks)]
    while pending:
        start, stop, ks = pending.pop()
        if not ks:
            continue
        mid = len(ks) // 2
        k = ks[mid]
        values[start:stop].partition(k - start)
        pending += [(start, k, ks[:mid]), (k + 1, stop, ks[mid + 1:])]


def _percentiles(values: np.ndarray, pct: np.ndarray) -> np.ndarray:
    """numpy's linear percentiles by partial selection (``values`` is reordered in place)."""
    n = values.size
    if np.isnan(values).any():
        return np.full(pct.shape, np.nan)
    h = (n - 1) * pct / 100.0
    lo = np.floor(h).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    _select(values, sorted({int(k) for k in (*lo, *hi)}))
    a, b = values[lo], values[hi]
    t = h - lo
    # numpy's lerp: from the nearer end, so that t = 0 and t = 1 give a and b exactly
    return np.where(t >= 0.5, b - (b - a) * (1.0 - t), a + (b - a) * t)
