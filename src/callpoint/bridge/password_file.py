"""The bridge's generated password: made once, kept in a file only its owner can read.

A password in the log is a password in every log shipper, ticket and screenshot, so a
generated one is never logged: it is written to a file of mode 0600 (next to the
database unless `onvif_bridge.password_file` says where) and reused at every start, so a
VMS configured once keeps working. The log says only where it is.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "onvif-bridge-password"
FILE_MODE = 0o600  # owner read/write only: the password releases doors
MAX_FILE_BYTES = 1024  # a password, not a document: a larger file is not ours
PASSWORD_BYTES = 18  # 24 URL-safe characters, 144 bits


class PasswordFileError(Exception):
    """The password file cannot be used; the message says why and where."""


def generated_password(path: Path) -> str:
    """The password kept in `path`; made and written now if there is none."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return _create(path)
    except OSError as exc:
        raise PasswordFileError(f"cannot open {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise PasswordFileError(f"{path} is not a regular file")
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(file.fileno(), FILE_MODE)
            log.warning("%s was readable by others: mode set to 0600", path)
        data = file.read(MAX_FILE_BYTES + 1)
    password = data.decode("utf-8", "replace").strip()
    if len(data) > MAX_FILE_BYTES or not password:
        raise PasswordFileError(f"{path} does not hold a password (empty or too long)")
    return password


def _create(path: Path) -> str:
    password = secrets.token_urlsafe(PASSWORD_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    except OSError as exc:
        raise PasswordFileError(f"cannot create {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as file:
        os.fchmod(file.fileno(), FILE_MODE)  # whatever the umask
        file.write(password.encode() + b"\n")
        file.flush()
        os.fsync(file.fileno())
    return password
