"""The template ``ai_compute_economics``: every claim of the essay, live.

Read top to bottom, :func:`build` is the workbook: one module per sheet or pair of sheets
(About, Inputs, Scenarios, Model, Curves, Mass and cadence, What must be true, Sensitivity,
Monte Carlo, Checks, Functions and xlwings.conf), and :mod:`~.common` for what they share.

The layout follows the FAST standard: inputs (blue on yellow) apart from calculations (black)
and checks; every constant a named, labelled, sourced cell; one short formula per row. Every
Python-function result sits beside its native-formula twin, which computes from the inputs
alone, and a check cell; the Checks sheet rolls every check up into one master check that the
About sheet shows.
"""

from __future__ import annotations

from xlmodel.template.economics.about import (
    _about_sheet,
    _checks_sheet,
    _checks_top,
    _conf_sheet,
    _functions_sheet,
)
from xlmodel.template.economics.common import CLAIMS, NAME, TITLE, _Checks
from xlmodel.template.economics.curves import _curves_sheet
from xlmodel.template.economics.inputs import _inputs_sheet, _scenarios_sheet
from xlmodel.template.economics.mass import _mass_sheet
from xlmodel.template.economics.model_sheet import _model_sheet
from xlmodel.template.economics.required import _what_must_be_true_sheet
from xlmodel.template.economics.sensitivity import _monte_carlo_sheet, _sensitivity_sheet
from xlmodel.template.writer import Book

__all__ = ["CLAIMS", "NAME", "TITLE", "build"]


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
