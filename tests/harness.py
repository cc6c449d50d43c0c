"""A running jobgate wired to a fake Slack and a fake platform on loopback."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import Jobgate, create_jobgate
from bot.clock import Clock
from bot.config import Settings
from bot.delivery import DeliveryPolicy
from bot.pacing import SlackPacing
from bot.sandbox.fake_platform import FakePlatform
from bot.sandbox.fake_slack import BotAnswer, FakeSlack
from bot.sandbox.workspace import Message, OpenView
from handlers import ids
from tests.webhook_contract import contract_problems

REVIEW_CHANNEL = "C0REVIEW"
REPORTS_CHANNEL = "C0REPORTS"
TEAM = "T0JOBGATE"
OTHER_TEAM = "T0OTHER"
REVIEWERS = [f"UREV{i:04d}" for i in range(1, 11)]
ADMIN = "UADMIN0001"
STAFF = "USTAFF0001"  # in the workspace, not a reviewer
OUTSIDER = "UOUTSIDE01"  # a reviewer id, but from another team (Slack Connect)

FAST_PACING = SlackPacing().scaled(200)
FAST_DELIVERY = DeliveryPolicy(base_delay_s=0.05, max_delay_s=0.5, idle_poll_s=0.05)


def whsec() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


@dataclass
class Secrets:
    signing: str
    ingest: str
    webhook: str

    @classmethod
    def random(cls) -> Secrets:
        return cls(
            signing=base64.b16encode(os.urandom(16)).decode().lower(),
            ingest=whsec(),
            webhook=whsec(),
        )


def populate(slack: FakeSlack) -> None:
    workspace = slack.workspace
    workspace.add_channel(REVIEW_CHANNEL, "job-review")
    workspace.add_channel(REPORTS_CHANNEL, "job-reports")
    for number, user in enumerate(REVIEWERS, start=1):
        workspace.add_person(user, f"reviewer{number}")
    workspace.add_person(ADMIN, "admin")
    workspace.add_person(STAFF, "staff")
    workspace.add_person(OUTSIDER, "outsider", team_id=OTHER_TEAM)


def settings_for(
    tmp: Path, slack: FakeSlack, platform: FakePlatform, secrets: Secrets, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": secrets.signing,
        "SLACK_API_URL": slack.api_url,
        "JOBGATE_DATABASE": str(tmp / "jobgate.db"),
        "JOBGATE_REVIEW_CHANNEL": REVIEW_CHANNEL,
        "JOBGATE_REPORTS_CHANNEL": REPORTS_CHANNEL,
        "JOBGATE_REVIEWERS": ",".join([*REVIEWERS, OUTSIDER]),
        "JOBGATE_ADMINS": ADMIN,
        "JOBGATE_INGEST_SECRET": secrets.ingest,
        "JOBGATE_WEBHOOK_URL": platform.url,
        "JOBGATE_WEBHOOK_SECRET": secrets.webhook,
        "JOBGATE_HOST": "127.0.0.1",
        "JOBGATE_PORT": "0",
    }
    values.update(overrides)
    return Settings.from_mapping({k: v for k, v in values.items() if v is not None})


@dataclass
class Harness:
    slack: FakeSlack
    platform: FakePlatform
    jobgate: Jobgate
    secrets: Secrets

    @property
    def repo(self):  # type: ignore[no-untyped-def]
        return self.jobgate.repo

    async def card(self, upstream_id: str, timeout: float = 5.0) -> Message:
        """The card message for a request, once the outbox has posted it."""

        def find() -> Message | None:
            for message in self.slack.bot_messages(REVIEW_CHANNEL):
                if any(f"`{upstream_id}`" in str(b) for b in message.blocks[-1:]):
                    return message
            return None

        found: Message = await self.slack.wait_for(find, timeout, f"the card of {upstream_id}")
        return found

    async def modal(self, user: str, timeout: float = 5.0) -> OpenView:
        """The modal open for `user`, once Slack has shown one (the oldest if several)."""
        views: list[OpenView] = await self.slack.wait_for(
            lambda: self.slack.open_views_for(user), timeout, f"a modal for {user}"
        )
        return views[0]

    async def modal_from(self, user: str, action: Awaitable[BotAnswer]) -> OpenView:
        """`action` (a click or a command of `user`) opens a modal: that new modal."""
        known = {view.id for view in self.slack.open_views_for(user)}
        answer = await action
        assert answer.status == 200, answer.body
        views: list[OpenView] = await self.slack.wait_for(
            lambda: [v for v in self.slack.open_views_for(user) if v.id not in known],
            what=f"a new modal for {user}",
        )
        return views[0]

    async def approve_employer(self, upstream_id: str = "emp_123", by: str = ADMIN) -> None:
        """The platform asks for an employer and `by` approves its card."""
        await self.platform.send_employers(employer(upstream_id))
        answer = await self.slack.click(by, await self.card(upstream_id), ids.APPROVE)
        assert answer.status == 200, answer.body
        await self.settle()

    async def decline_card(self, by: str, card: Message, *reasons: str) -> None:
        """`by` clicks Decline on `card` and submits the modal with these reasons."""
        await self.slack.click(by, card, ids.DECLINE)
        await self.slack.submit(by, await self.modal(by), decline_form(*reasons))

    async def pending_job_card(self, upstream_id: str = "job_456", by: str = ADMIN) -> Message:
        """The card of a pending job whose employer `by` approved, once it is screened."""
        await self.approve_employer(by=by)
        await self.platform.send_jobs(job(upstream_id))
        card = await self.card(upstream_id)
        await self.settle()
        return card

    def card_now(self, message: Message) -> Message:
        found = self.slack.workspace.find(message.channel, message.ts)
        assert found is not None
        return found

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until everything stored is screened and the outbox has nothing due now."""
        for _ in range(100):
            await self.jobgate.services.tasks.wait()
            while await self.jobgate.screener.screen_batch():
                pass
            await self.jobgate.deliverer.drain(timeout)
            if not await self.repo.count_unscreened():
                return
            await asyncio.sleep(0.02)
        raise AssertionError("screening did not finish")


async def start_harness(
    tmp: Path,
    secrets: Secrets | None = None,
    *,
    clock: Clock | None = None,
    settings_overrides: Mapping[str, Any] | None = None,
    pacing: SlackPacing = FAST_PACING,
    delivery: DeliveryPolicy = FAST_DELIVERY,
    web_risk_timeout_s: float = 3.0,
    screening_process: bool = False,
    parse_process: bool = False,
    bot_token: str | None = None,
) -> Harness:
    secrets = secrets or Secrets.random()
    slack = FakeSlack(
        signing_secret=secrets.signing, **({"bot_token": bot_token} if bot_token else {})
    )
    await slack.start()
    populate(slack)
    platform = await FakePlatform(
        webhook_secret=secrets.webhook, ingest_secret=secrets.ingest
    ).start()
    settings = settings_for(tmp, slack, platform, secrets, **dict(settings_overrides or {}))
    jobgate = await create_jobgate(
        settings,
        clock=clock,
        pacing=pacing,
        delivery_policy=delivery,
        web_risk_timeout_s=web_risk_timeout_s,
        screening_process=screening_process,
        parse_process=parse_process,
    )
    return await _serve(Harness(slack, platform, jobgate, secrets))


async def restart_harness(
    h: Harness,
    tmp: Path,
    *,
    delivery: DeliveryPolicy = FAST_DELIVERY,
    settings_overrides: Mapping[str, Any] | None = None,
    stopped: bool = False,
) -> Harness:
    """Stop this jobgate (unless the test did) and start another on the same database, clock
    and fakes: a deploy or a crash as Slack and the platform see it."""
    if not stopped:
        await h.jobgate.stop()
    settings = settings_for(tmp, h.slack, h.platform, h.secrets, **dict(settings_overrides or {}))
    jobgate = await create_jobgate(
        settings, clock=h.jobgate.services.clock, pacing=FAST_PACING, delivery_policy=delivery
    )
    return await _serve(Harness(h.slack, h.platform, jobgate, h.secrets))


async def _serve(h: Harness) -> Harness:
    await h.jobgate.start(schedule=False)  # tests run the scheduler's jobs with an explicit now
    h.slack.bot_url = f"http://127.0.0.1:{h.jobgate.port}/slack/events"
    h.platform.bot_base_url = f"http://127.0.0.1:{h.jobgate.port}"
    return h


async def stop_harness(harness: Harness) -> None:
    """Stop everything, then check that every webhook the platform accepted kept SPEC 6's
    contract (tests/webhook_contract.py), whichever test started this harness."""
    await harness.jobgate.stop()
    await harness.platform.stop()
    await harness.slack.stop()
    problems = contract_problems(d.event for d in harness.platform.accepted)
    assert not problems, f"webhooks broke SPEC 6's contract: {problems}"


def job(
    upstream_id: str = "job_456", employer_id: str = "emp_123", **fields: Any
) -> dict[str, Any]:
    """A job request as the platform sends it (SPEC section 6 example)."""
    body: dict[str, Any] = {
        "id": upstream_id,
        "employer": {"id": employer_id, "name": "Acme Analytics"},
        "title": "Data Analyst Intern",
        "description": "Work with our analytics team on dashboards and SQL.",
        "location": "Austin, TX",
        "remote": False,
        "employment_type": "internship",
        "pay": {"min": 25, "max": 30, "currency": "USD", "period": "hour"},
        "apply_url": "https://acme.example/careers/456",
        "contact": {"id": "c_9", "name": "Jane Roe", "email": "jane@acme.example"},
        "requested_at": "2026-11-25T14:05:00Z",
    }
    body.update(fields)
    return body


def employer(upstream_id: str = "emp_123", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": upstream_id,
        "name": "Acme Analytics",
        "website": "https://acme.example",
        "industry": "Software",
        "size": "51-200",
        "location": "Austin, TX",
        "contact": {"id": "c_9", "name": "Jane Roe", "email": "jane@acme.example"},
        "other_schools": {"approved": 41, "declined": 2},
        "requested_at": "2026-11-25T14:03:00Z",
    }
    body.update(fields)
    return body


# What Slack sends in view.state.values on submit, field by field: {block_id: {action_id: …}}.
# `field` is the (block_id, action_id) pair from handlers.ids.
FormValues = dict[str, dict[str, Any]]
Field = tuple[str, str]


def text_input(field: Field, value: str) -> FormValues:
    return {field[0]: {field[1]: {"type": "plain_text_input", "value": value}}}


def number_input(field: Field, value: str) -> FormValues:
    return {field[0]: {field[1]: {"type": "number_input", "value": value}}}


def static_select(field: Field, value: str) -> FormValues:
    return {field[0]: {field[1]: {"type": "static_select", "selected_option": {"value": value}}}}


def multi_select(field: Field, *values: str) -> FormValues:
    chosen = [{"value": value} for value in values]
    return {field[0]: {field[1]: {"type": "multi_static_select", "selected_options": chosen}}}


def block_starting(view: OpenView, field: Field) -> Field:
    """`field` as it is in this view: forms that refresh a block (a template chosen, a
    prefill) give it a new block id with the same start, so Slack drops the typed value."""
    block_id = next(
        b["block_id"] for b in view.view["blocks"] if b.get("block_id", "").startswith(field[0])
    )
    return block_id, field[1]


def decline_form(*reasons: str, message: str | None = None, note: str | None = None) -> FormValues:
    """The Decline form's state values as Slack sends them on submit."""
    values = multi_select(ids.REASONS, *reasons)
    if message is not None:
        values |= text_input(ids.EMPLOYER_MESSAGE, message)
    if note is not None:
        values |= text_input(ids.INTERNAL_NOTE, note)
    return values


def hold_form(modal: OpenView, question: str, follow_up_days: str) -> FormValues:
    """The Hold form as submitted: the question (in its current block) and the follow-up."""
    return text_input(block_starting(modal, ids.HOLD_QUESTION), question) | number_input(
        ids.FOLLOW_UP_DAYS, follow_up_days
    )
