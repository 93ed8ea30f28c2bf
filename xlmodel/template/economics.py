"""The template ``ai_compute_economics``: every claim of the essay, live.

Read top to bottom, this module is the workbook: About, Inputs, Scenarios, Model, Curves,
Sensitivity, Checks, Functions and xlwings.conf, in that order. The layout follows the FAST
standard: inputs (blue on yellow) apart from calculations (black) and checks; every constant a
named, labelled, sourced cell; one short formula per row. Every Python-function result sits
beside its native-formula twin, which computes from the inputs alone, and a check cell; the
Checks sheet rolls every check up into one master check that the About sheet shows.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.chart.marker import Marker
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Font
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.styles.numbers import NumberFormat
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break

from xlmodel import __version__
from xlmodel.excel.udf_module import MODULE_NAME
from xlmodel.functions import reference
from xlmodel.functions.catalogue import OUTPUTS, invoke
from xlmodel.model.costs import KWH_PER_W_YEAR, SECONDS_PER_YEAR, TOKENS_PER_MTOK
from xlmodel.model.deploy import _WHOLE_EPS as WHOLE_TOLERANCE
from xlmodel.model.inputs import INPUTS, SCENARIOS
from xlmodel.model.launch import _YEAR_EPS as YEAR_TOLERANCE

from .writer import CHECK_TOLERANCE, FORMATS, Book, SheetWriter, check_formula

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


def build(scenario: str = "base") -> Book:
    """Write the template with openpyxl (no cached values yet; the build adds them)."""
    book = Book()
    # The values are computed and cached by the build: no forced recalculation on open, and
    # the calculation id of current Excel, so that Excel without the add-in shows them.
    book.wb.calculation.fullCalcOnLoad = False
    book.wb.calculation.calcId = 191029
    checks = _Checks()
    about = book.sheet("About", tab_color="1F3864", widths=(5, 46, 40, 36))
    inputs = book.sheet("Inputs", tab_color="FFC000",
                        widths=(34, 31, 11, 10, 10, 12, 10, 11, 10, 10, 60))
    scenarios = book.sheet("Scenarios", tab_color="FFC000",
                           widths=(34, 31, 11, 11, 13, 13, 12, 8))
    model = book.sheet("Model", tab_color="70AD47", widths=(52, 27, 9, 13, 13, 9, 54))
    curves = book.sheet("Curves", tab_color="70AD47",
                        widths=(7, 11, 7, 11, 8, 2, 7, 10, 7, 10, 10, 10, 8, 2, 7, 9, 7, 9, 8))
    mass = book.sheet("Mass and cadence", tab_color="70AD47",
                      widths=(52, 26, 10, 13, 13, 9, 46))
    wmbt = book.sheet("What must be true", tab_color="70AD47",
                      widths=(38, 26, 9, 11, 11, 12, 10, 34, 2, 12, 12, 12, 12, 12, 12))
    sens = book.sheet("Sensitivity", tab_color="70AD47",
                      widths=(30, 11, 11, 12, 12, 12, 32, 9, 12, 12, 2))
    mc = book.sheet("Monte Carlo", tab_color="70AD47",
                    widths=(30, 12, 12, 12, 12, 12, 12, 12, 2))
    checks_ws = book.sheet("Checks", tab_color="C00000", widths=(5, 62, 24, 12, 8))
    functions = book.sheet("Functions", tab_color="7F7F7F", widths=(40, 62, 30, 12, 34))
    conf = book.sheet("xlwings.conf", tab_color="7F7F7F", widths=(22, 20, 90))

    _checks_top(checks_ws)  # first: its tolerance is named before any check cell uses it
    _scenarios_sheet(scenarios, checks)
    _inputs_sheet(inputs, scenario)
    _model_sheet(model, checks)
    _curves_sheet(curves, checks)
    _mass_sheet(mass, checks)
    _what_must_be_true_sheet(wmbt, checks)
    _sensitivity_sheet(sens, checks)
    _monte_carlo_sheet(mc, checks)
    _checks_sheet(checks_ws, checks)
    _functions_sheet(functions)
    _conf_sheet(conf)
    _about_sheet(about)  # last: it lists what the other sheets hold
    return book


def _setup(s: SheetWriter, *, landscape=True, one_page=False, title_rows=None, last_col=None,
           print_area=True):
    # a one-page sheet repeats its title row should it ever print over more pages
    s.page_setup(version=__version__, title=TITLE, landscape=landscape, one_page=one_page,
                 title_rows=title_rows or "1:1", last_col=last_col, print_area=print_area)


# --- Scenarios -----------------------------------------------------------------------------------

def _scenarios_sheet(s: SheetWriter, checks: _Checks) -> None:
    s.title_block("Scenarios", "Each column is a full set of inputs. The Inputs sheet picks one "
                  "with its scenario drop-down; edit a value here to change a scenario.")
    names = [sc.name for sc in SCENARIOS]
    header = s.row
    s.header(["Input", "Name", *names, "Unit", "Valid"])
    first = s.row
    for i in INPUTS:
        unit, fmt = _display(i)
        s.cell(s.row, 1, LABELS[i.name])
        s.cell(s.row, 2, i.name, color="595959")
        for k, sc in enumerate(SCENARIOS):
            v = sc.values()[i.name]
            # a blank input ("none") is the empty text, so INDEX returns "" rather than 0
            s.cell(s.row, 3 + k, '=""' if v is None else v, style="input", fmt=fmt)
        s.cell(s.row, 3 + len(names), unit)
        # 1 when every scenario's value lies in the input's domain (blank: not used)
        tests = [f'IF({_col(3 + k)}{s.row}="",TRUE,{_DOMAIN_CHECKS[i.domain]})'
                 .replace("{x}", f"{_col(3 + k)}{s.row}") for k in range(len(names))]
        s.cell(s.row, 4 + len(names), f"=IF(AND({','.join(tests)}),1,0)", fmt="pass")
        s.row += 1
    last = s.row - 1
    valid = f"{_col(4 + len(names))}"
    s.pass_format(f"{valid}{first}:{valid}{last}")
    s.book.define("scenario_values_valid", s.title, f"${valid}${first}:${valid}${last}")
    checks.add("Scenario consistency", "Every scenario's values lie in their inputs' domains",
               "=COUNTIF(scenario_values_valid,0)")
    checks.add("Scenario consistency", "The scenario picked is a column of the Scenarios sheet",
               "=IF(ISNA(MATCH(Scenario,ScenarioNames,0)),1,0)")
    s.book.define("ScenarioNames", s.title, f"$C${first - 1}:${_col(2 + len(names))}${first - 1}")
    s.book.define("ScenarioTable", s.title, f"$C${first}:${_col(2 + len(names))}${last}")
    s.row += 1
    s.header(["Scenario", "What it is"])
    for sc in SCENARIOS:
        s.cell(s.row, 1, sc.name, bold=True)
        s.ws.merge_cells(start_row=s.row, start_column=2, end_row=s.row,
                         end_column=3 + len(names))
        s.cell(s.row, 2, sc.description)
        _wrap_merged(s, s.row, 2, sc.description, width=31 + 11 + 11 + 13 + 13 + 9)
        s.row += 1
    s.ws.freeze_panes = s.ws.cell(row=first, column=3)
    _setup(s, one_page=True, title_rows=f"{header}:{header}")


def _wrap_merged(s: SheetWriter, row: int, col: int, text: str, width: int) -> None:
    from openpyxl.styles import Alignment

    s.ws.cell(row=row, column=col).alignment = Alignment(wrap_text=True, vertical="top")
    lines = max(1, -(-len(text) * 11 // (width * 10)))
    s.ws.row_dimensions[row].height = 15 * lines


# --- Inputs --------------------------------------------------------------------------------------

def _inputs_sheet(s: SheetWriter, scenario: str) -> None:
    s.title_block("Inputs", "Blue on yellow: yours. Leave 'Your value' blank to use the "
                  "scenario's value. Every input is a defined name (its model name).")
    s.cell(s.row, 1, "Scenario", bold=True)
    s.cell(s.row, 2, scenario, style="input", name="Scenario")
    dv = DataValidation(type="list", formula1="=ScenarioNames", allow_blank=False,
                        showErrorMessage=True, errorTitle="Scenario",
                        error="Pick one of the scenarios listed on the Scenarios sheet.")
    dv.add(s.ws.cell(row=s.row, column=2))
    s.ws.add_data_validation(dv)
    s.cell(s.row, 3, "Pick a scenario: " + ", ".join(sc.name for sc in SCENARIOS), italic=True)
    s.row += 2
    header = s.row
    s.header(["Input", "Name", "Value used", "Low used", "High used", "Unit", "Your value",
              "Scenario value", "Your low", "Your high", "Source"])
    first = s.row
    for i in INPUTS:
        r = s.row
        unit, fmt = _display(i)
        s.cell(r, 1, LABELS[i.name], bold=True)
        s.cell(r, 2, i.name, color="595959")
        s.cell(r, 3, f'=IF(G{r}="",H{r},G{r})', fmt=fmt, name=i.name)
        # the range each input is drawn from, widened to include the value used (a scenario
        # may sit outside the base range), as the functions do for a scenario name
        s.cell(r, 4, f'=IF(I{r}="","",MIN(I{r},C{r}))', fmt=fmt)
        s.cell(r, 5, f'=IF(J{r}="","",MAX(J{r},C{r}))', fmt=fmt)
        s.cell(r, 6, unit)
        s.cell(r, 7, None, fmt=fmt, style="input")
        s.cell(r, 8, "=INDEX(ScenarioTable,ROW()-ROW(input_header),"
               "MATCH(Scenario,ScenarioNames,0))", fmt=fmt)
        s.cell(r, 9, i.low, fmt=fmt, style="input")
        s.cell(r, 10, i.high, fmt=fmt, style="input")
        s.cell(r, 11, i.source, color="C00000" if i.is_assumption else None, wrap=True)
        _validate(s, i, f"G{r}", f"I{r}:J{r}")
        s.row += 1
    last = s.row - 1
    s.book.define("input_header", s.title, f"$A${header}")
    s.book.define("Assumptions", s.title, f"$B${first}:$C${last}")
    s.book.define("AssumptionsWithRanges", s.title, f"$B${first}:$E${last}")
    s.book.define("input_names", s.title, f"$B${first}:$B${last}")
    s.book.define("input_labels", s.title, f"$A${first}:$A${last}")
    s.book.define("input_units", s.title, f"$F${first}:$F${last}")
    s.row += 1
    s.cell(s.row, 1, "Constants (fixed by definition; every formula uses them by name)",
           bold=True)
    s.row += 1
    s.header(["Constant", "Name", "Value", "", "", "Unit", "", "", "", "", "Source"])
    for name, label, value, unit, source in CONSTANTS:
        r = s.row
        s.cell(r, 1, label)
        s.cell(r, 2, name, color="595959")
        s.cell(r, 3, value, style="input", name=name,
               fmt="0.000" if value == KWH_PER_W_YEAR else ("0E+00" if value < 1 or value >= 1e9
                                                            else "#,##0"))
        s.cell(r, 6, unit)
        s.cell(r, 11, source, wrap=True)
        s.row += 1
    s.row += 1
    s.text_rows([
        ["Assumptions = the Name and Value used columns: =BREAKEVEN_LAUNCH_COST(Assumptions)."],
        ["AssumptionsWithRanges = Name to High used: TORNADO and MONTE_CARLO vary each input "
         "between its low and high used (your range widened to include the value used)."],
        ["Rates show as percentages (10.0 %/yr is 0.10 a year). Sources in red are "
         "assumptions: no public figure was found."],
    ])
    s.ws.freeze_panes = s.ws.cell(row=first, column=3)
    _setup(s, title_rows=f"{header}:{header}")


def _validate(s: SheetWriter, i, value_ref: str, range_ref: str) -> None:
    rules = {
        ">0": dict(type="decimal", operator="greaterThan", formula1="0"),
        ">=0": dict(type="decimal", operator="greaterThanOrEqual", formula1="0"),
        ">=1": dict(type="decimal", operator="greaterThanOrEqual", formula1="1"),
        # the functions themselves refuse the open end (1, or 0) with an error naming the rule
        "[0,1)": dict(type="decimal", operator="between", formula1="0", formula2="1"),
        "(0,1]": dict(type="decimal", operator="between", formula1="0", formula2="1"),
        "year": dict(type="whole", operator="greaterThanOrEqual", formula1="0"),
        "whole>=1": dict(type="whole", operator="greaterThanOrEqual", formula1="1"),
    }
    if i.domain not in rules:
        return
    dv = DataValidation(**rules[i.domain], allow_blank=True, showErrorMessage=True,
                        errorTitle=i.name, error=f"{i.name} must be {i.domain} ({i.unit}).")
    dv.add(value_ref)
    dv.add(range_ref)
    s.ws.add_data_validation(dv)


# --- Model ---------------------------------------------------------------------------------------

_CRF = "IF(discount_rate=0,1/{n},discount_rate/(1-(1+discount_rate)^(-{n})))"
_MEAN_KEPT = "IF({x}=0,1,(1-(1-{x})^space_life_years)/(space_life_years*{x}))"
_PER_MTOK = "(tokens_per_joule*seconds_per_year)*tokens_per_mtok"


def _model_sheet(s: SheetWriter, checks: _Checks) -> None:
    s.title_block("Model", "Python column: the add-in's functions. Native column: the same "
                  "quantity in plain Excel formulas from the inputs alone. Check: their relative "
                  "difference (green: within the Checks sheet's tolerance).")
    header = s.row
    s.header(["Quantity", "Name (Python; twin: _native)", "Unit", "Python", "Native",
              "Check", "Equation"])
    width = 7
    row = _twin_rows(s, checks, "Model")

    halving = "hardware_halving_years,algorithmic_halving_years"
    s.section("Time value of compute (claims 1-4)", width)
    row("Annualized token return (hurdle rate)", "%/yr",
        f"=ANNUALIZED_TOKEN_RETURN({halving})", "=halving_factor^(1/halving_time)-1",
        "r = 2^(1/T) - 1, with 1/T = 1/T_hardware + 1/T_algorithmic", name="hurdle_rate")
    row("Annual decline of the cost per token", "%/yr",
        f"=ANNUAL_COST_DECLINE({halving})", "=1-halving_factor^(-1/halving_time)",
        "d = 1 - 2^(-1/T)", name="annual_decline")
    row("1 GW deployed now is worth, a year later", "GW",
        f"=COMPUTE_EQUIVALENCE(1,1,{halving})", "=halving_factor^(1/halving_time)",
        "P x 2^(delay/T), P = 1 GW, delay = 1 yr", name="gw_next_year", fmt="0.00")
    row("Value of a head start (deployment_lead_years)", "%",
        f"=HEAD_START_VALUE(deployment_lead_years,{halving})",
        "=halving_factor^(deployment_lead_years/halving_time)-1", "(1 + r)^lead - 1",
        name="head_start")

    s.section("Cost per delivered watt-year and per token (claim 5)", width)
    row("Terrestrial cost per delivered W-year", "$/W/yr",
        "=TERRESTRIAL_COST_PER_W_YEAR(Assumptions)",
        "=earth_facility_cost+earth_upkeep_cost+earth_energy_cost+earth_chip_cost",
        "F CRF(i, L_f) + o F + PUE x 8.766 kWh x price + C CRF(i, L_c)",
        name="terrestrial_cost")
    row("Orbital cost per delivered W-year, at today's launch price", "$/W/yr",
        "=ORBITAL_COST_PER_W_YEAR(Assumptions)",
        "=orbital_intercept+orbital_slope*launch_cost_per_kg",
        "[(s + p/sp) k_power + C k_chips] CRF(i, L_s) + ops s k_power", name="orbital_cost")
    row("Terrestrial cost per million tokens", "$/Mtok",
        "=TERRESTRIAL_COST_PER_MTOK(Assumptions)", f"=terrestrial_cost_native/{_PER_MTOK}",
        "cost per W-year / (tokens per J x 31,557,600 s) x 1e6", name="terrestrial_mtok")
    row("Orbital cost per million tokens, at today's launch price", "$/Mtok",
        "=ORBITAL_COST_PER_MTOK(Assumptions)", f"=orbital_cost_native/{_PER_MTOK}",
        "cost per W-year / (tokens per J x 31,557,600 s) x 1e6", name="orbital_mtok")

    s.section("Breakeven launch cost (claims 5 and 7)", width)
    row("Breakeven launch cost p*", "$/kg", "=BREAKEVEN_LAUNCH_COST(Assumptions)",
        "=(terrestrial_cost_native-orbital_intercept)/orbital_slope",
        "S(p*) = T; negative: even a free launch does not close the gap", name="p_star")
    row("Time-adjusted breakeven p**", "$/kg", "=TIME_ADJUSTED_BREAKEVEN(Assumptions)",
        "=(terrestrial_cost_native*(1+hurdle_rate_native)^deployment_lead_years"
        "-orbital_intercept)/orbital_slope", "S(p**) = T (1 + r)^lead", name="p_star_star")

    s.section("Launch learning curve (claim 6)", width)
    # the defined names must not spell a function's name (CROSSOVER_YEAR): LibreOffice would
    # read the call as the name
    row("Launch price reaches p* in", "year", "=CROSSOVER_YEAR(Assumptions)",
        _crossover("p_star_native"), "first year with p0 (1 - LR)^(m (t - t0)) <= p*: t0 + "
        "years rounded up; #N/A: never", name="year_reaches_p_star")
    row("Launch price reaches p** in", "year", "=CROSSOVER_YEAR(Assumptions,p_star_star)",
        _crossover("p_star_star_native"), "the same with p**",
        name="year_reaches_p_star_star")

    s.section("Terrestrial build-out (claim 8)", width)
    row("Growth of installs needed", "%/yr",
        "=BUILDOUT_GROWTH_RATE(buildout_final_year_gw,buildout_cumulative_gw,"
        "buildout_start_year,buildout_final_year)", "=1/buildout_h-1",
        "F sum_j g^-j = C over the years counted; g = 1/h", name="buildout_growth")

    s.row += 1
    s.section("Working: the native formulas' intermediate values", width)

    def work(label, unit, formula, name, equation="", fmt=None):
        s.cell(s.row, 1, label)
        s.cell(s.row, 2, name, color="595959")
        s.cell(s.row, 3, unit)
        s.cell(s.row, 5, formula, fmt=fmt or _fmt(unit) or "0.000000", name=name)
        s.cell(s.row, 7, equation, italic=True, color="595959")
        s.row += 1

    work("Halving time of the cost per token", "yr",
         "=1/(1/hardware_halving_years+IF(algorithmic_halving_years=\"\",0,"
         "1/algorithmic_halving_years))", "halving_time", "1/T = 1/T_hw + 1/T_alg",
         fmt="0.000")
    work("Capital recovery factor, facility", "1/yr", "=" + _CRF.format(n="facility_life_years"),
         "crf_facility", "CRF = i / (1 - (1 + i)^-n); 1/n at i = 0", fmt="0.000000")
    work("Capital recovery factor, chips on Earth", "1/yr",
         "=" + _CRF.format(n="chip_life_years"), "crf_chip", fmt="0.000000")
    work("Capital recovery factor, satellite", "1/yr", "=" + _CRF.format(n="space_life_years"),
         "crf_space", fmt="0.000000")
    work("Earth: facility, annualized", "$/W/yr", "=facility_capex_per_w*crf_facility",
         "earth_facility_cost", "F CRF(i, L_f)")
    work("Earth: facility upkeep", "$/W/yr", "=terrestrial_opex_frac*facility_capex_per_w",
         "earth_upkeep_cost", "o F")
    work("Earth: energy", "$/W/yr", "=pue*kwh_per_w_year*electricity_price_per_kwh",
         "earth_energy_cost", "PUE x 8.766 kWh/W-yr x price")
    work("Earth: chips, annualized", "$/W/yr", "=chip_capex_per_w*crf_chip",
         "earth_chip_cost", "C CRF(i, L_c)")
    work("Mean solar array output kept", "-",
         "=" + _MEAN_KEPT.format(x="solar_degradation_per_year"), "solar_kept",
         "mean over years 0..L-1 of (1 - d)^y", fmt="0.000000")
    work("Mean chips surviving", "-", "=" + _MEAN_KEPT.format(x="space_chip_failure_per_year"),
         "chips_kept", "mean over years 0..L-1 of (1 - f)^y", fmt="0.000000")
    work("Solar oversizing k_power", "-", "=1/(sun_fraction*solar_kept)", "k_power",
         fmt="0.000000")
    work("Chip overprovisioning k_chips", "-", "=1/chips_kept", "k_chips", fmt="0.000000")
    work("Orbit: satellite, annualized", "$/W/yr", "=satellite_cost_per_w*k_power*crf_space",
         "orbit_satellite_cost", "s k_power CRF(i, L_s)")
    work("Orbit: chips, annualized", "$/W/yr", "=chip_capex_per_w*k_chips*crf_space",
         "orbit_chip_cost", "C k_chips CRF(i, L_s)")
    work("Orbit: operations", "$/W/yr", "=space_ops_frac*satellite_cost_per_w*k_power",
         "orbit_ops_cost", "ops s k_power")
    work("Orbital cost at a free launch S(0)", "$/W/yr",
         "=orbit_satellite_cost+orbit_chip_cost+orbit_ops_cost", "orbital_intercept")
    work("Orbital cost per $/kg of launch price", "$/W/yr per $/kg",
         "=k_power*crf_space/specific_power_w_per_kg", "orbital_slope", "dS/dp = k_power "
         "CRF(i, L_s) / sp", fmt="0.000E+00")
    work("Launch price decline, continuous", "1/yr",
         "=launch_mass_doublings_per_year*-LN(1-launch_learning_rate)", "launch_decay_rate",
         "m x -ln(1 - LR)", fmt="0.000000")
    work("Years of decline to p*, before rounding", "yr", _years_to("p_star_native"),
         "years_to_p_star", "ln(p0 / p*) / decay; #N/A: p* <= 0 or no decline", fmt="0.000")
    work("Years of decline to p**, before rounding", "yr", _years_to("p_star_star_native"),
         "years_to_p_star_star", "ln(p0 / p**) / decay", fmt="0.000")
    work("Build-out: years counted n", "yr", "=buildout_final_year-buildout_start_year+1",
         "buildout_years", fmt="0")
    work("Build-out: C / F", "-", "=buildout_cumulative_gw/buildout_final_year_gw",
         "buildout_ratio", fmt="0.000000")

    s.row += 1
    s.section("Working: build-out growth by Newton's method on S(h) = (h^n - 1)/(h - 1) = C/F, "
              "h = 1/g", width)
    # From h0 = (C/F)^(1/(n-1)), above the root: S is convex and increasing, so the steps
    # fall monotonically to it. S'(h) = (n h^(n-1) - S(h)) / (h - 1).
    newton_header = s.row
    s.header(["Step", "", "", "h", "S(h) - C/F", "S'(h)", "Next h = h - (S(h) - C/F) / S'(h)"])
    first = s.row
    for k in range(NEWTON_STEPS):
        r = s.row
        s.cell(r, 1, f"step {k + 1}")
        h = ("=buildout_ratio^(1/(buildout_years-1))" if k == 0
             else f"=D{r - 1}-E{r - 1}/F{r - 1}")
        s.cell(r, 4, h, fmt="0.000000000")
        s.cell(r, 5, f"=(D{r}^buildout_years-1)/(D{r}-1)-buildout_ratio", fmt="0.00E+00")
        s.cell(r, 6, f"=(buildout_years*D{r}^(buildout_years-1)-(E{r}+buildout_ratio))"
               f"/(D{r}-1)", fmt="0.0000")
        if k == 0:
            s.cell(r, 7, "h0 = (C/F)^(1/(n - 1)), above the root", italic=True, color="595959")
        s.row += 1
    last = s.row - 1
    s.book.define("buildout_h", s.title, f"$D${last}")
    s.book.define("buildout_residual", s.title, f"$E${last}")
    checks.add("Consistency", "At p*, the orbital cost equals the terrestrial cost",
               "=ABS(orbital_intercept+orbital_slope*p_star_native-terrestrial_cost_native)"
               "/terrestrial_cost_native")
    checks.add("Consistency", "At p**, the orbital cost equals the terrestrial cost x (1 + r)"
               "^lead", "=ABS(orbital_intercept+orbital_slope*p_star_star_native"
               "-terrestrial_cost_native*(1+hurdle_rate_native)^deployment_lead_years)"
               "/terrestrial_cost_native")
    checks.add("Build-out conditions", "A root exists: final-year installs F <= cumulative C",
               "=IF(buildout_final_year_gw<=buildout_cumulative_gw,0,1)")
    checks.add("Build-out conditions", "Newton converged: S(h) = C/F",
               "=ABS(buildout_residual)/buildout_ratio")
    s.cell(s.row, 1, "The last step's h is the one used: buildout_h", italic=True,
           color="595959")
    s.row += 1
    del newton_header, first
    s.ws.freeze_panes = s.ws.cell(row=header + 1, column=1)
    _setup(s, title_rows=f"{header}:{header}", last_col=width)


#: The Model sheet's cell for each output the Sensitivity sheet can study.
_OUTPUT_CELLS = {k: v[0] for k, v in _OUTPUT_ROWS.items()}
assert set(_OUTPUT_CELLS) == set(OUTPUTS)


def _if_year(year_ref: str, formula: str) -> str:
    """``formula`` where the row has a year; blank past the end of the years."""
    return f'=IF({year_ref}="","",{formula.removeprefix("=")})'


def _crossover(target: str) -> str:
    years = f"years_to_{target.removesuffix('_native')}"
    return (f"=IF(launch_cost_per_kg<={target},launch_base_year,"
            f"launch_base_year+CEILING({years}-year_tolerance,1))")


def _years_to(target: str) -> str:
    """Years of decline from the launch price to ``target``; #N/A where it never gets there."""
    return (f"=IF(AND({target}>0,launch_decay_rate>0),"
            f"LN(launch_cost_per_kg/{target})/launch_decay_rate,NA())")


def _next_year(prev: str, last: str) -> str:
    """The year after ``prev``, blank past ``last`` (native: the years follow the inputs)."""
    return f'=IF({prev}="","",IF({prev}+1>{last},"",{prev}+1))'


# --- Curves --------------------------------------------------------------------------------------

def _curves_sheet(s: SheetWriter, checks: _Checks) -> None:
    s.title_block("Curves", "Python: the spilling functions. Native: the same curve from the "
                  "inputs alone, its years from From and To; the charts plot the native "
                  f"columns. Laid out for {CURVE_END - CURVE_START + 1} years.")
    s.cell(s.row, 1, "From", bold=True)
    s.cell(s.row, 2, CURVE_START, style="input", fmt="year", name="curve_start_year")
    s.cell(s.row, 3, "To", bold=True)
    s.cell(s.row, 4, CURVE_END, style="input", fmt="year", name="curve_end_year")
    s.row += 2
    n = CURVE_END - CURVE_START + 1
    top = s.row
    s.row = top + 1
    header = s.row
    first = header + 1
    rows = range(first, first + n)

    # Token cost: columns A-E
    s.cell(top, 1, "Token cost on Earth, $/Mtok", bold=True)
    s.header(["Year", "Python", "Year", "Native", "Check"], col=1)
    s.spill(first, 1, "=TOKEN_COST_CURVE(terrestrial_mtok,curve_start_year,curve_end_year,"
            "halving_time)", n, 2, fmt="sci")
    for r in rows:
        s.ws.cell(row=r, column=1).number_format = "0"
        s.cell(r, 3, "=curve_start_year" if r == first else _next_year(f"C{r - 1}",
                                                                       "curve_end_year"),
               fmt="year")
        s.cell(r, 4, _if_year(f"C{r}", f"terrestrial_mtok_native*halving_factor^(-(C{r}"
                              "-curve_start_year)/halving_time)"), fmt="sci")
        s.cell(r, 5, _if_year(f"C{r}", check_formula(f"B{r}", f"D{r}")), fmt="check")
    s.check_format(f"E{first}:E{first + n - 1}")
    s.book.define("check_token_curve", s.title, f"$E${first}:$E${first + n - 1}")
    s.book.define("curve_years_native", s.title, f"$C${first}:$C${first + n - 1}")
    checks.add("Python against twin", "Curves: token cost, every year",
               "=MAX(check_token_curve)")
    chart = LineChart()
    chart.title = _title("Token cost on Earth, $/Mtok (log scale)")
    chart.y_axis.title = "$/Mtok"
    chart.x_axis.title = "year"
    chart.add_data(Reference(s.ws, min_col=4, min_row=first, max_row=first + n - 1),
                   titles_from_data=False)
    chart.set_categories(Reference(s.ws, min_col=3, min_row=first, max_row=first + n - 1))
    chart.legend = None
    chart.y_axis.scaling.logBase = 10  # halving every T years is a straight line
    chart.y_axis.numFmt = "0.0E+00"
    chart.x_axis.tickLblPos = "low"
    chart.x_axis.tickLblSkip = 5
    _axes_visible(chart)
    chart.height, chart.width = 8, 9.5
    s.ws.add_chart(chart, f"A{first + n + 4}")

    # Launch cost: columns G-M
    s.cell(top, 7, "Launch price against the breakeven, $/kg", bold=True)
    s.row = header
    s.header(["Year", "Python", "Year", "Native", "p* if > 0", "p** if > 0", "Check"], col=7)
    s.spill(first, 7, "=LAUNCH_COST_CURVE(curve_start_year,curve_end_year,Assumptions)", n, 2,
            fmt="$/kg")
    for r in rows:
        s.ws.cell(row=r, column=7).number_format = "0"
        s.cell(r, 9, f"=C{r}", fmt="year")
        s.cell(r, 10, _if_year(f"I{r}", "launch_cost_per_kg*(1-launch_learning_rate)"
                               f"^(launch_mass_doublings_per_year*(I{r}-launch_base_year))"),
               fmt="$/kg")
        # a log axis cannot show p* <= 0; #N/A leaves the line out
        s.cell(r, 11, _if_year(f"I{r}", "IF(p_star_native>0,p_star_native,NA())"), fmt="$/kg")
        s.cell(r, 12, _if_year(f"I{r}", "IF(p_star_star_native>0,p_star_star_native,NA())"),
               fmt="$/kg")
        s.cell(r, 13, _if_year(f"I{r}", check_formula(f"H{r}", f"J{r}")), fmt="check")
    s.check_format(f"M{first}:M{first + n - 1}")
    s.book.define("check_launch_curve", s.title, f"$M${first}:$M${first + n - 1}")
    checks.add("Python against twin", "Curves: launch price, every year",
               "=MAX(check_launch_curve)")
    below = first + n
    s.cell(below, 7, "Crossover", bold=True)
    s.cell(below + 1, 7, "p*")
    s.cell(below + 1, 9, "=year_reaches_p_star_native", fmt="year")
    s.cell(below + 1, 10, "=p_star_native", fmt="$/kg")
    s.cell(below + 2, 7, "p**")
    s.cell(below + 2, 9, "=year_reaches_p_star_star_native", fmt="year")
    s.cell(below + 2, 10, "=p_star_star_native", fmt="$/kg")
    s.cell(below + 1, 11, '=IF(p_star_native>0,"","p* <= 0: not on the log scale")',
           italic=True, color="C00000")
    chart = ScatterChart()
    chart.title = _title("Launch price and the breakeven, $/kg (log scale)")
    chart.style = 13
    chart.y_axis.title = "$/kg"
    chart.x_axis.title = "year"
    xs = Reference(s.ws, min_col=9, min_row=first, max_row=first + n - 1)
    for col, title, colour in ((10, "launch price", "1F3864"), (11, "breakeven p*", "C00000"),
                               (12, "time-adjusted p**", "70AD47")):
        series = Series(Reference(s.ws, min_col=col, min_row=first, max_row=first + n - 1), xs,
                        title=title)
        series.marker.symbol = "none"
        series.graphicalProperties.line.solidFill = colour
        series.graphicalProperties.line.width = 28575
        series.smooth = False
        chart.series.append(series)
    for row_, title, colour in ((below + 1, "reaches p*", "C00000"),
                                (below + 2, "reaches p**", "70AD47")):
        series = Series(Reference(s.ws, min_col=10, min_row=row_),
                        Reference(s.ws, min_col=9, min_row=row_), title=title)
        series.marker = Marker(symbol="diamond", size=10)
        series.marker.graphicalProperties.solidFill = colour
        series.graphicalProperties.line.noFill = True
        chart.series.append(series)
    chart.x_axis.scaling.min = CURVE_START
    chart.x_axis.scaling.max = CURVE_END
    chart.y_axis.scaling.logBase = 10
    chart.y_axis.scaling.min = 10
    chart.y_axis.numFmt = '"$"#,##0'
    chart.y_axis.crosses = "min"
    chart.x_axis.tickLblPos = "low"
    chart.legend.position = "b"
    _axes_visible(chart)
    chart.height, chart.width = 8, 13
    s.ws.add_chart(chart, f"G{first + n + 4}")

    # Build-out: columns O-S
    s.cell(top, 15, "Build-out on Earth, GW installed per year", bold=True)
    s.row = header
    s.header(["Year", "Python", "Year", "Native", "Check"], col=15)
    years = 2030 - 2026 + 1  # the default build-out years; the spill resizes in Excel
    s.spill(first, 15, "=BUILDOUT_CURVE(buildout_final_year_gw,buildout_cumulative_gw,"
            "buildout_start_year,buildout_final_year)", years, 2, fmt="GW")
    brows = range(first, first + years)
    for r in brows:
        s.ws.cell(row=r, column=15).number_format = "0"
        s.cell(r, 17, "=buildout_start_year" if r == first
               else _next_year(f"Q{r - 1}", "buildout_final_year"), fmt="year")
        s.cell(r, 18, _if_year(f"Q{r}", f"buildout_final_year_gw*buildout_h"
                               f"^(buildout_final_year-Q{r})"), fmt="GW")
        s.cell(r, 19, _if_year(f"Q{r}", check_formula(f"P{r}", f"R{r}")), fmt="check")
    s.check_format(f"S{first}:S{first + years - 1}")
    s.book.define("check_buildout_curve", s.title, f"$S${first}:$S${first + years - 1}")
    s.book.define("buildout_years_native", s.title, f"$Q${first}:$Q${first + years - 1}")
    s.book.define("buildout_installs_native", s.title, f"$R${first}:$R${first + years - 1}")
    checks.add("Python against twin", "Curves: build-out, every year",
               "=MAX(check_buildout_curve)")
    checks.add("Build-out conditions", "The installs add up to the cumulative total C",
               "=ABS(SUM(buildout_installs_native)-buildout_cumulative_gw)"
               "/buildout_cumulative_gw")
    checks.add("Build-out conditions", "The final year's installs are F",
               "=ABS(INDEX(buildout_installs_native,buildout_years)-buildout_final_year_gw)"
               "/buildout_final_year_gw")
    chart = BarChart()
    chart.title = _title("Installs per year, GW")
    chart.y_axis.title = "GW"
    chart.x_axis.title = "year"
    chart.add_data(Reference(s.ws, min_col=18, min_row=first, max_row=first + years - 1),
                   titles_from_data=False)
    chart.set_categories(Reference(s.ws, min_col=17, min_row=first, max_row=first + years - 1))
    chart.legend = None
    chart.y_axis.numFmt = "#,##0"
    _axes_visible(chart)
    chart.height, chart.width = 8, 8.5
    s.ws.add_chart(chart, f"O{first + n + 4}")
    s.row = first + n + 21
    s.cell(s.row, 1, "Charts plot the native columns, so they follow every input.", italic=True,
           color="595959")
    checks.add("Layout", "Curves: the years From-To fit the rows laid out",
               "=IF(curve_end_year-curve_start_year+1<=ROWS(curve_years_native),0,1)")
    checks.add("Layout", "Curves: the build-out years fit the rows laid out",
               "=IF(buildout_years<=ROWS(buildout_years_native),0,1)")
    _setup(s, one_page=True, last_col=19)


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


# --- Mass and cadence ----------------------------------------------------------------------------

MASS_CURVE_ROWS = 12


def _mass_sheet(s: SheetWriter, checks: _Checks) -> None:
    s.title_block("Mass and cadence", "How many tonnes and flights orbital compute takes, and "
                  "the launch price on Wright's law over cumulative launched mass (Suncatcher "
                  "section 4.4). Python beside native twins, as on the Model sheet.")
    header = s.row
    s.header(["Quantity", "Name (Python; twin: _native)", "Unit", "Python", "Native",
              "Check", "Equation"])
    width = 7
    s.section("Inputs of this sheet (the model's inputs are on the Inputs sheet)", width)
    _input_row(s, "IT power to deploy in orbit", "deploy_power_gw", 1, "GW", "#,##0.0",
               "design/model.md section 8: 1 GW at 40 W/kg is 25,000 t before oversizing")
    _input_row(s, "Deployment rate", "deploy_rate_gw_per_year", 100, "GW/yr", "#,##0",
               "SpaceX S-1 (May 2026): 100 GW of compute a year")
    _input_row(s, "Cumulative launched mass", "cumulative_mass_t", 104_400, "t", "#,##0",
               "Suncatcher: 104,400 t gives about $300/kg")
    _input_row(s, "Target launch price", "target_launch_cost_per_kg", 200, "$/kg", "$/kg",
               "Suncatcher: about $200/kg by the mid-2030s")
    _input_row(s, "Satellite mass (Starlink V2 Mini)", "satellite_mass_kg", 575, "kg", "#,##0",
               "Suncatcher Table 1")
    _input_row(s, "Satellite power (Starlink V2 Mini)", "satellite_power_kw", 28, "kW", "#,##0.0",
               "Suncatcher Table 1")
    _input_row(s, "Satellite life (Starlink V2 Mini)", "satellite_example_life_years", 5, "yr",
               "0.0", "Suncatcher Table 1")
    row = _twin_rows(s, checks, "Mass and cadence")

    s.section("Mass and flights", width)
    row("Launch mass to deploy that power, oversizing included", "t",
        "=LAUNCH_MASS(deploy_power_gw,Assumptions)", "=deploy_mass_kg/kg_per_t",
        "P x k_power / specific power", name="deploy_mass", fmt="#,##0")
    row("Flights to launch it", "flights", "=LAUNCH_FLIGHTS(deploy_power_gw,Assumptions)",
        "=CEILING(deploy_flights_exact-whole_tolerance*MAX(deploy_flights_exact,1),1)",
        "mass / payload per flight, rounded up", name="deploy_flights", fmt="#,##0")
    row("Flights a year at the deployment rate", "flights/yr",
        "=FLIGHTS_PER_YEAR(deploy_rate_gw_per_year,Assumptions)",
        "=CEILING(rate_flights_exact-whole_tolerance*MAX(rate_flights_exact,1),1)",
        "rate x k_power / specific power / payload, rounded up", name="rate_flights",
        fmt="#,##0")
    s.section("Launch price over cumulative mass", width)
    row("Launch price at the cumulative launched mass", "$/kg",
        "=LAUNCH_COST_AT_MASS(cumulative_mass_t,Assumptions)",
        "=mass_curve_reference_cost_per_kg*(cumulative_mass_t/mass_curve_reference_mass_t)"
        "^mass_curve_exponent", "p0 (M / M0)^log2(1 - LR)", name="price_at_mass")
    row("Cumulative mass that reaches the target price", "t",
        "=MASS_FOR_LAUNCH_COST(target_launch_cost_per_kg,Assumptions)",
        "=mass_curve_reference_mass_t*(target_launch_cost_per_kg"
        "/mass_curve_reference_cost_per_kg)^(1/mass_curve_exponent)",
        "M0 (p / p0)^(1 / log2(1 - LR))", name="mass_for_target", fmt="#,##0")
    s.section("Launch cost per kW-year of a satellite (Suncatcher Table 1)", width)
    row("At today's launch price", "$/kW/yr",
        "=LAUNCH_COST_PER_KW_YEAR(satellite_mass_kg,satellite_power_kw,"
        "satellite_example_life_years,launch_cost_per_kg)",
        "=satellite_mass_kg*launch_cost_per_kg/(satellite_power_kw*satellite_example_life_years)",
        "mass x price / (power x life); Suncatcher: $14,700", name="kw_year_today",
        fmt='"$"#,##0')
    row("At the target launch price", "$/kW/yr",
        "=LAUNCH_COST_PER_KW_YEAR(satellite_mass_kg,satellite_power_kw,"
        "satellite_example_life_years,target_launch_cost_per_kg)",
        "=satellite_mass_kg*target_launch_cost_per_kg/(satellite_power_kw"
        "*satellite_example_life_years)", "Suncatcher: $810 at $200/kg", name="kw_year_target",
        fmt='"$"#,##0')

    s.row += 1
    s.section("Working", width)

    def work(label, unit, formula, name, equation="", fmt="#,##0.000"):
        s.cell(s.row, 1, label)
        s.cell(s.row, 2, name, color="595959")
        s.cell(s.row, 3, unit)
        s.cell(s.row, 5, formula, fmt=fmt, name=name)
        s.cell(s.row, 7, equation, italic=True, color="595959")
        s.row += 1

    work("Launch mass to deploy that power", "kg",
         "=deploy_power_gw*w_per_gw*k_power/specific_power_w_per_kg", "deploy_mass_kg",
         "k_power from the Model sheet", fmt="#,##0")
    work("Flights before rounding", "flights", "=deploy_mass_native/payload_per_flight_t",
         "deploy_flights_exact")
    work("Flights a year before rounding", "flights/yr",
         "=deploy_rate_gw_per_year*w_per_gw*k_power/specific_power_w_per_kg/kg_per_t"
         "/payload_per_flight_t", "rate_flights_exact")
    work("Exponent of the mass curve", "-",
         "=LN(1-launch_learning_rate)/LN(doubling_factor)", "mass_curve_exponent",
         "log2(1 - LR)", fmt="0.000000")

    s.row += 1
    s.cell(s.row, 1, "Wright's law over cumulative mass: the mass doubles row by row",
           bold=True)
    s.row += 1
    s.header(["Cumulative mass, t", "", "", "Python, $/kg", "Native, $/kg", "Check"])
    first = s.row
    for k in range(MASS_CURVE_ROWS):
        r = s.row
        s.cell(r, 1, "=mass_curve_reference_mass_t" if k == 0 else f"=A{r - 1}*doubling_factor",
               fmt="#,##0")
        s.cell(r, 4, f"=LAUNCH_COST_AT_MASS(A{r},Assumptions)", fmt="$/kg", style="result")
        s.cell(r, 5, f"=mass_curve_reference_cost_per_kg*(A{r}/mass_curve_reference_mass_t)"
               "^mass_curve_exponent", fmt="$/kg")
        s.cell(r, 6, check_formula(f"D{r}", f"E{r}"), fmt="check")
        s.row += 1
    last = s.row - 1
    s.check_format(f"F{first}:F{last}")
    s.book.define("check_mass_curve", s.title, f"$F${first}:$F${last}")
    checks.add("Python against twin", "Mass and cadence: price over cumulative mass, every row",
               "=MAX(check_mass_curve)")
    # the target price as a line, and the mass that reaches it as a point
    s.cell(s.row, 1, "Target", bold=True)
    s.cell(s.row + 1, 1, "=A" + str(first), fmt="#,##0")
    s.cell(s.row + 1, 5, "=target_launch_cost_per_kg", fmt="$/kg")
    s.cell(s.row + 2, 1, "=A" + str(last), fmt="#,##0")
    s.cell(s.row + 2, 5, "=target_launch_cost_per_kg", fmt="$/kg")
    s.cell(s.row + 3, 1, "=mass_for_target_native", fmt="#,##0")
    s.cell(s.row + 3, 5, "=target_launch_cost_per_kg", fmt="$/kg")
    s.cell(s.row + 3, 7, "the mass that reaches the target", italic=True, color="595959")
    t0 = s.row + 1
    s.row += 5
    chart = ScatterChart()
    chart.title = _title("Launch price over cumulative launched mass (log-log)")
    chart.style = 13
    chart.x_axis.title = "cumulative launched mass, t"
    chart.y_axis.title = "$/kg"
    for xs, ys, title, colour, line in (
            ((first, last), (first, last), "launch price", "1F3864", True),
            ((t0, t0 + 1), (t0, t0 + 1), "target price", "C00000", True),
            ((t0 + 2, t0 + 2), (t0 + 2, t0 + 2), "mass that reaches it", "C00000", False)):
        series = Series(Reference(s.ws, min_col=5, min_row=ys[0], max_row=ys[1]),
                        Reference(s.ws, min_col=1, min_row=xs[0], max_row=xs[1]), title=title)
        if line:
            series.marker.symbol = "none"
            series.graphicalProperties.line.solidFill = colour
            series.graphicalProperties.line.width = 28575
        else:
            series.marker = Marker(symbol="diamond", size=10)
            series.marker.graphicalProperties.solidFill = colour
            series.graphicalProperties.line.noFill = True
        series.smooth = False
        chart.series.append(series)
    chart.x_axis.scaling.logBase = 10
    chart.y_axis.scaling.logBase = 10
    chart.x_axis.numFmt = "#,##0"
    chart.y_axis.numFmt = '"$"#,##0'
    chart.x_axis.tickLblPos = "low"
    chart.y_axis.crosses = "min"
    chart.x_axis.crosses = "min"
    chart.legend.position = "b"
    _axes_visible(chart)
    chart.height, chart.width = 9, 16
    s.ws.add_chart(chart, f"G{first - 1}")
    s.ws.freeze_panes = s.ws.cell(row=header + 1, column=1)
    _setup(s, one_page=True, title_rows=f"{header}:{header}", last_col=width + 6)


# --- What must be true ---------------------------------------------------------------------------

#: The inputs whose required value has a closed form, with the native formula and the
#: domain test of the result (the Python function's domain for that input).
_REQUIRED_EXACT = [
    ("launch_cost_per_kg", "terrestrial_cost_native-orbital_intercept", "orbital_slope_wmbt",
     ">=0"),
    ("satellite_cost_per_w", "terrestrial_cost_native-wmbt_launch_part-orbit_chip_cost",
     "k_power*crf_space+space_ops_frac*k_power", ">=0"),
    ("specific_power_w_per_kg", "wmbt_launch_cost_per_kg*k_power*crf_space",
     "terrestrial_cost_native-orbital_intercept", ">0"),
    ("sun_fraction", "wmbt_orbit_per_k_power",
     "(terrestrial_cost_native-orbit_chip_cost)*solar_kept", "(0,1]"),
    ("space_ops_frac", "terrestrial_cost_native-wmbt_orbital_cost+orbit_ops_cost",
     "satellite_cost_per_w*k_power", ">=0"),
    ("chip_capex_per_w", "earth_facility_cost+earth_upkeep_cost+earth_energy_cost"
     "-(wmbt_orbital_cost-orbit_chip_cost)", "k_chips*crf_space-crf_chip", ">=0"),
    ("facility_capex_per_w", "wmbt_orbital_cost-earth_energy_cost-earth_chip_cost",
     "crf_facility+terrestrial_opex_frac", ">=0"),
    ("terrestrial_opex_frac", "wmbt_orbital_cost-earth_facility_cost-earth_energy_cost"
     "-earth_chip_cost", "facility_capex_per_w", ">=0"),
    ("electricity_price_per_kwh", "wmbt_orbital_cost-earth_facility_cost-earth_upkeep_cost"
     "-earth_chip_cost", "pue*kwh_per_w_year", ">=0"),
    ("pue", "wmbt_orbital_cost-earth_facility_cost-earth_upkeep_cost-earth_chip_cost",
     "kwh_per_w_year*electricity_price_per_kwh", ">=1"),
]
"""(input, numerator, denominator, domain): the root is numerator / denominator, #N/A where
the input does not move the gap (a zero denominator) or the root leaves the domain."""

_DOMAIN_TESTS = {">=0": "{x}>=0", ">0": "{x}>0", "(0,1]": "AND({x}>0,{x}<=1)", ">=1": "{x}>=1"}


def _what_must_be_true_sheet(s: SheetWriter, checks: _Checks) -> None:
    s.title_block("What must be true", "For each input, the value at which orbital costs what "
                  "terrestrial does at a launch price, the others held at their value used. "
                  "#N/A: no valid value closes the gap (the reason shows on hover in Excel).")
    r = s.row
    s.cell(r, 1, "Launch price studied (blank: today's)", bold=True)
    s.cell(r, 2, None, style="input", fmt="$/kg", name="wmbt_launch_price_input")
    s.cell(r, 4, '=IF(wmbt_launch_price_input="",launch_cost_per_kg,wmbt_launch_price_input)',
           fmt="$/kg", name="wmbt_launch_cost_per_kg", bold=True)
    s.cell(r, 5, "$/kg used", color="595959")
    s.row += 2
    s.header(["Name", "Unit", "Value", "Low", "High", "Required", "Method", "Input"])
    table = invoke("WHAT_MUST_BE_TRUE_TABLE", None)
    first = s.row
    last = first + len(table) - 1
    # columns A..G: the Python spill; H: the input's human label
    s.spill(first, 1, "=WHAT_MUST_BE_TRUE_TABLE(Assumptions,wmbt_launch_cost_per_kg)",
            len(table), 7, fmt="General")
    for r in range(first, last + 1):
        s.ws.cell(row=r, column=1).font = Font(color="595959")
        s.cell(r, 8, _if_year(f"A{r}", f"INDEX(input_labels,MATCH(A{r},input_names,0))"))
        _unit_formats(s, f"C{r}:F{r}", f"$B{r}")
    chart_anchor = f"J{first}"  # below the header row, which is not repeated on page 2
    s.book.define("wmbt_names", s.title, f"$A${first}:$A${last}")
    s.book.define("wmbt_required", s.title, f"$F${first}:$F${last}")
    s.row = last + 2
    # page 2: the native twins and their working; the chart stays with the table on page 1
    s.ws.row_breaks.append(Break(id=s.row - 1))

    s.section("Native twins of the exact roots, and the change each needs", 13)
    s.header(["Input", "Name", "Unit", "Value used", "Native", "Python", "Check",
              "Change"])
    tfirst = s.row
    for name, *_ in _REQUIRED_EXACT:
        r = s.row
        unit, fmt = _display(next(i for i in INPUTS if i.name == name))
        s.cell(r, 1, LABELS[name])
        s.cell(r, 2, name, color="595959")
        s.cell(r, 3, unit)
        s.cell(r, 4, f"={name}", fmt=fmt)
        s.cell(r, 5, f"=wmbt_root_{name}", fmt=fmt)
        s.cell(r, 6, f"=INDEX(wmbt_required,MATCH(B{r},wmbt_names,0))", fmt=fmt,
               style="result")
        s.cell(r, 7, check_formula(f"F{r}", f"E{r}"), fmt="check", name=f"check_required_{name}")
        s.cell(r, 8, f"=IF(AND(ISNUMBER(E{r}),D{r}<>0),E{r}/D{r}-1,NA())", fmt="0%")
        checks.add("Python against twin", f"What must be true: {LABELS[name]}",
                   f"=check_required_{name}")
        s.row += 1
    tlast = s.row - 1
    s.check_format(f"G{tfirst}:G{tlast}")
    s.cell(s.row, 1, "Change: the required value against the value used (+100 % doubles it). "
           "#N/A: no valid value, or a value used of 0.", italic=True, color="595959")
    s.row += 2

    s.section("Working", 13)

    def work(label, unit, formula, name, fmt="#,##0.000000"):
        s.cell(s.row, 1, label)
        s.cell(s.row, 2, name, color="595959")
        s.cell(s.row, 3, unit)
        s.cell(s.row, 5, formula, fmt=fmt, name=name)
        s.row += 1

    work("Orbital cost per $/kg of launch price", "$/W/yr per $/kg", "=orbital_slope",
         "orbital_slope_wmbt", fmt="0.000E+00")
    work("Orbital launch share at the price studied", "$/W/yr",
         "=wmbt_launch_cost_per_kg*orbital_slope", "wmbt_launch_part")
    work("Orbital cost at the price studied", "$/W/yr",
         "=orbital_intercept+wmbt_launch_part", "wmbt_orbital_cost")
    work("Orbital cost per unit of k_power", "$/W/yr",
         "=(satellite_cost_per_w+wmbt_launch_cost_per_kg/specific_power_w_per_kg)*crf_space"
         "+space_ops_frac*satellite_cost_per_w", "wmbt_orbit_per_k_power")
    for name, num, den, domain in _REQUIRED_EXACT:
        root = f"wmbt_raw_{name}"
        unit, fmt = _display(next(i for i in INPUTS if i.name == name))
        work(f"Root: {LABELS[name]}", unit, f"=IF({den}=0,NA(),({num})/({den}))", root,
             fmt=fmt or "#,##0.000000")
        test = _DOMAIN_TESTS[domain].format(x=root)
        work(f"... where valid ({domain}), else #N/A", unit, f"=IF({test},{root},NA())",
             f"wmbt_root_{name}", fmt=fmt or "#,##0.000000")

    chart = BarChart()
    chart.type = "bar"
    chart.title = _title("Change each input needs for space to break even")
    chart.add_data(Reference(s.ws, min_col=8, min_row=tfirst, max_row=tlast),
                   titles_from_data=False)
    chart.set_categories(Reference(s.ws, min_col=1, min_row=tfirst, max_row=tlast))
    chart.legend = None
    chart.x_axis.scaling.orientation = "maxMin"
    chart.x_axis.tickLblPos = "low"
    chart.x_axis.title = "input (no bar: no valid value, or 0 used)"
    chart.y_axis.title = "required value against the value used, %"
    chart.y_axis.numFmt = "0%"
    _axes_visible(chart)
    chart.height, chart.width = 11, 15
    s.ws.add_chart(chart, chart_anchor)
    _setup(s, last_col=15)  # page 2 holds other tables: repeat the title, not the header


def _axes_visible(chart) -> None:
    # openpyxl 3.1 marks axes deleted unless told otherwise; LibreOffice then hides them
    chart.x_axis.delete = False
    chart.y_axis.delete = False


# --- Sensitivity ---------------------------------------------------------------------------------

def _sensitivity_sheet(s: SheetWriter, checks: _Checks) -> None:
    s.title_block("Sensitivity", "Tornado: each input at its low and high used (Inputs sheet), "
                  "the others at their value used, ranked by swing. The Monte Carlo sheet "
                  "studies the same output.")
    r = s.row
    s.cell(r, 1, "Output studied", bold=True)
    s.cell(r, 2, "breakeven_launch_cost", style="input", name="sensitivity_output")
    dv = DataValidation(type="list", formula1="=output_names", showErrorMessage=True,
                        errorTitle="Output", error="Pick one of the outputs listed below.")
    dv.add(s.ws.cell(row=r, column=2))
    s.ws.add_data_validation(dv)
    s.cell(r, 4, "=INDEX(output_labels,MATCH(sensitivity_output,output_names,0))",
           name="sensitivity_label", bold=True)
    s.row += 1
    r = s.row
    s.cell(r, 1, "Its unit and base value (native)")
    s.cell(r, 2, "=INDEX(output_units,MATCH(sensitivity_output,output_names,0))",
           name="sensitivity_unit")
    s.cell(r, 3, "=INDEX(output_bases,MATCH(sensitivity_output,output_names,0))",
           fmt="#,##0.00", name="sensitivity_base")
    _unit_formats(s, f"C{r}", "sensitivity_unit")
    s.row += 2

    s.cell(s.row, 1, "Tornado", bold=True, size=12)
    s.row += 1
    s.header(["Name", "Low", "High", "Output at low", "Output at high", "Swing", "Input",
              "Unit", "Change at low", "Change at high"])
    # the spill's size: one row per input of the output that has a range
    ranged = invoke("TORNADO", None, "breakeven_launch_cost")
    first = s.row
    last = first + len(ranged) - 1
    s.spill(first, 1, "=TORNADO(AssumptionsWithRanges,sensitivity_output)", len(ranged), 6,
            fmt="#,##0.00")
    for r in range(first, last + 1):
        s.ws.cell(row=r, column=1).font = Font(color="595959")
        s.cell(r, 7, _if_year(f"A{r}", f"INDEX(input_labels,MATCH(A{r},input_names,0))"))
        s.cell(r, 8, _if_year(f"A{r}", f"INDEX(input_units,MATCH(A{r},input_names,0))"))
        s.cell(r, 9, _if_year(f"A{r}", f"D{r}-sensitivity_base"), fmt="#,##0.00")
        s.cell(r, 10, _if_year(f"A{r}", f"E{r}-sensitivity_base"), fmt="#,##0.00")
        _unit_formats(s, f"B{r}:C{r}", f"$H{r}")
    _unit_formats(s, f"D{first}:F{last} I{first}:J{last}", "sensitivity_unit")
    s.row = last + 1
    s.cell(s.row, 1, "Low and High in each input's unit; outputs and changes in the unit of "
           "the output studied.", italic=True, color="595959")
    s.row += 1
    chart_row = s.row
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.overlap = 100
    chart.gapWidth = 40
    chart.title = _title("Tornado: change in the output from its base value")
    for col, colour in ((9, "4472C4"), (10, "ED7D31")):
        chart.add_data(Reference(s.ws, min_col=col, min_row=first - 1, max_row=last),
                       titles_from_data=True)
        chart.series[-1].graphicalProperties.solidFill = colour
    chart.set_categories(Reference(s.ws, min_col=7, min_row=first, max_row=last))
    chart.y_axis.title = "change from base, $/kg (p*, p**) or $/W/yr (costs)"
    chart.x_axis.title = "input, at its low and high used"
    chart.y_axis.numFmt = "#,##0"
    chart.x_axis.scaling.orientation = "maxMin"
    chart.x_axis.tickLblPos = "low"  # input names beside the plot, not across the bars
    chart.x_axis.tickLblSkip = 1
    chart.legend.position = "b"
    _axes_visible(chart)
    chart.height, chart.width = 10, 22
    s.ws.add_chart(chart, f"A{chart_row}")
    s.row = chart_row + 21

    # the outputs that can be studied, with their native base values
    s.cell(s.row, 1, "Outputs that can be studied", bold=True)
    s.row += 1
    s.header(["Output", "Unit", "Base (native)", "Bin label format", "", "", "Name"])
    first_out = s.row
    for output, (cell, label, unit, text_format) in _OUTPUT_ROWS.items():
        s.cell(s.row, 1, label)
        s.cell(s.row, 2, unit)
        s.cell(s.row, 3, f"={cell}", fmt=_fmt(unit))
        s.cell(s.row, 4, text_format, color="595959")
        s.ws.cell(row=s.row, column=4).data_type = "s"
        s.cell(s.row, 7, output, color="595959")
        s.row += 1
    last_out = s.row - 1
    s.book.define("output_names", s.title, f"$G${first_out}:$G${last_out}")
    s.book.define("output_labels", s.title, f"$A${first_out}:$A${last_out}")
    s.book.define("output_units", s.title, f"$B${first_out}:$B${last_out}")
    s.book.define("output_bases", s.title, f"$C${first_out}:$C${last_out}")
    s.book.define("output_text_formats", s.title, f"$D${first_out}:$D${last_out}")
    _setup(s, one_page=True, last_col=10)


def _monte_carlo_sheet(s: SheetWriter, checks: _Checks) -> None:
    s.title_block("Monte Carlo", "The output studied on the Sensitivity sheet, with every input "
                  "with a range drawn from a triangular (low used, value used, high used) "
                  "distribution.")
    params = s.row
    s.cell(params, 1, "Output studied", bold=True)
    s.cell(params, 2, "=sensitivity_label", bold=True)
    s.cell(params + 1, 1, "Draws")
    s.cell(params + 1, 2, MC_DRAWS, style="input", fmt="int", name="mc_draws")
    s.cell(params + 2, 1, "Seed")
    s.cell(params + 2, 2, 0, style="input", fmt="int", name="mc_seed")
    s.cell(params + 3, 1, "Threshold: today's launch price")
    s.cell(params + 3, 2, "=launch_cost_per_kg", fmt="$/kg", name="mc_threshold")
    s.cell(params + 3, 3, "in the output's unit", italic=True, color="595959")
    s.cell(params + 4, 1, "Percentiles, %")
    for k, p in enumerate(MC_PERCENTILES):
        s.cell(params + 4, 2 + k, p, style="input", fmt="0")
    s.book.define("mc_percentiles", s.title,
                  f"$B${params + 4}:${_col(1 + len(MC_PERCENTILES))}${params + 4}")
    s.row = params + 6
    s.header(["Statistic", "Value", "Unit", "What it is"])
    rows = len(MC_PERCENTILES) + 2
    top = s.row
    s.spill(top, 1, "=MONTE_CARLO(AssumptionsWithRanges,mc_percentiles,mc_threshold,"
            "sensitivity_output,mc_draws,mc_seed)", rows, 2, fmt="#,##0.00",
            name="mc_table")
    _unit_formats(s, f"B{top}:B{top + rows - 2}", "sensitivity_unit")
    s.ws.cell(row=top + rows - 1, column=2).number_format = FORMATS["%"]
    for k, p in enumerate(MC_PERCENTILES):
        what = {0: "lowest draw", 100: "highest draw"}.get(p, f"{p}th percentile")
        s.cell(top + k, 3, "=sensitivity_unit")
        s.cell(top + k, 4, what, italic=True, color="595959")
    s.cell(top + rows - 2, 3, "=sensitivity_unit")
    s.cell(top + rows - 2, 4, "mean", italic=True, color="595959")
    s.cell(top + rows - 1, 3, "%")
    s.cell(top + rows - 1, 4, "share of draws above the threshold", italic=True, color="595959")
    qlast = top + len(MC_PERCENTILES) - 1
    s.book.define("mc_quantiles", s.title, f"$B${top}:$B${qlast}")
    s.book.define("mc_quantiles_lower", s.title, f"$B${top}:$B${qlast - 1}")
    s.book.define("mc_quantiles_upper", s.title, f"$B${top + 1}:$B${qlast}")
    s.book.define("mc_mean", s.title, f"$B${top + rows - 2}")
    share_row = top + rows + 1
    s.cell(share_row, 1, "Share above the threshold", bold=True)
    s.cell(share_row, 2, "=INDEX(mc_table,ROWS(mc_table),COLUMNS(mc_table))", fmt="%",
           style="result", name="mc_share_above", bold=True, size=12)
    s.cell(share_row + 1, 1, "For p*: the chance that space wins at today's launch price.",
           italic=True, color="595959")

    # histogram: the share above each bin's lower edge, one Monte Carlo call per edge (the
    # same seed gives the same draws), and the share in each bin as the difference
    hist = share_row + 3
    s.cell(hist, 1, "Histogram", bold=True, size=12)
    s.cell(hist + 1, 1, "Bins (the rows laid out below)")
    s.cell(hist + 1, 2, MC_BINS, fmt="0", name="mc_bins")
    s.cell(hist + 2, 1, "Bin width")
    s.cell(hist + 2, 2, "=(MAX(mc_quantiles)-MIN(mc_quantiles))/mc_bins",
           fmt="#,##0.00", name="mc_bin_width")
    _unit_formats(s, f"B{hist + 2}", "sensitivity_unit")
    s.cell(hist + 3, 1, "Bin labels shown as")
    s.cell(hist + 3, 2, "=INDEX(output_text_formats,MATCH(sensitivity_output,output_names,0))",
           name="sensitivity_text_format", color="595959")
    s.row = hist + 4
    s.header(["Bin", "From (output's unit)", "To", "Share above From, %", "Share in bin, %",
              "Starts below threshold, %", "Starts at or above, %"])
    bfirst = s.row
    for k in range(MC_BINS + 1):
        r = s.row
        edge = ("=MIN(mc_quantiles)" if k == 0 else "=MAX(mc_quantiles)" if k == MC_BINS
                else f"=B{r - 1}+mc_bin_width")
        s.cell(r, 2, edge, fmt="#,##0.00")
        s.cell(r, 4, f"=INDEX(MONTE_CARLO(AssumptionsWithRanges,mc_percentiles,B{r},"
               "sensitivity_output,mc_draws,mc_seed),ROWS(mc_table),COLUMNS(mc_table))",
               fmt="%", style="result")
        if k < MC_BINS:
            s.cell(r, 1, f'=TEXT(B{r},sensitivity_text_format)&" to "'
                   f'&TEXT(C{r},sensitivity_text_format)')
            s.cell(r, 3, f"=B{r}+mc_bin_width", fmt="#,##0.00")
            s.cell(r, 5, f"=D{r}-D{r + 1}", fmt="0.0%")
            s.cell(r, 6, f"=IF(B{r}<mc_threshold,E{r},0)", fmt="0.0%")
            s.cell(r, 7, f"=IF(B{r}>=mc_threshold,E{r},0)", fmt="0.0%")
        else:
            s.cell(r, 1, "above the highest draw", italic=True)
        s.row += 1
    blast = bfirst + MC_BINS - 1
    _unit_formats(s, f"B{bfirst}:C{blast + 1}", "sensitivity_unit")
    s.book.define("mc_bin_from", s.title, f"$B${bfirst}:$B${blast}")
    s.book.define("mc_bin_share_above", s.title, f"$D${bfirst}:$D${blast + 1}")
    s.book.define("mc_bin_share", s.title, f"$E${bfirst}:$E${blast}")
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.gapWidth = 10
    chart.title = _title("Monte Carlo: share of draws per bin (orange: at or above the "
                         "threshold)")
    for col, colour in ((6, "4472C4"), (7, "ED7D31")):
        chart.add_data(Reference(s.ws, min_col=col, min_row=bfirst - 1, max_row=blast),
                       titles_from_data=True)
        chart.series[-1].graphicalProperties.solidFill = colour
    chart.set_categories(Reference(s.ws, min_col=1, min_row=bfirst, max_row=blast))
    chart.y_axis.title = "share of draws"
    chart.y_axis.numFmt = "0%"
    chart.x_axis.title = "output studied, in its unit ($/kg for p*)"
    chart.legend.position = "b"
    _axes_visible(chart)
    chart.height, chart.width = 11, 17
    s.ws.add_chart(chart, f"J{params}")
    s.row = blast + 3

    # sanity of the Monte Carlo results
    checks.add("Monte Carlo sanity", "Percentiles rise with the percentile asked for",
               "=IF(SUMPRODUCT((mc_quantiles_upper<mc_quantiles_lower)*1)=0,0,1)")
    checks.add("Monte Carlo sanity", "The mean lies between the lowest and the highest draw",
               "=IF(AND(mc_mean>=MIN(mc_quantiles),mc_mean<=MAX(mc_quantiles)),0,1)")
    checks.add("Monte Carlo sanity", "The share above the threshold lies in 0-100 %",
               "=IF(AND(mc_share_above>=0,mc_share_above<=1),0,1)")
    checks.add("Monte Carlo sanity", "No draw lies above the highest draw",
               "=INDEX(mc_bin_share_above,ROWS(mc_bin_share_above),1)")
    checks.add("Layout", "Monte Carlo: the histogram's bins are the rows laid out",
               "=IF(mc_bins=ROWS(mc_bin_from),0,1)")
    checks.add("Monte Carlo sanity", "The histogram holds every draw but the lowest",
               "=ABS(SUM(mc_bin_share)-(1-1/mc_draws))")
    _setup(s, one_page=True, last_col=18)


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


# --- Checks --------------------------------------------------------------------------------------

def _checks_top(s: SheetWriter) -> None:
    s.title_block("Checks", "Every check of the workbook. A value within the tolerance passes; "
                  "an error on either side of a Python-against-twin check fails, unless both "
                  "give #N/A.")
    s.cell(s.row, 2, "Tolerance (relative difference)", bold=True)
    s.cell(s.row, 4, CHECK_TOLERANCE, style="input", fmt="0E+00", name="check_tolerance")
    s.row += 1
    s.cell(s.row, 2, "Master check", bold=True, size=12)
    s.master_row = s.row
    s.row += 2


def _checks_sheet(s: SheetWriter, checks: _Checks) -> None:
    header = s.row
    s.header(["#", "Check", "Kind", "Value (difference; 1: false)", "Pass"])
    first = s.row
    for k, (kind, label, formula) in enumerate(checks.rows, start=1):
        r = s.row
        s.cell(r, 1, k)
        s.cell(r, 2, label)
        s.cell(r, 3, kind, color="595959")
        s.cell(r, 4, formula, fmt="check")
        s.cell(r, 5, f"=IF(ISNUMBER(D{r}),IF(ABS(D{r})<=check_tolerance,1,0),0)", fmt="pass",
               bold=True)
        s.row += 1
    last = s.row - 1
    s.pass_format(f"E{first}:E{last}")
    s.book.define("check_passes", s.title, f"$E${first}:$E${last}")
    m = s.master_row
    s.cell(m, 4, "=COUNTIF(check_passes,0)", name="checks_failed", fmt='0" failing"')
    s.cell(m, 5, "=IF(checks_failed=0,1,0)", fmt="pass", bold=True, size=12,
           name="master_check")
    s.pass_format(f"E{m}")
    s.row += 1
    note = ("In LibreOffice, or in Excel without the add-in once it recalculates, the Python "
            "cells show #NAME?, so the Python-against-twin checks fail there.")
    s.ws.merge_cells(start_row=s.row, start_column=2, end_row=s.row, end_column=5)
    s.cell(s.row, 2, note, italic=True, color="595959")
    _wrap_merged(s, s.row, 2, note, width=62 + 24 + 12 + 8)
    subtitle = s.ws.cell(row=2, column=1).value
    s.ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=5)
    _wrap_merged(s, 2, 1, subtitle, width=5 + 62 + 24 + 12 + 8)
    _setup(s, landscape=False, title_rows=f"{header}:{header}")


# --- Functions and xlwings.conf ------------------------------------------------------------------

def _functions_sheet(s: SheetWriter) -> None:
    s.title_block("Functions", "Every Excel function of the add-in, from its function catalogue.")
    header = s.row
    s.header(["Function", "What it returns", "Result", "Unit", "Example (type it after =)"])
    category = None
    for cat, signature, what, result, unit, example in reference.rows():
        if cat != category:
            category = cat
            s.section(cat, 5)
        # Without its "=", an example stays text in every spreadsheet program and tool.
        s.text_rows([[signature, what, result, unit, example.removeprefix("=")]],
                    wrap_cols=(1, 2, 3, 5))
    s.row += 1
    s.header(["Function and argument", "Help", "Unit", "Required"])
    s.text_rows([[f"{f}: {a}", doc, unit, req] for f, a, unit, req, doc
                 in reference.argument_rows()], wrap_cols=(1, 2))
    _setup(s, title_rows=f"{header}:{header}")


def _conf_sheet(s: SheetWriter) -> None:
    # xlwings reads column A (keys) and B (values) of a sheet named exactly "xlwings.conf",
    # hidden or not; hidden, it is not printed.
    rows = [
        ("UDF Modules", MODULE_NAME, "the module holding the functions (pip install xlmodel "
         "puts it on the Python path)"),
        ("PYTHONPATH", None, "blank when xlmodel is pip-installed; else the folder holding "
         f"{MODULE_NAME}.py"),
        ("Interpreter_Win", None, "blank: the Python that xlwings finds; or the full path to "
         "python.exe of the environment where xlmodel is installed"),
        ("Interpreter_Mac", None, "classic xlwings UDFs need Windows; on a Mac use xlwings Lite"),
        ("Use UDF Server", False, "FALSE: a fresh Python for each recalculation"),
        ("Show Console", False, ""),
        ("Debug UDFs", False, ""),
    ]
    for key, value, note in rows:
        s.cell(s.row, 1, key, bold=True)
        s.cell(s.row, 2, value, style="input")
        s.cell(s.row, 3, note, italic=True, color="595959")
        s.row += 1
    s.ws.sheet_state = "hidden"
    _setup(s, print_area=False)


# --- About ---------------------------------------------------------------------------------------

def _about_sheet(s: SheetWriter) -> None:
    s.title_block(TITLE, f"Built by xlmodel {__version__}. Every number is computed by the "
                  "Python functions and again by plain Excel formulas from the inputs.")
    s.cell(s.row, 2, '=IF(master_check=1,"Checks: all "&ROWS(check_passes)&" pass",'
           '"Checks: "&checks_failed&" of "&ROWS(check_passes)&" fail (see the Checks sheet)")',
           bold=True, size=12)
    s.cell(s.row, 4, "=master_check", fmt="pass", bold=True, size=12)
    s.pass_format(f"D{s.row}")
    s.row += 2
    s.cell(s.row, 1, "What this workbook answers", bold=True, size=12)
    s.row += 1
    s.header(["#", "The essay claims", "Where", "Function"])
    s.text_rows(CLAIMS, wrap_cols=(2, 3, 4))
    s.row += 1
    s.cell(s.row, 1, "How to read it", bold=True, size=12)
    s.row += 1
    s.cell(s.row, 2, "Blue on yellow: inputs", style="input")
    s.row += 1
    s.cell(s.row, 2, "Green fill: results of the Python functions", style="result")
    s.row += 1
    _paragraphs(s, [
        "Black: plain Excel formulas (the native twins and their working). Each Check cell is "
        "the relative difference between the two; the Checks sheet lists every check.",
        "Sheets: Inputs and Scenarios (inputs); Model and Curves (calculations and results); "
        "Sensitivity and Monte Carlo; Checks; Functions (reference).",
    ])
    s.row += 1
    s.cell(s.row, 1, "Turning the functions on", bold=True, size=12)
    s.row += 1
    _paragraphs(s, [
        "Classic xlwings (Windows): pip install xlmodel, then 'xlwings addin install'. Open the "
        ".xlsm version of this workbook: its hidden xlwings.conf sheet names the module "
        "(unhide it to edit). On the xlwings ribbon, click Import Functions.",
        "xlwings Lite (Windows, Mac, web): run 'xlmodel lite FOLDER' and paste main.py and "
        "requirements.txt into xlwings Lite's editor, then restart Python.",
        "Without Python, Excel shows the values saved when the workbook was built until it "
        "recalculates. LibreOffice shows #NAME? in every cell that calls an add-in function "
        "and has no dynamic-array spills; the native twins still compute there.",
    ])
    s.row += 1
    s.cell(s.row, 1, "Sources", bold=True, size=12)
    s.row += 1
    _paragraphs(s, SOURCES)
    _setup(s, landscape=False, one_page=True, last_col=4)


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


def _col(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)
