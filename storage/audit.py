"""SQL for the append-only audit record and the settings table."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.clock import to_db
from bot.models import AuditEntry, DeclineReason, ReasonRef, Via
from bot.workspace import WorkspaceSettings
from storage.rows import audit_from_row, reason_from_row


def insert_audit(
    conn: sqlite3.Connection,
    *,
    request_id: int | None,
    action: str,
    actor: str,
    via: Via,
    at: datetime,
    employer_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reasons: Sequence[ReasonRef] = (),
    message: str | None = None,
    note: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    cursor = conn.execute(
        "INSERT INTO audit (request_id, employer_id, action, from_state, to_state, actor, via,"
        " reasons, message, note, details, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            request_id,
            employer_id,
            action,
            from_state,
            to_state,
            actor,
            via.value,
            json.dumps([r.model_dump() for r in reasons]),
            message,
            note,
            json.dumps(details or {}, default=str),
            to_db(at),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def insert_refusal(
    conn: sqlite3.Connection,
    *,
    request_id: int | None,
    actor: str,
    attempted: str,
    why: str,
    via: Via,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> int:
    """An attempt that was not allowed or came too late (SPEC 3: it is recorded); history
    views hide these rows."""
    return insert_audit(
        conn,
        request_id=request_id,
        action="refused",
        actor=actor,
        via=via,
        at=at,
        details={"attempted": attempted, "why": why, **(details or {})},
    )


def list_audit(conn: sqlite3.Connection, request_id: int) -> list[AuditEntry]:
    rows = conn.execute(
        "SELECT * FROM audit WHERE request_id = ? ORDER BY id", (request_id,)
    ).fetchall()
    return [audit_from_row(row) for row in rows]


def get_audit(conn: sqlite3.Connection, audit_id: int) -> AuditEntry | None:
    row = conn.execute("SELECT * FROM audit WHERE id = ?", (audit_id,)).fetchone()
    return audit_from_row(row) if row else None


def list_decline_reasons(
    conn: sqlite3.Connection, include_retired: bool = False
) -> list[DeclineReason]:
    sql = "SELECT * FROM decline_reasons"
    if not include_retired:
        sql += " WHERE retired = 0"
    rows = conn.execute(sql + " ORDER BY position, code").fetchall()
    return [reason_from_row(row) for row in rows]


def load_workspace_settings(conn: sqlite3.Connection) -> WorkspaceSettings:
    stored = {
        row["key"]: json.loads(row["value"]) for row in conn.execute("SELECT * FROM settings")
    }
    return WorkspaceSettings.model_validate(stored)


def save_workspace_setting(
    conn: sqlite3.Connection, key: str, value: Any, *, actor: str, via: Via, now: datetime
) -> WorkspaceSettings:
    """Validate the whole settings object with the new value, store it, and audit the change."""
    current = load_workspace_settings(conn)
    if key not in WorkspaceSettings.model_fields:
        raise KeyError(key)
    updated = WorkspaceSettings.model_validate({**current.model_dump(), key: value})
    stored_value = updated.model_dump(mode="json")[key]
    conn.execute(
        "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
        " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        (key, json.dumps(stored_value), to_db(now), actor),
    )
    insert_audit(
        conn,
        request_id=None,
        action="setting_changed",
        actor=actor,
        via=via,
        at=now,
        details={"key": key, "before": current.model_dump(mode="json")[key], "after": stored_value},
    )
    return updated
