"""The model from Python: the Excel functions' answers as pandas objects.

Everything here is also reachable as ``xlmodel.NAME`` (``import xlmodel`` is enough; pandas is
imported on first use, so the Excel runtimes, which need numpy only, never load it).

``assumptions`` everywhere is what the Excel functions take: a scenario name (``"base"``,
``"essay"``, ``"essay_energy"``, ``"conservative"``), or a mapping of input names to values
(blank names keep the scenario's), optionally with ``"scenario"`` to start from another
scenario. Names match loosely (``"Sun fraction"`` is ``sun_fraction``). Each function
resolves them exactly as the Excel functions do, so the numbers are the same bits as the
cells'. Bad input raises ``ValueError`` with the message the cell would show.

>>> import xlmodel
>>> round(xlmodel.summary("essay").loc["breakeven_launch_cost", "essay"])
400
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from xlmodel import model as m
from xlmodel.errors import InputError
from xlmodel.functions import catalogue
from xlmodel.functions.calling import CallError
from xlmodel.functions.implementations import output_function
from xlmodel.model.headline import headline
from xlmodel.model.inputs import INPUTS, SCENARIOS, get_input, normalize_name, whole_draw_inputs

__all__ = [
    "call",
    "check",
    "input_table",
    "monte_carlo",
    "required_value",
    "scenario_table",
    "summary",
    "tornado",
    "what_must_be_true",
]

Assumptions = str | Mapping[str, object] | None


def _resolve(assumptions: Assumptions):
    """(values, low, high), exactly as an Excel function reads its assumptions argument."""
    if isinstance(assumptions, Mapping):
        raw = [[str(k), "" if v is None else v] for k, v in assumptions.items()] or None
    else:
        raw = assumptions
    try:
        return catalogue.read_assumptions(raw)
    except CallError as exc:
        raise ValueError(str(exc)) from None


def _label(assumptions: Assumptions) -> str:
    if isinstance(assumptions, str):
        return normalize_name(assumptions)
    if isinstance(assumptions, Mapping) and set(assumptions) == {"scenario"}:
        return normalize_name(str(assumptions["scenario"]))
    return "base" if not assumptions else "custom"


def _value(x):
    return np.nan if x is None else x


# --- inputs and scenarios ----------------------------------------------------------------------

def input_table(assumptions: Assumptions = "base") -> pd.DataFrame:
    """Every model input: value, unit, range, source.

    Returns
    -------
    DataFrame
        Indexed by input name, in the workbooks' order. Columns: ``value``, ``unit``,
        ``low`` and ``high`` (the range tornado and Monte Carlo use, widened to include the
        value), ``group``, ``description``, ``source``, ``domain`` and ``assumption`` (True
        where no public figure backs the default). NaN where an input has no value or no
        range. ``XLMODEL_INPUTS`` spills the name, value, unit and source columns.
    """
    values, low, high = _resolve(assumptions)
    rows = [{"name": i.name, "value": _value(values[i.name]), "unit": i.unit,
             "low": _value(low.get(i.name)), "high": _value(high.get(i.name)),
             "group": i.group, "description": i.description, "source": i.source,
             "domain": i.domain, "assumption": i.is_assumption} for i in INPUTS]
    return pd.DataFrame(rows).set_index("name")


def scenario_table() -> pd.DataFrame:
    """Every input's value in every named scenario.

    Returns
    -------
    DataFrame
        Indexed by input name; one column per scenario, then ``unit``. The scenarios'
        descriptions are in ``.attrs["descriptions"]``.
    """
    frame = pd.DataFrame({s.name: {k: _value(v) for k, v in s.values().items()}
                          for s in SCENARIOS})
    frame = frame.loc[[i.name for i in INPUTS]]
    frame["unit"] = [i.unit for i in INPUTS]
    frame.index.name = "name"
    frame.attrs["descriptions"] = {s.name: s.description for s in SCENARIOS}
    return frame


# --- headline figures --------------------------------------------------------------------------

def summary(*assumptions: Assumptions) -> pd.DataFrame:
    """The headline figures (``xlmodel summary``), one column per scenario.

    Parameters
    ----------
    *assumptions
        Scenario names or mappings, one per column; none: every named scenario.

    Returns
    -------
    DataFrame
        Indexed by figure key (``breakeven_launch_cost``, ``crossover_year`` ...); columns
        ``label``, ``unit``, then one per scenario (a mapping's column is ``custom``, or
        ``custom 2`` ...). A crossover that never happens is NaN. Rates are fractions
        (1.0 = 100 %/yr). The Excel functions behind them: ``ANNUALIZED_TOKEN_RETURN``,
        ``COMPUTE_EQUIVALENCE``, ``TERRESTRIAL_COST_PER_MTOK``, ``ORBITAL_COST_PER_MTOK``,
        ``BREAKEVEN_LAUNCH_COST``, ``TIME_ADJUSTED_BREAKEVEN``, ``CROSSOVER_YEAR`` and
        ``BUILDOUT_GROWTH_RATE``.
    """
    chosen = list(assumptions) or [s.name for s in SCENARIOS]
    columns, first = {}, None
    for a in chosen:
        figures = headline(_resolve(a)[0])
        first = first or figures
        name = _label(a)
        k = 2
        while name in columns:
            name, k = f"{_label(a)} {k}", k + 1
        columns[name] = [f.value for f in figures]
    frame = pd.DataFrame({"label": [f.label for f in first], "unit": [f.unit for f in first],
                          **columns}, index=pd.Index([f.key for f in first], name="figure"))
    return frame


# --- sensitivity and uncertainty ---------------------------------------------------------------

def tornado(assumptions: Assumptions = "base",
            output: str = "breakeven_launch_cost") -> pd.DataFrame:
    """Each input at its low and its high, the others at their values, ranked by swing.

    Parameters
    ----------
    assumptions : str or mapping
        See the module's help.
    output : str
        ``breakeven_launch_cost``, ``time_adjusted_breakeven_launch_cost``,
        ``terrestrial_cost_per_w_year`` or ``orbital_cost_per_w_year``.

    Returns
    -------
    DataFrame
        What ``TORNADO`` spills: columns ``input``, ``low``, ``high``, ``output_at_low``,
        ``output_at_high``, ``swing``, largest swing first. The output at the base values is
        in ``.attrs["base_output"]``.
    """
    values, low, high = _resolve(assumptions)
    func = _output(output)
    base_output, rows = m.tornado(func, values, low, high)
    frame = pd.DataFrame(
        [[r.name, r.low_input, r.high_input, r.output_at_low, r.output_at_high, r.swing]
         for r in rows],
        columns=["input", "low", "high", "output_at_low", "output_at_high", "swing"])
    frame.attrs["base_output"] = base_output
    return frame


def _output(name: str):
    try:
        return output_function(name)
    except CallError as exc:
        raise ValueError(str(exc)) from None


def monte_carlo(assumptions: Assumptions = "base", output: str = "breakeven_launch_cost", *,
                draws: int = 100_000, seed: int = 0,
                percentiles: Sequence[float] = (5, 50, 95), threshold: float | None = None,
                return_draws: bool = False):
    """Percentiles, mean and exceedance of an output with inputs drawn from triangular
    (low, value, high) distributions, as ``MONTE_CARLO`` computes them.

    Parameters
    ----------
    assumptions, output
        As for :func:`tornado`.
    draws : int
        Number of draws, up to 10 million (a cell allows 1 million).
    seed : int
        The same seed gives the same draws, here and in Excel.
    percentiles : sequence of float
        Percentiles to report, 0-100.
    threshold : float, optional
        Also report the share of draws whose output exceeds it.
    return_draws : bool
        Also return every draw.

    Returns
    -------
    Series, or (Series, DataFrame) with ``return_draws``
        The statistics, labelled as the cell labels them: ``P5``, ``P50``, ``P95``,
        ``mean``, ``P(> threshold)``. The draws: one column per drawn input, then
        ``output``, one row per draw. Lives are drawn in whole years.
    """
    values, low, high = _resolve(assumptions)
    try:
        res = m.monte_carlo(_output(output), values, low, high, draws=draws, seed=seed,
                            percentiles=percentiles, threshold=threshold,
                            whole=whole_draw_inputs(), keep_draws=return_draws)
    except InputError as exc:
        raise ValueError(str(exc)) from None
    stats = {f"P{p:g}": q for p, q in res.percentiles.items()}
    stats["mean"] = res.mean
    if res.exceedance is not None:
        stats[f"P(> {threshold:g})"] = res.exceedance
    series = pd.Series(stats, name=normalize_name(output))
    if not return_draws:
        return series
    return series, pd.DataFrame(res.samples)


# --- what must be true -------------------------------------------------------------------------

def what_must_be_true(assumptions: Assumptions = "base",
                      launch_cost_per_kg: float | None = None) -> pd.DataFrame:
    """Every input's required value for orbital to cost what terrestrial does.

    Parameters
    ----------
    assumptions : str or mapping
        See the module's help.
    launch_cost_per_kg : float, optional
        The launch price [$/kg]; default: the assumptions' (today's price).

    Returns
    -------
    DataFrame
        What ``WHAT_MUST_BE_TRUE_TABLE`` spills, indexed by input: ``unit``, ``value``,
        ``low``, ``high``, ``required`` (NaN where no valid value closes the gap), ``method``
        (exact, bracketed, whole or no effect) and ``reason`` (why there is none).
    """
    values, low, high = _resolve(assumptions)
    price = _price(launch_cost_per_kg)
    rows = []
    for row in m.what_must_be_true(values, low, high, price, names=[i.name for i in INPUTS]):
        r = row.required
        rows.append({"name": row.name, "unit": get_input(row.name).unit,
                     "value": _value(row.value), "low": _value(row.low),
                     "high": _value(row.high), "required": r.value, "method": r.method,
                     "reason": r.reason})
    return pd.DataFrame(rows).set_index("name")


def required_value(input: str, assumptions: Assumptions = "base",
                   launch_cost_per_kg: float | None = None) -> float:
    """The value ``input`` must take for orbital to cost what terrestrial does at a launch
    price, the other inputs held (``WHAT_MUST_BE_TRUE``); NaN where no valid value does."""
    values, _, _ = _resolve(assumptions)
    try:
        name = get_input(input).name
        return m.required_input(name, values, _price(launch_cost_per_kg)).value
    except InputError as exc:
        raise ValueError(str(exc)) from None


def _price(launch_cost_per_kg):
    if launch_cost_per_kg is None:
        return None
    p = float(launch_cost_per_kg)
    if not (math.isfinite(p) and p >= 0):
        raise ValueError(f"launch_cost_per_kg must be a finite number >= 0, got {p:g}")
    return p


# --- any Excel function ------------------------------------------------------------------------

def call(name: str, *args):
    """Call any Excel function of the add-in as Excel would.

    Arguments are what a cell would pass: numbers, text, None for a blank, nested lists for
    ranges (a mapping is taken as a 2-column range of input names and values).

    Returns
    -------
    float, str or ExcelError
        For a one-cell result; otherwise a DataFrame of the spilled
    cells, with the function's column names where it has them. Error cells hold
    :class:`~xlmodel.errors.ExcelError` values. A call that fails as a whole raises
    ValueError with the cell's message.
    """
    raw = [[[str(k), v] for k, v in a.items()] if isinstance(a, Mapping) else a
           for a in args]
    try:
        cells = catalogue.invoke(name, *raw)
    except CallError as exc:
        raise ValueError(str(exc)) from None
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    if len(cells) == 1 and len(cells[0]) == 1:
        return cells[0][0]
    fn = catalogue.get_function(name)
    columns = list(fn.columns) if len(fn.columns) == len(cells[0]) else None
    return pd.DataFrame(cells, columns=columns)


# --- the harness -------------------------------------------------------------------------------

def check(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
          mode: str = "local", *, rtol: float | None = None, atol: float | None = None,
          mismatches_only: bool = False) -> pd.DataFrame:
    """Recompute saved workbooks (``xlmodel check``) and report every compared cell.

    Parameters
    ----------
    paths : path or iterable of paths
        .xlsx or .xlsm workbooks.
    mode : str
        ``local`` (each xlmodel call from its saved arguments) or ``full`` (the whole
        dependency graph).
    rtol, atol : float, optional
        Tolerances (default 1e-9 relative, 1e-12 absolute).
    mismatches_only : bool
        Keep only the cells that differ.

    Returns
    -------
    DataFrame
        One row per compared cell: ``workbook``, ``sheet``, ``cell``, ``formula``, ``saved``,
        ``recomputed``, ``difference`` (recomputed - saved, for numbers), ``match``. Spills
        whose size changed add a row whose ``cell`` is the anchor and whose values are the
        sizes. A workbook that cannot be read raises :class:`xlmodel.errors.WorkbookError`.
    """
    from xlmodel import harness

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    tol = {}
    if rtol is not None:
        tol["rtol"] = rtol
    if atol is not None:
        tol["atol"] = atol
    rows = []
    for path in paths:
        report = harness.check(path, mode, keep_cells=True, **tol)
        bad = {(x.sheet, x.ref) for x in report.mismatches if x.kind == "value"}
        for (sheet, ref), value in report.recomputed.items():
            if (sheet, ref) not in report.saved:
                continue  # a cell an old spill covered, now blank
            saved = report.saved[(sheet, ref)]
            rows.append([str(path), sheet, ref, report.formulas[(sheet, ref)],
                         _cell(saved), _cell(value), harness.difference(saved, value),
                         (sheet, ref) not in bad])
        for x in report.mismatches:
            if x.kind != "value":
                rows.append([str(path), x.sheet, x.ref, x.formula, x.saved, x.recomputed,
                             None, False])
    frame = pd.DataFrame(rows, columns=["workbook", "sheet", "cell", "formula", "saved",
                                        "recomputed", "difference", "match"])
    frame["difference"] = frame["difference"].astype(float)
    if mismatches_only:
        frame = frame[~frame["match"]].reset_index(drop=True)
    return frame


def _cell(v):
    return None if isinstance(v, str) and v == "" else v
