"""SQL for App Home: queue counts, my assigned requests, my recent decisions, flagged requests
and trusted employers. Aggregates and short lists only; the queue is never loaded."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_db, to_db
from storage.digest import FLAGGED

LISTED = 10  # items per list on the Home; the rest is a count
DECISION_ACTIONS = ("approved", "declined", "on_hold", "reverted")


@dataclass(frozen=True)
class QueueCount:
    kind: str
    state: str
    count: int


@dataclass(frozen=True)
class HomeItem:
    """One request listed on the Home, with a link to its card when it has one."""

    request_id: int
    kind: str
    title: str
    employer: str
    state: str
    received_at: datetime
    permalink: str | None
    flag_reason: str | None = None


@dataclass(frozen=True)
class MyDecision:
    request_id: int
    kind: str
    title: str
    action: str
    at: datetime
    permalink: str | None


@dataclass(frozen=True)
class HomeFacts:
    counts: tuple[QueueCount, ...]
    over_sla: int
    unassigned: int
    flagged_pending: int
    assigned: tuple[HomeItem, ...]
    assigned_total: int
    recent: tuple[MyDecision, ...]
    flagged: tuple[HomeItem, ...]


@dataclass(frozen=True)
class TrustedEmployer:
    id: int
    upstream_id: str
    name: str
    trusted_by: str | None
    trusted_at: datetime | None


_ITEM = """
SELECT r.id, r.kind, r.title, r.state, r.received_at, r.card_permalink, r.flag_reason,
       (SELECT name FROM employers WHERE id = r.employer_id) AS employer
FROM requests r
"""


def _item(row: sqlite3.Row) -> HomeItem:
    return HomeItem(
        request_id=row["id"],
        kind=row["kind"],
        title=row["title"],
        employer=row["employer"] or "",
        state=row["state"],
        received_at=from_db(row["received_at"]),
        permalink=row["card_permalink"],
        flag_reason=row["flag_reason"],
    )


def queue_counts(
    conn: sqlite3.Connection, sla_cutoff: datetime
) -> tuple[list[QueueCount], int, int]:
    """Requests by kind and state, and the pending ones over the SLA and flagged."""
    rows = conn.execute(
        f"""
        SELECT r.kind, r.state, COUNT(*) AS n,
               SUM(r.state = 'pending' AND r.received_at < ?) AS over_sla,
               SUM(r.state = 'pending' AND {FLAGGED}) AS flagged
        FROM requests r GROUP BY r.kind, r.state ORDER BY r.kind, r.state
        """,
        (to_db(sla_cutoff),),
    ).fetchall()
    counts = [QueueCount(r["kind"], r["state"], int(r["n"])) for r in rows]
    return counts, sum(r["over_sla"] or 0 for r in rows), sum(r["flagged"] or 0 for r in rows)


def home_facts(conn: sqlite3.Connection, user: str, sla_cutoff: datetime) -> HomeFacts:
    counts, over_sla, flagged_pending = queue_counts(conn, sla_cutoff)
    unassigned = conn.execute(
        "SELECT COUNT(*) FROM requests WHERE assignee IS NULL AND state = 'pending'"
    ).fetchone()[0]
    mine = "r.assignee = ? AND r.state IN ('pending', 'on_hold')"
    assigned = conn.execute(
        f"{_ITEM} WHERE {mine} ORDER BY r.received_at, r.id LIMIT ?", (user, LISTED)
    ).fetchall()
    assigned_total = conn.execute(
        f"SELECT COUNT(*) FROM requests r WHERE {mine}", (user,)
    ).fetchone()[0]
    recent = conn.execute(
        f"""
        SELECT a.request_id, a.action, a.at, r.kind, r.title, r.card_permalink
        FROM audit a JOIN requests r ON r.id = a.request_id
        WHERE a.actor = ? AND a.action IN ({",".join("?" * len(DECISION_ACTIONS))})
        ORDER BY a.at DESC, a.id DESC LIMIT ?
        """,
        (user, *DECISION_ACTIONS, LISTED),
    ).fetchall()
    flagged = conn.execute(
        f"{_ITEM} INDEXED BY requests_age WHERE r.state = 'pending' AND {FLAGGED}"
        " ORDER BY r.received_at LIMIT ?",
        (LISTED,),
    ).fetchall()
    return HomeFacts(
        counts=tuple(counts),
        over_sla=over_sla,
        unassigned=int(unassigned),
        flagged_pending=flagged_pending,
        assigned=tuple(_item(r) for r in assigned),
        assigned_total=int(assigned_total),
        recent=tuple(
            MyDecision(
                request_id=r["request_id"],
                kind=r["kind"],
                title=r["title"],
                action=r["action"],
                at=from_db(r["at"]),
                permalink=r["card_permalink"],
            )
            for r in recent
        ),
        flagged=tuple(_item(r) for r in flagged),
    )


def trusted_employers(
    conn: sqlite3.Connection, limit: int = LISTED
) -> tuple[list[TrustedEmployer], int]:
    """The first `limit` trusted employers by name, and how many there are."""
    rows = conn.execute(
        "SELECT id, upstream_id, name, trusted_by, trusted_at FROM employers"
        " WHERE trusted = 1 ORDER BY name COLLATE NOCASE, id LIMIT ?",
        (limit,),
    ).fetchall()
    total = conn.execute("SELECT COUNT(*) FROM employers WHERE trusted = 1").fetchone()[0]
    employers = [
        TrustedEmployer(
            id=r["id"],
            upstream_id=r["upstream_id"],
            name=r["name"],
            trusted_by=r["trusted_by"],
            trusted_at=from_db(r["trusted_at"]) if r["trusted_at"] else None,
        )
        for r in rows
    ]
    return employers, int(total)
