"""The catalogue's functions as functions of a formula engine, under every name a saved
workbook may use for them.

Excel stores a call to an add-in function in several spellings: plain (``NAME(...)``, as
classic xlwings' VBA functions), ``_xll.NAME(...)``, and ``_xldudf_NAME(...)`` or
``_xldudf_NAMESPACE_NAME(...)`` for Office.js custom functions; Office.js also shows
``NAMESPACE.NAME``. :func:`catalogue_name` maps any of them to the catalogue's name.
"""

from __future__ import annotations

import re

import numpy as np

from xlmodel.functions.calling import CallError
from xlmodel.functions.catalogue import FUNCTIONS, invoke

_NAMES = {f.name for f in FUNCTIONS}
_LONGEST_FIRST = sorted(_NAMES, key=len, reverse=True)
_PREFIX = re.compile(r"^(?:_xlfn\.|_xludf\.|_xll\.)", re.IGNORECASE)


def catalogue_name(called: str) -> str | None:
    """The catalogue name a called function name stands for, or None if it is not ours."""
    name = _PREFIX.sub("", called).upper()
    if name in _NAMES:
        return name
    if name.startswith("_XLDUDF_"):
        rest = name[len("_XLDUDF_"):]
        if rest in _NAMES:
            return rest
        # _xldudf_<NAMESPACE>_<NAME>: the namespace may itself hold underscores
        # (longest name first: ..._BREAKEVEN_LAUNCH_COST is not LAUNCH_COST)
        for candidate in _LONGEST_FIRST:
            if rest.endswith("_" + candidate):
                return candidate
    if "." in name:
        tail = name.rsplit(".", 1)[1]
        if tail in _NAMES:
            return tail
    return None


def engine_function(name: str):
    """A function for :meth:`xlmodel.formula.Engine.register_function` (``array_args=True``)
    that runs catalogue function ``name`` and returns its cells, or its error value."""

    def run(*args):
        raw = [a.tolist() if isinstance(a, np.ndarray) else a for a in args]
        try:
            return invoke(name, *raw)
        except CallError as exc:
            return [[exc.error]]

    run.__name__ = name
    return run


def register(engine, called_names=()) -> None:
    """Register every catalogue function with ``engine``, plus each spelling in
    ``called_names`` (names found in a workbook's formulas) that stands for one."""
    for f in FUNCTIONS:
        engine.register_function(f.name, engine_function(f.name), array_args=True)
    for called in called_names:
        target = catalogue_name(called)
        if target is not None and called.upper() != target:
            engine.register_function(called, engine_function(target), array_args=True)
