"""Fixtures of the media tests (defined in support.py, shared with tests/media)."""

from tests.sim.media.support import media

__all__ = ["media"]
