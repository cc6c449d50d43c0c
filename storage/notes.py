"""SQL for discussion notes: people's replies in a card's thread, kept with the request."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.clock import from_db, to_db
from bot.models import Note


def _request_for_thread(conn: sqlite3.Connection, channel: str, thread_ts: str) -> int | None:
    row = conn.execute(
        "SELECT id FROM requests WHERE card_channel = ? AND card_ts = ?", (channel, thread_ts)
    ).fetchone()
    return int(row[0]) if row else None


def add_note(
    conn: sqlite3.Connection,
    *,
    channel: str,
    thread_ts: str,
    ts: str,
    author: str,
    text: str,
    now: datetime,
) -> int | None:
    """Store a reply under a card (once per message); None when the thread is not a card's."""
    request_id = _request_for_thread(conn, channel, thread_ts)
    if request_id is None:
        return None
    conn.execute(
        "INSERT INTO notes (request_id, author, text, slack_channel, slack_ts, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (slack_channel, slack_ts) DO NOTHING",
        (request_id, author, text, channel, ts, to_db(now)),
    )
    return request_id


def edit_note(conn: sqlite3.Connection, *, channel: str, ts: str, text: str, now: datetime) -> bool:
    return (
        conn.execute(
            "UPDATE notes SET text = ?, edited_at = ? WHERE slack_channel = ? AND slack_ts = ?"
            " AND deleted_at IS NULL",
            (text, to_db(now), channel, ts),
        ).rowcount
        > 0
    )


def delete_note(conn: sqlite3.Connection, *, channel: str, ts: str, now: datetime) -> bool:
    return (
        conn.execute(
            "UPDATE notes SET deleted_at = ? WHERE slack_channel = ? AND slack_ts = ? AND deleted_at IS NULL",
            (to_db(now), channel, ts),
        ).rowcount
        > 0
    )


def list_notes(
    conn: sqlite3.Connection, request_id: int, *, include_deleted: bool = False
) -> list[Note]:
    sql = "SELECT * FROM notes WHERE request_id = ?"
    if not include_deleted:
        sql += " AND deleted_at IS NULL"
    rows = conn.execute(sql + " ORDER BY created_at, id", (request_id,)).fetchall()
    return [
        Note(
            id=r["id"],
            request_id=r["request_id"],
            author=r["author"],
            text=r["text"],
            created_at=from_db(r["created_at"]),
            edited_at=from_db(r["edited_at"]) if r["edited_at"] else None,
            deleted_at=from_db(r["deleted_at"]) if r["deleted_at"] else None,
        )
        for r in rows
    ]
