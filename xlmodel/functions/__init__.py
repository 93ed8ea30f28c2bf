"""Floor 2, the Excel functions: the catalogue of xlmodel's functions and Excel's calling
convention for them.

Owns :mod:`~xlmodel.functions.catalogue` (every function's name, arguments, units, help text
and the model function it calls, and :func:`~xlmodel.functions.catalogue.invoke`), with
:mod:`~xlmodel.functions.arguments` (what an entry is, and the ``assumptions`` argument) and
:mod:`~xlmodel.functions.implementations` (entries that need more than one model call);
:mod:`~xlmodel.functions.calling` (how a spreadsheet hands
arguments over and what it gets back: 2-D lists of cell values and Excel error values, never
a traceback), :mod:`~xlmodel.functions.spellings` (the names a saved workbook may use for our
functions) and :mod:`~xlmodel.functions.reference` (the function reference for the README
and the Functions sheet).

May import: :mod:`xlmodel.errors`, :mod:`xlmodel.model` and numpy. Nothing that knows about
a runtime, a workbook file or the harness: every runtime (xlwings, Lite, Server, the harness,
the template) calls down into this floor, and it travels whole in the xlwings Lite bundle.
"""
