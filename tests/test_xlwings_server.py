"""The functions served by a real xlwings Server (`xlmodel server`), called over HTTP on
127.0.0.1 exactly as the Office.js add-in calls them.

Expected numbers are worked by hand from the functions' equations (README, "The model in
brief") or are the essay's published figure (p* = (19 - 9) x 40 = $400/kg).
"""

import json
import math
import subprocess
import sys
import threading
import urllib.request

import pytest

from tests.runtimes import Connection, Server

NUM = {"type": "Error", "errorType": "Num"}
VALUE = {"type": "Error", "errorType": "Value"}
NA = {"type": "Error", "errorType": "NotAvailable"}
# how Office.js hands over a #N/A cell
NA_CELL = {"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}


@pytest.fixture(scope="module")
def server():
    srv = Server("--namespace", "XLMODEL")
    yield srv
    assert srv.stop() is not None
    assert srv.proc.poll() is not None, "the server must be stopped after the tests"


@pytest.fixture
def conn(server):
    c = Connection(server.port)
    yield c
    c.close()


def test_serves_manifest_metadata_and_javascript(server, conn):
    from xlmodel.excel.server import MANIFEST_ID
    from xlmodel.functions.catalogue import FUNCTIONS

    status, ctype, manifest = conn.get("/manifest.xml")
    assert status == 200 and manifest.startswith("<?xml")
    assert f"<Id>{MANIFEST_ID}</Id>" in manifest
    assert 'id="Functions.Namespace" DefaultValue="XLMODEL"' in manifest
    assert f"{server.url}/xlwings/custom-functions-meta.json" in manifest

    status, _, meta = conn.get("/xlwings/custom-functions-meta.json")
    assert status == 200
    funcs = {f["name"]: f for f in json.loads(meta)["functions"]}
    assert set(funcs) == {f.name for f in FUNCTIONS}
    for fn in FUNCTIONS:
        assert [p["name"] for p in funcs[fn.name]["parameters"]] == [a.name for a in fn.args]
        assert [p.get("optional", False) for p in funcs[fn.name]["parameters"]] == [
            a.optional for a in fn.args]

    status, _, code = conn.get("/xlwings/custom-functions-code.js")
    assert status == 200
    for fn in FUNCTIONS:
        assert f'CustomFunctions.associate("{fn.name}"' in code
    assert "/xlwings/custom-functions-call" in code


def test_values_as_the_addin_receives_them(conn):
    # scalar: r = 2^(1/T) - 1
    assert conn.call("ANNUALIZED_TOKEN_RETURN", [[[2]], None]) == (
        200, [[pytest.approx(math.sqrt(2) - 1, rel=1e-15)]])
    # 2-D broadcast: a column of powers against a row of delays, P x 2^(delay/T) with T = 1
    assert conn.call("COMPUTE_EQUIVALENCE", [[[1], [2]], [[0, 1, 2]], [[1]], None]) == (
        200, [[1.0, 2.0, 4.0], [2.0, 4.0, 8.0]])
    # spill: c0 x 2^(-(t - t0)/T), one row per year
    assert conn.call("TOKEN_COST_CURVE", [[[8]], [[2025]], [[2028]], [[1]]]) == (
        200, [[2025, 8], [2026, 4], [2027, 2], [2028, 1]])
    # the essay's published breakeven
    status, r = conn.call("BREAKEVEN_LAUNCH_COST", [[["essay"]]])
    assert status == 200 and r == [[pytest.approx(400, rel=1e-12)]]
    # omitted optional against given: 1/T = 1/1 + 1/1, so r = 2^2 - 1 = 3
    assert conn.call("ANNUALIZED_TOKEN_RETURN", [[[1]], None]) == (200, [[1.0]])
    assert conn.call("ANNUALIZED_TOKEN_RETURN", [[[1]], [[1]]]) == (200, [[3.0]])
    # a blank optional cell ("" from Office.js) leaves it out, as an omitted one does
    assert conn.call("ANNUALIZED_TOKEN_RETURN", [[[1]], [[""]]]) == (200, [[1.0]])
    status, r = conn.call("XLMODEL_VERSION", [])
    assert status == 200 and "self-test passed" in r[0][0]


def test_blanks_error_cells_and_per_cell_errors(conn):
    col = [[1], [0], [""], ["#DIV/0!"], [NA_CELL], [0.5]]
    status, r = conn.call("ANNUALIZED_TOKEN_RETURN", [col, None])
    assert status == 200
    assert r == [[1.0], [NUM], [VALUE], [{"type": "Error", "errorType": "Div0"}], [NA], [3.0]]


def test_whole_call_error_is_value_with_its_message(conn):
    # HTTP 400 with the message as text: the add-in shows #VALUE! with it on hover and
    # does not retry (only 500, 502, 503, 504 are retried)
    assert conn.call("ANNUALIZED_TOKEN_RETURN", [[[0]], None]) == (
        400, "halving_years must be > 0, got 0")
    status, text = conn.call("TOKEN_COST_CURVE", [[[1]], [[2030]], [[2020]], [[1]]])
    assert status == 400 and "end_year must be >= start_year" in text


def test_unknown_function_leaves_the_connection_usable(conn):
    # an add-in whose function list is newer than the server's module. Left to xlwings the
    # AttributeError is an HTTP 500 after which uvicorn drops the connection (and the add-in
    # retries); the module's __getattr__ makes it a #VALUE! with a message instead
    assert conn.call("ANNUALIZED_TOKEN_RETURN", [[[1]], None]) == (200, [[1.0]])
    sock = conn.http.sock
    for name in ("NO_SUCH_FUNCTION", "no_such_function", "Launch_Cost"):
        status, text = conn.call(name, [[[1]]])
        assert status == 400
        assert text.startswith("xlmodel ") and f"has no function {name}" in text
        assert conn.call("ANNUALIZED_TOKEN_RETURN", [[[1]], None]) == (200, [[1.0]])
        assert conn.http.sock is sock, f"the server closed the connection after {name}"


def test_an_error_cell_as_the_only_argument_is_that_error(conn):
    # as a native function does: =SQRT(NA()) is #N/A, not #VALUE!
    assert conn.call("ANNUALIZED_TOKEN_RETURN", [[[NA_CELL]], None]) == (200, [[NA]])


def test_thousand_calls_over_eight_connections(server):
    calls = [
        ("ANNUALIZED_TOKEN_RETURN", [[[1]], None], [[1.0]]),
        ("COMPUTE_EQUIVALENCE", [[[1]], [[3]], [[1]], None], [[8.0]]),
        ("HEAD_START_VALUE", [[[2]], [[1]], None], [[3.0]]),
        ("TOKEN_COST_CURVE", [[[4]], [[2025]], [[2027]], [[1]]],
         [[2025, 4], [2026, 2], [2027, 1]]),
    ]
    errors, done = [], []

    def worker(k):
        c = Connection(server.port, timeout=60)
        try:
            for i in range(125):
                name, args, want = calls[(k + i) % len(calls)]
                status, got = c.call(name, args)
                if status != 200 or got != want:
                    errors.append((name, status, got))
                done.append(1)
        except Exception as exc:  # counted, never hidden
            errors.append(repr(exc))
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads), "calls did not finish in 10 minutes"
    assert errors == []
    assert len(done) == 1000


def test_auth_on_refuses_an_unauthenticated_call():
    srv = Server("--auth", "token", env={"XLMODEL_SERVER_TOKEN": "s3cret-token"})
    try:
        c = Connection(srv.port)
        status, text = c.call("ANNUALIZED_TOKEN_RETURN", [[[1]], None])
        assert status == 401 and "no valid token" in text
        status, _ = c.call("ANNUALIZED_TOKEN_RETURN", [[[1]], None],
                           headers={"Authorization": "wrong"})
        assert status == 401
        assert c.call("ANNUALIZED_TOKEN_RETURN", [[[1]], None],
                      headers={"Authorization": "s3cret-token"}) == (200, [[1.0]])
        c.close()
    finally:
        srv.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(srv.url + "/manifest.xml", timeout=5)


def run_cli(*args, env=None):
    import os

    full = {k: v for k, v in os.environ.items() if k != "XLWINGS_LICENSE_KEY"}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "xlmodel", "server", *args], env=full,
                          capture_output=True, text=True, timeout=60)


def test_cli_refuses_to_start_without_a_key_or_token():
    p = run_cli("--port", "1")
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        "xlmodel server: error: xlwings Server needs a licence key: set XLWINGS_LICENSE_KEY "
        "or pass --license-key ('noncommercial' is valid for noncommercial use only; "
        "commercial use needs a paid key)"]
    p = run_cli("--auth", "token", env={"XLWINGS_LICENSE_KEY": "noncommercial"})
    assert p.returncode == 2 and "XLMODEL_SERVER_TOKEN" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    p = run_cli("--port", "70000")
    assert p.returncode == 2 and "must be from 1 to 65535" in p.stderr
    p = run_cli("--namespace", "1bad")
    assert p.returncode == 2 and "--namespace" in p.stderr


def test_the_addins_own_javascript_against_the_server(server, tmp_path):
    """custom-functions-code.js as served, run in Node with stand-ins for what Excel provides,
    each function called through what it registers with CustomFunctions.associate."""
    from pathlib import Path

    from xlmodel.functions.catalogue import FUNCTIONS

    calls = [
        ["BREAKEVEN_LAUNCH_COST", [[["essay"]]]],
        ["COMPUTE_EQUIVALENCE", [[[1], [2]], [[0, 1, 2]], [[1]], None]],
        ["TOKEN_COST_CURVE", [[[8]], [[2025]], [[2028]], [[1]]]],
        ["ANNUALIZED_TOKEN_RETURN", [[[1], [0], [""], [NA_CELL]], None]],
        ["ANNUALIZED_TOKEN_RETURN", [[[0]], None]],
    ]
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"url": server.url, "calls": calls}), encoding="utf-8")
    driver = Path(__file__).with_name("officejs_addin_driver.mjs")
    proc = subprocess.run(["node", str(driver), str(job)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout)
    assert out["registered"] == sorted(f.name for f in FUNCTIONS)
    r = out["results"]
    assert r[0] == {"posts": 1, "value": [[pytest.approx(400, rel=1e-12)]]}
    assert r[1] == {"posts": 1, "value": [[1.0, 2.0, 4.0], [2.0, 4.0, 8.0]]}
    assert r[2] == {"posts": 1, "value": [[2025, 8], [2026, 4], [2027, 2], [2028, 1]]}
    assert r[3] == {"posts": 1, "value": [[1.0], [NUM], [VALUE], [NA]]}
    # #VALUE! with the message as it is (no "Error: " prefix here), and not retried
    assert r[4] == {"posts": 1, "excel_error": "#VALUE!",
                    "message": "halving_years must be > 0, got 0"}
