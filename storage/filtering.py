"""SQL for filters: a Filter as a parameterized WHERE clause over requests `r` (employer and
label terms are subqueries that run once), and the counts and queue lines that use it."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock import from_db, to_db
from bot.filters import Choice, Filter, RiskLevel
from bot.models import Kind, State
from bot.searches import QueueItem

FROM = "FROM requests r JOIN employers e ON e.id = r.employer_id"
ORDER = "ORDER BY r.received_at, r.id"
_LABELLED = (
    "(r.employer_id IN (SELECT x.employer_id FROM employer_labels x JOIN labels l"
    " ON l.id = x.label_id WHERE l.name = ? AND l.retired = 0)"
    " OR r.contact_id IN (SELECT x.contact_id FROM contact_labels x JOIN labels l"
    " ON l.id = x.label_id WHERE l.name = ? AND l.retired = 0))"
)
_NAMED = "(SELECT id FROM employers WHERE name LIKE ? ESCAPE '\\')"


@dataclass(frozen=True)
class Where:
    """A WHERE clause (without the keyword) and its parameters, in order."""

    sql: str
    params: tuple[object, ...]

    def also(self, sql: str, *params: object) -> Where:
        return Where(f"{self.sql} AND {sql}", (*self.params, *params))


def like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere (ESCAPE '\\'); ASCII letters ignore case."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _marks(count: int) -> str:
    return ",".join("?" for _ in range(count))


def _yes_no(choice: Choice | None, yes: str, no: str) -> str | None:
    if choice is Choice.YES:
        return yes
    if choice is Choice.NO:
        return no
    return None


def filter_where(f: Filter, now: datetime, *, states: Sequence[State] | None = None) -> Where:
    """Every term of `f` as SQL over `r`; `states` (when given) replaces the filter's own."""
    chosen = tuple(f.states if states is None else states)
    parts = [f"r.state IN ({_marks(len(chosen))})" if chosen else "0"]
    params: list[object] = [s.value for s in chosen]
    if f.kind is not None:
        parts.append("r.kind = ?")
        params.append(f.kind.value)
    employer = _employer_terms(f)
    if employer is not None:
        parts.append(f"r.employer_id IN (SELECT id FROM employers WHERE {employer.sql})")
        params += employer.params
    if f.location is not None:
        parts.append("r.location LIKE ? ESCAPE '\\'")
        params.append(like(f.location))
    for label in f.labels:
        parts.append(_LABELLED)
        params += [label, label]
    if f.older_than is not None:
        parts.append("r.received_at <= ?")
        params.append(to_db(now - f.older_than.delta))
    if f.newer_than is not None:
        parts.append("r.received_at > ?")
        params.append(to_db(now - f.newer_than.delta))
    if f.risk is not None:
        levels = [r.value for r in f.risk if r is not RiskLevel.NONE]
        either = [f"r.risk_level IN ({_marks(len(levels))})"] if levels else []
        if RiskLevel.NONE in f.risk:
            either.append("r.risk_level IS NULL")
        parts.append("(" + " OR ".join(either) + ")")
        params += levels
    for choice, yes, no in (
        (f.flagged, "r.flagged_by IS NOT NULL", "r.flagged_by IS NULL"),
        (f.duplicate, "r.duplicate_of IS NOT NULL", "r.duplicate_of IS NULL"),
    ):
        term = _yes_no(choice, yes, no)
        if term is not None:
            parts.append(term)
    if f.ids is not None:
        parts.append(f"r.id IN ({_marks(len(f.ids))})")
        params += list(f.ids)
    for word in f.words:
        parts.append(f"(r.title LIKE ? ESCAPE '\\' OR r.employer_id IN {_NAMED})")
        params += [like(word), like(word)]
    return Where(" AND ".join(parts), tuple(params))


def _employer_terms(f: Filter) -> Where | None:
    """The terms about the employer, over `employers` alone."""
    parts: list[str] = []
    params: list[object] = []
    if f.employer is not None:
        parts.append("(name LIKE ? ESCAPE '\\' OR upstream_id = ?)")
        params += [like(f.employer), f.employer]
    if f.industry is not None:
        parts.append("industry LIKE ? ESCAPE '\\'")
        params.append(like(f.industry))
    if f.size is not None:
        parts.append("size = ? COLLATE NOCASE")
        params.append(f.size)
    trusted = _yes_no(f.trusted, "trusted = 1", "trusted = 0")
    if trusted is not None:
        parts.append(trusted)
    return Where(" AND ".join(parts), tuple(params)) if parts else None


QUEUE_COLUMNS = (
    "r.id, r.kind, r.upstream_id, r.title, e.name AS employer_name, r.state, r.risk_level,"
    " r.received_at, r.card_permalink, r.flagged_by, r.duplicate_of"
)


def queue_item(row: sqlite3.Row) -> QueueItem:
    return QueueItem(
        request_id=row["id"],
        kind=Kind(row["kind"]),
        upstream_id=row["upstream_id"],
        title=row["title"],
        employer_name=row["employer_name"],
        state=State(row["state"]),
        risk_level=row["risk_level"],
        received_at=from_db(row["received_at"]),
        permalink=row["card_permalink"],
        flagged=row["flagged_by"] is not None,
        duplicate=row["duplicate_of"] is not None,
    )


def count_where(conn: sqlite3.Connection, where: Where) -> int:
    """How many requests match (a filter's clause names only `r`: no join needed)."""
    sql = f"SELECT COUNT(*) FROM requests r WHERE {where.sql}"
    return int(conn.execute(sql, where.params).fetchone()[0])


def list_where(
    conn: sqlite3.Connection, where: Where, *, limit: int, offset: int = 0
) -> list[QueueItem]:
    rows = conn.execute(
        f"SELECT {QUEUE_COLUMNS} {FROM} WHERE {where.sql} {ORDER} LIMIT ? OFFSET ?",
        (*where.params, limit, offset),
    ).fetchall()
    return [queue_item(row) for row in rows]


def count_matching(conn: sqlite3.Connection, f: Filter, now: datetime) -> int:
    """How many requests match `f` now."""
    return count_where(conn, filter_where(f, now))


def list_matching(
    conn: sqlite3.Connection, f: Filter, now: datetime, *, limit: int, offset: int = 0
) -> list[QueueItem]:
    """Matching requests, oldest first, with their cards' permalinks."""
    return list_where(conn, filter_where(f, now), limit=limit, offset=offset)
