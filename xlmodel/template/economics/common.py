"""What every sheet of the template shares: names and labels, constants, claims and sources, the
check register, page setup, and small writing helpers.
"""

from __future__ import annotations

from openpyxl.formatting.rule import Rule
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat

from xlmodel._version import __version__
from xlmodel.model.costs import KWH_PER_W_YEAR, SECONDS_PER_YEAR, TOKENS_PER_MTOK
from xlmodel.model.deploy import _WHOLE_EPS as WHOLE_TOLERANCE
from xlmodel.model.launch import _YEAR_EPS as YEAR_TOLERANCE
from xlmodel.template.writer import SheetWriter, check_formula

NAME = "ai_compute_economics"
TITLE = "AI compute economics: Earth or orbit?"

#: Years shown by the curves (the spilled ranges, twins and charts are sized for them).
CURVE_START, CURVE_END = 2025, 2040
#: Newton steps that refine the native twin of the build-out growth (quadratic convergence
#: from above; 12 steps reach double precision for any build-out of up to 50 years).
NEWTON_STEPS = 12
MC_PERCENTILES = (0, 5, 25, 50, 75, 95, 100)
MC_DRAWS = 20_000
#: Bins of the Monte Carlo histogram, between the lowest and the highest draw.
MC_BINS = 12

#: Short human labels of the inputs (the model name sits beside each).
LABELS = {
    "hardware_halving_years": "Token cost halving time, hardware",
    "algorithmic_halving_years": "Token cost halving time, algorithms",
    "deployment_lead_years": "Head start of orbital deployment",
    "launch_cost_per_kg": "Launch price today",
    "launch_base_year": "Year of today's launch price",
    "launch_learning_rate": "Launch learning rate",
    "launch_mass_doublings_per_year": "Launched-mass doublings a year",
    "mass_curve_reference_cost_per_kg": "Launch price at the reference mass",
    "mass_curve_reference_mass_t": "Reference cumulative launched mass",
    "payload_per_flight_t": "Payload per flight",
    "specific_power_w_per_kg": "Satellite specific power",
    "satellite_cost_per_w": "Satellite cost",
    "sun_fraction": "Share of the orbit in sunlight",
    "solar_degradation_per_year": "Solar array degradation",
    "space_chip_failure_per_year": "Chip failures in orbit",
    "space_life_years": "Satellite life",
    "space_ops_frac": "Satellite operations",
    "facility_capex_per_w": "Data centre facility cost",
    "facility_life_years": "Data centre facility life",
    "terrestrial_opex_frac": "Data centre upkeep",
    "electricity_price_per_kwh": "Electricity price",
    "pue": "Power usage effectiveness (PUE)",
    "chip_capex_per_w": "Chip and IT cost",
    "chip_life_years": "Chip life on Earth",
    "discount_rate": "Cost of capital",
    "tokens_per_joule": "Tokens per joule",
    "buildout_final_year_gw": "Build-out: installs in the final year",
    "buildout_cumulative_gw": "Build-out: cumulative installs",
    "buildout_start_year": "Build-out: first year counted",
    "buildout_final_year": "Build-out: final year",
}

#: Inputs stored as fractions that read as percentages; their unit is shown with a %.
_PERCENT = {"launch_learning_rate": "%", "sun_fraction": "%",
            "solar_degradation_per_year": "%/yr", "space_chip_failure_per_year": "%/yr",
            "space_ops_frac": "%/yr", "terrestrial_opex_frac": "%/yr", "discount_rate": "%/yr"}

#: Display unit and number format of the other input units.
_UNIT_FORMATS = {
    "$/kg": "$/kg", "$/W": "$/W", "$/kWh": "$/kWh", "year": "year", "yr": "0.0",
    "W/kg": "0.0", "tok/J": "0.0", "GW": "GW", "1/yr": "0.00", "-": "0.00", "t": "t",
}

#: The outputs the Sensitivity sheet can study: (model cell of the native twin, label, unit,
#: format of the bin labels).
_OUTPUT_ROWS = {
    "breakeven_launch_cost": ("p_star_native", "Breakeven launch cost p*", "$/kg",
                              '"$"#,##0'),
    "time_adjusted_breakeven_launch_cost": ("p_star_star_native",
                                            "Time-adjusted breakeven p**", "$/kg", '"$"#,##0'),
    "terrestrial_cost_per_w_year": ("terrestrial_cost_native",
                                    "Terrestrial cost per W-year", "$/W/yr", '"$"0.00'),
    "orbital_cost_per_w_year": ("orbital_cost_native", "Orbital cost per W-year", "$/W/yr",
                                '"$"0.00'),
}

#: Named constants: (name, label, value, unit, source). No formula holds a literal but 0, 1, 100.
CONSTANTS = [
    ("kwh_per_w_year", "Energy of one watt for a year", KWH_PER_W_YEAR, "kWh/W-yr",
     "1 W x 8,766 h (a year of 365.25 days)"),
    ("seconds_per_year", "Seconds in a year", SECONDS_PER_YEAR, "s/yr",
     "365.25 days x 86,400 s"),
    ("tokens_per_mtok", "Tokens in a million tokens", TOKENS_PER_MTOK, "tok/Mtok",
     "definition of Mtok"),
    ("halving_factor", "Cost ratio over one halving time", 2, "x", "definition of halving"),
    ("year_tolerance", "Tolerance on a whole year", YEAR_TOLERANCE, "yr",
     "as the Python model: a crossover within this of a whole year counts as that year"),
    ("doubling_factor", "Mass ratio over one doubling", 2, "x",
     "definition of a doubling (Wright's law)"),
    ("w_per_gw", "Watts in a gigawatt", 1e9, "W/GW", "SI prefix"),
    ("kg_per_t", "Kilograms in a tonne", 1000, "kg/t", "SI"),
    ("whole_tolerance", "Tolerance on a whole number of flights", WHOLE_TOLERANCE, "-",
     "as the Python model: 250.0000000001 flights are 250 flights"),
]

CLAIMS = [
    ("1", "The cost of a token halves every year", "Curves: token cost curve",
     "TOKEN_COST_CURVE"),
    ("2", "So compute must earn at least 100 % a year", "Model: hurdle rate",
     "ANNUALIZED_TOKEN_RETURN"),
    ("3", "1 GW today is worth 2 GW next year", "Model: compute equivalence",
     "COMPUTE_EQUIVALENCE"),
    ("4", "Buyers split between a head start and waiting", "Model: value of a head start",
     "HEAD_START_VALUE"),
    ("5", "Space beats Earth per token at about $400/kg", "Model: breakeven launch cost p*",
     "BREAKEVEN_LAUNCH_COST"),
    ("6", "Starship gets there around 2030", "Curves: launch cost curve; Model: crossover year",
     "LAUNCH_COST_CURVE, CROSSOVER_YEAR"),
    ("7", "Time matters more than cost", "Model: time-adjusted breakeven p**",
     "TIME_ADJUSTED_BREAKEVEN"),
    ("8", "90 GW installed in 2030, 250 GW cumulative", "Model and Curves: build-out",
     "BUILDOUT_GROWTH_RATE, BUILDOUT_CURVE"),
]

SOURCES = [
    "The essay: token costs halve yearly; $400/kg; 90 GW in 2030 and 250 GW cumulative.",
    "Google Project Suncatcher, arXiv 2511.19468 (2025): launch learning rate 20 %, Falcon 9 "
    "about $3,600/kg, launch cost per kW-year, terrestrial power cost band.",
    "Epoch AI: ML GPU price-performance doubles every 2.07 years.",
    "a16z, 'LLMflation': the price of equal capability falls 10x a year.",
    "A. McCalip, techno-economic build-up of orbital compute: $9/W satellites, 0.98 sun "
    "fraction, 2.5 %/yr degradation, 9 %/yr GPU failures, $13.80/W facilities.",
    "ARK Invest: $19B per GW of facility, $30B of GPUs and $11B of other IT per GW; 25 kg/kW.",
    "SemiAnalysis: 5-year satellites against 15-year facilities; $10.91 vs $2.49 per GPU-hour.",
    "Starcloud: 40 MW for 10 years at $0.04/kWh costs about $140M of energy on Earth.",
    "SpaceNews: Falcon 9 pricing.",
]


class _Checks:
    """The checks the other sheets register, in order, for the Checks sheet."""

    def __init__(self):
        self.rows: list[tuple[str, str, str]] = []

    def add(self, kind: str, label: str, formula: str) -> None:
        """``formula`` gives 0 (or a relative difference) when the check holds."""
        self.rows.append((kind, label, formula))


def _setup(s: SheetWriter, *, landscape=True, one_page=False, title_rows=None, last_col=None,
           print_area=True):
    # a one-page sheet repeats its title row should it ever print over more pages
    s.page_setup(version=__version__, title=TITLE, landscape=landscape, one_page=one_page,
                 title_rows=title_rows or "1:1", last_col=last_col, print_area=print_area)


def _wrap_merged(s: SheetWriter, row: int, col: int, text: str, width: int) -> None:
    from openpyxl.styles import Alignment

    s.ws.cell(row=row, column=col).alignment = Alignment(wrap_text=True, vertical="top")
    lines = max(1, -(-len(text) * 11 // (width * 10)))
    s.ws.row_dimensions[row].height = 15 * lines


def _twin_rows(s: SheetWriter, checks: _Checks, sheet_label: str):
    """A writer of Python | native | check rows in the Model sheet's columns."""

    def row(label, unit, udf, twin, equation, *, name, fmt=None):
        r = s.row
        fmt = fmt or _fmt(unit)
        s.cell(r, 1, label)
        s.cell(r, 2, name, color="595959")
        s.cell(r, 3, unit)
        s.cell(r, 4, udf, fmt=fmt, style="result", name=name)
        s.cell(r, 5, twin, fmt=fmt, name=f"{name}_native")
        s.cell(r, 6, check_formula(f"D{r}", f"E{r}"), fmt="check", name=f"check_{name}")
        s.check_format(f"F{r}")
        s.cell(r, 7, equation, italic=True, color="595959")
        checks.add("Python against twin", f"{sheet_label}: {label}", f"=check_{name}")
        s.row += 1

    return row


def _input_row(s: SheetWriter, label, name, value, unit, fmt, note="") -> None:
    s.cell(s.row, 1, label)
    s.cell(s.row, 2, name, color="595959")
    s.cell(s.row, 3, unit)
    s.cell(s.row, 5, value, style="input", fmt=fmt, name=name)
    s.cell(s.row, 7, note, italic=True, color="595959")
    s.row += 1


def _axes_visible(chart) -> None:
    # openpyxl 3.1 marks axes deleted unless told otherwise; LibreOffice then hides them
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _title(text: str, size: int = 1100):
    """A chart title in a readable size (the default is 18 pt bold)."""
    from openpyxl.chart.text import RichText, Text
    from openpyxl.chart.title import Title
    from openpyxl.drawing.text import (
        CharacterProperties,
        Paragraph,
        ParagraphProperties,
        RegularTextRun,
    )

    props = CharacterProperties(sz=size, b=True)
    para = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props,
                                                                             t=text)])
    return Title(tx=Text(rich=RichText(p=[para])), overlay=False)


_CF_FORMATS = [
    ("$/kg", '"$"#,##0;"-$"#,##0'), ("$/W/yr", '"$"0.000'), ("$/W", '"$"0.00'),
    ("$/kWh", '"$"0.000'), ("%", "0.0%"), ("%/yr", "0.0%"), ("year", "0"), ("GW", "#,##0"),
    ("yr", "0.00"), ("1/yr", "0.000"), ("-", "0.000"), ("ratio", "0.00"), ("W/kg", "0.0"),
    ("t", "#,##0"), ("tok/J", "0.0"), ("doublings/yr", "0.00"),
]


def _unit_formats(s: SheetWriter, ref: str, unit_ref: str) -> None:
    """Number formats that follow a unit known only when the sheet computes (a spill's rows)."""
    for k, (unit, code) in enumerate(_CF_FORMATS):
        style = DifferentialStyle(numFmt=NumberFormat(numFmtId=300 + k, formatCode=code))
        s.ws.conditional_formatting.add(
            ref, Rule(type="expression", dxf=style, formula=[f'{unit_ref}="{unit}"']))


def _paragraphs(s: SheetWriter, texts) -> None:
    """Text rows across columns B-D, wrapped, one paragraph a row."""
    width = sum(s.ws.column_dimensions[c].width for c in "BCD")
    for text in texts:
        s.ws.merge_cells(start_row=s.row, start_column=2, end_row=s.row, end_column=4)
        s.cell(s.row, 2, text)
        _wrap_merged(s, s.row, 2, text, width=int(width))
        s.row += 1


# --- helpers ---------------------------------------------------------------------------------

#: Each input domain as a test of a cell {x} (the model's own rules, inputs.py).
_DOMAIN_CHECKS = {
    ">0": "{x}>0", ">=0": "{x}>=0", ">=1": "{x}>=1", "[0,1)": "AND({x}>=0,{x}<1)",
    "(0,1]": "AND({x}>0,{x}<=1)", "year": "{x}=INT({x})", "whole>=1": "AND({x}>=1,{x}=INT({x}))",
    "any": "ISNUMBER({x})",
}

def _display(i) -> tuple[str, str | None]:
    """The unit shown for an input and its number format."""
    if i.name in _PERCENT:
        return _PERCENT[i.name], "%"
    if i.name == "pue":
        return "ratio", "0.00"
    if i.name == "launch_mass_doublings_per_year":
        return "doublings/yr", "0.00"
    return i.unit, _UNIT_FORMATS.get(i.unit)


def _fmt(unit: str) -> str | None:
    return {"$/kg": "$/kg", "$/W": "$/W", "$/W/yr": "$/W/yr", "$/Mtok": "$/Mtok",
            "$/kWh": "$/kWh", "%/yr": "%", "%": "%", "year": "year", "GW": "GW",
            "1/yr": "0.000", "yr": "0.00", "-": "0.000", "W/kg": "0.0",
            "tok/J": "0.00"}.get(unit)


