"""The Scenarios and Inputs sheets: every input named, labelled, sourced and validated.
"""

from __future__ import annotations

from openpyxl.worksheet.datavalidation import DataValidation

from xlmodel.formula.cellrefs import column_letters
from xlmodel.model.costs import KWH_PER_W_YEAR
from xlmodel.model.inputs import INPUTS, SCENARIOS
from xlmodel.template.economics.common import (
    _DOMAIN_CHECKS,
    CONSTANTS,
    LABELS,
    _Checks,
    _display,
    _setup,
    _wrap_merged,
)
from xlmodel.template.writer import SheetWriter

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
        tests = [f'IF({column_letters(3 + k)}{s.row}="",TRUE,{_DOMAIN_CHECKS[i.domain]})'
                 .replace("{x}", f"{column_letters(3 + k)}{s.row}") for k in range(len(names))]
        s.cell(s.row, 4 + len(names), f"=IF(AND({','.join(tests)}),1,0)", fmt="pass")
        s.row += 1
    last = s.row - 1
    valid = f"{column_letters(4 + len(names))}"
    s.pass_format(f"{valid}{first}:{valid}{last}")
    s.book.define("scenario_values_valid", s.title, f"${valid}${first}:${valid}${last}")
    checks.add("Scenario consistency", "Every scenario's values lie in their inputs' domains",
               "=COUNTIF(scenario_values_valid,0)")
    checks.add("Scenario consistency", "The scenario picked is a column of the Scenarios sheet",
               "=IF(ISNA(MATCH(Scenario,ScenarioNames,0)),1,0)")
    end = column_letters(2 + len(names))
    s.book.define("ScenarioNames", s.title, f"$C${first - 1}:${end}${first - 1}")
    s.book.define("ScenarioTable", s.title, f"$C${first}:${end}${last}")
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


