"""Identifiers and sparse logging, the small shared pieces."""

from __future__ import annotations

import logging

import pytest

from callpoint.jsonfast import dumps_bytes, dumps_sorted
from callpoint.logsparse import SparseLog
from callpoint.model import new_id


def test_ids_are_unique_and_32_hex_digits() -> None:
    ids = [new_id() for _ in range(100_000)]
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids[:100])


def test_sparse_log_says_the_first_then_counts_the_rest(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr("callpoint.logsparse.time.monotonic", lambda: clock[0])
    sparse = SparseLog(logging.getLogger("t"), logging.WARNING)
    with caplog.at_level(logging.WARNING, logger="t"):
        assert sparse.report("vms", "vms down: %s", "refused")
        assert not any(sparse.report("vms", "vms down: %s", "refused") for _ in range(9))
        assert sparse.report("ptz", "ptz down: %s", "timeout")  # another key is news
        clock[0] += 61
        assert sparse.report("vms", "vms down: %s", "refused")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "vms down: refused",
        "ptz down: timeout",
        "vms down: refused [9 more like it in the last minute]",
    ]


def test_fast_json_matches_the_standard_and_survives_lone_surrogates() -> None:
    value = {"b": 1, "a": ["Zürich", 2.5, True, None]}
    assert dumps_sorted(value) == '{"a":["Zürich",2.5,true,null],"b":1}'
    assert dumps_sorted({"x": "\ud800"}) == '{"x":"\\ud800"}'
    assert dumps_bytes({"x": "\ud800"}) == b'{"x":"\\ud800"}'
