"""Making a file or directory unwritable for this process, root included.

Permission bits do not stop root (these tests run as root in the sandbox and as a user in
CI): as root the immutable attribute is set as well, which stops root too.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _chattr(flag: str, path: Path) -> None:
    subprocess.run(["chattr", flag, str(path)], check=True, capture_output=True)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` unwritable (file or directory) inside the block, writable again after."""
    mode = path.stat().st_mode
    root = os.geteuid() == 0
    if root and shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a file read-only for root")
    path.chmod(mode & ~0o222)
    try:
        if root:
            _chattr("+i", path)
        try:
            yield
        finally:
            if root:
                _chattr("-i", path)
    finally:
        path.chmod(mode)
