"""Test support shared across the suite: pytest plugins and helpers."""
