"""SQL for screening results: signals, duplicates, text bands, URL checks, auto-approval."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot import duplicates
from bot.auto_approval import JobFacts, auto_approval
from bot.clock import to_db
from bot.models import AUTO_ACTOR, EmployerStatus, Kind, ReviewRequest, State, Via
from bot.screening import (
    Severity,
    Signal,
    highest_severity,
    screen_employer,
    screen_job,
    urls_to_check,
)
from bot.submissions import EmployerSubmission, JobSubmission
from storage import outbox
from storage.audit import insert_audit, load_workspace_settings
from storage.decisions import record_outcome
from storage.outbox import card_lane
from storage.rows import REQUEST_SELECT, get_request, request_from_row

URL_CHECK_PENDING = {"state": "pending"}
URL_CHECK_OFF = {"state": "off"}


@dataclass(frozen=True)
class ScreeningInput:
    request: ReviewRequest
    employer_website: str | None


@dataclass(frozen=True)
class LocalScreening:
    """What was computed without the network for one version of one request."""

    request_id: int
    version: int
    signals: tuple[Signal, ...]
    title_key: str | None = None
    fingerprint: bytes | None = None
    bands: tuple[str, ...] = ()
    duplicate_of: int | None = None
    duplicate_similarity: float | None = None
    urls: tuple[str, ...] = ()


@dataclass(frozen=True)
class UrlScreening:
    request_id: int
    version: int
    checks: dict[str, Any]
    signals: tuple[Signal, ...]


def signal_to_json(signal: Signal) -> dict[str, str]:
    return {
        "rule_id": signal.rule_id,
        "severity": signal.severity.value,
        "evidence": signal.evidence,
        "explanation": signal.explanation,
    }


def signal_from_json(data: dict[str, Any]) -> Signal:
    return Signal(
        rule_id=str(data["rule_id"]),
        severity=Severity(data["severity"]),
        evidence=str(data.get("evidence", "")),
        explanation=str(data.get("explanation", "")),
    )


def load_signals(text: str | None) -> list[Signal]:
    return [signal_from_json(item) for item in json.loads(text or "[]")]


def list_pending_screening(
    conn: sqlite3.Connection, limit: int, stage: str = "pending"
) -> list[ScreeningInput]:
    """Requests waiting for local screening ('pending') or for their URL check ('urls')."""
    rows = conn.execute(
        # the second condition lets SQLite use the partial index of unscreened requests
        REQUEST_SELECT + " WHERE r.screening = ? AND r.screening != 'done' ORDER BY r.id LIMIT ?",
        (stage, limit),
    ).fetchall()
    return [ScreeningInput(request_from_row(row), row["e_website"]) for row in rows]


def duplicate_candidates(
    conn: sqlite3.Connection,
    *,
    employer_id: int,
    title_key: str,
    exclude_id: int,
    approved_since: datetime,
) -> list[tuple[int, bytes | None, str | None, str]]:
    """The employer's pending, held and recently approved jobs with the same title key,
    oldest first: (id, fingerprint, description, title)."""
    rows = conn.execute(
        """
        SELECT id, fingerprint, json_extract(payload, '$.description') AS description, title
        FROM requests
        WHERE kind = 'job' AND employer_id = ? AND title_key = ? AND id != ?
          AND (state IN ('pending', 'on_hold') OR (state = 'approved' AND decided_at >= ?))
        ORDER BY id
        """,
        (employer_id, title_key, exclude_id, to_db(approved_since)),
    ).fetchall()
    return [(r["id"], r["fingerprint"], r["description"], r["title"]) for r in rows]


def _manual_signals(conn: sqlite3.Connection, request_id: int) -> list[Signal]:
    row = conn.execute(
        "SELECT flagged_by, flag_reason FROM requests WHERE id = ?", (request_id,)
    ).fetchone()
    return _flag_signals(row) if row else []


def _flag_signals(row: sqlite3.Row) -> list[Signal]:
    """A reviewer's flag as a signal (`row` holds flagged_by and flag_reason)."""
    if not row["flagged_by"]:
        return []
    return [
        Signal(
            "flagged_by_hand",
            Severity.HIGH,
            evidence=row["flag_reason"] or "",
            explanation="a reviewer flagged it as suspicious",
        )
    ]


def _signal_columns(signals: list[Signal]) -> tuple[str, str | None]:
    """(signals, risk_level) as stored."""
    level = highest_severity(signals)
    return json.dumps([signal_to_json(s) for s in signals]), level.value if level else None


def _store_signals(conn: sqlite3.Connection, request_id: int, signals: list[Signal]) -> None:
    conn.execute(
        "UPDATE requests SET signals = ?, risk_level = ? WHERE id = ?",
        (*_signal_columns(signals), request_id),
    )


def save_local_screening(
    conn: sqlite3.Connection, result: LocalScreening, now: datetime, *, url_check: bool
) -> bool:
    # url_check: a URL reputation check follows (Web Risk configured); else it is off
    """Store what was found; False (nothing stored) when the request changed meanwhile.
    The card is posted now, unless an auto-approval waits for the URL check.
    The screener saves every request it screens, so this reads the row once and writes it
    once (the writer's time per request roughly halved, see bench/README.md)."""
    request_id = result.request_id
    # not the whole request: its payload is read only for an auto-approval
    row = conn.execute(
        "SELECT r.version, r.screening, r.kind, r.state, r.flagged_by, r.flag_reason, e.trusted"
        " FROM requests r JOIN employers e ON e.id = r.employer_id WHERE r.id = ?",
        (request_id,),
    ).fetchone()
    if row is None or row["version"] != result.version or row["screening"] != "pending":
        return False  # changed since, or already screened by another worker
    auto_candidate = _auto_candidate(Kind(row["kind"]), State(row["state"]), bool(row["trusted"]))
    conn.execute(
        "UPDATE requests SET title_key = ?, fingerprint = ?, duplicate_of = ?,"
        " duplicate_similarity = ?, url_checks = ?, screening = ?, signals = ?, risk_level = ?,"
        " auto_note = iif(?, auto_note, NULL) WHERE id = ?",
        (
            result.title_key,
            result.fingerprint,
            result.duplicate_of,
            result.duplicate_similarity,
            json.dumps(URL_CHECK_PENDING if url_check else URL_CHECK_OFF),
            "urls" if url_check else "done",
            *_signal_columns([*result.signals, *_flag_signals(row)]),
            # a non-candidate settled now has no auto-approval note
            url_check or auto_candidate,
            request_id,
        ),
    )
    conn.execute("DELETE FROM text_bands WHERE request_id = ?", (request_id,))
    conn.executemany(
        "INSERT OR IGNORE INTO text_bands (band_key, request_id) VALUES (?, ?)",
        [(band, request_id) for band in result.bands],
    )
    if auto_candidate and not url_check:
        request = get_request(conn, request_id)
        assert request is not None  # read above, in this transaction
        _settle_auto_approval(conn, request, now, url_check_failed=False)
    if not (auto_candidate and url_check):  # else the URL check's save posts the card
        outbox.enqueue_card(conn, request_id, now)
    return True


def save_url_screening(conn: sqlite3.Connection, result: UrlScreening, now: datetime) -> bool:
    """Store the URL reputation verdicts; decide auto-approval; refresh (or first post) the card."""
    row = conn.execute(REQUEST_SELECT + " WHERE r.id = ?", (result.request_id,)).fetchone()
    if row is None or row["version"] != result.version or row["screening"] != "urls":
        return False
    auto_candidate = _auto_candidate(Kind(row["kind"]), State(row["state"]), bool(row["e_trusted"]))
    kept = [s for s in load_signals(row["signals"]) if s.rule_id != "unsafe_url"]
    conn.execute(
        "UPDATE requests SET signals = ?, risk_level = ?, url_checks = ?, screening = 'done',"
        " auto_note = iif(?, auto_note, NULL) WHERE id = ?",
        (
            *_signal_columns([*kept, *result.signals]),
            json.dumps(result.checks),
            auto_candidate,  # settled below; no note for anything else
            result.request_id,
        ),
    )
    if auto_candidate:
        _settle_auto_approval(
            conn,
            request_from_row(row),  # the UPDATE left its fields as they were
            now,
            url_check_failed=bool(result.checks.get("failed")),
        )
    outbox.enqueue_card(conn, result.request_id, now)
    return True


def count_unscreened(conn: sqlite3.Connection) -> int:
    return int(
        conn.execute("SELECT COUNT(*) FROM requests WHERE screening != 'done'").fetchone()[0]
    )


def _auto_candidate(kind: Kind, state: State, employer_trusted: bool) -> bool:
    """Whether auto-approval applies at all: a pending job of a trusted employer."""
    return kind is Kind.JOB and state is State.PENDING and employer_trusted


def job_facts(
    conn: sqlite3.Connection, request: ReviewRequest, *, url_check_failed: bool
) -> JobFacts:
    row = conn.execute(
        "SELECT r.signals, r.flagged_by, d.title AS duplicate_title FROM requests r"
        " LEFT JOIN requests d ON d.id = r.duplicate_of WHERE r.id = ?",
        (request.id,),
    ).fetchone()
    earlier = conn.execute(
        "SELECT COUNT(*) FROM requests WHERE kind = 'job' AND employer_id = ? AND id < ?",
        (request.employer.id, request.id),
    ).fetchone()[0]
    settings = load_workspace_settings(conn)
    return JobFacts(
        employer_trusted=request.employer.trusted,
        employer_status=request.employer.status,
        duplicate_of_title=row["duplicate_title"],
        signals=[s for s in load_signals(row["signals"]) if s.rule_id != "flagged_by_hand"],
        flagged_by_hand=bool(row["flagged_by"]),
        earlier_jobs_here=int(earlier),
        first_job_needs_review=settings.first_job_needs_review,
        url_check_failed=url_check_failed,
    )


def _settle_auto_approval(
    conn: sqlite3.Connection, request: ReviewRequest, now: datetime, *, url_check_failed: bool
) -> None:
    """Approve a candidate (see `_auto_candidate`) automatically, or note why not."""
    verdict = auto_approval(job_facts(conn, request, url_check_failed=url_check_failed))
    conn.execute(
        "UPDATE requests SET auto_note = ? WHERE id = ?", (verdict.because or None, request.id)
    )
    if verdict.approve:
        record_outcome(
            conn,
            request,
            State.APPROVED,
            AUTO_ACTOR,
            Via.AUTO,
            now,
            settings=load_workspace_settings(conn),
            details={"because": verdict.because},
        )


def set_flag(
    conn: sqlite3.Connection, request_id: int, *, actor: str, reason: str, via: Via, now: datetime
) -> ReviewRequest | None:
    """A person flags a request as suspicious: a high signal, never auto-approved."""
    request = get_request(conn, request_id)
    if request is None:
        return None
    conn.execute(
        "UPDATE requests SET flagged_by = ?, flagged_at = ?, flag_reason = ? WHERE id = ?",
        (actor, to_db(now), reason, request_id),
    )
    existing = conn.execute("SELECT signals FROM requests WHERE id = ?", (request_id,)).fetchone()
    kept = [s for s in load_signals(existing["signals"]) if s.rule_id != "flagged_by_hand"]
    _store_signals(conn, request_id, [*kept, *_manual_signals(conn, request_id)])
    audit_id = insert_audit(
        conn,
        request_id=request_id,
        employer_id=request.employer.id,
        action="flagged",
        actor=actor,
        via=via,
        at=now,
        note=reason or None,
    )
    lane = card_lane(request_id)
    outbox.enqueue_card(conn, request_id, now)
    outbox.enqueue(
        conn,
        lane=lane,
        kind="thread",
        payload={"request_id": request_id, "audit_id": audit_id},
        now=now,
    )
    return get_request(conn, request_id)


def set_trusted(
    conn: sqlite3.Connection,
    employer_id: int,
    *,
    trusted: bool,
    actor: str,
    via: Via,
    now: datetime,
) -> str | None:
    """Mark an approved employer trusted (or not); returns why not, or None when done."""
    row = conn.execute(
        "SELECT status, trusted FROM employers WHERE id = ?", (employer_id,)
    ).fetchone()
    if row is None:
        return "no such employer"
    if trusted and row["status"] != EmployerStatus.APPROVED.value:
        return f"only approved employers can be trusted (this one is {row['status']})"
    if bool(row["trusted"]) == trusted:
        return "it is already trusted" if trusted else "it is not trusted"
    conn.execute(
        "UPDATE employers SET trusted = ?, trusted_by = ?, trusted_at = ?, updated_at = ?"
        " WHERE id = ?",
        (
            int(trusted),
            actor if trusted else None,
            to_db(now) if trusted else None,
            to_db(now),
            employer_id,
        ),
    )
    insert_audit(
        conn,
        request_id=None,
        employer_id=employer_id,
        action="trusted" if trusted else "untrusted",
        actor=actor,
        via=via,
        at=now,
    )
    # the employer's open cards show the change
    for (request_id,) in conn.execute(
        "SELECT id FROM requests WHERE employer_id = ? AND card_ts IS NOT NULL"
        " AND state IN ('pending', 'on_hold')",
        (employer_id,),
    ).fetchall():
        outbox.enqueue_card(conn, request_id, now)
    return None


def recently_approved_since(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def screen_pending(
    conn: sqlite3.Connection, *, limit: int, stage: str, now: datetime, url_check: bool
) -> list[LocalScreening]:
    """Read up to `limit` requests waiting at `stage` and screen them, on one read connection
    (the screening worker's own, so the bot neither reads nor ships them)."""
    return compute_local_screening(
        conn, list_pending_screening(conn, limit, stage), now, url_check=url_check
    )


def compute_local_screening(
    conn: sqlite3.Connection, inputs: list[ScreeningInput], now: datetime, *, url_check: bool
) -> list[LocalScreening]:
    """Screen a batch (CPU work, on a read connection's thread): rules, fingerprint, LSH bands,
    and the duplicate check against stored jobs and the batch's earlier jobs."""
    settings = load_workspace_settings(conn)
    since = recently_approved_since(now, settings.duplicate_window_days)
    earlier_in_batch: list[tuple[int, int, duplicates.Fingerprint, str | None, str]] = []
    results = []
    for item in inputs:
        request = item.request
        submission = request.submission
        if isinstance(submission, EmployerSubmission):
            results.append(
                LocalScreening(
                    request.id,
                    request.version,
                    tuple(screen_employer(submission)),
                    urls=tuple(urls_to_check(submission)) if url_check else (),
                )
            )
            continue
        assert isinstance(submission, JobSubmission)
        signals = tuple(screen_job(submission, employer_website=item.employer_website))
        fp = duplicates.fingerprint(submission.title, submission.description)
        stored = duplicate_candidates(
            conn,
            employer_id=request.employer.id,
            title_key=fp.title_key,
            exclude_id=request.id,
            approved_since=since,
        )
        candidates: list[tuple[int, bytes | duplicates.Fingerprint, str | None]] = [
            (row_id, blob or b"", description) for row_id, blob, description, _ in stored
        ]
        candidates += [
            (other_id, other_fp, description)
            for other_id, employer_id, other_fp, description, _ in earlier_in_batch
            if employer_id == request.employer.id and other_fp.title_key == fp.title_key
        ]
        match = duplicates.find_original(fp, candidates)
        results.append(
            LocalScreening(
                request.id,
                request.version,
                signals,
                title_key=fp.title_key,
                fingerprint=fp.to_bytes(),
                bands=tuple(duplicates.lsh_bands(fp)),
                duplicate_of=match[0] if match else None,
                duplicate_similarity=match[1].similarity if match else None,
                urls=tuple(urls_to_check(submission, item.employer_website)) if url_check else (),
            )
        )
        earlier_in_batch.append(
            (request.id, request.employer.id, fp, submission.description, submission.title)
        )
    return results
