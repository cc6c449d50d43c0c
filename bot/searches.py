"""Saved searches and queue lines: the models, and the rules for names (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from bot.filters import QUOTES
from bot.models import Kind, State

MAX_NAME = 40
MAX_SAVED_SEARCHES = 100


class QueueItem(BaseModel):
    """One request as a line of the queue: enough to show and link it, no payload."""

    model_config = ConfigDict(frozen=True)

    request_id: int
    kind: Kind
    upstream_id: str
    title: str
    employer_name: str
    state: State
    risk_level: str | None
    received_at: datetime
    permalink: str | None = None
    flagged: bool = False
    duplicate: bool = False


class SavedSearch(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    filter_text: str
    in_digest: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a saved search, or None when it can."""
    if not name:
        return "Give the search a name."
    if len(name) > MAX_NAME:
        return f"A name is at most {MAX_NAME} characters."
    if ":" in name or any(q in name for q in QUOTES) or "\\" in name:
        return "A name cannot contain colons, quotes or backslashes (they belong to filters)."
    return None


def split_name(text: str) -> tuple[str, str]:
    """`"My search" rest` or `name rest` → (name, rest); the name's spaces are normalized."""
    text = text.strip()
    if text[:1] in QUOTES and text[:1]:
        for end in range(1, len(text)):
            if text[end] in QUOTES:
                return " ".join(text[1:end].split()), text[end + 1 :].strip()
        return " ".join(text[1:].split()), ""
    head, _, rest = text.partition(" ")
    return head, rest.strip()


def waited(received_at: datetime, now: datetime) -> str:
    """How long a request has waited, short: 45m, 5h, 3d, 6w."""
    gap = max(now - received_at, timedelta(0))
    if gap < timedelta(hours=1):
        return f"{int(gap.total_seconds() // 60)}m"
    if gap < timedelta(days=2):
        return f"{int(gap.total_seconds() // 3600)}h"
    if gap < timedelta(weeks=8):
        return f"{gap.days}d"
    return f"{gap.days // 7}w"
