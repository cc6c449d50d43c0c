"""SQL for team statistics over a period: every figure is computed by SQLite."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.clock import to_db
from bot.models import AUTO_ACTOR, PLATFORM_ACTOR


@dataclass(frozen=True)
class Stats:
    since: datetime
    until: datetime
    by_reviewer: tuple[tuple[str, int, int, int], ...]  # actor, approved, declined, held
    reasons: tuple[tuple[str, str, int], ...]  # code, label, count
    decisions: int
    median_hours: float | None
    p90_hours: float | None
    auto_approved: int
    flagged: tuple[tuple[str, int], ...]  # state, count
    holds_answered: int
    holds_expired: int


PEOPLE = "a.actor NOT IN (?, ?)"
DECISIONS = "a.action IN ('approved', 'declined', 'on_hold')"


def _percentile_hours(
    conn: sqlite3.Connection, since: str, until: str, fraction: float
) -> float | None:
    """The `fraction` percentile of hours from receipt to decision (nearest rank), in SQL."""
    row = conn.execute(
        f"""
        WITH waits AS (
            SELECT (julianday(a.at) - julianday(r.received_at)) * 24 AS hours
            FROM audit a JOIN requests r ON r.id = a.request_id
            WHERE {DECISIONS} AND a.at >= ? AND a.at < ?
        )
        SELECT hours FROM waits ORDER BY hours
        LIMIT 1 OFFSET (SELECT MAX(CAST(ROUND(COUNT(*) * ? + 0.4999) AS INTEGER) - 1, 0) FROM waits)
        """,
        (since, until, fraction),
    ).fetchone()
    return round(float(row[0]), 1) if row and row[0] is not None else None


def team_stats(conn: sqlite3.Connection, since: datetime, until: datetime) -> Stats:
    start, end = to_db(since), to_db(until)
    people = (AUTO_ACTOR, PLATFORM_ACTOR)
    reviewers = conn.execute(
        f"""
        SELECT a.actor, SUM(a.action = 'approved'), SUM(a.action = 'declined'),
               SUM(a.action = 'on_hold')
        FROM audit a WHERE {DECISIONS} AND {PEOPLE} AND a.at >= ? AND a.at < ?
        GROUP BY a.actor ORDER BY COUNT(*) DESC, a.actor
        """,
        (*people, start, end),
    ).fetchall()
    reasons = conn.execute(
        """
        SELECT json_extract(r.value, '$.code') AS code, json_extract(r.value, '$.label') AS label,
               COUNT(*) AS n
        FROM audit a, json_each(a.reasons) r
        WHERE a.action = 'declined' AND a.at >= ? AND a.at < ?
        GROUP BY code ORDER BY n DESC, code
        """,
        (start, end),
    ).fetchall()
    totals = conn.execute(
        f"SELECT COUNT(*), SUM(a.actor = ? AND a.action = 'approved') FROM audit a"
        f" WHERE {DECISIONS} AND a.at >= ? AND a.at < ?",
        (AUTO_ACTOR, start, end),
    ).fetchone()
    flagged = conn.execute(
        """
        SELECT state, COUNT(*) FROM requests
        WHERE received_at >= ? AND received_at < ?
          AND (flagged_by IS NOT NULL OR COALESCE(risk_level, '') IN ('medium', 'high'))
        GROUP BY state ORDER BY COUNT(*) DESC
        """,
        (start, end),
    ).fetchall()
    holds = conn.execute(
        """
        SELECT SUM(EXISTS (SELECT 1 FROM audit b WHERE b.request_id = h.request_id AND b.id > h.id
                           AND b.action IN ('updated', 'resubmitted') AND b.from_state = 'on_hold')),
               SUM(EXISTS (SELECT 1 FROM audit b WHERE b.request_id = h.request_id AND b.id > h.id
                           AND (b.action = 'hold_expired'
                                OR (b.action = 'declined' AND b.from_state = 'on_hold'
                                    AND b.reasons LIKE '%"no_response"%'))))
        FROM audit h WHERE h.action = 'on_hold' AND h.at >= ? AND h.at < ?
        """,
        (start, end),
    ).fetchone()
    return Stats(
        since=since,
        until=until,
        by_reviewer=tuple(
            (r[0], int(r[1] or 0), int(r[2] or 0), int(r[3] or 0)) for r in reviewers
        ),
        reasons=tuple((r["code"], r["label"], int(r["n"])) for r in reasons),
        decisions=int(totals[0] or 0),
        median_hours=_percentile_hours(conn, start, end, 0.5),
        p90_hours=_percentile_hours(conn, start, end, 0.9),
        auto_approved=int(totals[1] or 0),
        flagged=tuple((r[0], int(r[1])) for r in flagged),
        holds_answered=int(holds[0] or 0),
        holds_expired=int(holds[1] or 0),
    )
