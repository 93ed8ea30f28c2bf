"""The Sensitivity (tornado) and Monte Carlo sheets, with their charts.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from xlmodel.formula.cellrefs import column_letters
from xlmodel.functions.catalogue import invoke
from xlmodel.template.economics.common import (
    _OUTPUT_ROWS,
    MC_BINS,
    MC_DRAWS,
    MC_PERCENTILES,
    _axes_visible,
    _Checks,
    _fmt,
    _setup,
    _title,
    _unit_formats,
)
from xlmodel.template.economics.model_sheet import _if_year
from xlmodel.template.writer import FORMATS, SheetWriter

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
                  f"$B${params + 4}:${column_letters(1 + len(MC_PERCENTILES))}${params + 4}")
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


