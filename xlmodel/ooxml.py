"""Safe, lossless reading and writing of .xlsx/.xlsm packages at the zip/XML level.

Why this exists: any openpyxl load+save drops every cached value and the dynamic-array
metadata, so tools that post-process or check a saved workbook must work on the package
itself (design/excel.md, section 2).

Reading (:func:`read_workbook`) is safe on hostile files: every failure is a
:class:`~xlmodel.errors.WorkbookError` with a one-line message, DTDs are forbidden, zip
bombs are refused both from the declared sizes and while decompressing, and the cell,
row and element counts are bounded so that a huge sheet fails within seconds in bounded
memory.

Writing (:func:`write_cached_values`, :func:`mark_dynamic_arrays`, :func:`pin_package`,
:func:`inject_vba`) is text surgery over the XML tags: only the targeted spans of a part
change, untouched zip members are copied byte for byte (same order, names, compression
and timestamps), members created here get a fixed 1980-01-01 timestamp, and the
destination is replaced atomically.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import math
import numbers
import os
import posixpath
import re
import stat
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError
from xml.parsers import expat

import numpy as np
from defusedxml import DefusedXmlException
from defusedxml.common import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring as _defused_fromstring

from xlmodel.errors import EXCEL_ERROR_CODES, ExcelError, WorkbookError
from xlmodel.formula.cellrefs import column_letters, column_number

__all__ = [
    "Cell",
    "DefinedName",
    "SheetInfo",
    "WorkbookData",
    "inject_vba",
    "make_range",
    "make_ref",
    "mark_dynamic_arrays",
    "parse_range",
    "parse_ref",
    "pin_package",
    "read_workbook",
    "translate_formula",
    "write_cached_values",
]

MiB = 1 << 20

#: Excel's grid: 1,048,576 rows by 16,384 columns (XFD).
MAX_ROW = 1_048_576
MAX_COL = 16_384

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
NS_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_DCTERMS = "http://purl.org/dc/terms/"
NS_XDA = "http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships/"
REL_OFFICE_DOCUMENT = _REL + "officeDocument"
REL_CORE_PROPERTIES = (
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
)
REL_SHARED_STRINGS = _REL + "sharedStrings"
REL_SHEET_METADATA = _REL + "sheetMetadata"
REL_VBA_PROJECT = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
_SHEET_KINDS = {
    _REL + "worksheet": "worksheet",
    _REL + "chartsheet": "chartsheet",
    _REL + "dialogsheet": "dialogsheet",
    "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet": "macrosheet",
}
CT_SHEET_METADATA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"
CT_VBA_PROJECT = "application/vnd.ms-office.vbaProject"
CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_MAIN_MACRO = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CT_TEMPLATE = "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml"
CT_TEMPLATE_MACRO = "application/vnd.ms-excel.template.macroEnabled.main+xml"

#: The metadata part XlsxWriter writes for ``write_dynamic_array_formula``, byte for byte:
#: one XLDAPR metadata type, one future-metadata block with fDynamic="1", and one cell
#: metadata block (``cm="1"``) pointing at it.
DYNAMIC_ARRAY_METADATA = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<metadata xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
    b'<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" '
    b'copy="1" pasteAll="1" pasteValues="1" merge="1" splitFirst="1" rowColShift="1" '
    b'clearFormats="1" clearComments="1" assign="1" coerce="1" cellMeta="1"/></metadataTypes>'
    b'<futureMetadata name="XLDAPR" count="1"><bk><extLst>'
    b'<ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
    b'<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk>'
    b'</futureMetadata><cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata>'
    b"</metadata>"
)

# Parts read whole into an element tree (workbook, relationships, content types,
# metadata, core properties) are small in any real file; the cap bounds the tree's memory.
_TREE_PART_CAP = 16 * MiB
# Members smaller than this are not held to the compression-ratio limit: small XML
# parts legitimately compress very well.
_RATIO_GRACE = 1 * MiB
_CHUNK = 1 * MiB
_FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# --------------------------------------------------------------------------------------
# Cell references
# --------------------------------------------------------------------------------------

_REF_RE = re.compile(r"\$?([A-Za-z]{1,3})\$?([1-9][0-9]{0,6})")


def parse_ref(ref: str) -> tuple[int, int]:
    """Return the 1-based ``(row, col)`` of an A1-style cell reference.

    ``$`` markers and lower case are accepted: ``parse_ref("$ab$12") == (12, 28)``.

    Raises
    ------
    ValueError
        If ``ref`` is not a single cell inside Excel's grid.
    """
    m = _REF_RE.fullmatch(ref.strip()) if isinstance(ref, str) else None
    if m is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    row, col = int(m.group(2)), column_number(m.group(1))
    if row > MAX_ROW or col > MAX_COL:
        raise ValueError(f"cell reference outside the sheet: {ref!r}")
    return row, col


_CANONICAL_REF_RE = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")
_COLUMNS: dict[str, int] = {}


def _cell_position(ref: str) -> tuple[int, int, str]:
    """``(row, col, canonical ref)`` of a cell's ``r`` attribute; the fast path of parse_ref."""
    m = _CANONICAL_REF_RE.fullmatch(ref)
    if m is None:
        row, col = parse_ref(ref)
        return row, col, make_ref(row, col)
    letters, digits = m.groups()
    col = _COLUMNS.get(letters)
    if col is None:
        col = _COLUMNS[letters] = column_number(letters)
    row = int(digits)
    if row > MAX_ROW or col > MAX_COL:
        raise ValueError(f"cell reference outside the sheet: {ref!r}")
    return row, col, ref


def make_ref(row: int, col: int) -> str:
    """Return the A1 reference of the 1-based ``(row, col)``: ``make_ref(12, 28) == "AB12"``."""
    if not (1 <= row <= MAX_ROW and 1 <= col <= MAX_COL):
        raise ValueError(f"cell outside the sheet: row {row}, column {col}")
    return f"{column_letters(col)}{row}"


def parse_range(text: str) -> tuple[int, int, int, int]:
    """Return ``(first_row, first_col, last_row, last_col)`` of ``"A1:B3"`` (or of one cell).

    The corners are put in order, so ``"B3:A1"`` gives the same result as ``"A1:B3"``.
    """
    if not isinstance(text, str):
        raise ValueError(f"not a range: {text!r}")
    first, sep, last = text.partition(":")
    r1, c1 = parse_ref(first)
    r2, c2 = parse_ref(last) if sep else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def make_range(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    """Return ``"A1:B3"`` for the corners given, or ``"A1"`` for a single cell."""
    first, last = make_ref(first_row, first_col), make_ref(last_row, last_col)
    return first if first == last else f"{first}:{last}"


# --------------------------------------------------------------------------------------
# Formula translation (shared formulas)
# --------------------------------------------------------------------------------------

_FORMULA_TOKEN_RE = re.compile(
    r"""
    (?P<skip>"(?:[^"]|"")*"|'(?:[^']|'')*'|\[(?:[^\[\]]|\[[^\[\]]*\])*\])
  | (?<![\w.$])(?P<rows>(?P<r1a>\$?)(?P<r1>\d+):(?P<r2a>\$?)(?P<r2>\d+))(?![\w.(\[!:])
  | (?<![\w.$])(?P<cols>(?P<c1a>\$?)(?P<c1>[A-Za-z]{1,3}):(?P<c2a>\$?)(?P<c2>[A-Za-z]{1,3}))
      (?![\w.(\[!:])
  | (?<![\w.$])(?P<cell>(?P<ca>\$?)(?P<col>[A-Za-z]{1,3})(?P<ra>\$?)(?P<row>\d+))(?![\w.(\[!])
    """,
    re.VERBOSE,
)


def _shift(value: int, delta: int, absolute: str, limit: int) -> int | None:
    if absolute:
        return value
    shifted = value + delta
    return shifted if 1 <= shifted <= limit else None


def translate_formula(formula: str, drow: int, dcol: int) -> str:
    """Shift the relative references of ``formula`` by ``drow`` rows and ``dcol`` columns.

    This is how Excel fills a shared formula: ``A1``, ``A1:B2``, ``A:A`` and ``1:1`` move,
    ``$`` parts stay, text in strings, sheet names, structured references and function
    names such as ``LOG10(`` is left alone. A reference pushed off the sheet becomes
    ``#REF!``.
    """

    def replace(m: re.Match[str]) -> str:
        if m.group("skip") is not None:
            return m.group(0)
        if m.group("cell") is not None:
            col, row = column_number(m.group("col")), int(m.group("row"))
            if col > MAX_COL or row > MAX_ROW:
                return m.group(0)  # a name such as XFE1, not a reference
            new_col = _shift(col, dcol, m.group("ca"), MAX_COL)
            new_row = _shift(row, drow, m.group("ra"), MAX_ROW)
            if new_col is None or new_row is None:
                return "#REF!"
            return f"{m.group('ca')}{column_letters(new_col)}{m.group('ra')}{new_row}"
        if m.group("cols") is not None:
            c1, c2 = column_number(m.group("c1")), column_number(m.group("c2"))
            if c1 > MAX_COL or c2 > MAX_COL:
                return m.group(0)
            n1 = _shift(c1, dcol, m.group("c1a"), MAX_COL)
            n2 = _shift(c2, dcol, m.group("c2a"), MAX_COL)
            if n1 is None or n2 is None:
                return "#REF!"
            return f"{m.group('c1a')}{column_letters(n1)}:{m.group('c2a')}{column_letters(n2)}"
        r1, r2 = int(m.group("r1")), int(m.group("r2"))
        if not (1 <= r1 <= MAX_ROW and 1 <= r2 <= MAX_ROW):
            return m.group(0)
        n1 = _shift(r1, drow, m.group("r1a"), MAX_ROW)
        n2 = _shift(r2, drow, m.group("r2a"), MAX_ROW)
        if n1 is None or n2 is None:
            return "#REF!"
        return f"{m.group('r1a')}{n1}:{m.group('r2a')}{n2}"

    if drow == 0 and dcol == 0:
        return formula
    return _FORMULA_TOKEN_RE.sub(replace, formula)


# --------------------------------------------------------------------------------------
# Data read from a workbook
# --------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class _Limits:
    max_cells: int
    max_rows: int
    max_uncompressed: int
    max_ratio: float
    max_part_bytes: int

    @property
    def max_elements(self) -> int:
        # A cell is at most a handful of elements (c, f, v, or an inline string); the
        # margin leaves room for styles, rows and the sheet's other parts.
        return 6 * self.max_cells + 200_000


# --------------------------------------------------------------------------------------
# The zip package, read under limits
# --------------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# Excel packages have tens to a few thousand parts; a central directory of millions of
# entries would take zipfile seconds and gigabytes to index.
_MAX_MEMBERS = 50_000
_EOCD_SEARCH = 22 + 0xFFFF  # the end record plus the longest archive comment


def _declared_member_count(fh: BinaryIO) -> int | None:
    """The entry count the zip's end record declares, read before zipfile indexes it."""
    size = fh.seek(0, os.SEEK_END)
    start = max(0, size - _EOCD_SEARCH)
    fh.seek(start)
    tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None  # not a zip: zipfile gives the error
    count = struct.unpack_from("<H", tail, at + 10)[0]
    locator = at - 20
    if count == 0xFFFF and locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
        (offset,) = struct.unpack_from("<Q", tail, locator + 8)
        fh.seek(offset)
        record = fh.read(56)
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            count = struct.unpack_from("<Q", record, 32)[0]
    return count


def _open_regular(path: str) -> BinaryIO:
    """Open ``path`` for reading without blocking on a FIFO, and refuse anything but a
    regular file (a FIFO, device or socket)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise WorkbookError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise WorkbookError(f"{path}: is a folder, not a workbook") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise WorkbookError(f"{path}: is a folder, not a workbook")
        if not stat.S_ISREG(st.st_mode):
            raise WorkbookError(f"{path}: not a regular file (a FIFO, device or socket)")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def fingerprint(path: str | os.PathLike[str]) -> tuple:
    """What identifies a file's contents: its size and SHA-256. Two equal fingerprints mean
    the file holds what it held (a save of the very same bytes, or a touch, changes
    nothing that matters)."""
    path = os.fspath(path)
    digest = hashlib.sha256()
    with _open_regular(path) as fh:
        st = os.fstat(fh.fileno())
        while block := fh.read(_CHUNK):
            digest.update(block)
    return (st.st_size, digest.hexdigest())


@contextlib.contextmanager
def folder_lock(path: str | os.PathLike[str], timeout: float = 30.0) -> Iterator[None]:
    """Hold an exclusive advisory lock on the folder of ``path`` (``flock`` on the folder
    itself, so nothing is left behind), so that two ``calc`` runs on one workbook take
    turns instead of reading each other's half-finished state. Waits up to ``timeout``
    seconds, then raises WorkbookError."""
    try:
        import fcntl
    except ImportError:  # not on Windows: the fingerprint checks still apply
        yield
        return
    folder = os.path.dirname(os.path.abspath(os.fspath(path))) or "."
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield  # the write reports what is wrong with the folder
        return
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise WorkbookError(f"{path}: another program has been updating "
                                        f"workbooks in this folder for {timeout:g} s; "
                                        "not written") from None
                time.sleep(0.05)
            except OSError:
                break  # a file system without locks: the fingerprint checks still apply
        yield
    finally:
        os.close(fd)


def _check_unchanged(path: str, expect: tuple | None) -> None:
    if expect is not None and fingerprint(path) != expect:
        raise WorkbookError(f"{path}: the file changed since it was read (another program "
                            "saved it); not written, run again")


def _require_writable(path: str) -> None:
    """Refuse to replace a read-only file (root could, but should not either)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    if (st.st_mode & 0o222) == 0 or (euid not in (None, 0) and not os.access(path, os.W_OK)):
        raise WorkbookError(f"{path}: the file is read-only; not written")


class _Package:
    """A zip package opened for reading, every byte counted against the limits."""

    def __init__(self, path: str, limits: _Limits):
        self.path = path
        self.limits = limits
        self.used = 0
        self.inflated: dict[str, int] = {}  # most bytes inflated so far, per member
        self.elements = 0
        self.max_elements = limits.max_elements
        self.array_cells = 0  # cells covered by array formulas, all sheets together
        # one open file for everything read from the package, so that a file replaced
        # meanwhile (another program saving it) cannot mix two versions
        self.fh = _open_regular(path)
        try:
            members = _declared_member_count(self.fh)
            if members is not None and members > _MAX_MEMBERS:
                raise WorkbookError(f"{path}: more than {_MAX_MEMBERS} zip members")
            self.fh.seek(0)
            try:
                self.zf = zipfile.ZipFile(self.fh)
            except zipfile.BadZipFile as exc:
                raise WorkbookError(f"{path}: not a zip package ({_one_line(exc)})") from None
            found = len(self.zf.infolist())
            if members is not None and members != 0xFFFF and members != found:
                raise WorkbookError(f"{path}: corrupt zip: its end record declares {members} "
                                    f"members, the central directory holds {found}")
            self._index()
        except BaseException:
            if hasattr(self, "zf"):
                self.zf.close()
            self.fh.close()
            raise

    def _index(self) -> None:
        self.by_name: dict[str, zipfile.ZipInfo] = {}
        self.by_lower: dict[str, zipfile.ZipInfo] = {}
        declared = 0
        for info in self.zf.infolist():
            lower = info.filename.lower()
            if lower in self.by_lower:
                self.fail(f"duplicate zip member {info.filename!r}")
            if info.flag_bits & 0x1:
                self.fail(f"zip member {info.filename!r} is encrypted")
            declared += info.file_size
            if declared > self.limits.max_uncompressed:
                self.fail(
                    f"zip bomb: members declare more than {self.limits.max_uncompressed} bytes"
                )
            if (
                info.file_size > _RATIO_GRACE
                and info.file_size > self.limits.max_ratio * max(info.compress_size, 1)
            ):
                self.fail(
                    f"zip bomb: member {info.filename!r} claims a compression ratio above "
                    f"{self.limits.max_ratio:g}"
                )
            self.by_name[info.filename] = info
            self.by_lower[lower] = info

    def fail(self, message: str) -> None:
        raise WorkbookError(f"{self.path}: {message}")

    def close(self) -> None:
        self.zf.close()
        self.fh.close()

    def __enter__(self) -> _Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def info(self, name: str) -> zipfile.ZipInfo | None:
        name = name.lstrip("/")
        return self.by_name.get(name) or self.by_lower.get(name.lower())

    def chunks(self, name: str) -> Iterator[bytes]:
        """Yield the decompressed bytes of member ``name``, enforcing every limit as it goes."""
        info = self.info(name)
        if info is None:
            self.fail(f"missing part {name}")
        limits = self.limits
        if info.file_size > limits.max_part_bytes:
            self.fail(f"part {info.filename} is larger than {limits.max_part_bytes} bytes")
        ratio_cap = max(limits.max_ratio * max(info.compress_size, 1), _RATIO_GRACE)
        seen = 0
        with self.zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                seen += len(chunk)
                # A member read twice (prescan, then parse) counts once toward the total.
                counted = self.inflated.get(info.filename, 0)
                if seen > counted:
                    self.used += seen - counted
                    self.inflated[info.filename] = seen
                # The header's size can lie: enforce the limits on what actually comes out.
                if seen > info.file_size:
                    self.fail(f"zip bomb: part {info.filename} inflates past its declared size")
                if seen > ratio_cap:
                    self.fail(f"zip bomb: part {info.filename} inflates too much")
                if self.used > limits.max_uncompressed:
                    self.fail(f"zip bomb: more than {limits.max_uncompressed} bytes inflated")
                yield chunk

    def read(self, name: str, cap: int | None = None) -> bytes:
        info = self.info(name)
        if info is None:
            self.fail(f"missing part {name}")
        if cap is not None and info.file_size > cap:
            self.fail(f"part {info.filename} is larger than {cap} bytes")
        return b"".join(self.chunks(name))

    def tree(self, name: str) -> Element:
        """Parse a small part into an element tree with DTDs and entities forbidden."""
        data = self.read(name, _TREE_PART_CAP)
        return _parse_tree(data, name)


def _parse_tree(data: bytes, name: str) -> Element:
    try:
        return _defused_fromstring(data, forbid_dtd=True)
    except DTDForbidden:
        raise WorkbookError(f"part {name} declares a DTD, which is not allowed") from None
    except (EntitiesForbidden, ExternalReferenceForbidden):
        raise WorkbookError(f"part {name} declares entities, which is not allowed") from None
    except ParseError as exc:
        raise WorkbookError(f"part {name} is not well-formed XML ({_one_line(exc)})") from None


def _forbid_dtd(name: str, sysid: str | None, pubid: str | None, has_internal: int) -> None:
    raise DTDForbidden(name, sysid, pubid)


def _forbid_entity(name: str, *args: object) -> None:
    raise EntitiesForbidden(name, None, None, None, None, None)


def _forbid_unparsed(name: str, base: object, sysid: str, pubid: str, notation: str) -> None:
    raise EntitiesForbidden(name, None, base, sysid, pubid, notation)


def _forbid_external(context: str, base: str | None, sysid: str, pubid: str | None) -> None:
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


def _hardened_expat() -> expat.XMLParserType:
    """An expat parser set up as defusedxml sets up its own: no DTD, no entities."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _forbid_dtd
    parser.EntityDeclHandler = _forbid_entity
    parser.UnparsedEntityDeclHandler = _forbid_unparsed
    parser.ExternalEntityRefHandler = _forbid_external
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    return parser


#: Longest run of bytes without a "<" or without a ">" in a streamed part [B]. The longest
#: legitimate ones are a cell's text (32,767 characters, under 200 KB even with every
#: character escaped) and a formula (8,192 characters). expat 2.5 rescans an unfinished
#: token from its start at every chunk, so an unbounded token makes parsing quadratic; and
#: one tag of millions of attributes would become one dictionary of millions of entries.
_MAX_TOKEN = 1 * MiB


def _stream_parse(pkg: _Package, name: str, handler: object, chunks: Iterable[bytes]) -> None:
    parser = _hardened_expat()
    if hasattr(handler, "start"):
        parser.StartElementHandler = handler.start
    if hasattr(handler, "end"):
        parser.EndElementHandler = handler.end
    if hasattr(handler, "data"):
        parser.CharacterDataHandler = handler.data
    try:
        # bytes since the last "<" and since the last ">": a run without either is one
        # tag, or one text, being read
        since = {b"<": 0, b">": 0}
        for chunk in chunks:
            for mark in since:
                first = chunk.find(mark)
                if first < 0:
                    since[mark] += len(chunk)
                else:
                    since[mark] += first
                    if since[mark] <= _MAX_TOKEN:
                        since[mark] = len(chunk) - chunk.rfind(mark) - 1
                if since[mark] > _MAX_TOKEN:
                    pkg.fail(f"part {name} has an XML token (a tag or a text) longer than "
                             f"{_MAX_TOKEN >> 20} MiB")
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except DTDForbidden:
        pkg.fail(f"part {name} declares a DTD, which is not allowed")
    except (EntitiesForbidden, ExternalReferenceForbidden):
        pkg.fail(f"part {name} declares entities, which is not allowed")
    except expat.ExpatError as exc:
        pkg.fail(f"part {name} is not well-formed XML ({_one_line(exc)})")


# Counting tags in the raw bytes costs a fraction of parsing them, so an oversized sheet
# is refused before the parser (about 2.5 us a cell here) ever sees it.
_PRESCAN_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.\-]{0,31}:)?(c|row)[\s/>]")
_PRESCAN_TAIL = 48


def _prescan(pkg: _Package, name: str, max_cells: int, max_rows: int, max_elements: int) -> None:
    cells = rows = starts = 0
    tail = b""
    for chunk in pkg.chunks(name):
        buf = tail + chunk
        found = _PRESCAN_TAG_RE.findall(buf)
        old = _PRESCAN_TAG_RE.findall(tail) if tail else []
        cells += found.count(b"c") - old.count(b"c")
        rows += found.count(b"row") - old.count(b"row")
        starts += (buf.count(b"<") - buf.count(b"</")) - (tail.count(b"<") - tail.count(b"</"))
        if cells > max_cells:
            pkg.fail(f"too many cells: more than {max_cells} in {name}")
        if rows > max_rows:
            pkg.fail(f"too many rows: more than {max_rows} in {name}")
        if starts > max_elements:
            pkg.fail(f"too many XML elements: more than {max_elements} in {name}")
        tail = buf[-_PRESCAN_TAIL:]


# --------------------------------------------------------------------------------------
# Relationships and workbook structure
# --------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _resolve_target(source_part: str, target: str) -> str:
    target = unquote(target)
    if target.startswith("/"):
        path = target[1:]
    else:
        path = posixpath.join(posixpath.dirname(source_part), target)
    path = posixpath.normpath(path).lstrip("/")
    if path.startswith("..") or path in ("", "."):
        raise WorkbookError(f"relationship target {target!r} points outside the package")
    return path


@dataclass(frozen=True)
class _Rel:
    rid: str
    type: str
    part: str | None  # None for an external target


def _read_rels(pkg: _Package, source_part: str) -> dict[str, _Rel]:
    name = _rels_name(source_part)
    if pkg.info(name) is None:
        return {}
    root = pkg.tree(name)
    rels: dict[str, _Rel] = {}
    for el in root:
        if _local(el.tag) != "Relationship":
            continue
        rid, rtype, target = el.get("Id"), el.get("Type", ""), el.get("Target", "")
        if not rid:
            continue
        external = el.get("TargetMode", "").lower() == "external"
        part = None if external else _resolve_target(source_part, target)
        rels[rid] = _Rel(rid, rtype, part)
    return rels


def _workbook_part(pkg: _Package) -> str:
    for required in ("[Content_Types].xml", "_rels/.rels"):
        if pkg.info(required) is None:  # every Open XML package has both
            pkg.fail(f"not an Office Open XML package: missing part {required}")
    for rel in _read_rels(pkg, "").values():
        if rel.type == _STRICT_REL + "officeDocument":
            pkg.fail("strict Open XML workbooks are not supported; save as 'Excel Workbook'")
        if rel.type == REL_OFFICE_DOCUMENT and rel.part:
            if pkg.info(rel.part) is None:
                pkg.fail(f"missing workbook part {rel.part}")
            return pkg.info(rel.part).filename
    if pkg.info("xl/workbook.xml") is not None:
        return pkg.info("xl/workbook.xml").filename
    pkg.fail("missing workbook part (no xl/workbook.xml); is this an Excel workbook?")
    raise AssertionError  # unreachable


@dataclass
class _Structure:
    workbook_part: str
    workbook_rels: dict[str, _Rel]
    sheets: list[SheetInfo]
    root: Element = field(repr=False)

    def rel_part(self, rel_type: str) -> str | None:
        for rel in self.workbook_rels.values():
            if rel.type == rel_type and rel.part:
                return rel.part
        return None

    def sheet(self, name: str, pkg: _Package) -> SheetInfo:
        for info in self.sheets:
            if info.name == name:
                return info
        for info in self.sheets:
            if info.name.lower() == name.lower():
                return info
        pkg.fail(f"no sheet named {name!r}")
        raise AssertionError  # unreachable


def _structure(pkg: _Package) -> _Structure:
    part = _workbook_part(pkg)
    root = pkg.tree(part)
    ns = _ns(root.tag)
    if ns == NS_STRICT:
        pkg.fail("strict Open XML workbooks are not supported; save as 'Excel Workbook'")
    if ns != NS_MAIN or _local(root.tag) != "workbook":
        pkg.fail(f"{part} is not a SpreadsheetML workbook")
    rels = _read_rels(pkg, part)
    sheets: list[SheetInfo] = []
    sheets_el = root.find(f"{{{NS_MAIN}}}sheets")
    rid_attr = f"{{{_REL[:-1]}}}id"
    seen: set[str] = set()
    for el in [] if sheets_el is None else sheets_el:
        if _local(el.tag) != "sheet":
            continue
        name, rid = el.get("name"), el.get(rid_attr)
        if not name:
            pkg.fail("a sheet in workbook.xml has no name")
        rel = rels.get(rid or "")
        if rel is None or rel.part is None:
            pkg.fail(f"sheet {name!r} has no relationship to its part")
        if pkg.info(rel.part) is None:
            pkg.fail(f"sheet {name!r}: missing part {rel.part}")
        if name.upper() in seen:
            pkg.fail(f"two sheets are named {name!r} (Excel's sheet names are unique)")
        kind = _SHEET_KINDS.get(rel.type, "other")
        state = el.get("state", "visible")
        seen.add(name.upper())
        sheets.append(SheetInfo(name, pkg.info(rel.part).filename, kind, state))
    if not sheets:
        pkg.fail("the workbook lists no sheets")
    return _Structure(part, rels, sheets, root)


def _defined_names(root: Element, sheets: list[SheetInfo]) -> tuple[DefinedName, ...]:
    out = []
    container = root.find(f"{{{NS_MAIN}}}definedNames")
    for el in [] if container is None else container:
        if _local(el.tag) != "definedName" or not el.get("name"):
            continue
        scope = None
        local_id = el.get("localSheetId")
        if local_id is not None:
            try:
                scope = sheets[int(local_id)].name
            except (ValueError, IndexError):
                raise WorkbookError(
                    f"defined name {el.get('name')!r} has a bad localSheetId {local_id!r}"
                ) from None
        hidden = el.get("hidden", "0").lower() in ("1", "true")
        out.append(DefinedName(el.get("name"), el.text or "", scope, hidden))
    return tuple(out)


# --------------------------------------------------------------------------------------
# Shared strings and cell metadata
# --------------------------------------------------------------------------------------

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

    def __init__(self, pkg: _Package, name: str):
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


def _shared_strings(pkg: _Package, structure: _Structure) -> list[str]:
    part = structure.rel_part(REL_SHARED_STRINGS)
    if part is None or pkg.info(part) is None:
        return []
    handler = _StringsHandler(pkg, part)
    _stream_parse(pkg, part, handler, pkg.chunks(part))
    return handler.strings


@dataclass(frozen=True)
class _MetadataInfo:
    dynamic_cms: frozenset[int]  # 1-based cell-metadata indexes that mean "dynamic array"
    any_cm_dynamic: bool  # fallback when the part cannot be followed index by index


def _dynamic_metadata(root: Element) -> _MetadataInfo:
    main = f"{{{NS_MAIN}}}"
    types_el = root.find(main + "metadataTypes")
    types = [] if types_el is None else [el.get("name") for el in types_el]
    if "XLDAPR" not in types:
        return _MetadataInfo(frozenset(), False)
    future: list[bool] = []
    for fm in root.findall(main + "futureMetadata"):
        if fm.get("name") == "XLDAPR":
            for bk in fm.findall(main + "bk"):
                props = bk.find(f".//{{{NS_XDA}}}dynamicArrayProperties")
                flag = "0" if props is None else props.get("fDynamic", "0")
                future.append(flag.lower() in ("1", "true"))
    cells_el = root.find(main + "cellMetadata")
    if cells_el is None:
        return _MetadataInfo(frozenset(), True)
    dynamic = set()
    try:
        for index, bk in enumerate(cells_el.findall(main + "bk"), start=1):
            rc = bk.find(main + "rc")
            if rc is None:
                continue
            type_index, value_index = int(rc.get("t", "0")), int(rc.get("v", "-1"))
            if 1 <= type_index <= len(types) and types[type_index - 1] == "XLDAPR":
                if 0 <= value_index < len(future) and future[value_index]:
                    dynamic.add(index)
    except ValueError:
        return _MetadataInfo(frozenset(), True)
    return _MetadataInfo(frozenset(dynamic), False)


def _metadata_info(pkg: _Package, structure: _Structure) -> _MetadataInfo:
    part = structure.rel_part(REL_SHEET_METADATA)
    if part is None or pkg.info(part) is None:
        return _MetadataInfo(frozenset(), False)
    return _dynamic_metadata(pkg.tree(part))


# --------------------------------------------------------------------------------------
# Worksheets
# --------------------------------------------------------------------------------------


class _SheetHandler:
    """Expat handlers that turn a worksheet part into :class:`Cell` objects as it streams."""

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
        if tag == _C:
            self.count += 1
            if self.count > self.cell_budget:
                pkg.fail(f"too many cells: more than {pkg.limits.max_cells}")
            ref = attrs.get("r")
            if ref:
                try:
                    row, col, ref = _cell_position(ref)
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
                self.fail(f"<{_local(tag)}> outside a cell")
            if (self.v_text if tag == _V else self.f_attrs) is not None:
                self.fail(f"{self.cell[2]}: two <{_local(tag)}> elements in one cell")
            self.text = []
            if tag == _F:
                self.f_attrs = attrs
        elif tag == _ROW:
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


def _iso_serial(text: str) -> float | None:
    """An ISO 8601 date or date-time (a ``t="d"`` cell) as Excel's serial number, the
    value Excel itself computes with (1900 date system)."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    delta = when.replace(tzinfo=None) - datetime(1899, 12, 30)
    return delta.total_seconds() / 86400.0


def _read_sheet(pkg: _Package, sheet: SheetInfo, strings, meta, cells_left: int) -> dict:
    limits = pkg.limits
    info = pkg.info(sheet.part)
    elements_left = limits.max_elements - pkg.elements
    # "<c/>" is the shortest cell: a part smaller than 4 bytes a cell cannot overflow.
    if info.file_size // 4 > min(cells_left, limits.max_rows, elements_left):
        _prescan(pkg, sheet.part, cells_left, limits.max_rows, elements_left)
    handler = _SheetHandler(pkg, sheet.part, sheet.name, strings, meta, cells_left,
                            limits.max_rows)
    _stream_parse(pkg, sheet.part, handler, pkg.chunks(sheet.part))
    return handler.cells


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
    limits = _Limits(max_cells, max_rows, max_uncompressed, max_ratio, max_part_bytes)
    path = os.fspath(path)
    with _guard(path), _Package(path, limits) as pkg:
        structure = _structure(pkg)
        strings = _shared_strings(pkg, structure)
        meta = _metadata_info(pkg, structure)
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
            defined_names=_defined_names(structure.root, structure.sheets),
            has_vba=has_vba,
        )


@contextlib.contextmanager
def _guard(path: str) -> Iterator[None]:
    """Turn any low-level failure while handling a package into a one-line WorkbookError."""
    try:
        yield
    except WorkbookError as exc:
        message = _one_line(exc)
        if not message.startswith(path):
            message = f"{path}: {message}"
        raise WorkbookError(message) from None
    except zipfile.BadZipFile as exc:
        raise WorkbookError(f"{path}: corrupt zip ({_one_line(exc)})") from None
    except (zlib.error, EOFError, struct.error) as exc:
        raise WorkbookError(f"{path}: corrupt or truncated zip ({_one_line(exc)})") from None
    except NotImplementedError as exc:
        raise WorkbookError(f"{path}: unsupported zip feature ({_one_line(exc)})") from None
    except DefusedXmlException as exc:
        raise WorkbookError(f"{path}: forbidden XML construct ({_one_line(exc)})") from None
    except MemoryError:
        raise WorkbookError(f"{path}: too large to process") from None
    except OSError as exc:
        raise WorkbookError(f"{path}: {_one_line(exc.strerror or exc)}") from None
    except (ValueError, LookupError, RuntimeError) as exc:
        raise WorkbookError(f"{path}: unreadable ({_one_line(exc)})") from None


# --------------------------------------------------------------------------------------
# XML text surgery
# --------------------------------------------------------------------------------------

_MARKUP_RE = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<![^>]*>"
    rb"|<(?P<close>/?)(?P<name>[^\s/>!?]+)"
    rb"(?P<attrs>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(?P<empty>/?)>",
    re.S,
)
_ATTR_RE = re.compile(rb"\s+([^\s=/>]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_TAG_END_RE = re.compile(rb"\s*/?>\Z")


@dataclass
class _Tag:
    start: int
    end: int
    closing: bool
    prefix: bytes
    local: bytes
    empty: bool
    raw: bytes

    def attrs(self) -> dict[bytes, bytes]:
        return _attrs_of(self.raw)


def _tags(data: bytes, start: int = 0, end: int | None = None) -> Iterator[_Tag]:
    """Yield the element tags of ``data`` in order, skipping comments, CDATA and PIs."""
    end = len(data) if end is None else end
    for m in _MARKUP_RE.finditer(data, start, end):
        name = m.group("name")
        if name is None:
            continue
        prefix, _, local = name.rpartition(b":")
        yield _Tag(m.start(), m.end(), bool(m.group("close")), prefix, local,
                   bool(m.group("empty")), m.group(0))


def _attrs_of(raw: bytes) -> dict[bytes, bytes]:
    # The tag name holds no white space, so every match is a whole attribute.
    return {a.group(1): _xml_unescape(a.group(2) if a.group(2) is not None else a.group(3))
            for a in _ATTR_RE.finditer(raw)}


def _xml_unescape(value: bytes) -> bytes:
    if b"&" not in value:
        return value
    text = value.decode("utf-8")
    text = re.sub(r"&#x([0-9A-Fa-f]+);", lambda m: chr(int(m.group(1), 16)), text)
    text = re.sub(r"&#([0-9]+);", lambda m: chr(int(m.group(1))), text)
    for ent, ch in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'")):
        text = text.replace(ent, ch)
    return text.replace("&amp;", "&").encode("utf-8")


def _xml_escape(text: str, *, attribute: bool = False) -> bytes:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attribute:
        text = text.replace('"', "&quot;")
    return text.encode("utf-8")


def _set_attr(raw: bytes, name: bytes, value: bytes | None) -> bytes:
    """Return start tag ``raw`` with attribute ``name`` set to ``value`` (None removes it)."""
    m = _MARKUP_RE.fullmatch(raw)
    if m is None or m.group("name") is None:
        raise WorkbookError(f"cannot edit tag {raw[:60]!r}")
    body_start = m.start("attrs")
    body = m.group("attrs") or b""
    for a in _ATTR_RE.finditer(body):
        if a.group(1) == name:
            s, e = body_start + a.start(), body_start + a.end()
            if value is not None and a.group(2) == value:
                return raw
            if value is None:
                return raw[:s] + raw[e:]
            return raw[:s] + b" " + name + b'="' + value + b'"' + raw[e:]
    if value is None:
        return raw
    insert = body_start + len(body)
    return raw[:insert] + b" " + name + b'="' + value + b'"' + raw[insert:]


def _open_tag(raw: bytes) -> bytes:
    """Turn a self-closing tag ``<x .../>`` into an opening tag ``<x ...>``."""
    return _TAG_END_RE.sub(b">", raw)


def _qname(prefix: bytes, local: bytes) -> bytes:
    return prefix + b":" + local if prefix else local


def _apply_edits(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    if not edits:
        return data
    # Stable sort: insertions at the same offset keep the order they were planned in.
    edits = sorted(edits, key=lambda e: (e[0], e[1]))
    out, pos = [], 0
    for start, end, text in edits:
        if start < pos:
            raise WorkbookError("internal error: overlapping XML edits")
        out.append(data[pos:start])
        out.append(text)
        pos = end
    out.append(data[pos:])
    return b"".join(out)


def _check_utf8(data: bytes, name: str) -> None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise WorkbookError(f"part {name} is UTF-16; only UTF-8 parts can be edited")
    m = re.match(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)", data)
    if m and m.group(1).lower() not in (b"utf-8", b"utf8"):
        raise WorkbookError(f"part {name} is {m.group(1).decode()!r}; only UTF-8 can be edited")


def _validate_xml(pkg: _Package, name: str, data: bytes) -> None:
    """Refuse a part that is not well-formed, or that has a DTD, before editing its text."""
    _check_utf8(data, name)
    _stream_parse(pkg, name, object(), [data])


# --------------------------------------------------------------------------------------
# Worksheet surgery
# --------------------------------------------------------------------------------------


def _tag_of(m: re.Match[bytes]) -> _Tag:
    close, name, _, empty = m.groups()
    prefix, _, local = name.rpartition(b":")
    return _Tag(m.start(), m.end(), bool(close), prefix, local, bool(empty), m.group(0))


_R_ATTR_RE = re.compile(rb"\sr\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def _r_attr(m: re.Match[bytes]) -> bytes | None:
    """The ``r`` attribute of a row or cell tag (their attribute values never hold text)."""
    a = _R_ATTR_RE.search(m.group(0))
    if a is None:
        return None
    return a.group(1) if a.group(1) is not None else a.group(2)


@dataclass
class _CellTok:
    row: int
    col: int
    explicit: bool  # has an r attribute
    match: re.Match[bytes]
    close_start: int  # offset of </c>, or the tag's end for <c/>
    end: int
    children: dict[bytes, tuple[int, int]] = field(default_factory=dict)
    f_match: re.Match[bytes] | None = None

    @property
    def tag(self) -> _Tag:
        return _tag_of(self.match)

    @property
    def f_tag(self) -> _Tag | None:
        return None if self.f_match is None else _tag_of(self.f_match)


@dataclass
class _RowTok:
    row: int
    explicit: bool
    match: re.Match[bytes]
    close_start: int
    end: int
    cells: list[_CellTok] = field(default_factory=list)

    @property
    def tag(self) -> _Tag:
        return _tag_of(self.match)


@dataclass
class _SheetTokens:
    prefix: bytes
    open_tag: _Tag  # <sheetData ...> or <sheetData/>
    close_start: int
    end: int
    rows: list[_RowTok]
    dimension: _Tag | None


def _tokenize_sheet(data: bytes, name: str) -> _SheetTokens:
    """Locate every row, cell and cell child of ``sheetData`` by byte offset."""
    dimension = None
    open_tag = None
    for tag in _tags(data):
        if tag.closing:
            continue
        if tag.local == b"dimension" and dimension is None:
            dimension = tag
        elif tag.local == b"sheetData":
            open_tag = tag
            break
    if open_tag is None:
        raise WorkbookError(f"part {name} has no sheetData")
    prefix = open_tag.prefix
    if dimension is not None and dimension.prefix != prefix:
        dimension = None
    if open_tag.empty:
        return _SheetTokens(prefix, open_tag, open_tag.end, open_tag.end, [], dimension)

    rows: list[_RowTok] = []
    depth = 0
    row = cell = None
    child_start: dict[bytes, int] = {}
    last_row = 0
    for m in _MARKUP_RE.finditer(data, open_tag.end):
        close, qname, _, empty = m.groups()
        if qname is None:
            continue  # comment, CDATA or processing instruction
        local = qname.rpartition(b":")[2]
        if close:
            if depth == 0:
                if local != b"sheetData":
                    raise WorkbookError(f"part {name}: unexpected </{local.decode()}>")
                return _SheetTokens(prefix, open_tag, m.start(), m.end(), rows, dimension)
            depth -= 1
            if depth == 0:
                row.close_start, row.end = m.start(), m.end()
            elif depth == 1:
                cell.close_start, cell.end = m.start(), m.end()
            elif depth == 2 and local in child_start:
                cell.children[local] = (child_start.pop(local), m.end())
            continue
        if depth == 0:
            if local != b"row":
                raise WorkbookError(f"part {name}: unexpected <{local.decode()}> in sheetData")
            r = _r_attr(m)
            number = int(r) if r else last_row + 1
            last_row = number
            row = _RowTok(number, bool(r), m, m.end(), m.end())
            rows.append(row)
        elif depth == 1:
            if local != b"c":
                if not empty:
                    depth += 1  # an opaque element in a row (extLst): skip its content
                    cell = _CellTok(0, 0, False, m, m.end(), m.end())
                continue
            ref = _r_attr(m)
            if ref:
                r, c, _ = _cell_position(ref.decode("ascii"))
            else:
                r, c = row.row, (row.cells[-1].col if row.cells else 0) + 1
            cell = _CellTok(r, c, bool(ref), m, m.end(), m.end())
            row.cells.append(cell)
        elif depth == 2 and local in (b"f", b"v", b"is"):
            if local == b"f":
                cell.f_match = m
            if empty:
                cell.children[local] = (m.start(), m.end())
            else:
                child_start[local] = m.start()
        if not empty:
            depth += 1
    raise WorkbookError(f"part {name}: sheetData is not closed")


@dataclass(frozen=True)
class _Payload:
    t: bytes | None
    v: bytes | None  # None removes <v>


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_|\r")


def _escape_ooxml(text: str) -> str:
    """Escape characters XML cannot carry as ``_xHHHH_``, and literal ``_xHHHH_`` texts."""

    def repl(m: re.Match[str]) -> str:
        s = m.group(0)
        return "_x005F" + s if s.startswith("_x") else f"_x{ord(s):04X}_"

    return _CONTROL_RE.sub(repl, text)


def _payload(value: object, where: str) -> _Payload:
    if value is None:
        return _Payload(None, None)
    if isinstance(value, (bool, np.bool_)):
        return _Payload(b"b", b"1" if value else b"0")
    if isinstance(value, ExcelError):
        return _Payload(b"e", value.code.encode("ascii"))
    if isinstance(value, numbers.Integral):
        n = int(value)
        if abs(n) < 10**15:
            return _Payload(None, str(n).encode("ascii"))
        value = float(n) if abs(n) < 10**308 else math.inf
    if isinstance(value, numbers.Real):
        x = float(value)
        if not math.isfinite(x):
            return _Payload(b"e", b"#NUM!")  # Excel has no NaN or infinity
        return _Payload(None, repr(x).encode("ascii"))
    if isinstance(value, str):
        return _Payload(b"str", _xml_escape(_escape_ooxml(value)))
    raise WorkbookError(f"{where}: cannot write a value of type {type(value).__name__}")


@dataclass
class _SheetEdits:
    values: dict[tuple[int, int], _Payload] = field(default_factory=dict)
    arrays: dict[tuple[int, int], str] = field(default_factory=dict)
    dynamic: set[tuple[int, int]] = field(default_factory=set)


def _edit_cell(cell: _CellTok, edits: _SheetEdits, cm: bytes | None, sheet: str,
               prefix: bytes) -> list[tuple[int, int, bytes]]:
    key = (cell.row, cell.col)
    where = f"{sheet}!{make_ref(*key)}"
    out: list[tuple[int, int, bytes]] = []
    tag = cell.tag.raw
    if key in edits.arrays or key in edits.dynamic:
        f_tag = cell.f_tag
        if f_tag is None or f_tag.attrs().get(b"t") != b"array":
            raise WorkbookError(f"{where} has no array formula")
        if key in edits.arrays:
            new_f = _set_attr(f_tag.raw, b"ref", edits.arrays[key].encode("ascii"))
            if new_f != f_tag.raw:
                out.append((f_tag.start, f_tag.end, new_f))
        if key in edits.dynamic:
            tag = _set_attr(tag, b"cm", cm)
    payload = edits.values.get(key)
    body: bytes | None = None
    if payload is not None:
        tag = _set_attr(tag, b"t", payload.t)
        v_el = (b"<" + _qname(prefix, b"v") + b">" + payload.v + b"</" + _qname(prefix, b"v")
                + b">") if payload.v is not None else b""
        if cell.tag.empty:
            if v_el:
                body = v_el
        else:
            if b"v" in cell.children:
                s, e = cell.children[b"v"]
                out.append((s, e, v_el))
            elif v_el:
                at = cell.children[b"f"][1] if b"f" in cell.children else cell.tag.end
                out.append((at, at, v_el))
            if b"is" in cell.children and payload.t != b"inlineStr":
                s, e = cell.children[b"is"]
                out.append((s, e, b""))
    if body is not None:
        closing = b"</" + _qname(cell.tag.prefix, b"c") + b">"
        out.append((cell.tag.start, cell.tag.end, _open_tag(tag) + body + closing))
    elif tag != cell.tag.raw:
        out.append((cell.tag.start, cell.tag.end, tag))
    return out


def _new_cell(row: int, col: int, payload: _Payload, prefix: bytes) -> bytes:
    c, v = _qname(prefix, b"c"), _qname(prefix, b"v")
    t = b' t="' + payload.t + b'"' if payload.t is not None else b""
    ref = make_ref(row, col).encode("ascii")
    return (b"<" + c + b' r="' + ref + b'"' + t + b"><" + v + b">" + payload.v + b"</" + v
            + b"></" + c + b">")


def _widen_spans(raw: bytes, cols: list[int]) -> bytes:
    spans = _attrs_of(raw).get(b"spans")
    if not spans:
        return raw
    try:
        bounds = [int(x) for part in spans.split() for x in part.split(b":")]
    except ValueError:
        return raw
    low, high = min(bounds + cols), max(bounds + cols)
    if low >= min(bounds) and high <= max(bounds):
        return raw
    return _set_attr(raw, b"spans", f"{low}:{high}".encode("ascii"))


def _edit_sheet(data: bytes, name: str, sheet: str, edits: _SheetEdits,
                cm: bytes | None) -> bytes:
    toks = _tokenize_sheet(data, name)
    prefix = toks.prefix
    out: list[tuple[int, int, bytes]] = []
    existing = {(c.row, c.col): c for r in toks.rows for c in r.cells}
    for key in set(edits.arrays) | edits.dynamic:
        if key not in existing:
            raise WorkbookError(f"{sheet}!{make_ref(*key)} has no array formula")
    for key, cell in existing.items():
        if key in edits.values or key in edits.arrays or key in edits.dynamic:
            out.extend(_edit_cell(cell, edits, cm, sheet, prefix))

    new_cells: dict[int, list[tuple[int, _Payload]]] = {}
    for (r, c), payload in sorted(edits.values.items()):
        if (r, c) not in existing and payload.v is not None:
            new_cells.setdefault(r, []).append((c, payload))
    if not new_cells:
        return _apply_edits(data, out)

    rows = {row.row: row for row in toks.rows}
    numbers = [row.row for row in toks.rows]
    new_rows: dict[int, list[bytes]] = {}  # insertion offset -> row elements
    for r, items in new_cells.items():
        texts = [(c, _new_cell(r, c, p, prefix)) for c, p in items]
        row = rows.get(r)
        if row is None:
            # Rows are in ascending order; only the next row's own number can be implied.
            index = bisect.bisect_right(numbers, r)
            following = toks.rows[index] if index < len(toks.rows) else None
            if following is not None and not following.explicit:
                raise WorkbookError(f"{sheet}: cannot insert row {r} before a row without r")
            at = following.match.start() if following is not None else toks.close_start
            row_q = _qname(prefix, b"row")
            element = (b"<" + row_q + b' r="' + str(r).encode() + b'">'
                       + b"".join(t for _, t in texts) + b"</" + row_q + b">")
            new_rows.setdefault(at, []).append(element)
            continue
        row_tag = _widen_spans(row.tag.raw, [c for c, _ in items])
        if row.tag.empty:
            row_q = _qname(row.tag.prefix, b"row")
            out.append((row.tag.start, row.tag.end, _open_tag(row_tag)
                        + b"".join(t for _, t in texts) + b"</" + row_q + b">"))
            continue
        if row_tag != row.tag.raw:
            out.append((row.tag.start, row.tag.end, row_tag))
        groups: dict[int, list[bytes]] = {}
        for c, text in texts:
            following = next((x for x in row.cells if x.col > c), None)
            if following is not None and not following.explicit:
                raise WorkbookError(f"{sheet}: cannot insert a cell before a cell without r")
            at = following.match.start() if following is not None else row.close_start
            groups.setdefault(at, []).append(text)
        out.extend((at, at, b"".join(texts_at)) for at, texts_at in groups.items())

    if new_rows:
        if toks.open_tag.empty:
            sd = _qname(prefix, b"sheetData")
            body = b"".join(b"".join(v) for _, v in sorted(new_rows.items()))
            out.append((toks.open_tag.start, toks.open_tag.end,
                        _open_tag(toks.open_tag.raw) + body + b"</" + sd + b">"))
        else:
            out.extend((at, at, b"".join(v)) for at, v in new_rows.items())

    if toks.dimension is not None:
        out.extend(_dimension_edit(toks.dimension, [
            (r, c) for r, items in new_cells.items() for c, _ in items]))
    return _apply_edits(data, out)


def _dimension_edit(tag: _Tag, cells: list[tuple[int, int]]) -> list[tuple[int, int, bytes]]:
    ref = tag.attrs().get(b"ref", b"")
    rows = [r for r, _ in cells]
    cols = [c for _, c in cells]
    try:
        r1, c1, r2, c2 = parse_range(ref.decode("ascii"))
        rows += [r1, r2]
        cols += [c1, c2]
    except ValueError:
        pass  # a missing or odd dimension is replaced by the new cells' extent
    new = make_range(min(rows), min(cols), max(rows), max(cols)).encode("ascii")
    if new == ref:
        return []
    return [(tag.start, tag.end, _set_attr(tag.raw, b"ref", new))]


# --------------------------------------------------------------------------------------
# Relationship and content-type surgery
# --------------------------------------------------------------------------------------


def _root_and_children(data: bytes, name: str) -> tuple[_Tag, list[_Tag], int]:
    """The root tag, its child start tags and the offset of the root's closing tag."""
    root = None
    children: list[_Tag] = []
    depth = 0
    for tag in _tags(data):
        if root is None:
            if tag.closing:
                break
            root = tag
            if tag.empty:
                return root, [], tag.end
            depth = 1
            continue
        if tag.closing:
            depth -= 1
            if depth == 0:
                return root, children, tag.start
            continue
        if depth == 1:
            children.append(tag)
        if not tag.empty:
            depth += 1
    raise WorkbookError(f"part {name} is not well-formed XML")


def _insert_children(data: bytes, name: str, elements: bytes, *, first: bool = False) -> bytes:
    root, children, close_at = _root_and_children(data, name)
    if root.empty:
        closing = b"</" + _qname(root.prefix, root.local) + b">"
        return data[:root.start] + _open_tag(root.raw) + elements + closing + data[root.end:]
    at = root.end if first else close_at
    return data[:at] + elements + data[at:]


def _ensure_relationship(rels: bytes, name: str, rel_type: str, target: str) -> bytes:
    root, children, _ = _root_and_children(rels, name)
    ids = set()
    for child in children:
        attrs = child.attrs()
        if attrs.get(b"Type") == rel_type.encode():
            return rels
        ids.add(attrs.get(b"Id", b"").decode("utf-8", "replace"))
    numbers_used = [int(i[3:]) for i in ids if re.fullmatch(r"rId[0-9]+", i)]
    n = max(numbers_used, default=0) + 1
    while f"rId{n}" in ids:
        n += 1
    element = (b"<" + _qname(root.prefix, b"Relationship") + b' Id="rId' + str(n).encode()
               + b'" Type="' + rel_type.encode() + b'" Target="'
               + _xml_escape(target, attribute=True) + b'"/>')
    return _insert_children(rels, name, element)


def _content_types(ct: bytes) -> tuple[dict[str, tuple[_Tag, str]], dict[str, tuple[_Tag, str]]]:
    defaults, overrides = {}, {}
    _, children, _ = _root_and_children(ct, "[Content_Types].xml")
    for child in children:
        attrs = child.attrs()
        ctype = attrs.get(b"ContentType", b"").decode("utf-8", "replace")
        if child.local == b"Default":
            defaults[attrs.get(b"Extension", b"").decode("utf-8", "replace").lower()] = (
                child, ctype)
        elif child.local == b"Override":
            part = attrs.get(b"PartName", b"").decode("utf-8", "replace")
            overrides["/" + part.lstrip("/").lower()] = (child, ctype)
    return defaults, overrides


def _ensure_override(ct: bytes, part: str, ctype: str) -> bytes:
    _, overrides = _content_types(ct)
    found = overrides.get("/" + part.lower())
    if found is not None:
        tag, current = found
        if current == ctype:
            return ct
        new = _set_attr(tag.raw, b"ContentType", ctype.encode())
        return ct[:tag.start] + new + ct[tag.end:]
    root, _, _ = _root_and_children(ct, "[Content_Types].xml")
    element = (b"<" + _qname(root.prefix, b"Override") + b' PartName="/' + part.encode()
               + b'" ContentType="' + ctype.encode() + b'"/>')
    return _insert_children(ct, "[Content_Types].xml", element)


# --------------------------------------------------------------------------------------
# Zip writing
# --------------------------------------------------------------------------------------

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_EOCD = struct.Struct("<4s4H2LH")
_U32 = 0xFFFFFFFF


def _dos_stamp(date_time: tuple[int, ...]) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def _strip_zip64(extra: bytes) -> bytes:
    out, i = [], 0
    while i + 4 <= len(extra):
        hid, size = struct.unpack("<HH", extra[i:i + 4])
        if hid != 0x0001:
            out.append(extra[i:i + 4 + size])
        i += 4 + size
    return b"".join(out) if i == len(extra) else extra


def _name_bytes(info: zipfile.ZipInfo) -> bytes:
    return info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")


@dataclass
class _Entry:
    """One member's central-directory record."""

    name: bytes
    flag: int
    method: int
    dos_time: int
    dos_date: int
    crc: int
    csize: int
    usize: int
    offset: int
    extract_version: int = 20
    create_version: int = 20
    create_system: int = 0
    internal_attr: int = 0
    external_attr: int = 0
    extra: bytes = b""
    comment: bytes = b""


class _ZipWriter:
    """A small deterministic zip writer that can copy members' compressed bytes verbatim."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self.entries: list[_Entry] = []
        self.pos = 0

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.pos += len(data)

    def _check32(self, *values: int) -> None:
        if any(v >= _U32 for v in values):
            raise WorkbookError("the package is too large (zip64 is not supported)")

    def copy_verbatim(self, src: BinaryIO, info: zipfile.ZipInfo) -> None:
        """Copy a member's local header, data and descriptor unchanged."""
        header, data_at = _local_header_of(src, info)
        self._check32(info.compress_size, info.file_size, self.pos)
        entry = _entry_from_info(info, self.pos)
        self._write(header)
        src.seek(data_at)
        self._copy_bytes(src, info.compress_size)
        if info.flag_bits & 0x08:
            self._write(_descriptor_of(src, header))
        self.entries.append(entry)

    def copy_restamped(self, src: BinaryIO, info: zipfile.ZipInfo, date_time) -> None:
        """Copy a member's compressed bytes under a rebuilt header with a new timestamp."""
        header, data_at = _local_header_of(src, info)
        self._check32(info.compress_size, info.file_size, self.pos)
        entry = _entry_from_info(info, self.pos)
        entry.flag &= ~0x08
        entry.dos_time, entry.dos_date = _dos_stamp(date_time)
        local_extra = header[_LOCAL.size + len(entry.name):]
        self._write(_pack_local(entry, _strip_zip64(local_extra)))
        src.seek(data_at)
        self._copy_bytes(src, info.compress_size)
        self.entries.append(entry)

    def add(self, name: str, data: bytes, *, like: zipfile.ZipInfo | None = None,
            date_time: tuple[int, ...] | None = None) -> None:
        """Write a new or replaced member; ``like`` keeps an existing member's header fields."""
        method = zipfile.ZIP_STORED if like and like.compress_type == 0 else zipfile.ZIP_DEFLATED
        if method == zipfile.ZIP_DEFLATED:
            comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            payload = comp.compress(data) + comp.flush()
        else:
            payload = data
        stamp = date_time or (like.date_time if like else _FIXED_DATE_TIME)
        self._check32(len(payload), len(data), self.pos)
        if like is not None:
            entry = _entry_from_info(like, self.pos)
            entry.flag &= 0x800
            entry.method = method
            entry.extra = _strip_zip64(like.extra)
        else:
            encoded = name.encode("ascii", "ignore")
            flag = 0 if encoded.decode("ascii") == name else 0x800
            entry = _Entry(name.encode("utf-8") if flag else encoded, flag, method, 0, 0, 0, 0,
                           0, self.pos, extract_version=20 if method else 10)
        entry.dos_time, entry.dos_date = _dos_stamp(stamp)
        entry.crc = zlib.crc32(data)
        entry.csize, entry.usize = len(payload), len(data)
        self._write(_pack_local(entry, entry.extra if like is not None else b""))
        self._write(payload)
        self.entries.append(entry)

    def _copy_bytes(self, src: BinaryIO, size: int) -> None:
        left = size
        while left:
            chunk = src.read(min(left, _CHUNK))
            if not chunk:
                raise WorkbookError("truncated zip member")
            self._write(chunk)
            left -= len(chunk)

    def close(self, comment: bytes = b"") -> None:
        cd_start = self.pos
        for e in self.entries:
            self._write(_CENTRAL.pack(
                b"PK\x01\x02", e.create_version, e.create_system, e.extract_version, 0, e.flag,
                e.method, e.dos_time, e.dos_date, e.crc, e.csize, e.usize, len(e.name),
                len(e.extra), len(e.comment), 0, e.internal_attr, e.external_attr, e.offset,
            ) + e.name + e.extra + e.comment)
        count = len(self.entries)
        if count >= 0xFFFF:
            raise WorkbookError("the package has too many members (zip64 is not supported)")
        self._check32(cd_start, self.pos - cd_start)
        self._write(_EOCD.pack(b"PK\x05\x06", 0, 0, count, count, self.pos - cd_start,
                               cd_start, len(comment)) + comment)


def _pack_local(e: _Entry, extra: bytes) -> bytes:
    header = _LOCAL.pack(b"PK\x03\x04", e.extract_version, 0, e.flag, e.method, e.dos_time,
                         e.dos_date, e.crc, e.csize, e.usize, len(e.name), len(extra))
    return header + e.name + extra


def _entry_from_info(info: zipfile.ZipInfo, offset: int) -> _Entry:
    dos_time, dos_date = _dos_stamp(info.date_time)
    return _Entry(
        name=_name_bytes(info), flag=info.flag_bits, method=info.compress_type,
        dos_time=dos_time, dos_date=dos_date, crc=info.CRC, csize=info.compress_size,
        usize=info.file_size, offset=offset, extract_version=info.extract_version,
        create_version=info.create_version, create_system=info.create_system,
        internal_attr=info.internal_attr, external_attr=info.external_attr,
        extra=_strip_zip64(info.extra), comment=info.comment,
    )


def _local_header_of(src: BinaryIO, info: zipfile.ZipInfo) -> tuple[bytes, int]:
    src.seek(info.header_offset)
    fixed = src.read(_LOCAL.size)
    if len(fixed) != _LOCAL.size or fixed[:4] != b"PK\x03\x04":
        raise WorkbookError(f"corrupt zip: bad local header for {info.filename!r}")
    fields = _LOCAL.unpack(fixed)
    rest = src.read(fields[-2] + fields[-1])
    if len(rest) != fields[-2] + fields[-1]:
        raise WorkbookError(f"corrupt zip: truncated header for {info.filename!r}")
    return fixed + rest, info.header_offset + len(fixed) + len(rest)


def _has_zip64(extra: bytes) -> bool:
    i = 0
    while i + 4 <= len(extra):
        hid, size = struct.unpack_from("<HH", extra, i)
        if hid == 0x0001:
            return True
        i += 4 + size
    return False


def _descriptor_of(src: BinaryIO, local_header: bytes) -> bytes:
    """The data descriptor after a member's data: optional signature, CRC, two sizes."""
    name_len = _LOCAL.unpack(local_header[:_LOCAL.size])[-2]
    size = 8 if _has_zip64(local_header[_LOCAL.size + name_len:]) else 4
    head = src.read(4)
    if head == b"PK\x07\x08":
        return head + src.read(4 + 2 * size)
    return head + src.read(2 * size)


def _atomic_write(dst: str, mode_from: str, produce, before_replace=None) -> None:
    """Write ``dst`` through a temporary file in its folder, fsync it, then rename it.

    The new file gets the mode and owner of the file it replaces (of ``mode_from`` when
    ``dst`` is new); ``before_replace`` runs just before the rename and may refuse it.
    """
    folder = os.path.dirname(os.path.abspath(dst))
    _require_writable(dst)
    try:
        like = os.stat(dst)
    except OSError:
        like = os.stat(mode_from)
    _remove_stale_temporaries(folder, os.path.basename(dst))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(dst)}.{os.getpid()}.",
                                   suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WorkbookError(f"{dst}: cannot write ({_one_line(exc.strerror or exc)})") from None
    try:
        with os.fdopen(fd, "wb") as out:
            _same_owner_and_mode(out.fileno(), like, dst)
            produce(out)
            out.flush()
            os.fsync(out.fileno())
        if before_replace is not None:
            before_replace()
        try:
            os.replace(tmp, dst)
        except OSError as exc:
            raise WorkbookError(f"{dst}: cannot write ({_one_line(exc.strerror or exc)})") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):
        with contextlib.suppress(OSError):
            dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def _remove_stale_temporaries(folder: str, name: str) -> None:
    """Remove the temporary files a killed writer of ``name`` left (``kill -9`` cannot be
    caught): each carries its writer's process id, and only those of dead processes go."""
    pattern = re.compile(re.escape(f".{name}.") + r"([0-9]+)\.[A-Za-z0-9_]+\.tmp")
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        m = pattern.fullmatch(entry)
        if m is None or int(m.group(1)) == os.getpid() or _alive(int(m.group(1))):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folder, entry))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process, or cannot tell: leave its file alone
    return True


def _same_owner_and_mode(fd: int, like: os.stat_result, dst: str) -> None:
    """Give the temporary file the owner, group and mode of the file it replaces: root
    must not take ownership of a user's file, nor a 0600 file become readable to others."""
    if hasattr(os, "fchown"):
        st = os.fstat(fd)
        if (st.st_uid, st.st_gid) != (like.st_uid, like.st_gid):
            try:
                os.fchown(fd, like.st_uid, like.st_gid)
            except PermissionError:
                if st.st_uid != like.st_uid:
                    raise WorkbookError(f"{dst}: cannot keep the file's owner (uid "
                                        f"{like.st_uid}); not written") from None
                with contextlib.suppress(OSError):  # only the group differs
                    os.fchown(fd, -1, like.st_gid)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(like.st_mode))


def _rezip(pkg: _Package, dst: str, replace: Mapping[str, bytes],
           append: list[tuple[str, bytes]], date_time: tuple[int, ...] | None = None,
           before_replace=None) -> None:
    """Write ``pkg`` to ``dst`` with some members replaced and some appended.

    Untouched members are copied byte for byte (or only restamped when ``date_time`` is
    given); replaced members keep their place, name, method and timestamp.
    """
    infos = pkg.zf.infolist()
    comment = pkg.zf.comment

    def produce(out: BinaryIO) -> None:
        writer = _ZipWriter(out)
        with os.fdopen(os.dup(pkg.fh.fileno()), "rb") as src:  # the file pkg has read
            for info in infos:
                if info.filename in replace:
                    writer.add(info.filename, replace[info.filename], like=info,
                               date_time=date_time)
                elif date_time is None:
                    writer.copy_verbatim(src, info)
                else:
                    writer.copy_restamped(src, info, date_time)
        for name, data in append:
            writer.add(name, data, date_time=date_time)
        writer.close(comment)

    _atomic_write(dst, pkg.path, produce, before_replace)


# --------------------------------------------------------------------------------------
# Public writers
# --------------------------------------------------------------------------------------

_DEFAULT_LIMITS = _Limits(2_000_000, MAX_ROW, 512 * MiB, 200.0, 256 * MiB)


def _normalize_key(key: object, what: str) -> tuple[str, tuple[int, int]]:
    try:
        sheet, ref = key
        return sheet, parse_ref(ref)
    except (TypeError, ValueError):
        raise WorkbookError(f"{what}: expected (sheet, cell reference), got {key!r}") from None


def _dynamic_plan(pkg: _Package, structure: _Structure, replace: dict[str, bytes],
                  append: list[tuple[str, bytes]]) -> bytes:
    """Make sure the package carries XLDAPR metadata; return the ``cm`` index to use."""
    wb_dir = posixpath.dirname(structure.workbook_part)
    part = structure.rel_part(REL_SHEET_METADATA) or posixpath.join(wb_dir, "metadata.xml")
    info = pkg.info(part)
    if info is not None:
        meta = _dynamic_metadata(pkg.tree(part))
        if not meta.dynamic_cms:
            pkg.fail(f"{info.filename} has no dynamic-array entry; cannot mark spills")
        cm = str(min(meta.dynamic_cms)).encode()
        part = info.filename
    else:
        append.append((part, DYNAMIC_ARRAY_METADATA))
        cm = b"1"
    rels_part = _rels_name(structure.workbook_part)
    target = posixpath.relpath(part, wb_dir or ".")
    _edit_member(pkg, replace, append, rels_part,
                 lambda d: _ensure_relationship(d, rels_part, REL_SHEET_METADATA, target))
    _edit_member(pkg, replace, append, "[Content_Types].xml",
                 lambda d: _ensure_override(d, part, CT_SHEET_METADATA))
    return cm


def _edit_member(pkg: _Package, replace: dict[str, bytes], append: list[tuple[str, bytes]],
                 name: str, edit) -> None:
    info = pkg.info(name)
    if info is None:
        pkg.fail(f"missing part {name}")
    current = replace.get(info.filename)
    if current is None:
        current = pkg.read(info.filename, _TREE_PART_CAP)
        _parse_tree(current, info.filename)
        _check_utf8(current, info.filename)
    new = edit(current)
    if new != current:
        replace[info.filename] = new


def write_cached_values(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    values: Mapping[tuple[str, str], object],
    arrays: Mapping[tuple[str, str], str] | None = None,
    *,
    dynamic: Iterable[tuple[str, str]] = (),
    expect: tuple | None = None,
) -> None:
    """Write cached values into a workbook's cells, changing nothing else.

    Parameters
    ----------
    src, dst : str or path-like
        Source and destination packages; they may be the same file.
    values : mapping
        ``(sheet, ref) -> value``: a float or int (no ``t``; floats written with
        ``repr`` so they round-trip), str (``t="str"``), bool (``t="b"``), ExcelError
        (``t="e"``) or None (removes ``<v>`` and ``t``). NaN and infinities become
        ``#NUM!``. A cell missing from the XML, such as a non-anchor cell of a spill, is
        inserted in column order (its row is created if needed, the row's ``spans`` and
        the sheet's ``<dimension>`` are widened).
    arrays : mapping, optional
        ``(sheet, anchor ref) -> "A1:B9"``: the new range of that anchor's array formula.
    dynamic : iterable of (sheet, ref), optional
        Anchors to mark as dynamic arrays, as :func:`mark_dynamic_arrays` does, in the
        same pass.
    expect : tuple, optional
        The :func:`fingerprint` ``src`` had when the values were computed: if ``src``
        differs from it before reading or just before the rename, nothing is written.

    Raises
    ------
    WorkbookError
        On a bad source package, an unknown sheet, an array edit on a cell without an
        array formula, or a value of an unsupported type. ``dst`` is then untouched.
    """
    src, dst = os.fspath(src), os.fspath(dst)
    with _guard(src):
        _require_writable(dst)
        _check_unchanged(src, expect)
        with _Package(src, _DEFAULT_LIMITS) as pkg:
            structure = _structure(pkg)
            per_sheet: dict[str, _SheetEdits] = {}

            def edits_for(sheet_name: str) -> tuple[SheetInfo, _SheetEdits]:
                info = structure.sheet(sheet_name, pkg)
                if info.kind not in ("worksheet", "macrosheet"):
                    pkg.fail(f"sheet {info.name!r} is a {info.kind}, not a worksheet")
                return info, per_sheet.setdefault(info.part, _SheetEdits())

            for key, value in values.items():
                sheet_name, rc = _normalize_key(key, "values")
                info, edits = edits_for(sheet_name)
                edits.values[rc] = _payload(value, f"{info.name}!{make_ref(*rc)}")
            for key, new_range in (arrays or {}).items():
                sheet_name, rc = _normalize_key(key, "arrays")
                try:
                    canonical = make_range(*parse_range(new_range))
                except ValueError:
                    raise WorkbookError(f"arrays: bad range {new_range!r}") from None
                edits_for(sheet_name)[1].arrays[rc] = canonical
            for key in dynamic:
                sheet_name, rc = _normalize_key(key, "dynamic")
                edits_for(sheet_name)[1].dynamic.add(rc)

            replace: dict[str, bytes] = {}
            append: list[tuple[str, bytes]] = []
            cm = None
            if any(e.dynamic for e in per_sheet.values()):
                cm = _dynamic_plan(pkg, structure, replace, append)
            for sheet in structure.sheets:
                edits = per_sheet.get(sheet.part)
                if edits is None or sheet.part in replace:
                    continue
                data = pkg.read(sheet.part)
                _validate_xml(pkg, sheet.part, data)
                new = _edit_sheet(data, sheet.part, sheet.name, edits, cm)
                if new != data:
                    replace[sheet.part] = new
            check = None if expect is None else (lambda: _check_unchanged(src, expect))
            _rezip(pkg, dst, replace, append, before_replace=check)


def mark_dynamic_arrays(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    anchors: Iterable[tuple[str, str]],
) -> None:
    """Flag array-formula anchors as dynamic arrays so that Excel 365 spills them.

    Adds ``cm`` to each anchor's ``<c>`` and makes sure the package has the XLDAPR
    metadata part XlsxWriter writes (``xl/metadata.xml``), its workbook relationship and
    its content type. Running it twice gives the same bytes. Each anchor must already
    carry ``<f t="array">``.
    """
    write_cached_values(src, dst, {}, dynamic=anchors)


def _timestamp(text: str) -> tuple[datetime, tuple[int, ...]]:
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError):
        raise WorkbookError(
            f"timestamp must look like 2026-01-01T00:00:00Z, got {text!r}") from None
    if not 1980 <= moment.year <= 2107:
        raise WorkbookError(f"timestamp year must be within 1980..2107, got {moment.year}")
    return moment, (moment.year, moment.month, moment.day, moment.hour, moment.minute,
                    moment.second - moment.second % 2)


def _pin_core(data: bytes, stamp: bytes) -> bytes:
    root, _, _ = _root_and_children(data, "docProps/core.xml")
    prefixes = {b"" if k == b"xmlns" else k[6:] for k, v in root.attrs().items()
                if k.startswith(b"xmlns") and v == NS_DCTERMS.encode()}
    edits: list[tuple[int, int, bytes]] = []
    opened: _Tag | None = None
    for tag in _tags(data):
        if tag.prefix not in prefixes or tag.local not in (b"created", b"modified"):
            continue
        if tag.closing and opened is not None:
            edits.append((opened.end, tag.start, stamp))
            opened = None
        elif tag.empty:
            closing = b"</" + _qname(tag.prefix, tag.local) + b">"
            edits.append((tag.start, tag.end, _open_tag(tag.raw) + stamp + closing))
        elif not tag.closing:
            opened = tag
    return _apply_edits(data, edits)


def pin_package(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    timestamp: str = "2026-01-01T00:00:00Z",
) -> None:
    """Make a package reproducible: fixed creation/modification times and member stamps.

    Rewrites the text of ``dcterms:created`` and ``dcterms:modified`` in the core
    properties (when present) and gives every zip member the same timestamp, so that two
    builds of the same workbook are byte-identical. Compressed member data is copied
    unchanged.
    """
    src, dst = os.fspath(src), os.fspath(dst)
    _, date_time = _timestamp(timestamp)
    with _guard(src):
        with _Package(src, _DEFAULT_LIMITS) as pkg:
            replace: dict[str, bytes] = {}
            core = None
            for rel in _read_rels(pkg, "").values():
                if rel.type == REL_CORE_PROPERTIES and rel.part:
                    core = rel.part
            core_info = pkg.info(core or "docProps/core.xml")
            if core_info is not None:
                data = pkg.read(core_info.filename, _TREE_PART_CAP)
                _parse_tree(data, core_info.filename)
                _check_utf8(data, core_info.filename)
                new = _pin_core(data, timestamp.encode("ascii"))
                if new != data:
                    replace[core_info.filename] = new
            _rezip(pkg, dst, replace, [], date_time=date_time)


def _add_codename(workbook: bytes, name: str, codename: str) -> bytes:
    root, children, _ = _root_and_children(workbook, name)
    for child in children:
        if child.local == b"workbookPr":
            if b"codeName" in child.attrs():
                return workbook
            new = _set_attr(child.raw, b"codeName", _xml_escape(codename, attribute=True))
            return workbook[:child.start] + new + workbook[child.end:]
    # workbookPr comes after fileVersion and fileSharing when those are present.
    at = root.end
    for child in children:
        if child.local in (b"fileVersion", b"fileSharing"):
            at = _element_end(workbook, child)
    element = (b"<" + _qname(root.prefix, b"workbookPr") + b' codeName="'
               + _xml_escape(codename, attribute=True) + b'"/>')
    return workbook[:at] + element + workbook[at:]


def _element_end(data: bytes, tag: _Tag) -> int:
    if tag.empty:
        return tag.end
    depth = 0
    for t in _tags(data, tag.start):
        if t.closing:
            depth -= 1
            if depth == 0:
                return t.end
        elif not t.empty:
            depth += 1
    raise WorkbookError("unclosed element")


def inject_vba(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    vba_bin: bytes,
    *,
    workbook_codename: str | None = "ThisWorkbook",
) -> None:
    """Turn an .xlsx package into an .xlsm by adding a VBA project.

    Adds (or replaces) ``xl/vbaProject.bin``, its workbook relationship and its content
    type (the ``bin`` Default, or an Override when ``bin`` already means something else),
    and switches the workbook part to the macro-enabled content type. Like XlsxWriter, it
    also gives the workbook the VBA code name ``ThisWorkbook`` unless it has one or
    ``workbook_codename`` is None.
    """
    src, dst = os.fspath(src), os.fspath(dst)
    if not isinstance(vba_bin, (bytes, bytearray)) or not bytes(vba_bin).startswith(_OLE_MAGIC):
        raise WorkbookError("vba_bin is not a vbaProject.bin (no OLE compound-file signature)")
    with _guard(src):
        with _Package(src, _DEFAULT_LIMITS) as pkg:
            structure = _structure(pkg)
            wb_part = structure.workbook_part
            wb_dir = posixpath.dirname(wb_part)
            replace: dict[str, bytes] = {}
            append: list[tuple[str, bytes]] = []
            part = structure.rel_part(REL_VBA_PROJECT) or posixpath.join(wb_dir, "vbaProject.bin")
            info = pkg.info(part)
            if info is not None:
                part = info.filename
                replace[part] = bytes(vba_bin)
            else:
                append.append((part, bytes(vba_bin)))
            rels_part = _rels_name(wb_part)
            target = posixpath.relpath(part, wb_dir or ".")
            _edit_member(pkg, replace, append, rels_part,
                         lambda d: _ensure_relationship(d, rels_part, REL_VBA_PROJECT, target))
            _edit_member(pkg, replace, append, "[Content_Types].xml",
                         lambda d: _vba_content_types(d, part, wb_part))
            if workbook_codename:
                _edit_member(pkg, replace, append, wb_part,
                             lambda d: _add_codename(d, wb_part, workbook_codename))
            _rezip(pkg, dst, replace, append)


def _vba_content_types(ct: bytes, vba_part: str, wb_part: str) -> bytes:
    name = "[Content_Types].xml"
    defaults, overrides = _content_types(ct)
    if "/" + vba_part.lower() not in overrides:
        current = defaults.get("bin")
        if current is None:
            root, _, _ = _root_and_children(ct, name)
            element = (b"<" + _qname(root.prefix, b"Default") + b' Extension="bin" ContentType="'
                       + CT_VBA_PROJECT.encode() + b'"/>')
            ct = _insert_children(ct, name, element, first=True)
        elif current[1] != CT_VBA_PROJECT:
            ct = _ensure_override(ct, vba_part, CT_VBA_PROJECT)
    else:
        ct = _ensure_override(ct, vba_part, CT_VBA_PROJECT)
    _, overrides = _content_types(ct)
    current = overrides.get("/" + wb_part.lower())
    current_type = current[1] if current else CT_MAIN
    macro = {CT_MAIN: CT_MAIN_MACRO, CT_TEMPLATE: CT_TEMPLATE_MACRO}.get(current_type,
                                                                        current_type)
    return _ensure_override(ct, wb_part, macro)
