"""The API against its own OpenAPI description, fuzzed by schemathesis (a tool we did not
write): no server error, documented status codes and content types, auth where declared."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import API_TOKEN
from tests.server.conftest import Live

pytestmark = pytest.mark.asyncio


@pytest.mark.timeout(180)
async def test_schemathesis_finds_no_server_error_or_contract_violation(live: Live) -> None:
    exe = Path(sys.executable).with_name("schemathesis")
    cli = str(exe) if exe.exists() else shutil.which("schemathesis")
    assert cli is not None, "schemathesis is a dev dependency (pip install -e '.[dev]')"
    args = [
        cli,
        "run",
        f"{live.url}/openapi.json",
        "-H",
        f"Authorization: Bearer {API_TOKEN}",
        "--max-examples",
        "25",
        "--exclude-path",
        "/api/v1/stream",  # an endless stream is not a request/response
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,"
        "response_schema_conformance,ignored_auth,missing_required_header",
        "--seed",
        "20261121",
        "--no-color",
    ]
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=170)
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text[-4000:]
    assert "passed" in text
