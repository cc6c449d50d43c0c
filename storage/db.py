"""The SQLite database: pragmas, one writer with group commit, a reader, migrations at open."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Generic, Self, TypeVar, cast

import aiosqlite

from storage.migrations import apply_migrations

log = logging.getLogger(__name__)

T = TypeVar("T")
Unit = Callable[[sqlite3.Connection], T]

BUSY_TIMEOUT_MS = 15_000
MAX_UNITS_PER_COMMIT = 256
# Checkpoints (copying committed pages from the WAL into the database file) run on a
# connection of their own, at most this often while there are writes, not inside the
# writer's commits, where they took about a third of its time under a flood of arrays
# (bench/README.md, "Checkpoints off the writer").
CHECKPOINT_EVERY_S = 0.2
# the writer's own checkpoint, only if that one falls behind: about 80 MB of WAL
WRITER_CHECKPOINT_PAGES = 20_000
WAL_KEPT_BYTES = 16 * 1024 * 1024


class DatabaseError(RuntimeError):
    """A problem the operator has to fix (wrong file, newer schema, unwritable disk)."""


def configure_connection(conn: sqlite3.Connection, *, writer: bool) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA cache_size = -32000")
    if writer:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise DatabaseError(f"could not switch the database to WAL mode (got {mode})")
        conn.execute(f"PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_PAGES}")
        # a WAL file that grew in a flood is cut back when it starts over
        conn.execute(f"PRAGMA journal_size_limit = {WAL_KEPT_BYTES}")
    else:
        conn.execute("PRAGMA query_only = ON")
    conn.row_factory = sqlite3.Row


async def _run_on_connection_thread(conn: aiosqlite.Connection, fn: Callable[[], T]) -> T:
    # aiosqlite hops to its worker thread once per call; running a whole transaction as one
    # function keeps that to one hop per commit instead of one per statement (SPEC 8 click bar).
    result: T = await conn._execute(fn)  # type: ignore[no-untyped-call]
    return result


@dataclass
class _Pending:
    unit: Unit[Any]
    future: asyncio.Future[Any] = field(repr=False)


class Database:
    """Writes go through one connection in `BEGIN IMMEDIATE` transactions, grouped when many
    arrive together (each unit in its own savepoint, so one failure spoils only itself).
    Reads use a second, query-only connection that sees the last commit (WAL)."""

    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        slow_reader: aiosqlite.Connection,
        checkpointer: aiosqlite.Connection,
    ):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._slow_reader = slow_reader
        self._checkpointer = checkpointer
        self._pending: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        self._committed = asyncio.Event()
        self._checkpoints = asyncio.create_task(self._checkpoint(), name="jobgate-db-checkpoint")
        self.commits = 0
        self.units_committed = 0
        self.checkpoints = 0
        # (log frames, frames checkpointed) of the latest checkpoint
        self.last_checkpoint: tuple[int, int] | None = None

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (creating if needed) and migrate the database; refuse one newer than this code."""
        db_path = Path(path)
        if db_path.parent and not db_path.parent.exists():
            raise DatabaseError(f"the folder for the database does not exist: {db_path.parent}")
        writer = await aiosqlite.connect(db_path, isolation_level=None)
        readers: list[aiosqlite.Connection] = []
        try:
            await _run_on_connection_thread(
                writer, lambda: configure_connection(writer._conn, writer=True)
            )
            await _run_on_connection_thread(writer, lambda: apply_migrations(writer._conn))
            for _ in range(3):
                reader = await aiosqlite.connect(db_path, isolation_level=None)
                readers.append(reader)
                await _run_on_connection_thread(
                    reader, partial(configure_connection, reader._conn, writer=False)
                )
        except BaseException:
            await writer.close()
            for reader in readers:
                await reader.close()
            raise
        return cls(db_path, writer, *readers)

    async def close(self) -> None:
        if self._flusher is not None:
            await asyncio.shield(self._flusher)
        self._checkpoints.cancel()
        await asyncio.wait([self._checkpoints])
        # the last connection to close checkpoints what is left and removes the WAL
        await self._checkpointer.close()
        await self._reader.close()
        await self._slow_reader.close()
        await self._writer.close()

    async def _checkpoint(self) -> None:
        """A passive checkpoint after commits, at most every CHECKPOINT_EVERY_S: it copies
        what no reader still needs and never waits for the writer or the readers."""
        conn = self._checkpointer
        while True:
            await self._committed.wait()
            self._committed.clear()
            try:
                _, frames, copied = await _run_on_connection_thread(
                    conn, lambda: conn._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                )
            except Exception as exc:
                # the writer's own checkpoint stands in (WRITER_CHECKPOINT_PAGES)
                log.warning("checkpoint failed: %s: %s", type(exc).__name__, exc)
            else:
                self.checkpoints += 1
                self.last_checkpoint = (frames, copied)
            await asyncio.sleep(CHECKPOINT_EVERY_S)

    async def write(self, unit: Unit[T]) -> T:
        """Run `unit` inside a write transaction; returns once it is committed."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(unit, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="jobgate-db-writer")
        return await future

    async def read(self, query: Unit[T]) -> T:
        """Run `query` on the read connection (sees the last commit)."""
        conn = self._reader
        return await _run_on_connection_thread(conn, lambda: query(conn._conn))

    async def read_slow(self, query: Unit[T]) -> T:
        """Like `read`, on a connection of its own, for long work (screening, digests,
        exports) that must not hold up the reads of clicks and cards."""
        conn = self._slow_reader
        return await _run_on_connection_thread(conn, lambda: query(conn._conn))

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[:MAX_UNITS_PER_COMMIT]
            del self._pending[:MAX_UNITS_PER_COMMIT]
            units = [p.unit for p in batch]
            try:
                outcomes = await _run_on_connection_thread(
                    self._writer, partial(_commit_group, self._writer._conn, units)
                )
            except BaseException as exc:  # the whole group failed (busy, disk, closed)
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            self.commits += 1
            self.units_committed += len(batch)
            self._committed.set()
            for pending, (ok, value) in zip(batch, outcomes, strict=True):
                if pending.future.done():
                    continue
                if ok:
                    pending.future.set_result(value)
                else:
                    pending.future.set_exception(value)


class Joinable(ABC, Generic[T]):
    """A unit the writer may run as one with the units next to it in a commit group that
    share its `join_key`: an ingest then writes each kind of row once for the group rather
    than once per request. Units whose `claims` overlap are never joined, so each claimed
    thing (a request, a delivery id) gets the rows and answers that running the units one
    after another would give, in the same order. Rows about different things may take ids
    in another order: the units met in one group because they arrived together, so there
    was no order between them to keep."""

    @property
    @abstractmethod
    def join_key(self) -> Hashable: ...

    @property
    @abstractmethod
    def claims(self) -> frozenset[Hashable]: ...

    @property
    def weight(self) -> int:
        """How much work it is: a joined run stops at MAX_JOINED_WEIGHT."""
        return 1

    @classmethod
    @abstractmethod
    def run_joined(cls, conn: sqlite3.Connection, units: Sequence[Self]) -> list[T]:
        """Each unit's value, in order. Raising runs every unit again on its own, so one bad
        unit fails only itself (so a joined run may be tried twice: no side effects outside
        the transaction)."""

    def __call__(self, conn: sqlite3.Connection) -> T:
        return self.run_joined(conn, [self])[0]


MAX_JOINED_WEIGHT = 1_000


def _runs(units: Sequence[Unit[Any]]) -> list[list[Unit[Any]]]:
    """`units` in order, cut into runs: next-door Joinables with one join_key, claims
    disjoint and weight within bounds, or a single unit."""
    runs: list[list[Unit[Any]]] = []
    claimed: set[Hashable] = set()  # by the last run
    weight = 0  # of the last run
    for unit in units:
        last = runs[-1][-1] if runs else None
        joins = (
            isinstance(unit, Joinable)
            and isinstance(last, Joinable)
            and type(unit) is type(last)
            and unit.join_key == last.join_key
            and claimed.isdisjoint(unit.claims)
            and weight + unit.weight <= MAX_JOINED_WEIGHT
        )
        if joins:
            runs[-1].append(unit)
        else:
            runs.append([unit])
            claimed, weight = set(), 0
        if isinstance(unit, Joinable):
            claimed |= unit.claims
            weight += unit.weight
    return runs


def _attempt(conn: sqlite3.Connection, unit: Unit[T]) -> tuple[bool, Any]:
    """(True, value) or (False, the exception), the unit's writes undone if it raised."""
    conn.execute("SAVEPOINT unit")
    try:
        value = unit(conn)
    except Exception as exc:
        conn.execute("ROLLBACK TO unit")
        conn.execute("RELEASE unit")
        return False, exc
    conn.execute("RELEASE unit")
    return True, value


def _joined(members: list[Joinable[Any]]) -> Unit[list[Any]]:
    def run(conn: sqlite3.Connection) -> list[Any]:
        values = type(members[0]).run_joined(conn, members)
        if len(values) != len(members):
            raise RuntimeError(f"{len(values)} values for a joined run of {len(members)}")
        return values

    return run


def _commit_group(conn: sqlite3.Connection, units: list[Unit[Any]]) -> list[tuple[bool, Any]]:
    """Run `units` in one transaction, each in a savepoint (joined runs in one), and commit;
    (ok, value or exception) for each unit, in order."""
    outcomes: list[tuple[bool, Any]] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for run in _runs(units):
            if len(run) > 1:
                ok, values = _attempt(conn, _joined(cast(list[Joinable[Any]], run)))
                if ok:
                    outcomes.extend((True, value) for value in values)
                    continue
                log.info(
                    "a joined run of %d units failed (%s: %s); running each on its own",
                    len(run),
                    type(values).__name__,
                    values,
                )
            outcomes.extend(_attempt(conn, unit) for unit in run)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes
