"""A small deterministic zip writer, and :func:`rezip`, which writes a package with some
members replaced: untouched members are copied byte for byte (same order, names,
compression and timestamps), members created here get a fixed 1980-01-01 timestamp."""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

from xlmodel.errors import WorkbookError
from xlmodel.workbook.atomic import atomic_write
from xlmodel.workbook.limits import CHUNK
from xlmodel.workbook.package import Package

_FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_EOCD = struct.Struct("<4s4H2LH")
_U32 = 0xFFFFFFFF


def _dos_stamp(date_time: tuple[int, ...]) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def _strip_zip64(extra: bytes) -> bytes:
    out, i = [], 0
    while i + 4 <= len(extra):
        hid, size = struct.unpack("<HH", extra[i:i + 4])
        if hid != 0x0001:
            out.append(extra[i:i + 4 + size])
        i += 4 + size
    return b"".join(out) if i == len(extra) else extra


def _name_bytes(info: zipfile.ZipInfo) -> bytes:
    return info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")


@dataclass
class _Entry:
    """One member's central-directory record."""

    name: bytes
    flag: int
    method: int
    dos_time: int
    dos_date: int
    crc: int
    csize: int
    usize: int
    offset: int
    extract_version: int = 20
    create_version: int = 20
    create_system: int = 0
    internal_attr: int = 0
    external_attr: int = 0
    extra: bytes = b""
    comment: bytes = b""


class ZipWriter:
    """A small deterministic zip writer that can copy members' compressed bytes verbatim."""

    def __init__(self, out: BinaryIO):
        self.out = out
        self.entries: list[_Entry] = []
        self.pos = 0

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.pos += len(data)

    def _check32(self, *values: int) -> None:
        if any(v >= _U32 for v in values):
            raise WorkbookError("the package is too large (zip64 is not supported)")

    def copy_verbatim(self, src: BinaryIO, info: zipfile.ZipInfo) -> None:
        """Copy a member's local header, data and descriptor unchanged."""
        header, data_at = _local_header_of(src, info)
        self._check32(info.compress_size, info.file_size, self.pos)
        entry = _entry_from_info(info, self.pos)
        self._write(header)
        src.seek(data_at)
        self._copy_bytes(src, info.compress_size)
        if info.flag_bits & 0x08:
            self._write(_descriptor_of(src, header))
        self.entries.append(entry)

    def copy_restamped(self, src: BinaryIO, info: zipfile.ZipInfo, date_time) -> None:
        """Copy a member's compressed bytes under a rebuilt header with a new timestamp."""
        header, data_at = _local_header_of(src, info)
        self._check32(info.compress_size, info.file_size, self.pos)
        entry = _entry_from_info(info, self.pos)
        entry.flag &= ~0x08
        entry.dos_time, entry.dos_date = _dos_stamp(date_time)
        local_extra = header[_LOCAL.size + len(entry.name):]
        self._write(_pack_local(entry, _strip_zip64(local_extra)))
        src.seek(data_at)
        self._copy_bytes(src, info.compress_size)
        self.entries.append(entry)

    def add(self, name: str, data: bytes, *, like: zipfile.ZipInfo | None = None,
            date_time: tuple[int, ...] | None = None) -> None:
        """Write a new or replaced member; ``like`` keeps an existing member's header fields."""
        method = zipfile.ZIP_STORED if like and like.compress_type == 0 else zipfile.ZIP_DEFLATED
        if method == zipfile.ZIP_DEFLATED:
            comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            payload = comp.compress(data) + comp.flush()
        else:
            payload = data
        stamp = date_time or (like.date_time if like else _FIXED_DATE_TIME)
        self._check32(len(payload), len(data), self.pos)
        if like is not None:
            entry = _entry_from_info(like, self.pos)
            entry.flag &= 0x800
            entry.method = method
            entry.extra = _strip_zip64(like.extra)
        else:
            encoded = name.encode("ascii", "ignore")
            flag = 0 if encoded.decode("ascii") == name else 0x800
            entry = _Entry(name.encode("utf-8") if flag else encoded, flag, method, 0, 0, 0, 0,
                           0, self.pos, extract_version=20 if method else 10)
        entry.dos_time, entry.dos_date = _dos_stamp(stamp)
        entry.crc = zlib.crc32(data)
        entry.csize, entry.usize = len(payload), len(data)
        self._write(_pack_local(entry, entry.extra if like is not None else b""))
        self._write(payload)
        self.entries.append(entry)

    def _copy_bytes(self, src: BinaryIO, size: int) -> None:
        left = size
        while left:
            chunk = src.read(min(left, CHUNK))
            if not chunk:
                raise WorkbookError("truncated zip member")
            self._write(chunk)
            left -= len(chunk)

    def close(self, comment: bytes = b"") -> None:
        cd_start = self.pos
        for e in self.entries:
            self._write(_CENTRAL.pack(
                b"PK\x01\x02", e.create_version, e.create_system, e.extract_version, 0, e.flag,
                e.method, e.dos_time, e.dos_date, e.crc, e.csize, e.usize, len(e.name),
                len(e.extra), len(e.comment), 0, e.internal_attr, e.external_attr, e.offset,
            ) + e.name + e.extra + e.comment)
        count = len(self.entries)
        if count >= 0xFFFF:
            raise WorkbookError("the package has too many members (zip64 is not supported)")
        self._check32(cd_start, self.pos - cd_start)
        self._write(_EOCD.pack(b"PK\x05\x06", 0, 0, count, count, self.pos - cd_start,
                               cd_start, len(comment)) + comment)


def _pack_local(e: _Entry, extra: bytes) -> bytes:
    header = _LOCAL.pack(b"PK\x03\x04", e.extract_version, 0, e.flag, e.method, e.dos_time,
                         e.dos_date, e.crc, e.csize, e.usize, len(e.name), len(extra))
    return header + e.name + extra


def _entry_from_info(info: zipfile.ZipInfo, offset: int) -> _Entry:
    dos_time, dos_date = _dos_stamp(info.date_time)
    return _Entry(
        name=_name_bytes(info), flag=info.flag_bits, method=info.compress_type,
        dos_time=dos_time, dos_date=dos_date, crc=info.CRC, csize=info.compress_size,
        usize=info.file_size, offset=offset, extract_version=info.extract_version,
        create_version=info.create_version, create_system=info.create_system,
        internal_attr=info.internal_attr, external_attr=info.external_attr,
        extra=_strip_zip64(info.extra), comment=info.comment,
    )


def _local_header_of(src: BinaryIO, info: zipfile.ZipInfo) -> tuple[bytes, int]:
    src.seek(info.header_offset)
    fixed = src.read(_LOCAL.size)
    if len(fixed) != _LOCAL.size or fixed[:4] != b"PK\x03\x04":
        raise WorkbookError(f"corrupt zip: bad local header for {info.filename!r}")
    fields = _LOCAL.unpack(fixed)
    rest = src.read(fields[-2] + fields[-1])
    if len(rest) != fields[-2] + fields[-1]:
        raise WorkbookError(f"corrupt zip: truncated header for {info.filename!r}")
    return fixed + rest, info.header_offset + len(fixed) + len(rest)


def _has_zip64(extra: bytes) -> bool:
    i = 0
    while i + 4 <= len(extra):
        hid, size = struct.unpack_from("<HH", extra, i)
        if hid == 0x0001:
            return True
        i += 4 + size
    return False


def _descriptor_of(src: BinaryIO, local_header: bytes) -> bytes:
    """The data descriptor after a member's data: optional signature, CRC, two sizes."""
    name_len = _LOCAL.unpack(local_header[:_LOCAL.size])[-2]
    size = 8 if _has_zip64(local_header[_LOCAL.size + name_len:]) else 4
    head = src.read(4)
    if head == b"PK\x07\x08":
        return head + src.read(4 + 2 * size)
    return head + src.read(2 * size)


def rezip(pkg: Package, dst: str, replace: Mapping[str, bytes],
           append: list[tuple[str, bytes]], date_time: tuple[int, ...] | None = None,
           before_replace=None) -> None:
    """Write ``pkg`` to ``dst`` with some members replaced and some appended.

    Untouched members are copied byte for byte (or only restamped when ``date_time`` is
    given); replaced members keep their place, name, method and timestamp.
    """
    infos = pkg.zf.infolist()
    comment = pkg.zf.comment

    def produce(out: BinaryIO) -> None:
        writer = ZipWriter(out)
        with os.fdopen(os.dup(pkg.fh.fileno()), "rb") as src:  # the file pkg has read
            for info in infos:
                if info.filename in replace:
                    writer.add(info.filename, replace[info.filename], like=info,
                               date_time=date_time)
                elif date_time is None:
                    writer.copy_verbatim(src, info)
                else:
                    writer.copy_restamped(src, info, date_time)
        for name, data in append:
            writer.add(name, data, date_time=date_time)
        writer.close(comment)

    atomic_write(dst, pkg.path, produce, before_replace)
