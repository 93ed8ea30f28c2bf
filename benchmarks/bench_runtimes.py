"""The Excel functions through the real runtimes: xlwings Server over HTTP on 127.0.0.1 and
xlwings Lite in Pyodide (Node). Prints per-call latency, calls per second, Pyodide's boot,
and one 1,000-cell range call against 1,000 scalar calls on each runtime.

Run: python benchmarks/bench_runtimes.py   (after .ci/install-runtimes)
A benchmark, not a test: it asserts nothing about speed. The server only listens on
127.0.0.1 and is stopped at the end; every loop is bounded.
"""

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import runtimes  # noqa: E402
from tests.runtimes import Connection, Server  # noqa: E402

SEQUENTIAL = 500
CONNECTIONS, PER_CONNECTION = 8, 125
CELLS = 1000
SCALAR = ("ANNUALIZED_TOKEN_RETURN", [[[1]], None])
RANGE = ("ANNUALIZED_TOKEN_RETURN", [[[1 + (k % 7) / 7] for k in range(CELLS)], None])


def server_figures() -> dict:
    srv = Server()
    try:
        c = Connection(srv.port)
        for _ in range(20):  # warm-up
            c.call(*SCALAR)
        lat = []
        for _ in range(SEQUENTIAL):
            t0 = time.perf_counter()
            status, _ = c.call(*SCALAR)
            lat.append(time.perf_counter() - t0)
            assert status == 200
        t0 = time.perf_counter()
        for _ in range(CELLS):
            c.call(*SCALAR)
        scalar_1000 = time.perf_counter() - t0
        t0 = time.perf_counter()
        status, rows = c.call(*RANGE)
        range_1 = time.perf_counter() - t0
        assert status == 200 and len(rows) == CELLS
        c.close()

        errors = []

        def worker():
            w = Connection(srv.port, timeout=60)
            for _ in range(PER_CONNECTION):
                if w.call(*SCALAR)[0] != 200:
                    errors.append(1)
            w.close()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(CONNECTIONS)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        concurrent = time.perf_counter() - t0
    finally:
        srv.stop()
    lat.sort()
    return {
        "median_ms": 1000 * statistics.median(lat), "p95_ms": 1000 * lat[int(0.95 * len(lat))],
        "seq_calls_s": SEQUENTIAL / sum(lat),
        "conc_calls_s": CONNECTIONS * PER_CONNECTION / concurrent, "conc_errors": len(errors),
        "scalar_1000_s": scalar_1000, "range_1000_s": range_1,
    }


def pyodide_figures() -> dict:
    from tests.test_pyodide import run_driver

    problem = runtimes.missing()
    if problem:
        raise SystemExit(f"bench_runtimes: error: {problem}")
    with tempfile.TemporaryDirectory() as tmp:
        out = run_driver(Path(tmp), [], repeats={
            "warm": {"body": runtimes.call_body(*SCALAR), "n": 20},
            "scalar": {"body": runtimes.call_body(*SCALAR), "n": CELLS},
            "range": {"body": runtimes.call_body(*RANGE), "n": 3},
        })
    assert out["network_attempts"] == []
    t, r = out["timings"], out["timings"]["repeats"]
    assert len(r["range"]["last"]["value"]) == CELLS
    return {"boot_s": t["boot_s"], "ready_s": t["ready_s"],
            "per_call_ms": 1000 * r["scalar"]["s"] / r["scalar"]["n"],
            "scalar_1000_s": r["scalar"]["s"], "range_1000_s": r["range"]["s"] / r["range"]["n"]}


def main() -> None:
    s = server_figures()
    p = pyodide_figures()
    print("xlwings Server (HTTP on 127.0.0.1, one uvicorn worker)")
    print(f"  sequential, one connection : median {s['median_ms']:.2f} ms, p95 "
          f"{s['p95_ms']:.2f} ms, {s['seq_calls_s']:.0f} calls/s")
    print(f"  concurrent, {CONNECTIONS} connections: {s['conc_calls_s']:.0f} calls/s, "
          f"{s['conc_errors']} errors")
    print(f"  {CELLS:,} scalar calls {s['scalar_1000_s']:.2f} s, one {CELLS:,}-cell range call "
          f"{s['range_1000_s'] * 1000:.1f} ms: {s['scalar_1000_s'] / s['range_1000_s']:.0f}x")
    print("xlwings Lite (Pyodide 0.27.7 in Node)")
    print(f"  boot {p['boot_s']:.1f} s; ready to call (numpy, xlwings, runtime) "
          f"{p['ready_s']:.1f} s")
    print(f"  per call {p['per_call_ms']:.2f} ms")
    print(f"  {CELLS:,} scalar calls {p['scalar_1000_s']:.2f} s, one {CELLS:,}-cell range call "
          f"{p['range_1000_s'] * 1000:.1f} ms: {p['scalar_1000_s'] / p['range_1000_s']:.0f}x")


if __name__ == "__main__":
    main()
