"""Thread names reach the OS, where top -H and /proc show them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from callpoint.osthread import name_os_thread


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_thread_name_is_visible_in_proc() -> None:
    seen: list[str] = []

    def run() -> None:
        name_os_thread("cp-test-thread-long-name")
        seen.append(Path(f"/proc/self/task/{threading.get_native_id()}/comm").read_text())

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert seen == ["cp-test-thread-\n"]  # the kernel keeps 15 bytes
