"""The Curves sheet: token cost, launch price and build-out over the years, with charts.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.chart.marker import Marker

from xlmodel.template.economics.common import (
    CURVE_END,
    CURVE_START,
    _axes_visible,
    _Checks,
    _setup,
    _title,
)
from xlmodel.template.economics.model_sheet import _if_year, _next_year
from xlmodel.template.writer import SheetWriter, check_formula

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


