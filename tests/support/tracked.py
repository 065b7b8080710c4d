"""What git tracks, before and after a run: tests never write into tracked files."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TrackedState:
    """For each tracked file `git status` lists as changed: its status code and content hash."""

    top: Path
    files: dict[str, tuple[str, str]]

    def changed_since(self, later: TrackedState | None) -> list[str]:
        """Paths whose status or content differs in `later`, sorted."""
        if later is None:
            return []
        paths = self.files.keys() | later.files.keys()
        return sorted(p for p in paths if self.files.get(p) != later.files.get(p))


def _git(cwd: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    done = subprocess.run(
        [git, *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
    )
    return done.stdout if done.returncode == 0 else None


def tracked_state(where: Path) -> TrackedState | None:
    """The tracked files' state of the git work tree holding `where`; None outside git."""
    top = _git(where, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    root = Path(top.strip())
    out = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=no")
    if out is None:
        return None
    files = {}
    for entry in out.split("\0"):
        if len(entry) < 4 or entry[2] != " ":
            continue  # the source path of a rename comes as an entry of its own
        path = root / entry[3:]
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "-"
        files[entry[3:]] = (entry[:2], digest)
    return TrackedState(root, files)
