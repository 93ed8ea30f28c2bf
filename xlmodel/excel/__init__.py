"""Floor 6, Excel itself: the functions in each xlwings runtime.

Owns :mod:`~xlmodel.excel.udf_module` (writes the ``xlmodel_udfs`` module that classic
xlwings, xlwings Server and xlwings Lite import, and the Lite bundle),
:mod:`~xlmodel.excel.runtime` (what a function returns in each runtime; the generated module
calls it) and :mod:`~xlmodel.excel.server` (``xlmodel server``: xlwings Server for the
Office.js add-in).

May import: :mod:`xlmodel.errors`, :mod:`xlmodel.model`, :mod:`xlmodel.functions`, and
xlwings (lazily, so that writing the module needs no xlwings). It needs nothing of the
workbook or harness floors below it, and nothing of the template above it.
"""
