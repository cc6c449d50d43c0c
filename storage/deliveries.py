"""SQL for inbound delivery ids: the same `webhook-id` twice gets the first answer."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import to_db


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    body: dict[str, Any]


def find_answer(conn: sqlite3.Connection, webhook_id: str) -> StoredAnswer | None:
    row = conn.execute(
        "SELECT status, response FROM inbound_deliveries WHERE webhook_id = ?", (webhook_id,)
    ).fetchone()
    return StoredAnswer(row["status"], json.loads(row["response"])) if row else None


def store_answer(
    conn: sqlite3.Connection,
    webhook_id: str,
    endpoint: str,
    answer: StoredAnswer,
    now: datetime,
    *,
    keep_first: bool = False,
) -> None:
    """`keep_first`: an id already stored keeps its first answer (no error)."""
    verb = "INSERT OR IGNORE" if keep_first else "INSERT"
    conn.execute(
        f"{verb} INTO inbound_deliveries (webhook_id, endpoint, status, response, received_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (webhook_id, endpoint, answer.status, json.dumps(answer.body), to_db(now)),
    )


SLACK_EVENT_PREFIX = "slack-event:"


def slack_event_seen(conn: sqlite3.Connection, event_id: str) -> bool:
    """Whether a Slack event (by its `event_id`) was handled before, in any process."""
    return find_answer(conn, SLACK_EVENT_PREFIX + event_id) is not None


def remember_slack_event(conn: sqlite3.Connection, event_id: str, now: datetime) -> None:
    answer = StoredAnswer(200, {})
    store_answer(conn, SLACK_EVENT_PREFIX + event_id, "slack:event", answer, now, keep_first=True)


def forget_old_answers(conn: sqlite3.Connection, now: datetime, keep: timedelta) -> int:
    """Ids older than `keep` are far outside the signature window and can go."""
    return conn.execute(
        "DELETE FROM inbound_deliveries WHERE received_at < ?", (to_db(now - keep),)
    ).rowcount
