"""SQL that gathers what a review card shows, in one read."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

from bot.clock import from_db
from bot.models import CardFacts, DuplicateRef, EmployerTally, Flag, State
from bot.policy import UNDOABLE_STATES
from storage.audit import get_audit, load_workspace_settings
from storage.rows import get_request
from storage.screening import load_signals


def employer_tally(conn: sqlite3.Connection, employer_id: int) -> EmployerTally:
    row = conn.execute(
        """
        SELECT COUNT(*) AS total,
               SUM(state = 'approved') AS approved,
               SUM(state = 'declined') AS declined,
               SUM(state = 'pending') AS pending,
               SUM(state = 'on_hold') AS on_hold
        FROM requests WHERE employer_id = ? AND kind = 'job'
        """,
        (employer_id,),
    ).fetchone()
    return EmployerTally(
        jobs_total=row["total"] or 0,
        approved=row["approved"] or 0,
        declined=row["declined"] or 0,
        pending=row["pending"] or 0,
        on_hold=row["on_hold"] or 0,
    )


def label_names(
    conn: sqlite3.Connection, table: str, column: str, owner_id: int | None
) -> tuple[str, ...]:
    if owner_id is None:
        return ()
    assert table in ("employer_labels", "contact_labels") and column in (
        "employer_id",
        "contact_id",
    )
    rows = conn.execute(
        f"SELECT l.name FROM {table} x JOIN labels l ON l.id = x.label_id"
        f" WHERE x.{column} = ? AND l.retired = 0 ORDER BY l.name",
        (owner_id,),
    ).fetchall()
    return tuple(row[0] for row in rows)


def _duplicate(
    conn: sqlite3.Connection, duplicate_of: int | None, similarity: float | None
) -> DuplicateRef | None:
    if duplicate_of is None:
        return None
    row = conn.execute(
        "SELECT id, upstream_id, title, card_permalink FROM requests WHERE id = ?", (duplicate_of,)
    ).fetchone()
    if row is None:
        return None
    return DuplicateRef(
        request_id=row["id"],
        upstream_id=row["upstream_id"],
        title=row["title"],
        similarity=similarity,
        permalink=row["card_permalink"],
    )


def card_location(
    conn: sqlite3.Connection, request_id: int
) -> tuple[str | None, str | None] | None:
    """(channel, ts) of the request's card, both None before it is posted; None if no such
    request. Cheap: the deliverer asks it before pacing, and builds the card only to send it."""
    row = conn.execute(
        "SELECT card_channel, card_ts FROM requests WHERE id = ?", (request_id,)
    ).fetchone()
    return (row["card_channel"], row["card_ts"]) if row else None


def load_card_facts(conn: sqlite3.Connection, request_id: int) -> CardFacts | None:
    request = get_request(conn, request_id)
    if request is None:
        return None
    settings = load_workspace_settings(conn)
    row = conn.execute(
        "SELECT last_audit_id, signals, url_checks, screening, duplicate_of, duplicate_similarity,"
        " flagged_by, flagged_at, flag_reason, auto_note, contact_id, assignee FROM requests"
        " WHERE id = ?",
        (request_id,),
    ).fetchone()
    last = get_audit(conn, row["last_audit_id"]) if row["last_audit_id"] else None
    undo_until = None
    if request.state in UNDOABLE_STATES and request.decided_at and settings.undo_window_minutes:
        undo_until = request.decided_at + timedelta(minutes=settings.undo_window_minutes)
    flag = None
    if row["flagged_by"]:
        flag = Flag(by=row["flagged_by"], at=from_db(row["flagged_at"]), reason=row["flag_reason"])
    return CardFacts(
        request=request,
        last_decision=last if request.state is not State.PENDING else None,
        undo_until=undo_until,
        employer_tally=employer_tally(conn, request.employer.id),
        default_roles=settings.default_roles,
        signals=tuple(load_signals(row["signals"])),
        url_checks=json.loads(row["url_checks"]) if row["url_checks"] else None,
        screening=row["screening"],
        duplicate=_duplicate(conn, row["duplicate_of"], row["duplicate_similarity"]),
        flag=flag,
        auto_note=row["auto_note"],
        employer_labels=label_names(conn, "employer_labels", "employer_id", request.employer.id),
        contact_labels=label_names(conn, "contact_labels", "contact_id", row["contact_id"]),
        assignee=row["assignee"],
    )
