"""Large inbound arrays parsed in the parse worker (what `jobgate run` does): the same rows
and the same answers as parsed in the bot's process, and a worker that dies costs no call."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.health import health_report
from bot.parse_process import PARSE_IN_WORKER_FROM, ParseProcess
from storage.db import Database
from storage.repository import Repository
from tests.harness import Harness, employer, job, start_harness, stop_harness
from tests.processes import gone
from tests.reliability.support import healthz

# what an inbound call stores, without the ids and times that differ from run to run
STORED = {
    "requests": "SELECT kind, upstream_id, (SELECT upstream_id FROM employers e WHERE"
    " e.id = employer_id), (SELECT upstream_id FROM contacts c WHERE c.id = contact_id), title,"
    " location, apply_domain, payload, requested_at, state FROM requests ORDER BY kind,"
    " upstream_id",
    "employers": "SELECT upstream_id, name, name_key, status, website, industry, size, location"
    " FROM employers ORDER BY upstream_id",
    "contacts": "SELECT upstream_id, name, email, phone, email_domain, phone_key FROM contacts"
    " ORDER BY upstream_id",
}


def _jobs(count: int, prefix: str = "job") -> list[dict[str, Any]]:
    """Jobs of 12 employers and 30 contacts, some without a contact, one with the employer's
    name left out."""
    items = []
    for n in range(count):
        fields: dict[str, Any] = {
            "title": f"Data Analyst Intern {n}",
            "apply_url": f"https://careers{n % 7}.example.org/apply/{n}",
            "contact": {"id": f"c_{n % 30}", "email": f"hr{n % 30}@firm{n % 5}.example"},
        }
        if n % 9 == 0:
            fields["contact"] = None
        item = job(f"{prefix}_{n}", f"emp_{n % 12}", **fields)
        if n == 3:
            item["employer"] = {"id": "emp_3"}
        if n % 50 == 7:
            # json.dumps writes it as an escaped pair, which the fast parse declines
            item["title"] = f"Barista \N{HOT BEVERAGE} {n}"
        items.append(item)
    return items


def _employers(count: int) -> list[dict[str, Any]]:
    return [
        employer(f"emp_{n}", name=f"Firm {n}", industry="Finance", size="51-200")
        for n in range(count)
    ]


def _profiles_changed(employers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same employers with a new name and website: known now, so their profiles update."""
    return [
        dict(item, name=f"{item['name']} Holdings", website="https://holdings.example")
        for item in employers
    ]


def _folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return folder


def _stored(h: Harness) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(h.jobgate.settings.database) as conn:
        return {table: conn.execute(sql).fetchall() for table, sql in STORED.items()}


def _parsed_in_worker(h: Harness) -> int:
    parser = h.jobgate.services.parse_process
    assert parser is not None, "the harness was asked for a parse process"
    return parser.bodies_prepared


def _worker(h: Harness) -> list[int]:
    parser = h.jobgate.services.parse_process
    assert parser is not None
    return parser.worker_pids()


async def test_large_arrays_store_and_answer_the_same_as_in_the_bots_process(
    tmp_path: Path,
) -> None:
    jobs, employers = _jobs(240), _employers(300)
    assert len(json.dumps(jobs)) >= PARSE_IN_WORKER_FROM
    assert len(json.dumps(employers)) >= PARSE_IN_WORKER_FROM
    again = [dict(item, title=f"{item['title']} (paid)") for item in jobs[:200]]
    assert len(json.dumps(again)) >= PARSE_IN_WORKER_FROM
    outcomes = {}
    for where, parse_process in (("worker", True), ("bot", False)):
        h = await start_harness(_folder(tmp_path, where), parse_process=parse_process)
        try:
            answers = [
                await h.platform.send_employers(employers),
                await h.platform.send_jobs(jobs),
                await h.platform.send_jobs(again),  # 200 updated
                await h.platform.send_employers(_profiles_changed(employers)),
            ]
            assert [a.status for a in answers] == [200, 200, 200, 200]
            outcomes[where] = ([a.body for a in answers], _stored(h))
            if parse_process:
                assert _parsed_in_worker(h) == 4
        finally:
            await stop_harness(h)
    assert outcomes["worker"] == outcomes["bot"]
    answers, stored = outcomes["worker"]
    assert (answers[1]["created"], answers[2]["updated"], answers[3]["updated"]) == (240, 200, 300)
    assert len(stored["requests"]) == 540 and len(stored["contacts"]) == 30
    assert {row[1] for row in stored["employers"]} >= {"Firm 0 Holdings", "Firm 299 Holdings"}
    assert any("\N{HOT BEVERAGE}" in row[4] for row in stored["requests"])


async def test_a_large_array_with_a_problem_gets_the_same_400_and_stores_nothing(
    tmp_path: Path,
) -> None:
    jobs = _jobs(200)
    jobs[150]["pay"] = {"min": 40, "max": 20, "currency": "USD", "period": "hour"}
    jobs[170]["apply_url"] = "javascript:alert(1)"
    bodies = {}
    for where, parse_process in (("worker", True), ("bot", False)):
        h = await start_harness(_folder(tmp_path, where), parse_process=parse_process)
        try:
            answer = await h.platform.send_jobs(jobs)
            assert answer.status == 400
            bodies[where] = answer.body
            assert _stored(h)["requests"] == []
            if parse_process:
                assert _parsed_in_worker(h) == 0
        finally:
            await stop_harness(h)
    assert bodies["worker"] == bodies["bot"]
    assert [p["field"] for p in bodies["worker"]["problems"]] == ["[150].pay", "[170].apply_url"]


async def test_small_bodies_are_parsed_in_the_bots_process(tmp_path: Path) -> None:
    h = await start_harness(tmp_path, parse_process=True)
    try:
        assert (await h.platform.send_jobs(job("job_single"))).status == 200
        assert (await h.platform.send_jobs(_jobs(10))).status == 200
        assert _parsed_in_worker(h) == 0
        assert len(_stored(h)["requests"]) == 11
    finally:
        await stop_harness(h)


async def test_a_killed_worker_costs_no_call_and_is_replaced(tmp_path: Path) -> None:
    h = await start_harness(tmp_path, parse_process=True)
    try:
        assert (await h.platform.send_jobs(_jobs(200, "first"))).status == 200
        [first] = _worker(h)
        os.kill(first, signal.SIGKILL)
        assert await gone(first)

        # the worker's death is seen by this call, which is parsed in the bot's process
        answer = await h.platform.send_jobs(_jobs(200, "second"))
        assert answer.status == 200 and answer.body["created"] == 200
        parser = h.jobgate.services.parse_process
        assert parser is not None and parser.restarts == 1
        assert _parsed_in_worker(h) == 1

        # the next call starts a new worker
        assert (await h.platform.send_jobs(_jobs(200, "third"))).status == 200
        assert _parsed_in_worker(h) == 2
        [second] = _worker(h)
        assert second != first
        assert len(_stored(h)["requests"]) == 600
        health = await healthz(h)
        assert health["inbound"] == {
            "large_arrays_parsed_in": "worker process",
            "bodies_parsed_in_worker": 2,
            "parse_worker_restarts": 1,
        }
    finally:
        await stop_harness(h)
    assert await gone(second), "stop() leaves no parse process behind"


async def test_a_stuck_worker_is_killed_and_the_call_parsed_in_the_bots_process(
    tmp_path: Path,
) -> None:
    h = await start_harness(tmp_path, parse_process=True)
    stuck = ParseProcess(timeout_s=0.5)
    started = h.jobgate.services.parse_process
    h.jobgate.services.parse_process = stuck
    try:
        assert started is not None
        await started.close()
        assert (await h.platform.send_jobs(_jobs(200, "first"))).status == 200
        [first] = stuck.worker_pids()
        os.kill(first, signal.SIGSTOP)  # alive, and answering nothing

        answer = await h.platform.send_jobs(_jobs(200, "second"))
        assert answer.status == 200 and answer.body["created"] == 200
        assert stuck.restarts == 1 and stuck.bodies_prepared == 1
        assert await gone(first), "the stuck worker is killed, not left behind"

        assert (await h.platform.send_jobs(_jobs(200, "third"))).status == 200
        assert stuck.bodies_prepared == 2
        assert len(_stored(h)["requests"]) == 600
    finally:
        await stop_harness(h)


async def test_healthz_still_reports_both_workers_when_the_database_fails(
    tmp_path: Path,
) -> None:
    h = await start_harness(_folder(tmp_path, "bot"), parse_process=True, screening_process=True)
    try:
        # the same services over a database whose every read fails (closed)
        broken = await Database.open(tmp_path / "broken.db")
        await broken.close()
        services = replace(h.jobgate.services, repo=Repository(broken))
        healthy, report = await health_report(services, None, None, h.jobgate.screening_process)
        assert not healthy and report["database"]["ok"] is False
        assert report["status"] == "failing"
        assert report["inbound"]["large_arrays_parsed_in"] == "worker process"
        assert report["inbound"]["parse_worker_restarts"] == 0
        # the backlog needs the database; where screening runs does not
        assert report["screening"] == {
            "waiting": None,
            "runs_in": "worker process",
            "worker_restarts": 0,
        }
    finally:
        await stop_harness(h)
