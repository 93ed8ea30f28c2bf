"""Excel's native lookup and reference functions.
"""

from __future__ import annotations

import numpy as np

from xlmodel.errors import ExcelError
from xlmodel.formula.functions.common import (
    _int_arg,
    _same_kind,
    _vector,
    exact_position,
    sorted_position,
)
from xlmodel.formula.functions.registry import excel
from xlmodel.formula.values import (
    ERR_CALC,
    ERR_NA,
    ERR_REF,
    ERR_VALUE,
    MISSING,
    Ref,
    array_of,
    as_array,
    check_size,
    compare,
    full,
    ndarray,
)

# --- lookup and reference --------------------------------------------------------------------


@excel("ROWS", "r", needs_ctx=True)
def xl_rows(ctx, ref):
    return float(_shape_of(ref)[0])


@excel("COLUMNS", "r", needs_ctx=True)
def xl_columns(ctx, ref):
    return float(_shape_of(ref)[1])


def _shape_of(x: object) -> tuple[int, int]:
    if type(x) is Ref or type(x) is ndarray:
        return x.shape
    return (1, 1)


@excel("ROW", "r", needs_ctx=True, min_args=0)
def xl_row(ctx, ref=None):
    if ref is None or ref is MISSING:
        return float(ctx.cell[1])
    if type(ref) is not Ref:
        return ERR_VALUE
    if ref.r1 == ref.r2:
        return float(ref.r1)
    return array_of([[float(r)] for r in range(ref.r1, ref.r2 + 1)])


@excel("COLUMN", "r", needs_ctx=True, min_args=0)
def xl_column(ctx, ref=None):
    if ref is None or ref is MISSING:
        return float(ctx.cell[2])
    if type(ref) is not Ref:
        return ERR_VALUE
    if ref.c1 == ref.c2:
        return float(ref.c1)
    return array_of([[float(c) for c in range(ref.c1, ref.c2 + 1)]])


@excel("INDEX", "r n? n?", needs_ctx=True)
def xl_index(ctx, source, row=None, col=None):
    rows, cols = _shape_of(source)
    row = None if row is None else _int_arg(row)
    col = None if col is None else _int_arg(col)
    if (row is not None and row < 0) or (col is not None and col < 0):
        return ERR_VALUE
    if col is None:
        if rows == 1 and cols > 1:  # a single row: the one index counts along it
            row, col = 1, (row or 0)
        else:
            col = 1 if cols == 1 else 0
    row = row or 0
    if row > rows or col > cols:
        return ERR_REF
    r1, r2 = (1, rows) if row == 0 else (row, row)
    c1, c2 = (1, cols) if col == 0 else (col, col)
    if type(source) is Ref:
        return Ref(source.sheet, source.r1 + r1 - 1, source.c1 + c1 - 1,
                   source.r1 + r2 - 1, source.c1 + c2 - 1)
    arr = as_array(source)
    part = arr[r1 - 1 : r2, c1 - 1 : c2]
    return part[0, 0] if part.shape == (1, 1) else part


@excel("MATCH", "x a n?")
def xl_match(lookup, array, match_type=1.0):
    values = _vector(array)
    if type(values) is ExcelError:
        return values
    if lookup is None:
        return ERR_NA
    mode = _int_arg(match_type)
    if mode == 0:
        pos = exact_position(lookup, values)
    else:
        pos = sorted_position(lookup, values, descending=mode < 0)
    return ERR_NA if pos is None else float(pos + 1)


@excel("VLOOKUP", "x a n b?")
def xl_vlookup(lookup, table, col_index, approximate=True):
    return _lookup(lookup, as_array(table), col_index, approximate)


@excel("HLOOKUP", "x a n b?")
def xl_hlookup(lookup, table, row_index, approximate=True):
    return _lookup(lookup, as_array(table).T, row_index, approximate)


def _lookup(lookup, table: ndarray, index: float, approximate: bool) -> object:
    k = _int_arg(index)
    if k < 1:
        return ERR_VALUE
    if k > table.shape[1]:
        return ERR_REF
    keys = list(table[:, 0])
    if approximate:
        pos = sorted_position(lookup, keys)
    else:
        pos = exact_position(lookup, keys)
    return ERR_NA if pos is None else table[pos, k - 1]


@excel("LOOKUP", "x a a?")
def xl_lookup(lookup, lookup_vector, result_vector=None):
    """LOOKUP's vector form, and its array form: a block searched along its first row when
    it is wider than tall, else its first column, the result from its last row or column;
    the search is MATCH's type 1."""
    if lookup is None:
        return ERR_NA
    block = as_array(lookup_vector)
    if result_vector is None and block.shape[0] > 1 and block.shape[1] > 1:
        if block.shape[1] > block.shape[0]:
            keys, results = list(block[0, :]), list(block[-1, :])
        else:
            keys, results = list(block[:, 0]), list(block[:, -1])
    else:
        keys = _vector(block)
        results = keys if result_vector is None else _vector(result_vector)
        if type(keys) is ExcelError or type(results) is ExcelError:
            return ERR_NA
    pos = sorted_position(lookup, keys)
    if pos is None or pos >= len(results):
        return ERR_NA
    return results[pos]


@excel("XLOOKUP", "x a a l? n? n?", needs_ctx=True)
def xl_xlookup(ctx, lookup, lookup_array, return_array, if_not_found=None, match_mode=0.0,
               search_mode=1.0):
    keys = _vector(lookup_array)
    if type(keys) is ExcelError:
        return ERR_VALUE
    ret = as_array(return_array)
    lk = as_array(lookup_array)
    vertical = lk.shape[1] == 1 and lk.shape[0] > 1 or (lk.shape == (1, 1) and ret.shape[1] == 1)
    if vertical and ret.shape[0] != len(keys) or not vertical and ret.shape[1] != len(keys):
        return ERR_VALUE
    mode = _int_arg(match_mode)
    reverse = _int_arg(search_mode) < 0
    pos = None
    if mode in (0, 2, -1, 1):
        pos = exact_position(lookup, keys, wildcards=mode == 2, reverse=reverse)
    if pos is None and mode in (-1, 1):
        pos = _next_position(lookup, keys, larger=mode == 1, reverse=reverse)
    if pos is None:
        return ERR_NA if if_not_found is None else ctx.value(if_not_found())
    part = ret[pos : pos + 1, :] if vertical else ret[:, pos : pos + 1]
    return part[0, 0] if part.shape == (1, 1) else part


def _next_position(x: object, values: list, *, larger: bool, reverse: bool) -> int | None:
    best = None
    order = range(len(values) - 1, -1, -1) if reverse else range(len(values))
    for i in order:
        v = values[i]
        if v is None or not _same_kind(x, v):
            continue
        c = compare(v, x)
        if not (c > 0 if larger else c < 0):
            continue
        if best is None:
            best = i
            continue
        against = compare(v, values[best])
        if against < 0 if larger else against > 0:
            best = i
    return best


@excel("TRANSPOSE", "a")
def xl_transpose(values):
    arr = as_array(values)
    return arr.T.copy() if arr.size > 1 else arr[0, 0]


@excel("SEQUENCE", "n n? n? n?")
def xl_sequence(rows, cols=1.0, start=1.0, step=1.0):
    r, c = _int_arg(rows), _int_arg(cols)
    if r < 0 or c < 0:
        return ERR_VALUE
    if r == 0 or c == 0:
        return ERR_CALC
    check_size(r, c, f"SEQUENCE({r}, {c})")
    # start + k * step for k = 0, 1, ...: the same two roundings as in Python floats
    out = (np.arange(r * c, dtype=np.float64) * step + start).reshape(r, c).astype(object)
    return out if out.size > 1 else out[0, 0]


@excel("HSTACK", "a", variadic=True, min_args=1)
def xl_hstack(*arrays):
    parts = [as_array(a) for a in arrays if a is not MISSING]
    rows = max(p.shape[0] for p in parts)
    out = full((rows, sum(p.shape[1] for p in parts)), ERR_NA)
    col = 0
    for p in parts:
        out[: p.shape[0], col : col + p.shape[1]] = p
        col += p.shape[1]
    return out


@excel("VSTACK", "a", variadic=True, min_args=1)
def xl_vstack(*arrays):
    parts = [as_array(a) for a in arrays if a is not MISSING]
    cols = max(p.shape[1] for p in parts)
    out = full((sum(p.shape[0] for p in parts), cols), ERR_NA)
    row = 0
    for p in parts:
        out[row : row + p.shape[0], : p.shape[1]] = p
        row += p.shape[0]
    return out


