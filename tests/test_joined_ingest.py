"""Inbound calls that meet in one commit group are written together (storage/ingest.py), and
what they store and answer is what running them one after another would give."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.models import Kind
from bot.submissions import JobSubmission
from storage.db import Database, _commit_group, configure_connection
from storage.deliveries import StoredAnswer
from storage.ingest import IngestAnswer, IngestCall
from storage.migrations import apply_migrations
from storage.prepared import prepare
from storage.repository import Repository
from storage.requests import IngestResult
from tests.harness import job

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
ENDPOINT = "/api/v1/jobs"


def respond(results: list[IngestResult]) -> StoredAnswer:
    return StoredAnswer(200, results[0].as_response())


def call(body: dict[str, Any], webhook_id: str | None, at: datetime = NOW) -> IngestCall:
    items = prepare([JobSubmission.model_validate(body)])
    return IngestCall(Kind.JOB, items, webhook_id, ENDPOINT, respond, at)


@contextlib.contextmanager
def database(path: Path) -> Iterator[sqlite3.Connection]:
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        configure_connection(conn, writer=True)
        apply_migrations(conn)
        yield conn


def ingest_passes(conn: sqlite3.Connection, units: list[Any]) -> tuple[list[Any], int]:
    """The group's outcomes, and how many times it looked its requests up (once for each
    `ingest_submissions`, however many items it is given)."""
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        outcomes = _commit_group(conn, units)
    finally:
        conn.set_trace_callback(None)
    return outcomes, sum("json_array(upstream_id, id, state, payload" in s for s in statements)


def rows(conn: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in conn.execute(sql)]


def stored(conn: sqlite3.Connection) -> dict[str, Any]:
    """Everything an ingest writes, without ids and times: each request's audit rows and
    each outbox lane's items in their order (rows of different requests may interleave
    differently in a joined run, see storage.db.Joinable)."""
    return {
        "requests": rows(
            conn,
            "SELECT r.kind, r.upstream_id, e.upstream_id, c.upstream_id, r.title, r.state,"
            " r.payload, r.version FROM requests r JOIN employers e ON e.id = r.employer_id"
            " LEFT JOIN contacts c ON c.id = r.contact_id ORDER BY r.upstream_id",
        ),
        "employers": rows(conn, "SELECT upstream_id, name, status FROM employers ORDER BY id"),
        "contacts": rows(
            conn, "SELECT upstream_id, name, email, phone FROM contacts ORDER BY upstream_id"
        ),
        "audit": rows(
            conn,
            "SELECT r.upstream_id, a.action, a.from_state, a.to_state, a.actor, a.reasons"
            " FROM audit a JOIN requests r ON r.id = a.request_id ORDER BY r.upstream_id, a.id",
        ),
        "outbox": rows(
            conn,
            "SELECT r.upstream_id, o.kind, o.state FROM outbox o"
            " JOIN requests r ON o.lane LIKE '%:' || r.id ORDER BY o.lane, o.id",
        ),
        "answers": rows(
            conn, "SELECT webhook_id, status, response FROM inbound_deliveries ORDER BY webhook_id"
        ),
    }


def mixed_calls() -> list[IngestCall]:
    """Jobs from three employers (one of them declined, so its jobs are declined on
    arrival), sharing contacts, and edits of two jobs stored before."""
    bodies = [
        job(
            f"job_{n}",
            employer_id=f"emp_{n % 3}",
            title=f"Analyst {n}",
            contact={"id": f"c_{n % 4}", "name": f"Person {n}", "email": f"p{n}@acme.example"},
        )
        for n in range(10)
    ]
    bodies[3:3] = [job("old_1", title="Analyst, edited"), job("old_2", title="Tester, edited")]
    return [
        call(body, f"msg_{n}", NOW + timedelta(milliseconds=n)) for n, body in enumerate(bodies)
    ]


def stored_before(conn: sqlite3.Connection) -> None:
    """Two jobs already stored, and emp_2 declined."""
    old = [call(job("old_1", title="Analyst"), "old_1"), call(job("old_2"), "old_2")]
    for unit in old:
        assert _commit_group(conn, [unit])[0][0]
    conn.execute(
        "INSERT INTO employers (upstream_id, name, name_key, status, first_seen_at, updated_at)"
        " VALUES ('emp_2', 'Blocked Co', 'blocked co', 'declined', 'x', 'x')"
    )


def test_calls_in_one_group_are_written_together_as_they_would_be_one_by_one(
    tmp_path: Path,
) -> None:
    with database(tmp_path / "joined.db") as joined, database(tmp_path / "alone.db") as alone:
        stored_before(joined)
        stored_before(alone)
        outcomes, passes = ingest_passes(joined, list(mixed_calls()))
        assert passes == 1  # twelve calls, written as one
        one_by_one = []
        for unit in mixed_calls():
            [outcome] = _commit_group(alone, [unit])
            one_by_one.append(outcome)
        assert all(ok for ok, _ in outcomes + one_by_one)
        answers = [value.answer for _, value in outcomes]
        assert answers == [value.answer for _, value in one_by_one]
        results = [(a.body["id"], a.body["result"], a.body["state"]) for a in answers]
        assert results[3:5] == [("old_1", "updated", "pending"), ("old_2", "updated", "pending")]
        assert ("job_2", "created", "declined") in results  # emp_2 is declined
        assert stored(joined) == stored(alone)
        # the rows take the latest call's time
        times = rows(
            joined, "SELECT DISTINCT received_at FROM requests WHERE upstream_id LIKE 'job%'"
        )
        assert times == [("2026-11-25T15:00:00.011Z",)]


def test_calls_sharing_a_request_or_a_webhook_id_run_one_after_another(tmp_path: Path) -> None:
    with database(tmp_path / "j.db") as conn:
        units = [
            call(job("job_1", title="Analyst"), "msg_a"),
            call(job("job_1", title="Senior Analyst"), "msg_b"),  # same request: an update
            call(job("job_2", title="Tester"), "msg_a"),  # the first call's id: its answer
            call(job("job_3", title="Designer"), None),
        ]
        outcomes, passes = ingest_passes(conn, list(units))
        assert all(ok for ok, _ in outcomes)
        answers: list[IngestAnswer] = [value for _, value in outcomes]
        assert [(a.answer.body["result"], a.replayed) for a in answers] == [
            ("created", False),
            ("updated", False),
            ("created", True),
            ("created", False),
        ]
        assert answers[2].answer == answers[0].answer
        assert passes == 2  # job_1 alone; then its update, msg_a's replay and job_3 together
        titles = rows(conn, "SELECT upstream_id, title FROM requests ORDER BY id")
        assert titles == [("job_1", "Senior Analyst"), ("job_3", "Designer")]


def test_a_failing_call_in_a_joined_run_fails_only_itself(tmp_path: Path) -> None:
    def refuse(results: list[IngestResult]) -> StoredAnswer:
        raise ValueError("no answer for this one")

    with database(tmp_path / "j.db") as conn:
        bad = IngestCall(
            Kind.JOB,
            prepare([JobSubmission.model_validate(job("job_2"))]),
            "msg_2",
            ENDPOINT,
            refuse,
            NOW,
        )
        units = [call(job("job_1"), "msg_1"), bad, call(job("job_3"), "msg_3")]
        outcomes, passes = ingest_passes(conn, list(units))
        assert passes == 1 + 3  # tried joined, then each on its own
        assert [ok for ok, _ in outcomes] == [True, False, True]
        assert isinstance(outcomes[1][1], ValueError)
        kept = rows(conn, "SELECT upstream_id FROM requests ORDER BY id")
        assert kept == [("job_1",), ("job_3",)]
        answered = rows(conn, "SELECT webhook_id FROM inbound_deliveries ORDER BY 1")
        assert answered == [("msg_1",), ("msg_3",)]


def test_a_run_never_reaches_past_another_kind_of_unit(tmp_path: Path) -> None:
    seen: list[int] = []

    def count_requests(conn: sqlite3.Connection) -> None:
        seen.append(conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0])

    with database(tmp_path / "j.db") as conn:
        units = [call(job("job_1"), "m1"), call(job("job_2"), "m2"), count_requests]
        units += [call(job("job_3"), "m3")]
        outcomes, passes = ingest_passes(conn, units)
        assert all(ok for ok, _ in outcomes)
        assert seen == [2] and passes == 2


async def test_concurrent_calls_share_a_commit_and_each_gets_its_own_answer(
    tmp_path: Path,
) -> None:
    repo = Repository(await Database.open(tmp_path / "j.db"))
    statements: list[str] = []
    try:
        await repo.db.write(lambda conn: conn.set_trace_callback(statements.append))
        bodies = [job(f"job_{n}", title=f"Analyst {n}") for n in range(20)]
        answers = await asyncio.gather(
            *[
                repo.ingest_submissions(
                    Kind.JOB,
                    [JobSubmission.model_validate(body)],
                    webhook_id=f"msg_{n % 15}",  # five of them repeat an id
                    endpoint=ENDPOINT,
                    respond=respond,
                    now=NOW,
                )
                for n, body in enumerate(bodies)
            ]
        )
        assert repo.db.commits == 2  # the trace's, then all twenty calls
        assert sum("json_array(upstream_id, id, state, payload" in s for s in statements) == 1
        assert [a.replayed for a in answers] == [False] * 15 + [True] * 5
        assert [a.answer.body["id"] for a in answers] == [f"job_{n % 15}" for n in range(20)]
        count = await repo.db.read(lambda c: c.execute("SELECT COUNT(*) FROM requests").fetchone())
        assert count[0] == 15
    finally:
        await repo.db.close()


def test_a_joined_run_stays_within_a_thousand_items(tmp_path: Path) -> None:
    def array(start: int, count: int, webhook_id: str) -> IngestCall:
        bodies = [job(f"job_{n}") for n in range(start, start + count)]
        items = prepare([JobSubmission.model_validate(body) for body in bodies])
        return IngestCall(Kind.JOB, items, webhook_id, ENDPOINT, respond, NOW)

    with database(tmp_path / "j.db") as conn:
        units = [array(0, 600, "m1"), array(600, 400, "m2"), array(1000, 1, "m3")]
        outcomes, passes = ingest_passes(conn, list(units))
        assert all(ok for ok, _ in outcomes)
        assert passes == 2  # 600 + 400 together, the next one on its own
        assert rows(conn, "SELECT COUNT(*) FROM requests") == [(1001,)]


def test_a_joined_run_stays_within_about_a_megabyte(tmp_path: Path) -> None:
    text = "Long description. " * 20_000  # 360 kB of payload each
    with database(tmp_path / "j.db") as conn:
        units = [call(job(f"job_{n}", description=text), f"m{n}") for n in range(5)]
        assert [unit.weight for unit in units] == [units[0].weight] * 5
        assert 300 < units[0].weight < 400
        outcomes, passes = ingest_passes(conn, list(units))
        assert all(ok for ok, _ in outcomes)
        assert passes == 3  # runs of 2, 2 and 1: a third call of ~360 would pass 1,000
