"""Slack's own payload catalogues, with the values filled in, are accepted: every field Slack
has been seen to send is tolerated."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

from bot.models import Kind, State
from handlers import ids
from tests.conftest import SLACK_REFERENCE
from tests.harness import REVIEWERS, TEAM, Harness, decline_form

CATALOGUE = SLACK_REFERENCE / "payloads" / "interactivity"


def load(relative: str) -> dict[str, Any]:
    path = CATALOGUE / relative
    if not path.exists():
        raise FileNotFoundError(path)
    return json.loads(Path(path).read_text())


def fill(template: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The template with `values` written over it (nested dicts merged, the rest replaced)."""
    filled = copy.deepcopy(template)
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(filled.get(key), dict):
            filled[key] = fill(filled[key], value)
        else:
            filled[key] = value
    return filled


async def test_block_actions_catalogue_payload_approves(harness: Harness) -> None:
    h = harness
    card = await h.pending_job_card(by=REVIEWERS[0])
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None
    template = load("interactive-components/BlockActionPayload.json")
    action = fill(
        template["actions"][0],
        {
            "action_id": ids.APPROVE,
            "block_id": f"review.{stored.id}",
            "value": str(stored.id),
            "type": "button",
            "action_ts": f"{time.time():.6f}",
            "text": {"type": "plain_text", "text": "Approve", "emoji": True},
        },
    )
    payload = fill(
        template,
        {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "jobgate-sandbox"},
            "user": {
                "id": REVIEWERS[1],
                "username": "reviewer2",
                "name": "reviewer2",
                "team_id": TEAM,
            },
            "api_app_id": "A0JOBGATE",
            "container": {"type": "message", "message_ts": card.ts, "channel_id": card.channel},
            "trigger_id": "1.2.abc",
            "channel": {"id": card.channel, "name": "job-review"},
            "message": {"ts": card.ts, "channel": card.channel, "blocks": card.blocks},
            "response_url": h.slack.response_url(REVIEWERS[1], card.channel),
            "actions": [action],
        },
    )
    answer = await h.slack.send_interaction(payload)
    assert answer.status == 200
    await h.platform.wait_for_accepted(2)
    after = await h.repo.find_request(Kind.JOB, "job_456")
    assert after is not None and after.state is State.APPROVED and after.decided_by == REVIEWERS[1]


async def test_view_submission_catalogue_payload_declines(harness: Harness) -> None:
    h = harness
    card = await h.pending_job_card(by=REVIEWERS[0])
    await h.slack.click(REVIEWERS[2], card, ids.DECLINE)
    view = await h.modal(REVIEWERS[2])
    template = load("views/ViewSubmissionPayload.json")
    payload = fill(
        template,
        {
            "team": {"id": TEAM, "domain": "jobgate-sandbox"},
            "user": {
                "id": REVIEWERS[2],
                "username": "reviewer3",
                "name": "reviewer3",
                "team_id": TEAM,
            },
            "api_app_id": "A0JOBGATE",
            "trigger_id": "1.2.def",
            "view": {
                "id": view.id,
                "team_id": TEAM,
                "type": "modal",
                "hash": view.hash,
                "callback_id": view.view["callback_id"],
                "private_metadata": view.view["private_metadata"],
                "title": view.view["title"],
                "submit": view.view["submit"],
                "close": view.view["close"],
                "state": {"values": decline_form("not_relevant")},
            },
        },
    )
    answer = await h.slack.send_interaction(payload)
    assert answer.status == 200 and answer.body == ""
    deliveries = await h.platform.wait_for_accepted(2)
    assert deliveries[-1].event["type"] == "job.declined"
    assert deliveries[-1].event["data"]["reasons"][0]["code"] == "not_relevant"


async def test_slash_command_catalogue_payload_answers_with_help(harness: Harness) -> None:
    h = harness
    template = load("slash-commands/SlashCommandPayload.json")
    fields = fill(
        template,
        {
            "team_id": TEAM,
            "channel_id": "C0REVIEW",
            "user_id": REVIEWERS[0],
            "command": "/jobgate",
            "text": "nonsense words",
            "api_app_id": "A0JOBGATE",
            "trigger_id": "1.2.ghi",
            "response_url": f"{h.slack.root_url}response/R2?user={REVIEWERS[0]}&channel=C0REVIEW",
            "is_enterprise_install": "false",
        },
    )
    from urllib.parse import urlencode

    answer = await h.slack.deliver(
        urlencode(fields), content_type="application/x-www-form-urlencoded"
    )
    assert answer.status == 200
    replies = await h.slack.wait_for(
        lambda: h.slack.ephemerals_for(REVIEWERS[0]), what="usage help"
    )
    assert "I don't know `nonsense`" in replies[0].text and "/jobgate help" in replies[0].text
