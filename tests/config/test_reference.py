"""docs/config-reference.md is generated from the models and must match them."""

from __future__ import annotations

from callpoint.config import models
from callpoint.config.reference import render
from tests.conftest import ROOT


def test_reference_doc_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "config-reference.md").read_text()
    assert committed == render(), (
        "run: python -m callpoint.config.reference > docs/config-reference.md"
    )


def test_every_config_field_has_a_description() -> None:
    strict = [
        obj
        for obj in vars(models).values()
        if isinstance(obj, type) and issubclass(obj, models.Strict) and obj is not models.Strict
    ]
    assert models.SiteConfig in strict and len(strict) > 20
    missing = [
        f"{model.__name__}.{name}"
        for model in strict
        for name, field in model.model_fields.items()
        if not field.description and name != "do"
    ]
    assert missing == []
