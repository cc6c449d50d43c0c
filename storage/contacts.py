"""SQL for contacts (employers' recruiters): look-ups, and who to reach for outreach by label."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Contact:
    id: int
    upstream_id: str
    name: str | None
    email: str | None
    phone: str | None
    employer_id: int | None
    employer_name: str | None


@dataclass(frozen=True)
class OutreachRow:
    """One contact in an outreach export; `labels` are its own and its employer's."""

    name: str
    email: str
    phone: str
    employer: str
    employer_id: str
    contact_id: str
    labels: tuple[str, ...]


_CONTACT_SELECT = (
    "SELECT c.id, c.upstream_id, c.name, c.email, c.phone, c.employer_id,"
    " e.name AS employer_name FROM contacts c LEFT JOIN employers e ON e.id = c.employer_id"
)


def _contact(row: sqlite3.Row) -> Contact:
    return Contact(
        id=row["id"],
        upstream_id=row["upstream_id"],
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        employer_id=row["employer_id"],
        employer_name=row["employer_name"],
    )


def get_contact(conn: sqlite3.Connection, contact_id: int) -> Contact | None:
    row = conn.execute(_CONTACT_SELECT + " WHERE c.id = ?", (contact_id,)).fetchone()
    return _contact(row) if row else None


def find_contacts(conn: sqlite3.Connection, query: str) -> list[Contact]:
    """By the platform's contact id, else by email address (ignoring case); at most ten."""
    text = query.strip()
    if not text:
        return []
    exact = conn.execute(_CONTACT_SELECT + " WHERE c.upstream_id = ?", (text,)).fetchone()
    if exact is not None:
        return [_contact(exact)]
    rows = conn.execute(
        _CONTACT_SELECT + " WHERE lower(c.email) = lower(?) ORDER BY c.id LIMIT 10", (text,)
    ).fetchall()
    return [_contact(row) for row in rows]


def list_contacts_with_label(conn: sqlite3.Connection, label_id: int) -> list[OutreachRow]:
    """Contacts carrying the label, and every contact of an employer carrying it, once each,
    by employer then name. Their labels: active ones, and this one even when retired."""
    rows = conn.execute(
        """
        WITH chosen AS (
            SELECT contact_id AS id FROM contact_labels WHERE label_id = :label
            UNION
            SELECT c.id FROM contacts c
            JOIN employer_labels x ON x.employer_id = c.employer_id AND x.label_id = :label
        )
        SELECT c.id, c.upstream_id, c.name, c.email, c.phone, c.employer_id,
               e.name AS employer_name, e.upstream_id AS employer_upstream
        FROM chosen JOIN contacts c ON c.id = chosen.id
        LEFT JOIN employers e ON e.id = c.employer_id
        ORDER BY e.name COLLATE NOCASE, c.name COLLATE NOCASE, c.id
        """,
        {"label": label_id},
    ).fetchall()
    shown = "(l.retired = 0 OR l.id = :label)"
    by_contact: dict[int, set[str]] = defaultdict(set)
    for row in conn.execute(
        "SELECT x.contact_id, l.name FROM contact_labels x JOIN labels l ON l.id = x.label_id"
        f" WHERE {shown}",
        {"label": label_id},
    ):
        by_contact[row[0]].add(row[1])
    by_employer: dict[int, set[str]] = defaultdict(set)
    for row in conn.execute(
        "SELECT x.employer_id, l.name FROM employer_labels x JOIN labels l ON l.id = x.label_id"
        f" WHERE {shown}",
        {"label": label_id},
    ):
        by_employer[row[0]].add(row[1])
    return [
        OutreachRow(
            name=row["name"] or "",
            email=row["email"] or "",
            phone=row["phone"] or "",
            employer=row["employer_name"] or "",
            employer_id=row["employer_upstream"] or "",
            contact_id=row["upstream_id"],
            labels=tuple(
                sorted(
                    by_contact[row["id"]] | by_employer.get(row["employer_id"], set()),
                    key=str.casefold,
                )
            ),
        )
        for row in rows
    ]
