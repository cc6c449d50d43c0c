"""Reporting periods for /jobgate stats: the last 7 or 30 days, or the academic term (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.words import count_of

# Terms by (month, day) of their first day: spring, summer, fall.
TERM_STARTS = ((1, 1, "Spring"), (6, 1, "Summer"), (8, 15, "Fall"))


class PeriodError(ValueError):
    """Not a period jobgate knows."""


@dataclass(frozen=True)
class Period:
    label: str
    since: datetime
    until: datetime


def term_of(day: date) -> tuple[date, str]:
    """The first day and name of the academic term `day` falls in."""
    start, name = date(day.year, 1, 1), "Spring"
    for month, first, term in TERM_STARTS:
        if (day.month, day.day) >= (month, first):
            start, name = date(day.year, month, first), term
    return start, name


def parse_period(text: str, now: datetime, zone: ZoneInfo) -> Period:
    """'7d' (default), '30d', any 'Nd' up to 366, or 'term'."""
    value = text.strip().lower() or "7d"
    match = re.fullmatch(r"(\d{1,3})\s*d(ays?)?", value)
    if match:
        days = int(match.group(1))
        if not 1 <= days <= 366:
            raise PeriodError("a period of 1 to 366 days, e.g. 7d or 30d")
        return Period(f"the last {count_of(days, 'day')}", now - timedelta(days=days), now)
    if value == "term":
        start, name = term_of(now.astimezone(zone).date())
        since = datetime.combine(start, time(0), tzinfo=zone)
        return Period(f"the {name} {start.year} term (since {start:%d %b})", since, now)
    raise PeriodError(f"unknown period {text.strip()!r}: use 7d, 30d or term")
