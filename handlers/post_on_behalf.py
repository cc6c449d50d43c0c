"""`/jobgate post`: reviewers post a job on behalf of an approved employer."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from pydantic import ValidationError
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import EmployerStatus
from bot.policy import Actor, Role
from bot.submissions import JobSubmission
from handlers import ids
from handlers.blocks.common import MAX_OPTIONS
from handlers.blocks.post import post_modal
from handlers.commands import Invocation, subcommand
from handlers.employer_commands import pick_employer
from handlers.interaction import (
    actor_of,
    check_allowed,
    in_modal,
    optional_id,
    refusal_text,
    services_of,
)
from handlers.mrkdwn import untrusted

log = logging.getLogger(__name__)

PAY = re.compile(
    r"^\$?\s*(?P<min>\d[\d,]*(?:\.\d+)?)\s*(?:[-–]\s*\$?\s*(?P<max>\d[\d,]*(?:\.\d+)?))?"
    r"\s*(?:(?:per|/|an?)\s*)?(?P<period>hour|hr|day|week|month|year|yr)?\s*$",
    re.IGNORECASE,
)
PERIODS = {"hr": "hour", "yr": "year"}
FIELD_BLOCKS = {
    "title": ids.POST_TITLE[0],
    "description": ids.POST_DESCRIPTION[0],
    "location": ids.POST_LOCATION[0],
    "pay": ids.POST_PAY[0],
    "apply_url": ids.POST_APPLY_URL[0],
}


def parse_pay(text: str) -> dict[str, Any] | None:
    """'25-30 per hour' -> {'min': 25, 'max': 30, 'period': 'hour'}; ValueError if unreadable."""
    if not text.strip():
        return None
    match = PAY.match(text.strip())
    if not match:
        raise ValueError("write it like 25-30 per hour or 55000 per year")
    low = float(match["min"].replace(",", ""))
    high = float(match["max"].replace(",", "")) if match["max"] else low
    period = (match["period"] or "year").lower()
    return {"min": low, "max": high, "currency": "USD", "period": PERIODS.get(period, period)}


def register(app: AsyncApp) -> None:
    app.view(ids.POST_MODAL)(post_submitted)


@subcommand("post", "post [employer]", "reviewers: post a job on behalf of an approved employer")
async def post(invocation: Invocation) -> None:
    services = invocation.services
    refusal = await services.staff.check(
        Actor(invocation.user_id, invocation.team_id), Role.REVIEWER
    )
    if refusal is not None:
        await invocation.respond(
            text=refusal_text(refusal, Role.REVIEWER), response_type="ephemeral"
        )
        return
    preselected, found = None, None
    if invocation.text:
        found = await pick_employer(invocation, invocation.text)
        if found is None:
            return
        if found.status is not EmployerStatus.APPROVED:
            await invocation.respond(
                text=f"*{untrusted(found.name, 150)}* is {found.status.value.replace('_', ' ')}"
                " here; jobs can only be posted for approved employers.",
                response_type="ephemeral",
            )
            return
        preselected = found.id
    employers = await services.repo.list_approved_employers(MAX_OPTIONS)
    if found is not None and all(employer_id != found.id for employer_id, _, _ in employers):
        # named, but not among the most recently active: offered first all the same (post_modal
        # keeps Slack's first MAX_OPTIONS)
        employers = [(found.id, found.upstream_id, found.name), *employers]
    if not employers:
        await invocation.respond(
            text="No employer is approved yet, so there is nobody to post for.",
            response_type="ephemeral",
        )
        return
    await invocation.open_form(
        post_modal(employers, preselected=preselected),
        what="the posting form",
        again="Run the same command again.",
    )


async def post_submitted(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """Validate like a platform request; store approved; tell the platform."""
    services = services_of(context)
    actor = actor_of(body)
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}

    def text(pair: tuple[str, str]) -> str:
        return str(((values.get(pair[0]) or {}).get(pair[1]) or {}).get("value") or "").strip()

    refusal = await check_allowed(
        services,
        client,
        actor=actor,
        needs=Role.REVIEWER,
        attempted="post",
        request_id=None,
        channel=None,
        answer_privately=False,
    )
    if refusal is not None:
        await ack(
            response_action="errors",
            errors={ids.POST_TITLE[0]: in_modal(refusal, "You are not allowed to post jobs.")},
        )
        return
    selected = ((values.get(ids.POST_EMPLOYER[0]) or {}).get(ids.POST_EMPLOYER[1]) or {}).get(
        "selected_option"
    ) or {}
    employer_id = optional_id(selected.get("value")) if selected else None
    employer = await services.repo.get_employer(employer_id) if employer_id else None
    errors: dict[str, str] = {}
    if employer is None or employer.status.value != "approved":
        errors[ids.POST_EMPLOYER[0]] = "Choose an approved employer."
    try:
        pay = parse_pay(text(ids.POST_PAY))
    except ValueError as exc:
        errors[ids.POST_PAY[0]] = str(exc).capitalize() + "."
        pay = None
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    assert employer is not None
    document = {
        "id": f"jg_{uuid.uuid4().hex[:16]}",
        "employer": {"id": employer.upstream_id, "name": employer.name},
        "title": text(ids.POST_TITLE),
        "description": text(ids.POST_DESCRIPTION),
        "location": text(ids.POST_LOCATION) or None,
        "pay": pay,
        "apply_url": text(ids.POST_APPLY_URL) or None,
    }
    try:
        job = JobSubmission.model_validate(document)
    except ValidationError as exc:
        errors = {
            FIELD_BLOCKS.get(str(e["loc"][0]), ids.POST_TITLE[0]): str(e["msg"]).removeprefix(
                "Value error, "
            )
            for e in exc.errors()
        }
        await ack(response_action="errors", errors=errors)
        return
    await services.repo.post_on_behalf(
        job, employer_id=employer.id, actor=actor.user_id, now=services.clock.now()
    )
    await ack()
