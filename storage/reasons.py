"""SQL for editing the decline reason catalogue: codes stay, labels and messages change, reasons
are added, retired and restored. Decisions keep the label they were taken with."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from bot.models import DeclineReason, Via
from bot.vocabulary import (
    MAX_ACTIVE_REASONS,
    VocabularyError,
    check_reason_code,
    check_reason_label,
    check_reason_message,
)
from storage.audit import insert_audit
from storage.rows import reason_from_row


def get_decline_reason(conn: sqlite3.Connection, code: str) -> DeclineReason | None:
    row = conn.execute("SELECT * FROM decline_reasons WHERE code = ?", (code,)).fetchone()
    return reason_from_row(row) if row else None


def _existing(conn: sqlite3.Connection, code: str) -> DeclineReason:
    reason = get_decline_reason(conn, code)
    if reason is None:
        raise VocabularyError(f"There is no decline reason `{code[:40]}`.")
    return reason


def _label_taken(conn: sqlite3.Connection, label: str, code: str) -> None:
    other = conn.execute(
        "SELECT code FROM decline_reasons WHERE lower(label) = lower(?) AND code != ?",
        (label, code),
    ).fetchone()
    if other is not None:
        raise VocabularyError(f"The reason `{other[0]}` already has the label “{label}”.")


def _active_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM decline_reasons WHERE retired = 0").fetchone()[0])


def _audit(
    conn: sqlite3.Connection,
    change: str,
    before: DeclineReason | None,
    after: DeclineReason,
    *,
    actor: str,
    via: Via,
    now: datetime,
) -> None:
    def shown(reason: DeclineReason | None) -> dict[str, Any] | None:
        return reason.model_dump(exclude={"code"}) if reason else None

    insert_audit(
        conn,
        request_id=None,
        action="reason_changed",
        actor=actor,
        via=via,
        at=now,
        details={
            "code": after.code,
            "change": change,
            "before": shown(before),
            "after": shown(after),
        },
    )


def edit_decline_reason(
    conn: sqlite3.Connection,
    code: str,
    *,
    label: str,
    message: str,
    actor: str,
    via: Via,
    now: datetime,
) -> DeclineReason:
    """New label and employer message for an existing code; decisions taken keep theirs."""
    before = _existing(conn, code)
    after = before.model_copy(
        update={"label": check_reason_label(label), "message": check_reason_message(message)}
    )
    if after == before:
        return before
    _label_taken(conn, after.label, code)
    conn.execute(
        "UPDATE decline_reasons SET label = ?, message = ? WHERE code = ?",
        (after.label, after.message, code),
    )
    _audit(conn, "edited", before, after, actor=actor, via=via, now=now)
    return after


def add_decline_reason(
    conn: sqlite3.Connection,
    code: str,
    *,
    label: str,
    message: str,
    actor: str,
    via: Via,
    now: datetime,
) -> DeclineReason:
    """A new reason at the end of the list."""
    check_reason_code(code)
    if get_decline_reason(conn, code) is not None:
        raise VocabularyError(f"The code `{code}` is taken; codes never change meaning.")
    reason = DeclineReason(
        code=code, label=check_reason_label(label), message=check_reason_message(message)
    )
    _label_taken(conn, reason.label, code)
    if _active_count(conn) >= MAX_ACTIVE_REASONS:
        raise VocabularyError(f"At most {MAX_ACTIVE_REASONS} reasons can be in use; retire one.")
    conn.execute(
        "INSERT INTO decline_reasons (code, label, message, position)"
        " VALUES (?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM decline_reasons))",
        (reason.code, reason.label, reason.message),
    )
    _audit(conn, "added", None, reason, actor=actor, via=via, now=now)
    return reason


def set_decline_reason_retired(
    conn: sqlite3.Connection, code: str, *, retired: bool, actor: str, via: Via, now: datetime
) -> DeclineReason:
    """Retired reasons leave the Decline modal but still name the decisions taken with them."""
    before = _existing(conn, code)
    if before.retired == retired:
        raise VocabularyError(
            f"The reason `{code}` is already {'retired' if retired else 'in use'}."
        )
    active = _active_count(conn)
    if retired and active <= 1:
        raise VocabularyError("The Decline modal needs at least one reason; add another first.")
    if not retired and active >= MAX_ACTIVE_REASONS:
        raise VocabularyError(f"At most {MAX_ACTIVE_REASONS} reasons can be in use; retire one.")
    conn.execute("UPDATE decline_reasons SET retired = ? WHERE code = ?", (int(retired), code))
    after = before.model_copy(update={"retired": retired})
    _audit(conn, "retired" if retired else "restored", before, after, actor=actor, via=via, now=now)
    return after
