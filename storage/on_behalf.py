"""SQL for a job posted by staff on behalf of an approved employer: stored approved, with the
poster recorded, sent to the platform as job.posted_on_behalf."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from bot.clock import to_db
from bot.matching import url_domain
from bot.models import Via
from bot.platform_events import core_fields, envelope
from bot.submissions import JobSubmission
from storage import outbox
from storage.audit import insert_audit
from storage.outbox import webhook_lane


def post_on_behalf(
    conn: sqlite3.Connection, job: JobSubmission, *, employer_id: int, actor: str, now: datetime
) -> int:
    stamp = to_db(now)
    payload = job.model_dump(mode="json")
    request_id = int(
        conn.execute(
            "INSERT INTO requests (kind, upstream_id, employer_id, state, title, location, apply_domain,"
            " payload, requested_at, received_at, updated_at, decided_at, decided_by, decided_via,"
            " screening) VALUES ('job', ?, ?, 'approved', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'command', 'pending')"
            " RETURNING id",
            (
                job.id,
                employer_id,
                job.title,
                job.location,
                url_domain(job.apply_url),
                json.dumps(payload),
                stamp,
                stamp,
                stamp,
                stamp,
                actor,
            ),
        ).fetchone()[0]
    )
    audit_id = insert_audit(
        conn,
        request_id=request_id,
        employer_id=employer_id,
        action="posted_on_behalf",
        to_state="approved",
        actor=actor,
        via=Via.COMMAND,
        at=now,
    )
    conn.execute("UPDATE requests SET last_audit_id = ? WHERE id = ?", (audit_id, request_id))
    event = envelope(
        "job.posted_on_behalf",
        now,
        {
            **core_fields(
                kind="job",
                upstream_id=job.id,
                outcome="approved",
                actor=actor,
                via=Via.COMMAND,
                at=now,
            ),
            "employer_id": job.employer.id,
            "posted_by": actor,
            "posted_at": stamp,
            "via": Via.COMMAND.value,
            "job": {k: v for k, v in payload.items() if k not in ("id", "employer")},
        },
    )
    outbox.enqueue(conn, lane=webhook_lane(request_id), kind="webhook", payload=event, now=now)
    outbox.enqueue_card(conn, request_id, now)
    return request_id


def approved_employers(conn: sqlite3.Connection, limit: int = 100) -> list[tuple[int, str, str]]:
    """(id, upstream id, name) of approved employers, most recently active first."""
    rows = conn.execute(
        "SELECT id, upstream_id, name FROM employers WHERE status = 'approved'"
        " ORDER BY updated_at DESC, name LIMIT ?",
        (limit,),
    ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]
