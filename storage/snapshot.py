"""SQL for the employer activity snapshot: everything the school has seen of one employer."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_db
from bot.models import AUTO_ACTOR, PLATFORM_ACTOR, EmployerRecord
from storage.cards import label_names
from storage.rows import employer_from_row

RECENT_JOBS = 10


@dataclass(frozen=True)
class JobLine:
    request_id: int
    upstream_id: str
    title: str
    state: str
    received_at: datetime
    decided_by: str | None
    permalink: str | None


@dataclass(frozen=True)
class EmployerSnapshot:
    employer: EmployerRecord
    first_seen: datetime
    last_activity: datetime | None
    employer_decisions: tuple[tuple[str, str, datetime], ...]  # (action, actor, at)
    # requested, approved, declined, on_hold, expired, pending, auto_approved, removed
    jobs: dict[str, int]
    recent_jobs: tuple[JobLine, ...]
    reports: tuple[tuple[str, str, datetime], ...]  # (category, status, created)
    labels: tuple[str, ...]
    trusted_by: str | None
    trusted_at: datetime | None
    reviewers: tuple[str, ...]
    other_schools: dict[str, int] | None


def employer_snapshot(conn: sqlite3.Connection, employer_id: int) -> EmployerSnapshot | None:
    row = conn.execute("SELECT * FROM employers WHERE id = ?", (employer_id,)).fetchone()
    if row is None:
        return None
    counts = conn.execute(
        """
        SELECT COUNT(*) AS requested, SUM(state = 'approved') AS approved,
               SUM(state = 'declined') AS declined, SUM(state = 'on_hold') AS on_hold,
               SUM(state = 'pending') AS pending, SUM(state = 'removed') AS removed,
               SUM(state = 'expired') AS expired,
               SUM(state = 'approved' AND decided_by = ?) AS auto_approved
        FROM requests WHERE employer_id = ? AND kind = 'job'
        """,
        (AUTO_ACTOR, employer_id),
    ).fetchone()
    recent = conn.execute(
        "SELECT id, upstream_id, title, state, received_at, decided_by, card_permalink FROM requests"
        " WHERE employer_id = ? AND kind = 'job' ORDER BY received_at DESC, id DESC LIMIT ?",
        (employer_id, RECENT_JOBS),
    ).fetchall()
    decisions = conn.execute(
        "SELECT a.action, a.actor, a.at FROM audit a JOIN requests r ON r.id = a.request_id"
        " WHERE r.kind = 'employer' AND r.employer_id = ?"
        " AND a.action IN ('approved', 'declined', 'on_hold', 'reverted', 'removed', 'hold_expired')"
        " ORDER BY a.id",
        (employer_id,),
    ).fetchall()
    reports = conn.execute(
        "SELECT category, status, created_at FROM reports WHERE employer_id = ? ORDER BY id DESC LIMIT 10",
        (employer_id,),
    ).fetchall()
    reviewers = conn.execute(
        "SELECT actor, COUNT(*) AS n FROM audit WHERE employer_id = ?"
        " AND action IN ('approved', 'declined', 'on_hold') AND actor NOT IN (?, ?)"
        " GROUP BY actor ORDER BY n DESC, actor",
        (employer_id, AUTO_ACTOR, PLATFORM_ACTOR),
    ).fetchall()
    last = conn.execute(
        "SELECT MAX(at) FROM audit WHERE employer_id = ?", (employer_id,)
    ).fetchone()[0]
    payload = conn.execute(
        "SELECT payload FROM requests WHERE kind = 'employer' AND employer_id = ?", (employer_id,)
    ).fetchone()
    other = json.loads(payload[0]).get("other_schools") if payload else None
    return EmployerSnapshot(
        employer=employer_from_row(row),
        first_seen=from_db(row["first_seen_at"]),
        last_activity=from_db(last) if last else None,
        employer_decisions=tuple((d["action"], d["actor"], from_db(d["at"])) for d in decisions),
        jobs={k: int(counts[k] or 0) for k in counts.keys()},  # noqa: SIM118 - sqlite3.Row
        recent_jobs=tuple(
            JobLine(
                r["id"],
                r["upstream_id"],
                r["title"],
                r["state"],
                from_db(r["received_at"]),
                r["decided_by"],
                r["card_permalink"],
            )
            for r in recent
        ),
        reports=tuple((r["category"], r["status"], from_db(r["created_at"])) for r in reports),
        labels=label_names(conn, "employer_labels", "employer_id", employer_id),
        trusted_by=row["trusted_by"],
        trusted_at=from_db(row["trusted_at"]) if row["trusted_at"] else None,
        reviewers=tuple(r["actor"] for r in reviewers),
        other_schools=other if isinstance(other, dict) else None,
    )
