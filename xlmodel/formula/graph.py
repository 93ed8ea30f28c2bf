"""The dependency graph of a workbook's formula cells: topological order without recursion,
cycle search, and the rectangles (array and spill regions) cells read and fill.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Mapping

from xlmodel.errors import WorkbookError
from xlmodel.formula.cellrefs import column_number
from xlmodel.formula.store import Key
from xlmodel.formula.values import (
    address,
)

# --- the dependency graph --------------------------------------------------------------------


class _Graph:
    """Nodes are formula cells (0..n-1) plus helper nodes that stand for parts of columns."""

    def __init__(self, n: int):
        self.succ: list[list[int]] = [[] for _ in range(n)]

    def new_nodes(self, count: int) -> int:
        base = len(self.succ)
        self.succ.extend([] for _ in range(count))
        return base


class _Column:
    """The owned cells of one sheet column, with a lazily built segment tree over them.

    A range covering many formula cells of a column depends on O(log n) segment nodes instead
    of every cell, so running totals (``SUM($A$1:A5000)``) stay linear-logarithmic.
    """

    __slots__ = ("rows", "owners", "base", "size")

    def __init__(self, rows: list[int], owners: list[int]):
        self.rows = rows
        self.owners = owners
        self.base = -1
        self.size = 0

    def _node(self, x: int) -> int | None:
        if x >= self.size:
            j = x - self.size
            return self.owners[j] if j < len(self.owners) else None
        return self.base + x

    def segments(self, graph: _Graph, lo: int, hi: int) -> list[int]:
        if self.base < 0:
            size = 1
            while size < len(self.owners):
                size *= 2
            self.size = size
            self.base = graph.new_nodes(size)
            for p in range(size - 1, 0, -1):
                for child in (2 * p, 2 * p + 1):
                    c = self._node(child)
                    if c is not None:
                        graph.succ[c].append(self.base + p)
        out = []
        lo += self.size
        hi += self.size
        while lo < hi:
            if lo & 1:
                out.append(self._node(lo))
                lo += 1
            if hi & 1:
                hi -= 1
                out.append(self._node(hi))
            lo >>= 1
            hi >>= 1
        return out


def _topological_order(
    keys: list[Key],
    deps: list[list[tuple]],
    regions: Mapping[Key, tuple[int, int, int, int]],
) -> list[int]:
    """Order formula cells so each comes after every formula cell its references cover."""
    n = len(keys)
    index = {k: i for i, k in enumerate(keys)}
    owner: dict[Key, int] = {}
    for anchor, (r1, c1, r2, c2) in regions.items():
        a = index[anchor]
        sheet = anchor[0]
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                owner[(sheet, r, c)] = a
    owner.update(index)
    by_column: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for (sheet, r, c), o in owner.items():
        by_column.setdefault((sheet, c), []).append((r, o))
    columns = {}
    for col_key, items in by_column.items():
        items.sort()
        columns[col_key] = _Column([r for r, _ in items], [o for _, o in items])
    graph = _Graph(n)
    succ = graph.succ
    for i, rects in enumerate(deps):
        for sheet, r1, c1, r2, c2 in rects:
            if r1 == r2 and c1 == c2:
                o = owner.get((sheet, r1, c1))
                if o is not None:
                    succ[o].append(i)
                continue
            for c in range(c1, c2 + 1):
                col = columns.get((sheet, c))
                if col is None:
                    continue
                lo = bisect_left(col.rows, r1)
                hi = bisect_right(col.rows, r2)
                if hi - lo <= 8:
                    for p in range(lo, hi):
                        succ[col.owners[p]].append(i)
                else:
                    for node in col.segments(graph, lo, hi):
                        succ[node].append(i)
    total = len(succ)
    indegree = [0] * total
    for targets in succ:
        for v in targets:
            indegree[v] += 1
    queue = deque(v for v in range(total) if indegree[v] == 0)
    order: list[int] = []
    done = 0
    while queue:
        u = queue.popleft()
        done += 1
        if u < n:
            order.append(u)
        for v in succ[u]:
            indegree[v] -= 1
            if indegree[v] == 0:
                queue.append(v)
    if done < total:
        cycle = _find_cycle(succ, indegree, n)
        names = " -> ".join(address(*keys[i]) for i in cycle[:6])
        more = " -> ..." if len(cycle) > 6 else ""
        raise WorkbookError(f"circular reference: {names}{more} -> {address(*keys[cycle[0]])}")
    return order


def _find_cycle(succ: list[list[int]], indegree: list[int], n: int) -> list[int]:
    """Formula nodes on one cycle among the nodes Kahn's algorithm could not order."""
    remaining = {v for v, d in enumerate(indegree) if d > 0}
    pred: dict[int, int] = {}
    for u in remaining:
        for v in succ[u]:
            if v in remaining:
                pred.setdefault(v, u)
    start = next(iter(remaining))
    seen: dict[int, int] = {}
    path: list[int] = []
    v = start
    while v not in seen:
        seen[v] = len(path)
        path.append(v)
        v = pred[v]
    cycle = path[seen[v] :]
    cycle.reverse()  # predecessors were followed backwards
    real = [u for u in cycle if u < n]
    return real or cycle


def _parse_region(text: str, key: Key) -> tuple[int, int, int, int]:
    part = text.split("!")[-1].replace("$", "").upper()
    first, _, last = part.partition(":")
    last = last or first
    try:
        (ra, ca), (rb, cb) = _cell_rc(first), _cell_rc(last)
    except ValueError:
        raise WorkbookError(f"{address(*key)}: bad array range {text!r}") from None
    r1, c1, r2, c2 = min(ra, rb), min(ca, cb), max(ra, rb), max(ca, cb)
    if (r1, c1) != (key[1], key[2]):
        raise WorkbookError(f"{address(*key)}: array range {text} does not start at the cell")
    return r1, c1, r2, c2


def _cell_rc(text: str) -> tuple[int, int]:
    letters = text.rstrip("0123456789")
    digits = text[len(letters) :]
    if not letters or not digits or not letters.isalpha():
        raise ValueError(text)
    return int(digits), column_number(letters)


def _cells_of(sheet: str, region: tuple[int, int, int, int]):
    r1, c1, r2, c2 = region
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            yield (sheet, r, c)


def _contains(outer: tuple, inner: tuple) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and (
        inner[3] <= outer[3]
    )


def _union(a: tuple, b: tuple) -> tuple:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _any_reads(grown: Mapping[Key, tuple], deps: list[list[tuple]], keys: list[Key]) -> bool:
    """True when some formula other than the anchor reads a cell of a newly seen spill."""
    for i, rects in enumerate(deps):
        for sheet, r1, c1, r2, c2 in rects:
            for anchor, (a1, b1, a2, b2) in grown.items():
                if anchor == keys[i] or sheet != anchor[0]:
                    continue
                if r1 <= a2 and a1 <= r2 and c1 <= b2 and b1 <= c2:
                    return True
    return False

