"""Run every hostile case (tests/hostile_corpus.py) and fuzzed copies of the template
workbooks through ``xlmodel check`` (both modes) and ``xlmodel calc``, each in a
subprocess under a 2 GiB address-space cap and a 60 s limit, and count the outcomes.

A run is bad when it prints a traceback, hangs, exits 0 on a case that must not pass,
gives more than one error line, or when ``calc`` leaves a file that is neither the
original nor a workbook that ``check --mode full`` passes.

    python benchmarks/hostile_sweep.py [--fuzz N] [--only NAME]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hostile_corpus import CASES, mutate  # noqa: E402

CAP = 2 << 30
TIMEOUT = 60.0
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def _cap():
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


def run(*args) -> tuple[int | str, str, str, float]:
    t = time.monotonic()
    try:
        p = subprocess.run([sys.executable, "-m", "xlmodel", *map(str, args)],
                           capture_output=True, text=True, timeout=TIMEOUT, env=ENV,
                           preexec_fn=_cap)
    except subprocess.TimeoutExpired:
        return "hang", "", "", time.monotonic() - t
    seconds = time.monotonic() - t
    if seconds > SLOWEST[0]:
        SLOWEST[:] = [seconds, " ".join(map(str, args[:-1])) + " " + Path(args[-1]).name]
    return p.returncode, p.stdout, p.stderr, seconds


def judge(verb: str, rc, out: str, err: str, expect: str, reason: str) -> str | None:
    """None when the run is acceptable, else what is wrong."""
    if rc == "hang":
        return "hang"
    if "Traceback" in err or "Traceback" in out:
        return "traceback"
    if "too large to process" in err:
        return "memory"
    if rc == 2:
        lines = err.splitlines()
        if len(lines) != 1 or not re.match(rf"xlmodel {verb}: error: ", lines[0]):
            return "not one error line"
    if rc not in (0, 1, 2):
        return f"exit {rc}"
    if verb != "check":
        return None
    if expect == "refuse" and rc != 2:
        return f"exit {rc}, expected 2"
    if expect == "refuse" and reason and not re.search(reason, err, re.I):
        return f"refused for another reason: {err.strip()[:160]}"
    if expect == "pass" and rc != 0:
        return f"exit {rc}, expected 0: {(err or out).strip()[:160]}"
    if expect == "differ" and rc != 1:
        return f"exit {rc}, expected 1: {(err or out).strip()[:160]}"
    if expect == "kept" and (rc != 0 or "not recomputed" not in out):
        return f"exit {rc}, expected 0 with the cell reported as not recomputed"
    if expect == "no-pass" and rc == 0:
        return "exit 0: passed a value it did not check"
    return None


def after_calc(original: bytes, path: Path) -> str | None:
    if path.read_bytes() == original:
        return None
    rc, out, err, _ = run("check", "--mode", "full", path)
    if rc != 0:
        return f"calc left a file that check --mode full does not pass (exit {rc}): " \
               f"{(err or out).strip()[:160]}"
    return None


SLOWEST = [0.0, ""]


def sweep(items, folder: Path) -> Counter:
    counts: Counter = Counter()
    for name, build, expect, reason, modes in items:
        path = folder / f"{name}.xlsx"
        try:
            build(path)
        except Exception as exc:  # a builder bug, not a harness bug
            print(f"{name}: could not build: {exc}")
            counts["unbuilt"] += 1
            continue
        original = path.read_bytes()
        for mode in ("local", "full"):
            rc, out, err, s = run("check", "--mode", mode, path)
            exp = expect if mode in modes else "any"
            bad = judge("check", rc, out, err, exp, reason)
            counts[f"check {mode}: exit {rc}"] += 1
            if bad:
                counts["bad"] += 1
                print(f"BAD {name} check --mode {mode}: {bad} [{s:.1f} s]")
        rc, out, err, s = run("calc", path)
        counts[f"calc: exit {rc}"] += 1
        bad = judge("calc", rc, out, err, expect, reason) or after_calc(original, path)
        if bad:
            counts["bad"] += 1
            print(f"BAD {name} calc: {bad} [{s:.1f} s]")
        counts["files"] += 1
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fuzz", type=int, default=60, help="fuzzed template copies (default 60)")
    ap.add_argument("--only", help="run only the named case")
    args = ap.parse_args()
    items = [(n, c.build, c.expect, c.reason, c.modes) for n, c in CASES.items()
             if not args.only or n == args.only]
    templates = sorted((ROOT / "workbooks").glob("*.xls[xm]"))
    for seed in range(0 if args.only else args.fuzz):
        template = templates[seed % len(templates)]

        def build(path, template=template, seed=seed):
            mutate(template, path, seed)
        items.append((f"fuzz{seed:03d}", build, "any", "", ()))
    with tempfile.TemporaryDirectory() as tmp:
        counts = sweep(items, Path(tmp))
    for k in sorted(counts):
        print(f"{k}: {counts[k]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss >> 10
    print(f"slowest run: {SLOWEST[0]:.1f} s ({SLOWEST[1]}); largest peak memory of a run: "
          f"{peak} MiB")
    print(f"bad runs: {counts['bad']}")
    return 1 if counts["bad"] else 0


if __name__ == "__main__":
    sys.exit(main())
