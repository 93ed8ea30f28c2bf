"""Floor 7, the template workbooks: the openpyxl generator behind ``xlmodel build``.

Owns :mod:`~xlmodel.template.build` (builds every template with its cached values, pins the
package bytes, embeds the VBA project and the xlwings module), :mod:`~xlmodel.template.economics`
(the sheets of the AI compute economics template, described as data) and
:mod:`~xlmodel.template.writer` (the openpyxl writing of those descriptions: styles, names,
native-formula twins, charts, print setup).

May import every floor below: the model and its inputs, the function catalogue, the formula
language (for the formula lint), the OOXML package layer, the harness's recalculation (the
cached values are computed as ``xlmodel check --mode full`` recomputes them) and the xlwings
module writer; openpyxl and xlwings. Only the CLI and :mod:`xlmodel.api` stand above it.
"""
