"""SQL for fraud and abuse reports: storing them, applying the platform's actions, and the
people and requests they concern."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.clock import from_db, to_db
from bot.models import AUTO_ACTOR, PLATFORM_ACTOR, EmployerStatus, Kind, State, Via
from bot.platform_events import core_fields, envelope
from bot.submissions import ReportSubmission
from storage import outbox
from storage.audit import insert_audit
from storage.outbox import card_lane
from storage.rows import REQUEST_SELECT, RequestNotFound, get_request, request_from_row

STAFF_MEMORY = timedelta(days=90)
OPEN_STATES = ("pending", "on_hold")


def report_lane(report_id: int) -> str:
    return f"report:{report_id}"


@dataclass(frozen=True)
class ReportRecord:
    id: int
    upstream_id: str | None
    source: str
    subject_type: str
    subject_id: str
    request_id: int | None
    employer_id: int | None
    category: str
    details: str | None
    status: str
    actions: tuple[str, ...]
    filed_by: str | None
    created_at: datetime
    acted_at: datetime | None
    card_channel: str | None
    card_ts: str | None
    wave: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    subject_title: str | None = None
    employer_name: str | None = None


@dataclass(frozen=True)
class ReportOutcome:
    report_id: int
    created: bool
    acted: bool
    removed: tuple[int, ...] = ()
    told: tuple[str, ...] = ()


def get_report(conn: sqlite3.Connection, report_id: int) -> ReportRecord | None:
    row = conn.execute(
        "SELECT p.*, r.title AS subject_title, e.name AS employer_name FROM reports p"
        " LEFT JOIN requests r ON r.id = p.request_id LEFT JOIN employers e ON e.id = p.employer_id"
        " WHERE p.id = ?",
        (report_id,),
    ).fetchone()
    if row is None:
        return None
    return ReportRecord(
        id=row["id"],
        upstream_id=row["upstream_id"],
        source=row["source"],
        subject_type=row["subject_type"],
        subject_id=row["subject_id"],
        request_id=row["request_id"],
        employer_id=row["employer_id"],
        category=row["category"],
        details=row["details"],
        status=row["status"],
        actions=tuple(json.loads(row["actions"])),
        filed_by=row["filed_by"],
        created_at=from_db(row["created_at"]),
        acted_at=from_db(row["acted_at"]) if row["acted_at"] else None,
        card_channel=row["card_channel"],
        card_ts=row["card_ts"],
        wave=tuple(json.loads(row["wave"])),
        subject_title=row["subject_title"],
        employer_name=row["employer_name"],
    )


def _subject(
    conn: sqlite3.Connection, subject_type: str, subject_id: str
) -> tuple[int | None, int | None]:
    """(request id, employer id) the report is about, when jobgate knows them."""
    if subject_type == "job":
        row = conn.execute(
            "SELECT id, employer_id FROM requests WHERE kind = 'job' AND upstream_id = ?",
            (subject_id,),
        ).fetchone()
        return (row["id"], row["employer_id"]) if row else (None, None)
    if subject_type == "employer":
        row = conn.execute(
            "SELECT id FROM employers WHERE upstream_id = ?", (subject_id,)
        ).fetchone()
        if row is None:
            return None, None
        request = conn.execute(
            "SELECT id FROM requests WHERE kind = 'employer' AND employer_id = ?", (row["id"],)
        ).fetchone()
        return (request["id"] if request else None), row["id"]
    row = conn.execute(
        "SELECT c.employer_id FROM contacts c WHERE c.upstream_id = ?", (subject_id,)
    ).fetchone()
    return None, (row["employer_id"] if row else None)


def upsert_report(
    conn: sqlite3.Connection, report: ReportSubmission, now: datetime
) -> ReportOutcome:
    """Store the platform's report (new or updated); apply its actions once."""
    stamp = to_db(now)
    existing = conn.execute(
        "SELECT id, status, actions FROM reports WHERE upstream_id = ?", (report.id,)
    ).fetchone()
    actions = list(dict.fromkeys(report.actions))
    if existing is None:
        request_id, employer_id = _subject(conn, report.subject.type, report.subject.id)
        report_id = int(
            conn.execute(
                "INSERT INTO reports (upstream_id, source, subject_type, subject_id, request_id,"
                " employer_id, category, details, status, payload, created_at, updated_at)"
                " VALUES (?, 'platform', ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?) RETURNING id",
                (
                    report.id,
                    report.subject.type,
                    report.subject.id,
                    request_id,
                    employer_id,
                    report.category,
                    report.details,
                    report.model_dump_json(),
                    stamp,
                    stamp,
                ),
            ).fetchone()[0]
        )
        created, done_actions = True, []
        notify(conn, "channel", report_id, "filed", now)
        _enqueue_card(conn, report_id, now)
    else:
        report_id, created = int(existing["id"]), False
        done_actions = json.loads(existing["actions"])
    new_actions = [a for a in actions if a not in done_actions]
    conn.execute(
        "UPDATE reports SET status = ?, details = COALESCE(?, details), updated_at = ?,"
        " payload = ? WHERE id = ?",
        (report.status, report.details, stamp, report.model_dump_json(), report_id),
    )
    if not new_actions:
        if not created:
            _enqueue_card(conn, report_id, now)
        return ReportOutcome(report_id, created, acted=False)
    removed, told = apply_actions(conn, report_id, new_actions, now)
    conn.execute(
        "UPDATE reports SET actions = ?, acted_at = ? WHERE id = ?",
        (json.dumps(done_actions + new_actions), stamp, report_id),
    )
    _enqueue_card(conn, report_id, now)
    return ReportOutcome(report_id, created, True, tuple(removed), tuple(told))


def apply_actions(
    conn: sqlite3.Connection, report_id: int, actions: Sequence[str], now: datetime
) -> tuple[list[int], list[str]]:
    """Remove the affected open requests and tell the staff who decided on the employer."""
    report = get_report(conn, report_id)
    assert report is not None
    affected: list[int] = []
    if "job_removed" in actions and report.request_id is not None:
        affected.append(report.request_id)
    if "employer_suspended" in actions and report.employer_id is not None:
        conn.execute(
            "UPDATE employers SET status = ?, trusted = 0, updated_at = ? WHERE id = ?",
            (EmployerStatus.SUSPENDED.value, to_db(now), report.employer_id),
        )
        affected += [
            r[0]
            for r in conn.execute(
                "SELECT id FROM requests WHERE employer_id = ? AND state IN ('pending', 'on_hold')",
                (report.employer_id,),
            )
        ]
    if "user_suspended" in actions:
        affected += [
            r[0]
            for r in conn.execute(
                "SELECT r.id FROM requests r JOIN contacts c ON c.id = r.contact_id"
                " WHERE c.upstream_id = ? AND r.state IN ('pending', 'on_hold')",
                (report.subject_id,),
            )
        ]
        if report.request_id is not None:
            affected.append(report.request_id)
    removed = []
    for request_id in dict.fromkeys(affected):
        if remove_request(conn, request_id, now, report_id=report_id, actions=actions):
            removed.append(request_id)
    told = (
        staff_who_decided(conn, report.employer_id, now - STAFF_MEMORY)
        if report.employer_id
        else []
    )
    for user in told:
        notify(conn, f"user:{user}", report_id, "acted", now)
    notify(conn, "channel", report_id, "acted", now)
    return removed, told


def remove_request(
    conn: sqlite3.Connection,
    request_id: int,
    now: datetime,
    *,
    report_id: int,
    actions: Sequence[str],
) -> bool:
    """The platform removed it: any state becomes `removed`, with its card and thread told."""
    request = get_request(conn, request_id)
    if request is None or request.state is State.REMOVED:
        return False
    audit_id = insert_audit(
        conn,
        request_id=request.id,
        employer_id=request.employer.id,
        action="removed",
        from_state=request.state.value,
        to_state=State.REMOVED.value,
        actor=PLATFORM_ACTOR,
        via=Via.API,
        at=now,
        details={"report_id": report_id, "actions": actions},
    )
    conn.execute(
        "UPDATE requests SET state = 'removed', last_audit_id = ?, updated_at = ?,"
        " decided_at = ?, decided_by = ?, decided_via = 'api' WHERE id = ?",
        (audit_id, to_db(now), to_db(now), PLATFORM_ACTOR, request.id),
    )
    lane = card_lane(request.id)
    outbox.enqueue_card(conn, request.id, now)
    if request.card_ts:
        outbox.enqueue(
            conn,
            lane=lane,
            kind="thread",
            payload={"request_id": request.id, "audit_id": audit_id},
            now=now,
        )
    return True


def staff_who_decided(conn: sqlite3.Connection, employer_id: int, since: datetime) -> list[str]:
    rows = conn.execute(
        "SELECT DISTINCT actor FROM audit WHERE employer_id = ? AND at >= ?"
        " AND action IN ('approved', 'declined', 'on_hold') AND actor NOT IN (?, ?) ORDER BY actor",
        (employer_id, to_db(since), AUTO_ACTOR, PLATFORM_ACTOR),
    ).fetchall()
    return [r[0] for r in rows]


def file_report_from_slack(
    conn: sqlite3.Connection,
    request_id: int,
    *,
    actor: str,
    category: str,
    details: str,
    now: datetime,
) -> int:
    """A report filed by staff in Slack: stored, carded, and sent to the platform."""
    request = get_request(conn, request_id)
    if request is None:
        raise RequestNotFound(f"no request with id {request_id}")
    stamp = to_db(now)
    subject_type = "job" if request.kind is Kind.JOB else "employer"
    subject_id = request.upstream_id if request.kind is Kind.JOB else request.employer.upstream_id
    report_id = int(
        conn.execute(
            "INSERT INTO reports (source, subject_type, subject_id, request_id, employer_id, category,"
            " details, status, filed_by, created_at, updated_at)"
            " VALUES ('slack', ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?) RETURNING id",
            (
                subject_type,
                subject_id,
                request.id,
                request.employer.id,
                category,
                details,
                actor,
                stamp,
                stamp,
            ),
        ).fetchone()[0]
    )
    audit_id = insert_audit(
        conn,
        request_id=request.id,
        employer_id=request.employer.id,
        action="reported",
        actor=actor,
        via=Via.BUTTON,
        at=now,
        note=details or None,
        details={"report_id": report_id, "category": category},
    )
    if request.card_ts:
        outbox.enqueue(
            conn,
            lane=card_lane(request.id),
            kind="thread",
            payload={"request_id": request.id, "audit_id": audit_id},
            now=now,
        )
    event = envelope(
        "report.filed",
        now,
        {
            **core_fields(
                kind=subject_type,
                upstream_id=subject_id,
                outcome="filed",
                actor=actor,
                via=Via.BUTTON,
                at=now,
            ),
            "report_id": f"jobgate-{report_id}",
            "subject": {"type": subject_type, "id": subject_id},
            "category": category,
            "details": details,
            "filed_by": actor,
            "filed_at": stamp,
        },
    )
    outbox.enqueue(conn, lane=f"webhook:report:{report_id}", kind="webhook", payload=event, now=now)
    notify(conn, "channel", report_id, "filed", now)
    _enqueue_card(conn, report_id, now)
    return report_id


def _enqueue_card(conn: sqlite3.Connection, report_id: int, now: datetime) -> None:
    outbox.enqueue(
        conn,
        lane=report_lane(report_id),
        kind="report_card",
        payload={"report_id": report_id},
        now=now,
    )


def set_report_card(conn: sqlite3.Connection, report_id: int, channel: str, ts: str) -> None:
    conn.execute(
        "UPDATE reports SET card_channel = ?, card_ts = ? WHERE id = ?", (channel, ts, report_id)
    )


def set_wave(
    conn: sqlite3.Connection, report_id: int, wave: list[dict[str, Any]], now: datetime
) -> None:
    conn.execute("UPDATE reports SET wave = ? WHERE id = ?", (json.dumps(wave), report_id))
    _enqueue_card(conn, report_id, now)


def count_open_reports(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM reports WHERE status = 'open'").fetchone()[0])


def notify(
    conn: sqlite3.Connection, target: str, report_id: int, event: str, now: datetime
) -> None:
    """Queue a report event for the minute job (batched per channel and per person)."""
    conn.execute(
        "INSERT INTO notifications (target, report_id, event, line, created_at) VALUES (?, ?, ?, '', ?)",
        (target, report_id, event, to_db(now)),
    )


def take_notifications(conn: sqlite3.Connection, now: datetime) -> dict[str, list[tuple[int, str]]]:
    """Unsent report events by target ('channel' or 'user:U…'): (report id, event); marked sent."""
    rows = conn.execute(
        "SELECT id, target, report_id, event FROM notifications WHERE sent_at IS NULL ORDER BY id"
    ).fetchall()
    grouped: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        grouped.setdefault(row["target"], []).append((row["report_id"], row["event"]))
    if rows:
        conn.execute(
            "UPDATE notifications SET sent_at = ? WHERE sent_at IS NULL AND id <= ?",
            (to_db(now), rows[-1]["id"]),
        )
    return grouped


def open_requests_of(conn: sqlite3.Connection, ids: list[int]) -> list[Any]:
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    rows = conn.execute(
        REQUEST_SELECT + f" WHERE r.id IN ({marks}) AND r.state IN ('pending', 'on_hold')", ids
    ).fetchall()
    return [request_from_row(row) for row in rows]
