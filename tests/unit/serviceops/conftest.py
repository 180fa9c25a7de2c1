"""Fixtures shared by the ServiceOps client's unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina


@pytest.fixture(autouse=True)
def real_retries() -> Iterator[None]:
    """These tests count retries and time Retry-After waits: keep stamina's real behaviour
    even if a broader conftest switches on its test mode (which skips waits and caps attempts).
    """
    with stamina.set_testing(False):
        yield
