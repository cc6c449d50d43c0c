"""Promise 1: kill -9 anywhere loses nothing and doubles nothing.

`jobgate run` runs as a real child process against a fake Slack and a fake platform that live
in this test process (so they outlive every death). A driver ingests employers and jobs,
clicks Approve and Undo, submits Decline modals and bulk runs, exactly as Slack and the
platform would (signed; a call whose answer was lost is retried as they retry it), while the
bot is killed with SIGKILL at random moments (a fifth of them during start-up) and restarted.
After the last restart: the database is intact, every acknowledged ingest and decision is in it
with its audit row, every outbox event reached the platform (at least once, once per
webhook-id, in order per request) and every card and thread reply is in Slack exactly once.

JOBGATE_RELIABILITY_KILLS (default 50) sets the number of kills, JOBGATE_RELIABILITY_SEED the
random seed (printed), JOBGATE_RELIABILITY_REAL_TIMINGS=1 runs `python -m bot run` unchanged
(production delivery timings: slower to converge after the last restart)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import sqlite3
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.sandbox.fake_platform import FakePlatform
from bot.sandbox.fake_slack import BotAnswer, FakeSlack
from bot.sandbox.workspace import Message, OpenView
from handlers import ids
from tests.harness import (
    ADMIN,
    REPORTS_CHANNEL,
    REVIEW_CHANNEL,
    REVIEWERS,
    Secrets,
    decline_form,
    employer,
    job,
    populate,
)
from tests.reliability.support import cards_of, flag, free_port, knob, marked, open_db, report

KILLS = knob("JOBGATE_RELIABILITY_KILLS", 50)
SEED = knob("JOBGATE_RELIABILITY_SEED", random.SystemRandom().randrange(1 << 31))
REAL_TIMINGS = flag("JOBGATE_RELIABILITY_REAL_TIMINGS")
ROOT = Path(__file__).resolve().parents[2]
MAX_REQUESTS = 60 + 6 * KILLS
WORKERS = 3
TRANSPORT_ERRORS = (aiohttp.ClientError, OSError, asyncio.TimeoutError)
STATE_WORDS = {
    "pending": "Pending review",
    "approved": "Approved",
    "declined": "Declined",
    "on_hold": "On hold",
}
DECISIONS = ("approved", "declined", "on_hold", "reverted")


class BotProcess:
    """One `jobgate run` at a time, on a fixed port, logging to a file."""

    def __init__(self, workdir: Path, env: dict[str, str], port: int) -> None:
        self.workdir = workdir
        self.env = env
        self.port = port
        self.log = workdir / "jobgate.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        command = ["-m", "bot", "run"] if REAL_TIMINGS else ["-m", "tests.reliability.run_bot"]
        with self.log.open("ab") as log:
            log.write(f"\n=== start {self.starts} ===\n".encode())
            log.flush()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                *command,
                "run",
                cwd=self.workdir,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        self.starts += 1

    async def wait_healthy(self, timeout: float = 60.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with aiohttp.ClientSession() as session:
            while loop.time() < deadline:
                assert self.proc is not None
                if self.proc.returncode is not None:
                    raise AssertionError(f"jobgate exited ({self.proc.returncode}):\n{self.tail()}")
                with contextlib.suppress(*TRANSPORT_ERRORS):
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.02)
        raise AssertionError(f"jobgate did not become healthy:\n{self.tail()}")

    async def kill(self) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            await self.kill()
            raise AssertionError("jobgate did not stop on SIGTERM") from None

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Tracked:
    """One request as the driver knows it: only what was acknowledged counts."""

    upstream_id: str
    kind: str
    employer: str
    bulk: bool = False
    ingested: bool = False
    acked: list[tuple[str, str]] = field(default_factory=list)
    state: str = "pending"
    decided_by: str | None = None
    decided_at: float = 0.0
    tainted: bool = False
    busy: bool = False


@dataclass
class Ingest:
    path: str
    payload: Any
    webhook_id: str
    upstream_ids: list[str]


@dataclass
class BulkSubmission:
    employer: str
    filter_text: str
    jobs: list[str]
    acked: bool = False


class Driver:
    """Slack's people and the platform, acting while the bot lives and dies."""

    def __init__(self, slack: FakeSlack, platform: FakePlatform, rng: random.Random) -> None:
        self.slack = slack
        self.platform = platform
        self.rng = rng
        self.up = asyncio.Event()
        self.stopping = False
        self.finishing = False
        self.requests: dict[str, Tracked] = {}
        self.unacked: list[Ingest] = []
        self.ingest_seq = 0
        self.names = 0
        self.bulks: list[BulkSubmission] = []
        self.bulked: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.problems: list[str] = []

    # -- the platform ----------------------------------------------------------------------

    def _name(self) -> str:
        self.names += 1
        n = self.names
        letters = "abcdefghijklmnopqrstuvwxyz"
        return letters[n // 676 % 26] + letters[n // 26 % 26] + letters[n % 26]

    def new_ingest(self) -> Ingest | None:
        if len(self.requests) >= MAX_REQUESTS:
            return None
        employers = [r for r in self.requests.values() if r.kind == "employer"]
        self.ingest_seq += 1
        webhook_id = f"msg_kill_{self.ingest_seq:05d}"
        roll = self.rng.random()
        if not employers or roll < 0.2:
            bulk = self.rng.random() < 0.3
            upstream = f"emp_{'bulk_' if bulk else ''}{self.ingest_seq}"
            name = f"{'Bulkco' if bulk else 'Firm'} {self._name()}"
            self.requests[upstream] = Tracked(upstream, "employer", upstream, bulk=bulk)
            return Ingest(
                "/api/v1/employers", employer(upstream, name=name), webhook_id, [upstream]
            )
        owner = self.rng.choice(employers)
        jobs = []
        for _ in range(self.rng.randint(1, 3)):
            self.ingest_seq += 1
            upstream = f"job_{self.ingest_seq}"
            word = self._name()
            jobs.append(
                job(
                    upstream,
                    employer_id=owner.upstream_id,
                    title=f"Analyst {word}",
                    description=f"Build dashboards and reports for the {word} team.",
                )
                | {"employer": {"id": owner.upstream_id, "name": "Employer"}}
            )
            self.requests[upstream] = Tracked(upstream, "job", owner.upstream_id, bulk=owner.bulk)
        payload: Any = jobs if len(jobs) > 1 or self.rng.random() < 0.5 else jobs[0]
        return Ingest("/api/v1/jobs", payload, webhook_id, [j["id"] for j in jobs])

    async def ingest(self, item: Ingest) -> None:
        """Sent (and re-sent with the same webhook-id) until jobgate answers 200."""
        try:
            answer = await self.platform.send(item.path, item.payload, webhook_id=item.webhook_id)
        except TRANSPORT_ERRORS:
            self.counts["ingest_unanswered"] += 1
            self.unacked.append(item)
            return
        if answer.status != 200:
            self.problems.append(
                f"ingest {item.webhook_id} answered {answer.status}: {answer.body}"
            )
            return
        self.counts["ingests_acked"] += 1
        for upstream in item.upstream_ids:
            self.requests[upstream].ingested = True

    # -- Slack -----------------------------------------------------------------------------

    def card(self, upstream_id: str) -> Message | None:
        found = cards_of(self.slack, upstream_id)
        return found[0] if found else None

    async def send(self, payload: dict[str, Any]) -> BotAnswer | None:
        """As Slack sends an interaction: retried (X-Slack-Retry-Num 1 to 3) while unanswered."""
        for retry in (None, 1, 2, 3):
            await self.up.wait()
            try:
                return await self.slack.send_interaction(payload, retry_num=retry)
            except TRANSPORT_ERRORS:
                self.counts["slack_unanswered"] += 1
                await asyncio.sleep(0.05)
        return None

    def _decidable(self) -> list[Tracked]:
        return [
            r
            for r in self.requests.values()
            if r.ingested
            and not r.busy
            and not r.tainted
            and not (r.bulk and r.kind == "job")
            and r.state == "pending"
        ]

    def _undoable(self) -> list[Tracked]:
        recent = time.monotonic() - 8 * 60
        return [
            r
            for r in self.requests.values()
            if r.kind == "job"
            and not r.busy
            and not r.tainted
            and not r.bulk
            and r.state in ("approved", "declined")
            and r.decided_at > recent
        ]

    def _employer_approved(self, upstream_id: str) -> bool:
        owner = self.requests.get(upstream_id)
        return owner is not None and owner.state == "approved" and not owner.tainted

    async def decide(self, request: Tracked) -> None:
        card = self.card(request.upstream_id)
        if card is None:
            return
        if request.kind == "employer":
            action, user = "approved", ADMIN
        elif self._employer_approved(request.employer) and self.rng.random() < 0.7:
            action, user = "approved", self.rng.choice(REVIEWERS)
        else:
            action, user = "declined", self.rng.choice(REVIEWERS)
        try:
            payload = (
                self.slack.block_actions_payload(user, card, ids.APPROVE)
                if action == "approved"
                else self._decline_payload(user, card)
            )
        except LookupError:  # the card does not show the buttons yet
            return
        answer = await self.send(payload)
        self._settle(request, answer, action, user)

    def _decline_payload(self, user: str, card: Message) -> dict[str, Any]:
        request_id = next(
            (
                int(str(e["value"]))
                for b in card.blocks
                for e in b.get("elements") or []
                if e.get("action_id") == ids.DECLINE
            ),
            None,
        )
        if request_id is None:
            raise LookupError("no Decline button on this card")
        metadata = {"request_id": request_id, "channel": card.channel, "ts": card.ts}
        view = OpenView(
            self.slack.workspace.new_id("V"),
            user,
            {
                "type": "modal",
                "callback_id": ids.DECLINE_MODAL,
                "title": {"type": "plain_text", "text": "Decline"},
                "blocks": [],
                "private_metadata": json.dumps(metadata),
            },
            self.slack.workspace.new_id("h"),
            "",
        )
        values = decline_form("insufficient_detail")
        return self.slack.view_submission_payload(user, view, values)

    async def undo(self, request: Tracked) -> None:
        card = self.card(request.upstream_id)
        if card is None or request.decided_by is None:
            return
        try:
            payload = self.slack.block_actions_payload(request.decided_by, card, ids.UNDO)
        except LookupError:  # the card update with the Undo button has not landed yet
            return
        answer = await self.send(payload)
        self._settle(request, answer, "reverted", request.decided_by)

    def _settle(self, request: Tracked, answer: BotAnswer | None, action: str, user: str) -> None:
        if answer is None:
            request.tainted = True  # unknown: maybe done, maybe not; never touched again
            self.counts[f"{action}_unknown"] += 1
            return
        if answer.status != 200:
            self.problems.append(f"{action} on {request.upstream_id} answered {answer.status}")
            request.tainted = True
            return
        self.counts[f"{action}_acked"] += 1
        request.acked.append((action, user))
        if action == "reverted":
            request.state, request.decided_by = "pending", None
        else:
            request.state, request.decided_by = action, user
            request.decided_at = time.monotonic()

    async def bulk(self, owner: Tracked) -> None:
        jobs = [
            r.upstream_id
            for r in self.requests.values()
            if r.kind == "job" and r.employer == owner.upstream_id and r.ingested
        ]
        if not jobs:
            return
        self.bulked.add(owner.upstream_id)
        submission = BulkSubmission(
            owner.upstream_id, f"kind:job employer:{owner.upstream_id}", jobs
        )
        self.bulks.append(submission)
        metadata = {
            "action": "approve",
            "filter": submission.filter_text,
            "count": 10_000,
            "channel": REVIEW_CHANNEL,
            "search": None,
        }
        view = OpenView(
            self.slack.workspace.new_id("V"),
            ADMIN,
            {
                "type": "modal",
                "callback_id": ids.BULK_MODAL,
                "title": {"type": "plain_text", "text": "Bulk approve"},
                "blocks": [],
                "private_metadata": json.dumps(metadata),
            },
            self.slack.workspace.new_id("h"),
            "",
        )
        answer = await self.send(self.slack.view_submission_payload(ADMIN, view, {}))
        if answer is not None and answer.status == 200:
            submission.acked = "Done:" in answer.body  # handlers/bulk.py's answer
            self.counts["bulk_acked"] += submission.acked
        else:
            self.counts["bulk_unknown"] += 1
        for upstream in jobs:
            self.requests[upstream].tainted = True  # bulk jobs are checked per run, not per job

    # -- the loop --------------------------------------------------------------------------

    async def step(self) -> bool:
        """One action; False when there was nothing to do."""
        if self.unacked:
            await self.ingest(self.unacked.pop(0))
            return True
        if self.finishing:
            return False
        roll = self.rng.random()
        if roll < 0.3:
            item = self.new_ingest()
            if item is not None:
                await self.ingest(item)
                return True
        if roll < 0.4:
            ready = [
                r
                for r in self.requests.values()
                if r.kind == "employer"
                and r.bulk
                and r.upstream_id not in self.bulked
                and self._employer_approved(r.upstream_id)
                and not r.busy
            ]
            if ready:
                await self._busy(self.rng.choice(ready), self.bulk)
                return True
        if roll < 0.5:
            candidates = self._undoable()
            if candidates:
                await self._busy(self.rng.choice(candidates), self.undo)
                return True
        candidates = self._decidable()
        if candidates:
            await self._busy(self.rng.choice(candidates), self.decide)
            return True
        return False

    async def _busy(self, request: Tracked, action: Any) -> None:
        request.busy = True
        try:
            await action(request)
        finally:
            request.busy = False
        # an action that found nothing to click yet (no card, no Undo button) returns without
        # awaiting anything: yield, or this loop starves the fakes and the kill timer
        await asyncio.sleep(0)

    async def run(self) -> None:
        while not self.stopping:
            await self.up.wait()
            if not await self.step():
                await asyncio.sleep(0.02)


def bot_env(
    tmp: Path, slack: FakeSlack, platform: FakePlatform, secrets: Secrets, port: int
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "JOBGATE_"))}
    # the daily digest is due six hours ago (outside its grace period): never posted here
    digest_at = (datetime.now(UTC) - timedelta(hours=6)).strftime("%H:%M")
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": secrets.signing,
            "SLACK_API_URL": slack.api_url,
            "JOBGATE_DATABASE": str(tmp / "jobgate.db"),
            "JOBGATE_REVIEW_CHANNEL": REVIEW_CHANNEL,
            "JOBGATE_REPORTS_CHANNEL": REPORTS_CHANNEL,
            "JOBGATE_REVIEWERS": ",".join(REVIEWERS),
            "JOBGATE_ADMINS": ADMIN,
            "JOBGATE_INGEST_SECRET": secrets.ingest,
            "JOBGATE_WEBHOOK_URL": platform.url,
            "JOBGATE_WEBHOOK_SECRET": secrets.webhook,
            "JOBGATE_HOST": "127.0.0.1",
            "JOBGATE_PORT": str(port),
            "JOBGATE_TIMEZONE": "UTC",
            "JOBGATE_DIGEST_TIME": digest_at,
        }
    )
    return env


async def converge(db: Path, timeout: float) -> None:
    """Until nothing is left to deliver (undo-window refreshes 10 minutes out aside)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    quiet = 0
    while loop.time() < deadline:
        with open_db(db) as conn:
            waiting = conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND lane NOT LIKE 'refresh:%'"
            ).fetchone()[0]
            unscreened = conn.execute(
                "SELECT COUNT(*) FROM requests WHERE screening != 'done'"
            ).fetchone()[0]
        quiet = quiet + 1 if waiting == 0 and unscreened == 0 else 0
        if quiet >= 3:
            return
        await asyncio.sleep(0.3)
    with open_db(db) as conn:
        rows = conn.execute(
            "SELECT id, lane, kind, attempts, next_attempt_at, lease_until, last_error FROM outbox"
            " WHERE state = 'pending' AND lane NOT LIKE 'refresh:%' LIMIT 10"
        ).fetchall()
    raise AssertionError(f"the outbox did not drain: {[dict(r) for r in rows]}")


@pytest.mark.timeout(120 + 8 * KILLS)
async def test_kill_9_at_random_moments_loses_and_doubles_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    print(f"kill -9 test: seed {SEED}, {KILLS} kills, real timings: {REAL_TIMINGS}")
    started = time.monotonic()
    secrets = Secrets.random()
    slack = await FakeSlack(signing_secret=secrets.signing).start()
    populate(slack)
    platform = await FakePlatform(
        webhook_secret=secrets.webhook, ingest_secret=secrets.ingest
    ).start()
    port = free_port()
    slack.bot_url = f"http://127.0.0.1:{port}/slack/events"
    platform.bot_base_url = f"http://127.0.0.1:{port}"
    bot = BotProcess(tmp_path, bot_env(tmp_path, slack, platform, secrets, port), port)
    driver = Driver(slack, platform, rng)
    workers = [asyncio.create_task(driver.run()) for _ in range(WORKERS)]
    kills_in_startup = 0
    phases: Counter[str] = Counter()
    try:
        for _ in range(KILLS):
            mark = time.monotonic()
            await bot.start()
            if rng.random() < 0.2:
                await asyncio.sleep(rng.uniform(0.05, 1.5))  # anywhere in start-up
                kills_in_startup += 1
            else:
                await bot.wait_healthy()
                phases["starting"] += time.monotonic() - mark
                driver.up.set()
                await asyncio.sleep(rng.uniform(0.05, 1.0))
            driver.up.clear()
            await bot.kill()
        phases["kill_cycles"] = time.monotonic() - started
        await bot.start()
        await bot.wait_healthy()
        driver.finishing = True  # from here on only answers still owed are sent again
        driver.up.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while (driver.unacked or any(r.busy for r in driver.requests.values())) and (  # noqa: ASYNC110
            loop.time() < deadline
        ):
            await asyncio.sleep(0.05)
        driver.stopping = True
        await asyncio.wait_for(asyncio.gather(*workers), 30)
        phases["finishing"] = time.monotonic() - started - phases["kill_cycles"]
        await converge(tmp_path / "jobgate.db", timeout=120 if REAL_TIMINGS else 60)
        phases["converging"] = (
            time.monotonic() - started - phases["kill_cycles"] - phases["finishing"]
        )
        assert await bot.terminate() == 0
    finally:
        driver.stopping = True
        driver.up.set()
        for worker in workers:
            worker.cancel()
        if bot.proc is not None and bot.proc.returncode is None:
            await bot.kill()
        await platform.stop()
        await slack.stop()

    assert not driver.problems, driver.problems
    assert not driver.unacked, "ingests never acknowledged after the last restart"
    figures = check_nothing_lost_nothing_doubled(tmp_path / "jobgate.db", driver, slack, platform)
    log_text = bot.log.read_text(errors="replace")
    errors = unexpected_errors(log_text)
    assert not errors, "\n".join(errors[:20])
    # every start that got going ran on uvloop, as `jobgate run` does where it is installed
    started_lines = log_text.count("jobgate is running")
    assert started_lines > 0 and log_text.count("uvloop event loop") == started_lines
    figures.update(
        seed=SEED,
        kills=KILLS,
        kills_during_start_up=kills_in_startup,
        restarts=bot.starts,
        real_timings=REAL_TIMINGS,
        seconds=round(time.monotonic() - started, 1),
        driver=dict(driver.counts),
        phases_seconds={k: round(v, 1) for k, v in phases.items()},
    )
    report("kill9", figures)
    print(json.dumps(figures, indent=2, sort_keys=True))


# A kill -9 while the bot spawns its screening worker leaves the child reading the spawn
# handshake from a dead parent: multiprocessing prints this, and the child is gone.
SPAWN_CUT_SHORT = "EOFError: Ran out of input"


def unexpected_errors(log_text: str) -> list[str]:
    """ERROR lines and tracebacks in the bot's log, except a spawn handshake cut by a kill
    (every frame in multiprocessing, ending in SPAWN_CUT_SHORT)."""
    found: list[str] = []
    lines = log_text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("Traceback"):
            end = i + 1
            while end < len(lines) and lines[end].startswith(" "):
                end += 1
            block = lines[i : end + 1]
            frames = [f for f in block if f.lstrip().startswith('File "')]
            spawn_only = all(
                "multiprocessing" in f or f.lstrip().startswith('File "<string>"') for f in frames
            )
            if not (spawn_only and block[-1] == SPAWN_CUT_SHORT):
                found.extend(block)
            i = end + 1
            continue
        if " ERROR " in line:
            found.append(line)
        i += 1
    return found


def test_only_a_spawn_cut_short_by_the_kill_is_forgiven_in_the_log() -> None:
    spawn_cut = [
        "Traceback (most recent call last):",
        '  File "<string>", line 1, in <module>',
        '  File "/usr/lib/python3.11/multiprocessing/spawn.py", line 122, in spawn_main',
        "    exitcode = _main(fd, parent_sentinel)",
        '  File "/usr/lib/python3.11/multiprocessing/spawn.py", line 130, in _main',
        "    preparation_data = reduction.pickle.load(from_parent)",
        SPAWN_CUT_SHORT,
    ]
    ours = [
        "Traceback (most recent call last):",
        '  File "/work/main/bot/delivery.py", line 10, in _deliver',
        "    raise RuntimeError",
        "RuntimeError: boom",
    ]
    elsewhere = [*spawn_cut[:-1], "ValueError: bad pickle"]
    info = "2026-11-26 14:37:57,535 INFO jobgate: jobgate is running"
    error = "2026-11-26 14:37:57,535 ERROR bot.delivery: could not deliver"
    assert unexpected_errors("\n".join([info, *spawn_cut, info])) == []
    assert unexpected_errors("\n".join([*spawn_cut, *ours])) == ours
    assert unexpected_errors("\n".join(elsewhere)) == elsewhere
    assert unexpected_errors("\n".join([info, error])) == [error]


def check_nothing_lost_nothing_doubled(
    db: Path, driver: Driver, slack: FakeSlack, platform: FakePlatform
) -> dict[str, Any]:
    with open_db(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        requests = {
            r["upstream_id"]: r
            for r in conn.execute(
                "SELECT id, kind, upstream_id, state, card_channel, card_ts FROM requests"
            )
        }
        audit: dict[int, list[sqlite3.Row]] = defaultdict(list)
        for row in conn.execute(
            "SELECT request_id, action, actor, via, to_state, details FROM audit"
            f" WHERE action IN ({','.join('?' * len(DECISIONS))}) ORDER BY id",
            DECISIONS,
        ):
            audit[row["request_id"]].append(row)
        outbox = conn.execute(
            "SELECT id, message_id, lane, kind, payload, state, attempts FROM outbox ORDER BY id"
        ).fetchall()
        runs = conn.execute("SELECT id, filter, total FROM bulk_runs").fetchall()

    # every acknowledged ingest is stored
    acked = [r for r in driver.requests.values() if r.ingested]
    missing = [r.upstream_id for r in acked if r.upstream_id not in requests]
    assert not missing, f"acknowledged requests missing from the database: {missing}"

    # every acknowledged decision is there with its audit row, and nothing else happened
    for tracked in driver.requests.values():
        if tracked.upstream_id not in requests or (tracked.bulk and tracked.kind == "job"):
            continue
        row = requests[tracked.upstream_id]
        done = [(a["action"], a["actor"]) for a in audit[row["id"]]]
        if tracked.tainted:
            assert done[: len(tracked.acked)] == tracked.acked, (tracked, done)
            assert len(done) <= len(tracked.acked) + 1, (tracked, done)
        else:
            assert done == tracked.acked, (tracked, done)
        expected_state = audit[row["id"]][-1]["to_state"] if done else "pending"
        assert row["state"] == expected_state, (tracked, done, row["state"])

    # bulk runs: each whole, one decision (with its audit row) per request it counted
    runs_by_filter = Counter(run["filter"] for run in runs)
    for run in runs:
        decided = [
            a
            for rows in audit.values()
            for a in rows
            if a["via"] == "bulk" and json.loads(a["details"]).get("bulk_id") == run["id"]
        ]
        assert len(decided) == run["total"], (dict(run), len(decided))
    acked_bulks = [b for b in driver.bulks if b.acked]
    # a run is committed before its acknowledgement: an acknowledged run is never lost
    bulk_lost = [b.filter_text for b in acked_bulks if runs_by_filter[b.filter_text] == 0]
    assert not bulk_lost, bulk_lost
    assert all(count == 1 for count in runs_by_filter.values()), runs_by_filter

    # the outbox is empty but for the undo-window refreshes, and nothing was given up on
    states = Counter(
        (o["state"], o["lane"].startswith("refresh:")) for o in outbox if o["state"] != "delivered"
    )
    assert set(states) <= {("pending", True), ("superseded", False), ("superseded", True)}, states

    # webhooks: every event reached the platform, once per webhook-id, in order per request
    webhooks = [o for o in outbox if o["kind"] == "webhook"]
    accepted = {d.webhook_id: d for d in platform.accepted}
    assert set(accepted) == {o["message_id"] for o in webhooks}
    assert platform.rejected_signatures == 0
    bodies: dict[str, set[str]] = defaultdict(set)
    for attempt in platform.attempts:
        bodies[attempt.webhook_id].add(json.dumps(attempt.event, sort_keys=True))
    assert all(len(b) == 1 for b in bodies.values()), "a retry changed an event's body"
    first_accepted = {d.webhook_id: i for i, d in enumerate(platform.accepted)}
    by_lane: dict[str, list[Any]] = defaultdict(list)
    for o in webhooks:
        by_lane[o["lane"]].append(o)
    for lane, items in by_lane.items():
        order = [first_accepted[o["message_id"]] for o in items]
        assert order == sorted(order), f"{lane} delivered out of order"
    kinds = {r["id"]: r["kind"] for r in requests.values()}
    for request_id, rows in audit.items():
        sent = [
            accepted[o["message_id"]].event["type"]
            for o in by_lane.get(f"webhook:{request_id}", [])
        ]
        expected = [
            f"{kinds[request_id]}."
            + ("decision_reverted" if a["action"] == "reverted" else a["action"])
            for a in rows
        ]
        assert sent == expected, (request_id, sent, expected)

    # cards: one per request, where the database says it is
    stale = []
    for upstream_id, row in requests.items():
        cards = [
            m
            for m in cards_of(slack, upstream_id)
            if m.text.split(" request: ")[0] in ("Job", "Employer")
        ]
        assert len(cards) == 1, (
            f"{upstream_id}: {len(cards)} cards",
            [(m.ts, (m.blocks or [{}])[0].get("block_id")) for m in cards],
            [dict(o) for o in outbox if o["lane"].endswith(f":{row['id']}")],
        )
        assert (row["card_channel"], row["card_ts"]) == (REVIEW_CHANNEL, cards[0].ts)
        if not cards[0].text.endswith(f"({STATE_WORDS[row['state']]})"):
            stale.append(upstream_id)
    # a card found again by its marker after a lost answer is brought up to date too
    assert not stale, stale

    # thread replies and other posts: each exactly once
    posted = marked(slack)
    for o in outbox:
        if o["kind"] in ("thread", "message", "dm") and o["state"] == "delivered":
            assert len(posted.get(o["message_id"], [])) == 1, (dict(o), posted.get(o["message_id"]))
    progress = [m for m in slack.bot_messages(REVIEW_CHANNEL) if " by <@" in m.text]
    assert len(progress) == len(runs), (len(progress), len(runs))

    redelivered = sum(1 for a in platform.attempts if 200 <= a.status < 300) - len(
        platform.accepted
    )
    return {
        "requests": len(requests),
        "decisions_in_audit": sum(len(rows) for rows in audit.values()),
        "acknowledged_decisions": sum(len(r.acked) for r in driver.requests.values()),
        "webhooks_delivered": len(accepted),
        "webhooks_redelivered_same_id": redelivered,
        "cards": len(requests),
        "thread_and_other_posts": sum(
            1 for o in outbox if o["kind"] in ("thread", "message", "dm")
        ),
        "bulk_runs": len(runs),
        "bulk_acknowledged": len(acked_bulks),
        "bulk_acknowledged_but_lost": len(bulk_lost),
        "cards_showing_a_stale_state": len(stale),
        "lookups_before_reposting": len(slack.api.calls_to("conversations.history"))
        + len(slack.api.calls_to("conversations.replies")),
        "lost": 0,
        "doubled": 0,
    }
