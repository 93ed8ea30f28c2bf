"""The model's elementary functions: accurate, the same on both paths, the same on every CPU."""

import ast
import json
import math
import os
import subprocess
import sys
from decimal import Decimal, localcontext
from pathlib import Path

import numpy as np
import pytest

from xlmodel.model import portable as pm

ROOT = Path(__file__).resolve().parents[1]


def _exact(fn, *args) -> float:
    """The correctly rounded result, from decimal arithmetic at 60 digits."""
    with localcontext() as ctx:
        ctx.prec = 60
        return float(fn(*(Decimal(float(a)) for a in args)))


def _ulps(got, want):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return np.abs(got - want) / np.spacing(np.abs(want))


RNG = np.random.default_rng(20261202)
WIDE = np.concatenate([RNG.uniform(-700, 700, 400), RNG.uniform(-1, 1, 400),
                       RNG.uniform(-1e-9, 1e-9, 100)])
POSITIVE = np.concatenate([np.exp(RNG.uniform(-700, 700, 400)), RNG.uniform(0.5, 2, 400),
                           1 + RNG.uniform(-1e-9, 1e-9, 100), [5e-324, 2.2e-308]])
NEAR_ZERO = np.concatenate([RNG.uniform(-0.99, 3, 400), RNG.uniform(-1e-6, 1e-6, 200),
                            10 ** RNG.uniform(-300, -1, 200)])
LN2 = Decimal(2).ln

CASES = {
    # name: (function, arguments, correctly rounded reference, ulp bound)
    "exp": (pm.exp, WIDE, lambda x: x.exp(), 1),
    "log": (pm.log, POSITIVE, lambda x: x.ln(), 1),
    "exp2": (pm.exp2, WIDE / 1.5, lambda x: (x * Decimal(2).ln()).exp(), 1),
    "log2": (pm.log2, POSITIVE, lambda x: x.ln() / Decimal(2).ln(), 1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_within_one_ulp_of_the_correctly_rounded_result(name):
    fn, args, ref, bound = CASES[name]
    want = [_exact(ref, a) for a in args]
    assert _ulps(fn(args), want).max() <= bound


def test_log1p_and_expm1_keep_full_precision_near_zero():
    # 1 + x at 300 digits, so that even x = 1e-300 is not lost before the logarithm
    with localcontext() as ctx:
        ctx.prec = 400
        want_log1p = [float((Decimal(float(x)) + 1).ln()) for x in NEAR_ZERO]
        want_expm1 = [float(Decimal(float(x)).exp() - 1) for x in NEAR_ZERO]
    assert _ulps(pm.log1p(NEAR_ZERO), want_log1p).max() <= 2
    assert _ulps(pm.expm1(NEAR_ZERO), want_expm1).max() <= 3


def test_power_is_close_to_exact_over_the_models_range():
    base = np.exp(RNG.uniform(-5, 5, 500))
    exponent = RNG.uniform(-10, 10, 500)
    want = [_exact(lambda b, y: b ** y, b, y) for b, y in zip(base, exponent, strict=True)]
    assert _ulps(pm.power(base, exponent), want).max() <= 64


@pytest.mark.parametrize("name", ["exp", "log", "log1p", "expm1", "exp2", "log2"])
def test_scalar_and_array_paths_give_the_same_bits(name):
    fn = getattr(pm, name)
    args = {"log": POSITIVE, "log2": POSITIVE, "log1p": NEAR_ZERO, "expm1": NEAR_ZERO}.get(
        name, WIDE)
    vector = fn(args)
    scalars = np.array([fn(float(a)) for a in args])
    assert vector.tobytes() == scalars.tobytes()


def test_power_scalar_and_array_paths_give_the_same_bits():
    base = np.concatenate([np.exp(RNG.uniform(-5, 5, 300)), [0.0, -2.0, -2.0, np.inf]])
    exponent = np.concatenate([RNG.uniform(-10, 10, 300), [2.0, 3.0, 0.5, -1.0]])
    vector = pm.power(base, exponent)
    scalars = np.array([pm.power(b, y) for b, y in zip(base, exponent, strict=True)])
    assert vector.tobytes() == scalars.tobytes()


def test_special_values_follow_ieee_conventions():
    inf, nan = math.inf, math.nan
    assert pm.exp(0.0) == 1.0 and pm.exp(-inf) == 0.0 and pm.exp(inf) == inf
    assert pm.exp(710.0) == inf and pm.exp(-746.0) == 0.0 and math.isnan(pm.exp(nan))
    assert pm.log(1.0) == 0.0 and pm.log(0.0) == -inf and math.isnan(pm.log(-1.0))
    assert pm.log(inf) == inf
    assert pm.log1p(0.0) == 0.0 and pm.log1p(-1.0) == -inf and math.isnan(pm.log1p(-2.0))
    assert pm.expm1(0.0) == 0.0 and pm.expm1(-inf) == -1.0 and pm.expm1(-50.0) == -1.0
    assert pm.exp2(10.0) == 1024.0 and pm.exp2(-1074.0) == 5e-324 and pm.log2(0.125) == -3.0
    assert pm.power(2.0, 10.0) == 1024.0 and pm.power(0.0, 0.0) == 1.0
    assert pm.power(0.0, 2.0) == 0.0 and pm.power(0.0, -1.0) == inf
    assert pm.power(-2.0, 3.0) == -8.0 and math.isnan(pm.power(-2.0, 0.5))
    arr = pm.exp(np.array([nan, inf, -inf, 800.0, -800.0]))
    assert np.isnan(arr[0]) and list(arr[1:]) == [inf, 0.0, inf, 0.0]


# The model itself must not call numpy's CPU-dispatched transcendental kernels: a test that
# reads the source, so that a new model function cannot bring them back unnoticed.
DISPATCHED = {"exp", "exp2", "expm1", "log", "log1p", "log2", "log10", "power", "float_power",
              "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh",
              "tanh", "arcsinh", "arccosh", "arctanh", "cbrt", "hypot", "logaddexp"}


def test_model_uses_only_portable_elementary_functions():
    offenders = []
    for path in sorted((ROOT / "xlmodel" / "model").glob("*.py")):
        if path.name == "portable.py":
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr in DISPATCHED
                    and isinstance(node.value, ast.Name) and node.value.id in {"np", "math"}):
                offenders.append(f"{path.name}:{node.lineno} {node.value.id}.{node.attr}")
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
                exponent = node.right
                if not (isinstance(exponent, ast.Constant) and isinstance(exponent.value, int)):
                    offenders.append(f"{path.name}:{node.lineno} ** with a non-integer power")
    assert offenders == []


# --- the same bits under another CPU's kernels ------------------------------------------------

def reduced_cpu_features() -> str:
    """An NPY_DISABLE_CPU_FEATURES value that makes numpy dispatch as a smaller x86 CPU would.

    numpy 2.4 groups x86 features into levels (X86_V3 = AVX2 and FMA, X86_V4 = AVX-512);
    older releases name each feature. Only features this CPU has can be disabled.
    """
    from numpy._core._multiarray_umath import __cpu_features__ as have
    if "X86_V4" in have:
        wanted = ["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"]
    else:
        wanted = ["AVX512F", "AVX512CD", "AVX512_SKX", "AVX512_CLX", "AVX512_CNL",
                  "AVX512_ICL", "AVX512_SPR", "AVX2", "FMA3", "F16C", "AVX"]
    return " ".join(f for f in wanted if have.get(f))


PROBE = """
import json, sys
import numpy as np
from xlmodel.model import portable as pm
x = np.linspace(-3.0, 3.0, 20001)
p = np.linspace(1e-3, 9.0, 20001)
out = {n: getattr(pm, n)(a).tobytes().hex() for n, a in
       [("exp", x), ("expm1", x), ("exp2", x), ("log", p), ("log1p", p), ("log2", p)]}
out["power"] = pm.power(p, x).tobytes().hex()
out["numpy_log1p"] = np.log1p(p).tobytes().hex()
json.dump(out, sys.stdout)
"""


def _probe(disabled: str) -> dict:
    env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=disabled,
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)


def test_portable_functions_do_not_change_with_numpy_cpu_dispatch():
    disabled = reduced_cpu_features()
    if not disabled:
        pytest.skip("this CPU has no optional SIMD features to switch off")
    full, reduced = _probe(""), _probe(disabled)
    numpy_differs = full.pop("numpy_log1p") != reduced.pop("numpy_log1p")
    assert full == reduced
    # Record that the comparison was meaningful: on AVX-512 machines numpy's own kernels
    # differ between the two settings, so this test would have caught the old model.
    if "X86_V4" in disabled or "AVX512F" in disabled:
        from numpy._core._multiarray_umath import __cpu_features__ as have
        if have.get("AVX512_SKX") or have.get("X86_V4"):
            assert numpy_differs
