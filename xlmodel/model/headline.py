"""The headline figures of a scenario: what the essay claims, computed from a full input set."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from xlmodel import model as m
from xlmodel.model.inputs import SCENARIOS


@dataclass(frozen=True)
class Figure:
    """One headline figure."""

    key: str
    label: str
    unit: str
    value: float
    fmt: str  # a format spec for the number; "year" and "pct" are special

    def text(self) -> str:
        """The value formatted for a table ("never" for a crossover that does not happen)."""
        if math.isnan(self.value):
            return "never"
        if self.fmt == "pct":
            return f"{self.value * 100:,.1f} %"
        if self.fmt == "year":
            return f"{self.value:.0f}"
        return format(self.value, self.fmt)


def headline(values: Mapping[str, float | None]) -> list[Figure]:
    """Headline figures for a full input set (see :func:`xlmodel.model.inputs.resolve`)."""
    v = dict(values)
    call = m.call_with_inputs
    halving = {"halving_years": v["hardware_halving_years"],
               "algorithmic_halving_years": v["algorithmic_halving_years"]}
    hurdle = call(m.annualized_token_return, halving)
    gw_next_year = call(m.compute_equivalence, {**halving, "power": 1.0, "delay_years": 1.0})
    terrestrial = call(m.terrestrial_cost_per_w_year, v)
    orbital = call(m.orbital_cost_per_w_year, v)
    p_star = call(m.breakeven_launch_cost, v)
    p_star_star = call(m.time_adjusted_breakeven_launch_cost, v)
    crossover = call(m.crossover_year, {**v, "target_launch_cost_per_kg": p_star})
    crossover_adj = call(m.crossover_year, {**v, "target_launch_cost_per_kg": p_star_star})
    growth = call(m.buildout_growth_rate, v)
    tpj = v["tokens_per_joule"]
    return [
        Figure("hurdle_rate", "Annualized token return (hurdle rate)", "%/yr", hurdle, "pct"),
        Figure("gw_next_year", "1 GW deployed now is worth, a year later", "GW",
               gw_next_year, ",.2f"),
        Figure("terrestrial_cost_per_mtok", "Terrestrial cost per token", "$/Mtok",
               m.cost_per_mtok(terrestrial, tpj), ",.4f"),
        Figure("orbital_cost_per_mtok", "Orbital cost per token at today's launch price",
               "$/Mtok", m.cost_per_mtok(orbital, tpj), ",.4f"),
        Figure("breakeven_launch_cost", "Breakeven launch cost p*", "$/kg", p_star, ",.0f"),
        Figure("time_adjusted_breakeven", "Time-adjusted breakeven p**", "$/kg",
               p_star_star, ",.0f"),
        Figure("crossover_year", "Launch price reaches p* in", "year", crossover, "year"),
        Figure("time_adjusted_crossover_year", "Launch price reaches p** in", "year",
               crossover_adj, "year"),
        Figure("buildout_growth_rate", "Terrestrial build-out growth needed", "%/yr",
               growth, "pct"),
    ]


def all_headlines() -> dict[str, list[Figure]]:
    """Headline figures of every named scenario."""
    return {s.name: headline(s.values()) for s in SCENARIOS}


def format_table(headlines: Mapping[str, list[Figure]]) -> str:
    """A plain-text table: one row per figure, one column per scenario."""
    names = list(headlines)
    first = headlines[names[0]]
    label_w = max(len(f"{f.label} [{f.unit}]") for f in first)
    cols = {n: [f.text() for f in headlines[n]] for n in names}
    widths = {n: max(len(n), *(len(t) for t in cols[n])) for n in names}
    lines = ["".ljust(label_w) + "".join("  " + n.rjust(widths[n]) for n in names)]
    lines.append("-" * len(lines[0]))
    for k, f in enumerate(first):
        label = f"{f.label} [{f.unit}]".ljust(label_w)
        lines.append(label + "".join("  " + cols[n][k].rjust(widths[n]) for n in names))
    return "\n".join(lines)
