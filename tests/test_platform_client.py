"""Reading the platform's Retry-After header (pure: a fixed clock)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.platform_client import parse_retry_after

NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("Mon, 16 Nov 2026 12:01:30 GMT", 90.0),
        ("Mon, 16 Nov 2026 13:01:30 +0100", 90.0),
        ("Mon, 16 Nov 2026 12:01:30 -0000", 90.0),  # no zone given: read as UTC
        ("Mon, 16 Nov 2026 11:00:00 GMT", 0.0),  # already past
        (None, None),
        ("", None),
        ("soon", None),
        ("1.5", None),
        ("-5", None),
    ],
)
def test_retry_after_is_seconds_or_a_date_and_anything_else_is_ignored(
    header: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(header, NOW) == seconds
