"""xlmodel: the economics of AI compute, on Earth and in orbit, as Excel functions.

Layers, each depending only on those before it: :mod:`xlmodel.model` (pure numpy),
:mod:`xlmodel.inputs` (sourced defaults and scenarios), :mod:`xlmodel.catalogue` (the Excel
functions), then the adapters: the xlwings module, the workbook generator, the harness, the CLI.
"""

__version__ = "0.1.0"
