"""What a check found, and the report formats: a readable table, JSON and JUnit XML."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from xlmodel.errors import ExcelError


@dataclass(frozen=True)
class Mismatch:
    """One cell whose recomputed value differs from the saved one."""

    sheet: str
    ref: str
    formula: str
    saved: object
    recomputed: object
    difference: float | None
    kind: str = "value"
    """"value", "spill size" when a spilled range changed shape, or "not recomputed"
    (strict checks, and our own calls that could not be recomputed)."""

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.ref}"


@dataclass
class Report:
    """What a check found in one workbook."""

    path: str
    mode: str
    checked: int = 0
    udf_cells: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    recomputed: dict = field(default_factory=dict, repr=False)
    """(sheet, ref) -> recomputed value of every compared cell (for --update)."""
    spill_refs: dict = field(default_factory=dict, repr=False)
    """(sheet, anchor ref) -> recomputed spill range, where it changed."""
    keep_cells: bool = field(default=False, repr=False)
    """Whether :attr:`saved` and :attr:`formulas` are filled (``check(keep_cells=True)``)."""
    saved: dict = field(default_factory=dict, repr=False)
    """(sheet, ref) -> saved value of every compared cell, with ``keep_cells``."""
    formulas: dict = field(default_factory=dict, repr=False)
    """(sheet, ref) -> the formula that computes it (the spill's, for a filled cell), with
    ``keep_cells``."""
    not_recomputed: dict = field(default_factory=dict)
    """(sheet, ref) -> (reason, detail, formula) of each formula cell that kept its saved
    value; :data:`xlmodel.harness.formula_text.REASONS` lists the reasons."""
    strict: bool = False
    fingerprint: tuple | None = field(default=None, repr=False)
    """The file as it was read (workbook.fingerprint): update refuses a file changed since."""

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def reasons(self) -> dict[str, int]:
        """How many cells were not recomputed, by reason."""
        counts: dict[str, int] = {}
        for reason, _detail, _formula in self.not_recomputed.values():
            counts[reason] = counts.get(reason, 0) + 1
        return counts


def _show(v) -> str:
    if isinstance(v, ExcelError):
        return v.code
    if isinstance(v, float):
        return repr(v)
    if v is None:
        return "(blank)"
    return str(v)


def format_report(report: Report, *, limit: int = 50) -> str:
    """A readable table of mismatches (or a one-line pass), then the cells that were not
    recomputed, counted by reason."""
    head = (f"{report.path}: {report.mode} mode, {report.checked} cells checked "
            f"({report.udf_cells} call xlmodel functions)")
    if report.not_recomputed:
        head += f", {len(report.not_recomputed)} not recomputed"
    tail = _not_recomputed_lines(report, limit)
    if report.ok:
        return "\n".join([head + ": all match", *tail])
    rows = [("cell", "formula", "saved", "recomputed", "difference")]
    for m in report.mismatches[:limit]:
        diff = "" if m.difference is None else f"{m.difference:+.3g}"
        if m.kind == "spill size":
            diff = "spill size changed"
        formula = m.formula if len(m.formula) <= 60 else m.formula[:57] + "..."
        rows.append((m.where, formula, _show(m.saved), _show(m.recomputed), diff))
    widths = [max(len(r[k]) for r in rows) for k in range(5)]
    lines = [head + f": {len(report.mismatches)} mismatch(es)"]
    for k, r in enumerate(rows):
        lines.append("  " + "  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)))
        if k == 0:
            lines.append("  " + "  ".join("-" * w for w in widths))
    if len(report.mismatches) > limit:
        lines.append(f"  ... and {len(report.mismatches) - limit} more")
    return "\n".join(lines + tail)


def _not_recomputed_lines(report: Report, limit: int) -> list[str]:
    if not report.not_recomputed:
        return []
    counts = ", ".join(f"{reason}: {n}" for reason, n in report.reasons().items())
    verdict = "failures (--strict)" if report.strict else "saved values kept"
    lines = [f"  not recomputed ({verdict}): {counts}"]
    for k, ((sheet, ref), (reason, detail, formula)) in enumerate(
            report.not_recomputed.items()):
        if k >= limit:
            lines.append(f"    ... and {len(report.not_recomputed) - limit} more")
            break
        shown = formula if len(formula) <= 60 else formula[:57] + "..."
        lines.append(f"    {sheet}!{ref}  {shown}  {reason} ({detail})")
    return lines


def to_json(reports: Iterable[Report]) -> list[dict]:
    return [{
        "path": r.path, "mode": r.mode, "ok": r.ok, "checked": r.checked,
        "udf_cells": r.udf_cells,
        "strict": r.strict,
        "not_recomputed": {
            "count": len(r.not_recomputed),
            "by_reason": r.reasons(),
            "cells": [{"cell": f"{sheet}!{ref}", "formula": formula, "reason": reason,
                       "detail": detail}
                      for (sheet, ref), (reason, detail, formula) in r.not_recomputed.items()],
        },
        "mismatches": [{"cell": m.where, "formula": m.formula, "saved": _json(m.saved),
                        "recomputed": _json(m.recomputed), "difference": _json(m.difference),
                        "kind": m.kind} for m in r.mismatches],
    } for r in reports]


def _json(v):
    if isinstance(v, ExcelError):
        return v.code
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return v


def to_junit(reports: Iterable[Report], errors: dict[str, str] | None = None) -> str:
    """A JUnit XML report: one test case per workbook."""
    from xml.sax.saxutils import escape, quoteattr

    reports = list(reports)
    errors = errors or {}
    cases = []
    for r in reports:
        name = quoteattr(Path(r.path).name)
        out = ""
        if r.not_recomputed:
            out = ("\n    <system-out>" + escape("\n".join(_not_recomputed_lines(r, 1000)))
                   + "</system-out>")
        if r.ok and not out:
            cases.append(f'  <testcase classname="xlmodel.check" name={name}/>')
        elif r.ok:
            cases.append(f'  <testcase classname="xlmodel.check" name={name}>{out}\n'
                         "  </testcase>")
        else:
            msg = quoteattr(f"{len(r.mismatches)} cell(s) differ")
            cases.append(f'  <testcase classname="xlmodel.check" name={name}>\n'
                         f'    <failure message={msg}>{escape(format_report(r))}</failure>'
                         f'{out}\n  </testcase>')
    for path, err in errors.items():
        cases.append(f'  <testcase classname="xlmodel.check" name={quoteattr(Path(path).name)}>'
                     f'\n    <error message={quoteattr(err)}/>\n  </testcase>')
    failures = sum(not r.ok for r in reports)
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<testsuite name="xlmodel" tests="{len(reports) + len(errors)}" '
            f'failures="{failures}" errors="{len(errors)}">\n' + "\n".join(cases)
            + "\n</testsuite>\n")
