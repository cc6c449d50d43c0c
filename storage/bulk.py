"""SQL for bulk decisions: the preview, the one transaction that decides every matching open
request (each with its own audit row and webhook), and the run's progress."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.bulk import (
    BulkAction,
    BulkOrder,
    BulkPreview,
    BulkProgress,
    BulkRun,
    LeftOut,
    bulk_states,
    left_out_reasons,
)
from bot.clock import from_db, to_db
from bot.filters import Filter, parse_filter
from bot.models import EmployerRecord, EmployerStatus, Kind, ReviewRequest, State, Via
from bot.policy import undo_window_open
from bot.words import count_of
from storage import outbox
from storage.audit import insert_refusal, load_workspace_settings
from storage.decisions import (
    decline_jobs_of_employer,
    record_outcomes,
    resolve_reasons,
    undoables_where,
    write_revert,
)
from storage.filtering import FROM, Where, filter_where, list_where

# Each is true (1) for a request left out for that reason; never NULL, so NOT works.
LEFT_OUT_SQL = {
    LeftOut.DUPLICATE: "(r.duplicate_of IS NOT NULL)",
    LeftOut.FLAGGED: "(r.flagged_by IS NOT NULL)",
    LeftOut.RISKY: "(IFNULL(r.risk_level IN ('medium', 'high'), 0))",
    LeftOut.EMPLOYER_NOT_APPROVED: "(r.kind = 'job' AND e.status != 'approved')",
}


# What record_outcome reads of a request: ids, kind and states (not the payload).
SUBJECT_SELECT = (
    "SELECT r.id, r.kind, r.upstream_id, r.state, r.title, r.version, r.received_at,"
    " r.updated_at, r.employer_id, e.upstream_id AS e_upstream_id, e.name AS e_name,"
    f" e.status AS e_status, e.trusted AS e_trusted {FROM}"
)


def progress_lane(bulk_id: int) -> str:
    """The progress message of one run: its posts and updates, one at a time."""
    return f"progress:{bulk_id}"


@dataclass(frozen=True)
class Scope:
    matched: Where
    reasons: tuple[LeftOut, ...]
    eligible_sql: str

    @property
    def eligible(self) -> Where:
        return self.matched.also(self.eligible_sql)


def bulk_scope(f: Filter, action: BulkAction, now: datetime) -> Scope:
    reasons = left_out_reasons(f, action)
    eligible = " AND ".join(f"NOT {LEFT_OUT_SQL[r]}" for r in reasons) or "1"
    return Scope(filter_where(f, now, states=bulk_states(f)), reasons, f"({eligible})")


def preview_bulk(
    conn: sqlite3.Connection, f: Filter, action: BulkAction, now: datetime, *, sample: int
) -> BulkPreview:
    """Counts in one pass over the matching open requests, and a sample of those decided."""
    scope = bulk_scope(f, action, now)
    sums = "".join(f", IFNULL(SUM({LEFT_OUT_SQL[r]}), 0)" for r in scope.reasons)
    row = conn.execute(
        f"SELECT COUNT(*), IFNULL(SUM({scope.eligible_sql}), 0){sums} {FROM}"
        f" WHERE {scope.matched.sql}",
        scope.matched.params,
    ).fetchone()
    left_out = {reason: int(row[2 + i]) for i, reason in enumerate(scope.reasons) if row[2 + i]}
    items = list_where(conn, scope.eligible, limit=sample) if sample and row[1] else []
    return BulkPreview(
        matched=int(row[0]), eligible=int(row[1]), left_out=left_out, sample=tuple(items)
    )


@dataclass(frozen=True)
class BulkDone:
    run: BulkRun
    by_kind: dict[Kind, int]
    cascaded: int


@dataclass(frozen=True)
class BulkNotRun:
    why: str
    eligible: int


def apply_bulk(conn: sqlite3.Connection, order: BulkOrder, now: datetime) -> BulkDone | BulkNotRun:
    """Decide every eligible request the filter matches now, in this one transaction; never
    more than the admin confirmed (the queue may have grown since the preview)."""
    scope = bulk_scope(parse_filter(order.filter_text), order.action, now)
    where = scope.eligible
    rows = conn.execute(
        f"{SUBJECT_SELECT} WHERE {where.sql} ORDER BY r.id", where.params
    ).fetchall()
    if not rows:
        return BulkNotRun("nothing matches any more", 0)
    if len(rows) > order.confirmed:
        return BulkNotRun("more requests match than you confirmed", len(rows))
    matched = conn.execute(
        f"SELECT COUNT(*) {FROM} WHERE {scope.matched.sql}", scope.matched.params
    ).fetchone()[0]
    settings = load_workspace_settings(conn)
    reasons = resolve_reasons(conn, order.reason_codes)
    cursor = conn.execute(
        "INSERT INTO bulk_runs (actor, action, filter, total, skipped, channel, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            order.actor,
            order.action.value,
            order.filter_text,
            len(rows),
            int(matched) - len(rows),
            order.channel,
            to_db(now),
        ),
    )
    bulk_id = cursor.lastrowid
    assert bulk_id is not None
    employers: dict[int, EmployerRecord] = {}
    subjects = [_subject(row, employers) for row in rows]

    def decide(requests: list[ReviewRequest]) -> list[int]:
        return record_outcomes(
            conn,
            requests,
            order.action.outcome,
            order.actor,
            Via.BULK,
            now,
            settings=settings,
            reasons=reasons,
            message=order.message,
            details={"bulk_id": bulk_id},
            bulk_id=bulk_id,
        )

    # employers first: declining one declines its open jobs too, as a single decline does
    firsts = [r for r in subjects if r.kind is Kind.EMPLOYER]
    cascaded: set[int] = set()
    for request, audit_id in zip(firsts, decide(firsts), strict=True):
        if order.action is BulkAction.DECLINE:
            cascaded.update(
                decline_jobs_of_employer(conn, request.employer.id, audit_id, now, settings)
            )
    jobs = [r for r in subjects if r.kind is Kind.JOB and r.id not in cascaded]
    decide(jobs)
    by_kind = {Kind.EMPLOYER: len(firsts), Kind.JOB: len(jobs)}
    decided = sum(by_kind.values())
    if decided != len(rows):
        conn.execute("UPDATE bulk_runs SET total = ? WHERE id = ?", (decided, bulk_id))
    outbox.enqueue(
        conn,
        lane=progress_lane(bulk_id),
        kind="progress",
        payload={"bulk_id": bulk_id, "confirmed": order.confirmed},
        now=now,
    )
    run = get_bulk_run(conn, bulk_id)
    assert run is not None
    return BulkDone(run, by_kind, len(cascaded))


def _subject(row: sqlite3.Row, employers: dict[int, EmployerRecord]) -> ReviewRequest:
    """A request as record_outcome needs it, built without validation or parsing the payload
    (record_outcome never reads `submission`): thousands of these go into one transaction."""
    employer = employers.get(row["employer_id"])
    if employer is None:
        employer = employers[row["employer_id"]] = EmployerRecord.model_construct(
            id=row["employer_id"],
            upstream_id=row["e_upstream_id"],
            name=row["e_name"],
            status=EmployerStatus(row["e_status"]),
            trusted=bool(row["e_trusted"]),
            website=None,
        )
    return ReviewRequest.model_construct(
        id=row["id"],
        kind=Kind(row["kind"]),
        upstream_id=row["upstream_id"],
        state=State(row["state"]),
        title=row["title"],
        employer=employer,
        version=row["version"],
        received_at=from_db(row["received_at"]),
        updated_at=from_db(row["updated_at"]),
        submission=None,  # type: ignore[arg-type]
    )


def _run_from_row(row: sqlite3.Row) -> BulkRun:
    return BulkRun(
        id=row["id"],
        actor=row["actor"],
        action=BulkAction(row["action"]),
        filter_text=row["filter"],
        total=row["total"],
        skipped=row["skipped"],
        cards_done=row["cards_done"],
        channel=row["channel"],
        message_ts=row["message_ts"],
        created_at=from_db(row["created_at"]),
        finished_at=from_db(row["finished_at"]) if row["finished_at"] else None,
    )


def get_bulk_run(conn: sqlite3.Connection, bulk_id: int) -> BulkRun | None:
    row = conn.execute("SELECT * FROM bulk_runs WHERE id = ?", (bulk_id,)).fetchone()
    return _run_from_row(row) if row else None


def load_progress(conn: sqlite3.Connection, bulk_id: int) -> BulkProgress | None:
    """The run, and its cards done: those whose bulk card row is no longer waiting."""
    run = get_bulk_run(conn, bulk_id)
    if run is None:
        return None
    waiting = conn.execute(
        "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND kind = 'card'"
        " AND json_extract(payload, '$.bulk_id') = ?",
        (bulk_id,),
    ).fetchone()[0]
    return BulkProgress(run=run, done=max(0, run.total - int(waiting)))


def save_progress(
    conn: sqlite3.Connection,
    bulk_id: int,
    *,
    shown: int,
    now: datetime,
    finished: bool,
    channel: str | None = None,
    message_ts: str | None = None,
) -> None:
    """What the progress message shows now (and where it is, once posted)."""
    conn.execute(
        "UPDATE bulk_runs SET cards_done = ?, channel = COALESCE(?, channel),"
        " message_ts = COALESCE(?, message_ts),"
        " finished_at = CASE WHEN ? THEN COALESCE(finished_at, ?) ELSE finished_at END"
        " WHERE id = ?",
        (shown, channel, message_ts, finished, to_db(now), bulk_id),
    )


@dataclass(frozen=True)
class BulkUndone:
    run: BulkRun
    reverted: int
    # jobs declined with an employer the run declined, back with it (not the run's own)
    jobs_with_employers: int = 0

    @property
    def changed_since(self) -> int:
        """Decided by this run but changed since (undone one by one, decided again): left
        alone."""
        return self.run.total - self.reverted


@dataclass(frozen=True)
class BulkNotUndone:
    why: str


def revert_bulk(
    conn: sqlite3.Connection, bulk_id: int, *, actor: str, now: datetime
) -> BulkUndone | BulkNotUndone:
    """Undo a whole bulk run within the undo window (callers let only admins, who alone run
    bulk actions, ask): every request whose latest decision is still this run's goes back to
    pending, each with its own audit row and `*.decision_reverted` webhook, as a single Undo
    does."""

    def refused(code: str, why: str) -> BulkNotUndone:
        insert_refusal(
            conn,
            request_id=None,
            actor=actor,
            attempted="bulk undo",
            why=code,
            via=Via.COMMAND,
            at=now,
            details={"bulk_id": bulk_id},
        )
        return BulkNotUndone(why)

    run = get_bulk_run(conn, bulk_id)
    if run is None:
        return refused("no_run", f"there is no bulk run {bulk_id}")
    minutes = load_workspace_settings(conn).undo_window_minutes
    if not undo_window_open(run.created_at, now, timedelta(minutes=minutes)):
        return refused(
            "undo_window_ended", f"the undo window ({count_of(minutes, 'minute')}) has ended"
        )
    # the run's requests whose latest decision is still the run's, read without payloads
    still_ours = undoables_where(
        conn,
        "a.via = 'bulk' AND json_extract(a.details, '$.bulk_id') = ?"
        " AND r.state IN ('approved', 'declined')",
        (bulk_id,),
    )
    jobs = sum(
        write_revert(conn, decided, actor=actor, via=Via.COMMAND, now=now).jobs_with_it
        for decided in still_ours
    )
    return BulkUndone(run, len(still_ours), jobs)
