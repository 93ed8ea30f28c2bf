"""The zip package, read under limits: members, their bytes, and their relationships.

A :class:`Package` is one open file: every byte inflated from it is counted against the
:class:`~xlmodel.workbook.limits.Limits` (zip bombs are refused from the declared sizes and
while decompressing), and :func:`guard` turns any low-level failure into one
:class:`~xlmodel.errors.WorkbookError` line.
"""

from __future__ import annotations

import contextlib
import lzma
import os
import posixpath
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException

from xlmodel.errors import WorkbookError
from xlmodel.workbook.limits import CHUNK, TREE_PART_CAP, Limits, MiB, one_line
from xlmodel.workbook.xmlparse import parse_tree

NS_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
# Members smaller than this are not held to the compression-ratio limit: small XML
# parts legitimately compress very well.
_RATIO_GRACE = 1 * MiB
# Excel packages have tens to a few thousand parts; a central directory of millions of
# entries would take zipfile seconds and gigabytes to index.
_MAX_MEMBERS = 50_000
_EOCD_SEARCH = 22 + 0xFFFF  # the end record plus the longest archive comment


def _declared_member_count(fh: BinaryIO) -> int | None:
    """The entry count the zip's end record declares, read before zipfile indexes it."""
    size = fh.seek(0, os.SEEK_END)
    start = max(0, size - _EOCD_SEARCH)
    fh.seek(start)
    tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None  # not a zip: zipfile gives the error
    count = struct.unpack_from("<H", tail, at + 10)[0]
    locator = at - 20
    if count == 0xFFFF and locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
        (offset,) = struct.unpack_from("<Q", tail, locator + 8)
        fh.seek(offset)
        record = fh.read(56)
        if len(record) == 56 and record[:4] == b"PK\x06\x06":
            count = struct.unpack_from("<Q", record, 32)[0]
    return count


def open_regular(path: str) -> BinaryIO:
    """Open ``path`` for reading without blocking on a FIFO, and refuse anything but a
    regular file (a FIFO, device or socket)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise WorkbookError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise WorkbookError(f"{path}: is a folder, not a workbook") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise WorkbookError(f"{path}: is a folder, not a workbook")
        if not stat.S_ISREG(st.st_mode):
            raise WorkbookError(f"{path}: not a regular file (a FIFO, device or socket)")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class Package:
    """A zip package opened for reading, every byte counted against the limits."""

    def __init__(self, path: str, limits: Limits):
        self.path = path
        self.limits = limits
        self.used = 0
        self.inflated: dict[str, int] = {}  # most bytes inflated so far, per member
        self.elements = 0
        self.max_elements = limits.max_elements
        self.array_cells = 0  # cells covered by array formulas, all sheets together
        # one open file for everything read from the package, so that a file replaced
        # meanwhile (another program saving it) cannot mix two versions
        self.fh = open_regular(path)
        try:
            members = _declared_member_count(self.fh)
            if members is not None and members > _MAX_MEMBERS:
                raise WorkbookError(f"{path}: more than {_MAX_MEMBERS} zip members")
            self.fh.seek(0)
            try:
                self.zf = zipfile.ZipFile(self.fh)
            except zipfile.BadZipFile as exc:
                raise WorkbookError(f"{path}: not a zip package ({one_line(exc)})") from None
            found = len(self.zf.infolist())
            if members is not None and members != 0xFFFF and members != found:
                raise WorkbookError(f"{path}: corrupt zip: its end record declares {members} "
                                    f"members, the central directory holds {found}")
            self._index()
        except BaseException:
            if hasattr(self, "zf"):
                self.zf.close()
            self.fh.close()
            raise

    def _index(self) -> None:
        self.by_name: dict[str, zipfile.ZipInfo] = {}
        self.by_lower: dict[str, zipfile.ZipInfo] = {}
        declared = 0
        for info in self.zf.infolist():
            lower = info.filename.lower()
            if lower in self.by_lower:
                self.fail(f"duplicate zip member {info.filename!r}")
            if info.flag_bits & 0x1:
                self.fail(f"zip member {info.filename!r} is encrypted")
            declared += info.file_size
            if declared > self.limits.max_uncompressed:
                self.fail(
                    f"zip bomb: members declare more than {self.limits.max_uncompressed} bytes"
                )
            if (
                info.file_size > _RATIO_GRACE
                and info.file_size > self.limits.max_ratio * max(info.compress_size, 1)
            ):
                self.fail(
                    f"zip bomb: member {info.filename!r} claims a compression ratio above "
                    f"{self.limits.max_ratio:g}"
                )
            self.by_name[info.filename] = info
            self.by_lower[lower] = info

    def fail(self, message: str) -> None:
        raise WorkbookError(f"{self.path}: {message}")

    def close(self) -> None:
        self.zf.close()
        self.fh.close()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def info(self, name: str) -> zipfile.ZipInfo | None:
        name = name.lstrip("/")
        return self.by_name.get(name) or self.by_lower.get(name.lower())

    def chunks(self, name: str) -> Iterator[bytes]:
        """Yield the decompressed bytes of member ``name``, enforcing every limit as it goes."""
        info = self.info(name)
        if info is None:
            self.fail(f"missing part {name}")
        limits = self.limits
        if info.file_size > limits.max_part_bytes:
            self.fail(f"part {info.filename} is larger than {limits.max_part_bytes} bytes")
        ratio_cap = max(limits.max_ratio * max(info.compress_size, 1), _RATIO_GRACE)
        seen = 0
        with self.zf.open(info) as fh:
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                seen += len(chunk)
                # A member read twice (prescan, then parse) counts once toward the total.
                counted = self.inflated.get(info.filename, 0)
                if seen > counted:
                    self.used += seen - counted
                    self.inflated[info.filename] = seen
                # The header's size can lie: enforce the limits on what actually comes out.
                if seen > info.file_size:
                    self.fail(f"zip bomb: part {info.filename} inflates past its declared size")
                if seen > ratio_cap:
                    self.fail(f"zip bomb: part {info.filename} inflates too much")
                if self.used > limits.max_uncompressed:
                    self.fail(f"zip bomb: more than {limits.max_uncompressed} bytes inflated")
                yield chunk

    def read(self, name: str, cap: int | None = None) -> bytes:
        info = self.info(name)
        if info is None:
            self.fail(f"missing part {name}")
        if cap is not None and info.file_size > cap:
            self.fail(f"part {info.filename} is larger than {cap} bytes")
        return b"".join(self.chunks(name))

    def tree(self, name: str) -> Element:
        """Parse a small part into an element tree with DTDs and entities forbidden."""
        data = self.read(name, TREE_PART_CAP)
        return parse_tree(data, name)


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def rels_name(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _resolve_target(source_part: str, target: str) -> str:
    target = unquote(target)
    if target.startswith("/"):
        path = target[1:]
    else:
        path = posixpath.join(posixpath.dirname(source_part), target)
    path = posixpath.normpath(path).lstrip("/")
    if path.startswith("..") or path in ("", "."):
        raise WorkbookError(f"relationship target {target!r} points outside the package")
    return path


@dataclass(frozen=True)
class Rel:
    rid: str
    type: str
    part: str | None  # None for an external target


def read_rels(pkg: Package, source_part: str) -> dict[str, Rel]:
    name = rels_name(source_part)
    if pkg.info(name) is None:
        return {}
    root = pkg.tree(name)
    rels: dict[str, Rel] = {}
    for el in root:
        if local_name(el.tag) != "Relationship":
            continue
        rid, rtype, target = el.get("Id"), el.get("Type", ""), el.get("Target", "")
        if not rid:
            continue
        external = el.get("TargetMode", "").lower() == "external"
        part = None if external else _resolve_target(source_part, target)
        rels[rid] = Rel(rid, rtype, part)
    return rels


@contextlib.contextmanager
def guard(path: str) -> Iterator[None]:
    """Turn any low-level failure while handling a package into a one-line WorkbookError."""
    try:
        yield
    except WorkbookError as exc:
        message = one_line(exc)
        if not message.startswith(path):
            message = f"{path}: {message}"
        raise WorkbookError(message) from None
    except zipfile.BadZipFile as exc:
        raise WorkbookError(f"{path}: corrupt zip ({one_line(exc)})") from None
    except (zlib.error, lzma.LZMAError, EOFError, struct.error) as exc:
        raise WorkbookError(f"{path}: corrupt or truncated zip ({one_line(exc)})") from None
    except NotImplementedError as exc:
        raise WorkbookError(f"{path}: unsupported zip feature ({one_line(exc)})") from None
    except DefusedXmlException as exc:
        raise WorkbookError(f"{path}: forbidden XML construct ({one_line(exc)})") from None
    except MemoryError:
        raise WorkbookError(f"{path}: too large to process") from None
    except OSError as exc:
        raise WorkbookError(f"{path}: {one_line(exc.strerror or exc)}") from None
    except (ValueError, LookupError, RuntimeError) as exc:
        raise WorkbookError(f"{path}: unreadable ({one_line(exc)})") from None
