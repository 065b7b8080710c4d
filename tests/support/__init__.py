"""Test support shared by the whole suite (pytest plugins and their helpers)."""
