"""Time: one clock object to inject, one timestamp format for the database, business days."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real clock, always timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that moves only when told (tests, sandbox replays)."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = moment


def to_db(moment: datetime) -> str:
    """Fixed-width UTC text that sorts in time order and that SQLite's julianday() reads."""
    # isoformat always pads the year to four digits: the width is what sorts
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def stored_ceiling(moment: datetime) -> datetime:
    """`moment` rounded up to what to_db keeps (milliseconds): a time stored for "not before
    this" must not come out earlier than asked."""
    return moment + timedelta(microseconds=-moment.microsecond % 1000)


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant from the platform; naive values are taken as UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def add_business_days(start: datetime, days: int) -> datetime:
    """Move forward `days` weekdays (Mon-Fri), keeping the time of day."""
    moment = start
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            remaining -= 1
    return moment


def business_days_between(start: datetime, end: datetime) -> int:
    """Whole weekdays elapsed from start to end (0 when end <= start)."""
    if end <= start:
        return 0
    count = 0
    day: date = start.date()
    while True:
        day += timedelta(days=1)
        if day > end.date():
            break
        if day.weekday() < 5:
            count += 1
    # a partial last day does not count as a whole one
    if count and end.time() < start.time() and end.date().weekday() < 5:
        count -= 1
    return count


class ShiftedClock:
    """Real time moved to another starting point, that can also jump ahead (tests, sandbox):
    paced work keeps flowing while a test lives on a chosen day."""

    def __init__(self, start: datetime) -> None:
        self._monotonic = time.monotonic
        self._origin = start
        self._started = time.monotonic()
        self._jumped = timedelta(0)

    def now(self) -> datetime:
        return self._origin + timedelta(seconds=self._monotonic() - self._started) + self._jumped

    def advance(self, delta: timedelta) -> None:
        self._jumped += delta
