"""``xlmodel check`` on hostile files, through the real command line in a subprocess.

Every hostile input must end the same way: exit code 2, one line on stderr that starts with
``xlmodel check: error:`` and says what is wrong, no traceback, within seconds, and inside a
capped address space, so that a memory blow-up fails the test instead of swapping. A blow-up
that the reader catches shows as "too large to process", which these tests also refuse: each
case must be refused for its own reason.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from tests.hostile_corpus import package

try:
    import resource
except ImportError:  # not on Windows: the memory cap is then not applied
    resource = None

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "workbooks" / "ai_compute_economics.xlsx"

#: A hang guard, not a timing assertion: the subprocess is killed (and the test fails) at
#: RUN_TIMEOUT [s]. Speed is measured in benchmarks/hostile_sweep.py.
RUN_TIMEOUT = 60.0
#: Address-space cap of the checking process [B]: the template needs a small part of it.
ADDRESS_SPACE = 1536 << 20
# One BLAS thread, so that the cap measures the harness and not per-thread BLAS arenas,
# whose size depends on the machine's core count.
CHILD_ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
             "MKL_NUM_THREADS": "1"}

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_R = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
MAIN_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
SHEET_PART = "xl/worksheets/sheet1.xml"
SHEET_HEAD = f'<worksheet xmlns="{NS}"><sheetData>'.encode()
SHEET_TAIL = b"</sheetData></worksheet>"
MiB = 1 << 20

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    b'<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
    b'<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">'
    b'<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">'
    b'<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">'
    b'<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">'
    b'<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>'
)


# --------------------------------------------------------------------------------------
# Running the command line
# --------------------------------------------------------------------------------------


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def xlmodel(*args: object) -> Run:
    """Run ``python -m xlmodel ARGS`` with the address-space cap; fail on a hang."""
    command = [sys.executable, "-m", "xlmodel", *map(str, args)]
    started = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                              env=CHILD_ENV, preexec_fn=_cap_memory if resource else None)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(command[1:])} was still running after {RUN_TIMEOUT:g} s",
                    pytrace=False)
    return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def assert_refused(run: Run, path: Path, reason: str, prefix: str = r"xlmodel check") -> str:
    """Exit 2 with one error line naming ``path`` and matching ``reason``; return the line."""
    assert "Traceback" not in run.stderr, f"traceback instead of an error line:\n{run.stderr}"
    lines = run.stderr.splitlines()
    assert run.returncode == 2, (
        f"exit code {run.returncode}, expected 2\nstdout: {run.stdout}\nstderr: {run.stderr}")
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{run.stderr}"
    line = lines[0]
    assert re.match(f"{prefix}: error: ", line), line
    assert str(path) in line, f"the error does not name the file: {line}"
    assert "too large to process" not in line, (
        f"ran out of memory under the {ADDRESS_SPACE >> 20} MiB cap instead of refusing: {line}")
    assert re.search(reason, line, re.IGNORECASE), f"expected /{reason}/ in: {line}"
    return line


# --------------------------------------------------------------------------------------
# Building hostile packages
# --------------------------------------------------------------------------------------


def add_streamed_member(path: Path, name: str, chunks: Iterable[bytes], level: int = 1) -> None:
    """Append member ``name``, compressing ``chunks`` as they come (never all in memory)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = level  # zipfile has no public way to set it on a ZipInfo
    with zipfile.ZipFile(path, "a") as zf, zf.open(info, "w") as out:
        for chunk in chunks:
            out.write(chunk)


def one_sheet_without_part(path: Path) -> Path:
    return package(path, {"S": None})


def blank_sheet_xml(size: int) -> Iterable[bytes]:
    """A well-formed sheet of ``size`` bytes, nearly all white space between two tags: it
    deflates about 230:1 at level 1 and would parse to nothing if it were inflated."""
    yield SHEET_HEAD
    left = size - len(SHEET_HEAD) - len(SHEET_TAIL)
    block = b" " * MiB
    while left > 0:
        yield block[:left]
        left -= len(block)
    yield SHEET_TAIL


def set_declared_size(path: Path, name: str, size: int, crc: int | None = None) -> None:
    """Make the local and the central header of ``name`` claim ``size`` uncompressed bytes
    (and, if given, the CRC-32 ``crc``)."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    data = bytearray(path.read_bytes())
    local = info.header_offset
    assert data[local:local + 4] == b"PK\x03\x04"
    struct.pack_into("<L", data, local + 22, size)
    if crc is not None:
        struct.pack_into("<L", data, local + 14, crc)
    eocd = data.rindex(b"PK\x05\x06")
    count, _, at = struct.unpack_from("<HLL", data, eocd + 10)
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, at + 28)
        if data[at + 46:at + 46 + name_len] == name.encode():
            struct.pack_into("<L", data, at + 24, size)
            if crc is not None:
                struct.pack_into("<L", data, at + 16, crc)
        at += 46 + name_len + extra_len + comment_len
    path.write_bytes(bytes(data))


# Each builder writes one hostile file; each case says what the error line must say.


def build_not_a_zip(path: Path) -> None:
    path.write_text("Revenue,Cost\n10,4\n")  # a CSV renamed to .xlsx


def build_truncated(path: Path) -> None:
    data = TEMPLATE.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def build_bomb(path: Path) -> None:
    """1 GiB of sheet XML in a few MB, headers honest about it."""
    package(path, {"S": None})
    add_streamed_member(path, SHEET_PART, blank_sheet_xml(1 << 30))


def build_lying_bomb(path: Path) -> None:
    """1 GiB of sheet XML whose headers claim 1 MiB: only the inflating shows the truth."""
    build_bomb(path)
    set_declared_size(path, SHEET_PART, MiB)


def build_lying_bomb_matching_crc(path: Path) -> None:
    """As above, with the CRC-32 of the first MiB, so that a reader that stops at the
    declared size finds nothing wrong with the checksum."""
    build_bomb(path)
    first = (SHEET_HEAD + b" " * MiB)[:MiB]  # what blank_sheet_xml starts with
    set_declared_size(path, SHEET_PART, MiB, zlib.crc32(first))


def build_laughs_in_workbook(path: Path) -> None:
    tags = '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets>&lol9;'
    workbook = BILLION_LAUGHS + f'<workbook xmlns="{NS}" xmlns:r="{R}">{tags}</workbook>'.encode()
    package(path, {"S": b""}, replace={"xl/workbook.xml": workbook})


def build_laughs_in_sheet(path: Path) -> None:
    sheet = (BILLION_LAUGHS + SHEET_HEAD + b'<row r="1"><c r="A1" t="str"><v>&lol9;</v></c>'
             b"</row>" + SHEET_TAIL)
    package(path, {"S": b""}, replace={SHEET_PART: sheet})


def build_external_entity(path: Path) -> None:
    sheet = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
             + SHEET_HEAD + b'<row r="1"><c r="A1" t="str"><v>&xxe;</v></c></row>' + SHEET_TAIL)
    package(path, {"S": b""}, replace={SHEET_PART: sheet})


def build_missing_sheet_part(path: Path) -> None:
    package(path, {"Inputs": b'<row r="1"><c r="A1"><v>1</v></c></row>', "Gone": None})


def build_ref_to_missing_sheet(path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Model"
    wb.active["A1"] = "=Nope!A1+1"
    wb.save(path)


def build_circular(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Model"
    ws["A1"] = "=B1+1"
    ws["B1"] = "=A1+1"
    wb.save(path)


def build_million_rows(path: Path) -> None:
    """1,000,000 rows of one number each, written straight into the zip."""
    package(path, {"S": None})

    def rows() -> Iterable[bytes]:
        yield SHEET_HEAD
        for start in range(1, 1_000_001, 50_000):
            yield "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>'
                          for r in range(start, start + 50_000)).encode()
        yield SHEET_TAIL

    add_streamed_member(path, SHEET_PART, rows())


@dataclass(frozen=True)
class Case:
    build: Callable[[Path], None]
    reason: str
    """Regular expression the error line must match."""
    options: tuple[str, ...] = ()


CASES = {
    "not_a_zip": Case(build_not_a_zip, r"not a zip"),
    "truncated_zip": Case(build_truncated, r"not a zip|corrupt|truncated"),
    "zip_bomb": Case(build_bomb, r"zip bomb"),
    "zip_bomb_lying_header": Case(build_lying_bomb, r"zip bomb|inflates|bad crc|corrupt"),
    "zip_bomb_lying_header_and_crc": Case(build_lying_bomb_matching_crc,
                                          r"zip bomb|inflates|not well-formed"),
    "billion_laughs_in_workbook": Case(build_laughs_in_workbook, r"workbook\.xml.*DTD"),
    "billion_laughs_in_sheet": Case(build_laughs_in_sheet, r"sheet1\.xml.*DTD"),
    "external_entity_in_sheet": Case(build_external_entity, r"sheet1\.xml.*DTD"),
    "missing_sheet_part": Case(build_missing_sheet_part, r"'Gone'.*missing part"),
    "ref_to_missing_sheet": Case(build_ref_to_missing_sheet, r"missing sheet 'Nope'",
                                 ("--mode", "full")),
    "circular_reference": Case(build_circular, r"circular reference", ("--mode", "full")),
    "million_rows": Case(build_million_rows, r"too many rows"),
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Callable[[str], Path]:
    """Build each hostile file once, on first use."""
    folder = tmp_path_factory.mktemp("hostile")
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in built:
            path = folder / f"{name}.xlsx"
            CASES[name].build(path)
            built[name] = path
        return built[name]

    return get


# --------------------------------------------------------------------------------------
# The files are what they claim to be
# --------------------------------------------------------------------------------------


def test_bombs_are_small_on_disk_and_huge_inside(hostile):
    for name, claimed in (("zip_bomb", 1 << 30), ("zip_bomb_lying_header", MiB),
                          ("zip_bomb_lying_header_and_crc", MiB)):
        path = hostile(name)
        assert path.stat().st_size < 8 * MiB
        with zipfile.ZipFile(path) as zf:
            assert zf.getinfo(SHEET_PART).file_size == claimed
            assert zf.getinfo(SHEET_PART).compress_size > 2 * MiB  # 1 GiB went in


def test_million_row_sheet_really_has_a_million_rows(hostile):
    with zipfile.ZipFile(hostile("million_rows")) as zf, zf.open(SHEET_PART) as fh:
        count, tail = 0, b""
        while chunk := fh.read(MiB):
            count += (tail + chunk).count(b"<row ") - tail.count(b"<row ")
            tail = chunk[-8:]
    assert count == 1_000_000


def test_the_cap_leaves_room_for_a_real_workbook():
    """The template passes under the same cap, so a refusal below is not the cap's doing."""
    run = xlmodel("check", "--mode", "full", TEMPLATE)
    assert run.returncode == 0, run.stderr
    assert "all match" in run.stdout and run.stderr == ""


# --------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_hostile_file_is_refused_in_one_line(hostile, name):
    case = CASES[name]
    path = hostile(name)
    line = assert_refused(xlmodel("check", *case.options, path), path, case.reason)
    if name == "circular_reference":
        assert "A1" in line and "B1" in line, f"the cycle's cells are not named: {line}"


@pytest.mark.parametrize("mode", ["local", "full"])
def test_billion_laughs_is_refused_in_either_mode(hostile, mode):
    path = hostile("billion_laughs_in_sheet")
    assert_refused(xlmodel("check", "--mode", mode, path), path, r"DTD")


def test_every_hostile_file_in_one_run(hostile):
    """One command over all of them: one error line each, exit 2, nothing else printed."""
    paths = [hostile(name) for name in CASES]
    run = xlmodel("check", "--mode", "full", *paths)
    assert "Traceback" not in run.stderr and run.returncode == 2
    lines = run.stderr.splitlines()
    assert len(lines) == len(paths), run.stderr
    for line, path, case in zip(lines, paths, CASES.values(), strict=True):
        assert line.startswith(f"xlmodel check: error: {path}"), line
        assert re.search(case.reason, line, re.IGNORECASE), line
    assert run.stdout == ""


def test_a_bad_file_does_not_stop_the_good_ones(hostile, tmp_path):
    bad = hostile("not_a_zip")
    good = tmp_path / "good.xlsx"
    shutil.copyfile(TEMPLATE, good)
    run = xlmodel("check", bad, good)
    assert_refused(run, bad, r"not a zip")
    assert f"{good}: local mode" in run.stdout and "all match" in run.stdout


@pytest.mark.parametrize("verb", [("check", "--update"), ("calc",)], ids=" ".join)
@pytest.mark.parametrize("name", CASES)
def test_update_leaves_a_hostile_file_byte_identical(hostile, tmp_path, name, verb):
    case = CASES[name]
    path = tmp_path / f"{name}.xlsx"
    shutil.copyfile(hostile(name), path)
    before = path.read_bytes()
    options = case.options if verb[0] == "check" else ()  # calc recomputes in full mode
    run = xlmodel(*verb, *options, path)
    # calc runs through check's code path and says "xlmodel check" in its errors
    assert_refused(run, path, case.reason, prefix=r"xlmodel (?:check|calc)")
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name], "a temporary file was left behind"


# --------------------------------------------------------------------------------------
# Usage errors
# --------------------------------------------------------------------------------------


def test_nonexistent_path(tmp_path):
    path = tmp_path / "absent.xlsx"
    assert_refused(xlmodel("check", path), path, r"no such file")
    assert not path.exists()


def test_folder_instead_of_a_workbook(tmp_path):
    assert_refused(xlmodel("check", tmp_path), tmp_path, r"folder|directory")


def test_unknown_mode_is_a_usage_error():
    run = xlmodel("check", "--mode", "nonsense", TEMPLATE)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    last = run.stderr.splitlines()[-1]
    assert last.startswith("xlmodel check: error:")
    assert "--mode" in last and "nonsense" in last
    assert run.stdout == ""
