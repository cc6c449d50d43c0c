"""`jobgate sandbox`: the real bot against the fake Slack (with its web page), a demo platform
and a fake Google Web Risk, all on loopback. Only SLACK_API_URL, the tokens and the secrets
differ from production; the workspace's messages are kept beside the database."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.app import Jobgate, create_jobgate
from bot.config import Settings
from bot.jobs import DigestPlace, send_digest_if_due
from bot.models import Kind, State
from bot.pacing import SlackPacing
from bot.sandbox import demo
from bot.sandbox.fake_platform import FakePlatform
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.fake_web_risk import FakeWebRisk
from bot.sandbox.web import SandboxWeb, Shortcut
from bot.sandbox.workspace import Message
from handlers import ids

log = logging.getLogger("jobgate.sandbox")

# The fake Slack has no rate limits of its own; the bot still paces itself, ten times faster.
SANDBOX_PACING = SlackPacing().scaled(10)
SHORTCUTS = (Shortcut(ids.REPORT_SHORTCUT, "Report to trust & safety"),)  # as in manifest.yml
SEEDED = "sandbox.seeded"
MORE_ROUNDS = "sandbox.more_rounds"
CARD_WAIT_S = 30.0


def _whsec() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def workspace_file(database: Path) -> Path:
    """Where the sandbox keeps the workspace's channels and messages between runs."""
    return database.with_name(database.stem + ".slack.json")


def forget(database: Path) -> None:
    """--fresh: remove the database (and its WAL files) and the workspace file."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    workspace_file(database).unlink(missing_ok=True)


@dataclass
class Sandbox:
    """Everything `jobgate sandbox` runs; `url` is the page to open."""

    slack: FakeSlack
    platform: FakePlatform
    web_risk: FakeWebRisk
    jobgate: Jobgate
    web: SandboxWeb
    database: Path
    url: str
    first_start: bool
    seeding: asyncio.Task[None] | None = None
    _saver: asyncio.Task[None] | None = None
    _saved: str = field(default="", repr=False)

    async def send_more(self) -> str:
        """The demo platform sends a fresh batch: one employer and four jobs."""
        repo, now = self.jobgate.repo, self.jobgate.services.clock.now()
        round_number = int(await repo.get_system_state(MORE_ROUNDS) or 0) + 1
        await repo.set_system_state(MORE_ROUNDS, round_number, now)
        employers, jobs = demo.more(now, round_number)
        await _sent(self.platform.send_employers(employers))
        await _sent(self.platform.send_jobs(jobs))
        return f"The platform sent {len(employers)} employer and {len(jobs)} jobs."

    async def run_digest(self) -> str:
        """Today's digest now, whatever the schedule says."""
        outcome = await send_digest_if_due(
            self.jobgate.repo,
            DigestPlace.from_settings(self.jobgate.settings),
            self.jobgate.services.clock.now(),
            force=True,
        )
        return outcome.detail[:1].upper() + outcome.detail[1:] + "."

    def save_workspace(self) -> None:
        data = json.dumps(self.slack.workspace.snapshot())
        if data == self._saved:
            return
        path = workspace_file(self.database)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(data, encoding="utf-8")
        temporary.replace(path)
        self._saved = data

    async def _keep_saving(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.save_workspace()

    async def stop(self) -> None:
        for task in (self.seeding, self._saver):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.jobgate.stop()
        self.save_workspace()
        await self.platform.stop()
        await self.web_risk.stop()
        await self.slack.stop()


def _populate(slack: FakeSlack) -> None:
    workspace = slack.workspace
    workspace.add_channel(demo.REVIEW_CHANNEL, "job-review")
    workspace.add_channel(demo.REPORTS_CHANNEL, "job-reports")
    for person in demo.PEOPLE:
        workspace.add_person(
            person.id, person.handle, real_name=person.real_name, title=person.title
        )


def _prepare(database: Path, fresh: bool) -> tuple[bool, dict[str, Any] | None]:
    """Whether this is a first start, and the workspace kept by the last run."""
    if fresh or not database.exists():
        forget(database)
        return True, None
    saved = workspace_file(database)
    if not saved.exists():
        log.warning("%s is missing: earlier messages are gone (--fresh starts over)", saved)
        return False, None
    data: dict[str, Any] = json.loads(saved.read_text(encoding="utf-8"))
    return False, data


def _settings(
    slack: FakeSlack,
    platform: FakePlatform,
    web_risk: FakeWebRisk,
    database: Path,
    secrets: dict[str, str],
) -> Settings:
    return Settings.from_mapping(
        {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": secrets["signing"],
            "SLACK_API_URL": slack.api_url,
            "JOBGATE_DATABASE": str(database),
            "JOBGATE_REVIEW_CHANNEL": demo.REVIEW_CHANNEL,
            "JOBGATE_REPORTS_CHANNEL": demo.REPORTS_CHANNEL,
            "JOBGATE_REVIEWERS": ",".join(p.id for p in demo.PEOPLE if p.role == "reviewer"),
            "JOBGATE_ADMINS": ",".join(p.id for p in demo.PEOPLE if p.role == "admin"),
            "JOBGATE_INGEST_SECRET": secrets["ingest"],
            "JOBGATE_WEBHOOK_URL": platform.url,
            "JOBGATE_WEBHOOK_SECRET": secrets["webhook"],
            "JOBGATE_HOST": "127.0.0.1",
            "JOBGATE_PORT": "0",
            "JOBGATE_WEB_RISK_API_KEY": web_risk.api_key,
            "JOBGATE_WEB_RISK_URL": web_risk.url,
        }
    )


async def start_sandbox(
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    database: Path = Path("jobgate-sandbox.db"),
    fresh: bool = False,
    seed: bool = True,
) -> Sandbox:
    """Start the fake Slack and its page on `host:port`, the bot on a free loopback port, the
    demo platform, and (on the first start) the demo data."""
    first_start, saved = _prepare(database, fresh)
    secrets = {"signing": os.urandom(16).hex(), "ingest": _whsec(), "webhook": _whsec()}
    slack = FakeSlack(signing_secret=secrets["signing"], bot_token="xoxb-jobgate-sandbox")
    _populate(slack)
    if saved is not None:
        slack.workspace.restore(saved)
    roles = {p.id: p.role for p in demo.PEOPLE}
    web = SandboxWeb(slack, roles, SHORTCUTS)
    # a start that fails or is interrupted (Ctrl-C) stops what it started: the bot's database
    # threads would otherwise keep the process alive
    async with contextlib.AsyncExitStack() as started:
        await slack.start(host, port, extra_routes=web.routes())
        started.push_async_callback(slack.stop)
        web_risk = await FakeWebRisk(api_key="sandbox-" + os.urandom(8).hex()).start()
        started.push_async_callback(web_risk.stop)
        web_risk.unsafe[demo.UNSAFE_URL] = ["SOCIAL_ENGINEERING"]
        platform = await FakePlatform(
            webhook_secret=secrets["webhook"], ingest_secret=secrets["ingest"]
        ).start()
        started.push_async_callback(platform.stop)
        settings = _settings(slack, platform, web_risk, database, secrets)
        jobgate = await create_jobgate(settings, pacing=SANDBOX_PACING)
        started.push_async_callback(jobgate.stop)
        await jobgate.start()
        started.pop_all()  # running: Sandbox.stop stops them
    slack.bot_url = f"http://127.0.0.1:{jobgate.port}/slack/events"
    platform.bot_base_url = f"http://127.0.0.1:{jobgate.port}"
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    sandbox = Sandbox(
        slack,
        platform,
        web_risk,
        jobgate,
        web,
        database,
        url=f"http://{shown_host}:{slack.port}/",
        first_start=first_start,
    )
    web.demo = sandbox
    if seed and await jobgate.repo.get_system_state(SEEDED) is None:
        sandbox.seeding = asyncio.create_task(_seed_logged(sandbox), name="sandbox-seed")
    sandbox._saver = asyncio.create_task(sandbox._keep_saving(), name="sandbox-save")
    return sandbox


# -- the demo: the platform sends, and the team acts as people would in Slack -----------------


async def _sent(call: Any) -> None:
    answer = await call
    if answer.status != 200:
        raise RuntimeError(f"jobgate refused the demo data: {answer.status} {answer.body}")


def find_card(slack: FakeSlack, upstream_id: str) -> Message | None:
    """The review card of a request (its footer names the upstream id)."""
    for message in slack.bot_messages(demo.REVIEW_CHANNEL):
        if message.blocks and f"`{upstream_id}`" in json.dumps(message.blocks[-1]):
            return message
    return None


async def _card(
    sandbox: Sandbox, upstream_id: str, ready: Callable[[Message], bool] | None = None
) -> Message:
    def found() -> Message | None:
        card = find_card(sandbox.slack, upstream_id)
        return card if card is not None and (ready is None or ready(card)) else None

    card: Message = await sandbox.slack.wait_for(found, CARD_WAIT_S, f"the card of {upstream_id}")
    return card


def _has(action_id: str) -> Callable[[Message], bool]:
    return lambda card: f'"{action_id}"' in json.dumps(card.blocks)


async def _undecided_card(
    sandbox: Sandbox, kind: Kind, upstream_id: str, action_id: str
) -> Message | None:
    """The card to act on once it shows `action_id`, or None if the request was decided
    already (by the seeding of an earlier start)."""
    request = await sandbox.jobgate.repo.find_request(kind, upstream_id)
    if request is not None and request.state is not State.PENDING:
        return None
    return await _card(sandbox, upstream_id, _has(action_id))


async def _decline(sandbox: Sandbox, user: str, card: Message, reasons: list[str]) -> None:
    slack = sandbox.slack
    before = {v.id for v in slack.open_views_for(user)}
    await slack.click(user, card, ids.DECLINE)
    modal = (
        await slack.wait_for(
            lambda: [v for v in slack.open_views_for(user) if v.id not in before],
            CARD_WAIT_S,
            "the Decline modal",
        )
    )[0]
    chosen = {"type": "multi_static_select", "selected_options": [{"value": r} for r in reasons]}
    await slack.submit(user, modal, {ids.REASONS[0]: {ids.REASONS[1]: chosen}})


async def seed(sandbox: Sandbox) -> None:
    """First start: a dozen employers and thirty jobs arrive; the admin approves most
    employers, declines a staffing agency and trusts one employer; a reviewer approves that
    employer's first job (so its next clean jobs are approved automatically); two reviewers
    discuss a scam in its thread and decline it; a student's fraud report arrives.
    A seeding cut short (a Ctrl-C in the first seconds) is finished on the next start: what
    was sent is sent again (the API takes it as unchanged), and what was decided is skipped."""
    slack, platform = sandbox.slack, sandbox.platform
    now = sandbox.jobgate.services.clock.now()
    admin, reviewer = demo.ADMIN.id, demo.REVIEWER.id
    await _sent(platform.send_employers(demo.employers(now)))
    for upstream_id in demo.APPROVED_EMPLOYERS:
        card = await _undecided_card(sandbox, Kind.EMPLOYER, upstream_id, ids.APPROVE)
        if card is not None:
            await slack.click(admin, card, ids.APPROVE)
    agency = await _undecided_card(sandbox, Kind.EMPLOYER, demo.DECLINED_EMPLOYER, ids.DECLINE)
    if agency is not None:
        await _decline(sandbox, admin, agency, ["third_party_recruiter"])
    await slack.slash(admin, f"trust {demo.TRUSTED_EMPLOYER}", channel=demo.REVIEW_CHANNEL)
    await _sent(platform.send_jobs(demo.first_trusted_job(now)))
    first = await _undecided_card(sandbox, Kind.JOB, demo.FIRST_TRUSTED_JOB, ids.APPROVE)
    if first is not None:
        await slack.click(reviewer, first, ids.APPROVE)
    await _sent(platform.send_jobs(demo.jobs(now)))
    scam = await _undecided_card(sandbox, Kind.JOB, demo.SCAM_WITH_THREAD, ids.DECLINE)
    if scam is not None:
        for person, text in demo.THREAD_SCRIPT:
            await slack.say(person.id, scam.channel, text, thread_ts=scam.ts)
        await _decline(sandbox, reviewer, scam, ["suspected_fraud"])
    await _sent(platform.send("/api/v1/reports", demo.fraud_report(now)))
    await _sent(platform.send("/api/v1/reports", demo.platform_action(now)))
    await sandbox.jobgate.repo.set_system_state(SEEDED, now.isoformat(), now)


async def _seed_logged(sandbox: Sandbox) -> None:
    try:
        await seed(sandbox)
        log.info("demo data is in: 12 employers, 30 jobs and a fraud report")
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("the demo data could not be sent completely")
