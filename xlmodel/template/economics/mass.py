"""The Mass and cadence sheet: launch mass, flights and flights per year, and Wright's law
over cumulative mass.
"""

from __future__ import annotations

from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.chart.marker import Marker

from xlmodel.template.economics.common import (
    _axes_visible,
    _Checks,
    _input_row,
    _setup,
    _title,
    _twin_rows,
)
from xlmodel.template.writer import SheetWriter, check_formula

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


