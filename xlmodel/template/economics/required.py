"""The What must be true sheet: each input's value at which orbital equals terrestrial.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.pagebreak import Break

from xlmodel.functions.catalogue import invoke
from xlmodel.model.inputs import INPUTS
from xlmodel.template.economics.common import (
    LABELS,
    _axes_visible,
    _Checks,
    _display,
    _setup,
    _title,
    _unit_formats,
)
from xlmodel.template.economics.model_sheet import _if_year
from xlmodel.template.writer import SheetWriter, check_formula

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


