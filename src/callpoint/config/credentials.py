"""Secrets and tokens of a site, checked and decoded when the config is read.

Everything the server derives from a secret (webhook keys, bearer tokens) is built here,
at load time: a key that would later fail to decode, a token too short to resist guessing
or one shared by two holders is a config error with its line, and a reload that passed
these checks cannot fail on them when the new site is handed to the components.
Messages name the field, never the value.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from callpoint.config.models import SiteConfig
from callpoint.config.secrets import SecretRef

Loc = tuple[str | int, ...]
Issue = tuple[Loc, str]

WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105  # a prefix, not a secret
# HMAC-SHA256 keys: Standard Webhooks senders make 24 to 64 random bytes; under 16 bytes
# (128 bits) a key is within reach of an offline search over captured signatures.
MIN_WEBHOOK_KEY_BYTES = 16
# Bearer tokens are random strings sent in a header: 16 visible ASCII characters of
# token_urlsafe are about 96 bits; 256 is far above any generator and fits any header.
MIN_TOKEN_CHARS = 16
MAX_TOKEN_CHARS = 256
_TOKEN = re.compile(r"[\x21-\x7e]+")  # visible ASCII: what a header carries unchanged
# The ONVIF bridge password guards a door relay (a VMS types it in once).
MIN_BRIDGE_PASSWORD_CHARS = 8


def decode_webhook_secret(secret: str) -> bytes:
    """Key bytes of a `whsec_<base64>` secret (bare base64 too); raises ValueError."""
    raw = secret.removeprefix(WEBHOOK_SECRET_PREFIX)
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("webhook secret is not whsec_<base64>") from exc
    if len(key) < MIN_WEBHOOK_KEY_BYTES:
        raise ValueError(f"webhook secret is shorter than {MIN_WEBHOOK_KEY_BYTES} bytes")
    return key


def check_token(token: str) -> None:
    """Raises ValueError if `token` is not a bearer token this server accepts."""
    if not _TOKEN.fullmatch(token):
        raise ValueError("token must be visible ASCII characters without spaces")
    if len(token) < MIN_TOKEN_CHARS:
        raise ValueError(f"token is shorter than {MIN_TOKEN_CHARS} characters")
    if len(token) > MAX_TOKEN_CHARS:
        raise ValueError(f"token is longer than {MAX_TOKEN_CHARS} characters")


def _where(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def credential_issues(cfg: SiteConfig) -> Iterator[Issue]:
    """Malformed, short or shared secrets and tokens, each at its field."""
    hooked = [(i, d.webhook) for i, d in enumerate(cfg.devices) if d.webhook is not None]
    secrets: list[tuple[Loc, SecretRef | None]] = [(("webhook", "secret"), cfg.webhook.secret)]
    secrets += [(("devices", i, "webhook", "secret"), h.secret) for i, h in hooked]
    keys: dict[bytes, Loc] = {}
    for loc, ref in secrets:
        if ref is None:
            continue
        try:
            key = decode_webhook_secret(ref.value.get_secret_value())
        except ValueError as exc:
            yield loc, str(exc)
            continue
        if key in keys:
            yield loc, f"the same webhook secret as {_where(keys[key])}"
        keys.setdefault(key, loc)
    names: set[str] = set()
    for i, api in enumerate(cfg.server.api_tokens):
        if api.name in names:
            yield ("server", "api_tokens", i, "name"), f"API token name '{api.name}' is used twice"
        names.add(api.name)
    bearer: list[tuple[Loc, SecretRef | None]] = [
        (("server", "api_tokens", i, "token"), t.token) for i, t in enumerate(cfg.server.api_tokens)
    ]
    bearer += [(("devices", i, "webhook", "token"), h.token) for i, h in hooked]
    tokens: dict[str, Loc] = {}
    for loc, ref in bearer:
        if ref is None:
            continue
        value = ref.value.get_secret_value()
        try:
            check_token(value)
        except ValueError as exc:
            yield loc, str(exc)
            continue
        if value in tokens:
            yield loc, f"the same token as {_where(tokens[value])}"
        tokens.setdefault(value, loc)
    yield from _bridge_password(cfg)


def _bridge_password(cfg: SiteConfig) -> Iterator[Issue]:
    password = cfg.onvif_bridge.password
    if password is None:
        return
    text = password.value.get_secret_value()
    loc: Loc = ("onvif_bridge", "password")
    if len(text) < MIN_BRIDGE_PASSWORD_CHARS:
        yield loc, f"password is shorter than {MIN_BRIDGE_PASSWORD_CHARS} characters"
    elif not text.isprintable():
        yield loc, "password holds control characters"


@dataclass(frozen=True, slots=True)
class Credentials:
    """Decoded webhook keys and bearer tokens of a site that passed `credential_issues`."""

    site_keys: tuple[bytes, ...]
    device_keys: Mapping[str, bytes]
    device_tokens: Mapping[str, bytes]
    api_tokens: tuple[bytes, ...]

    @classmethod
    def of(cls, cfg: SiteConfig) -> Credentials:
        """Decode a checked config's secrets (ValueError only if it was not checked)."""
        site = cfg.webhook.secret
        device_keys: dict[str, bytes] = {}
        device_tokens: dict[str, bytes] = {}
        for dev in cfg.devices:
            hook = dev.webhook
            if hook is not None and hook.secret is not None:
                device_keys[dev.id] = decode_webhook_secret(hook.secret.value.get_secret_value())
            if hook is not None and hook.token is not None:
                device_tokens[dev.id] = hook.token.value.get_secret_value().encode()
        return cls(
            (decode_webhook_secret(site.value.get_secret_value()),) if site is not None else (),
            MappingProxyType(device_keys),
            MappingProxyType(device_tokens),
            tuple(t.token.value.get_secret_value().encode() for t in cfg.server.api_tokens),
        )
