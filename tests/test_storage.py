"""Storage on a real SQLite file: pragmas, migrations, append-only audit, group commit."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from bot.models import Kind, State, Via
from bot.submissions import JobSubmission
from storage.db import (
    CHECKPOINT_EVERY_S,
    WRITER_CHECKPOINT_PAGES,
    Database,
    _commit_group,
    configure_connection,
)
from storage.decisions import Decided, DecisionCommand, NotDecided
from storage.deliveries import StoredAnswer, remember_slack_event
from storage.migrations import SchemaTooNew, apply_migrations, latest_version, load_migrations
from storage.outbox import UNCERTAIN, OutboxItem, new_message_id
from storage.prepared import prepare
from storage.repository import Repository
from storage.requests import _values_statement, ingest_submissions
from storage.rows import REQUEST_SELECT, request_from_row
from storage.screening import (
    LocalScreening,
    ScreeningInput,
    UrlScreening,
    compute_local_screening,
    duplicate_candidates,
    save_local_screening,
    save_url_screening,
)
from tests.harness import employer, job
from tests.search_data import ingest

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def answer(_: object) -> StoredAnswer:
    return StoredAnswer(200, {})


async def open_repo(path: Path) -> Repository:
    return Repository(await Database.open(path))


async def test_pragmas_are_set(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "j.db")
    try:

        def pragmas(conn: sqlite3.Connection) -> tuple[str, int, int, int]:
            return (
                conn.execute("PRAGMA journal_mode").fetchone()[0],
                conn.execute("PRAGMA foreign_keys").fetchone()[0],
                conn.execute("PRAGMA synchronous").fetchone()[0],
                conn.execute("PRAGMA busy_timeout").fetchone()[0],
            )

        mode, fks, sync, busy = await db.read(pragmas)
        assert (mode, fks, sync) == ("wal", 1, 1) and busy >= 5000
    finally:
        await db.close()


async def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    for _ in range(2):
        db = await Database.open(path)
        await db.close()
    conn = sqlite3.connect(path)
    assert apply_migrations(conn) == []
    assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version()
    conn.close()


async def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    db = await Database.open(path)
    await db.close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew, match="upgrade jobgate"):
        await Database.open(path)


async def test_the_audit_record_is_append_only(tmp_path: Path) -> None:
    repo = await open_repo(tmp_path / "j.db")
    try:
        await ingest(repo, Kind.EMPLOYER, [employer()])
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await repo.db.write(lambda conn: conn.execute("UPDATE audit SET actor = 'x'"))
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await repo.db.write(lambda conn: conn.execute("DELETE FROM audit"))
    finally:
        await repo.db.close()


# small calls bind values one by one; from 16 items rows travel as one JSON array
FILLERS = pytest.mark.parametrize("fillers", [0, 20], ids=["few items", "many items"])


def filler_jobs(count: int) -> list[dict[str, object]]:
    return [
        job(f"filler_{n}", employer_id=f"emp_filler_{n}", contact={"id": f"c_filler_{n}"})
        for n in range(count)
    ]


@FILLERS
async def test_an_array_upserts_each_contact_once_with_the_latest_details(
    tmp_path: Path, fillers: int
) -> None:
    repo = await open_repo(tmp_path / "j.db")
    try:
        jane = {"id": "c_9", "name": "Jane Roe", "email": "jane@acme.example"}
        by_email = {"email": "Sam@Acme.example"}
        items = [
            job("job_1", contact=jane),
            job("job_2", contact={**jane, "phone": "+1 (512) 555-0100"}),
            job("job_3", contact=by_email),
            job("job_4", contact={"email": "sam@acme.example", "name": "Sam Poe"}),
            job("job_5", contact=None),
            *filler_jobs(fillers),
        ]
        await ingest(repo, Kind.JOB, items)

        def stored(conn: sqlite3.Connection) -> tuple[list[tuple[object, ...]], list[object]]:
            contacts = conn.execute(
                "SELECT upstream_id, name, email, phone, phone_key, email_domain FROM contacts"
                " ORDER BY id"
            ).fetchall()
            links = conn.execute(
                "SELECT c.upstream_id FROM requests r LEFT JOIN contacts c ON c.id = r.contact_id"
                " ORDER BY r.upstream_id"
            ).fetchall()
            return [tuple(row) for row in contacts if not row[0].startswith("c_filler")], [
                row[0] for row in links if not (row[0] or "").startswith("c_filler")
            ]

        contacts, links = await repo.db.read(stored)
        DOMAIN = "acme.example"
        assert contacts == [
            ("c_9", "Jane Roe", "jane@acme.example", "+1 (512) 555-0100", "5125550100", DOMAIN),
            ("email:sam@acme.example", "Sam Poe", "sam@acme.example", None, None, DOMAIN),
        ]
        assert links == ["c_9", "c_9", "email:sam@acme.example", "email:sam@acme.example", None]
    finally:
        await repo.db.close()


@FILLERS
async def test_text_with_a_nul_character_is_stored_whole(tmp_path: Path, fillers: int) -> None:
    """SQLite's JSON functions cut a string at U+0000; such an array takes executemany."""
    repo = await open_repo(tmp_path / "j.db")
    try:
        items = [
            job("job_1", title="Analyst\x00(night)", location="Austin\x00TX"),
            job(
                "job_2",
                employer={"id": "emp_nul", "name": "Nul\x00Corp"},
                contact={"id": "c_nul", "name": "Jo\x00Ann", "phone": "555\x000100"},
            ),
            # a contact without an id is keyed by its email, NUL and all
            job("job_3", contact={"name": "Kim", "email": "kim\x00@acme.example"}),
            *filler_jobs(fillers),
        ]
        await ingest(repo, Kind.JOB, items)

        def stored(conn: sqlite3.Connection) -> list[object]:
            return [
                *conn.execute("SELECT title, location FROM requests WHERE upstream_id = 'job_1'"),
                *conn.execute("SELECT name FROM employers WHERE upstream_id = 'emp_nul'"),
                *conn.execute("SELECT name, phone FROM contacts WHERE upstream_id = 'c_nul'"),
                *conn.execute(
                    "SELECT c.email FROM requests r JOIN contacts c ON c.id = r.contact_id"
                    " WHERE r.upstream_id = 'job_3'"
                ),
            ]

        assert [tuple(row) for row in await repo.db.read(stored)] == [
            ("Analyst\x00(night)", "Austin\x00TX"),
            ("Nul\x00Corp",),
            ("Jo\x00Ann", "555\x000100"),
            ("kim\x00@acme.example",),
        ]
    finally:
        await repo.db.close()


async def test_a_failing_unit_spoils_only_itself(tmp_path: Path) -> None:
    repo = await open_repo(tmp_path / "j.db")
    try:

        def good(n: int):  # type: ignore[no-untyped-def]
            return lambda conn: conn.execute(
                "INSERT INTO system_state (key, value, updated_at) VALUES (?, '1', 'now')",
                (f"k{n}",),
            )

        def bad(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO system_state (key, value, updated_at) VALUES ('bad', '1', 'now')"
            )
            raise ValueError("boom")

        results = await asyncio.gather(
            repo.db.write(good(1)),
            repo.db.write(bad),
            repo.db.write(good(2)),
            return_exceptions=True,
        )
        assert isinstance(results[1], ValueError)
        keys = await repo.db.read(
            lambda conn: [r[0] for r in conn.execute("SELECT key FROM system_state ORDER BY key")]
        )
        assert keys == ["k1", "k2"]
        assert repo.db.commits == 1  # all three shared one commit
    finally:
        await repo.db.close()


async def test_two_processes_deciding_on_one_file_make_one_decision(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    first, second = await open_repo(path), await open_repo(path)
    try:
        await ingest(first, Kind.EMPLOYER, [employer()])
        request = await first.find_request(Kind.EMPLOYER, "emp_123")
        assert request is not None
        results = await asyncio.gather(
            *[
                repo.record_decision(
                    DecisionCommand(request.id, State.APPROVED, f"U{i:05d}", Via.BUTTON), NOW
                )
                for i, repo in enumerate([first, second] * 5)
            ]
        )
        assert sum(isinstance(r, Decided) for r in results) == 1
        assert sum(isinstance(r, NotDecided) for r in results) == 9
    finally:
        await first.db.close()
        await second.db.close()


async def test_upsert_by_upstream_id_never_duplicates(tmp_path: Path) -> None:
    repo = await open_repo(tmp_path / "j.db")
    try:
        for title in ("A", "A", "B"):
            await ingest(repo, Kind.JOB, [job(title=title)])
        count = await repo.db.read(
            lambda conn: conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0]
        )
        assert count == 1
        request = await repo.find_request(Kind.JOB, "job_456")
        assert request is not None and request.version == 2 and request.title == "B"
    finally:
        await repo.db.close()


async def test_the_next_due_item_is_a_lane_head(tmp_path: Path) -> None:
    """drain() sleeps until next_outbox_due: an item behind a retrying head is not due."""
    repo = await open_repo(tmp_path / "jobgate.db")
    try:
        now = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
        await repo.enqueue_message(lane="webhook:1", kind="webhook", payload={}, now=now)
        (head,) = await repo.claim_outbox_items(
            now=now, owner="a", lease=timedelta(seconds=90), limit=5, kinds=("webhook",)
        )
        await repo.enqueue_message(lane="webhook:1", kind="webhook", payload={}, now=now)
        # the head retries in an hour: the item behind it is due then, not now
        await repo.defer_outbox_item(head, now + timedelta(hours=1))
        await repo.release_outbox_leases("a")
        assert await repo.next_outbox_due(("webhook",)) == now + timedelta(hours=1)
        # another lane's item is due at once
        await repo.enqueue_message(lane="webhook:2", kind="webhook", payload={}, now=now)
        assert await repo.next_outbox_due(("webhook",)) == now
    finally:
        await repo.db.close()


async def test_an_ingest_wakes_the_deliverer_only_when_it_queued_something(
    tmp_path: Path,
) -> None:
    """New requests queue nothing (the screener cards them later); a carded request that
    changes queues its thread reply, and a job of a declined employer its decline webhook."""
    repo = await open_repo(tmp_path / "j.db")
    wakes: list[int] = []
    repo.on_outbox_write(lambda: wakes.append(1))

    def queued(conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])

    try:
        await ingest(repo, Kind.EMPLOYER, [employer()])
        await ingest(repo, Kind.JOB, [job(), job("job_2")])
        await ingest(repo, Kind.JOB, [job(title="Changed before its card")])
        assert (wakes, await repo.db.read(queued)) == ([], 0)
        await repo.db.write(
            lambda conn: conn.execute(
                "UPDATE requests SET card_channel = 'C0REVIEW', card_ts = '1.000001'"
                " WHERE upstream_id = 'job_456'"
            )
        )
        await ingest(repo, Kind.JOB, [job(title="Changed on its card")])
        assert (len(wakes), await repo.db.read(queued)) == (1, 1)
        await repo.db.write(lambda conn: conn.execute("UPDATE employers SET status = 'declined'"))
        await ingest(repo, Kind.JOB, [job("job_3")])
        assert len(wakes) == 2 and await repo.db.read(queued) > 1
    finally:
        await repo.db.close()


def test_a_saved_hold_expiry_keeps_its_meaning_in_calendar_days(tmp_path: Path) -> None:
    """Migration 4: 10 business days saved before are 14 days now; 100 are capped at 120."""
    with contextlib.closing(sqlite3.connect(tmp_path / "j.db", isolation_level=None)) as conn:
        for migration in load_migrations()[:3]:
            conn.executescript(migration.sql)
        conn.execute("PRAGMA user_version = 3")
        for key, value in (("hold_expiry_days", "10"), ("hold_follow_up_days", "10")):
            conn.execute(
                "INSERT INTO settings (key, value, updated_at, updated_by) VALUES (?, ?, 'x', 'U1')",
                (key, value),
            )
        assert 4 in apply_migrations(conn)
        saved = dict(conn.execute("SELECT key, value FROM settings"))
        assert saved == {"hold_expiry_days": "14", "hold_follow_up_days": "10"}
        conn.execute("UPDATE settings SET value = '100' WHERE key = 'hold_expiry_days'")
        conn.execute("PRAGMA user_version = 3")
        apply_migrations(conn)
        assert conn.execute(
            "SELECT value FROM settings WHERE key = 'hold_expiry_days'"
        ).fetchone() == ("120",)


def test_outbox_message_ids_are_unique_and_in_the_order_they_were_made() -> None:
    # in order across milliseconds, so new rows go to the end of the unique index
    made = []
    for _ in range(5):
        made += [new_message_id() for _ in range(2_000)]
        time.sleep(0.002)
    assert len(set(made)) == len(made)
    assert all(len(m) == 36 and m.startswith("msg_") for m in made)
    firsts = made[::2_000]  # across the sleeps: random ids (uuid4) would not sort
    assert firsts == sorted(firsts)
    milliseconds = [m[4:16] for m in made]  # and all of them, unless the clock steps back
    assert milliseconds == sorted(milliseconds)


@contextlib.contextmanager
def _screened_jobs(
    path: Path, *, trusted: bool, url_check: bool
) -> Iterator[tuple[sqlite3.Connection, list[int], list[LocalScreening]]]:
    """A fresh database with two jobs of one approved employer (trusted or not), stored
    and screened, not saved: (connection, their ids, the screening results)."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        configure_connection(conn, writer=True)
        apply_migrations(conn)
        bodies = [job("job_1", title="Lab Assistant", description="Run studies."), job("job_2")]
        items = prepare([JobSubmission.model_validate(body) for body in bodies])
        [(ok, results)] = _commit_group(
            conn, [lambda c: ingest_submissions(c, Kind.JOB, items, NOW)]
        )
        assert ok, results
        conn.execute("UPDATE employers SET status = 'approved', trusted = ?", (int(trusted),))
        rows = conn.execute(REQUEST_SELECT + " ORDER BY r.id").fetchall()
        inputs = [ScreeningInput(request_from_row(r), r["e_website"]) for r in rows]
        screened = compute_local_screening(conn, inputs, NOW, url_check=url_check)
        yield conn, [r.request_id for r in results], screened


@pytest.mark.parametrize("url_check", [False, True], ids=["no-url-check", "url-check"])
@pytest.mark.parametrize("trusted", [False, True], ids=["untrusted", "trusted"])
def test_a_screening_save_stores_the_verdict_and_hands_on_the_card(
    tmp_path: Path, trusted: bool, url_check: bool
) -> None:
    with _screened_jobs(tmp_path / "j.db", trusted=trusted, url_check=url_check) as (
        conn,
        ids,
        screened,
    ):
        stale = dataclasses.replace(screened[1], version=screened[1].version + 1)
        [(ok, saved)] = _commit_group(
            conn,
            [
                lambda c: [
                    save_local_screening(c, r, NOW, url_check=url_check)
                    for r in (stale, *screened, screened[0])
                ]
            ],
        )
        assert ok, saved
        # a result for another version, or a second save of the same one, changes nothing
        assert saved == [False, True, True, False]
        rows = {
            r["id"]: r
            for r in conn.execute("SELECT id, state, screening, auto_note, signals FROM requests")
        }
        cards = [
            json.loads(p)["request_id"]
            for (p,) in conn.execute("SELECT payload FROM outbox WHERE kind = 'card'")
        ]
        first, second = rows[ids[0]], rows[ids[1]]
        assert {first["screening"], second["screening"]} == {"urls" if url_check else "done"}
        assert json.loads(second["signals"]) == []
        if trusted and url_check:  # the URL check's save decides, and posts the cards
            assert cards == [] and second["state"] == "pending"
            assert first["auto_note"] is None and second["auto_note"] is None
        elif trusted:  # decided now: the first job waits for a person, the second is approved
            assert sorted(set(cards)) == ids  # the approval queues its own card refreshes
            assert "first job" in first["auto_note"] and first["state"] == "pending"
            assert second["state"] == "approved" and "Approved automatically" in second["auto_note"]
        else:
            assert sorted(cards) == ids and second["state"] == "pending"
            assert first["auto_note"] is None and second["auto_note"] is None


@pytest.mark.parametrize("failed", [False, True], ids=["links-checked", "check-failed"])
@pytest.mark.parametrize("trusted", [False, True], ids=["untrusted", "trusted"])
def test_the_url_checks_save_decides_and_posts_the_card(
    tmp_path: Path, trusted: bool, failed: bool
) -> None:
    with _screened_jobs(tmp_path / "j.db", trusted=trusted, url_check=True) as (
        conn,
        ids,
        screened,
    ):
        checks = {"failed": "HTTP 500"} if failed else {"checked": 2}
        url_results = [UrlScreening(r.request_id, r.version, checks, ()) for r in screened]
        stale = dataclasses.replace(url_results[1], version=url_results[1].version + 1)
        [(ok, saved)] = _commit_group(
            conn,
            [
                lambda c: [
                    *(save_local_screening(c, r, NOW, url_check=True) for r in screened),
                    *(save_url_screening(c, r, NOW) for r in (stale, *url_results, url_results[0])),
                ]
            ],
        )
        assert ok, saved
        assert saved == [True, True, False, True, True, False]
        rows = {
            r["id"]: r for r in conn.execute("SELECT id, state, screening, auto_note FROM requests")
        }
        cards = {
            json.loads(p)["request_id"]
            for (p,) in conn.execute("SELECT payload FROM outbox WHERE kind = 'card'")
        }
        first, second = rows[ids[0]], rows[ids[1]]
        assert cards == set(ids) and {first["screening"], second["screening"]} == {"done"}
        if trusted and not failed:
            assert second["state"] == "approved" and "Approved automatically" in second["auto_note"]
            assert "first job" in first["auto_note"]
        elif trusted:
            assert second["state"] == "pending" and "could not be checked" in second["auto_note"]
        else:
            assert second["state"] == "pending"
            assert first["auto_note"] is None and second["auto_note"] is None


async def test_an_attempt_the_process_never_settled_is_uncertain_whatever_came_before(
    tmp_path: Path,
) -> None:
    """A claim marks the item as possibly sent until its attempt is settled, so when the
    process dies after Slack took the message, the next claim looks before posting again,
    even when an earlier attempt had failed plainly. A deferral (pacing, a 429: certainly
    not sent) puts back the error the item had."""
    repo = await open_repo(tmp_path / "jobgate.db")
    try:
        now = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
        lease = timedelta(seconds=90)
        await repo.enqueue_message(lane="dm:U1", kind="dm", payload={}, now=now)

        async def claim(at: datetime) -> OutboxItem:
            (item,) = await repo.claim_outbox_items(
                now=at, owner="a", lease=lease, limit=5, kinds=("dm",)
            )
            return item

        first = await claim(now)
        assert (first.attempts, first.last_error) == (1, None)
        await repo.settle_retry(first, now, "chat.postMessage: not_in_channel")
        second = await claim(now)
        assert second.last_error == "chat.postMessage: not_in_channel"
        # the process dies here, after the post and before settling: the lease runs out
        third = await claim(now + lease + timedelta(seconds=1))
        assert third.attempts == 3
        assert third.last_error is not None and third.last_error.startswith(UNCERTAIN)
        await repo.defer_outbox_item(third, now + lease * 2)
        fourth = await claim(now + lease * 2)
        assert (fourth.attempts, fourth.last_error) == (3, third.last_error)
        await repo.settle_retry(fourth, now + lease * 3, "chat.postMessage: not_in_channel")
        fifth = await claim(now + lease * 3)
        assert fifth.last_error == "chat.postMessage: not_in_channel"
        # kept back on purpose (a 410): its time to give up counts from its next try
        assert fifth.first_attempt_at == now
        await repo.defer_outbox_item(fifth, now + lease * 4)
        await repo.restart_give_up_clocks(("dm",))
        sixth = await claim(now + lease * 4)
        assert sixth.first_attempt_at == now + lease * 4
        # an attempt that settled cannot be undone by a late write of the same attempt
        await repo.settle_delivered(sixth, now + lease * 4)
        await repo.settle_retry(sixth, now + lease * 5, f"{UNCERTAIN}attempt over its time")
        await repo.settle_dead(sixth, "too late")
        row = await repo.db.read(
            lambda conn: tuple(
                conn.execute(
                    "SELECT state, last_error FROM outbox WHERE id = ?", (sixth.id,)
                ).fetchone()
            )
        )
        assert row == ("delivered", None)
    finally:
        await repo.db.close()


@FILLERS
def test_new_requests_take_the_ids_after_the_largest_or_nothing_is_stored(
    tmp_path: Path, fillers: int
) -> None:
    """ingest_submissions numbers new requests from the largest id without looking them up.
    Only a table holding SQLite's largest rowid makes SQLite number otherwise (at random):
    then the call fails and stores nothing, rather than answer with wrong ids."""
    with contextlib.closing(sqlite3.connect(tmp_path / "j.db", isolation_level=None)) as conn:
        configure_connection(conn, writer=True)
        apply_migrations(conn)
        bodies = [job("job_1"), job("job_2"), *filler_jobs(fillers)]
        items = prepare([JobSubmission.model_validate(body) for body in bodies])
        [(ok, results)] = _commit_group(
            conn, [lambda c: ingest_submissions(c, Kind.JOB, items, NOW)]
        )
        assert ok, results
        stored = dict(conn.execute("SELECT upstream_id, id FROM requests").fetchall())
        assert {r.upstream_id: r.request_id for r in results} == stored
        audited = conn.execute("SELECT request_id FROM audit ORDER BY id").fetchall()
        assert [row[0] for row in audited] == [r.request_id for r in results]

        conn.execute("PRAGMA foreign_keys = OFF")  # the audit rows keep the old id
        conn.execute(
            "UPDATE requests SET id = 9223372036854775807 WHERE id = ?", (results[-1].request_id,)
        )
        again = prepare([JobSubmission.model_validate(body) for body in filler_jobs(fillers + 1)])
        [(ok, failure)] = _commit_group(
            conn, [lambda c: ingest_submissions(c, Kind.JOB, again, NOW)]
        )
        assert not ok and isinstance(failure, RuntimeError), failure
        assert conn.execute("SELECT count(*) FROM requests").fetchone()[0] == len(bodies)


def test_rows_beyond_sqlites_limit_on_bound_values_go_in_several_statements(
    tmp_path: Path,
) -> None:
    """New rows are bound as values, as many rows a statement as SQLite allows: a build
    allowing only 40 values (two request rows a statement, with their places) still stores an array whole and
    in order."""
    with contextlib.closing(sqlite3.connect(tmp_path / "j.db", isolation_level=None)) as conn:
        configure_connection(conn, writer=True)
        apply_migrations(conn)
        conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 40)
        items = prepare([JobSubmission.model_validate(body) for body in filler_jobs(10)])
        [(ok, results)] = _commit_group(
            conn, [lambda c: ingest_submissions(c, Kind.JOB, items, NOW)]
        )
        assert ok, results
        stored = conn.execute(
            "SELECT id, upstream_id, payload FROM requests ORDER BY id"
        ).fetchall()
        assert [(r.request_id, r.upstream_id) for r in results] == [row[:2] for row in stored]
        assert [row[2] for row in stored] == [item.payload for item in items]
        contacts = conn.execute("SELECT upstream_id FROM contacts ORDER BY id").fetchall()
        assert [row[0] for row in contacts] == [f"c_filler_{n}" for n in range(10)]


def test_inserts_of_any_size_use_a_few_statement_shapes(tmp_path: Path) -> None:
    """sqlite3 caches a compiled program per statement text; one VALUES statement per row
    count filled that cache with programs of up to 13,000 values (RSS 273 MiB instead of 102
    after 150 arrays). Statements hold a power of two of rows, so the shapes stay few."""
    _values_statement.cache_clear()
    with contextlib.closing(sqlite3.connect(tmp_path / "j.db", isolation_level=None)) as conn:
        configure_connection(conn, writer=True)
        apply_migrations(conn)
        for size in range(1, 41):
            bodies = [
                job(
                    f"job_{size}_{n}",
                    employer_id=f"emp_{size}_{n}",
                    contact={"id": f"c_{size}_{n}"},
                )
                for n in range(size)
            ]
            items = prepare([JobSubmission.model_validate(body) for body in bodies])
            [(ok, results)] = _commit_group(
                conn, [lambda c, items=items: ingest_submissions(c, Kind.JOB, items, NOW)]
            )
            assert ok, results
        assert conn.execute("SELECT count(*) FROM requests").fetchone()[0] == sum(range(41))
    # employers, contacts and requests, each in statements of 1, 2, 4, 8, 16, 32 or 64 rows
    assert _values_statement.cache_info().currsize <= 3 * 7


async def test_checkpoints_run_after_commits_on_a_connection_of_their_own(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "jobgate.db")
    try:
        writer_pages = await db.write(
            lambda conn: conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        )
        assert writer_pages == WRITER_CHECKPOINT_PAGES  # the writer's own is only a backstop
        for n in range(30):
            await db.write(partial(remember_slack_event, event_id=f"Ev{n}", now=NOW))
        deadline = time.monotonic() + 5
        while db.last_checkpoint is None or db.last_checkpoint[0] == 0:
            assert time.monotonic() < deadline, "no checkpoint after the commits"
            await asyncio.sleep(0.02)
        frames, copied = db.last_checkpoint
        assert copied == frames  # nobody was reading: every committed page was copied
        # nothing is written, so nothing is checkpointed
        await asyncio.sleep(3 * CHECKPOINT_EVERY_S)
        settled = db.checkpoints
        await asyncio.sleep(3 * CHECKPOINT_EVERY_S)
        assert db.checkpoints == settled
    finally:
        await db.close()
    assert not (tmp_path / "jobgate.db-wal").exists()
    with contextlib.closing(sqlite3.connect(tmp_path / "jobgate.db")) as conn:
        stored = conn.execute(
            "SELECT COUNT(*) FROM inbound_deliveries WHERE endpoint = 'slack:event'"
        )
        assert stored.fetchone()[0] == 30


def test_the_duplicate_look_up_uses_the_index_of_keyed_jobs() -> None:
    """requests_duplicates holds only jobs with a title key (migration 0005); the look-up,
    which always names one, must still be answered from it."""
    conn = sqlite3.connect(":memory:")
    apply_migrations(conn)
    conn.execute("ANALYZE")  # as the planner would see a real queue
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    duplicate_candidates(
        conn, employer_id=7, title_key="data analyst intern", exclude_id=1, approved_since=NOW
    )
    conn.set_trace_callback(None)
    [lookup] = [sql for sql in statements if "title_key" in sql]
    plan = " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {lookup}"))
    assert "USING INDEX requests_duplicates" in plan, plan
    conn.close()
