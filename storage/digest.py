"""SQL for the daily digest: aggregates only (the queue is never loaded into Python), and the
exactly-once record of digests sent."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from bot.clock import from_db, to_db
from bot.digest import (
    MAX_AUTO_LISTED,
    MAX_LISTED,
    AutoApproval,
    DigestFacts,
    DigestItem,
    ReviewerTally,
    SearchSection,
)
from bot.filters import FilterError, parse_filter
from bot.models import AUTO_ACTOR
from bot.searches import QueueItem
from storage import outbox
from storage.filtering import count_matching, list_matching
from storage.searches import list_searches

MAX_SECTIONS = 10
LISTED_PER_SECTION = 5


@dataclass(frozen=True)
class DigestWindow:
    """The instants a digest compares against, computed by the caller in local time."""

    now: datetime
    local_date: date
    yesterday_start: datetime
    yesterday_end: datetime
    sla_cutoff: datetime
    expiring_before: datetime
    sla_business_days: int


def last_digest_at(conn: sqlite3.Connection, channel: str) -> datetime | None:
    row = conn.execute(
        "SELECT MAX(created_at) FROM digest_runs WHERE channel = ? AND kind IN ('scheduled', 'forced')",
        (channel,),
    ).fetchone()
    return from_db(row[0]) if row and row[0] else None


FLAGGED = "(r.flagged_by IS NOT NULL OR COALESCE(r.risk_level, '') IN ('medium', 'high'))"


def _oldest(
    conn: sqlite3.Connection, window: DigestWindow, flagged: bool, limit: int
) -> list[DigestItem]:
    """The oldest pending requests that are (or are not) flagged, walking the age index."""
    rows = conn.execute(
        f"""
        SELECT r.id, r.kind, r.title, r.received_at, r.card_permalink,
               (SELECT name FROM employers WHERE id = r.employer_id) AS employer
        FROM requests r INDEXED BY requests_age
        WHERE r.state = 'pending' AND {"" if flagged else "NOT "}{FLAGGED}
        ORDER BY r.received_at
        LIMIT ?
        """,
        (limit,),
    ).fetchall()
    cutoff = window.sla_cutoff
    return [
        DigestItem(
            request_id=r["id"],
            kind=r["kind"],
            title=r["title"],
            employer=r["employer"],
            received_at=from_db(r["received_at"]),
            permalink=r["card_permalink"],
            over_sla=from_db(r["received_at"]) < cutoff,
            flagged=flagged,
        )
        for r in rows
    ]


def listed_items(conn: sqlite3.Connection, window: DigestWindow, limit: int) -> list[DigestItem]:
    """Over the SLA first, then flagged, then oldest. Each class is ordered by age and the
    SLA by age too, so the top `limit` are among the oldest flagged and the oldest others."""
    candidates = _oldest(conn, window, True, limit) + _oldest(conn, window, False, limit)
    candidates.sort(key=lambda i: (not i.over_sla, not i.flagged, i.received_at))
    return candidates[:limit]


def oldest_waiting(conn: sqlite3.Connection, window: DigestWindow) -> DigestItem | None:
    """The oldest pending request, flagged or not (the listing puts flagged ones first, so its
    top items need not hold the oldest)."""
    candidates = _oldest(conn, window, True, 1) + _oldest(conn, window, False, 1)
    return min(candidates, key=lambda i: i.received_at) if candidates else None


def auto_approvals(
    conn: sqlite3.Connection, window: DigestWindow, limit: int
) -> list[AutoApproval]:
    """Yesterday's first `limit` auto-approvals (SPEC 3: they are listed in the digest)."""
    rows = conn.execute(
        """
        SELECT r.id, r.title, r.card_permalink, a.at, e.name AS employer
        FROM audit a INDEXED BY audit_actor
        JOIN requests r ON r.id = a.request_id
        JOIN employers e ON e.id = r.employer_id
        WHERE a.actor = ? AND a.at >= ? AND a.at < ? AND a.action = 'approved'
        ORDER BY a.at, a.id
        LIMIT ?
        """,
        (AUTO_ACTOR, to_db(window.yesterday_start), to_db(window.yesterday_end), limit),
    ).fetchall()
    return [
        AutoApproval(
            request_id=r["id"],
            title=r["title"],
            employer=r["employer"],
            approved_at=from_db(r["at"]),
            permalink=r["card_permalink"],
        )
        for r in rows
    ]


def gather_digest_facts(
    conn: sqlite3.Connection, window: DigestWindow, channel: str
) -> DigestFacts:
    last = last_digest_at(conn, channel)
    since = to_db(last) if last else "0000"
    counts = conn.execute(
        """
        SELECT kind, COUNT(*) AS pending, SUM(received_at > ?) AS new,
               SUM(received_at < ?) AS over_sla,
               SUM(flagged_by IS NOT NULL OR risk_level IN ('medium', 'high')) AS flagged
        FROM requests WHERE state = 'pending' GROUP BY kind
        """,
        (since, to_db(window.sla_cutoff)),
    ).fetchall()
    pending = {r["kind"]: r["pending"] for r in counts}
    holds = conn.execute(
        "SELECT COUNT(*) AS waiting, SUM(hold_expires_at < ?) AS expiring FROM requests"
        " WHERE state = 'on_hold'",
        (to_db(window.expiring_before),),
    ).fetchone()
    tallies = conn.execute(
        """
        SELECT actor, SUM(action = 'approved') AS approved, SUM(action = 'declined') AS declined,
               SUM(action = 'on_hold') AS on_hold
        FROM audit
        WHERE at >= ? AND at < ? AND action IN ('approved', 'declined', 'on_hold')
          AND actor NOT IN (?, 'platform')
        GROUP BY actor ORDER BY COUNT(*) DESC
        """,
        (to_db(window.yesterday_start), to_db(window.yesterday_end), AUTO_ACTOR),
    ).fetchall()
    automatic = conn.execute(
        "SELECT SUM(action = 'approved') AS approved, SUM(action = 'declined') AS declined"
        " FROM audit WHERE at >= ? AND at < ? AND actor = ?",
        (to_db(window.yesterday_start), to_db(window.yesterday_end), AUTO_ACTOR),
    ).fetchone()
    reports = conn.execute("SELECT COUNT(*) FROM reports WHERE status = 'open'").fetchone()[0]
    unassigned = conn.execute(
        "SELECT COUNT(*) FROM requests WHERE state = 'pending' AND assignee IS NULL"
    ).fetchone()[0]
    items = listed_items(conn, window, MAX_LISTED)
    return DigestFacts(
        local_date=window.local_date,
        sla_business_days=window.sla_business_days,
        pending_by_kind=pending,
        new_since_last={r["kind"]: r["new"] or 0 for r in counts},
        last_digest_at=last,
        oldest_waiting=oldest_waiting(conn, window),
        over_sla=sum(r["over_sla"] or 0 for r in counts),
        flagged=sum(r["flagged"] or 0 for r in counts),
        unassigned=int(unassigned),
        holds_waiting=holds["waiting"] or 0,
        holds_expiring=holds["expiring"] or 0,
        yesterday=tuple(
            ReviewerTally(r["actor"], r["approved"] or 0, r["declined"] or 0, r["on_hold"] or 0)
            for r in tallies
        ),
        auto_approved_yesterday=automatic["approved"] or 0,
        auto_declined_yesterday=automatic["declined"] or 0,
        open_reports=int(reports),
        items=tuple(items),
        sections=tuple(search_sections(conn, window)),
        auto_approvals=tuple(auto_approvals(conn, window, MAX_AUTO_LISTED)),
    )


def search_sections(conn: sqlite3.Connection, window: DigestWindow) -> list[SearchSection]:
    """One section per saved search the admins put in the digest: its count and its oldest
    few. A saved filter that no longer parses (the language changed) is left out."""
    sections = []
    for search in list_searches(conn, in_digest=True)[:MAX_SECTIONS]:
        try:
            matching = parse_filter(search.filter_text)
        except FilterError:
            continue
        count = count_matching(conn, matching, window.now)
        listed = list_matching(conn, matching, window.now, limit=LISTED_PER_SECTION)
        items = tuple(_digest_item(q, window) for q in listed)
        sections.append(SearchSection(search.name, search.filter_text, count, items))
    return sections


def _digest_item(item: QueueItem, window: DigestWindow) -> DigestItem:
    return DigestItem(
        request_id=item.request_id,
        kind=item.kind.value,
        title=item.title,
        employer=item.employer_name,
        received_at=item.received_at,
        permalink=item.permalink,
        over_sla=item.state == "pending" and item.received_at < window.sla_cutoff,
        flagged=item.flagged,
    )


def claim_digest(
    conn: sqlite3.Connection,
    *,
    digest_date: date,
    channel: str,
    kind: str,
    due_at: datetime | None,
    now: datetime,
    message: dict[str, object] | None,
    summary: str,
) -> bool:
    """Record today's digest and queue its message in one transaction; False when today's
    scheduled digest (or its skip) is already recorded, by this or any other process."""
    if kind != "forced":
        seen = conn.execute(
            "SELECT 1 FROM digest_runs WHERE digest_date = ? AND channel = ?"
            " AND kind IN ('scheduled', 'skipped', 'quiet')",
            (digest_date.isoformat(), channel),
        ).fetchone()
        if seen:
            return False
    message_id = None
    if message is not None:
        message_id = outbox.enqueue(
            conn,
            lane=outbox.digest_lane(channel),
            kind="message",
            payload={"channel": channel, **message},
            now=now,
        )
    conn.execute(
        "INSERT INTO digest_runs (digest_date, channel, kind, due_at, created_at, message_id, summary)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            digest_date.isoformat(),
            channel,
            kind,
            to_db(due_at) if due_at else None,
            to_db(now),
            message_id,
            summary,
        ),
    )
    return True


def has_digest_history(conn: sqlite3.Connection, channel: str) -> bool:
    """Whether any digest was ever handled for `channel` (sent, quiet, skipped or forced)."""
    row = conn.execute("SELECT 1 FROM digest_runs WHERE channel = ? LIMIT 1", (channel,))
    return row.fetchone() is not None


def digest_sent_on(conn: sqlite3.Connection, digest_date: date, channel: str) -> str | None:
    row = conn.execute(
        "SELECT kind, created_at FROM digest_runs WHERE digest_date = ? AND channel = ?"
        " AND kind IN ('scheduled', 'skipped', 'quiet')",
        (digest_date.isoformat(), channel),
    ).fetchone()
    return f"{row['kind']} at {row['created_at']}" if row else None
