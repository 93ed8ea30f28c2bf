"""LibreOffice headless as a second formula engine and as a sheet renderer.

Two jobs, both through the ``soffice`` command line:

* :func:`recalculate` makes LibreOffice recompute every native formula of a workbook and returns
  the values, so tests can check the Python values against an independent implementation.
* :func:`render_pngs` prints a workbook as its page setup says, one PNG per page (charts
  included), for the documentation; :func:`print_pdf` and :func:`to_pdf` give the PDF, and
  :func:`pdf_page_texts` and :func:`pdf_word_heights` read it back (poppler).

LibreOffice keeps the cached values of a file it did not write itself unless its profile says
otherwise, so every call runs with a fresh, private user profile that forces a full
recalculation on load. That also lets calls run concurrently. What LibreOffice saves is only
read, never shipped: re-saving an add-in workbook lower-cases the UDF names and drops the
dynamic-array metadata.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unicodedata
import zlib
from collections.abc import Iterable
from pathlib import Path

import openpyxl
from openpyxl.worksheet.pagebreak import ColBreak, RowBreak
from openpyxl.worksheet.worksheet import Worksheet

from xlmodel.errors import ExcelError, WorkbookError, as_excel_error

#: Set to ``1`` to make a missing LibreOffice a test failure instead of a skip.
REQUIRE_ENV = "XLMODEL_REQUIRE_LIBREOFFICE"

#: Sheets :func:`render_pngs` leaves out by default (fnmatch patterns, case-insensitive).
DEFAULT_SKIP_SHEETS = ("xlwings.conf", "_xlwings.conf")

# Recalculation modes: 0 = always, 1 = never, 2 = ask. "Ask" is "never" when headless.
_PROFILE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"\
 oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode"\
 oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

# Where installers put soffice when it is not on PATH.
_SOFFICE_CANDIDATES = (
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
)

# A function call in a formula: a name followed by "(". Strings and quoted sheet names, which
# may hold anything, are blanked first.
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\s*\(")
_QUOTED = re.compile(r'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'')


def find_soffice() -> str | None:
    """Return the path of the LibreOffice ``soffice`` executable, or None if there is none."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return next((c for c in _SOFFICE_CANDIDATES if os.path.isfile(c)), None)


def require_soffice(*, pdftoppm: bool = False) -> str:
    """Return the soffice path for a test, or skip the test when LibreOffice is missing.

    With the environment variable ``XLMODEL_REQUIRE_LIBREOFFICE=1`` a missing LibreOffice fails
    the test instead. Works at module level (``SOFFICE = require_soffice()``) and inside tests.

    Parameters
    ----------
    pdftoppm : bool
        Also require poppler's ``pdftoppm``, which :func:`render_pngs` needs.
    """
    import pytest  # only tests call this; the library itself must not need pytest

    soffice = find_soffice()
    missing = []
    if soffice is None:
        missing.append("LibreOffice (soffice)")
    if pdftoppm and shutil.which("pdftoppm") is None:
        missing.append("poppler (pdftoppm)")
    if not missing:
        return soffice
    reason = " and ".join(missing) + " not found on PATH"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}, but {REQUIRE_ENV}=1", pytrace=False)
    pytest.skip(f"{reason}; set {REQUIRE_ENV}=1 to fail instead", allow_module_level=True)
    raise AssertionError("unreachable")  # pytest.skip raises


def recalculate(
    path: str | os.PathLike, *, udf_names: Iterable[str] = (), timeout: float = 120
) -> dict[str, dict[str, object]]:
    """Recalculate a workbook with LibreOffice and return the value of every non-empty cell.

    Every formula is recomputed, whatever values the file has cached. Values come back as
    openpyxl reads them (numbers, strings, booleans, datetimes for date-formatted cells); error
    values come back as :class:`~xlmodel.errors.ExcelError`. Cells whose value is empty text are
    left out, as LibreOffice saves them like empty cells.

    Parameters
    ----------
    path : path-like
        The workbook (.xlsx, .xlsm or anything else LibreOffice opens).
    udf_names : iterable of str
        Add-in functions LibreOffice does not know. Formulas calling them are replaced by their
        cached values first (on a copy), so that native formulas fed by them still compute;
        without this they give ``#NAME?``. Spellings as in :func:`render_pngs`.
    timeout : float
        Seconds before LibreOffice is killed.

    Returns
    -------
    dict
        Worksheet name -> {cell reference such as ``"B3"`` -> value}, in workbook order.

    Raises
    ------
    WorkbookError
        The file is missing, LibreOffice is missing, fails or takes longer than ``timeout``.
    """
    source = _existing_file(path)
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="xlmodel-lo-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        udfs = _upper_set(udf_names)
        if udfs:
            wb = _load_with_udfs_frozen(source, udfs)
            source = work / "frozen.xlsx"
            wb.save(source)
        result = _soffice_convert(source, "xlsx", work, deadline, timeout)
        return _read_values(result)


def resave(path: str | os.PathLike, dst: str | os.PathLike, *, timeout: float = 120) -> Path:
    """Have LibreOffice recalculate a workbook and save it as .xlsx at ``dst``.

    The result's cached values are LibreOffice's own: a second implementation to test a
    harness against. Never ship such a file: LibreOffice lower-cases add-in function names
    and drops dynamic-array metadata.
    """
    source = _existing_file(path)
    deadline = time.monotonic() + timeout
    dst = Path(dst)
    with tempfile.TemporaryDirectory(prefix="xlmodel-lo-", ignore_cleanup_errors=True) as tmp:
        result = _soffice_convert(source, "xlsx", Path(tmp), deadline, timeout)
        shutil.copyfile(result, dst)
    return dst


def render_pngs(
    path: str | os.PathLike,
    outdir: str | os.PathLike,
    *,
    dpi: int = 80,
    udf_names: Iterable[str] = (),
    skip_sheets: Iterable[str] = DEFAULT_SKIP_SHEETS,
    include_hidden: bool = False,
    trim: bool = True,
    timeout: float = 180,
) -> list[Path]:
    """Render each printed page of a workbook to a PNG, charts included: what printing gives.

    LibreOffice prints a copy of the workbook; the original is never modified. A sheet with a
    page setup of its own (fit to page, or a print area) prints as it says; a sheet without
    one is fitted to one landscape page. Formulas calling functions LibreOffice does not know
    (the add-in's UDFs) are replaced in the copy by their cached values, so they show what
    Excel shows rather than ``#NAME?``; native formulas stay formulas and are recalculated.

    Parameters
    ----------
    path : path-like
        The workbook.
    outdir : path-like
        Directory for the PNGs, created if needed. Existing files of the same name are replaced.
    dpi : int
        Resolution of the page images [dots per inch], 10 to 600.
    udf_names : iterable of str
        Functions to replace by their cached values, case-insensitive. A name matches its plain
        spelling, ``_xll.NAME``, ``_xldudf_NAME``, ``_xldudf_NS_NAME`` and ``NS.NAME``.
    skip_sheets : iterable of str
        fnmatch patterns of sheet names not to render, case-insensitive.
    include_hidden : bool
        Render hidden sheets too.
    trim : bool
        Crop the blank page margin around the printed area.
    timeout : float
        Seconds for the whole job before the external programs are killed.

    Returns
    -------
    list of Path
        One PNG per printed page, in workbook order: ``<workbook-stem>-<sheet>.png`` for a
        sheet's first page and ``<workbook-stem>-<sheet>-page<N>.png`` for the next ones (both
        slugified). Empty sheets are not rendered.

    Raises
    ------
    WorkbookError
        The file is missing or unreadable, a program is missing, fails or times out, or no sheet
        is left to render.
    """
    if not 10 <= dpi <= 600:
        raise ValueError(f"dpi must be between 10 and 600, got {dpi}")
    source = _existing_file(path)
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise WorkbookError("poppler's pdftoppm not found on PATH; it is needed to render PNGs")
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="xlmodel-lo-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        pdf, pages = _print_pdf(source, work, _upper_set(udf_names), tuple(skip_sheets),
                                include_hidden, deadline, timeout)
        pages_dir = work / "pages"
        pages_dir.mkdir()
        # Without -png pdftoppm writes PPM, which is simple to crop before encoding.
        image_format = [] if trim else ["-png"]
        argv = [pdftoppm, *image_format, "-r", str(dpi), str(pdf), str(pages_dir / "page")]
        _run(argv, work, deadline, timeout, f"pdftoppm on {source.name}")
        images = sorted(pages_dir.iterdir(), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        if len(images) != len(pages):
            raise WorkbookError(f"pdftoppm wrote {len(images)} images for {len(pages)} pages "
                                f"of {source.name}")
        sheets = list(dict.fromkeys(pages))
        base = dict(zip(sheets, png_names(source.stem, sheets), strict=True))
        out = Path(outdir)
        out.mkdir(parents=True, exist_ok=True)
        written, seen = [], {}
        for image_path, sheet in zip(images, pages, strict=True):
            seen[sheet] = seen.get(sheet, 0) + 1
            name = base[sheet]
            if seen[sheet] > 1:
                name = name.removesuffix(".png") + f"-page{seen[sheet]}.png"
            target = out / name
            image = image_path.read_bytes()
            target.write_bytes(_trimmed_png(image, margin=max(2, dpi // 8)) if trim else image)
            written.append(target)
        return written


def print_pdf(
    path: str | os.PathLike,
    dest: str | os.PathLike,
    *,
    udf_names: Iterable[str] = (),
    skip_sheets: Iterable[str] = DEFAULT_SKIP_SHEETS,
    include_hidden: bool = False,
    timeout: float = 180,
) -> list[str]:
    """Print a workbook to the PDF file ``dest`` as :func:`render_pngs` does.

    Returns the sheet each page belongs to, page by page.
    """
    source = _existing_file(path)
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="xlmodel-lo-", ignore_cleanup_errors=True) as tmp:
        pdf, pages = _print_pdf(source, Path(tmp), _upper_set(udf_names), tuple(skip_sheets),
                                include_hidden, deadline, timeout)
        shutil.copyfile(pdf, dest)
    return pages


def to_pdf(path: str | os.PathLike, dest: str | os.PathLike, *, timeout: float = 180) -> Path:
    """Print the workbook itself to the PDF file ``dest``, as LibreOffice prints it: no copy,
    no frozen add-in cells (they show #NAME?), the workbook's own page setup."""
    source = _existing_file(path)
    deadline = time.monotonic() + timeout
    dest = Path(dest)
    with tempfile.TemporaryDirectory(prefix="xlmodel-lo-", ignore_cleanup_errors=True) as tmp:
        shutil.copyfile(_soffice_convert(source, "pdf", Path(tmp), deadline, timeout), dest)
    return dest


def _pdftotext(pdf: str | os.PathLike, option: str, timeout: float) -> str:
    """What poppler's ``pdftotext OPTION`` prints for a PDF."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        raise WorkbookError("poppler's pdftotext not found on PATH")
    with tempfile.TemporaryDirectory(prefix="xlmodel-lo-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        out = work / "out.txt"
        _run([pdftotext, option, str(Path(pdf).resolve()), str(out)], work,
             time.monotonic() + timeout, timeout, "pdftotext")
        return out.read_text(encoding="utf-8", errors="replace")


def pdf_word_heights(pdf: str | os.PathLike, *, timeout: float = 60) -> list[list[float]]:
    """The height [pt] of every word's box on each page of a PDF (poppler's pdftotext -bbox):
    a measure of how large the printed text is."""
    html = _pdftotext(pdf, "-bbox", timeout)
    box = re.compile(r'<word [^>]*yMin="([-\d.]+)"[^>]*yMax="([-\d.]+)"')
    return [[float(b) - float(a) for a, b in box.findall(page)]
            for page in html.split("<page ")[1:]]


def pdf_page_texts(pdf: str | os.PathLike, *, timeout: float = 60) -> list[str]:
    """The text of each page of a PDF, laid out as printed (poppler's pdftotext)."""
    text = _pdftotext(pdf, "-layout", timeout)
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def _print_pdf(source: Path, work: Path, udfs: frozenset[str], skip: tuple[str, ...],
               include_hidden: bool, deadline: float, timeout: float) -> tuple[Path, list[str]]:
    """Print the copy to PDF; return it and the sheet of each page."""
    copy = work / "print.xlsx"
    sheets = _print_copy(source, copy, udfs, skip, include_hidden)
    pdf = _soffice_convert(copy, "pdf", work, deadline, timeout)
    if shutil.which("pdftotext") is None:
        raise WorkbookError("poppler's pdftotext not found on PATH; it is needed to tell "
                            "which page is which sheet")
    texts = pdf_page_texts(pdf, timeout=max(1.0, deadline - time.monotonic()))
    return pdf, _pages_to_sheets(texts, sheets, source.name)


def _pages_to_sheets(texts: list[str], sheets: list[str], what: str) -> list[str]:
    """The sheet of each page: pages come in sheet order, and every page's header begins with
    its sheet's name (the print copy makes sure of it)."""
    if len(texts) == len(sheets):
        return list(sheets)
    pages, k = [], -1
    for number, text in enumerate(texts, start=1):
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        candidates = [j for j in (k, k + 1) if 0 <= j < len(sheets)
                      and first.startswith(sheets[j])]
        if not candidates:
            raise WorkbookError(f"LibreOffice printed {len(texts)} pages for {len(sheets)} "
                                f"sheets of {what}; cannot tell which sheet page {number} is")
        k = max(candidates, key=lambda j: (len(sheets[j]), j))
        pages.append(sheets[k])
    if set(pages) != set(sheets):
        raise WorkbookError(f"LibreOffice printed no page for some sheets of {what}")
    return pages


def png_names(stem: str, sheets: Iterable[str]) -> list[str]:
    """File names ``<stem>-<sheet>.png`` for the sheets, slugified and made unique in order.

    >>> png_names("Launch Model", ["Inputs", "Out put", "out-put"])
    ['launch-model-inputs.png', 'launch-model-out-put.png', 'launch-model-out-put-2.png']
    """
    names: list[str] = []
    for sheet in sheets:
        base = f"{_slug(stem)}-{_slug(sheet)}"
        name, n = f"{base}.png", 1
        while name in names:
            n += 1
            name = f"{base}-{n}.png"
        names.append(name)
    return names


# --- running programs -----------------------------------------------------------------------


def _existing_file(path: str | os.PathLike) -> Path:
    source = Path(path)
    if not source.is_file():
        raise WorkbookError(f"workbook not found: {source}")
    return source.resolve()


def _soffice_convert(source: Path, fmt: str, work: Path, deadline: float, timeout: float) -> Path:
    """Convert ``source`` to ``fmt`` with a private profile; return the converted file."""
    soffice = find_soffice()
    if soffice is None:
        raise WorkbookError("LibreOffice (soffice) not found on PATH")
    profile = work / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE_XCU, encoding="utf-8")
    # A neutral input name: the output name is then known, and odd characters in the user's
    # file name never reach the LibreOffice command line.
    inbox, outbox = work / "in", work / "out"
    inbox.mkdir()
    staged = inbox / f"book{source.suffix.lower()}"
    shutil.copyfile(source, staged)
    argv = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless", "--norestore", "--nolockcheck",
        "--convert-to", fmt, "--outdir", str(outbox), str(staged),
    ]
    log = _run(argv, work, deadline, timeout, f"LibreOffice converting {source.name} to {fmt}")
    result = outbox / f"book.{fmt}"
    if not result.is_file():
        detail = _last_line(log) or "no output file"
        raise WorkbookError(f"LibreOffice could not convert {source.name} to {fmt}: {detail}")
    return result


def _run(argv: list[str], work: Path, deadline: float, timeout: float, what: str) -> str:
    """Run a program in its own process group; kill the whole group on timeout. Return its log.

    Output goes to a file, not a pipe: soffice forks a child that inherits the pipe, and
    reading a pipe until EOF would then wait for that child too.
    """
    log_path = work / "run.log"
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise WorkbookError(f"{what}: no time left of the {timeout:g} s timeout")
    with open(log_path, "wb") as log:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, cwd=work, start_new_session=True)
        except OSError as exc:
            raise WorkbookError(f"{what}: cannot start {argv[0]}: {exc}") from None
        try:
            returncode = proc.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            returncode = None
        finally:
            _kill_group(proc)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    if returncode is None:
        raise WorkbookError(f"{what} did not finish within the {timeout:g} s timeout")
    if returncode != 0:
        raise WorkbookError(f"{what} failed with exit code {returncode}: {_last_line(text)}")
    return text


def _kill_group(proc: subprocess.Popen) -> None:
    # Also after a normal exit: nothing the program left behind may outlive the call.
    if hasattr(os, "killpg"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    else:  # pragma: no cover - Windows has no process groups to kill
        proc.kill()
    proc.wait()


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # javaldx's warning is noise on machines without Java.
    lines = [line for line in lines if "javaldx" not in line]
    return lines[-1][:200] if lines else ""


# --- reading LibreOffice's values ----------------------------------------------------------


def _read_values(path: Path) -> dict[str, dict[str, object]]:
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise WorkbookError(f"cannot read LibreOffice's output: {exc}") from None
    try:
        return {ws.title: _sheet_values(ws) for ws in wb.worksheets}
    finally:
        wb.close()


def _sheet_values(ws) -> dict[str, object]:
    values: dict[str, object] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            if cell.data_type == "e":
                # LibreOffice's own codes (Err:502 ...) have no Excel spelling.
                value = as_excel_error(cell.value) or ExcelError("#VALUE!", str(cell.value))
            else:
                value = as_excel_error(cell.value) or cell.value
            values[cell.coordinate] = value
    return values


# --- the printing copy ---------------------------------------------------------------------


def _print_copy(source: Path, dest: Path, udfs: frozenset[str], skip: tuple[str, ...],
                include_hidden: bool) -> list[str]:
    """Write the copy LibreOffice prints; return the names of the sheets it prints, in order."""
    wb = _load_with_udfs_frozen(source, udfs)
    printed = []
    sheets = [wb[name] for name in wb.sheetnames]  # worksheets and chart sheets, in tab order
    for sheet in sheets:
        if isinstance(sheet, Worksheet):
            if not _has_page_setup(sheet):
                _fit_to_one_page(sheet)
            _name_in_header(sheet)
        wanted = (
            (include_hidden or sheet.sheet_state == "visible")
            and not any(fnmatch.fnmatch(sheet.title.lower(), p.lower()) for p in skip)
            and not _is_blank(sheet)
        )
        # LibreOffice prints no page for a hidden or blank sheet, so hiding the unwanted
        # sheets keeps pages and sheets in step.
        sheet.sheet_state = "visible" if wanted else "hidden"
        if wanted:
            printed.append(sheet.title)
    if not printed:
        raise WorkbookError(f"no sheet of {source.name} is left to render")
    wb.active = wb.sheetnames.index(printed[0])
    for sheet in sheets:
        if isinstance(sheet, Worksheet):
            sheet.sheet_view.tabSelected = sheet.title == printed[0]
    wb.save(dest)
    return printed


def _fit_to_one_page(ws: Worksheet) -> None:
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.page_setup.orientation = "landscape"
    # Manual page breaks would still split the sheet.
    ws.row_breaks = RowBreak()
    ws.col_breaks = ColBreak()


def _has_page_setup(ws: Worksheet) -> bool:
    return bool(ws.sheet_properties.pageSetUpPr and ws.sheet_properties.pageSetUpPr.fitToPage
                or ws.print_area)


def _name_in_header(ws: Worksheet) -> None:
    """Make each page's first line begin with the sheet's name, so pages map to sheets."""
    header = ws.oddHeader
    if header.left.text and header.left.text.startswith("&A"):
        return
    header.left.text = "&A"


def _is_blank(sheet) -> bool:
    if not isinstance(sheet, Worksheet):
        return False  # a chart sheet
    if sheet._charts or sheet._images:
        return False
    return all(cell.value in (None, "") for cell in sheet._cells.values())


def _load_with_udfs_frozen(source: Path, udfs: frozenset[str]) -> openpyxl.Workbook:
    """Load a workbook with every formula calling one of ``udfs`` replaced by its cached value."""
    try:
        wb = openpyxl.load_workbook(source)
        cached = openpyxl.load_workbook(source, data_only=True) if udfs else None
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise WorkbookError(f"cannot read {source.name}: {exc}") from None
    if cached is not None:
        for ws in wb.worksheets:
            _freeze_udf_cells(ws, cached[ws.title], udfs)
    return wb


def _freeze_udf_cells(ws: Worksheet, cached: Worksheet, udfs: frozenset[str]) -> None:
    """Replace formulas calling one of ``udfs`` by the value Excel cached for them."""
    for cell in ws._cells.values():
        formula = _formula_text(cell.value)
        if formula is not None and _calls_udf(formula, udfs):
            cell.value = cached[cell.coordinate].value


def _formula_text(value: object) -> str | None:
    text = getattr(value, "text", value)  # ArrayFormula and DataTableFormula carry .text
    if isinstance(text, str) and text.startswith("="):
        return text
    return None


def _upper_set(names: Iterable[str]) -> frozenset[str]:
    if isinstance(names, str):
        names = [names]
    return frozenset(name.upper() for name in names)


def _calls_udf(formula: str, udfs: frozenset[str]) -> bool:
    """True if the formula calls one of ``udfs`` (upper case) under any add-in spelling.

    >>> _calls_udf('=_xll.BREAKEVEN(A1)+SUM(B1:B3)', frozenset({"BREAKEVEN"}))
    True
    >>> _calls_udf('="BREAKEVEN(" & A1', frozenset({"BREAKEVEN"}))
    False
    """
    if not udfs:
        return False
    underscored = {name.replace(".", "_") for name in udfs}
    for token in _CALL.findall(_QUOTED.sub("''", formula)):
        name = token.upper()
        if name.startswith("_XLL."):
            name = name[len("_XLL."):]
        if name in udfs:
            return True
        if name.startswith("_XLDUDF_"):
            rest = name[len("_XLDUDF_"):]
            if rest in underscored or any(rest.endswith("_" + u) for u in underscored):
                return True
        elif "." in name and not name.startswith("_XL") and name.rsplit(".", 1)[1] in udfs:
            return True  # a namespaced spelling, NS.NAME
    return False


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "sheet"


# --- images --------------------------------------------------------------------------------


def _trimmed_png(ppm: bytes, margin: int) -> bytes:
    """Crop the white border of a binary PPM page image and return it as a PNG."""
    match = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", ppm)
    if match is None or match.group(3) != b"255":
        raise WorkbookError("pdftoppm wrote an image this module cannot read")
    width, height = int(match.group(1)), int(match.group(2))
    pixels = memoryview(ppm)[match.end():]
    stride = 3 * width
    top, bottom, left, right = height, 0, width, 0
    for y in range(height):
        row = bytes(pixels[y * stride:(y + 1) * stride])
        ink = row.strip(b"\xff")
        if not ink:
            continue
        top, bottom = min(top, y), y + 1
        left = min(left, (len(row) - len(row.lstrip(b"\xff"))) // 3)
        right = max(right, (len(row.rstrip(b"\xff")) + 2) // 3)
    if top >= bottom:  # a blank page: keep it whole
        top, bottom, left, right = 0, height, 0, width
    else:
        top, left = max(0, top - margin), max(0, left - margin)
        bottom, right = min(height, bottom + margin), min(width, right + margin)
    rows = b"".join(
        b"\x00" + bytes(pixels[y * stride + 3 * left:y * stride + 3 * right])
        for y in range(top, bottom)
    )
    return _png(right - left, bottom - top, rows)


def _png(width: int, height: int, filtered_rows: bytes) -> bytes:
    """An 8-bit RGB PNG from rows that each start with filter byte 0."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(filtered_rows, 6)) + chunk(b"IEND", b""))
