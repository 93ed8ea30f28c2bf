"""Terrestrial build-out: the growth that meets a final-year install and a cumulative total
(essay claim 8).

Installs grow geometrically, ``a g^k`` for ``k = 0 ... n-1``. The final-year install
``F = a g^(n-1)`` and the cumulative total ``C = sum a g^k`` fix ``a`` and ``g``.
"""

from __future__ import annotations

import numpy as np

from . import _checks as chk
from . import portable as pm

#: Longest build-out counted, in years: guards against a typo such as 20300 allocating a
#: curve of thousands of rows.
MAX_BUILDOUT_YEARS = 200

# Bisection on h = 1/g halves the bracket each step; 200 steps take any float bracket
# below one ulp, after which the loop stops early.
_MAX_BISECTIONS = 200


def _years(buildout_start_year, buildout_final_year):
    start = chk.whole("buildout_start_year", buildout_start_year, -10**6)
    final = chk.whole("buildout_final_year", buildout_final_year, -10**6)
    start, final = np.broadcast_arrays(start, final)
    if (final <= start).any():
        bad = final <= start
        raise chk.InputError(
            "buildout_final_year", "must be after buildout_start_year",
            chk._Shown(f"{final[bad].flat[0]:g} <= {start[bad].flat[0]:g}"),
        )
    n = final - start + 1
    if (n > MAX_BUILDOUT_YEARS).any():
        raise chk.InputError("buildout_final_year", f"must be at most {MAX_BUILDOUT_YEARS - 1} "
                             "years after buildout_start_year",
                             chk._Shown(f"{n[n > MAX_BUILDOUT_YEARS].flat[0] - 1:g} years"))
    return n


def _tail_sum(h, n):
    """sum_{j=1}^{n-1} h^j, with full relative precision for small h; n - 1 at h = 1."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s = h * pm.expm1((n - 1) * pm.log(h)) / (h - 1.0)
    return np.where(h == 1.0, n - 1.0, s)


def buildout_growth_factor(buildout_final_year_gw, buildout_cumulative_gw, buildout_start_year,
                           buildout_final_year):
    """Year-on-year growth factor ``g`` of installs that meets both conditions [-].

    Parameters
    ----------
    buildout_final_year_gw : array_like
        Capacity installed in the final year [GW], > 0.
    buildout_cumulative_gw : array_like
        Capacity installed over all the years, final year included [GW]; must exceed the
        final-year install.
    buildout_start_year, buildout_final_year : array_like
        First and last year counted, whole numbers, final > start.

    Notes
    -----
    With ``h = 1/g`` the conditions become ``F sum_{j<n} h^j = C``, that is
    ``sum_{j=1}^{n-1} h^j = D`` with ``D = (C - F)/F``. The left side rises from 0 without
    bound, so a root ``h > 0`` exists exactly when ``F < C``. Since the sum is at least
    ``h`` and ``h^(n-1)`` and at most ``(n-1) max(h, h^(n-1))``, the root lies between
    ``min(D', D'^(1/(n-1)))`` with ``D' = D/(n-1)`` and ``min(D, D^(1/(n-1)))``; bisection on
    ``log h`` over that bracket converges to the last bits for any ratio. Working with
    ``C - F`` rather than ``C/F`` keeps the precision when the two are close. ``n F > C``
    means growth (``g > 1``). Essay: F = 90 GW, C = 250 GW gives +42.7 %/yr over 2026-2030
    and +31.5 %/yr over 2027-2030.
    """
    return chk.scalar(pm.exp(-_log_h(buildout_final_year_gw, buildout_cumulative_gw,
                                      buildout_start_year, buildout_final_year)))


def _log_h(buildout_final_year_gw, buildout_cumulative_gw, buildout_start_year,
           buildout_final_year):
    """``log h = -log g``, the root of :func:`buildout_growth_factor` (arrays broadcast): it
    stays a float where ``g`` itself underflows."""
    f = chk.positive("buildout_final_year_gw", buildout_final_year_gw)
    c = chk.positive("buildout_cumulative_gw", buildout_cumulative_gw)
    n = _years(buildout_start_year, buildout_final_year)
    f, c, n = np.broadcast_arrays(f, c, n)
    if (c <= f).any():
        bad = c <= f
        raise chk.InputError(
            "buildout_cumulative_gw", "must exceed buildout_final_year_gw",
            chk._Shown(f"{c[bad].flat[0]:g} <= {f[bad].flat[0]:g}"),
        )
    with np.errstate(over="ignore"):
        d = (c - f) / f
    k = n - 1.0
    per = d / k
    lo = pm.log(np.minimum(per, pm.power(per, 1.0 / k)))
    hi = pm.log(np.minimum(d, pm.power(d, 1.0 / k)))
    for _ in range(_MAX_BISECTIONS):
        mid = 0.5 * (lo + hi)
        if np.all((mid == lo) | (mid == hi)):
            break
        above = _tail_sum(pm.exp(mid), n) > d
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    x = 0.5 * (lo + hi)
    huge = ~np.isfinite(d)
    if huge.any():
        # C / F past the largest float (a vanishing final year against a vast total): the
        # same root, solved for log h from log D = log(C - F) - log F
        x = np.array(x, dtype=float)
        x[huge] = _log_root(pm.log(c[huge] - f[huge]) - pm.log(f[huge]), k[huge])
    return x


def _log_root(log_d, k):
    """``x = log h`` with ``sum_{j=1}^{k} h^j = D``, for ``D`` too large for a float (so
    ``h > 1``), from ``log D``: ``log S = k x + log(1 - e^(-k x)) - log(1 - e^(-x))``, and
    the root lies between ``log(D / k) / k`` and ``log(D) / k`` (see above)."""
    lo = (log_d - pm.log(k)) / k
    hi = log_d / k
    for _ in range(_MAX_BISECTIONS):
        mid = 0.5 * (lo + hi)
        if np.all((mid == lo) | (mid == hi)):
            break
        log_s = k * mid + pm.log1p(-pm.exp(-k * mid)) - pm.log1p(-pm.exp(-mid))
        above = log_s > log_d
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return 0.5 * (lo + hi)


def buildout_growth_rate(buildout_final_year_gw, buildout_cumulative_gw, buildout_start_year,
                         buildout_final_year):
    """Annual growth of installs that meets both conditions [1/yr], ``g - 1``."""
    g = buildout_growth_factor(buildout_final_year_gw, buildout_cumulative_gw,
                               buildout_start_year, buildout_final_year)
    return chk.scalar(np.asarray(g) - 1.0)


def buildout_curve(buildout_final_year_gw, buildout_cumulative_gw, buildout_start_year,
                   buildout_final_year):
    """Installs per year that meet both conditions: (years, GW installed each year).

    Scalar inputs only: the curve's length depends on the years.

    Returns
    -------
    years : ndarray of float
        ``buildout_start_year ... buildout_final_year``.
    installs_gw : ndarray of float
        ``F g^(k - (n-1))`` [GW]; its last value is ``F`` and its sum is ``C``.
    """
    for name, value in (("buildout_final_year_gw", buildout_final_year_gw),
                        ("buildout_cumulative_gw", buildout_cumulative_gw),
                        ("buildout_start_year", buildout_start_year),
                        ("buildout_final_year", buildout_final_year)):
        if np.ndim(value):
            raise chk.InputError(name, "must be a single value for a curve", code="#VALUE!")
    log_h = _log_h(buildout_final_year_gw, buildout_cumulative_gw, buildout_start_year,
                   buildout_final_year)
    g = chk.scalar(pm.exp(-log_h))  # buildout_growth_factor
    years = np.arange(int(buildout_start_year), int(buildout_final_year) + 1, dtype=float)
    k = np.arange(years.size, dtype=float)
    final_gw = float(buildout_final_year_gw)
    installs = final_gw * pm.power(g, k - (years.size - 1))
    if not np.isfinite(installs).all():
        # g^-(n-1) past the largest float (or g below the smallest) while F g^-(n-1), at
        # most C, is an ordinary number: F h^(n-1-k), in logarithms
        installs = pm.exp(pm.log(final_gw) + (years.size - 1 - k) * log_h)
        installs[-1] = final_gw
    return years, installs
