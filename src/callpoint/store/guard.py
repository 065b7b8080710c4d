"""The files under the store: able to take a write before SQLite maps them, and still the
files it opened while it runs.

SQLite keeps working on the files it has open: deleted or replaced under a running
server, it goes on committing into an unlinked inode, and what it acknowledged is gone at
the next start. A `-shm` it may not write it maps read-only, and the process dies of
SIGBUS when it touches a page past the end. Both are checked here, cheaply: the files'
identities once per committed batch, and the write permissions once, at open.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Final

from callpoint.store.base import StoreError

MIB: Final = 1024 * 1024
# Free space the store needs to start (bytes): the WAL alone may grow to 64 MiB
# (sqlite.JOURNAL_SIZE_LIMIT_BYTES) in a burst; with less, the first burst fails.
MIN_FREE_BYTES: Final = 64 * MIB
# Size of the test write made in the database directory at open (bytes): one page.
PROBE_BYTES: Final = 4096
# The files SQLite keeps beside the database in WAL mode.
SIDE_SUFFIXES: Final = ("-wal", "-shm")


class StoreOpenError(StoreError):
    """The store cannot take a write: the server must not start on it."""


def side_files(path: Path) -> tuple[Path, ...]:
    return tuple(path.with_name(path.name + suffix) for suffix in SIDE_SUFFIXES)


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _check_existing(path: Path) -> None:
    """A file SQLite will open read-write must be a regular file we can write."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return  # SQLite creates it; the directory test covers that
    except OSError as exc:
        raise StoreOpenError(f"{path}: cannot be examined ({_why(exc)})") from exc
    if not stat.S_ISREG(st.st_mode):
        raise StoreOpenError(f"{path}: not a regular file")
    if not os.access(path, os.R_OK | os.W_OK):
        raise StoreOpenError(f"{path}: not writable by this process (permission denied)")
    # access() ignores an immutable file and judges by the real uid: opening it for
    # writing is the kernel's own answer. (Nothing else of ours has it open yet, so
    # closing this descriptor drops no SQLite lock.)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        raise StoreOpenError(f"{path}: cannot be opened for writing ({_why(exc)})") from exc
    os.close(fd)


def _probe_directory(directory: Path) -> None:
    """SQLite creates `-wal` and `-shm` there: a real write, synced, then removed."""
    try:
        fd, name = tempfile.mkstemp(prefix=".callpoint-write-test-", dir=directory)
    except OSError as exc:
        raise StoreOpenError(f"{directory}: cannot create a file there ({_why(exc)})") from exc
    try:
        os.write(fd, bytes(PROBE_BYTES))
        os.fsync(fd)
    except OSError as exc:
        raise StoreOpenError(f"{directory}: a test write failed ({_why(exc)})") from exc
    finally:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            Path(name).unlink()


def preflight(path: Path, *, min_free_bytes: int = MIN_FREE_BYTES) -> None:
    """Raise StoreOpenError (one line: the path and the cause) unless the database at
    `path` can take a write: its directory, the file and its `-wal` and `-shm`."""
    directory = path.absolute().parent
    if not directory.is_dir():
        raise StoreOpenError(f"{directory}: the database directory does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise StoreOpenError(f"{directory}: directory not writable by this process")
    for file in (path, *side_files(path)):
        _check_existing(file)
    _probe_directory(directory)
    vfs = os.statvfs(directory)
    free = vfs.f_bavail * vfs.f_frsize
    if free < min_free_bytes:
        raise StoreOpenError(
            f"{directory}: no space: {free // MIB} MiB free, the store needs "
            f"{min_free_bytes // MIB} MiB"
        )


class FileGuard:
    """The device and inode of the database and its WAL as opened; `changed` says
    whether the paths still name those files (two stat calls)."""

    def __init__(self, path: Path) -> None:
        wal = side_files(path)[0]
        # As strings: os.stat of a str is several times cheaper than Path.stat.
        self._expected: list[tuple[str, int, int]] = []
        for file in (str(path), str(wal)):
            st = os.stat(file)  # noqa: PTH116 - both exist once the writer is in WAL mode
            self._expected.append((file, st.st_dev, st.st_ino))

    def changed(self) -> str | None:
        """None while every file is the one opened; otherwise what happened to which."""
        for file, device, inode in self._expected:
            try:
                st = os.stat(file)  # noqa: PTH116 - hot: once per batch
            except FileNotFoundError:
                return f"{file} was deleted while in use"
            except OSError as exc:
                return f"{file} cannot be examined ({_why(exc)})"
            if st.st_ino != inode or st.st_dev != device:
                return f"{file} was replaced by another file while in use"
        return None
