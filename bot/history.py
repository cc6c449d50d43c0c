"""A request's history in time order: decisions, holds, undos, employer edits, notes, flags
and reports, with who and when (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.models import AuditEntry, Note, State

# what the actor did: each reads after who did it ("the platform sent the request")
WORDS = {
    "received": "sent the request",
    "updated": "sent the employer's edits",
    "resubmitted": "sent the employer's new version after the decline",
    "approved": "approved",
    "declined": "declined",
    "on_hold": "put on hold",
    "reverted": "undid the decision",
    "hold_reminder": "reminded the employer of the hold question",
    "hold_expired": "expired the hold; back to pending",
    "flagged": "flagged it as suspicious",
    "reported": "reported it to trust & safety",
    "removed": "removed it (trust & safety)",
    "assigned": "took the request",
    "posted_on_behalf": "posted this job on behalf of the employer",
    "unassigned": "released the request",
}
HIDDEN = frozenset({"refused"})


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str
    what: str
    detail: str | None = None
    kind: str = "event"  # event | note


def describe_entry(entry: AuditEntry, *, internal: bool = True) -> HistoryEntry:
    """One audit entry in words; `internal=False` leaves out the internal note."""
    what = WORDS.get(entry.action, entry.action.replace("_", " "))
    if entry.action == "hold_expired" and entry.to_state == State.EXPIRED.value:
        what = "closed the request when its hold expired"
    details: list[str] = []
    if entry.reasons:
        details.append("reasons: " + ", ".join(r.label for r in entry.reasons))
    if entry.message:
        details.append(f"to the employer: {entry.message}")
    if entry.note and internal:
        details.append(f"note: {entry.note}")
    changes = entry.details.get("changes")
    if changes:
        details.append("changed: " + ", ".join(str(c.get("field")) for c in changes[:10]))
    because = entry.details.get("because")
    if because:
        details.append(str(because))
    return HistoryEntry(entry.at, entry.actor, what, "; ".join(details) or None)


def timeline(
    audit: list[AuditEntry], notes: list[Note], *, internal: bool = True
) -> list[HistoryEntry]:
    """Audit entries and notes merged in time order (`internal=False`: for the platform)."""
    entries = [describe_entry(e, internal=internal) for e in audit if e.action not in HIDDEN]
    for note in notes:
        edited = " (edited)" if note.edited_at else ""
        entries.append(
            HistoryEntry(note.created_at, note.author, f"wrote{edited}", note.text, "note")
        )
    entries.sort(key=lambda e: e.at)
    return entries
