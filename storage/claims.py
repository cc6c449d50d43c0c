"""SQL for claims: who is working on a request ("Assign to me"), taken over in the open."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.clock import to_db
from bot.models import Via
from storage import outbox
from storage.audit import insert_audit
from storage.outbox import card_lane
from storage.rows import RequestNotFound


def assign(conn: sqlite3.Connection, request_id: int, user: str, now: datetime) -> str | None:
    """Assign to `user`; returns who had it before (None when nobody; `user` when it was
    theirs already, and then nothing changes)."""
    row = conn.execute(
        "SELECT assignee, employer_id, card_ts FROM requests WHERE id = ?", (request_id,)
    ).fetchone()
    if row is None:
        raise RequestNotFound(f"no request with id {request_id}")
    previous = row["assignee"]
    if previous == user:
        return user
    conn.execute(
        "UPDATE requests SET assignee = ?, assigned_at = ? WHERE id = ?",
        (user, to_db(now), request_id),
    )
    audit_id = insert_audit(
        conn,
        request_id=request_id,
        employer_id=row["employer_id"],
        action="assigned",
        actor=user,
        via=Via.BUTTON,
        at=now,
        details={"previous": previous},
    )
    lane = card_lane(request_id)
    outbox.enqueue_card(conn, request_id, now)
    if row["card_ts"]:
        outbox.enqueue(
            conn,
            lane=lane,
            kind="thread",
            payload={"request_id": request_id, "audit_id": audit_id},
            now=now,
        )
    return str(previous) if previous else None
