"""xlmodel: the economics of AI compute, on Earth and in orbit, as Excel functions.

Floors, each importing only those below it (ARCHITECTURE.md): :mod:`xlmodel.model` (the
equations, inputs and scenarios, pure numpy), :mod:`xlmodel.functions` (the Excel functions),
:mod:`xlmodel.formula` (Excel's formula language), :mod:`xlmodel.workbook` (the OOXML package),
:mod:`xlmodel.excel` (the xlwings runtimes), :mod:`xlmodel.template` (the template workbooks),
:mod:`xlmodel.harness` (``xlmodel check``), and on top the CLI and :mod:`xlmodel.api`, the
model from Python as pandas objects:

>>> import xlmodel
>>> xlmodel.summary()                     # headline figures of every scenario
>>> xlmodel.input_table("essay")          # inputs with units, ranges and sources
>>> xlmodel.scenario_table()              # every scenario's values
>>> xlmodel.tornado("base")               # sensitivity of p*
>>> xlmodel.monte_carlo(draws=10**6)      # percentiles; return_draws=True adds the draws
>>> xlmodel.what_must_be_true("essay")    # each input's value for space to break even
>>> xlmodel.required_value("specific_power_w_per_kg", "essay")
>>> xlmodel.call("LAUNCH_FLIGHTS", 1)     # any Excel function, as a cell would call it
>>> xlmodel.check("workbooks/ai_compute_economics.xlsx")  # harness report, one row a cell

These are imported on first use, so that the Excel runtimes (numpy only) never load pandas.
"""

from xlmodel._version import __version__

_API = ("call", "check", "input_table", "monte_carlo", "required_value", "scenario_table",
        "summary", "tornado", "what_must_be_true")

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from xlmodel import api

        return getattr(api, name)
    raise AttributeError(f"module 'xlmodel' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_API})
