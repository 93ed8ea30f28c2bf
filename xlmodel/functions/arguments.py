"""What an Excel function of the catalogue is: the kinds of argument, the :class:`Arg` and
:class:`ExcelFunction` descriptions, and the ``assumptions`` argument (a scenario name, or a
range of name, value[, low, high] rows) read into inputs and ranges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from xlmodel.errors import InputError
from xlmodel.functions.calling import (
    CallError,
    as_grid,
    call_error,
    is_blank,
    text,
)
from xlmodel.model.inputs import (
    get_input,
    get_scenario,
    normalize_name,
    ranges,
    resolve,
)

# Kinds of argument
NUMBER = "number"  # elementwise: a number or a range of numbers, broadcast like Excel
SCALAR = "scalar"  # one number (a single cell)
TEXT = "text"  # one piece of text
ASSUMPTIONS = "assumptions"  # a scenario name, or a (name, value[, low, high]) range
NUMBERS = "numbers"  # a list of numbers taken from a range

#: Longest curve a spilling function returns, in rows.
MAX_CURVE_ROWS = 1000
#: Most Monte Carlo draws one cell may ask for: about a second and 200 MB at most.
MAX_CELL_DRAWS = 1_000_000


@dataclass(frozen=True)
class Arg:
    """One argument of an Excel function."""

    name: str
    description: str
    unit: str = ""
    kind: str = NUMBER
    optional: bool = False
    default: float | str | None = None
    """Value used when the argument is omitted or blank (documented in Excel)."""
    default_from: Callable | None = field(default=None, repr=False, compare=False)
    """Or: compute the default from the resolved assumptions (a function of them)."""
    default_doc: str = ""
    """What ``default_from`` gives, for the help text."""

    @property
    def doc(self) -> str:
        """The argument's help text as Excel shows it."""
        unit = f"[{self.unit}] " if self.unit else ""
        if self.default is not None:
            tail = f" Default {self.default}."
        elif self.default_doc:
            tail = f" Default: {self.default_doc}."
        elif self.optional:
            tail = " Optional."
        else:
            tail = ""
        return f"{unit}{self.description}{tail}"


@dataclass(frozen=True)
class ExcelFunction:
    """One Excel function: its signature, documentation and implementation."""

    name: str
    description: str
    args: tuple[Arg, ...]
    unit: str
    category: str
    compute: Callable = field(repr=False)
    """Elementwise functions: a vectorized function of the NUMBER arguments by name, plus
    ``inputs`` (the resolved assumptions) when the function takes them. Table functions: a
    function of every coerced argument by name, returning a 2-D result."""
    elementwise: bool = True
    columns: tuple[str, ...] = ()
    """For table results: what each column holds (no header row is returned)."""
    model: Callable | None = field(default=None, repr=False)
    nan_error: str = "#NUM!"
    nan_message: str = ""
    example: str = ""

    def __post_init__(self):
        if len(self.description) > 255:
            raise ValueError(f"{self.name}: description longer than 255 characters")
        seen_optional = False
        for a in self.args:
            if a.optional:
                seen_optional = True
            elif seen_optional:
                raise ValueError(f"{self.name}: required {a.name} after an optional argument")

    @property
    def python_name(self) -> str:
        """Name of the Python function in the xlwings module (Excel shows it upper-case)."""
        return self.name

    @property
    def signature(self) -> str:
        """``NAME(arg, [optional])`` as the reference shows it."""
        parts = [f"[{a.name}]" if a.optional else a.name for a in self.args]
        return f"{self.name}({', '.join(parts)})"

    @property
    def result_shape(self) -> str:
        if self.elementwise:
            return "one value per cell of its range arguments (a single value for single cells)"
        return f"spills {len(self.columns)} columns: " + ", ".join(self.columns)


def assumptions_arg(description="A scenario name (base, essay, essay_energy, conservative), "
                    "or a 2-column range of input names and values (4 columns add low and "
                    "high). Blank values take the scenario's. Omitted: base.") -> Arg:
    return Arg("assumptions", description, kind=ASSUMPTIONS, optional=True)


def read_assumptions(value) -> tuple[dict, dict, dict]:
    """(values, low, high) from an assumptions argument.

    ``value`` is None (the base scenario), a scenario name, or a range whose rows are
    (input name, value) or (input name, value, low, high). A row named ``scenario`` picks
    the starting scenario. Blank rows are skipped; a first row whose value is text and whose
    name is not an input is taken as a header. Each input's range (for tornado and Monte
    Carlo) is the table's, widened to include the value used, unless the range gives one.
    """
    if type(value) is str:  # a scenario's name, the common argument: read once per spelling
        values, low, high = _named_reading(value)
        return dict(values), dict(low), dict(high)
    pairs, bounds = _assumption_rows(value)
    try:
        if isinstance(pairs, str):
            values, low, high = _scenario_reading(pairs)
            return dict(values), dict(low), dict(high)
        values = resolve(pairs)
    except InputError as exc:
        raise call_error(exc) from None
    low, high = ranges(values)
    for key, (lo, hi) in bounds.items():
        if lo is not None:
            low[key] = lo
        if hi is not None:
            high[key] = hi
    return values, low, high


@lru_cache(maxsize=64)
def _named_reading(value: str) -> tuple[dict, dict, dict]:
    """:func:`read_assumptions` of a text argument (kept: the same for every cell that
    passes it; callers get copies). Text that is no scenario raises, and is not kept."""
    pairs, _ = _assumption_rows(value)
    try:
        return _scenario_reading(pairs)
    except InputError as exc:
        raise call_error(exc) from None


@lru_cache(maxsize=64)
def _scenario_reading(name: str) -> tuple[dict, dict, dict]:
    """(values, low, high) of the scenario called ``name``: the same for every cell that
    names it, so read once (callers get copies). An unknown name raises, and is not kept."""
    values = get_scenario(name).values()
    return (values, *ranges(values))


def _assumption_rows(value) -> tuple[list | str, dict]:
    """The (name, value) pairs of an assumptions argument, or a scenario's name, and any
    (low, high) it gives."""
    if value is None or (not isinstance(value, (list, tuple)) and is_blank(value)):
        return "base", {}
    grid = as_grid("assumptions", value)
    if len(grid) == 1 and len(grid[0]) == 1:
        return text("assumptions", grid[0][0]) or "base", {}
    width = len(grid[0])
    if width not in (2, 4) and len(grid) in (2, 4):
        grid = [list(col) for col in zip(*grid, strict=True)]  # laid out in rows
        width = len(grid[0])
    if width not in (2, 4):
        raise CallError("#VALUE!", "assumptions must be a scenario name or a range of 2 columns "
                        f"(name, value) or 4 (name, value, low, high), got {width} columns")
    rows = [r for r in grid if not all(is_blank(c) for c in r)]
    if rows and isinstance(rows[0][1], str) and not _is_known(rows[0][0]):
        rows = rows[1:]  # a header row such as ("Input", "Value")
    if width == 4 and not any(_is_number(c) for r in rows for c in r[2:]):
        width = 2  # columns 3-4 hold text (unit, source: XLMODEL_INPUTS' layout), not ranges
    pairs, bounds = [], {}
    for r in rows:
        name = r[0]
        if not isinstance(name, str) or is_blank(name):
            raise CallError("#VALUE!", f"assumptions: every row needs an input name in its "
                            f"first column, got {name!r}")
        pairs.append((name, r[1]))
        if width == 4 and normalize_name(name) != "scenario":
            key = _input_name(name)
            given = []
            for bound in (r[2], r[3]):
                if is_blank(bound):
                    given.append(None)
                elif isinstance(bound, bool) or not isinstance(bound, (int, float)):
                    raise CallError("#VALUE!", f"assumptions: the low and high of {key} "
                                    f"must be numbers, got {bound!r}")
                else:
                    given.append(float(bound))
            bounds[key] = tuple(given)
    return pairs, bounds


def _is_number(cell) -> bool:
    return isinstance(cell, (int, float)) and not isinstance(cell, bool)


def _is_known(name) -> bool:
    if not isinstance(name, str):
        return False
    if normalize_name(name) == "scenario":
        return True
    try:
        get_input(name)
    except InputError:
        return False
    return True


def _input_name(name: str) -> str:
    try:
        return get_input(name).name
    except InputError as exc:
        raise call_error(exc) from None


