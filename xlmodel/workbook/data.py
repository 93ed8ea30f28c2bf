"""What the reader finds in a workbook: cells, defined names, sheets."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from xlmodel.formula.cellrefs import make_ref, parse_ref


@dataclass(frozen=True, slots=True)
class Cell:
    """One ``<c>`` element that carries a formula or a value.

    Attributes
    ----------
    sheet, ref : str
        Sheet name and canonical A1 reference (``"B7"``).
    row, col : int
        1-based position.
    formula : str or None
        Formula text without the leading ``=``, shared formulas expanded for this cell.
    value : float, str, bool, ExcelError or None
        The cached value as saved; None when the cell has no ``<v>``. Dates stored as
        ``t="d"`` stay ISO 8601 text; error values Excel added after 2019 (``#BLOCKED!``...)
        read as ``#VALUE!`` with the original code in the message.
    array_ref : str or None
        The range of an array formula, on its anchor cell only.
    dynamic : bool
        True when the cell is flagged as a dynamic (spilling) array formula.
    """

    sheet: str
    ref: str
    row: int
    col: int
    formula: str | None
    value: object
    array_ref: str | None = None
    dynamic: bool = False


def _cell_init():
    # A reader makes one Cell per cell read (hundreds of thousands): the frozen dataclass's
    # own __init__ sets each field through object.__setattr__, twice as slow as setting
    # the slots directly. The same fields, defaults and immutability afterwards.
    set_sheet, set_ref, set_row, set_col, set_formula, set_value, set_array_ref, set_dynamic = (
        getattr(Cell, name).__set__ for name in Cell.__slots__)

    def __init__(self, sheet: str, ref: str, row: int, col: int, formula: str | None,
                 value: object, array_ref: str | None = None, dynamic: bool = False):
        set_sheet(self, sheet)
        set_ref(self, ref)
        set_row(self, row)
        set_col(self, col)
        set_formula(self, formula)
        set_value(self, value)
        set_array_ref(self, array_ref)
        set_dynamic(self, dynamic)

    return __init__


@dataclass(frozen=True, slots=True)
class DefinedName:
    """A defined name; ``scope`` is the sheet of a sheet-scoped name, None for the workbook."""

    name: str
    text: str
    scope: str | None = None
    hidden: bool = False

    @property
    def workbook_scoped(self) -> bool:
        """True when the name is visible from every sheet."""
        return self.scope is None


@dataclass(frozen=True, slots=True)
class SheetInfo:
    """A sheet listed in workbook.xml: its name, zip member, kind and visibility."""

    name: str
    part: str
    kind: str = "worksheet"
    state: str = "visible"


@dataclass(frozen=True)
class WorkbookData:
    """What :func:`read_workbook` found in a package.

    Attributes
    ----------
    path : str
        The file read.
    sheets : tuple of SheetInfo
        Every sheet in workbook order, chart sheets included.
    cells : mapping
        ``sheet name -> {ref: Cell}``, refs in file order; empty for chart sheets.
    defined_names : tuple of DefinedName
        Workbook- and sheet-scoped names.
    has_vba : bool
        True when the package carries a VBA project (``vbaProject.bin``).
    """

    path: str
    sheets: tuple[SheetInfo, ...]
    cells: Mapping[str, Mapping[str, Cell]]
    defined_names: tuple[DefinedName, ...] = ()
    has_vba: bool = False

    @property
    def sheet_names(self) -> tuple[str, ...]:
        """Sheet names in workbook order."""
        return tuple(s.name for s in self.sheets)

    def cell(self, sheet: str, ref: str) -> Cell | None:
        """The cell at ``ref`` (``$`` and lower case allowed) of ``sheet``, or None."""
        row, col = parse_ref(ref)
        return self.cells.get(sheet, {}).get(make_ref(row, col))

    def value(self, sheet: str, ref: str) -> object:
        """The cached value at ``sheet!ref``, None for an empty cell."""
        found = self.cell(sheet, ref)
        return None if found is None else found.value

    def iter_cells(self) -> Iterator[Cell]:
        """Every cell, sheet by sheet in workbook order, in file order within a sheet."""
        for name in self.sheet_names:
            yield from self.cells.get(name, {}).values()

    def formula_cells(self) -> Iterator[Cell]:
        """Every cell that carries a formula."""
        return (c for c in self.iter_cells() if c.formula is not None)


Cell.__init__ = _cell_init()
