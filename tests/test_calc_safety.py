"""``xlmodel calc`` (``check --update``) on files that change, are shared or protected.

After every case the workbook is either exactly what it was or a valid workbook that
``check --mode full`` passes; no temporary file is left beside it.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from xlmodel import harness, workbook
from xlmodel.errors import WorkbookError
from xlmodel.workbook import zipwriter

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbooks" / "ai_compute_economics.xlsx"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "xlmodel", *map(str, args)],
                          capture_output=True, text=True, timeout=120, **kw)


def p_star_cell():
    data = workbook.read_workbook(TEMPLATE)
    name = next(n for n in data.defined_names if n.name == "p_star")
    sheet, ref = name.text.split("!")
    return sheet.strip("'"), ref.replace("$", "")


@pytest.fixture
def stale(tmp_path) -> Path:
    """The template with one wrong cached value (p* saved as 123): calc has work to do."""
    path = tmp_path / "model.xlsx"
    workbook.write_cached_values(TEMPLATE, path, {p_star_cell(): 123.0})
    assert not harness.check(path, "full").ok
    return path


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def assert_one_error_line(run, verb="calc"):
    assert "Traceback" not in run.stderr, run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"xlmodel {verb}: error: "), run.stderr


# --- changed underneath ------------------------------------------------------------------------

def test_a_file_saved_by_another_program_before_the_write_is_not_overwritten(stale, tmp_path):
    report = harness.check(stale, "full")
    other = TEMPLATE.read_bytes()  # another program saves the file meanwhile
    stale.write_bytes(other)
    with pytest.raises(WorkbookError, match="changed since it was read"):
        harness.update(stale, report)
    assert stale.read_bytes() == other  # the other save is kept
    assert leftovers(tmp_path) == []


def test_a_save_during_the_write_is_detected_before_the_rename(stale, tmp_path, monkeypatch):
    report = harness.check(stale, "full")
    other = TEMPLATE.read_bytes()
    close = zipwriter.ZipWriter.close

    def save_meanwhile(self, comment=b""):
        stale.write_bytes(other)  # lands while calc writes its temporary file
        return close(self, comment)

    monkeypatch.setattr(zipwriter.ZipWriter, "close", save_meanwhile)
    with pytest.raises(WorkbookError, match="changed since it was read"):
        harness.update(stale, report)
    assert stale.read_bytes() == other
    assert leftovers(tmp_path) == []


def test_concurrent_calcs_take_turns(stale):
    runs = [subprocess.Popen([sys.executable, "-m", "xlmodel", "calc", str(stale)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(3)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in runs]
    for p in runs:
        p.stdout.close()
        p.stderr.close()
    for code, err in results:
        assert code == 0 and err == "", err  # no spurious "corrupt zip", no refusal
    assert harness.check(stale, "full").ok
    assert leftovers(stale.parent) == []


# --- owner, mode, read-only, not a file ------------------------------------------------------

def test_mode_is_kept(stale):
    os.chmod(stale, 0o640)
    assert cli("calc", stale).returncode == 0
    assert stat.S_IMODE(stale.stat().st_mode) == 0o640
    assert harness.check(stale, "full").ok


@pytest.mark.skipif(not IS_ROOT, reason="only root can give a file to another user")
def test_root_does_not_take_ownership_of_a_users_private_file(stale):
    os.chown(stale, 65534, 65534)
    os.chmod(stale, 0o600)
    assert cli("calc", stale).returncode == 0
    st = stale.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o600)
    assert harness.check(stale, "full").ok


def test_read_only_file_is_refused_and_left_alone(stale):
    os.chmod(stale, 0o444)
    before = stale.read_bytes()
    for args in (("calc", stale), ("check", "--update", stale)):
        run = cli(*args)
        assert run.returncode == 2
        assert_one_error_line(run, args[0])
        assert "read-only" in run.stderr
    assert stale.read_bytes() == before


def test_an_error_on_one_file_does_not_skip_the_rest(stale, tmp_path):
    locked = tmp_path / "locked.xlsx"
    locked.write_bytes(stale.read_bytes())
    os.chmod(locked, 0o444)
    run = cli("calc", locked, tmp_path / "missing.xlsx", stale)
    assert run.returncode == 2
    assert len(run.stderr.splitlines()) == 2 and "Traceback" not in run.stderr
    assert f"{stale}: updated" in run.stdout
    assert harness.check(stale, "full").ok


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("verb", ["check", "calc"])
def test_a_fifo_is_refused_without_blocking(tmp_path, verb):
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    run = cli(verb, fifo)  # the 120 s timeout fails the test if it blocks
    assert run.returncode == 2
    assert_one_error_line(run, verb)
    assert "not a regular file" in run.stderr


# --- signals -------------------------------------------------------------------------------------

SIGNAL_DURING_WRITE = textwrap.dedent("""
    import os, signal, sys
    from xlmodel.workbook import zipwriter
    from xlmodel.cli import run
    close = zipwriter.ZipWriter.close
    def close_and_signal(self, comment=b""):
        os.kill(os.getpid(), signal.{name})  # arrives while the temporary file is open
        return close(self, comment)
    zipwriter.ZipWriter.close = close_and_signal
    sys.argv = ["xlmodel", "calc", sys.argv[1]]
    run()
""")


@pytest.mark.parametrize(("name", "code", "word"), [("SIGTERM", 143, "terminated"),
                                                     ("SIGINT", 130, "interrupted")])
def test_a_signal_during_the_write_removes_the_temporary_file(stale, name, code, word):
    before = stale.read_bytes()
    run = subprocess.run([sys.executable, "-c", SIGNAL_DURING_WRITE.format(name=name),
                          str(stale)], capture_output=True, text=True, timeout=120)
    assert run.returncode == code, run.stderr
    assert_one_error_line(run)
    assert word in run.stderr
    assert stale.read_bytes() == before
    assert leftovers(stale.parent) == []


def test_kill_9_leaves_the_original(stale):
    """SIGKILL cannot be caught: the rename is what makes it safe."""
    before = stale.read_bytes()
    script = SIGNAL_DURING_WRITE.format(name="SIGKILL")
    run = subprocess.run([sys.executable, "-c", script, str(stale)], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == -signal.SIGKILL
    assert stale.read_bytes() == before
    assert harness.check(stale, "local").ok is False  # still the stale file, still readable
    assert len(leftovers(stale.parent)) == 1  # the killed writer's temporary file
    # the next calc removes what the dead process left, and does the work
    assert cli("calc", stale).returncode == 0
    assert leftovers(stale.parent) == []
    assert harness.check(stale, "full").ok
