"""Excel tables (ListObjects) of a workbook, and their structured references as plain ranges.

IronCalc, fed cell by cell, has no tables, so full mode writes ``Sales[Amount]`` as the range
it stands for (``'Data'!$C$2:$C$40``) before IronCalc sees the formula. The table parts are
read with the hardened reader's own package and XML handling (:mod:`xlmodel.workbook.package`):
the same limits, no DTD, no entities.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from xlmodel.errors import WorkbookError
from xlmodel.formula.cellrefs import MAX_ROW, column_letters, parse_range
from xlmodel.formula.tokenizer import closing_bracket
from xlmodel.workbook.data import WorkbookData
from xlmodel.workbook.limits import Limits, MiB
from xlmodel.workbook.package import Package, guard, local_name, read_rels

REL_TABLE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/table"
#: Most tables read from one workbook.
MAX_TABLES = 2_000


@dataclass(frozen=True)
class Table:
    """One table: where it is, its header and totals rows, its column names."""

    name: str
    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int
    header_rows: int
    totals_rows: int
    columns: tuple[str, ...]


def read_tables(path: str | os.PathLike[str], data: WorkbookData,
                **limits) -> dict[str, Table]:
    """The tables of the workbook ``data`` was read from, by upper-case name."""
    path = os.fspath(path)
    lim = Limits(limits.get("max_cells", 2_000_000), limits.get("max_rows",
                 MAX_ROW), limits.get("max_uncompressed", 512 * MiB),
                 limits.get("max_ratio", 200.0),
                 limits.get("max_part_bytes", 256 * MiB))
    tables: dict[str, Table] = {}
    with guard(path), Package(path, lim) as pkg:
        for sheet in data.sheets:
            if sheet.kind != "worksheet":
                continue
            for rel in read_rels(pkg, sheet.part).values():
                if rel.type != REL_TABLE or rel.part is None or pkg.info(rel.part) is None:
                    continue
                if len(tables) >= MAX_TABLES:
                    pkg.fail(f"more than {MAX_TABLES} tables")
                table = _table(pkg.tree(rel.part), sheet.name)
                if table is not None:
                    tables[table.name.upper()] = table
    return tables


def _table(root, sheet: str) -> Table | None:
    if local_name(root.tag) != "table":
        return None
    name = root.get("displayName") or root.get("name")
    ref = root.get("ref")
    if not name or not ref:
        return None
    try:
        r1, c1, r2, c2 = parse_range(ref)
        header = int(root.get("headerRowCount", "1"))
        totals = int(root.get("totalsRowCount", "0"))
    except (ValueError, WorkbookError):
        return None
    columns = []
    for el in root.iter():
        if local_name(el.tag) == "tableColumn":
            columns.append(el.get("name", ""))
    if len(columns) != c2 - c1 + 1:
        return None
    return Table(name, sheet, r1, c1, r2, c2, header, totals, tuple(columns))


# --- structured references --------------------------------------------------------------------

_NAME_BRACKET_RE = re.compile(r"(?<![\w.\]])([A-Za-z_\\][\w.\\]*)\[")
_SPECIALS = {"#ALL", "#DATA", "#HEADERS", "#TOTALS", "#THIS ROW"}


def expand_structured(formula: str, tables: dict[str, Table], row: int) -> str | None:
    """``formula`` with every structured reference written as the range it stands for, from
    a cell in ``row``; None when one cannot be resolved (an unknown table or column, a
    reference outside a formula's text, a this-row reference outside the table's rows)."""
    if not tables or "[" not in formula:
        return formula
    out, pos = [], 0
    in_string = False
    k = 0
    while k < len(formula):
        ch = formula[k]
        if ch == '"':
            in_string = not in_string
            k += 1
            continue
        if in_string:
            k += 1
            continue
        m = _NAME_BRACKET_RE.match(formula, k)
        if m is not None and (k == 0 or not (formula[k - 1].isalnum() or formula[k - 1] in
                                             "_.]")):
            table = tables.get(m.group(1).upper())
            if table is None:
                return None
            end = closing_bracket(formula, m.end() - 1)
            if end is None:
                return None
            rng = _resolve(table, formula[m.end():end], row)
            if rng is None:
                return None
            out.append(formula[pos:k])
            out.append(rng)
            pos = k = end + 1
            continue
        k += 1
    out.append(formula[pos:])
    return "".join(out)


def _unescape(name: str) -> str:
    return re.sub(r"'(.)", r"\1", name).strip()


def _resolve(table: Table, inner: str, row: int) -> str | None:
    specials, columns = set(), []
    inner = inner.strip()
    if inner.startswith("@"):
        specials.add("#THIS ROW")
        inner = inner[1:].strip()
        if inner and not inner.startswith("["):
            inner = "[" + inner + "]"
    if "[" not in inner:
        if inner.upper() in _SPECIALS:
            specials.add(inner.upper())
        elif inner:
            columns.append(_unescape(inner))
    else:
        items = re.findall(r"\[((?:[^\]']|'.)*)\]|(:)", inner)
        pending_range = False
        for item, colon in items:
            if colon:
                pending_range = True
                continue
            item_u = _unescape(item).upper()
            if item_u in _SPECIALS:
                specials.add(item_u)
            elif pending_range and columns:
                columns[-1] = (columns[-1], _unescape(item))
            else:
                columns.append(_unescape(item))
            pending_range = False
    names = [c.upper() for c in table.columns]
    spans = []
    for col in columns or [(table.columns[0], table.columns[-1])]:
        first, last = col if isinstance(col, tuple) else (col, col)
        if first.upper() not in names or last.upper() not in names:
            return None
        a, b = names.index(first.upper()), names.index(last.upper())
        spans.append((table.c1 + min(a, b), table.c1 + max(a, b)))
    c1, c2 = min(s[0] for s in spans), max(s[1] for s in spans)
    data1, data2 = table.r1 + table.header_rows, table.r2 - table.totals_rows
    if "#THIS ROW" in specials:
        if not data1 <= row <= data2:
            return None
        r1 = r2 = row
    else:
        rows = []
        chosen = specials or {"#DATA"}
        if "#ALL" in chosen:
            rows += [table.r1, table.r2]
        if "#HEADERS" in chosen:
            if not table.header_rows:
                return None
            rows += [table.r1, table.r1]
        if "#DATA" in chosen:
            rows += [data1, data2]
        if "#TOTALS" in chosen:
            if not table.totals_rows:
                return None
            rows += [table.r2, table.r2]
        r1, r2 = min(rows), max(rows)
    sheet = "'" + table.sheet.replace("'", "''") + "'!"
    a, b = f"${column_letters(c1)}${r1}", f"${column_letters(c2)}${r2}"
    if "#THIS ROW" in specials and c1 == c2:
        return sheet + a
    # a one-cell column stays a range: IronCalc's INDEX refuses a single cell
    return sheet + f"{a}:{b}"
