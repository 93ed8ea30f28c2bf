"""The Checks, Functions, xlwings.conf and About sheets.
"""

from __future__ import annotations

from xlmodel._version import __version__
from xlmodel.excel.udf_module import MODULE_NAME
from xlmodel.functions import reference
from xlmodel.template.economics.common import (
    CLAIMS,
    SOURCES,
    TITLE,
    _Checks,
    _paragraphs,
    _setup,
    _wrap_merged,
)
from xlmodel.template.writer import CHECK_TOLERANCE, SheetWriter

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


