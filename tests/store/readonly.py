"""Making a file or directory unwritable for this process, root included.

Permission bits do not stop root (these tests run as root in the sandbox and as a user in
CI): as root the immutable attribute is set as well, which stops root too.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.support.peers import CHATTR, require_peer


def _chattr(flag: str, path: Path) -> None:
    subprocess.run(["chattr", flag, str(path)], check=True, capture_output=True)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` unwritable (file or directory) inside the block, writable again after."""
    mode = path.stat().st_mode
    root = os.geteuid() == 0
    if root:  # permission bits do not stop root: the immutable attribute does
        require_peer(CHATTR)
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
