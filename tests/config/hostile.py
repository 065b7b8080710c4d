"""Config files that validate as YAML but must be refused: shared by check-config and
reload tests. Each case edits the example site and names the field and message expected."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import EXAMPLE_SITE

SITE_SECRET_LINE = "  secret: {env: CALLPOINT_WEBHOOK_SECRET}\n"
NEW_SECRET = "whsec_" + base64.b64encode(b"a-new-site-secret-0123456789abcd").decode()
SHORT_SECRET = "whsec_" + base64.b64encode(b"only-12bytes").decode()
TEN_MIB = 10 * 1024 * 1024


@dataclass(frozen=True)
class Hostile:
    """A bad site.yaml: `marker` is on the line the problem is reported at."""

    name: str
    edit: Callable[[str, Path], str]  # (example text, a scratch dir) -> bad text
    marker: str
    field: str
    message: str


def _site_secret(ref: str) -> Callable[[str, Path], str]:
    return lambda text, _dir: text.replace(SITE_SECRET_LINE, f"  secret: {ref}\n", 1)


def _secret_file(make: Callable[[Path], Path]) -> Callable[[str, Path], str]:
    def edit(text: str, scratch: Path) -> str:
        return text.replace(SITE_SECRET_LINE, f"  secret: {{file: {make(scratch)}}}\n", 1)

    return edit


def _directory(scratch: Path) -> Path:
    (scratch / "secret.d").mkdir(exist_ok=True)
    return scratch / "secret.d"


def _ten_mib(scratch: Path) -> Path:
    big = scratch / "big.secret"
    with big.open("wb") as f:
        f.truncate(TEN_MIB)  # sparse: 10 MiB to read, nothing written to disk
    return big


def _fifo(scratch: Path) -> Path:
    fifo = scratch / "secret.fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    return fifo


def _device_webhook(line: str) -> Callable[[str, Path], str]:
    """Give EXPH-03 a webhook block."""
    phone = "  - id: EXPH-03\n    kind: phone\n    location: TANKFARM-EAST-POST-03\n"
    return lambda text, _dir: text.replace(phone, phone + line, 1)


def _laughs(text: str, _dir: Path) -> str:
    """Nine levels of ten aliases each: 10^9 values once expanded, 700 bytes written."""
    lines = ["lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 10)]
    return text + "\n".join(lines) + "\n"


def _depth(text: str, _dir: Path) -> str:
    return text + "nested: " + "[" * 3000 + "]" * 3000 + "\n"


CASES = [
    Hostile(
        "short whsec_",
        _site_secret("{env: CP_BAD_SECRET}"),
        "CP_BAD_SECRET",
        "webhook.secret",
        "webhook secret is shorter than 16 bytes",
    ),
    Hostile(
        "non-base64 whsec_",
        _device_webhook("    webhook: {secret: {env: CP_NOT_BASE64}}\n"),
        "CP_NOT_BASE64",
        "devices[0].webhook.secret",
        "webhook secret is not whsec_<base64>",
    ),
    Hostile(
        "duplicate token",
        _device_webhook("    webhook: {token: {env: CALLPOINT_API_TOKEN}}\n"),
        "webhook: {token: {env: CALLPOINT_API_TOKEN}}",
        "devices[0].webhook.token",
        "the same token as server.api_tokens[0].token",
    ),
    Hostile(
        "short token",
        _device_webhook("    webhook: {token: {env: CP_SHORT_TOKEN}}\n"),
        "CP_SHORT_TOKEN",
        "devices[0].webhook.token",
        "token is shorter than 16 characters",
    ),
    Hostile(
        "bad time zone",
        lambda text, _dir: text.replace("timezone: Europe/Amsterdam", "timezone: Mars/Olympus"),
        "Mars/Olympus",
        "site.timezone",
        "unknown time zone 'Mars/Olympus'",
    ),
    Hostile(
        "secret file is a directory",
        _secret_file(_directory),
        "secret.d",
        "webhook.secret",
        "is not a regular file",
    ),
    Hostile(
        "secret file of 10 MiB",
        _secret_file(_ten_mib),
        "big.secret",
        "webhook.secret",
        "is larger than 65536 B",
    ),
    Hostile(
        "secret file is /dev/zero",
        _secret_file(lambda _dir: Path("/dev/zero")),
        "/dev/zero",
        "webhook.secret",
        "secret file /dev/zero is not a regular file",
    ),
    Hostile(
        "secret file is a FIFO nobody writes",
        _secret_file(_fifo),
        "secret.fifo",
        "webhook.secret",
        "is not a regular file",
    ),
    Hostile("billion laughs", _laughs, "lol5:", "", "more than 500000 values once aliases expand"),
    Hostile("3,000 levels", _depth, "nested:", "", "nested deeper than 64 levels"),
]

HOSTILE_ENV = {
    "CP_BAD_SECRET": SHORT_SECRET,
    "CP_NOT_BASE64": "whsec_not*base64!",
    "CP_SHORT_TOKEN": "tok-07",
}


def write_case(case: Hostile, config: Path) -> tuple[str, int]:
    """Write the bad site to `config`; returns the text and the line the problem is on."""
    text = case.edit(EXAMPLE_SITE.read_text(), config.parent)
    assert text != EXAMPLE_SITE.read_text(), case.name
    config.write_text(text)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if case.marker in t)
    return text, line


def reported(case: Hostile, config: Path, line: int, report: list[str]) -> bool:
    """Whether a report line is file:line: field: ...message... (no field for YAML bombs)."""
    field = f" {case.field}:" if case.field else ""
    prefix = f"{config}:{line}:{field} "
    return any(r.startswith(prefix) and case.message in r for r in report)
