"""Calling a catalogue function the way Excel calls a native function.

:func:`invoke` takes the raw arguments a spreadsheet hands over (scalars, 2-D lists of cell
values, None for a blank or omitted argument, error values as ``#N/A``-style strings or
:class:`~xlmodel.errors.ExcelError`) and returns a 2-D list of cell values: floats, strings,
booleans and :class:`~xlmodel.errors.ExcelError`. Nothing numpy, no NaN and no infinity gets
out. The Excel adapters (the xlwings module, the harness, the generator) all go through here,
so every runtime sees the same numbers and the same errors.

Excel conventions followed:

* A function marked *elementwise* broadcasts over ranges like a native function in
  dynamic-array Excel: ``=F(A2:A10)`` returns nine values; a column and a row give a grid;
  sizes that do not match give ``#N/A`` where one argument runs out.
* A bad element gives an error in that element only; a bad scalar call gives one error.
* An error value in an argument propagates to the results that depend on it.
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers as _numbers
from collections.abc import Sequence

import numpy as np

from xlmodel.errors import ExcelError, InputError, as_excel_error

#: Largest range an elementwise function accepts, in cells: bounds time and memory.
MAX_CELLS = 1_000_000


class CallError(Exception):
    """The whole call fails: one Excel error value and the message that explains it."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.error = ExcelError(code, message)


def call_error(exc: InputError) -> CallError:
    return CallError(exc.code, str(exc))


# --- shapes ---------------------------------------------------------------------------------

def as_grid(name: str, value) -> list[list]:
    """A raw argument as a rectangular 2-D list (a scalar becomes 1x1)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if not value:
        raise CallError("#VALUE!", f"{name} is an empty range")
    if not isinstance(value[0], (list, tuple)):
        # a 1-D list is one row, as xlwings hands a row over without ndim=2
        if any(isinstance(v, (list, tuple)) for v in value):
            raise CallError("#VALUE!", f"{name} is a ragged range: rows of different lengths")
        return [list(value)]
    width = len(value[0])
    rows = []
    for row in value:
        if not isinstance(row, (list, tuple)) or len(row) != width or width == 0:
            raise CallError("#VALUE!", f"{name} is a ragged range: rows of different lengths")
        rows.append(list(row))
    if len(rows) * width > MAX_CELLS:
        raise CallError("#VALUE!", f"{name} has {len(rows) * width:,} cells; "
                        f"at most {MAX_CELLS:,} are allowed")
    return rows


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and value == "")


def single(name: str, value):
    """The one cell of an argument that must be a single value (or None if blank)."""
    grid = as_grid(name, value)
    if len(grid) != 1 or len(grid[0]) != 1:
        raise CallError("#VALUE!", f"{name} must be a single cell, got a "
                        f"{len(grid)}x{len(grid[0])} range")
    return grid[0][0]


# --- cell values --------------------------------------------------------------------------

#: Day 0 of Excel's 1900 date system, as Excel counts it (1900-02-29 included).
_EXCEL_EPOCH = _dt.datetime(1899, 12, 30)


def serial_number(value: _dt.date) -> float:
    """A date or datetime as Excel's serial number (days since 1899-12-30): classic xlwings
    hands a date-formatted cell over as a datetime. A time zone, if any, is dropped."""
    if isinstance(value, _dt.datetime):
        return (value.replace(tzinfo=None) - _EXCEL_EPOCH).total_seconds() / 86400.0
    return float((value - _EXCEL_EPOCH.date()).days)


def number_or_error(name: str, cell) -> float | ExcelError:
    """A cell as a number, or the error it stands for. Booleans count as 1 and 0, as in Excel;
    a date is its serial number."""
    err = as_excel_error(cell)
    if err is not None:
        return err
    if isinstance(cell, bool):
        return float(cell)
    if isinstance(cell, _dt.date):
        return serial_number(cell)
    if isinstance(cell, np.datetime64):
        return serial_number(cell.astype("datetime64[us]").item())
    if isinstance(cell, (_numbers.Real, np.integer, np.floating)):
        try:
            x = float(cell)
        except (OverflowError, ValueError):  # 10**400: no spreadsheet number is that large
            return ExcelError("#NUM!", f"{name} is too large a number for a spreadsheet")
        if math.isnan(x):
            return ExcelError("#NUM!", f"{name} is not a number (NaN)")
        if math.isinf(x):
            return ExcelError("#NUM!", f"{name} must be a finite number, got {x}")
        return x
    if is_blank(cell):
        return ExcelError("#VALUE!", f"{name} is blank; a number is required")
    return ExcelError("#VALUE!", f"{name} must be a number, got text {str(cell)[:40]!r}")


def scalar_number(name: str, value, default=None, *, required=True) -> float | None:
    """A single-cell numeric argument; blank takes ``default`` (an error if required)."""
    cell = single(name, value)
    if is_blank(cell):
        if default is not None or not required:
            return default
        raise CallError("#VALUE!", f"{name} is required")
    x = number_or_error(name, cell)
    if isinstance(x, ExcelError):
        raise CallError(x.code, x.message or f"{name} is the error {x.code}")
    return x


def text(name: str, value, default: str | None = None) -> str | None:
    cell = single(name, value)
    if is_blank(cell):
        return default
    err = as_excel_error(cell)
    if err is not None:
        raise CallError(err.code, f"{name} is the error {err.code}")
    if not isinstance(cell, str):
        raise CallError("#VALUE!", f"{name} must be text, got {cell!r}")
    return cell


def numbers(name: str, value) -> list[float] | None:
    """A range of numbers read row by row; blanks skipped; None if all blank."""
    if value is None:
        return None
    out = []
    for row in as_grid(name, value):
        for cell in row:
            if is_blank(cell):
                continue
            x = number_or_error(name, cell)
            if isinstance(x, ExcelError):
                raise CallError(x.code, x.message or f"{name} holds the error {x.code}")
            out.append(x)
    return out or None


# --- elementwise broadcasting -----------------------------------------------------------------

class Elementwise:
    """Numeric arguments broadcast against each other, with per-element errors."""

    def __init__(self, named: Sequence[tuple[str, object, float | None]]):
        """``named``: (argument name, raw value, default for a blank/omitted argument)."""
        grids = {}
        omitted = set()  # arguments that take their default (which may be inf: "none")
        for name, raw, default in named:
            if raw is None or (not isinstance(raw, (list, tuple, np.ndarray)) and is_blank(raw)):
                if default is None:
                    raise CallError("#VALUE!", f"{name} is required")
                grids[name] = [[default]]
                omitted.add(name)
            else:
                grids[name] = as_grid(name, raw)
        self.names = [n for n, _, _ in named]
        self.rows = max(len(g) for g in grids.values())
        self.cols = max(len(g[0]) for g in grids.values())
        if self.rows * self.cols > MAX_CELLS:
            raise CallError("#VALUE!", f"the arguments broadcast to {self.rows}x{self.cols} "
                            f"cells; at most {MAX_CELLS:,} are allowed")
        self.values: dict[str, np.ndarray] = {}
        # errors[r][c] is the first error met for that result cell, or None
        self.errors: list[list[ExcelError | None]] = [[None] * self.cols for _ in range(self.rows)]
        for name, _, default in named:
            if name in omitted:
                self.values[name] = np.full((self.rows, self.cols), float(default))
            else:
                self.values[name] = self._expand(name, grids[name], default)

    def _expand(self, name, grid, default):
        h, w = len(grid), len(grid[0])
        if all(type(x) is float for row in grid for x in row):
            # the common case, all numbers: no per-cell work unless a NaN hides there
            arr = np.array(grid, dtype=float)
            if np.isfinite(arr).all():
                return np.broadcast_to(arr, (self.rows, self.cols)) if (
                    (h == 1 or h == self.rows) and (w == 1 or w == self.cols)) else (
                    self._expand_slow(name, grid, default))
        return self._expand_slow(name, grid, default)

    def _expand_slow(self, name, grid, default):
        h, w = len(grid), len(grid[0])
        out = np.ones((self.rows, self.cols))
        for r in range(self.rows):
            for c in range(self.cols):
                rr = 0 if h == 1 else r
                cc = 0 if w == 1 else c
                if rr >= h or cc >= w:
                    # Excel pads a smaller array argument with #N/A
                    self._error(r, c, ExcelError("#N/A", f"{name} has no value here: the "
                                                 "ranges differ in size"))
                    continue
                cell = grid[rr][cc]
                if is_blank(cell) and default is not None:
                    out[r, c] = default
                    continue
                x = number_or_error(name, cell)
                if isinstance(x, ExcelError):
                    self._error(r, c, x)
                else:
                    out[r, c] = x
        return out

    def _error(self, r, c, err):
        if self.errors[r][c] is None:
            self.errors[r][c] = err

    @property
    def is_scalar(self) -> bool:
        return self.rows == 1 and self.cols == 1

    def apply(self, func, **fixed) -> list[list]:
        """``func(**arrays, **fixed)`` elementwise, as a 2-D list of cells.

        ``func`` is a vectorized model function. If it rejects the arrays because some
        element is out of its domain, the elements are retried one by one so that only the
        bad ones become errors, as in a native Excel function.
        """
        ok = np.array([[e is None for e in row] for row in self.errors])
        if self.is_scalar and not ok[0, 0]:
            # as a native function does: =SQRT(NA()) is #N/A
            return [[self.errors[0][0]]]
        # Elements already in error get a harmless stand-in: the value of a good element,
        # or the first element, so the vectorized call sees valid numbers only.
        arrays = {}
        for name, arr in self.values.items():
            if not ok.all():
                arr = arr.copy()
                stand_in = arr[ok][0] if ok.any() else arr.flat[0]
                arr[~ok] = stand_in
            arrays[name] = arr
        try:
            result = np.broadcast_to(np.asarray(func(**arrays, **fixed), dtype=float),
                                     (self.rows, self.cols))
            cell_errors = {}
        except InputError as exc:
            if self.is_scalar:
                raise call_error(exc) from None
            result, cell_errors = self._one_by_one(func, fixed)
        out = []
        for r in range(self.rows):
            row = []
            for c in range(self.cols):
                err = self.errors[r][c] or cell_errors.get((r, c))
                row.append(err if err is not None else result[r, c])
            out.append(row)
        return out

    def _one_by_one(self, func, fixed):
        """Find the elements the model rejects by halving: a few vectorized calls per bad
        element, not one call per cell, so one bad cell in a big range stays fast."""
        result = np.full((self.rows, self.cols), np.nan)
        errors = {}
        ok = np.array([[e is None for e in row] for row in self.errors]).ravel()
        flat = {n: np.ascontiguousarray(a).ravel() for n, a in self.values.items()}
        pending = [np.flatnonzero(ok)]
        while pending:
            idx = pending.pop()
            if idx.size == 0:
                continue
            try:
                out = func(**{n: a[idx] for n, a in flat.items()}, **fixed)
                result.ravel()[idx] = np.broadcast_to(np.asarray(out, dtype=float), idx.shape)
            except InputError as exc:
                if idx.size == 1:
                    errors[divmod(int(idx[0]), self.cols)] = ExcelError(exc.code, str(exc))
                else:
                    half = idx.size // 2
                    pending += [idx[:half], idx[half:]]
        return result, errors


# --- results ----------------------------------------------------------------------------------

def to_cell(value, nan_error: str = "#NUM!", nan_message: str = ""):
    """One result value as an Excel-safe cell."""
    if isinstance(value, ExcelError):
        return value
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        return value
    x = float(value)
    if math.isnan(x):
        return ExcelError(nan_error, nan_message)
    if math.isinf(x):
        return ExcelError("#NUM!", "the result is too large for a spreadsheet")
    return x


def to_cells(grid, nan_error: str = "#NUM!", nan_message: str = "") -> list[list]:
    """A result (scalar, 1-D or 2-D) as a 2-D list of Excel-safe cells."""
    if isinstance(grid, np.ndarray):
        grid = grid.tolist() if grid.ndim else grid.item()
    if not isinstance(grid, (list, tuple)):
        return [[to_cell(grid, nan_error, nan_message)]]
    if not grid:
        return [[ExcelError("#CALC!", "the result is empty")]]
    if not isinstance(grid[0], (list, tuple)):
        grid = [[v] for v in grid]  # a 1-D result is a column
    return [[to_cell(v, nan_error, nan_message) for v in row] for row in grid]
