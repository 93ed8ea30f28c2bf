"""Safe replacement of a workbook on disk: content fingerprints, a folder lock, and the
atomic write (a temporary file in the same folder, fsynced, renamed over the destination
with the owner and mode of the file it replaces)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator

from xlmodel.errors import WorkbookError
from xlmodel.workbook.limits import CHUNK, one_line
from xlmodel.workbook.package import open_regular


def fingerprint(path: str | os.PathLike[str]) -> tuple:
    """What identifies a file's contents: its size and SHA-256. Two equal fingerprints mean
    the file holds what it held (a save of the very same bytes, or a touch, changes
    nothing that matters)."""
    path = os.fspath(path)
    digest = hashlib.sha256()
    with open_regular(path) as fh:
        st = os.fstat(fh.fileno())
        while block := fh.read(CHUNK):
            digest.update(block)
    return (st.st_size, digest.hexdigest())


@contextlib.contextmanager
def folder_lock(path: str | os.PathLike[str], timeout: float = 30.0) -> Iterator[None]:
    """Hold an exclusive advisory lock on the folder of ``path`` (``flock`` on the folder
    itself, so nothing is left behind), so that two ``calc`` runs on one workbook take
    turns instead of reading each other's half-finished state. Waits up to ``timeout``
    seconds, then raises WorkbookError."""
    try:
        import fcntl
    except ImportError:  # not on Windows: the fingerprint checks still apply
        yield
        return
    folder = os.path.dirname(os.path.abspath(os.fspath(path))) or "."
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield  # the write reports what is wrong with the folder
        return
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise WorkbookError(f"{path}: another program has been updating "
                                        f"workbooks in this folder for {timeout:g} s; "
                                        "not written") from None
                time.sleep(0.05)
            except OSError:
                break  # a file system without locks: the fingerprint checks still apply
        yield
    finally:
        os.close(fd)


def check_unchanged(path: str, expect: tuple | None) -> None:
    if expect is not None and fingerprint(path) != expect:
        raise WorkbookError(f"{path}: the file changed since it was read (another program "
                            "saved it); not written, run again")


def require_writable(path: str) -> None:
    """Refuse to replace a read-only file (root could, but should not either)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    if (st.st_mode & 0o222) == 0 or (euid not in (None, 0) and not os.access(path, os.W_OK)):
        raise WorkbookError(f"{path}: the file is read-only; not written")


def atomic_write(dst: str, mode_from: str, produce, before_replace=None) -> None:
    """Write ``dst`` through a temporary file in its folder, fsync it, then rename it.

    The new file gets the mode and owner of the file it replaces (of ``mode_from`` when
    ``dst`` is new); ``before_replace`` runs just before the rename and may refuse it.
    """
    folder = os.path.dirname(os.path.abspath(dst))
    require_writable(dst)
    try:
        like = os.stat(dst)
    except OSError:
        like = os.stat(mode_from)
    _remove_stale_temporaries(folder, os.path.basename(dst))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(dst)}.{os.getpid()}.",
                                   suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WorkbookError(f"{dst}: cannot write ({one_line(exc.strerror or exc)})") from None
    try:
        with os.fdopen(fd, "wb") as out:
            _same_owner_and_mode(out.fileno(), like, dst)
            produce(out)
            out.flush()
            os.fsync(out.fileno())
        if before_replace is not None:
            before_replace()
        try:
            os.replace(tmp, dst)
        except OSError as exc:
            raise WorkbookError(f"{dst}: cannot write ({one_line(exc.strerror or exc)})") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):
        with contextlib.suppress(OSError):
            dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def _remove_stale_temporaries(folder: str, name: str) -> None:
    """Remove the temporary files a killed writer of ``name`` left (``kill -9`` cannot be
    caught): each carries its writer's process id, and only those of dead processes go."""
    pattern = re.compile(re.escape(f".{name}.") + r"([0-9]+)\.[A-Za-z0-9_]+\.tmp")
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        m = pattern.fullmatch(entry)
        if m is None or int(m.group(1)) == os.getpid() or _alive(int(m.group(1))):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folder, entry))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process, or cannot tell: leave its file alone
    return True


def _same_owner_and_mode(fd: int, like: os.stat_result, dst: str) -> None:
    """Give the temporary file the owner, group and mode of the file it replaces: root
    must not take ownership of a user's file, nor a 0600 file become readable to others."""
    if hasattr(os, "fchown"):
        st = os.fstat(fd)
        if (st.st_uid, st.st_gid) != (like.st_uid, like.st_gid):
            try:
                os.fchown(fd, like.st_uid, like.st_gid)
            except PermissionError:
                if st.st_uid != like.st_uid:
                    raise WorkbookError(f"{dst}: cannot keep the file's owner (uid "
                                        f"{like.st_uid}); not written") from None
                with contextlib.suppress(OSError):  # only the group differs
                    os.fchown(fd, -1, like.st_gid)
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(like.st_mode))
