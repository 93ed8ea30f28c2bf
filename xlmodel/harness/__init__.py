"""Floor 5, the headless harness: recompute a saved workbook and compare with the values
saved in it (``xlmodel check``, ``xlmodel calc``, the pytest plugin).

Two modes:

* ``local``: each cell that calls one of our functions is recomputed from the *saved*
  values of its arguments (argument expressions and nested calls are evaluated too). A
  regression in one function shows up alone, whatever the rest of the chain does.
* ``full``: the whole workbook is recomputed from its input cells, native formulas on
  IronCalc (:mod:`~xlmodel.harness.engine`) and our functions by the catalogue, and every
  formula cell is compared. A cell that cannot be recomputed (an external link, a 3-D
  reference, a data table, a function no engine has ...) keeps its saved value and is
  reported as *not recomputed*, with its reason; ``strict`` makes those failures.

Nothing in a file is ever executed: :mod:`xlmodel.workbook` reads the package first, with
limits on size, ratio and cell count, and the engines only ever see what it read (formula
text, cell by cell); macros are ignored.

Owns :mod:`~xlmodel.harness.loading` (read, vet every formula, find our calls),
:mod:`~xlmodel.harness.checking` (the check in either mode, and ``update``),
:mod:`~xlmodel.harness.compare` (saved against recomputed, with tolerance),
:mod:`~xlmodel.harness.report` (the report and its text, JSON and JUnit forms), the IronCalc
adapter (:mod:`~xlmodel.harness.engine`, :mod:`~xlmodel.harness.formula_text`), the fixes of
functions IronCalc gets wrong (:mod:`~xlmodel.harness.fixes`), LibreOffice as a second
engine and renderer (:mod:`~xlmodel.harness.libreoffice`) and the pytest plugin
(:mod:`~xlmodel.harness.pytest_plugin`).

May import every floor below it: the workbook file, the formula language, the function
catalogue and the model; ironcalc and openpyxl only lazily, so that ``import
xlmodel.harness`` stays fast. Above it stand the xlwings runtimes, the template (whose build
computes its cached values with this floor's recalculation), the CLI and :mod:`xlmodel.api`.

Typical use::

    from xlmodel import harness

    report = harness.check("model.xlsx", "full")
    print(harness.format_report(report))
"""

from xlmodel.harness.checking import MODES, check, update
from xlmodel.harness.compare import ATOL, RTOL, difference, same
from xlmodel.harness.loading import MAX_CELLS, MAX_ROWS, MAX_TEXT, OurCalls, from_data, load
from xlmodel.harness.report import Mismatch, Report, format_report, to_json, to_junit

__all__ = [
    "ATOL",
    "MAX_CELLS",
    "MAX_ROWS",
    "MAX_TEXT",
    "MODES",
    "Mismatch",
    "OurCalls",
    "RTOL",
    "Report",
    "check",
    "difference",
    "format_report",
    "from_data",
    "load",
    "same",
    "to_json",
    "to_junit",
    "update",
]
