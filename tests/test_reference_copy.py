"""The vendored Slack reference data is the same as the shared copy, where that exists."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED_REFERENCE, SLACK_REFERENCE


def test_vendored_reference_matches_the_shared_one() -> None:
    if not SHARED_REFERENCE.exists():
        pytest.skip("no shared slack-reference next to this checkout")
    compared = 0
    for vendored in SLACK_REFERENCE.rglob("*"):
        if vendored.is_file() and vendored.name != "VENDORED.md":
            shared = SHARED_REFERENCE / vendored.relative_to(SLACK_REFERENCE)
            assert shared.read_bytes() == vendored.read_bytes(), f"{vendored} differs from {shared}"
            compared += 1
    assert compared > 10
