"""Every verb of the command line fails in one line ``xlmodel VERB: error: ...`` with exit
code 2, survives a closed pipe, and shows its defaults and (on a terminal) its progress."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbooks" / "ai_compute_economics.xlsx"
PYTHON = [sys.executable, "-m", "xlmodel"]


def cli(*args, **kw):
    return subprocess.run([*PYTHON, *map(str, args)], capture_output=True, text=True,
                          timeout=300, **kw)


def one_error_line(run, verb: str) -> str:
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode == 2, (run.returncode, run.stdout, run.stderr)
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"xlmodel {verb}: error: "), lines[0]
    return lines[0]


@pytest.fixture
def read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


@pytest.mark.parametrize("args", [
    ("build", "--out", "{ro}"),
    ("build", "--out", "{ro}/sub"),
    ("udfs", "{ro}"),
    ("lite", "{ro}"),
    ("render", "--out", "{ro}", str(TEMPLATE)),
])
def test_a_read_only_output_folder_is_one_line(read_only_folder, args):
    if args[0] == "render" and shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    run = cli(*(a.format(ro=read_only_folder) for a in args))
    line = one_error_line(run, args[0])
    assert "read-only" in line and str(read_only_folder) in line
    assert list(read_only_folder.iterdir()) == []


def test_render_dpi_is_checked():
    run = cli("render", "--dpi", "0", TEMPLATE)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "xlmodel render: error: argument --dpi: must be between 10 and 600, got 0" in (
        run.stderr)


def test_udfs_refuses_a_file_name(tmp_path):
    line = one_error_line(cli("udfs", "x.csv", cwd=tmp_path), "udfs")
    assert "x.csv" in line and "folder" in line
    assert not (tmp_path / "x.csv").exists()
    existing = tmp_path / "notes.txt"
    existing.write_text("keep")
    one_error_line(cli("udfs", existing), "udfs")
    assert existing.read_text() == "keep"


@pytest.mark.parametrize("args", [("functions",), ("summary",), ("functions", "--markdown"),
                                  ("check", str(TEMPLATE), str(TEMPLATE))])
def test_piping_into_head_is_quiet(args):
    command = " ".join([*PYTHON, *args]) + " | head -n 1"
    run = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=300,
                         executable="/bin/bash")
    assert run.stdout.count("\n") == 1
    assert "BrokenPipe" not in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert run.stderr == ""


def test_check_json_on_an_unreadable_file_is_still_json(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not a workbook")
    run = cli("check", "--json", bad, TEMPLATE)
    assert run.returncode == 2
    data = json.loads(run.stdout)
    assert [d["path"] for d in data] == [str(bad), str(TEMPLATE)]
    assert data[0]["ok"] is False and "not a zip" in data[0]["error"]
    assert data[1]["ok"] is True and data[1]["checked"] > 0
    assert len(run.stderr.splitlines()) == 1


def test_an_unknown_option_prints_the_verbs_own_usage():
    run = cli("check", "--bogus", TEMPLATE)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.startswith("usage: xlmodel check ")
    assert run.stderr.rstrip().endswith("xlmodel check: error: unrecognized arguments: --bogus")


@pytest.mark.parametrize(("verb", "shown"), [
    ("check", ["default: local", "default: 1e-09", "default: 1e-12", "default: 50",
               "default: 500000", "default: 200000"]),
    ("calc", ["default: full", "default: 500000"]),
    ("build", ["default: workbooks"]),
    ("render", ["default: docs", "default: 100"]),
    ("udfs", ["default: udfs"]),
    ("lite", ["default: xlwings-lite"]),
])
def test_help_shows_the_defaults(verb, shown):
    run = cli(verb, "--help")
    assert run.returncode == 0
    text = " ".join(run.stdout.split())
    for s in shown:
        assert s in text, f"{s!r} missing from {verb} --help"


def _run_on_a_terminal(*args) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal, stdout on a pipe; return code, stdout, tty."""
    pty = pytest.importorskip("pty")
    import select

    master, slave = pty.openpty()
    p = subprocess.Popen([*PYTHON, *map(str, args)], stdout=subprocess.PIPE, stderr=slave,
                         text=True)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif p.poll() is not None:
            break
    out = p.stdout.read()
    p.stdout.close()
    os.close(master)
    return p.wait(timeout=300), out, seen.decode(errors="replace")


def test_progress_shows_on_a_terminal_only(tmp_path):
    books = [TEMPLATE, ROOT / "workbooks" / "ai_compute_economics.xlsm"]
    code, out, tty = _run_on_a_terminal("check", *books)
    assert code == 0
    assert "[1/2] checking" in tty and "[2/2] checking" in tty
    assert "[1/2]" not in out  # the report itself stays clean
    piped = cli("check", *books)
    assert piped.returncode == 0 and piped.stderr == ""  # nothing in a pipe or a log


def test_an_unforeseen_error_is_one_line_and_the_next_file_still_runs(monkeypatch, capsys):
    from xlmodel import harness
    from xlmodel.cli import main

    real = harness.check
    calls = []

    def check(path, *args, **kw):
        calls.append(path)
        if len(calls) == 1:
            raise KeyError("a defect\nover two lines")
        return real(path, *args, **kw)

    monkeypatch.setattr(harness, "check", check)
    assert main(["check", str(TEMPLATE), str(TEMPLATE)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"xlmodel check: error: {TEMPLATE}: cannot check: internal error (KeyError: "
        "'a defect\\nover two lines')"]
    assert "all match" in captured.out and len(calls) == 2
