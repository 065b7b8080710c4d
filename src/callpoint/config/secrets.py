"""Secret references: a secret is named in site.yaml, never written there.

`{env: NAME}` reads an environment variable, `{file: PATH}` reads a file (trailing newline
stripped). Values are wrapped in pydantic's SecretStr so they never appear in reprs or logs.
A secret file must be a small regular file: a directory, a FIFO or /dev/zero is refused
without being read (opened non-blocking, checked with fstat, read with a size bound).
"""

from __future__ import annotations

import os
import stat
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator

MAX_SECRET_FILE_BYTES = 64 * 1024  # a secret is a token or a key, never a large file


class SecretRef(BaseModel):
    """Where a secret comes from. Exactly one of `env` or `file`."""

    model_config = ConfigDict(extra="forbid")

    env: Annotated[
        str | None,
        Field(description="Environment variable holding the secret.", pattern=r"^[A-Za-z_]\w*$"),
    ] = None
    file: Annotated[
        str | None, Field(description="Path of a file holding the secret.", min_length=1)
    ] = None

    _value: SecretStr | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _exactly_one_then_read(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("a secret reference needs exactly one of 'env' or 'file'")
        # Read at load time so a missing secret is a config error with its line.
        self._value = self.resolve()
        return self

    @property
    def value(self) -> SecretStr:
        """The secret as read when the config was loaded."""
        assert self._value is not None
        return self._value

    def describe(self) -> str:
        """Where the secret is read from, safe to log."""
        return f"env {self.env}" if self.env is not None else f"file {self.file}"

    def resolve(self) -> SecretStr:
        """Read the secret now; raises ValueError saying where it was looked for."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None or value == "":
                raise ValueError(f"environment variable {self.env} is not set")
            return SecretStr(value)
        assert self.file is not None
        data = read_small_file(self.file, MAX_SECRET_FILE_BYTES, "secret file")
        try:
            text = data.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise ValueError(f"secret file {self.file} is not UTF-8 text") from exc
        if not text:
            raise ValueError(f"secret file {self.file} is empty")
        return SecretStr(text)


def read_small_file(name: str, limit: int, what: str) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; raises ValueError saying why not.

    Opened with O_NONBLOCK so a FIFO without a writer does not hang the caller; anything
    that is not a regular file (directory, device, socket) is refused before reading.
    """
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise ValueError(f"cannot read {what} {name}: {exc.strerror}") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError(f"{what} {name} is not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ValueError(f"cannot read {what} {name}: {exc.strerror}") from exc
    finally:
        os.close(fd)
    if size > limit:
        raise ValueError(f"{what} {name} is larger than {limit} B")
    return b"".join(chunks)
