"""Counts in messages agree with their nouns."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.history import HistoryEntry
from bot.words import count_of
from handlers.blocks.history import history_thread_message

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def test_count_of() -> None:
    assert [count_of(n, "minute") for n in (0, 1, 2, 1204)] == [
        "0 minutes",
        "1 minute",
        "2 minutes",
        "1,204 minutes",
    ]
    assert [count_of(n, "entry", "entries") for n in (1, 2)] == ["1 entry", "2 entries"]


def test_a_history_of_one_entry_says_entry() -> None:
    one = history_thread_message([HistoryEntry(NOW, "U0ALICE", "approved")])
    assert one["text"] == "History: 1 entry"
    many = history_thread_message([HistoryEntry(NOW, "U0ALICE", "approved")] * 3)
    assert many["text"] == "History: 3 entries"
