"""SQL that gathers what a review card shows, in one read."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from bot.models import CardFacts, EmployerTally, State
from bot.policy import UNDOABLE_STATES
from storage.audit import get_audit, load_workspace_settings
from storage.rows import get_request


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


def load_card_facts(conn: sqlite3.Connection, request_id: int) -> CardFacts | None:
    request = get_request(conn, request_id)
    if request is None:
        return None
    settings = load_workspace_settings(conn)
    row = conn.execute("SELECT last_audit_id FROM requests WHERE id = ?", (request_id,)).fetchone()
    last = get_audit(conn, row["last_audit_id"]) if row["last_audit_id"] else None
    undo_until = None
    if request.state in UNDOABLE_STATES and request.decided_at and settings.undo_window_minutes:
        undo_until = request.decided_at + timedelta(minutes=settings.undo_window_minutes)
    return CardFacts(
        request=request,
        last_decision=last if request.state is not State.PENDING else None,
        undo_until=undo_until,
        employer_tally=employer_tally(conn, request.employer.id),
        default_roles=settings.default_roles,
    )
