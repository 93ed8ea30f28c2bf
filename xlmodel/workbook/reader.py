"""Read sheets, formulas, cached values and defined names from an .xlsx/.xlsm package.

Safe on hostile files (:func:`read_workbook`): every failure is a
:class:`~xlmodel.errors.WorkbookError` with a one-line message, DTDs are forbidden, zip
bombs are refused both from the declared sizes and while decompressing, and the cell,
row and element counts are bounded so that a huge sheet fails within seconds in bounded
memory. Shared strings and worksheets stream through the hardened expat parser.
"""

from __future__ import annotations

import math
import os
import re
from datetime import datetime

from xlmodel.errors import EXCEL_ERROR_CODES, ExcelError
from xlmodel.formula.cellrefs import (
    MAX_COL,
    MAX_ROW,
    cell_position,
    make_ref,
    parse_range,
    translate_formula,
)
from xlmodel.workbook.data import Cell, SheetInfo, WorkbookData
from xlmodel.workbook.limits import CHUNK, Limits, MiB
from xlmodel.workbook.package import Package, guard, local_name
from xlmodel.workbook.sheet_scan import read_plain_sheet
from xlmodel.workbook.structure import (
    NS_MAIN,
    NS_STRICT,
    REL_SHARED_STRINGS,
    REL_VBA_PROJECT,
    Structure,
    metadata_info,
    read_defined_names,
    read_structure,
)
from xlmodel.workbook.xmlparse import prescan, stream_parse, surely_within

#: Read plain worksheets with one scan of their cells (:mod:`xlmodel.workbook.sheet_scan`),
#: with the same result as streaming them; False streams every sheet (the tests compare).
FAST_SHEETS = True

_M = NS_MAIN + "}"
_C, _ROW, _V, _F, _IS, _T, _RPH, _SI = (
    _M + "c", _M + "row", _M + "v", _M + "f", _M + "is", _M + "t", _M + "rPh", _M + "si"
)
_ESCAPED_CHAR_RE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape_ooxml(text: str) -> str:
    """Undo the ``_xHHHH_`` escapes OOXML uses for characters XML cannot carry."""
    if "_x" not in text:
        return text
    return _ESCAPED_CHAR_RE.sub(lambda m: chr(int(m.group(1), 16)), text)


class _StringsHandler:
    """Collects ``<si>`` texts: plain ``<t>`` and rich-text runs, without phonetic runs."""

    def __init__(self, pkg: Package, name: str):
        self.pkg, self.name = pkg, name
        self.strings: list[str] = []
        self.parts: list[str] | None = None
        self.text: list[str] | None = None
        self.phonetic = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.pkg.elements += 1
        if self.pkg.elements > self.pkg.max_elements:
            self.pkg.fail(f"too many XML elements in {self.name}")
        if tag == _SI:
            self.parts = []
        elif tag == _T and self.parts is not None and not self.phonetic:
            self.text = []
        elif tag == _RPH:
            self.phonetic += 1

    def end(self, tag: str) -> None:
        if tag == _T and self.text is not None:
            self.parts.append("".join(self.text))
            self.text = None
        elif tag == _RPH:
            self.phonetic -= 1
        elif tag == _SI and self.parts is not None:
            self.strings.append(_unescape_ooxml("".join(self.parts)))
            self.parts = None
            if len(self.strings) > self.pkg.limits.max_cells:
                self.pkg.fail(f"too many shared strings in {self.name}")

    def data(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)


def _shared_strings(pkg: Package, structure: Structure) -> list[str]:
    part = structure.rel_part(REL_SHARED_STRINGS)
    if part is None or pkg.info(part) is None:
        return []
    handler = _StringsHandler(pkg, part)
    stream_parse(pkg, part, handler, pkg.chunks(part))
    return handler.strings


class _SheetHandler:
    """Expat handlers that turn a worksheet part into :class:`Cell` objects as it streams."""

    number_re = None  # _NUMBER_RE, set below (the fast path reads numbers the same way)

    def __init__(self, pkg, name, sheet, strings, meta, cell_budget, max_rows):
        self.pkg, self.name, self.sheet = pkg, name, sheet
        self.strings, self.meta = strings, meta
        self.cell_budget, self.max_rows = cell_budget, max_rows
        self.cells: dict[str, Cell] = {}
        # every <c> seen, to refuse duplicates: row * 16385 + column (an int hashes faster
        # and takes less memory than a tuple)
        self.positions: set[int] = set()
        self.row_given = False  # the current <row> has an r attribute
        self.row_numbers: set[int] = set()
        self.masters: dict[str, tuple[int, int, str]] = {}
        self.count = 0
        self.rows = 0
        self.row = 0
        self.col = 0
        self.text: list[str] | None = None
        self.inline: list[str] | None = None
        self.phonetic = 0
        self.cell: tuple[int, int, str, dict[str, str]] | None = None
        self.f_attrs: dict[str, str] | None = None
        self.f_text: str | None = None
        self.v_text: str | None = None

    def fail(self, message: str) -> None:
        self.pkg.fail(f"sheet {self.sheet!r}: {message}")

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        pkg = self.pkg
        pkg.elements += 1
        if pkg.elements > pkg.max_elements:
            pkg.fail(f"too many XML elements: more than {pkg.limits.max_elements}")
        if self.text is not None:  # <v>, <f> and <t> hold text only: a corrupt sheet
            self.fail(f"{self.cell[2] + ': ' if self.cell else ''}<{local_name(tag)}> inside "
                      "the text of another element")
        if tag == _C:
            if self.cell is not None:
                self.fail(f"{self.cell[2]}: a cell inside another cell")
            self.count += 1
            if self.count > self.cell_budget:
                pkg.fail(f"too many cells: more than {pkg.limits.max_cells}")
            ref = attrs.get("r")
            if ref:
                try:
                    row, col, ref = cell_position(ref)
                except ValueError:
                    self.fail(f"bad cell reference {ref!r}")
            else:
                row, col = self.row, self.col + 1
                if not 1 <= col <= MAX_COL or row < 1:
                    self.fail(f"cell without a reference outside the sheet in row {row}")
                ref = make_ref(row, col)
            if self.row_given and row != self.row:
                self.fail(f"cell {ref} stands in row {self.row}")
            position = row * 16_385 + col  # (col <= 16,384: one int per cell)
            if position in self.positions:
                self.fail(f"duplicate cell {ref}: a corrupt sheet")
            self.positions.add(position)
            self.col = col
            self.cell = (row, col, ref, attrs)
            self.f_attrs = self.f_text = self.v_text = self.inline = None
        elif tag == _V or tag == _F:
            if self.cell is None:
                self.fail(f"<{local_name(tag)}> outside a cell")
            if (self.v_text if tag == _V else self.f_attrs) is not None:
                self.fail(f"{self.cell[2]}: two <{local_name(tag)}> elements in one cell")
            self.text = []
            if tag == _F:
                self.f_attrs = attrs
        elif tag == _ROW:
            if self.cell is not None:
                self.fail(f"{self.cell[2]}: a row inside a cell")
            self.rows += 1
            if self.rows > self.max_rows:
                pkg.fail(f"too many rows: more than {self.max_rows} in sheet {self.sheet!r}")
            r = attrs.get("r")
            self.row_given = bool(r)
            try:
                self.row = int(r) if r else self.row + 1
            except ValueError:
                self.fail(f"bad row number {r!r}")
            if not 1 <= self.row <= MAX_ROW:
                self.fail(f"row number {self.row} outside the sheet")
            if self.row in self.row_numbers:
                self.fail(f"duplicate row {self.row}: a corrupt sheet")
            self.row_numbers.add(self.row)
            self.col = 0
        elif tag == _IS:
            self.inline = []
        elif tag == _T and self.inline is not None and not self.phonetic:
            self.text = []
        elif tag == _RPH:
            self.phonetic += 1
        elif tag.startswith(NS_STRICT):
            self.fail("strict Open XML is not supported")

    def data(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)

    def end(self, tag: str) -> None:
        if tag == _V:
            self.v_text = "".join(self.text)
            self.text = None
        elif tag == _F:
            self.f_text = "".join(self.text)
            self.text = None
        elif tag == _T and self.text is not None:
            self.inline.append("".join(self.text))
            self.text = None
        elif tag == _RPH:
            self.phonetic -= 1
        elif tag == _C:
            self._finish_cell()
            self.cell = None

    def _finish_cell(self) -> None:
        row, col, ref, attrs = self.cell
        formula, array_ref = self._formula(row, col, ref)
        value = self._value(attrs.get("t", "n"), ref)
        if formula is None and value is None:
            return
        dynamic = False
        cm = attrs.get("cm")
        if cm is not None and formula is not None:
            try:
                dynamic = self.meta.any_cm_dynamic or int(cm) in self.meta.dynamic_cms
            except ValueError:
                self.fail(f"{ref}: bad cm attribute {cm!r}")
        self.cells[ref] = Cell(self.sheet, ref, row, col, formula, value, array_ref, dynamic)

    def _formula(self, row: int, col: int, ref: str) -> tuple[str | None, str | None]:
        attrs = self.f_attrs
        if attrs is None:
            return None, None
        text = self.f_text or ""
        kind = attrs.get("t", "normal")
        if kind == "shared":
            si = attrs.get("si")
            if si is None:
                self.fail(f"{ref}: shared formula without si")
            if text:
                self.masters[si] = (row, col, text)
                return text, None
            master = self.masters.get(si)
            if master is None:
                self.fail(f"{ref}: shared formula si={si} has no master cell before it")
            mrow, mcol, mtext = master
            return translate_formula(mtext, row - mrow, col - mcol), None
        if kind == "array":
            return text, self._array_ref(attrs.get("ref", ref), row, col, ref)
        if kind == "dataTable":
            r1, r2 = attrs.get("r1", ""), attrs.get("r2", "")
            if attrs.get("dt2D", "0") in ("1", "true"):
                args = f"{r1},{r2}"
            elif attrs.get("dtr", "0") in ("1", "true"):
                args = f"{r1},"
            else:
                args = f",{r1}"
            return f"TABLE({args})", self._array_ref(attrs.get("ref", ref), row, col, ref)
        return (text or None), None

    def _array_ref(self, text: str, row: int, col: int, ref: str) -> str:
        """The range an array formula fills: on its own sheet, inside the grid, starting at
        its cell, and no larger than the cells the reader may read."""
        try:
            r1, c1, r2, c2 = parse_range(text)
        except ValueError:
            self.fail(f"{ref}: bad array range {text[:40]!r} (a range on the cell's own sheet "
                      "inside A1:XFD1048576)")
        if (r1, c1) != (row, col):
            self.fail(f"{ref}: array range {text[:40]} does not start at the cell")
        cells = (r2 - r1 + 1) * (c2 - c1 + 1)
        self.pkg.array_cells += cells
        if self.pkg.array_cells > self.pkg.limits.max_cells:
            self.fail(f"{ref}: array range {text} takes the cells array formulas cover past "
                      f"{self.pkg.limits.max_cells:,} (the cell limit)")
        return text

    def _value(self, kind: str, ref: str) -> object:
        if kind == "inlineStr":
            return None if self.inline is None else _unescape_ooxml("".join(self.inline))
        v = self.v_text
        if v is None:
            return None
        if kind == "n":
            if not v.strip():
                return None
            number = float(v) if _NUMBER_RE.fullmatch(v) else math.inf
            if not math.isfinite(number):  # NaN, INF, 1_0, other digits, 1e999
                self.fail(f"{ref}: bad number {v[:40]!r}")
            return number
        if kind == "s":
            index = int(v) if _INDEX_RE.fullmatch(v) else -1
            if not 0 <= index < len(self.strings):
                self.fail(f"{ref}: bad shared-string index {v[:40]!r} ({len(self.strings)} "
                          "shared strings)")
            return self.strings[index]
        if kind == "str":
            return _unescape_ooxml(v)
        if kind == "b":
            flag = v.strip().lower()
            if flag in ("1", "true"):
                return True
            if flag in ("0", "false"):
                return False
            self.fail(f"{ref}: bad boolean {v[:40]!r}")
        if kind == "e":
            code = v.strip().upper()
            if code in EXCEL_ERROR_CODES:
                return ExcelError(code)
            self.fail(f"{ref}: bad error value {v[:40]!r}")
        if kind == "d":
            serial = _iso_serial(v)
            if serial is None:
                self.fail(f"{ref}: bad date {v[:40]!r}")
            return serial
        self.fail(f"{ref}: unknown cell type {kind!r}")
        return None


#: A number as the file format writes it (xsd:double without INF/NaN), ASCII digits only.
_NUMBER_RE = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*",
                        re.ASCII)
_INDEX_RE = re.compile(r"\s*[0-9]{1,9}\s*", re.ASCII)
_SheetHandler.number_re = _NUMBER_RE


def _iso_serial(text: str) -> float | None:
    """An ISO 8601 date or date-time (a ``t="d"`` cell) as Excel's serial number, the
    value Excel itself computes with (1900 date system)."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    delta = when.replace(tzinfo=None) - datetime(1899, 12, 30)
    return delta.total_seconds() / 86400.0


def _read_sheet(pkg: Package, sheet: SheetInfo, strings, meta, cells_left: int) -> dict:
    limits = pkg.limits
    info = pkg.info(sheet.part)
    elements_left = limits.max_elements - pkg.elements
    # "<c/>" is the shortest cell: a part smaller than 4 bytes a cell cannot overflow.
    oversized = info.file_size // 4 > min(cells_left, limits.max_rows, elements_left)
    scanned = []

    def counted(data: bytes | None = None) -> None:
        if data is None or not surely_within(data, cells_left, limits.max_rows, elements_left):
            # (in the chunks the zip gives, so that the first limit passed is the same)
            prescan(pkg, sheet.part, cells_left, limits.max_rows, elements_left,
                    None if data is None else (data[i:i + CHUNK]
                                               for i in range(0, len(data), CHUNK)))
        scanned.append(True)

    def handler() -> _SheetHandler:
        return _SheetHandler(pkg, sheet.part, sheet.name, strings, meta, cells_left,
                             limits.max_rows)

    if FAST_SHEETS:
        filled = read_plain_sheet(pkg, sheet.part, handler, counted if oversized else None)
        if filled is not None:
            return filled.cells
    if oversized and not scanned:
        counted()
    streamed = handler()
    stream_parse(pkg, sheet.part, streamed, pkg.chunks(sheet.part))
    return streamed.cells


def read_workbook(
    path: str | os.PathLike[str],
    *,
    max_cells: int = 2_000_000,
    max_rows: int = MAX_ROW,
    max_uncompressed: int = 512 * MiB,
    max_ratio: float = 200.0,
    max_part_bytes: int = 256 * MiB,
) -> WorkbookData:
    """Read sheets, formulas, cached values and defined names from an .xlsx/.xlsm package.

    Parameters
    ----------
    path : str or path-like
        The workbook file.
    max_cells : int
        Most ``<c>`` elements read in the whole workbook.
    max_rows : int
        Most ``<row>`` elements in one sheet.
    max_uncompressed : int
        Most bytes [B] the members may declare, and the most inflated while reading.
    max_ratio : float
        Highest compression ratio allowed for a member above 1 MiB.
    max_part_bytes : int
        Largest single part [B] read.

    Returns
    -------
    WorkbookData

    Raises
    ------
    WorkbookError
        For anything wrong with the file, with a one-line message: not a zip, a corrupt
        or truncated zip, a zip bomb, a DTD or entity in any XML part, a missing part, a
        strict Open XML file, or a limit passed.
    """
    limits = Limits(max_cells, max_rows, max_uncompressed, max_ratio, max_part_bytes)
    path = os.fspath(path)
    with guard(path), Package(path, limits) as pkg:
        structure = read_structure(pkg)
        strings = _shared_strings(pkg, structure)
        meta = metadata_info(pkg, structure)
        cells: dict[str, dict[str, Cell]] = {}
        cells_left = max_cells
        for sheet in structure.sheets:
            if sheet.kind not in ("worksheet", "macrosheet"):
                cells[sheet.name] = {}
                continue
            sheet_cells = _read_sheet(pkg, sheet, strings, meta, cells_left)
            cells_left -= len(sheet_cells)
            cells[sheet.name] = sheet_cells
        vba_part = structure.rel_part(REL_VBA_PROJECT)
        has_vba = (vba_part is not None and pkg.info(vba_part) is not None) or (
            pkg.info("xl/vbaProject.bin") is not None
        )
        return WorkbookData(
            path=path,
            sheets=tuple(structure.sheets),
            cells=cells,
            defined_names=read_defined_names(structure.root, structure.sheets),
            has_vba=has_vba,
        )
