"""Rows to domain models, and the SELECTs that feed them."""

from __future__ import annotations

import json
import sqlite3

from bot.clock import from_db
from bot.models import (
    AuditEntry,
    DeclineReason,
    EmployerRecord,
    EmployerStatus,
    Kind,
    ReasonRef,
    ReviewRequest,
    State,
    Via,
)
from bot.submissions import EmployerSubmission, JobSubmission

REQUEST_SELECT = """
SELECT r.*, e.upstream_id AS e_upstream_id, e.name AS e_name, e.status AS e_status,
       e.trusted AS e_trusted, e.website AS e_website
FROM requests r JOIN employers e ON e.id = r.employer_id
"""


def _maybe_time(text: str | None):  # type: ignore[no-untyped-def]
    return from_db(text) if text else None


def employer_from_row(row: sqlite3.Row) -> EmployerRecord:
    return EmployerRecord(
        id=row["id"],
        upstream_id=row["upstream_id"],
        name=row["name"],
        status=EmployerStatus(row["status"]),
        trusted=bool(row["trusted"]),
        website=row["website"],
    )


def request_from_row(row: sqlite3.Row, *, known: ReviewRequest | None = None) -> ReviewRequest:
    """`known`: the same request read earlier in this transaction; its parsed submission is
    reused when the version (bumped by every payload change) is still the same."""
    kind = Kind(row["kind"])
    model = EmployerSubmission if kind is Kind.EMPLOYER else JobSubmission
    if known is not None and known.id == row["id"] and known.version == row["version"]:
        submission = known.submission
    else:
        submission = model.model_validate_json(row["payload"])
    return ReviewRequest(
        id=row["id"],
        kind=kind,
        upstream_id=row["upstream_id"],
        state=State(row["state"]),
        title=row["title"],
        employer=EmployerRecord(
            id=row["employer_id"],
            upstream_id=row["e_upstream_id"],
            name=row["e_name"],
            status=EmployerStatus(row["e_status"]),
            trusted=bool(row["e_trusted"]),
            website=row["e_website"],
        ),
        submission=submission,
        version=row["version"],
        received_at=from_db(row["received_at"]),
        updated_at=from_db(row["updated_at"]),
        requested_at=_maybe_time(row["requested_at"]),
        decided_at=_maybe_time(row["decided_at"]),
        decided_by=row["decided_by"],
        decided_via=Via(row["decided_via"]) if row["decided_via"] else None,
        hold_question=row["hold_question"],
        hold_follow_up_at=_maybe_time(row["hold_follow_up_at"]),
        hold_expires_at=_maybe_time(row["hold_expires_at"]),
        card_channel=row["card_channel"],
        card_ts=row["card_ts"],
    )


def audit_from_row(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        request_id=row["request_id"],
        action=row["action"],
        from_state=row["from_state"],
        to_state=row["to_state"],
        actor=row["actor"],
        via=Via(row["via"]),
        reasons=[ReasonRef(**r) for r in json.loads(row["reasons"])],
        message=row["message"],
        note=row["note"],
        details=json.loads(row["details"]),
        at=from_db(row["at"]),
    )


def reason_from_row(row: sqlite3.Row) -> DeclineReason:
    return DeclineReason(
        code=row["code"], label=row["label"], message=row["message"], retired=bool(row["retired"])
    )


class RequestNotFound(LookupError):
    """No request with this id (a stale card, a restored database, a forged payload)."""


def get_request(
    conn: sqlite3.Connection, request_id: int, *, known: ReviewRequest | None = None
) -> ReviewRequest | None:
    row = conn.execute(REQUEST_SELECT + " WHERE r.id = ?", (request_id,)).fetchone()
    return request_from_row(row, known=known) if row else None
