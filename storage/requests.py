"""SQL for requests, employers and contacts: ingest (upsert by upstream id) and look-ups."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

from bot.changes import describe_changes
from bot.clock import to_db
from bot.matching import email_domain, phone_key, url_domain
from bot.models import (
    PLATFORM_ACTOR,
    EmployerStatus,
    Kind,
    ReviewRequest,
    State,
    Via,
)
from bot.policy import auto_decline_for_employer
from bot.submissions import ContactIn, EmployerSubmission, JobSubmission
from storage import outbox
from storage.audit import insert_audit
from storage.decisions import auto_decline_for_blocked_employer
from storage.outbox import card_lane
from storage.rows import REQUEST_SELECT, request_from_row

IngestOutcome = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class IngestResult:
    request_id: int
    kind: Kind
    upstream_id: str
    state: State
    outcome: IngestOutcome
    # it wrote outbox rows (a thread reply about the change, an automatic decline's webhook):
    # only then is the deliverer woken, so a flood of new requests costs it nothing
    queued_delivery: bool = False

    def as_response(self) -> dict[str, Any]:
        return {
            "id": self.upstream_id,
            "kind": self.kind.value,
            "state": self.state.value,
            "result": self.outcome,
        }


def name_key(name: str) -> str:
    return " ".join(name.casefold().split())[:200]


def find_request(conn: sqlite3.Connection, kind: Kind, upstream_id: str) -> ReviewRequest | None:
    row = conn.execute(
        REQUEST_SELECT + " WHERE r.kind = ? AND r.upstream_id = ?", (kind.value, upstream_id)
    ).fetchone()
    return request_from_row(row) if row else None


def find_request_by_card(conn: sqlite3.Connection, channel: str, ts: str) -> ReviewRequest | None:
    row = conn.execute(
        REQUEST_SELECT + " WHERE r.card_channel = ? AND r.card_ts = ?", (channel, ts)
    ).fetchone()
    return request_from_row(row) if row else None


def find_employer_request(conn: sqlite3.Connection, employer_id: int) -> ReviewRequest | None:
    row = conn.execute(
        REQUEST_SELECT + " WHERE r.kind = 'employer' AND r.employer_id = ?", (employer_id,)
    ).fetchone()
    return request_from_row(row) if row else None


def set_card(conn: sqlite3.Connection, request_id: int, channel: str, ts: str) -> None:
    conn.execute(
        "UPDATE requests SET card_channel = ?, card_ts = ? WHERE id = ?", (channel, ts, request_id)
    )


@dataclass(frozen=True, slots=True)
class Prepared:
    """A submission with its stored columns worked out before the write transaction, so the
    single database writer spends its time on SQL (`prepare`, on the caller's thread)."""

    submission: EmployerSubmission | JobSubmission
    title: str
    location: str | None
    apply_domain: str | None
    payload: str
    requested_at: str | None
    # (upstream key, name, email, phone, email domain, phone key), or None without a contact
    contact: tuple[str, str | None, str | None, str | None, str | None, str | None] | None


def prepare(submissions: Sequence[EmployerSubmission | JobSubmission]) -> list[Prepared]:
    return [_prepared(submission) for submission in submissions]


def _prepared(submission: EmployerSubmission | JobSubmission) -> Prepared:
    if isinstance(submission, EmployerSubmission):
        title, apply_domain = submission.name, None
    else:
        title, apply_domain = submission.title, url_domain(submission.apply_url)
    return Prepared(
        submission=submission,
        title=title,
        location=submission.location,
        apply_domain=apply_domain,
        payload=submission.model_dump_json(),
        requested_at=to_db(submission.requested_at) if submission.requested_at else None,
        contact=_contact_row(submission.contact),
    )


def _contact_row(
    contact: ContactIn | None,
) -> tuple[str, str | None, str | None, str | None, str | None, str | None] | None:
    if contact is None:
        return None
    key = contact.id or (f"email:{contact.email.casefold()}" if contact.email else None)
    if key is None:
        return None
    return (
        key,
        contact.name,
        contact.email,
        contact.phone,
        email_domain(contact.email),
        phone_key(contact.phone),
    )


class _Batch:
    """Per-call caches, so an array from one employer costs one employer look-up, not one
    per item."""

    def __init__(self, conn: sqlite3.Connection, now: datetime) -> None:
        self.conn = conn
        self.now = now
        self.stamp = to_db(now)
        self.employers: dict[str, tuple[int, EmployerStatus]] = {}

    def employer_for(
        self, submission: EmployerSubmission | JobSubmission
    ) -> tuple[int, EmployerStatus]:
        if isinstance(submission, EmployerSubmission):
            upstream_id, name, website = submission.id, submission.name, submission.website
            profile = (submission.industry, submission.size, submission.location)
        else:
            upstream_id = submission.employer.id
            if upstream_id in self.employers:
                return self.employers[upstream_id]
            name, website = submission.employer.name or submission.employer.id, None
            profile = (None, None, None)
        row = self.conn.execute(
            "SELECT id, status FROM employers WHERE upstream_id = ?", (upstream_id,)
        ).fetchone()
        if row is None:
            status = (
                EmployerStatus.PENDING
                if isinstance(submission, EmployerSubmission)
                else EmployerStatus.UNREVIEWED
            )
            cursor = self.conn.execute(
                "INSERT INTO employers (upstream_id, name, name_key, status, website, industry,"
                " size, location, first_seen_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    upstream_id,
                    name,
                    name_key(name),
                    status.value,
                    website,
                    *profile,
                    self.stamp,
                    self.stamp,
                ),
            )
            assert cursor.lastrowid is not None
            found = (cursor.lastrowid, status)
        else:
            if isinstance(submission, EmployerSubmission):
                self.conn.execute(
                    "UPDATE employers SET name = ?, name_key = ?, website = ?, industry = ?,"
                    " size = ?, location = ?, updated_at = ? WHERE id = ?",
                    (name, name_key(name), website, *profile, self.stamp, row["id"]),
                )
            found = (row["id"], EmployerStatus(row["status"]))
        self.employers[upstream_id] = found
        return found

    def contacts_for(self, items: list[tuple[Prepared, int]]) -> list[int | None]:
        """Each item's contact id, upserted in one statement for the whole call: in item
        order, so a later item's details win as they would one by one."""
        rows = [
            (*item.contact[:4], employer_id, *item.contact[4:], self.stamp, self.stamp)
            for item, employer_id in items
            if item.contact is not None
        ]
        if not rows:
            return [None] * len(items)
        self.conn.executemany(
            "INSERT INTO contacts (upstream_id, name, email, phone, employer_id, email_domain,"
            " phone_key, first_seen_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (upstream_id) DO UPDATE SET employer_id = excluded.employer_id,"
            " name = COALESCE(excluded.name, name), email = COALESCE(excluded.email, email),"
            " phone = COALESCE(excluded.phone, phone),"
            " email_domain = COALESCE(excluded.email_domain, email_domain),"
            " phone_key = COALESCE(excluded.phone_key, phone_key), updated_at = excluded.updated_at",
            rows,
        )
        keys = list(dict.fromkeys(row[0] for row in rows))
        ids: dict[str, int] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" for _ in chunk)
            for upstream_id, contact_id in self.conn.execute(
                f"SELECT upstream_id, id FROM contacts WHERE upstream_id IN ({marks})", chunk
            ):
                ids[upstream_id] = contact_id
        return [ids[item.contact[0]] if item.contact else None for item, _ in items]


def _existing(
    conn: sqlite3.Connection, kind: Kind, upstream_ids: list[str]
) -> dict[str, sqlite3.Row]:
    found: dict[str, sqlite3.Row] = {}
    for start in range(0, len(upstream_ids), 500):
        chunk = upstream_ids[start : start + 500]
        marks = ",".join("?" for _ in chunk)
        for row in conn.execute(
            "SELECT id, upstream_id, state, payload, card_ts FROM requests"
            f" WHERE kind = ? AND upstream_id IN ({marks})",
            (kind.value, *chunk),
        ):
            found[row["upstream_id"]] = row
    return found


def ingest_submissions(
    conn: sqlite3.Connection,
    kind: Kind,
    items: Sequence[Prepared],
    now: datetime,
) -> list[IngestResult]:
    """Upsert every submission by upstream id, with its audit rows (and, for changes, thread
    replies). New requests and contacts are written with one statement each for the whole
    array."""
    batch = _Batch(conn, now)
    existing = _existing(conn, kind, [item.submission.id for item in items])
    employers = [batch.employer_for(item.submission) for item in items]
    contact_ids = batch.contacts_for(
        [(item, employer_id) for item, (employer_id, _) in zip(items, employers, strict=True)]
    )
    results: dict[str, IngestResult] = {}
    fresh: list[_Fresh] = []
    for item, (employer_id, status), contact_id in zip(items, employers, contact_ids, strict=True):
        row = existing.get(item.submission.id)
        if row is None:
            fresh.append(_Fresh(item, employer_id, status, contact_id))
        else:
            results[item.submission.id] = _update_one(
                conn, kind, item, row, employer_id, contact_id, now
            )
    results.update(_insert_new(conn, kind, fresh, now))
    return [results[item.submission.id] for item in items]


class _Fresh(NamedTuple):
    item: Prepared
    employer_id: int
    employer_status: EmployerStatus
    contact_id: int | None


def _insert_new(
    conn: sqlite3.Connection, kind: Kind, fresh: list[_Fresh], now: datetime
) -> dict[str, IngestResult]:
    if not fresh:
        return {}
    stamp = to_db(now)
    conn.executemany(
        "INSERT INTO requests (kind, upstream_id, employer_id, contact_id, state, title,"
        " location, apply_domain, payload, requested_at, received_at, updated_at, screening)"
        " VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, 'pending')",
        [
            (
                kind.value,
                new.item.submission.id,
                new.employer_id,
                new.contact_id,
                new.item.title,
                new.item.location,
                new.item.apply_domain,
                new.item.payload,
                new.item.requested_at,
                stamp,
                stamp,
            )
            for new in fresh
        ],
    )
    ids = {
        row["upstream_id"]: row["id"]
        for row in _existing(conn, kind, [new.item.submission.id for new in fresh]).values()
    }
    conn.executemany(
        "INSERT INTO audit (request_id, employer_id, action, to_state, actor, via, at)"
        " VALUES (?, ?, 'received', 'pending', ?, 'api', ?)",
        [(ids[new.item.submission.id], new.employer_id, PLATFORM_ACTOR, stamp) for new in fresh],
    )
    results = {}
    for new in fresh:
        submission = new.item.submission
        request_id = ids[submission.id]
        # the screener posts the card once the request is screened (bot/screener.py)
        state, queued = State.PENDING, False
        if kind is Kind.JOB and auto_decline_for_employer(new.employer_status):
            state, queued = auto_decline_for_blocked_employer(conn, request_id, now), True
        results[submission.id] = IngestResult(
            request_id, kind, submission.id, state, "created", queued_delivery=queued
        )
    return results


def _update_one(
    conn: sqlite3.Connection,
    kind: Kind,
    item: Prepared,
    existing: sqlite3.Row,
    employer_id: int,
    contact_id: int | None,
    now: datetime,
) -> IngestResult:
    stamp = to_db(now)
    submission = item.submission
    payload = json.loads(item.payload)
    request_id = existing["id"]
    before = json.loads(existing["payload"])
    changes = describe_changes(before, payload)
    current = State(existing["state"])
    if not changes:
        return IngestResult(request_id, kind, submission.id, current, "unchanged")

    reopen = current in (State.ON_HOLD, State.EXPIRED, State.DECLINED)
    new_state = State.PENDING if reopen else current
    conn.execute(
        "UPDATE requests SET payload = ?, previous_payload = ?, version = version + 1, title = ?,"
        " location = ?, apply_domain = ?, screening = 'pending',"
        " contact_id = COALESCE(?, contact_id), requested_at = COALESCE(?, requested_at),"
        " updated_at = ?, state = ?,"
        " hold_follow_up_at = CASE WHEN ? THEN NULL ELSE hold_follow_up_at END,"
        " hold_expires_at = CASE WHEN ? THEN NULL ELSE hold_expires_at END,"
        " hold_reminded_at = CASE WHEN ? THEN NULL ELSE hold_reminded_at END"
        " WHERE id = ?",
        (
            item.payload,
            existing["payload"],
            item.title,
            item.location,
            item.apply_domain,
            contact_id,
            item.requested_at,
            stamp,
            new_state.value,
            reopen,
            reopen,
            reopen,
            request_id,
        ),
    )
    if kind is Kind.EMPLOYER and reopen:
        conn.execute(
            "UPDATE employers SET status = 'pending', updated_at = ? WHERE id = ?",
            (stamp, employer_id),
        )
    audit_id = insert_audit(
        conn,
        request_id=request_id,
        employer_id=employer_id,
        action="resubmitted" if current is State.DECLINED else "updated",
        from_state=current.value,
        to_state=new_state.value,
        actor=PLATFORM_ACTOR,
        via=Via.API,
        at=now,
        details={
            "changes": [
                {"field": c.field, "before": c.before, "after": c.after} for c in changes[:50]
            ],
            "changed_fields": len(changes),
        },
    )
    if existing["card_ts"] is None:
        return IngestResult(request_id, kind, submission.id, new_state, "updated")
    # the thread says what changed; the screener refreshes the card after screening again
    outbox.enqueue(
        conn,
        lane=card_lane(request_id),
        kind="thread",
        payload={"request_id": request_id, "audit_id": audit_id},
        now=now,
    )
    return IngestResult(request_id, kind, submission.id, new_state, "updated", queued_delivery=True)
