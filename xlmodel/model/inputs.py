"""The model's inputs as data: name, unit, default, range and source; and named scenarios.

Every number the model uses by default is here, with its unit and where it comes from. A value
with no public source says ``assumption`` in its source. The table follows
``design/model.md`` section 6; the inputs it adds (years, lead time) say why.

Scenarios are full input sets: ``base`` is the table itself, the others override some
values. Input and scenario names are matched case-insensitively, with spaces, hyphens and
underscores alike.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from xlmodel.errors import InputError


@dataclass(frozen=True)
class Input:
    """One named model input."""

    name: str
    unit: str
    default: float | None
    low: float | None
    high: float | None
    source: str
    description: str
    group: str
    domain: str = ">=0"
    """Valid values, as the model checks them: ">0", ">=0", ">=1", "[0,1)", "(0,1]", "any",
    "year" (a whole number), "whole>=1". Workbooks turn it into data validation."""

    def check(self, value: float) -> None:
        """Raise InputError naming this input when ``value`` is outside its domain."""
        ok, rule = _DOMAINS[self.domain]
        infinite_ok = self.domain == ">0" and value == math.inf  # e.g. no algorithmic gains
        if not (math.isfinite(value) or infinite_ok) or not ok(value):
            raise InputError(self.name, rule, _shown(value))

    @property
    def is_assumption(self) -> bool:
        """True when no public figure backs the default."""
        return self.source.lower().startswith("assumption")


def _i(name, unit, default, low, high, group, description, source, domain=">=0"):
    return Input(name, unit, default, low, high, source, description, group, domain)


#: The input table, in the order the workbooks show it.
INPUTS: tuple[Input, ...] = (
    # Time value of compute
    _i("hardware_halving_years", "yr", 1.0, 1.0, 2.7, "Time value of compute",
       "Years for hardware gains alone to halve the cost per token",
       "Essay (1 yr); Epoch AI: ML GPU FLOP/s per $ doubles every 2.07 yr (range to 2.7)",
       domain=">0"),
    _i("algorithmic_halving_years", "yr", None, None, None, "Time value of compute",
       "Years for algorithmic gains alone to halve the cost per token; blank leaves them out",
       "Essay leaves architecture aside; a16z 'LLMflation': price for equal capability "
       "falls 10x/yr (0.30 yr)", domain=">0"),
    _i("deployment_lead_years", "yr", 1.0, 0.0, 2.0, "Time value of compute",
       "How much sooner orbital capacity comes online than terrestrial capacity",
       "assumption: the essay's 'time matters more than cost' gives no figure", domain="any"),
    # Launch
    _i("launch_cost_per_kg", "$/kg", 3600.0, 2720.0, 3770.0, "Launch",
       "Launch price to low Earth orbit in the base year",
       "SpaceNews / Google Suncatcher: Falcon 9 about $3,600/kg (range $2,720-3,770)"),
    _i("launch_base_year", "year", 2025.0, None, None, "Launch",
       "Year of the launch price above",
       "Suncatcher (arXiv 2511.19468, 2025) quotes the Falcon 9 price as current", domain="year"),
    _i("launch_learning_rate", "-", 0.20, 0.18, 0.24, "Launch",
       "Launch price cut per doubling of cumulative launched mass",
       "Google Project Suncatcher (arXiv 2511.19468): 20 % (18-24 %)", domain="[0,1)"),
    _i("launch_mass_doublings_per_year", "1/yr", 1.3, 1.0, 1.6, "Launch",
       "Doublings of cumulative launched mass per year",
       "assumption: chosen so the price reaches about $200/kg by 2035, as Suncatcher projects"),
    # Mass and cadence (design/model.md section 8)
    _i("mass_curve_reference_cost_per_kg", "$/kg", 1800.0, None, None, "Mass and cadence",
       "Launch price at the reference cumulative mass, start of the learning curve over mass",
       "Google Suncatcher (arXiv 2511.19468) section 4.4: Falcon Heavy about $1,800/kg",
       domain=">0"),
    _i("mass_curve_reference_mass_t", "t", 400.0, None, None, "Mass and cadence",
       "Cumulative launched mass at which the reference price holds",
       "Google Suncatcher (arXiv 2511.19468) section 4.4: about 400 t launched by Falcon Heavy",
       domain=">0"),
    _i("payload_per_flight_t", "t", 100.0, 100.0, 200.0, "Mass and cadence",
       "Payload one launch puts in low Earth orbit",
       "SpaceX: Starship 100-150 t to LEO, reusable; design/model.md section 8: 100 t a "
       "flight. Range to 200 t: Suncatcher's ~370,000 t in ~1,800 flights", domain=">0"),
    # Orbital
    _i("specific_power_w_per_kg", "W/kg", 40.0, 36.5, 100.0, "Orbital",
       "Solar array output per kg launched (whole satellite)",
       "ARK: 25 kg/kW; Starlink V2 Mini 27 kW/740 kg = 36.5 W/kg; SpaceX FCC filing ~100 kW/t",
       domain=">0"),
    _i("satellite_cost_per_w", "$/W", 9.0, 9.0, 22.0, "Orbital",
       "Satellite bus, array and radiators per watt of array output",
       "McCalip essay case $9/W; Starlink V2 Mini bill of materials about $22/W"),
    _i("sun_fraction", "-", 0.98, 0.95, 0.99, "Orbital",
       "Fraction of the orbit in sunlight",
       "Dawn-dusk (terminator) orbit: McCalip 0.98; Starcloud > 95 %", domain="(0,1]"),
    _i("solar_degradation_per_year", "1/yr", 0.025, 0.01, 0.04, "Orbital",
       "Loss of solar array output per year",
       "McCalip 2.5 %/yr; range: assumption", domain="[0,1)"),
    _i("space_chip_failure_per_year", "1/yr", 0.09, 0.0, 0.09, "Orbital",
       "Chips lost per year in orbit, never repaired",
       "McCalip, citing Meta's GPU failure rate (9 %/yr)", domain="[0,1)"),
    _i("space_life_years", "yr", 5.0, None, None, "Orbital",
       "Satellite life",
       "Google Suncatcher; SemiAnalysis: 5 yr", domain="whole>=1"),
    _i("space_ops_frac", "1/yr", 0.01, 0.005, 0.02, "Orbital",
       "Operations per year as a fraction of satellite cost",
       "McCalip 1 %/yr; range: assumption"),
    # Terrestrial
    _i("facility_capex_per_w", "$/W", 13.8, 13.8, 19.0, "Terrestrial",
       "Data centre building, power and cooling per IT watt",
       "McCalip techno-economic build-up $13.80/W; ARK $19B per GW"),
    _i("facility_life_years", "yr", 15.0, 10.0, 20.0, "Terrestrial",
       "Data centre facility life",
       "SemiAnalysis: Earth facilities 15 yr; range: assumption", domain=">0"),
    _i("terrestrial_opex_frac", "1/yr", 0.03, 0.02, 0.05, "Terrestrial",
       "Facility maintenance per year as a fraction of facility capex",
       "McCalip maintenance fraction 3 %/yr; range: assumption"),
    _i("electricity_price_per_kwh", "$/kWh", 0.08, 0.04, 0.25, "Terrestrial",
       "Electricity price paid by the data centre",
       "Google Suncatcher band $0.06-0.25/kWh; Starcloud $0.04/kWh"),
    _i("pue", "-", 1.2, 1.09, 1.4, "Terrestrial",
       "Power usage effectiveness: facility power over IT power",
       "McCalip 1.2; Suncatcher band 1.09-1.4", domain=">=1"),
    # Shared
    _i("chip_capex_per_w", "$/W", 41.0, 30.0, 50.0, "Shared",
       "GPUs and other IT equipment per IT watt, the same on both sides",
       "ARK: $30B GPUs + $11B other IT per GW; range: assumption"),
    _i("chip_life_years", "yr", 5.0, 4.0, 6.0, "Shared",
       "Chip life on Earth",
       "assumption: the usual GPU depreciation life", domain=">0"),
    _i("discount_rate", "1/yr", 0.10, 0.0, 0.15, "Shared",
       "Cost of capital",
       "assumption: a typical cost of capital (range 0-15 %)"),
    _i("tokens_per_joule", "tok/J", 5.0, 1.0, 20.0, "Shared",
       "Tokens generated per joule of IT energy, the same on both sides",
       "assumption: order of magnitude for a 70B-class model on H100-class GPUs", domain=">0"),
    # Build-out
    _i("buildout_final_year_gw", "GW", 90.0, None, None, "Build-out",
       "Terrestrial data centre capacity installed in the final year",
       "Essay: 90 GW installed in 2030", domain=">0"),
    _i("buildout_cumulative_gw", "GW", 250.0, None, None, "Build-out",
       "Capacity installed over all the years counted, final year included",
       "Essay: 250 GW built cumulatively by 2030", domain=">0"),
    _i("buildout_start_year", "year", 2026.0, None, None, "Build-out",
       "First year counted in the cumulative total",
       "assumption: the essay's 'between now and then', read from 2026", domain="year"),
    _i("buildout_final_year", "year", 2030.0, None, None, "Build-out",
       "Final year of the build-out",
       "Essay: 2030", domain="year"),
)

_BY_NAME = {i.name: i for i in INPUTS}

_DOMAINS = {
    ">0": (lambda x: x > 0, "must be > 0"),
    ">=0": (lambda x: x >= 0, "must be >= 0"),
    ">=1": (lambda x: x >= 1, "must be >= 1"),
    "[0,1)": (lambda x: 0 <= x < 1, "must be >= 0 and < 1"),
    "(0,1]": (lambda x: 0 < x <= 1, "must be > 0 and <= 1"),
    "any": (lambda x: True, "must be a finite number"),
    "year": (lambda x: x == int(x), "must be a whole year"),
    "whole>=1": (lambda x: x >= 1 and x == int(x), "must be a whole number >= 1"),
}


class _Shown(str):
    def __repr__(self) -> str:
        return str(self)


def _shown(x: float) -> _Shown:
    return _Shown(f"{x:g}")


@dataclass(frozen=True)
class Scenario:
    """A named full set of inputs: the defaults with some values overridden."""

    name: str
    description: str
    overrides: Mapping[str, float | None]

    def values(self) -> dict[str, float | None]:
        """Every input's value in this scenario."""
        out = {i.name: i.default for i in INPUTS}
        out.update(self.overrides)
        return out


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "base",
        "The sourced defaults: McCalip's and Suncatcher's figures with a 10 % cost of capital. "
        "GPU failures in orbit and the 15-year facility life outweigh launch: p* is negative.",
        {},
    ),
    Scenario(
        "essay",
        "The essay's $400/kg, reconstructed: facility $19/W, satellite $9/W, 40 W/kg, equal "
        "5-year lives, no discounting, no failures, degradation, eclipse, upkeep or energy "
        "cost: p* = (19 - 9) x 40 = $400/kg.",
        {
            "facility_capex_per_w": 19.0, "satellite_cost_per_w": 9.0,
            "specific_power_w_per_kg": 40.0, "facility_life_years": 5.0,
            "chip_life_years": 5.0, "space_life_years": 5.0, "discount_rate": 0.0,
            "space_chip_failure_per_year": 0.0, "solar_degradation_per_year": 0.0,
            "sun_fraction": 1.0, "electricity_price_per_kwh": 0.0,
            "terrestrial_opex_frac": 0.0, "space_ops_frac": 0.0,
        },
    ),
    Scenario(
        "essay_energy",
        "The essay's reconstruction plus the terrestrial energy bill it leaves out: "
        "$0.08/kWh at PUE 1.2 adds 1.2 x 8.766 x 0.08 = $0.84 per W-year on Earth, which "
        "raises p* by 0.84 x 40 W/kg x 5 yr = $168/kg to about $568/kg.",
        {
            "facility_capex_per_w": 19.0, "satellite_cost_per_w": 9.0,
            "specific_power_w_per_kg": 40.0, "facility_life_years": 5.0,
            "chip_life_years": 5.0, "space_life_years": 5.0, "discount_rate": 0.0,
            "space_chip_failure_per_year": 0.0, "solar_degradation_per_year": 0.0,
            "sun_fraction": 1.0, "electricity_price_per_kwh": 0.08, "pue": 1.2,
            "terrestrial_opex_frac": 0.0, "space_ops_frac": 0.0,
        },
    ),
    Scenario(
        "conservative",
        "SemiAnalysis-like: 5-year satellites against 15-year facilities, GPU redundancy for "
        "9 %/yr failures, a 12 % cost of capital, Starlink V2 Mini hardware ($22/W, 36.5 W/kg) "
        "and cheap terrestrial power ($0.06/kWh). SemiAnalysis published $10.91 against $2.49 "
        "per GPU-hour for 2026, a 4.4x premium for space; with these inputs the model's "
        "premium at today's launch price is about 3.5x (SemiAnalysis's inputs are not public).",
        {
            "satellite_cost_per_w": 22.0, "specific_power_w_per_kg": 36.5,
            "sun_fraction": 0.95, "discount_rate": 0.12, "electricity_price_per_kwh": 0.06,
            "space_ops_frac": 0.02, "solar_degradation_per_year": 0.025,
            "space_chip_failure_per_year": 0.09, "space_life_years": 5.0,
            "facility_life_years": 15.0,
        },
    ),
)

_SCENARIOS = {s.name: s for s in SCENARIOS}


def normalize_name(name: str) -> str:
    """Fold case; spaces, hyphens and underscores alike: 'Sun Fraction' -> 'sun_fraction'."""
    return re.sub(r"[\s_\-]+", "_", str(name).strip().lower()).strip("_")


def get_input(name: str) -> Input:
    """The input called ``name``; an unknown name raises InputError listing the valid ones."""
    key = normalize_name(name)
    if key not in _BY_NAME:
        raise InputError("input name", f"{name!r} is unknown; valid names: "
                         + ", ".join(_BY_NAME), code="#VALUE!")
    return _BY_NAME[key]


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; an unknown name raises InputError listing the valid ones."""
    key = normalize_name(name)
    if key not in _SCENARIOS:
        raise InputError("scenario", f"{name!r} is unknown; valid scenarios: "
                         + ", ".join(_SCENARIOS), code="#VALUE!")
    return _SCENARIOS[key]


def resolve(pairs: Iterable[tuple[str, object]] = (),
            scenario: str = "base") -> dict[str, float | None]:
    """A full input set: a scenario's values overridden by (name, value) pairs.

    A pair named ``scenario`` picks the starting scenario, wherever it stands. Blank values
    (None or "") keep the scenario's value. Two non-blank pairs for one input (or two
    scenarios), equal or not, raise InputError (#VALUE!) naming it: no row silently wins.
    Names follow :func:`normalize_name`; an unknown
    name raises InputError listing the valid ones. Each value given is checked against its
    input's domain, whether or not the function at hand uses it.
    """
    pairs = list(pairs)
    seen: dict[str, object] = {}
    for name, value in pairs:
        key = "scenario" if normalize_name(name) == "scenario" else get_input(name).name
        if _blank(value):
            continue  # a blank value gives nothing, so it cannot conflict
        if key in seen:
            # two rows for one input: neither may silently win over the other
            other = seen[key]
            rule = ("is given twice" if _same(other, value) else
                    f"is given twice with different values ({_short(other)} and "
                    f"{_short(value)})")
            raise InputError(key, rule + "; keep one row", code="#VALUE!")
        seen[key] = value
        if key == "scenario":
            scenario = str(value)
    values = get_scenario(scenario).values()
    for name, value in pairs:
        if normalize_name(name) == "scenario" or _blank(value):
            continue
        spec = get_input(name)
        values[spec.name] = _number(spec.name, value)
        spec.check(values[spec.name])
    return values


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


def _short(value) -> str:
    text = repr(value) if isinstance(value, str) else f"{value}"
    return text if len(text) <= 30 else text[:27] + "..."


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(name, "must be a number", value, code="#VALUE!")
    try:
        value = float(value)
    except OverflowError:  # an int such as 10**400: no spreadsheet number is that large
        raise InputError(name, "must be a finite number, got one too large for a "
                         "spreadsheet", code="#NUM!") from None
    if math.isnan(value):
        raise InputError(name, "must be a number", "NaN", code="#VALUE!")
    if math.isinf(value):
        raise InputError(name, "must be a finite number", value, code="#NUM!")
    return value


def ranges(values: Mapping[str, float | None] | None = None
           ) -> tuple[dict[str, float], dict[str, float]]:
    """(low, high) of every input that has a range.

    Given a full input set, each range is widened to include the value used: a scenario may
    sit outside the base ranges (the essay's 5-year facility life, for one), and tornado and
    Monte Carlo vary each input around the value used.
    """
    low = {i.name: i.low for i in INPUTS if i.low is not None}
    high = {i.name: i.high for i in INPUTS if i.high is not None}
    for name, v in (values or {}).items():
        if v is not None and name in low:
            low[name] = min(low[name], v)
            high[name] = max(high[name], v)
    return low, high


def whole_inputs() -> frozenset[str]:
    """Inputs that take whole numbers only."""
    return frozenset(i.name for i in INPUTS if i.domain in ("year", "whole>=1"))


def whole_draw_inputs() -> frozenset[str]:
    """Inputs whose Monte Carlo draws are rounded to whole numbers: those that take whole
    numbers only, and every life in years. Lives are drawn in whole years, as the satellite's
    must be, so that the annuities and the retention means of each draw are sums of whole
    years (basic arithmetic, no logarithms: see ``capital_recovery_factor``)."""
    return whole_inputs() | frozenset(i.name for i in INPUTS if i.name.endswith("_life_years"))
