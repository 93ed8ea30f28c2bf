"""``xlmodel server``: xlmodel's Excel functions served by xlwings Server (Office.js add-in).

Excel on the web, on Mac and on Windows reaches the functions over HTTP(S) through the add-in
whose manifest this server serves at ``/manifest.xml``. This module writes a small xlwings
Server project folder (``custom_functions`` imports ``xlmodel_udfs``) and runs xlwings Server
(PyPI ``xlwings-server``) on it with uvicorn, in a child process: xlwings reads its settings
from the environment when it is first imported, and ``XLWINGS_ON_SERVER`` must never leak into
the calling process.

xlwings Server needs a licence key (``XLWINGS_LICENSE_KEY``). The key ``noncommercial`` is
valid for noncommercial use only (PolyForm Noncommercial); commercial use needs a paid key.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

#: The add-in's id in the manifest: fixed, so Excel sees one add-in across restarts, and
#: distinct from xlwings Server's own default ids, so it never clashes with another add-in.
MANIFEST_ID = "6f0c2a55-3d2e-4b8e-9a57-8c1d8e0f4a21"
DEFAULT_NAMESPACE = "XLMODEL"
#: The environment variable holding the shared token of ``--auth token``.
TOKEN_ENV = "XLMODEL_SERVER_TOKEN"
AUTH_CHOICES = ("none", "token", "entraid")

_FUNCTIONS = '''"""xlmodel's functions, for xlwings Server (written by `xlmodel server`)."""

from xlmodel_udfs import *  # noqa: F401,F403  (its __all__ includes its __getattr__)
'''

# The "custom" auth provider of xlwings Server, overridden by the project folder: the
# Authorization header must carry the shared token.
_TOKEN_AUTH = '''import os
import secrets

from fastapi import HTTPException, status
from xlwings_server.models import User


async def validate_token(token_string: str):
    expected = os.environ.get("{env}", "")
    if expected and secrets.compare_digest(token_string.encode(), expected.encode()):
        return User(id="xlmodel", name="xlmodel token user")
    raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED,
                        detail="xlmodel server: the Authorization header has no valid token")
'''


class ServerError(Exception):
    """What ``xlmodel server`` cannot do, said in one line."""


def write_project(folder: Path, auth: str = "none") -> Path:
    """Write the xlwings Server project folder serving ``xlmodel_udfs`` into ``folder``."""
    folder = Path(folder)
    for sub in ("custom_functions", "custom_scripts"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "custom_functions" / "__init__.py").write_text(_FUNCTIONS, encoding="utf-8")
    (folder / "custom_scripts" / "__init__.py").write_text("", encoding="utf-8")
    if auth == "token":
        (folder / "auth" / "custom").mkdir(parents=True, exist_ok=True)
        (folder / "auth" / "__init__.py").write_text("", encoding="utf-8")
        (folder / "auth" / "custom" / "__init__.py").write_text(
            _TOKEN_AUTH.replace("{env}", TOKEN_ENV), encoding="utf-8")
    return folder


def server_env(project: Path, *, namespace: str = DEFAULT_NAMESPACE, auth: str = "none",
               license_key: str | None = None, environment: str = "prod",
               base: dict | None = None) -> dict:
    """The environment xlwings Server reads its settings from."""
    env = dict(os.environ if base is None else base)
    key = license_key or env.get("XLWINGS_LICENSE_KEY", "")
    if not key:
        raise ServerError("xlwings Server needs a licence key: set XLWINGS_LICENSE_KEY or "
                          "pass --license-key ('noncommercial' is valid for noncommercial "
                          "use only; commercial use needs a paid key)")
    if auth not in AUTH_CHOICES:
        raise ServerError(f"--auth must be one of {', '.join(AUTH_CHOICES)}, got {auth!r}")
    if auth == "token" and not env.get(TOKEN_ENV):
        raise ServerError(f"--auth token needs the token in the environment variable "
                          f"{TOKEN_ENV}")
    env.update({
        "XLWINGS_PROJECT_DIR": str(project),
        "XLWINGS_LICENSE_KEY": key,
        "XLWINGS_ENVIRONMENT": environment,
        "XLWINGS_FUNCTIONS_NAMESPACE": namespace,
        "XLWINGS_PROJECT_NAME": "xlmodel",
        f"XLWINGS_MANIFEST_ID_{environment.upper()}": MANIFEST_ID,
        "XLWINGS_ENABLE_SOCKETIO": "false",
        "XLWINGS_ENABLE_HOTRELOAD": "false",
        "XLWINGS_ENABLE_EXAMPLES": "false",
        "XLWINGS_AUTH_PROVIDERS": {"none": "[]", "token": '["custom"]',
                                   "entraid": '["entraid"]'}[auth],
    })
    # the functions' module must be importable by the server whatever its working folder
    udfs = Path(__file__).resolve().parents[2] / "udfs"
    if (udfs / "xlmodel_udfs.py").is_file():
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(udfs.parent), str(udfs), env.get("PYTHONPATH", "")) if p)
    return env


def server_command(host: str, port: int, certfile: str | None = None,
                   keyfile: str | None = None) -> list[str]:
    """The uvicorn command line that runs xlwings Server."""
    cmd = [sys.executable, "-m", "uvicorn", "xlwings_server.main:main_app",
           "--host", host, "--port", str(port), "--no-access-log"]
    if certfile:
        cmd += ["--ssl-certfile", certfile, "--ssl-keyfile", keyfile or certfile]
    return cmd


def check_installed() -> None:
    """Raise ServerError naming what is missing for xlwings Server."""
    for module, package in (("xlwings_server", "xlwings-server"), ("uvicorn", "uvicorn")):
        if importlib.util.find_spec(module) is None:
            raise ServerError(f"{package} is not installed: pip install 'xlmodel[server]'")


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be from 1 to 65535, got {value}")
    return value


def _namespace(text: str) -> str:
    if not text.replace("_", "").isalnum() or not text[:1].isalpha():
        raise argparse.ArgumentTypeError(
            f"must be letters, digits and _ starting with a letter, got {text!r}")
    return text


def _run(args: argparse.Namespace) -> int:
    prog = "xlmodel server: error:"
    try:
        check_installed()
        if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
            raise ServerError("--ssl-certfile and --ssl-keyfile go together")
        for f in (args.ssl_certfile, args.ssl_keyfile):
            if f and not Path(f).is_file():
                raise ServerError(f"no such file: {f}")
        with tempfile.TemporaryDirectory(prefix="xlmodel-server-") as tmp:
            project = write_project(Path(args.project_dir or tmp), args.auth)
            env = server_env(project, namespace=args.namespace, auth=args.auth,
                             license_key=args.license_key, environment=args.environment)
            scheme = "https" if args.ssl_certfile else "http"
            # xlwings Server adds _DEV to the namespace of a dev environment
            shown = args.namespace + ("_DEV" if args.environment == "dev" else "")
            print(f"xlmodel server: manifest at {scheme}://{args.host}:{args.port}/manifest.xml "
                  f"(functions as ={shown}.BREAKEVEN_LAUNCH_COST() ...); "
                  "Ctrl+C stops it", flush=True)
            proc = subprocess.Popen(server_command(args.host, args.port, args.ssl_certfile,
                                                   args.ssl_keyfile), env=env)
            # stopping this command stops the server too
            signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
            try:
                return proc.wait()
            except KeyboardInterrupt:
                proc.terminate()
                proc.wait(timeout=30)
                return 0
    except ServerError as exc:
        print(f"{prog} {exc}", file=sys.stderr)
        return 2


def add_parser(sub) -> None:
    """Register the ``server`` verb on the ``xlmodel`` command's subparsers."""
    p = sub.add_parser(
        "server", help="serve the Excel functions through xlwings Server (web, Mac, Windows)",
        description="Serve xlmodel's functions to Excel on the web, Mac and Windows through "
        "xlwings Server (an Office.js add-in): load the manifest it serves at /manifest.xml. "
        "Needs XLWINGS_LICENSE_KEY ('noncommercial' is for noncommercial use only). Excel "
        "needs HTTPS except for localhost in development: pass a certificate or put a "
        "TLS proxy in front.")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (8000)")
    p.add_argument("--namespace", type=_namespace, default=DEFAULT_NAMESPACE,
                   help=f"prefix of the function names in Excel ({DEFAULT_NAMESPACE})")
    p.add_argument("--auth", choices=AUTH_CHOICES, default="none",
                   help=f"none (default); token: the Authorization header must carry the "
                   f"token in ${TOKEN_ENV}; entraid: Microsoft Entra ID (set "
                   "XLWINGS_AUTH_ENTRAID_CLIENT_ID and XLWINGS_AUTH_ENTRAID_TENANT_ID)")
    p.add_argument("--license-key", help="xlwings licence key (default: $XLWINGS_LICENSE_KEY)")
    p.add_argument("--environment", choices=("dev", "prod"), default="prod",
                   help="prod (default) or dev (adds _DEV to the namespace)")
    p.add_argument("--ssl-certfile", help="TLS certificate (PEM) for HTTPS")
    p.add_argument("--ssl-keyfile", help="TLS private key (PEM) for HTTPS")
    p.add_argument("--project-dir", help="write the xlwings Server project folder here and "
                   "keep it (default: a temporary folder)")
    p.set_defaults(func=_run)
