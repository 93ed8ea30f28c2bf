"""The template ``ai_compute_economics``: every claim of the essay, live.

Read top to bottom, this module is the workbook: About, Inputs, Scenarios, Model, Curves,
Sensitivity, Functions and xlwings.conf, in that order. Every Python-function result on the
Model and Curves sheets sits beside its native-formula twin and a check cell.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.worksheet.datavalidation import DataValidation

from xlmodel import __version__, reference
from xlmodel.catalogue import OUTPUTS, invoke
from xlmodel.inputs import INPUTS, SCENARIOS
from xlmodel.model.costs import KWH_PER_W_YEAR, SECONDS_PER_YEAR
from xlmodel.xlwings_module import MODULE_NAME

from .writer import Book, SheetWriter, check_formula

NAME = "ai_compute_economics"
TITLE = "AI compute economics: Earth or orbit?"

#: Years shown by the curves (the spilled ranges and charts are sized for them).
CURVE_START, CURVE_END = 2025, 2040
#: Newton steps that refine the native twin of the build-out growth (quadratic convergence
#: from above; 12 steps reach double precision for any build-out of up to 50 years).
NEWTON_STEPS = 12
MC_PERCENTILES = (5, 25, 50, 75, 95)
MC_DRAWS = 20_000

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


def build() -> Book:
    """Write the template with openpyxl (no cached values yet; the build adds them)."""
    book = Book()
    about = book.sheet("About", tab_color="1F3864", widths=(6, 48, 44, 40))
    inputs = book.sheet("Inputs", tab_color="FFC000",
                        widths=(34, 14, 12, 12, 14, 14, 10, 58, 70))
    scenarios = book.sheet("Scenarios", tab_color="FFC000", widths=(34, 14, 14, 14, 14, 10))
    model = book.sheet("Model", tab_color="70AD47", widths=(46, 11, 17, 17, 11, 70))
    curves = book.sheet("Curves", tab_color="70AD47", widths=(10, 14, 14, 11, 3, 10, 14, 14,
                                                               14, 14, 11, 3, 10, 14, 14, 11))
    sens = book.sheet("Sensitivity", tab_color="70AD47", widths=(34, 12, 12, 14, 14, 14, 3, 14,
                                                                  14, 3))
    functions = book.sheet("Functions", tab_color="7F7F7F", widths=(28, 62, 90, 50, 20, 44))
    conf = book.sheet("xlwings.conf", tab_color="7F7F7F", widths=(22, 20, 90))

    _scenarios_sheet(scenarios)
    _inputs_sheet(inputs)
    _model_sheet(model)
    _curves_sheet(curves)
    _sensitivity_sheet(sens)
    _functions_sheet(functions)
    _conf_sheet(conf)
    _about_sheet(about)  # last: it lists what the other sheets hold
    return book


# --- Scenarios -----------------------------------------------------------------------------------

def _scenarios_sheet(s: SheetWriter) -> None:
    s.title_block("Scenarios", "Each column is a full set of inputs. The Inputs sheet picks one "
                  "with its scenario drop-down; edit a value here to change a scenario.")
    names = [sc.name for sc in SCENARIOS]
    s.header(["Input", *names, "Unit"])
    first = s.row
    for i in INPUTS:
        s.cell(s.row, 1, i.name)
        for k, sc in enumerate(SCENARIOS):
            v = sc.values()[i.name]
            # a blank input ("none") is the empty text, so INDEX returns "" rather than 0
            s.cell(s.row, 2 + k, '=""' if v is None else v, style="input", fmt=_fmt(i.unit))
        s.cell(s.row, 2 + len(names), i.unit)
        s.row += 1
    last = s.row - 1
    s.book.define("ScenarioNames", s.title, f"$B${first - 1}:${_col(1 + len(names))}${first - 1}")
    s.book.define("ScenarioTable", s.title, f"$B${first}:${_col(1 + len(names))}${last}")
    s.row += 1
    s.header(["Scenario", "What it is"])
    for sc in SCENARIOS:
        s.cell(s.row, 1, sc.name, bold=True)
        s.cell(s.row, 2, sc.description, wrap=False)
        s.row += 1
    s.ws.freeze_panes = s.ws.cell(row=first, column=2)


# --- Inputs --------------------------------------------------------------------------------------

def _inputs_sheet(s: SheetWriter) -> None:
    s.title_block("Inputs", "Blue cells are yours. Leave 'Your value' blank to use the "
                  "scenario's value. Every input is a defined name (e.g. facility_capex_per_w).")
    s.cell(s.row, 1, "Scenario", bold=True)
    s.cell(s.row, 2, "base", style="input", name="Scenario")
    dv = DataValidation(type="list", formula1="=ScenarioNames", allow_blank=False,
                        showErrorMessage=True, errorTitle="Scenario",
                        error="Pick one of the scenarios listed on the Scenarios sheet.")
    dv.add(s.ws.cell(row=s.row, column=2))
    s.ws.add_data_validation(dv)
    s.cell(s.row, 3, "Pick a scenario: " + ", ".join(sc.name for sc in SCENARIOS), italic=True)
    s.row += 2
    s.header(["Input", "Value used", "Low", "High", "Your value", "Scenario value", "Unit",
              "Description", "Source"])
    first = s.row
    for k, i in enumerate(INPUTS):
        r = s.row
        fmt = _fmt(i.unit)
        s.cell(r, 1, i.name, bold=True)
        s.cell(r, 2, f'=IF(E{r}="",F{r},E{r})', fmt=fmt, name=i.name, style="result")
        s.cell(r, 3, i.low, fmt=fmt, style="input")
        s.cell(r, 4, i.high, fmt=fmt, style="input")
        s.cell(r, 5, None, fmt=fmt, style="input")
        s.cell(r, 6, f"=INDEX(ScenarioTable,{k + 1},MATCH(Scenario,ScenarioNames,0))", fmt=fmt)
        s.cell(r, 7, i.unit)
        s.cell(r, 8, i.description)
        s.cell(r, 9, i.source, color="C00000" if i.is_assumption else None)
        _validate(s, i, f"C{r}:E{r}")
        s.row += 1
    last = s.row - 1
    s.book.define("Assumptions", s.title, f"$A${first}:$B${last}")
    s.book.define("AssumptionsWithRanges", s.title, f"$A${first}:$D${last}")
    s.row += 1
    s.text_rows([
        ["Assumptions = this table's first two columns (name, value used): "
         "=BREAKEVEN_LAUNCH_COST(Assumptions)."],
        ["AssumptionsWithRanges = its first four columns (name, value, low, high): "
         "TORNADO and MONTE_CARLO vary each input between its low and high."],
        ["Sources in red are assumptions: no public figure was found."],
    ])
    s.ws.freeze_panes = s.ws.cell(row=first, column=2)


def _validate(s: SheetWriter, i, ref: str) -> None:
    rules = {
        ">0": dict(type="decimal", operator="greaterThan", formula1="0"),
        ">=0": dict(type="decimal", operator="greaterThanOrEqual", formula1="0"),
        ">=1": dict(type="decimal", operator="greaterThanOrEqual", formula1="1"),
        "[0,1)": dict(type="decimal", operator="between", formula1="0", formula2="0.999999"),
        "(0,1]": dict(type="decimal", operator="between", formula1="0.000001", formula2="1"),
        "year": dict(type="whole", operator="between", formula1="1900", formula2="2200"),
        "whole>=1": dict(type="whole", operator="greaterThanOrEqual", formula1="1"),
    }
    if i.domain not in rules:
        return
    dv = DataValidation(**rules[i.domain], allow_blank=True, showErrorMessage=True,
                        errorTitle=i.name, error=f"{i.name} must be {i.domain} ({i.unit}).")
    dv.add(ref)
    s.ws.add_data_validation(dv)


# --- Model ---------------------------------------------------------------------------------------

_MTOK = f"(tokens_per_joule*{SECONDS_PER_YEAR:.0f})*1000000"
_CRF = "IF(discount_rate=0,1/{n},discount_rate/(1-(1+discount_rate)^(-{n})))"
_MEAN_KEPT = "IF({x}=0,1,(1-(1-{x})^space_life_years)/(space_life_years*{x}))"


def _model_sheet(s: SheetWriter) -> None:
    s.title_block("Model", "Column C calls the Python functions; column D computes the same "
                  "quantity in plain Excel formulas; column E shows their relative difference.")
    s.header(["Quantity", "Unit", "Python function", "Native formula", "Check",
              "Equation"])
    width = 6

    def row(label, unit, udf, twin, equation, *, name, fmt=None):
        r = s.row
        s.cell(r, 1, label)
        s.cell(r, 2, unit)
        s.cell(r, 3, udf, fmt=fmt or _fmt(unit), style="result", name=name)
        s.cell(r, 4, twin, fmt=fmt or _fmt(unit), name=f"{name}_native")
        s.cell(r, 5, check_formula(f"C{r}", f"D{r}"), fmt="check")
        s.check_format(f"E{r}")
        s.cell(r, 6, equation, italic=True, color="595959")
        s.row += 1

    halving = "hardware_halving_years,algorithmic_halving_years"
    s.section("Time value of compute (claims 1-4)", width)
    row("Annualized token return (hurdle rate)", "%/yr",
        f"=ANNUALIZED_TOKEN_RETURN({halving})", "=2^(1/halving_time)-1",
        "r = 2^(1/T) - 1, with 1/T = 1/T_hardware + 1/T_algorithmic", name="hurdle_rate")
    row("Annual decline of the cost per token", "%/yr",
        f"=ANNUAL_COST_DECLINE({halving})", "=1-2^(-1/halving_time)", "d = 1 - 2^(-1/T)",
        name="annual_decline")
    row("1 GW deployed now is worth, a year later", "GW",
        f"=COMPUTE_EQUIVALENCE(1,1,{halving})", "=1*2^(1/halving_time)",
        "P x 2^(delay/T)", name="gw_next_year", fmt="0.00")
    row("Value of a head start of deployment_lead_years", "%",
        f"=HEAD_START_VALUE(deployment_lead_years,{halving})",
        "=2^(deployment_lead_years/halving_time)-1", "(1 + r)^lead - 1", name="head_start")

    s.section("Cost per delivered watt-year and per token (claim 5)", width)
    row("Terrestrial cost per delivered W-year", "$/W/yr",
        "=TERRESTRIAL_COST_PER_W_YEAR(Assumptions)",
        f"=facility_capex_per_w*crf_facility+terrestrial_opex_frac*facility_capex_per_w"
        f"+pue*{KWH_PER_W_YEAR}*electricity_price_per_kwh+chip_capex_per_w*crf_chip",
        "F CRF(i, L_f) + o F + PUE 8.766 kWh price + C CRF(i, L_c)", name="terrestrial_cost")
    row("Orbital cost per delivered W-year, at today's launch price", "$/W/yr",
        "=ORBITAL_COST_PER_W_YEAR(Assumptions)",
        "=orbital_intercept+orbital_slope*launch_cost_per_kg",
        "[(s + p/sp) k_power + C k_chips] CRF(i, L_s) + ops s k_power", name="orbital_cost")
    row("Terrestrial cost per million tokens", "$/Mtok",
        "=TERRESTRIAL_COST_PER_MTOK(Assumptions)", f"=terrestrial_cost_native/{_MTOK}",
        "cost per W-year / (tokens per J x 31,557,600 J) x 1e6", name="terrestrial_mtok")
    row("Orbital cost per million tokens, at today's launch price", "$/Mtok",
        "=ORBITAL_COST_PER_MTOK(Assumptions)", f"=orbital_cost_native/{_MTOK}",
        "cost per W-year / (tokens per J x 31,557,600 J) x 1e6", name="orbital_mtok")

    s.section("Breakeven launch cost (claims 5 and 7)", width)
    row("Breakeven launch cost p*", "$/kg", "=BREAKEVEN_LAUNCH_COST(Assumptions)",
        "=(terrestrial_cost_native-orbital_intercept)/orbital_slope",
        "S(p*) = T; negative: even a free launch does not close the gap", name="p_star")
    row("Time-adjusted breakeven p**", "$/kg", "=TIME_ADJUSTED_BREAKEVEN(Assumptions)",
        "=(terrestrial_cost_native*2^(deployment_lead_years/halving_time)-orbital_intercept)"
        "/orbital_slope", "S(p**) = T (1 + r)^lead", name="p_star_star")

    s.section("Launch learning curve (claim 6)", width)
    row("Launch price reaches p* in", "year", "=CROSSOVER_YEAR(Assumptions)",
        _crossover("p_star_native"), "first year with p0 (1 - LR)^(m (t - t0)) <= p*; #N/A: never",
        name="crossover_year")
    row("Launch price reaches p** in", "year", "=CROSSOVER_YEAR(Assumptions,p_star_star)",
        _crossover("p_star_star_native"), "the same with p**", name="crossover_year_adjusted")

    s.section("Terrestrial build-out (claim 8)", width)
    row("Growth of installs needed", "%/yr",
        "=BUILDOUT_GROWTH_RATE(buildout_final_year_gw,buildout_cumulative_gw,"
        "buildout_start_year,buildout_final_year)", "=1/buildout_h-1",
        "F sum_j g^-j = C over the years counted", name="buildout_growth")

    s.row += 1
    s.section("Working: the native formulas' intermediate values", width)

    def work(label, unit, formula, name, equation=""):
        s.cell(s.row, 1, label)
        s.cell(s.row, 2, unit)
        s.cell(s.row, 4, formula, fmt=_fmt(unit) if unit not in ("-", "") else "0.000000",
               name=name)
        s.cell(s.row, 6, equation, italic=True, color="595959")
        s.row += 1

    work("Halving time of the cost per token", "yr",
         "=1/(1/hardware_halving_years+IF(algorithmic_halving_years=\"\",0,"
         "1/algorithmic_halving_years))", "halving_time", "1/T = 1/T_hw + 1/T_alg")
    work("CRF, facility", "1/yr", "=" + _CRF.format(n="facility_life_years"), "crf_facility",
         "i / (1 - (1 + i)^-n); 1/n at i = 0")
    work("CRF, chips on Earth", "1/yr", "=" + _CRF.format(n="chip_life_years"), "crf_chip")
    work("CRF, satellite", "1/yr", "=" + _CRF.format(n="space_life_years"), "crf_space")
    work("Mean solar array output kept", "-",
         "=" + _MEAN_KEPT.format(x="solar_degradation_per_year"), "solar_kept",
         "mean over years 0..L-1 of (1 - d)^y")
    work("Mean chips surviving", "-", "=" + _MEAN_KEPT.format(x="space_chip_failure_per_year"),
         "chips_kept", "mean over years 0..L-1 of (1 - f)^y")
    work("Solar oversizing k_power", "-", "=1/(sun_fraction*solar_kept)", "k_power")
    work("Chip overprovisioning k_chips", "-", "=1/chips_kept", "k_chips")
    work("Orbital cost at a free launch S(0)", "$/W/yr",
         "=(satellite_cost_per_w*k_power+chip_capex_per_w*k_chips)*crf_space"
         "+space_ops_frac*satellite_cost_per_w*k_power", "orbital_intercept")
    work("Orbital cost per $/kg of launch price", "-",
         "=k_power*crf_space/specific_power_w_per_kg", "orbital_slope", "dS/dp")
    work("Build-out: years counted n", "yr", "=buildout_final_year-buildout_start_year+1",
         "buildout_years")
    work("Build-out: C / F", "-", "=buildout_cumulative_gw/buildout_final_year_gw",
         "buildout_ratio")
    # Newton's method on S(h) = (h^n - 1)/(h - 1) = C/F with h = 1/g, from h0 = (C/F)^(1/(n-1)),
    # which lies above the root: S is convex and increasing, so the steps fall monotonically.
    prev = "buildout_ratio^(1/(buildout_years-1))"
    for k in range(1, NEWTON_STEPS + 1):
        h = prev if k == 1 else f"buildout_h{k - 1}"
        name = "buildout_h" if k == NEWTON_STEPS else f"buildout_h{k}"
        n = "buildout_years"
        formula = (f"=LET_H-((LET_H^{n}-1)/(LET_H-1)-buildout_ratio)/(({n}*LET_H^({n}-1)"
                   f"*(LET_H-1)-(LET_H^{n}-1))/(LET_H-1)^2)").replace("LET_H", f"({h})")
        work(f"Build-out: h = 1/g, Newton step {k}", "-", formula, name,
             "h - (S(h) - C/F) / S'(h)" if k == 1 else "")
        prev = name


#: The Model sheet's cell for each output the Sensitivity sheet can study.
_OUTPUT_CELLS = {
    "breakeven_launch_cost": "p_star",
    "time_adjusted_breakeven_launch_cost": "p_star_star",
    "terrestrial_cost_per_w_year": "terrestrial_cost",
    "orbital_cost_per_w_year": "orbital_cost",
}


def _if_year(year_ref: str, formula: str) -> str:
    """``formula`` where the spill has a value in this row; blank below a shorter spill."""
    return f'=IF({year_ref}="","",{formula.removeprefix("=")})'


def _crossover(target: str) -> str:
    decay = "(launch_mass_doublings_per_year*-LN(1-launch_learning_rate))"
    return (f"=IF({target}<=0,NA(),IF(launch_cost_per_kg<={target},launch_base_year,"
            f"IF({decay}=0,NA(),launch_base_year+CEILING(LN(launch_cost_per_kg/{target})"
            f"/{decay}-0.000000001,1))))")


# --- Curves --------------------------------------------------------------------------------------

def _curves_sheet(s: SheetWriter) -> None:
    s.title_block("Curves", f"Spilled by the Python functions, {CURVE_START}-{CURVE_END}, each "
                  "beside its native-formula twin. The twins and charts cover the years built "
                  "in; change the years and the spills follow.")
    s.cell(s.row, 1, "From", bold=True)
    s.cell(s.row, 2, CURVE_START, style="input", fmt="year", name="curve_start_year")
    s.cell(s.row, 3, "to", bold=True)
    s.cell(s.row, 4, CURVE_END, style="input", fmt="year", name="curve_end_year")
    s.row += 2
    n = CURVE_END - CURVE_START + 1
    top = s.row
    # Token cost: columns A-D
    s.cell(top, 1, "Token cost, $/Mtok, from today's terrestrial cost", bold=True)
    s.row = top + 1
    s.header(["Year", "Python", "Native", "Check"], col=1)
    first = s.row
    # scientific: the cost halves 15 times over the curve
    s.spill(first, 1, "=TOKEN_COST_CURVE(terrestrial_mtok,curve_start_year,curve_end_year,"
            "halving_time)", n, 2, fmt='"$"0.000E+00')
    for k in range(n):
        r = first + k
        s.ws.cell(row=r, column=1).number_format = "0"
        s.cell(r, 3, _if_year(f"A{r}", f"terrestrial_mtok_native*2^(-(A{r}-curve_start_year)"
                              "/halving_time)"), fmt='"$"0.000E+00')
        s.cell(r, 4, _if_year(f"A{r}", check_formula(f"B{r}", f"C{r}")), fmt="check")
    s.check_format(f"D{first}:D{first + n - 1}")
    chart = LineChart()
    chart.title = "Cost per million tokens"
    chart.y_axis.title = "$/Mtok"
    chart.x_axis.title = "year"
    chart.add_data(Reference(s.ws, min_col=2, min_row=first, max_row=first + n - 1),
                   titles_from_data=False)
    chart.set_categories(Reference(s.ws, min_col=1, min_row=first, max_row=first + n - 1))
    chart.series[0].tx = None
    chart.legend = None
    chart.y_axis.scaling.logBase = 10  # halving every T years is a straight line
    chart.y_axis.numFmt = "0.0E+00"
    chart.height, chart.width = 7, 9.5
    s.ws.add_chart(chart, f"A{first + n + 2}")

    # Launch cost: columns F-K
    s.cell(top, 6, "Launch cost against the breakeven, $/kg", bold=True)
    s.row = top + 1
    s.header(["Year", "Python", "Native", "p*", "p**", "Check"], col=6)
    s.spill(first, 6, "=LAUNCH_COST_CURVE(curve_start_year,curve_end_year,Assumptions)", n, 2,
            fmt="$/kg")
    for k in range(n):
        r = first + k
        s.ws.cell(row=r, column=6).number_format = "0"
        s.cell(r, 8, _if_year(f"F{r}", "launch_cost_per_kg*(1-launch_learning_rate)"
                              f"^(launch_mass_doublings_per_year*(F{r}-launch_base_year))"),
               fmt="$/kg")
        s.cell(r, 9, _if_year(f"F{r}", "p_star"), fmt="$/kg")
        s.cell(r, 10, _if_year(f"F{r}", "p_star_star"), fmt="$/kg")
        s.cell(r, 11, _if_year(f"F{r}", check_formula(f"G{r}", f"H{r}")), fmt="check")
    s.check_format(f"K{first}:K{first + n - 1}")
    chart = ScatterChart()
    chart.title = "Launch price and the breakeven"
    chart.style = 13
    chart.y_axis.title = "$/kg"
    chart.x_axis.title = "year"
    xs = Reference(s.ws, min_col=6, min_row=first, max_row=first + n - 1)
    for col, title in ((7, "launch price"), (9, "breakeven p*"), (10, "time-adjusted p**")):
        series = Series(Reference(s.ws, min_col=col, min_row=first, max_row=first + n - 1), xs,
                        title=title)
        series.marker.symbol = "none"
        chart.series.append(series)
    chart.x_axis.scaling.min = CURVE_START
    chart.x_axis.scaling.max = CURVE_END
    chart.height, chart.width = 7, 14.5
    s.ws.add_chart(chart, f"F{first + n + 2}")

    # Build-out: columns M-P
    s.cell(top, 13, "Terrestrial build-out, GW installed per year", bold=True)
    s.row = top + 1
    s.header(["Year", "Python", "Native", "Check"], col=13)
    years = 2030 - 2026 + 1  # the default build-out years; the spill resizes in Excel
    s.spill(first, 13, "=BUILDOUT_CURVE(buildout_final_year_gw,buildout_cumulative_gw,"
            "buildout_start_year,buildout_final_year)", years, 2, fmt="GW")
    for k in range(years):
        r = first + k
        s.ws.cell(row=r, column=13).number_format = "0"
        s.cell(r, 15, _if_year(f"M{r}", "buildout_final_year_gw*(1/buildout_h)"
                               f"^(M{r}-buildout_final_year)"), fmt="GW")
        s.cell(r, 16, _if_year(f"M{r}", check_formula(f"N{r}", f"O{r}")), fmt="check")
    s.check_format(f"P{first}:P{first + years - 1}")
    chart = BarChart()
    chart.title = "Installs per year"
    chart.y_axis.title = "GW"
    chart.add_data(Reference(s.ws, min_col=14, min_row=first, max_row=first + years - 1),
                   titles_from_data=False)
    chart.set_categories(Reference(s.ws, min_col=13, min_row=first, max_row=first + years - 1))
    chart.legend = None
    chart.height, chart.width = 7, 10
    s.ws.add_chart(chart, f"M{first + n + 2}")
    s.row = first + n + 18


# --- Sensitivity ---------------------------------------------------------------------------------

def _sensitivity_sheet(s: SheetWriter) -> None:
    s.title_block("Sensitivity", "Tornado: each input at its low and high (Inputs sheet), the "
                  "others at their value used. Monte Carlo: triangular (low, value, high) draws.")
    s.cell(s.row, 1, "Output studied", bold=True)
    s.cell(s.row, 2, "breakeven_launch_cost", style="input", name="sensitivity_output")
    dv = DataValidation(type="list", formula1='"' + ",".join(OUTPUTS) + '"')
    dv.add(s.ws.cell(row=s.row, column=2))
    s.ws.add_data_validation(dv)
    s.cell(s.row, 4, "At base", bold=True)
    # the same quantity as on the Model sheet, for the output picked
    base = "NA()"
    for output, model_cell in reversed(_OUTPUT_CELLS.items()):
        base = f'IF(sensitivity_output="{output}",{model_cell},{base})'
    s.cell(s.row, 5, "=" + base, fmt="#,##0.00", style="result", name="sensitivity_base")
    s.row += 2
    s.cell(s.row, 1, "Tornado", bold=True)
    s.row += 1
    s.header(["Input", "Low", "High", "Output at low", "Output at high", "Swing", "",
              "Change at low", "Change at high"])
    # the spill's size: one row per input of the output that has a range
    ranged = invoke("TORNADO", None, "breakeven_launch_cost")
    first = s.row
    last = first + len(ranged) - 1
    s.spill(first, 1, "=TORNADO(AssumptionsWithRanges,sensitivity_output)", len(ranged), 6,
            fmt="#,##0.00")
    for r in range(first, last + 1):
        for col in (2, 3):  # inputs span 0.005 to 3,600: show them as typed
            s.ws.cell(row=r, column=col).number_format = "General"
        s.cell(r, 8, _if_year(f"A{r}", f"D{r}-sensitivity_base"), fmt="#,##0.00")
        s.cell(r, 9, _if_year(f"A{r}", f"E{r}-sensitivity_base"), fmt="#,##0.00")
    s.row = last + 2
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.overlap = 100
    chart.title = "Tornado: change in the output from its base value"
    for col in (8, 9):
        chart.add_data(Reference(s.ws, min_col=col, min_row=first - 1, max_row=last),
                       titles_from_data=True)
    chart.set_categories(Reference(s.ws, min_col=1, min_row=first, max_row=last))
    chart.y_axis.title = "change from base, in the output's unit"
    chart.x_axis.scaling.orientation = "maxMin"
    chart.x_axis.tickLblPos = "low"  # input names beside the plot, not across the bars
    chart.height, chart.width = 11, 18
    s.ws.add_chart(chart, f"K{first - 1}")

    s.cell(s.row, 1, "Monte Carlo", bold=True)
    s.row += 1
    params = s.row
    s.cell(params, 1, "Draws")
    s.cell(params, 2, MC_DRAWS, style="input", fmt="int", name="mc_draws")
    s.cell(params + 1, 1, "Seed")
    s.cell(params + 1, 2, 0, style="input", fmt="int", name="mc_seed")
    s.cell(params + 2, 1, "Threshold: today's launch price")
    s.cell(params + 2, 2, "=launch_cost_per_kg", fmt="$/kg", name="mc_threshold")
    s.cell(params + 3, 1, "Percentiles")
    for k, p in enumerate(MC_PERCENTILES):
        s.cell(params + 3, 2 + k, p, style="input", fmt="0")
    s.book.define("mc_percentiles", s.title,
                  f"$B${params + 3}:${_col(1 + len(MC_PERCENTILES))}${params + 3}")
    s.row = params + 5
    s.header(["Statistic", "Value"])
    rows = len(MC_PERCENTILES) + 2
    s.spill(s.row, 1, "=MONTE_CARLO(AssumptionsWithRanges,mc_percentiles,mc_threshold,"
            "sensitivity_output,mc_draws,mc_seed)", rows, 2, fmt="#,##0.000")
    s.row += rows + 1
    s.text_rows([["The last row is the share of draws whose output exceeds the threshold: for "
                  "p*, the probability that space wins at today's launch price."]])


# --- Functions and xlwings.conf ------------------------------------------------------------------

def _functions_sheet(s: SheetWriter) -> None:
    s.title_block("Functions", "Every Excel function of the add-in, from its function catalogue.")
    s.header(["Category", "Signature", "What it returns", "Result", "Unit",
              "Example (type it after =)"])
    # Without its "=", an example stays text in every spreadsheet program and tool.
    s.text_rows([[*r[:5], r[5].removeprefix("=")] for r in reference.rows()], wrap_cols=(3,))
    s.row += 1
    s.header(["Function", "Argument", "Unit", "Required", "Help"])
    s.text_rows(reference.argument_rows())


def _conf_sheet(s: SheetWriter) -> None:
    # xlwings reads column A (keys) and B (values) of a sheet named exactly "xlwings.conf".
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


# --- About ---------------------------------------------------------------------------------------

def _about_sheet(s: SheetWriter) -> None:
    s.title_block(TITLE, f"Built by xlmodel {__version__}. Every number is computed by the "
                  "Python functions and checked against plain Excel formulas.")
    s.cell(s.row, 1, "What this workbook answers", bold=True, size=12)
    s.row += 1
    s.header(["#", "The essay claims", "Where", "Function"])
    s.text_rows(CLAIMS, wrap_cols=(2, 3))
    s.row += 1
    s.cell(s.row, 1, "How to read it", bold=True, size=12)
    s.row += 1
    s.cell(s.row, 2, "Blue cells on a yellow fill are inputs", style="input")
    s.row += 1
    s.cell(s.row, 2, "Green cells are results of the Python functions", style="result")
    s.row += 1
    s.cell(s.row, 2, "Black cells are plain Excel formulas; a Check column shows the relative "
           "difference between the two (green: under 1e-9)")
    s.row += 2
    s.cell(s.row, 1, "Turning the functions on", bold=True, size=12)
    s.row += 1
    s.text_rows([
        ["", "Classic xlwings (Windows): pip install xlmodel, then 'xlwings addin install'. "
         "Open the .xlsm version of this workbook; the xlwings.conf sheet already names the "
         "module. On the xlwings ribbon, click Import Functions."],
        ["", "xlwings Lite (Windows, Mac, web): run 'xlmodel lite FOLDER' and paste main.py "
         "and requirements.txt into xlwings Lite's editor, then restart Python."],
        ["", "Without Python, every cell still shows the numbers saved when the workbook was "
         "built."],
    ], wrap_cols=(2,))
    s.row += 1
    s.cell(s.row, 1, "Sources", bold=True, size=12)
    s.row += 1
    s.text_rows([["", src] for src in SOURCES], wrap_cols=(2,))


# --- helpers ---------------------------------------------------------------------------------

def _fmt(unit: str) -> str | None:
    return {"$/kg": "$/kg", "$/W": "$/W", "$/W/yr": "$/W/yr", "$/Mtok": "$/Mtok",
            "$/kWh": "$/kWh", "%/yr": "%", "%": "%", "year": "year", "GW": "GW",
            "1/yr": "0.000", "yr": "0.00", "-": "0.000", "W/kg": "0.0",
            "tok/J": "0.00"}.get(unit)


def _col(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)
