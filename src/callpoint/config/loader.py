"""Reading site.yaml: every problem reported with file:line and the field path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from callpoint.config.crossref import cross_check
from callpoint.config.models import SiteConfig
from callpoint.config.secrets import read_small_file
from callpoint.config.site import Site
from callpoint.config.yamlmap import (
    MAX_CONFIG_BYTES,
    LineMap,
    YamlSyntaxError,
    load_with_lines,
)


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem: where (file, line, field path) and what."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class ConfigError(Exception):
    """The config cannot be used; `issues` says every reason."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _clean_loc(loc: tuple[str | int, ...], lines: LineMap) -> tuple[str | int, ...]:
    """Drop pydantic's union tags and wrapper names that the user never wrote."""
    kept: list[str | int] = []
    for i, part in enumerate(loc):
        candidate = tuple(str(p) for p in (*kept, part))
        # The last component stays even if absent: it names a missing or extra field.
        if candidate in lines.lines or i == len(loc) - 1:
            kept.append(part)
    return tuple(kept)


def parse_site(text: str, filename: str = "site.yaml") -> Site:
    """Validate config text; raises ConfigError listing every problem."""
    try:
        data, lines, problems = load_with_lines(text)
    except YamlSyntaxError as exc:
        raise ConfigError([ConfigIssue(filename, exc.line, "", exc.message)]) from exc
    issues = [ConfigIssue(filename, p.line, _dotted(p.path), p.message) for p in problems]
    if not isinstance(data, dict):
        issues.append(ConfigIssue(filename, 1, "", "the file must be a mapping of sections"))
        raise ConfigError(issues)
    try:
        cfg = SiteConfig.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = _clean_loc(tuple(err["loc"]), lines)
            # Our own validators' messages stand alone: drop pydantic's "Value error, ".
            error = err.get("ctx", {}).get("error") if err["type"] == "value_error" else None
            message = str(error) if error is not None else err["msg"]
            issues.append(ConfigIssue(filename, lines.line_for(err["loc"]), _dotted(loc), message))
        raise ConfigError(issues) from exc
    for loc, message in cross_check(cfg):
        issues.append(ConfigIssue(filename, lines.line_for(loc), _dotted(loc), message))
    if issues:
        raise ConfigError(issues)
    return Site(cfg)


def load_site(path: str | Path) -> Site:
    """Read and validate a site.yaml file."""
    name = str(path)
    try:
        text = read_small_file(name, MAX_CONFIG_BYTES, "config file").decode("utf-8")
    except UnicodeDecodeError as exc:
        issue = ConfigIssue(name, None, "", f"config file {name} is not UTF-8 text")
        raise ConfigError([issue]) from exc
    except ValueError as exc:
        raise ConfigError([ConfigIssue(name, None, "", str(exc))]) from exc
    return parse_site(text, name)
