"""SQL for labels on employers and contacts: the catalogue, who carries which label, and the
card refreshes a change causes. Every change is audited."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.clock import to_db
from bot.models import EmployerRecord, Via
from bot.vocabulary import VocabularyError, check_label_name
from storage import outbox
from storage.audit import insert_audit
from storage.contacts import Contact, get_contact
from storage.employers import get_employer

Owner = Literal["employer", "contact"]
_TABLES: dict[Owner, tuple[str, str]] = {
    "employer": ("employer_labels", "employer_id"),
    "contact": ("contact_labels", "contact_id"),
}


@dataclass(frozen=True)
class Label:
    id: int
    name: str
    retired: bool
    employers: int = 0
    contacts: int = 0


@dataclass(frozen=True)
class LabelChoices:
    """What the label modal needs: the active labels and who carries which now."""

    labels: tuple[Label, ...]
    employer: EmployerRecord
    employer_labels: frozenset[int]
    contact: Contact | None
    contact_labels: frozenset[int]


@dataclass(frozen=True)
class LabelChange:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


def _label(row: sqlite3.Row) -> Label:
    return Label(row["id"], row["name"], bool(row["retired"]))


def list_labels(conn: sqlite3.Connection, include_retired: bool = False) -> list[Label]:
    """Labels by name, with how many employers and contacts carry each."""
    rows = conn.execute(
        "SELECT l.id, l.name, l.retired,"
        " (SELECT COUNT(*) FROM employer_labels x WHERE x.label_id = l.id) AS employers,"
        " (SELECT COUNT(*) FROM contact_labels x WHERE x.label_id = l.id) AS contacts"
        " FROM labels l" + ("" if include_retired else " WHERE l.retired = 0") + " ORDER BY l.name"
    ).fetchall()
    return [
        Label(r["id"], r["name"], bool(r["retired"]), r["employers"], r["contacts"]) for r in rows
    ]


def find_label(conn: sqlite3.Connection, name: str) -> Label | None:
    """By name, ignoring case; retired labels too."""
    row = conn.execute(
        "SELECT id, name, retired FROM labels WHERE name = ?", (" ".join(name.split()),)
    ).fetchone()
    return _label(row) if row else None


def active_label(conn: sqlite3.Connection, name: str) -> Label:
    label = find_label(conn, name)
    if label is None:
        raise VocabularyError(f"There is no label “{' '.join(name.split())[:60]}”.")
    if label.retired:
        raise VocabularyError(f"The label “{label.name}” is retired.")
    return label


def create_label(
    conn: sqlite3.Connection, name: str, *, actor: str, via: Via, now: datetime
) -> Label:
    clean = check_label_name(name)
    existing = find_label(conn, clean)
    if existing is not None:
        state = "a retired label" if existing.retired else "a label"
        raise VocabularyError(f"There is already {state} called “{existing.name}”.")
    cursor = conn.execute(
        "INSERT INTO labels (name, created_at, created_by) VALUES (?, ?, ?)",
        (clean, to_db(now), actor),
    )
    assert cursor.lastrowid is not None
    insert_audit(
        conn,
        request_id=None,
        action="label_created",
        actor=actor,
        via=via,
        at=now,
        details={"label": clean},
    )
    return Label(cursor.lastrowid, clean, False)


def set_label_retired(
    conn: sqlite3.Connection, name: str, *, retired: bool, actor: str, via: Via, now: datetime
) -> Label:
    """Retire (or restore) a label: hidden from cards and choices, assignments kept."""
    label = find_label(conn, name)
    if label is None:
        raise VocabularyError(f"There is no label “{' '.join(name.split())[:60]}”.")
    if label.retired == retired:
        raise VocabularyError(
            f"The label “{label.name}” is already {'retired' if retired else 'in use'}."
        )
    conn.execute("UPDATE labels SET retired = ? WHERE id = ?", (int(retired), label.id))
    insert_audit(
        conn,
        request_id=None,
        action="label_retired" if retired else "label_restored",
        actor=actor,
        via=via,
        at=now,
        details={"label": label.name},
    )
    employers = [
        r[0]
        for r in conn.execute(
            "SELECT employer_id FROM employer_labels WHERE label_id = ?", (label.id,)
        )
    ]
    contacts = [
        r[0]
        for r in conn.execute(
            "SELECT contact_id FROM contact_labels WHERE label_id = ?", (label.id,)
        )
    ]
    refresh_cards(conn, employers, contacts, now)
    return Label(label.id, label.name, retired)


def _current(conn: sqlite3.Connection, owner: Owner, owner_id: int) -> dict[int, str]:
    table, column = _TABLES[owner]
    rows = conn.execute(
        f"SELECT l.id, l.name FROM {table} x JOIN labels l ON l.id = x.label_id"
        f" WHERE x.{column} = ? AND l.retired = 0",
        (owner_id,),
    ).fetchall()
    return {r["id"]: r["name"] for r in rows}


def _owner_employer(conn: sqlite3.Connection, owner: Owner, owner_id: int) -> int | None:
    if owner == "employer":
        found = conn.execute("SELECT id FROM employers WHERE id = ?", (owner_id,)).fetchone()
    else:
        found = conn.execute(
            "SELECT employer_id FROM contacts WHERE id = ?", (owner_id,)
        ).fetchone()
    if found is None:
        raise VocabularyError(f"That {owner} no longer exists.")
    return None if found[0] is None else int(found[0])


def set_owner_labels(
    conn: sqlite3.Connection,
    owner: Owner,
    owner_id: int,
    label_ids: Iterable[int],
    *,
    actor: str,
    via: Via,
    now: datetime,
    offered: Iterable[int] | None = None,
) -> LabelChange:
    """Make the owner's active labels exactly `label_ids`. Labels outside `offered` (those a
    person was not shown) and retired ones stay as they are."""
    wanted = set(label_ids)
    active = {label.id: label.name for label in list_labels(conn)}
    unknown = wanted - set(active)
    if unknown:
        raise VocabularyError("A chosen label was retired or removed meanwhile; choose again.")
    employer_id = _owner_employer(conn, owner, owner_id)
    table, column = _TABLES[owner]
    current = _current(conn, owner, owner_id)
    if offered is not None:
        shown = set(offered)
        wanted = (wanted & shown) | (set(current) - shown)
    added = sorted(wanted - set(current), key=lambda i: active[i])
    removed = sorted(set(current) - wanted, key=lambda i: active[i])
    for label_id in added:
        conn.execute(
            f"INSERT INTO {table} ({column}, label_id, added_at, added_by) VALUES (?, ?, ?, ?)",
            (owner_id, label_id, to_db(now), actor),
        )
    for label_id in removed:
        conn.execute(
            f"DELETE FROM {table} WHERE {column} = ? AND label_id = ?", (owner_id, label_id)
        )
    details = {"on": owner, f"{owner}_id": owner_id}
    for action, ids in (("label_added", added), ("label_removed", removed)):
        for label_id in ids:
            insert_audit(
                conn,
                request_id=None,
                employer_id=employer_id,
                action=action,
                actor=actor,
                via=via,
                at=now,
                details={**details, "label": active[label_id]},
            )
    if added or removed:
        employers = [employer_id] if employer_id is not None else []
        refresh_cards(conn, employers, [owner_id] if owner == "contact" else [], now)
    return LabelChange(tuple(active[i] for i in added), tuple(active[i] for i in removed))


def change_owner_label(
    conn: sqlite3.Connection,
    owner: Owner,
    owner_id: int,
    name: str,
    *,
    add: bool,
    actor: str,
    via: Via,
    now: datetime,
) -> LabelChange:
    """Add or remove one active label; an empty change when it was already so."""
    label = active_label(conn, name)
    current = set(_current(conn, owner, owner_id))
    wanted = current | {label.id} if add else current - {label.id}
    return set_owner_labels(conn, owner, owner_id, wanted, actor=actor, via=via, now=now)


def refresh_cards(
    conn: sqlite3.Connection, employer_ids: Iterable[int], contact_ids: Iterable[int], now: datetime
) -> None:
    """Queue a card update for the open, posted requests of these employers and contacts."""
    employers, contacts = sorted(set(employer_ids)), sorted(set(contact_ids))
    if not employers and not contacts:
        return
    rows = conn.execute(
        "SELECT id FROM requests WHERE card_ts IS NOT NULL AND state IN ('pending', 'on_hold')"
        f" AND (employer_id IN ({','.join('?' * len(employers)) or 'NULL'})"
        f" OR contact_id IN ({','.join('?' * len(contacts)) or 'NULL'})) ORDER BY id",
        (*employers, *contacts),
    ).fetchall()
    for (request_id,) in rows:
        outbox.enqueue_card(conn, request_id, now)


def refresh_decided_card(conn: sqlite3.Connection, request_id: int, now: datetime) -> None:
    """The card labels were changed from, when `refresh_cards` skipped it (decided already)."""
    row = conn.execute(
        "SELECT 1 FROM requests WHERE id = ? AND card_ts IS NOT NULL"
        " AND state NOT IN ('pending', 'on_hold')",
        (request_id,),
    ).fetchone()
    if row is not None:
        outbox.enqueue_card(conn, request_id, now)


def load_label_choices(conn: sqlite3.Connection, request_id: int) -> LabelChoices | None:
    row = conn.execute(
        "SELECT employer_id, contact_id FROM requests WHERE id = ?", (request_id,)
    ).fetchone()
    employer = get_employer(conn, row["employer_id"]) if row else None
    if row is None or employer is None:
        return None
    contact = get_contact(conn, row["contact_id"]) if row["contact_id"] is not None else None
    return LabelChoices(
        labels=tuple(list_labels(conn)),
        employer=employer,
        employer_labels=frozenset(_current(conn, "employer", employer.id)),
        contact=contact,
        contact_labels=frozenset(_current(conn, "contact", contact.id)) if contact else frozenset(),
    )
