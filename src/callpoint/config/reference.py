"""The site.yaml reference for integrators, written from the models' own descriptions.

`python -m callpoint.config.reference > docs/config-reference.md`; a test keeps the file
in step with the code.
"""

from __future__ import annotations

import sys
import types
import typing
from enum import Enum

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from callpoint.config.models import (
    CameraConfig,
    DeviceConfig,
    HttpSpec,
    LocationConfig,
    PopupSpec,
    PresetSpec,
    PublishSpec,
    RecordSpec,
    RelaySpec,
    RuleConfig,
    ShowSpec,
    SiteConfig,
    VmsEventSpec,
)

ACTION_SPECS = (
    PresetSpec,
    RecordSpec,
    ShowSpec,
    PopupSpec,
    HttpSpec,
    RelaySpec,
    VmsEventSpec,
    PublishSpec,
)


def _type_name(annotation: object) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args)
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in args)
    if origin in (list, tuple):
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"map {_type_name(args[0])} → {_type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " or ".join(str(m.value) for m in annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    if annotation is type(None):
        return "null"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(defaults)"
    return f"`{value!r}`" if value not in (None, [], {}) else "—"


def _bounds(field: FieldInfo) -> str:
    out = []
    for meta in field.metadata:
        for name in ("ge", "gt", "le", "lt", "min_length", "max_length", "pattern"):
            value = getattr(meta, name, None)
            if value is not None:
                out.append(f"{name} {value}")
    return ", ".join(out)


def _section(model: type[BaseModel], seen: set[type[BaseModel]], out: list[str]) -> None:
    if model in seen:
        return
    seen.add(model)
    out.append(f"### {model.__name__}\n")
    if model.__doc__ and model is not SiteConfig:
        out.append(model.__doc__.strip().splitlines()[0] + "\n")
    out.append("| key | type | default | bounds | meaning |")
    out.append("| --- | --- | --- | --- | --- |")
    nested: list[type[BaseModel]] = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        cells = (
            f"`{name}`",
            _type_name(ann),
            _default(field),
            _bounds(field),
            field.description or "",
        )
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        for candidate in _models_in(ann):
            nested.append(candidate)
    out.append("")
    for candidate in nested:
        _section(candidate, seen, out)


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return [m for m in found if m not in ACTION_SPECS]


def render() -> str:
    out = [
        "# site.yaml reference",
        "",
        "Generated from the code (`python -m callpoint.config.reference`); do not edit by hand.",
        "Unknown keys are errors. Secrets are `{env: NAME}` or `{file: PATH}`, never literal.",
        "`callpoint check-config FILE` reports every problem as `file:line: field: message`.",
        "",
        "## Top level",
        "",
    ]
    seen: set[type[BaseModel]] = set()
    _section(SiteConfig, seen, out)
    out += [
        "## Rule actions",
        "",
        "Each entry of `rules[].actions` is one of these, chosen by its `do:` key.",
        "",
    ]
    for spec in ACTION_SPECS:
        _section(spec, seen, out)
    for model in (LocationConfig, CameraConfig, DeviceConfig, RuleConfig):
        _section(model, seen, out)
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
