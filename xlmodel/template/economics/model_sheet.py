"""The Model sheet: every claim of the essay as a Python result beside its native twin.
"""

from __future__ import annotations

from xlmodel.functions.catalogue import OUTPUTS
from xlmodel.template.economics.common import (
    _OUTPUT_ROWS,
    NEWTON_STEPS,
    _Checks,
    _fmt,
    _setup,
    _twin_rows,
)
from xlmodel.template.writer import SheetWriter

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


