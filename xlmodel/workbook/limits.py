"""The limits every read of a package is held to, and the one-line error text they share."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1 << 20
# Parts read whole into an element tree (workbook, relationships, content types,
# metadata, core properties) are small in any real file; the cap bounds the tree's memory.
TREE_PART_CAP = 16 * MiB
CHUNK = 1 * MiB


@dataclass(frozen=True)
class Limits:
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


def one_line(text: str) -> str:
    return " ".join(str(text).split())
