"""A small layer over openpyxl that writes a sheet top to bottom, the modeller's way.

Cells that other formulas use get a workbook-scoped defined name when they are written;
formulas then refer to them by name, so no cell address is typed twice. Styles follow the
usual financial-modelling convention: blue inputs on a light fill, black formulas, results
on a light green fill, and a check column that turns red when a difference is not zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula

BLUE = "0000FF"
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
RESULT_FILL = PatternFill("solid", fgColor="E2EFDA")
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
SECTION_FILL = PatternFill("solid", fgColor="D9E1F2")
RED_FILL = PatternFill("solid", fgColor="F8CBAD")
GREEN_FILL = PatternFill("solid", fgColor="C6EFCE")
THIN = Side(style="thin", color="BFBFBF")

FORMATS = {
    "$/kg": '"$"#,##0;"-$"#,##0',
    "$/W": '"$"#,##0.00',
    "$/W/yr": '"$"#,##0.000',
    "$/Mtok": '"$"0.0000',
    "$/kWh": '"$"0.000',
    "%": "0.0%",
    "year": "0",
    "int": "#,##0",
    "GW": "#,##0.0",
    "t": "#,##0",
    "check": "0.0E+00",
    "sci": "0.00E+00",
    "number": "#,##0.000",
    "ratio": "0.000",
    "text": "@",
    "pass": '"OK";"FAIL";"FAIL"',
}

#: Relative difference above which a check cell turns red (the Checks sheet's tolerance).
CHECK_TOLERANCE = 1e-9

_NAME_LIKE_CELL = re.compile(r"^(?:[A-Za-z]{1,3}[0-9]+|[Rr][0-9]*[Cc][0-9]*)$")


@dataclass
class Spill:
    """A spilling formula: anchor cell and the range it fills when computed."""

    sheet: str
    anchor: str
    ref: str


@dataclass
class Book:
    """The workbook being written, with its names, spills and formula cells."""

    wb: Workbook = field(default_factory=Workbook)
    names: dict[str, str] = field(default_factory=dict)
    spills: list[Spill] = field(default_factory=list)

    def __post_init__(self):
        self.wb.remove(self.wb.active)

    def sheet(self, title: str, *, tab_color: str | None = None, widths=()) -> SheetWriter:
        ws = self.wb.create_sheet(title)
        if tab_color:
            ws.sheet_properties.tabColor = tab_color
        for col, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.sheet_view.showGridLines = False
        return SheetWriter(self, ws)

    def ref_of(self, name: str) -> str:
        """The sheet-qualified absolute reference a defined name stands for."""
        return self.names[name]

    def define(self, name: str, sheet: str, ref: str) -> None:
        """A workbook-scoped name for an absolute reference such as ``$B$4`` or ``$A$1:$B$9``."""
        if _NAME_LIKE_CELL.match(name):
            raise ValueError(f"defined name {name!r} looks like a cell reference")
        if name.lower() in (n.lower() for n in self.names):
            raise ValueError(f"defined name {name!r} is defined twice")
        target = f"{quote_sheetname(sheet)}!{ref}"
        self.names[name] = target
        self.wb.defined_names[name] = DefinedName(name, attr_text=target)


def absolute(row: int, col: int) -> str:
    return f"${get_column_letter(col)}${row}"


class SheetWriter:
    """Writes one sheet row by row."""

    def __init__(self, book: Book, ws):
        self.book = book
        self.ws = ws
        self.row = 1

    @property
    def title(self) -> str:
        return self.ws.title

    # --- cells -----------------------------------------------------------------------------

    def cell(self, row: int, col: int, value=None, *, fmt: str | None = None, bold=False,
             style: str = "plain", name: str | None = None, wrap=False, italic=False,
             size: int | None = None, color: str | None = None):
        c = self.ws.cell(row=row, column=col)
        if value is not None:
            c.value = value
        font = dict(bold=bold, italic=italic)
        if size:
            font["size"] = size
        if style == "input":
            font["color"] = BLUE
            c.fill = INPUT_FILL
            c.border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
        elif style == "result":
            c.fill = RESULT_FILL
        elif style == "header":
            font.update(bold=True, color="FFFFFF")
            c.fill = HEADER_FILL
        elif style == "section":
            font["bold"] = True
            c.fill = SECTION_FILL
        if color:
            font["color"] = color
        c.font = Font(**font)
        if fmt:
            c.number_format = FORMATS.get(fmt, fmt)
        if wrap:
            c.alignment = Alignment(wrap_text=True, vertical="top")
            self._fit_height(row, col, value)
        else:  # beside wrapped text, a row reads from its top line
            c.alignment = Alignment(vertical="top")
        if name:
            self.book.define(name, self.title, absolute(row, col))
        return c

    def _fit_height(self, row: int, col: int, value) -> None:
        # Spreadsheets do not grow a row for wrapped text written by a program, and
        # LibreOffice renders overlapping lines: size the row from the text's length.
        if not isinstance(value, str):
            return
        width = self.ws.column_dimensions[get_column_letter(col)].width or 10
        lines = max(1, -(-len(value) * 11 // (int(width) * 10)))
        height = 15 * lines
        current = self.ws.row_dimensions[row].height or 15
        self.ws.row_dimensions[row].height = max(current, height)

    def ref(self, row: int, col: int) -> str:
        return f"{get_column_letter(col)}{row}"

    # --- blocks ----------------------------------------------------------------------------

    def title_block(self, title: str, subtitle: str = "") -> None:
        self.cell(self.row, 1, title, bold=True, size=14)
        self.row += 1
        if subtitle:
            self.cell(self.row, 1, subtitle, italic=True, color="595959")
            self.row += 1
        self.row += 1

    def header(self, labels, *, col: int = 1) -> None:
        for k, label in enumerate(labels):
            self.cell(self.row, col + k, label, style="header", wrap=True)
        self.row += 1

    def section(self, label: str, width: int) -> None:
        for k in range(width):
            self.cell(self.row, 1 + k, label if k == 0 else None, style="section")
        self.row += 1

    def text_rows(self, rows, *, col: int = 1, wrap_cols=(), bold_first=False) -> None:
        """Rows of text: never formulas, even when a text starts with '=' (an example)."""
        for values in rows:
            for k, v in enumerate(values):
                c = self.cell(self.row, col + k, v, wrap=(col + k) in wrap_cols,
                              bold=bold_first and k == 0)
                if isinstance(v, str):
                    c.data_type = "s"
                if (col + k) not in wrap_cols:
                    c.alignment = Alignment(vertical="top")
            self.row += 1

    def spill(self, row: int, col: int, formula: str, rows: int, cols: int, *, fmt=None,
              name: str | None = None) -> str:
        """A spilling formula at (row, col) expected to fill ``rows`` x ``cols`` cells.

        Written as an array formula over that range; the build marks it dynamic so that
        Excel 365 spills it. Returns the range reference.
        """
        ref = f"{self.ref(row, col)}:{self.ref(row + rows - 1, col + cols - 1)}"
        self.ws.cell(row=row, column=col).value = ArrayFormula(ref, formula)
        for r in range(row, row + rows):
            for c in range(col, col + cols):
                cell = self.ws.cell(row=r, column=c)
                cell.fill = RESULT_FILL
                if fmt:
                    cell.number_format = FORMATS.get(fmt, fmt)
        self.book.spills.append(Spill(self.title, self.ref(row, col), ref))
        if name:
            self.book.define(name, self.title,
                             f"{absolute(row, col)}:{absolute(row + rows - 1, col + cols - 1)}")
        return ref

    def check_format(self, ref: str) -> None:
        """Red when the difference exceeds the workbook's check tolerance, green otherwise."""
        self.ws.conditional_formatting.add(
            ref, CellIsRule(operator="greaterThan", formula=["check_tolerance"], fill=RED_FILL))
        self.ws.conditional_formatting.add(
            ref, CellIsRule(operator="lessThanOrEqual", formula=["check_tolerance"],
                            fill=GREEN_FILL))

    def pass_format(self, ref: str) -> None:
        """A pass flag (1 OK, 0 FAIL): red on failure, green on a pass."""
        first = ref.split(":")[0]
        self.ws.conditional_formatting.add(ref, FormulaRule(formula=[f"{first}<>1"],
                                                            fill=RED_FILL))
        self.ws.conditional_formatting.add(ref, FormulaRule(formula=[f"{first}=1"],
                                                            fill=GREEN_FILL))

    def page_setup(self, *, version: str, title: str, landscape: bool = True,
                   one_page: bool = False, title_rows: str | None = None,
                   last_col: int | None = None, last_row: int | None = None,
                   print_area: bool = True) -> None:
        """Print setup: fit to one page wide (and tall when ``one_page``), print area, print
        titles, and a header and footer naming the sheet and the version."""
        ws = self.ws
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 1 if one_page else 0
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.page_margins.header = ws.page_margins.footer = 0.25
        last_col = last_col or ws.max_column
        last_row = last_row or ws.max_row
        if print_area:  # LibreOffice prints a hidden sheet that has a print area
            ws.print_area = f"A1:{get_column_letter(last_col)}{last_row}"
        if title_rows:
            ws.print_title_rows = title_rows
        ws.oddHeader.left.text = "&A"
        ws.oddHeader.left.size = 9
        ws.oddHeader.right.text = f"{title} - xlmodel {version}"
        ws.oddHeader.right.size = 9
        ws.oddFooter.left.text = "&A"
        ws.oddFooter.left.size = 8
        ws.oddFooter.right.text = "page &P of &N"
        ws.oddFooter.right.size = 8


def check_formula(udf_ref: str, twin_ref: str) -> str:
    """Relative difference between a Python result and its native twin.

    An error on either side is a failure (1), except #N/A on both sides, the one error both
    give on purpose (e.g. a crossover that never happens). Any other error in the Python
    cell (#NAME? where the add-in is missing, #NUM! from bad input) never counts as agreement.
    """
    u, t = udf_ref, twin_ref
    return (f"=IF(OR(ISERROR({u}),ISERROR({t})),IF(AND(ISNA({u}),ISNA({t})),0,1),"
            f"IF({t}={u},0,ABS({t}-{u})/MAX(ABS({t}),ABS({u}))))")
