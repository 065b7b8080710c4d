"""Leak checks for the ONVIF tests: every test must close the sockets it opened."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

# Modules whose tests open sockets; a full collection costs ~0.1 s, so only there.
NETWORK_MODULES = {"test_client.py", "test_http11.py", "test_consumer.py", "test_ipycam.py"}


@pytest.fixture(autouse=True)
def _collect_after_each_test(request: pytest.FixtureRequest) -> Iterator[None]:
    # Collect right after each test so an unclosed socket or transport is reported (as a
    # ResourceWarning, an error under the filter below) against the test that leaked it.
    yield
    if request.path.name in NETWORK_MODULES:
        gc.collect()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/onvif/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.filterwarnings("error::ResourceWarning"))
            item.add_marker(
                pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
            )
