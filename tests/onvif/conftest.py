"""Leak checks for the ONVIF tests: every test must close the sockets it opened."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator

import pytest

# Modules whose tests open sockets; a full collection costs ~0.1 s, so only there.
NETWORK_MODULES = {
    "test_client.py",
    "test_http11.py",
    "test_consumer.py",
    "test_ipycam.py",
    "test_fast_paths.py",
}


@pytest.fixture(autouse=True, scope="package")
def _collect_what_earlier_packages_left() -> Iterator[None]:
    # Objects leaked by tests outside this package must not be collected (and reported)
    # during one of ours: collect them once, quietly, before the first ONVIF test.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gc.collect()
    yield


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
