"""Floor 4, the workbook file: safe, lossless reading and writing of .xlsx/.xlsm packages at
the zip/XML level.

Why this exists: any openpyxl load+save drops every cached value and the dynamic-array
metadata, so tools that post-process or check a saved workbook must work on the package
itself (design/excel.md, section 2).

Owns, bottom to top: :mod:`~xlmodel.workbook.limits` (the limits every read is held to),
:mod:`~xlmodel.workbook.xmlparse` (hardened XML parsing: no DTD, no entities, bounded
tokens, the prescan of oversized sheets), :mod:`~xlmodel.workbook.package` (the zip package
read under those limits, its relationships), :mod:`~xlmodel.workbook.data` and
:mod:`~xlmodel.workbook.structure` (what a workbook holds: sheets, names, metadata),
:mod:`~xlmodel.workbook.reader` (:func:`read_workbook`, with the one-scan fast path for
plain worksheets in :mod:`~xlmodel.workbook.sheet_scan`), :mod:`~xlmodel.workbook.tables`
(Excel tables and their structured references), the byte-level editor
(:mod:`~xlmodel.workbook.xmltext`, :mod:`~xlmodel.workbook.sheet_edit`), the zip writer
(:mod:`~xlmodel.workbook.zipwriter`), the atomic write (:mod:`~xlmodel.workbook.atomic`)
and the public writers (:mod:`~xlmodel.workbook.writers`).

Reading is safe on hostile files: every failure is a :class:`~xlmodel.errors.WorkbookError`
with a one-line message, and sizes, ratios and cell, row and element counts are bounded.
Writing is text surgery over the XML tags: only the targeted spans of a part change,
untouched zip members are copied byte for byte, and the destination is replaced atomically.

May import: :mod:`xlmodel.errors`, :mod:`xlmodel.formula` (cell references, shared-formula
translation and the bracket matching of structured references), numpy and defusedxml.
Nothing that evaluates a formula, and not openpyxl, xlwings, the template or the harness.

Typical use::

    from xlmodel import workbook

    data = workbook.read_workbook("model.xlsx")
    data.value("Model", "B7")                      # the cached value
    workbook.write_cached_values("model.xlsx", "model.xlsx", {("Model", "B7"): 2.5})
"""

from xlmodel.workbook.atomic import fingerprint, folder_lock
from xlmodel.workbook.data import Cell, DefinedName, SheetInfo, WorkbookData
from xlmodel.workbook.reader import read_workbook
from xlmodel.workbook.writers import (
    inject_vba,
    mark_dynamic_arrays,
    pin_package,
    write_cached_values,
)

__all__ = [
    "Cell",
    "DefinedName",
    "SheetInfo",
    "WorkbookData",
    "fingerprint",
    "folder_lock",
    "inject_vba",
    "mark_dynamic_arrays",
    "pin_package",
    "read_workbook",
    "write_cached_values",
]
