"""The value store of a recalculation and the context native functions see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from xlmodel.formula.values import (
    MAX_ARRAY_CELLS,
    Ref,
    check_size,
    elementwise,
    ndarray,
    range_address,
)

# --- the value store and the context functions see -----------------------------------------

#: A cell: (sheet, row, column), row and column 1-based.
Key = tuple[str, int, int]


class _Store:
    """Current cell values, spill ranges and a cache of range arrays."""

    def __init__(self):
        self.values: dict[Key, object] = {}
        self.spills: dict[Key, Ref] = {}
        self.cache: dict[tuple, ndarray | None] = {}
        # The same values as dense per-column lists (index = row), so that reading a range
        # is a list slice per column rather than a dict lookup per cell.
        self.columns: dict[tuple[str, int], list] = {}
        #: The formula cell being evaluated, and the cells where a function raised an
        #: exception (turned into #VALUE!): key -> what was raised.
        self.current: Key | None = None
        self.failures: dict[Key | None, str] = {}

    def reset(self, values: Mapping[Key, object]) -> None:
        """Replace every value; forget spills and cached ranges."""
        self.failures.clear()
        self.values.clear()
        self.columns.clear()
        self.spills.clear()
        self.cache.clear()
        for key, v in values.items():
            self.set(key, v)

    def set(self, key: Key, v: object) -> None:
        self.values[key] = v
        sheet, r, c = key
        column = self.columns.get((sheet, c))
        if column is None:
            column = self.columns[(sheet, c)] = []
        if r >= len(column):
            column.extend([None] * (r + 1 - len(column)))
        column[r] = v

    def read(self, ref: Ref) -> object:
        if ref.r1 == ref.r2 and ref.c1 == ref.c2:
            return self.values.get((ref.sheet, ref.r1, ref.c1))
        return self.read_array(ref)

    def read_array(self, ref: Ref) -> ndarray:
        key = (ref.sheet, ref.r1, ref.c1, ref.r2, ref.c2)
        cache = self.cache
        arr = cache.get(key)
        if arr is not None:
            return arr
        # Keep a range only once it is read a second time: lookup tables are read by many
        # formulas, while running totals read a different range each and would fill memory.
        seen = key in cache
        sheet, r1, r2 = ref.sheet, ref.r1, ref.r2
        rows = r2 - r1 + 1
        if rows * (ref.c2 - ref.c1 + 1) > MAX_ARRAY_CELLS:
            check_size(rows, ref.c2 - ref.c1 + 1,
                       f"range {range_address(sheet, r1, ref.c1, r2, ref.c2)}")
        arr = np.empty((rows, ref.c2 - ref.c1 + 1), dtype=object)
        columns = self.columns
        for j, c in enumerate(range(ref.c1, ref.c2 + 1)):
            column = columns.get((sheet, c))
            if column is None or len(column) <= r1:
                continue  # np.empty of objects is already None
            part = column[r1 : r2 + 1]
            if len(part) < rows:
                part.extend([None] * (rows - len(part)))
            arr[:, j] = part
        arr.flags.writeable = False  # may be shared through the cache: nobody may change it
        cache[key] = arr if seen else None
        return arr


class _Context:
    """What a function implementation may use: values of references, the current cell."""

    __slots__ = ("store", "cell")

    def __init__(self, store: _Store, cell: Key):
        self.store = store
        self.cell = cell

    def read(self, ref: Ref) -> object:
        return self.store.read(ref)

    def read_array(self, ref: Ref) -> ndarray:
        return self.store.read_array(ref)

    def value(self, v: object) -> object:
        return self.store.read(v) if type(v) is Ref else v

    def lift(self, fn: Callable, args: list) -> object:
        positions = [k for k, a in enumerate(args) if type(a) is ndarray]
        if not positions:
            return fn(*args)
        return elementwise(fn, args, positions)


