"""The flow goes one way: the core (engine, runtime, store) imports no adapter, console
or HTTP library, so the console can depend on the runtime and never the reverse."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Module -> packages it must never load, even transitively.
FORBIDDEN = {
    "callpoint.runtime": ("callpoint.console", "callpoint.server", "aiohttp"),
    "callpoint.engine": ("callpoint.console", "callpoint.ingress", "callpoint.runtime"),
    "callpoint.ingress.normalise": ("callpoint.console", "callpoint.runtime", "aiohttp"),
    "callpoint.component": ("callpoint.console", "callpoint.runtime", "aiohttp"),
}


def loaded_by(module: str) -> list[str]:
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return list(json.loads(out.stdout))


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_the_core_does_not_import_the_layers_above_it(module: str) -> None:
    loaded = loaded_by(module)
    bad = [m for m in loaded for p in FORBIDDEN[module] if m == p or m.startswith(p + ".")]
    assert not bad, f"importing {module} loads {bad}"
