"""SQL for requests, employers and contacts: ingest (upsert by upstream id) and look-ups."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

from bot.changes import describe_changes
from bot.clock import to_db
from bot.models import (
    PLATFORM_ACTOR,
    EmployerStatus,
    Kind,
    ReviewRequest,
    State,
    Via,
)
from bot.policy import auto_decline_for_employer
from storage import outbox
from storage.audit import insert_audit
from storage.decisions import auto_decline_for_blocked_employer
from storage.outbox import card_lane
from storage.prepared import EmployerRow, Prepared
from storage.rows import REQUEST_SELECT, request_from_row

IngestOutcome = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class IngestResult:
    request_id: int
    kind: Kind
    upstream_id: str
    state: State
    outcome: IngestOutcome

    def as_response(self) -> dict[str, Any]:
        return {
            "id": self.upstream_id,
            "kind": self.kind.value,
            "state": self.state.value,
            "result": self.outcome,
        }


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


# Why a large array's look-ups go to SQLite as one JSON parameter (json_each) and come back as
# one JSON value (json_group_array/object): sqlite3 gives up the GIL for every row it steps
# through and must win it back from the event loop before the next row. While the loop is
# busy (it parses the next array), each row waits up to the interpreter's 5 ms switch
# interval: 1,000 rows with executemany took 1.5-2.9 s against a busy Python thread, one
# json_each statement 42-56 ms (bench/README.md, "Where array time goes"). For a few items
# the JSON functions cost more than they save (an IN over json_each is ~25 us to set up),
# so small calls bind their values one by one.
_JSON_FROM = 16


def _one_json(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> Any:
    """The single JSON value a json_group_* query returns, decoded."""
    return json.loads(conn.execute(sql, params).fetchone()[0])


def _as_json(rows: Any) -> str:
    return json.dumps(rows, ensure_ascii=False)


def _among(values: Sequence[str]) -> tuple[str, list[Any]]:
    """An `IN (...)` operand for `values` and its parameters (bound one by one when few, or
    when one holds a NUL, which SQLite's JSON functions would cut short)."""
    if len(values) < _JSON_FROM or any("\x00" in value for value in values):
        return "(" + ", ".join("?" for _ in values) + ")", list(values)
    return "(SELECT value FROM json_each(?))", [_as_json(values)]


# Rows a VALUES statement holds: a power of two (the rows padded with NULL rows, which the
# statement skips), so that every insert is one of a few statements in sqlite3's statement
# cache. A statement for each row count made the cache hold a hundred programs of up to
# 13,000 values (RSS 273 MiB instead of 102 after 150 arrays); several statements per call
# each had to win the GIL back from a busy event loop (bench/README.md, "Rows as bound
# values").
_ROWS_PER_STATEMENT = 1024


def _insert_rows(
    conn: sqlite3.Connection, insert: str, rows: Sequence[Sequence[Any]], upsert: str = ""
) -> None:
    """`insert` ("INSERT INTO t (a, b)") of every row, in order, as one multi-row VALUES
    statement for up to 1,024 rows. A statement runs in one step, so the GIL is given up once,
    not once per row as with executemany; and the values are bound as they are, which takes
    half the CPU of one JSON array through json_each (bench/README.md, "Rows as bound
    values")."""
    width = len(rows[0])
    most = _ROWS_PER_STATEMENT
    while most > 1 and most * (width + 1) > conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER):
        most //= 2
    for start in range(0, len(rows), most):
        part = rows[start : start + most]
        size = 1 << (len(part) - 1).bit_length()  # the power of two that holds them
        values: list[Any] = []
        for n, row in enumerate(part):
            values.append(n)
            values.extend(row)
        values.extend([None] * ((size - len(part)) * (width + 1)))
        conn.execute(_values_statement(insert, width, size, upsert), values)


@functools.cache
def _values_statement(insert: str, width: int, rows: int, upsert: str) -> str:
    """The insert of `rows` rows of `width` values, each led by its place; NULL places are
    padding."""
    row_marks = "(" + ", ".join("?" * (width + 1)) + ")"
    picks = ", ".join(f"column{n}" for n in range(2, width + 2))
    return (
        f"{insert} SELECT {picks} FROM (VALUES {', '.join([row_marks] * rows)})"
        f" WHERE column1 IS NOT NULL ORDER BY column1 {upsert}"
    )


class _Stored(NamedTuple):
    id: int
    state: str
    payload: str
    card_ts: str | None


class _Batch:
    """One call's employers and contacts: looked up and written a statement per kind of row,
    not per item."""

    def __init__(self, conn: sqlite3.Connection, now: datetime) -> None:
        self.conn = conn
        self.stamp = to_db(now)

    def employers_for(
        self, kind: Kind, items: Sequence[Prepared]
    ) -> list[tuple[int, EmployerStatus]]:
        """Each item's employer (id, status). A job names its employer; one not seen before
        is created unreviewed, with the name the first item gives. An employer request
        creates its employer pending, or updates the profile of a known one."""
        firsts: dict[str, Prepared] = {}
        for item in items:
            firsts.setdefault(item.employer_key, item)
        found = self._employer_ids(list(firsts))
        known = set(found)
        new = [item.employer for key, item in firsts.items() if key not in known]
        if new:
            _insert_rows(
                self.conn,
                "INSERT INTO employers (upstream_id, name, name_key, status, website, industry,"
                " size, location, first_seen_at, updated_at)",
                [(*row, self.stamp, self.stamp) for row in new],
            )
            found.update(self._employer_ids([row[0] for row in new]))
        profiles = [
            _profile_update(item.employer, self.stamp)
            for key, item in firsts.items()
            if kind is Kind.EMPLOYER and key in known
        ]
        if profiles:
            self.conn.executemany(
                "UPDATE employers SET name = ?, name_key = ?, website = ?, industry = ?,"
                " size = ?, location = ?, updated_at = ? WHERE upstream_id = ?",
                profiles,
            )
        return [found[item.employer_key] for item in items]

    def _employer_ids(self, upstream_ids: list[str]) -> dict[str, tuple[int, EmployerStatus]]:
        among, params = _among(upstream_ids)
        rows = _one_json(
            self.conn,
            "SELECT json_group_array(json_array(upstream_id, id, status)) FROM employers"
            f" WHERE upstream_id IN {among}",
            params,
        )
        return {upstream_id: (id_, EmployerStatus(status)) for upstream_id, id_, status in rows}

    def contacts_for(self, items: list[tuple[Prepared, int]]) -> list[int | None]:
        """Each item's contact id. Every contact of the call is upserted once, with what
        one upsert per item would leave (the last employer; a detail left out keeps the
        one given before), and a contact that would not change is not written."""
        merged: dict[str, list[Any]] = {}
        for item, employer_id in items:
            if item.contact is None:
                continue
            key, *details = item.contact
            before = merged.get(key)
            if before is not None:
                details = [
                    new if new is not None else old
                    for new, old in zip(details, before[:-1], strict=True)
                ]
            merged[key] = [*details, employer_id]
        if not merged:
            return [None] * len(items)
        _insert_rows(
            self.conn,
            "INSERT INTO contacts (upstream_id, name, email, phone, email_domain, phone_key,"
            " employer_id, first_seen_at, updated_at)",
            [(key, *details, self.stamp, self.stamp) for key, details in merged.items()],
            upsert="ON CONFLICT (upstream_id) DO UPDATE SET employer_id = excluded.employer_id,"
            " name = COALESCE(excluded.name, name), email = COALESCE(excluded.email, email),"
            " phone = COALESCE(excluded.phone, phone),"
            " email_domain = COALESCE(excluded.email_domain, email_domain),"
            " phone_key = COALESCE(excluded.phone_key, phone_key), updated_at = excluded.updated_at"
            " WHERE (employer_id, name, email, phone, email_domain, phone_key) IS NOT"
            " (excluded.employer_id, COALESCE(excluded.name, name),"
            " COALESCE(excluded.email, email), COALESCE(excluded.phone, phone),"
            " COALESCE(excluded.email_domain, email_domain),"
            " COALESCE(excluded.phone_key, phone_key))",
        )
        among, params = _among(list(merged))
        ids: dict[str, int] = _one_json(
            self.conn,
            f"SELECT json_group_object(upstream_id, id) FROM contacts WHERE upstream_id IN {among}",
            params,
        )
        return [ids[item.contact[0]] if item.contact else None for item, _ in items]


def _profile_update(employer: EmployerRow, stamp: str) -> tuple[Any, ...]:
    """The UPDATE's values for a known employer whose own request came in again."""
    upstream_id, name, key, _status, website, industry, size, location = employer
    return (name, key, website, industry, size, location, stamp, upstream_id)


def _existing(conn: sqlite3.Connection, kind: Kind, upstream_ids: list[str]) -> dict[str, _Stored]:
    among, params = _among(upstream_ids)
    rows = _one_json(
        conn,
        "SELECT json_group_array(json_array(upstream_id, id, state, payload, card_ts))"
        f" FROM requests WHERE kind = ? AND upstream_id IN {among}",
        (kind.value, *params),
    )
    return {row[0]: _Stored(*row[1:]) for row in rows}


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
    existing = _existing(conn, kind, [item.upstream_id for item in items])
    employers = batch.employers_for(kind, items)
    contact_ids = batch.contacts_for(
        [(item, employer_id) for item, (employer_id, _) in zip(items, employers, strict=True)]
    )
    results: dict[str, IngestResult] = {}
    fresh: list[_Fresh] = []
    for item, (employer_id, status), contact_id in zip(items, employers, contact_ids, strict=True):
        row = existing.get(item.upstream_id)
        if row is None:
            fresh.append(_Fresh(item, employer_id, status, contact_id))
        else:
            results[item.upstream_id] = _update_one(
                conn, kind, item, row, (employer_id, status), contact_id, now
            )
    results.update(_insert_new(conn, kind, fresh, now))
    return [results[item.upstream_id] for item in items]


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
    # SQLite numbers each new row one past the table's largest id, so one call's rows take
    # the ids after it, in order: no look-up of the ids by upstream id (bench/README.md,
    # "Rows as bound values")
    first_id = _largest_request_id(conn) + 1
    _insert_rows(
        conn,
        "INSERT INTO requests (kind, upstream_id, employer_id, contact_id, title, location,"
        " apply_domain, payload, requested_at, received_at, updated_at, state, screening)",
        [
            (
                kind.value,
                new.item.upstream_id,
                new.employer_id,
                new.contact_id,
                new.item.title,
                new.item.location,
                new.item.apply_domain,
                new.item.payload,
                new.item.requested_at,
                stamp,
                stamp,
                "pending",
                "pending",
            )
            for new in fresh
        ],
    )
    last_id = first_id + len(fresh) - 1
    # SQLite numbers otherwise only once the largest id is 2**63 - 1
    if _largest_request_id(conn) != last_id:
        raise RuntimeError("new requests did not take the ids after the largest one")
    conn.execute(
        "INSERT INTO audit (request_id, employer_id, action, to_state, actor, via, at)"
        " SELECT id, employer_id, 'received', 'pending', ?, 'api', ? FROM requests"
        " WHERE id BETWEEN ? AND ? ORDER BY id",
        (PLATFORM_ACTOR, stamp, first_id, last_id),
    )
    results = {}
    for n, new in enumerate(fresh):
        upstream_id = new.item.upstream_id
        request_id = first_id + n
        # the screener posts the card once the request is screened (bot/screener.py)
        state = State.PENDING
        if kind is Kind.JOB and auto_decline_for_employer(new.employer_status):
            state = auto_decline_for_blocked_employer(conn, request_id, now)
        results[upstream_id] = IngestResult(request_id, kind, upstream_id, state, "created")
    return results


def _largest_request_id(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM requests").fetchone()[0])


def _update_one(
    conn: sqlite3.Connection,
    kind: Kind,
    item: Prepared,
    existing: _Stored,
    employer: tuple[int, EmployerStatus],
    contact_id: int | None,
    now: datetime,
) -> IngestResult:
    employer_id, employer_status = employer
    stamp = to_db(now)
    payload = json.loads(item.payload)
    request_id = existing.id
    before = json.loads(existing.payload)
    changes = describe_changes(before, payload)
    current = State(existing.state)
    if not changes:
        return IngestResult(request_id, kind, item.upstream_id, current, "unchanged")

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
            existing.payload,
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
    if existing.card_ts is not None:
        # the thread says what changed; the screener refreshes the card after screening again
        outbox.enqueue(
            conn,
            lane=card_lane(request_id),
            kind="thread",
            payload={"request_id": request_id, "audit_id": audit_id},
            now=now,
        )
    if (
        kind is Kind.JOB
        and new_state is State.PENDING
        and auto_decline_for_employer(employer_status)
    ):
        # an edited job is back in the queue only if its employer may post: one from a
        # declined or suspended employer is declined again at once (SPEC section 2), with
        # its card, thread and webhook as for a new one
        new_state = auto_decline_for_blocked_employer(conn, request_id, now)
    return IngestResult(request_id, kind, item.upstream_id, new_state, "updated")
