"""Every module under `callpoint.codecs` loads without asyncio, socket or aiohttp.

The modules are found by location (every ``.py`` file under the package), so a codec
added there is checked without being listed. Each is imported in a fresh interpreter
that records who imported what; a failure names the chain from the codec to the banned
module.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import callpoint.codecs

BANNED = ("asyncio", "socket", "aiohttp")
CODECS_DIR = Path(callpoint.codecs.__file__).parent

# Run in the child: a meta-path finder that only watches, remembering for each module the
# module whose code asked for it; then the import; then the chain to each banned module.
_CHILD = """
import importlib, json, sys

BANNED = {banned!r}
preloaded = [b for b in BANNED if b in sys.modules]
parents = {{}}

class Watcher:
    def find_spec(self, name, path=None, target=None):
        if name not in parents:
            frame = sys._getframe(1)
            while frame is not None and frame.f_globals.get("__name__", "").startswith(
                ("importlib", "_frozen_importlib")
            ):
                frame = frame.f_back
            parents[name] = frame.f_globals.get("__name__") if frame is not None else None
        return None

sys.meta_path.insert(0, Watcher())
importlib.import_module({module!r})
chains = {{}}
for banned in BANNED:
    if banned in sys.modules:
        chain, name = [banned], banned
        while parents.get(name) not in (None, "__main__") and len(chain) < 100:
            name = parents[name]
            chain.append(name)
        chains[banned] = list(reversed(chain))
print(json.dumps({{"preloaded": preloaded, "chains": chains}}))
"""


def codec_modules() -> list[str]:
    """Every module in the codecs package, found on disk."""
    root = CODECS_DIR.parent.parent  # the directory holding the `callpoint` package
    names = []
    for path in sorted(CODECS_DIR.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def banned_chains(module: str) -> dict[str, list[str]]:
    """For each banned module that importing `module` loads: the chain of importers."""
    code = _CHILD.format(banned=BANNED, module=module)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["preloaded"] == [], "the interpreter loaded them before the import"
    chains: dict[str, list[str]] = report["chains"]
    return chains


def test_the_codecs_are_found_on_disk() -> None:
    found = codec_modules()
    assert "callpoint.codecs" in found
    for name in ("soap", "http11", "http_head", "rtsp", "sdp", "syslog", "wsdiscovery.decode"):
        assert f"callpoint.codecs.{name}" in found


@pytest.mark.parametrize("module", codec_modules())
def test_codec_imports_no_asyncio_socket_or_aiohttp(module: str) -> None:
    chains = banned_chains(module)
    assert not chains, "\n".join(
        f"{module} loads {banned}: {' -> '.join(chain)}" for banned, chain in chains.items()
    )


def test_the_check_names_the_chain_of_a_module_that_does_import_asyncio() -> None:
    # The ONVIF transport is an I/O adapter: it imports asyncio itself.
    chains = banned_chains("callpoint.onvif.transport")
    assert chains["asyncio"][0] == "callpoint.onvif.transport"
    assert chains["asyncio"][-1] == "asyncio"
