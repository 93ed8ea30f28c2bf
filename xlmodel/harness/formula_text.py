"""What full mode reads from a formula's text alone, before IronCalc sees it: why a cell
cannot be recomputed (the reasons it keeps its saved value), the functions it calls, and the
rewrites IronCalc needs (sheet-scoped names, whole columns, 3-D references, legacy ranges).
"""

from __future__ import annotations

import re

EXTERNAL_LINK = "external link"
THREE_D_REFERENCE = "3-D reference"
DATA_TABLE = "data table"
UNKNOWN_FUNCTION = "function no engine has"
VOLATILE = "volatile function"
ENVIRONMENT = "depends on where the file is opened"
STRUCTURED_REFERENCE = "table (structured) reference"
UNREADABLE = "formula the engine cannot read"
CIRCULAR = "circular reference (iterative calculation)"
TOO_LARGE = "range too large to evaluate"
PYTHON_SIDE_FAILED = "the Python side failed on a native function"
UNSETTLED = "chain through both engines too long to settle"
#: Every reason, in the order reports list them.
REASONS = (EXTERNAL_LINK, THREE_D_REFERENCE, DATA_TABLE, UNKNOWN_FUNCTION, VOLATILE,
           ENVIRONMENT, STRUCTURED_REFERENCE, UNREADABLE, CIRCULAR, TOO_LARGE,
           PYTHON_SIDE_FAILED, UNSETTLED)
#: Functions whose value is not a function of the workbook: recomputing them cannot
#: reproduce what was saved.
VOLATILE_FUNCTIONS = frozenset({"NOW", "TODAY", "RAND", "RANDBETWEEN", "RANDARRAY"})
ENVIRONMENT_FUNCTIONS = frozenset({"CELL", "INFO"})

#: A text constant in a formula.
STRING_RE = re.compile(r'"(?:[^"]|"")*"')
_QUOTED_SHEET_RE = re.compile(r"'(?:[^']|'')*'")
_EXTERNAL_RE = re.compile(r"\[\d+\]|\[[^\]]*\.xl[a-z]*\]", re.IGNORECASE)
_THREE_D_RE = re.compile(r"(?<![\w.!:$])[A-Za-z_][\w.]*:[A-Za-z_][\w.]*!")
_STRUCTURED_RE = re.compile(r"[A-Za-z_][\w.]*\[")
#: A sheet before "!" (not the code of an error value: #REF!, #NULL!, #NUM!, #VALUE!)
_SHEET_PREFIX_RE = re.compile(r"(?:'((?:[^']|'')+)'|(?<![\w.#])([^\W\d][\w.]*))!")
_CALL_RE = re.compile(r"([A-Za-z_][\w.]*)\(")
_PREFIXES = ("_XLFN._XLWS.", "_XLFN.", "_XLWS.", "_XLPM.")


def called_names(formula: str) -> list[str]:
    """Function names a formula calls, as spelled (prefixes kept)."""
    if "(" not in formula:
        return []  # no call (the common case of arithmetic on cells)
    text = STRING_RE.sub('""', formula) if '"' in formula else formula
    return _CALL_RE.findall(text)


def _function_name(raw: str) -> str:
    name = raw.upper()
    if name[0] == "_":  # every prefix starts with an underscore
        for prefix in _PREFIXES:
            if name.startswith(prefix):
                return name[len(prefix):]
    return name


def called_functions(formula: str) -> list[str]:
    """Function names a formula calls, upper case, without ``_xlfn.``-style prefixes."""
    return [_function_name(raw) for raw in called_names(formula)]


def any_called_functions(formulas) -> set[str]:
    """Every function name any of ``formulas`` may call, as :func:`called_functions` gives
    them, in one pass over all the texts: a superset (a name followed by "(" inside a text
    constant counts too), so that a name missing from it is called by none of them."""
    joined = "\n".join(f for f in formulas if "(" in f)  # (no name runs across a new line)
    return {_function_name(raw) for raw in set(_CALL_RE.findall(joined))}


def missing_sheet(formula: str, sheets) -> str | None:
    """The first sheet a formula refers to that the workbook does not have, or None."""
    if "!" not in formula:
        return None
    text = STRING_RE.sub('""', formula) if '"' in formula else formula
    known = sheets if isinstance(sheets, frozenset) else frozenset(s.upper() for s in sheets)
    for quoted, plain in _SHEET_PREFIX_RE.findall(text):
        name = quoted.replace("''", "'") if quoted else plain
        if "[" in name or ":" in name:
            continue  # another workbook, or a 3-D reference: reported as such
        if name.upper() not in known:
            return name
    return None


_QUALIFIED_NAME_RE = re.compile(
    r"(?:'((?:[^']|'')+)'|(?<![\w.#])([^\W\d][\w.]*))!([A-Za-z_\\][\w.]*)(?![\w.(!:$])")
_CELL_LIKE_RE = re.compile(r"\$?[A-Za-z]{1,3}\$?\d+|\$?[A-Za-z]{1,3}|\$?\d+|[Rr]\d*[Cc]\d*")


def expand_qualified_names(formula: str, local_names: dict) -> str:
    """``'Sheet'!Name`` (a name scoped to that sheet, used from another) written as the
    name's definition: IronCalc reads names only in their own scope.

    ``local_names`` maps (SHEET, NAME) upper case to the definition text.
    """
    if "!" not in formula or not local_names:
        return formula

    def replace(m: re.Match) -> str:
        sheet = (m.group(1) or "").replace("''", "'") or m.group(2)
        name = m.group(3)
        if _CELL_LIKE_RE.fullmatch(name):
            return m.group(0)
        text = local_names.get((sheet.upper(), name.upper()))
        return m.group(0) if text is None else "(" + text + ")"

    parts = re.split(r'("(?:[^"]|"")*")', formula)  # never inside a text constant
    return "".join(p if k % 2 else _QUALIFIED_NAME_RE.sub(replace, p)
                   for k, p in enumerate(parts))


_WHOLE_COLUMNS_RE = re.compile(
    r"(?<![\w$.:'])(\$?)([A-Za-z]{1,3}):(\$?)([A-Za-z]{1,3})(?![\w.(!:'])")
#: Functions whose answer depends on how many rows a range has: their whole-column
#: references stay whole.
#: A range whose last row has five digits or more: worth clamping to the rows in use.
_TALL_RANGE_RE = re.compile(r":\$?[A-Za-z]{1,3}\$?\d{5,}")
_CELL_RANGE_RE = re.compile(
    r"(?<![\w$.])(\$?[A-Za-z]{1,3}\$?)(\d+):(\$?[A-Za-z]{1,3}\$?)(\d+)(?![\w.(!])")
#: A colon between two column letters: the only place a whole-column reference can be.
_COLUMN_COLON_RE = re.compile(r"[A-Za-z]:\$?[A-Za-z]")
_SIZE_FUNCTIONS_RE = re.compile(r"ROWS?\(|COUNTBLANK\(", re.IGNORECASE)
_QUOTED_ORSTRING_RE = re.compile(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")")


def bound_whole_columns(formula: str, last_row: int) -> str:
    """``A:B`` written as ``A1:B{last_row}``, and ``A2:B65536`` as ``A2:B{last_row}``, where
    no cell below ``last_row`` holds anything.

    IronCalc walks all 1,048,576 rows of a whole column in lookups and array arithmetic
    (about 0.4 s for one ``VLOOKUP(x, A:B, 2, FALSE)``, 2 s for ``SUM(A:A*B:B)``), which
    turns a model of a few hundred such lookups into minutes; the cells below the last one
    in use are empty and change nothing for these functions.
    """
    if ":" not in formula or _SIZE_FUNCTIONS_RE.search(formula):
        return formula
    columns = _COLUMN_COLON_RE.search(formula) is not None
    tall = _TALL_RANGE_RE.search(formula) is not None
    if not (columns or tall):
        return formula

    def whole(m: re.Match) -> str:
        d1, c1, d2, c2 = m.groups()
        return f"{d1}{c1}{d1}1:{d2}{c2}{d2}{last_row}"

    def clamp(m: re.Match) -> str:
        # A2:B65536 (a range an old file or a selection made far taller than its data)
        head, r1, tail, r2 = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
        if r2 <= last_row or r1 > last_row:
            return m.group(0)
        return f"{head}{r1}:{tail}{last_row}"

    def rewrite(part: str) -> str:
        if columns:
            part = _WHOLE_COLUMNS_RE.sub(whole, part)
        if tall:
            part = _CELL_RANGE_RE.sub(clamp, part)
        return part

    parts = _QUOTED_ORSTRING_RE.split(formula)
    return "".join(p if k % 2 else rewrite(p) for k, p in enumerate(parts))


_THREE_D_ARG_RE = re.compile(
    r"(?<=[(,])(\s*)(?:'((?:[^':]|'')+):((?:[^':]|'')+)'|([A-Za-z_][\w.]*):([A-Za-z_][\w.]*))!"
    r"(\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)(?=\s*[,)])")
#: Functions that take any number of ranges and treat ``Jan:Dec!B2`` as the list of those
#: cells, one per sheet.
_THREE_D_FUNCTIONS = frozenset({
    "SUM", "AVERAGE", "AVERAGEA", "COUNT", "COUNTA", "MAX", "MAXA", "MIN", "MINA", "PRODUCT",
    "STDEV", "STDEV.S", "STDEV.P", "STDEVA", "STDEVP", "VAR", "VAR.S", "VAR.P", "VARA",
    "VARP", "SUMSQ", "MEDIAN"})


def expand_three_d(formula: str, sheets: list[str]) -> str | None:
    """``SUM(Jan:Mar!B2)`` written as ``SUM('Jan'!B2,'Feb'!B2,'Mar'!B2)`` (IronCalc has no
    3-D references), or None when the formula uses them in a way this cannot write: outside
    the arguments of SUM, AVERAGE, COUNT, MAX, MIN and the like, or naming a sheet the
    workbook does not have."""
    if any(name not in _THREE_D_FUNCTIONS for name in called_functions(formula)):
        return None
    order = {name.upper(): k for k, name in enumerate(sheets)}
    failed = []

    def replace(m: re.Match) -> str:
        space, q1, q2, p1, p2, ref = m.groups()
        first = (q1 or p1).replace("''", "'")
        last = (q2 or p2).replace("''", "'")
        a, b = order.get(first.upper()), order.get(last.upper())
        if a is None or b is None:
            failed.append(first)
            return m.group(0)
        a, b = min(a, b), max(a, b)
        return space + ",".join("'" + sheets[k].replace("'", "''") + "'!" + ref
                                for k in range(a, b + 1))

    parts = re.split(r'("(?:[^"]|"")*")', formula)
    out = "".join(p if k % 2 else _THREE_D_ARG_RE.sub(replace, p) for k, p in enumerate(parts))
    if failed or static_reason(out) is not None:
        return None
    return out


#: What CELL answers from the reference alone, wherever the file is opened.
_CELL_LOCAL_INFO = frozenset({"ADDRESS", "COL", "CONTENTS", "ROW", "TYPE"})


def _cell_is_local(formula: str) -> bool:
    """Every CELL call in the formula asks, as a literal, for what its reference alone tells
    (its address on the same sheet, row, column, contents or type), not for the file's name,
    a format, a width, or the last cell changed (no reference)."""
    from xlmodel.formula.parser import Text, find_calls

    try:
        sites = find_calls(formula, {"CELL"})
    except Exception:  # noqa: BLE001 - a formula the parser refuses: not recomputed
        return False
    return all(len(site.node.args) == 2 and isinstance(site.node.args[0], Text)
               and site.node.args[0].value.upper() in _CELL_LOCAL_INFO
               # another sheet's address names the file: "[Book1.xlsx]Sheet2!$A$1"
               and not (site.node.args[0].value.upper() == "ADDRESS" and "!" in site.args[1])
               for site in sites)


def static_reason(formula: str, is_data_table: bool = False) -> tuple[str, str] | None:
    """Why a formula cannot be recomputed, read from its text alone; None when it can be."""
    if is_data_table:
        return DATA_TABLE, "what-if data table"
    bracket, three_d = "[" in formula, ":" in formula and "!" in formula
    upper = formula.upper()  # (a case-sensitive test of the upper case: several times faster)
    hint = ("NOW" in upper or "TODAY" in upper or "RAND" in upper or "CELL" in upper
            or "INFO" in upper)
    if not (bracket or three_d or hint):
        return None  # the common case, decided without the full analysis
    text = STRING_RE.sub('""', formula) if '"' in formula else formula
    if bracket and _EXTERNAL_RE.search(text):
        return EXTERNAL_LINK, "reference to another workbook"
    if three_d:
        quoted = _QUOTED_SHEET_RE.findall(text)
        if any(":" in q for q in quoted) or _THREE_D_RE.search(
                _QUOTED_SHEET_RE.sub("S", text)):
            return THREE_D_REFERENCE, "reference across a range of sheets"
    if hint:
        for name in called_functions(formula):
            if name in VOLATILE_FUNCTIONS:
                return VOLATILE, name
            if name in ENVIRONMENT_FUNCTIONS and not (name == "CELL" and _cell_is_local(formula)):
                return ENVIRONMENT, name
    if bracket and _STRUCTURED_RE.search(_QUOTED_SHEET_RE.sub("S", text)):
        return STRUCTURED_REFERENCE, "Table[Column]"
    return None


#: Functions whose range arguments Excel takes as ranges, never intersecting them with the
#: formula's row or column: a legacy formula that uses ranges only as their arguments means
#: the same with ``=@(...)`` around it.
_RANGE_ARG_FUNCTIONS = frozenset("""
SUM SUMSQ SUMIF SUMIFS SUMPRODUCT AVERAGE AVERAGEA AVERAGEIF AVERAGEIFS COUNT COUNTA COUNTBLANK
COUNTIF COUNTIFS MIN MINA MINIFS MAX MAXA MAXIFS PRODUCT MEDIAN MODE MODE.SNGL LARGE SMALL
PERCENTILE PERCENTILE.INC PERCENTILE.EXC QUARTILE QUARTILE.INC QUARTILE.EXC RANK RANK.EQ
RANK.AVG STDEV STDEV.S STDEV.P STDEVA STDEVP VAR VAR.S VAR.P VARA VARP VLOOKUP HLOOKUP LOOKUP
MATCH XMATCH XLOOKUP INDEX ROWS COLUMNS NPV IRR MIRR XNPV XIRR CORREL PEARSON SLOPE INTERCEPT
RSQ STEYX FORECAST FORECAST.LINEAR COVAR COVARIANCE.P COVARIANCE.S DEVSQ GEOMEAN HARMEAN KURT
SKEW AVEDEV TRIMMEAN SUBTOTAL AND OR XOR CONCAT TEXTJOIN NETWORKDAYS NETWORKDAYS.INTL WORKDAY
WORKDAY.INTL OFFSET IFERROR IFNA IF CHOOSE FVSCHEDULE SERIESSUM""".split())
_RANGE_RE = re.compile(
    r"(?:(?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?\$?[A-Za-z]{1,3}\$?\d*:\$?[A-Za-z]{1,3}\$?\d*")


_DIGITS_RE = re.compile(r"[0-9]+")
#: IF, IFERROR and CHOOSE themselves, not SUMIF, COUNTIF or AVERAGEIF
_CHOICE_RE = re.compile(r"(?<![A-Z0-9_.])(?:IF|IFERROR|CHOOSE)\(")
_LEGACY: dict[str, bool] = {}  # formula shape -> needs_legacy_reading
_LEGACY_SHAPES = 4_096


def needs_legacy_reading(formula: str) -> bool:
    """A formula saved without dynamic-array metadata that ``=@(...)`` would not read as Excel
    does: a range where one value is expected (``=SIN(A1:A3)``, ``=A1:A3*2``), which Excel
    intersects with the formula's own row or column."""
    if ":" not in formula:
        return False
    # The answer does not depend on the digits: the ranges match with any row numbers, and
    # no function of _RANGE_ARG_FUNCTIONS has a digit in its name. A column filled with one
    # formula is one shape ("SUM(B0:D0)"), answered once.
    shape = _DIGITS_RE.sub("0", formula)
    known = _LEGACY.get(shape)
    if known is None:
        known = _needs_legacy_reading(shape)
        if len(_LEGACY) < _LEGACY_SHAPES:
            _LEGACY[shape] = known
    return known


def _needs_legacy_reading(formula: str) -> bool:
    text = STRING_RE.sub('""', formula) if '"' in formula else formula
    upper = text.upper()
    if ("IF(" in upper or "CHOOSE(" in upper or "IFERROR(" in upper) and _CHOICE_RE.search(upper):
        # IF's condition and CHOOSE's index are single values: only their other arguments
        # may be ranges, which this screen cannot tell apart
        return _RANGE_RE.search(text) is not None
    found = False
    for m in _RANGE_RE.finditer(text):  # (one pass over the text finds every range)
        found = True
        before = text[:m.start()].rstrip()[-1:]
        after = text[m.end():].lstrip()[:1]
        if before not in ("(", ",") or after not in (")", ","):
            return True
    if not found:
        return False
    return any(name not in _RANGE_ARG_FUNCTIONS for name in called_functions(text))
