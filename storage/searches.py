"""SQL for filters over requests, saved searches and bulk decisions. Its async methods are
mixed into the Repository."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.bulk import BulkAction, BulkOrder, BulkPreview, BulkProgress, BulkRun
from bot.clock import from_db, to_db
from bot.filters import Filter
from bot.models import Via
from bot.searches import MAX_SAVED_SEARCHES, QueueItem, SavedSearch
from storage import bulk, filtering
from storage.audit import insert_audit
from storage.db import Database


class TooManySearches(ValueError):
    """The workspace already keeps the most saved searches allowed."""


def _search_from_row(row: sqlite3.Row) -> SavedSearch:
    return SavedSearch(
        id=row["id"],
        name=row["name"],
        filter_text=row["filter"],
        in_digest=bool(row["in_digest"]),
        created_by=row["created_by"],
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
    )


def get_search(conn: sqlite3.Connection, name: str) -> SavedSearch | None:
    """By name, ignoring case (the column is COLLATE NOCASE)."""
    row = conn.execute("SELECT * FROM saved_searches WHERE name = ?", (name,)).fetchone()
    return _search_from_row(row) if row else None


def list_searches(conn: sqlite3.Connection, *, in_digest: bool | None = None) -> list[SavedSearch]:
    """All saved searches by name (or only those in, or out of, the digest)."""
    sql = "SELECT * FROM saved_searches"
    params: tuple[object, ...] = ()
    if in_digest is not None:
        sql += " WHERE in_digest = ?"
        params = (int(in_digest),)
    rows = conn.execute(sql + " ORDER BY name COLLATE NOCASE", params).fetchall()
    return [_search_from_row(row) for row in rows]


def save_search(
    conn: sqlite3.Connection, name: str, filter_text: str, *, actor: str, now: datetime
) -> tuple[SavedSearch, str | None]:
    """Create, or replace the filter of, the search called `name`; returns it and the
    filter it had before (None when new)."""
    before = get_search(conn, name)
    if before is None:
        count = conn.execute("SELECT COUNT(*) FROM saved_searches").fetchone()[0]
        if count >= MAX_SAVED_SEARCHES:
            raise TooManySearches(f"there are already {count} saved searches")
    conn.execute(
        "INSERT INTO saved_searches (name, filter, created_by, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET filter = excluded.filter,"
        " updated_at = excluded.updated_at",
        (name, filter_text, actor, to_db(now), to_db(now)),
    )
    _audit(conn, "search_saved", actor, now, name=name, filter=filter_text)
    saved = get_search(conn, name)
    assert saved is not None
    return saved, before.filter_text if before else None


def delete_search(conn: sqlite3.Connection, name: str, *, actor: str, now: datetime) -> bool:
    found = get_search(conn, name)
    if found is None:
        return False
    conn.execute("DELETE FROM saved_searches WHERE id = ?", (found.id,))
    _audit(conn, "search_deleted", actor, now, name=found.name, filter=found.filter_text)
    return True


def set_in_digest(
    conn: sqlite3.Connection, name: str, on: bool, *, actor: str, now: datetime
) -> SavedSearch | None:
    found = get_search(conn, name)
    if found is None:
        return None
    conn.execute(
        "UPDATE saved_searches SET in_digest = ?, updated_at = ? WHERE id = ?",
        (int(on), to_db(now), found.id),
    )
    _audit(conn, "search_digest", actor, now, name=found.name, in_digest=on)
    return get_search(conn, name)


def _audit(
    conn: sqlite3.Connection, action: str, actor: str, now: datetime, **details: object
) -> None:
    insert_audit(
        conn, request_id=None, action=action, actor=actor, via=Via.COMMAND, at=now, details=details
    )


class SearchRepository:
    db: Database

    def _outbox_written(self) -> None:
        raise NotImplementedError  # the Repository wakes the deliverer

    async def count_matching(self, f: Filter, now: datetime) -> int:
        return await self.db.read_slow(lambda conn: filtering.count_matching(conn, f, now))

    async def list_matching(
        self, f: Filter, now: datetime, *, limit: int, offset: int = 0
    ) -> list[QueueItem]:
        return await self.db.read_slow(
            lambda conn: filtering.list_matching(conn, f, now, limit=limit, offset=offset)
        )

    async def get_saved_search(self, name: str) -> SavedSearch | None:
        return await self.db.read(lambda conn: get_search(conn, name))

    async def list_saved_searches(self, *, in_digest: bool | None = None) -> list[SavedSearch]:
        return await self.db.read(lambda conn: list_searches(conn, in_digest=in_digest))

    async def save_search(
        self, name: str, filter_text: str, *, actor: str, now: datetime
    ) -> tuple[SavedSearch, str | None]:
        return await self.db.write(
            lambda conn: save_search(conn, name, filter_text, actor=actor, now=now)
        )

    async def delete_search(self, name: str, *, actor: str, now: datetime) -> bool:
        return await self.db.write(lambda conn: delete_search(conn, name, actor=actor, now=now))

    async def set_search_in_digest(
        self, name: str, on: bool, *, actor: str, now: datetime
    ) -> SavedSearch | None:
        return await self.db.write(lambda conn: set_in_digest(conn, name, on, actor=actor, now=now))

    async def preview_bulk(
        self, f: Filter, action: BulkAction, now: datetime, *, sample: int
    ) -> BulkPreview:
        return await self.db.read_slow(
            lambda conn: bulk.preview_bulk(conn, f, action, now, sample=sample)
        )

    async def run_bulk(self, order: BulkOrder, now: datetime) -> bulk.BulkDone | bulk.BulkNotRun:
        """Every decision of the run in one transaction; the outbox then updates the cards."""
        result = await self.db.write(lambda conn: bulk.apply_bulk(conn, order, now))
        if isinstance(result, bulk.BulkDone):
            self._outbox_written()
        return result

    async def undo_bulk(
        self, bulk_id: int, *, actor: str, now: datetime
    ) -> bulk.BulkUndone | bulk.BulkNotUndone:
        """A whole run back to pending in one transaction; the outbox then updates the cards
        and tells the platform."""
        result = await self.db.write(
            lambda conn: bulk.revert_bulk(conn, bulk_id, actor=actor, now=now)
        )
        if isinstance(result, bulk.BulkUndone) and result.reverted:
            self._outbox_written()
        return result

    async def get_bulk_run(self, bulk_id: int) -> BulkRun | None:
        return await self.db.read(lambda conn: bulk.get_bulk_run(conn, bulk_id))

    async def load_bulk_progress(self, bulk_id: int) -> BulkProgress | None:
        return await self.db.read(lambda conn: bulk.load_progress(conn, bulk_id))

    async def save_bulk_progress(
        self,
        bulk_id: int,
        *,
        shown: int,
        now: datetime,
        finished: bool,
        channel: str | None = None,
        message_ts: str | None = None,
    ) -> None:
        await self.db.write(
            lambda conn: bulk.save_progress(
                conn,
                bulk_id,
                shown=shown,
                now=now,
                finished=finished,
                channel=channel,
                message_ts=message_ts,
            )
        )
