"""Every hostile or unusual workbook of ``tests/hostile_corpus.py`` through ``xlmodel check``
in both modes, in a subprocess under the memory cap of ``test_harness_hostile``.

Classes: formula size (long flat formulas legal in Excel work; nesting, length and argument
counts past Excel's limits are refused), huge regions, text past 32,767 characters, silent
passes (3-D and external references, our functions inside defined names or behind ``[1]!``),
slow or huge XML, lenient reading of corrupt packages, and local-mode cycles and missing
sheets.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.hostile_corpus import CASES, cell, one
from tests.test_harness_hostile import assert_refused, xlmodel
from xlmodel import harness
from xlmodel.errors import WorkbookError
from xlmodel.formula.parser import MAX_ARGUMENTS, MAX_FORMULA_CHARS, MAX_NESTING, vet

PARAMS = [(name, mode) for name, c in CASES.items() for mode in c.modes]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vetting")
    paths: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in paths:
            path = folder / f"{name}.xlsx"
            CASES[name].build(path)
            paths[name] = path
        return paths[name]

    return get


@pytest.mark.parametrize(("name", "mode"), PARAMS, ids=[f"{n}-{m}" for n, m in PARAMS])
def test_case(built, name, mode):
    case = CASES[name]
    path = built(name)
    run = xlmodel("check", "--mode", mode, path)
    assert "Traceback" not in run.stderr, run.stderr
    if case.expect == "refuse":
        assert_refused(run, path, case.reason)
    elif case.expect == "pass":
        assert run.returncode == 0, run.stdout + run.stderr
        assert "all match" in run.stdout
        checked = int(re.search(r"(\d+) cells checked", run.stdout).group(1))
        assert checked >= 1, run.stdout  # a pass that checked nothing is no pass
    elif case.expect == "differ":
        assert run.returncode == 1, run.stdout + run.stderr
    elif case.expect == "kept":
        # full mode keeps the saved value of a native cell it cannot recompute and says
        # so; --strict makes that a failure
        assert run.returncode == 0, run.stdout + run.stderr
        assert re.search(r"\b1 not recomputed", run.stdout), run.stdout
        strict = xlmodel("check", "--mode", mode, "--strict", path)
        assert strict.returncode == 1, strict.stdout + strict.stderr
    else:
        if case.expect == "no-pass":
            assert run.returncode in (1, 2), (
                f"exit {run.returncode}: passed a value it did not check\n{run.stdout}")
        assert run.returncode in (0, 1, 2)
        if run.returncode == 2:
            assert len(run.stderr.splitlines()) == 1, run.stderr
            assert run.stderr.startswith("xlmodel check: error: "), run.stderr


# --- the vetting layer on its own: Excel's limits, exactly ------------------------------------

def test_vetting_accepts_exactly_excels_limits():
    vet("1" + "+1" * ((MAX_FORMULA_CHARS - 1) // 2))           # 8,191 characters
    vet("ABS(" * MAX_NESTING + "1" + ")" * MAX_NESTING)         # 64 levels
    vet("SUM(" + ",".join(["1"] * MAX_ARGUMENTS) + ")")         # 255 arguments
    vet("SUM(A1:H1048576)")                                      # 8 columns of a million rows


@pytest.mark.parametrize(("formula", "reason"), [
    ("1" + "+1" * (MAX_FORMULA_CHARS // 2), "8,192 characters"),
    ("ABS(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1), "64 levels"),
    ("(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1), "64 levels"),
    ("SUM(" + ",".join(["1"] * (MAX_ARGUMENTS + 1)) + ")", "255 arguments"),
    ("SUM(A1:I1048576)", "9,437,184 cells"),
    ("SUM(A1:XFD1048576)", "17,179,869,184 cells"),
    ("1e309", "larger than any Excel holds"),
])
def test_vetting_refuses_one_past_each_limit(formula, reason):
    with pytest.raises(WorkbookError, match=reason):
        vet(formula)


def test_long_flat_formula_gives_the_left_to_right_sum(tmp_path):
    """1,000 terms, evaluated left to right as Excel does: 0.1 added 1,000 times is
    99.9999999999986 in binary floating point (summed here in plain Python, not by xlmodel)."""
    total = 0.0
    for _ in range(1000):
        total += 0.1
    assert total != 100.0
    path = one(tmp_path / "flat.xlsx", cell("A1", 0.1),
               cell("B1", total, "+".join(["A1"] * 1000)))
    report = harness.check(path, "full", rtol=0.0, atol=0.0)
    assert report.ok and report.checked == 1


def test_calc_never_writes_name_errors_over_values_it_cannot_compute(built, tmp_path):
    for name in ("external_reference", "our_function_inside_a_defined_name",
                 "three_d_reference", "unknown_function_under_iferror",
                 "external_prefix_on_our_function"):
        path = built(name)
        before = path.read_bytes()
        run = xlmodel("calc", path)
        assert "Traceback" not in run.stderr
        assert path.read_bytes() == before or xlmodel("check", "--mode", "full",
                                                      path).returncode == 0, name


def test_our_function_inside_a_defined_name_is_checked(tmp_path):
    """A cell =p_star where p_star is ANNUALIZED_TOKEN_RETURN(1): 2^(1/1) - 1 = 1."""
    names = '<definedName name="hurdle">ANNUALIZED_TOKEN_RETURN(1)</definedName>'
    good = one(tmp_path / "good.xlsx", cell("A1", 1.0, "hurdle"), names=names)
    bad = one(tmp_path / "bad.xlsx", cell("A1", 12345.0, "hurdle*1"), names=names)
    for mode in ("local", "full"):
        report = harness.check(good, mode)
        assert report.ok and report.udf_cells == 1 and report.checked == 1
        report = harness.check(bad, mode)
        assert [m.where for m in report.mismatches] == ["S!A1"]
        assert report.mismatches[0].recomputed == 1.0


def test_a_function_that_raises_is_refused_not_reported(tmp_path, monkeypatch):
    from xlmodel.functions import spellings

    def broken(name, *args):
        raise RuntimeError("a defect")

    monkeypatch.setattr(spellings, "invoke", broken)
    path = one(tmp_path / "w.xlsx", cell("A1", 1.0, "ANNUALIZED_TOKEN_RETURN(1)"))
    for mode in ("local", "full"):
        with pytest.raises(WorkbookError, match=r"S!A1: the engine failed .*a defect"):
            harness.check(path, mode)


def test_local_mode_leaves_an_iterative_native_cycle_to_its_saved_values(tmp_path):
    """A = B/2 + 1, B = A has the fixed point A = B = 2 (2/2 + 1 = 2): what an iterative
    calculation saves. Local mode evaluates only our call, from those saved values
    (2^(1/2) - 1 = 0.41421356...); the same cycle with a cell saved without a value, or
    through our call, is refused."""
    path = one(tmp_path / "iterative.xlsx", cell("A1", 2.0, "B1/2+1"), cell("B1", 2.0, "A1"),
               cell("C1", 2 ** 0.5 - 1, "ANNUALIZED_TOKEN_RETURN(B1)"))
    report = harness.check(path, "local")
    assert report.ok and report.checked == 1
    unsaved = one(tmp_path / "unsaved.xlsx", cell("A1", 2.0, "B1/2+1"), cell("B1", None, "A1"),
                  cell("C1", 2 ** 0.5 - 1, "ANNUALIZED_TOKEN_RETURN(B1)"))
    with pytest.raises(WorkbookError, match=r"circular reference through cells: S!A1, S!B1"):
        harness.check(unsaved, "local")
    ours = one(tmp_path / "ours.xlsx", cell("A1", 2.0, "C1/2+1"), cell("B1", 2.0, "A1"),
               cell("C1", 2.0, "ANNUALIZED_TOKEN_RETURN(B1)"))
    for mode in ("local", "full"):
        with pytest.raises(WorkbookError, match=r"circular reference through an xlmodel call"):
            harness.check(ours, mode)


def test_the_quick_screen_never_passes_what_vetting_refuses():
    """``_plainly_within_limits`` spares the full vetting only where the vetting would pass:
    checked on ranges from one cell to the whole grid, with and without ``$`` and sheets."""
    import random

    from xlmodel.formula.cellrefs import column_letters
    from xlmodel.formula.parser import vet
    from xlmodel.formula.tokenizer import FormulaError
    from xlmodel.harness.loading import _plainly_within_limits

    rng = random.Random(3)
    rows = [1, 2, 9, 99, 999, 9_999, 10_000, 11_949, 11_950, 65_536, 1_048_576]
    cols = [1, 2, 26, 27, 702, 703, 16_384]
    passed = refused = 0
    for _ in range(3_000):
        r1, r2 = rng.choice(rows), rng.choice(rows)
        c1, c2 = rng.choice(cols), rng.choice(cols)
        dollar = rng.choice(["", "$"])
        sheet = rng.choice(["", "Inputs!", "'My sheet'!"])
        ref = (f"{sheet}{dollar}{column_letters(c1)}{dollar}{r1}:"
               f"{dollar}{column_letters(c2)}{dollar}{r2}")
        shape = rng.choice(["SUM({})", "{}*2", "INDEX({},1,1)+A1", "LOG10(A1)+COUNT({})"])
        text = shape.format(ref)
        try:
            vet(text)
            ok = True
        except FormulaError:
            ok = False
        if _plainly_within_limits(text):
            assert ok, text
            passed += 1
        else:
            refused += not ok
    # both branches are taken: the quick screen passes most formulas and refuses the big ones
    assert passed > 1_000 and refused > 100
