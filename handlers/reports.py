"""Reporting a request to trust & safety from Slack: the card overflow and the message
shortcut open the same form; the report is stored, carded and sent to the platform."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import Kind, ReviewRequest
from bot.policy import Role
from bot.services import Services
from handlers import ids
from handlers.blocks.reports import report_modal
from handlers.interaction import (
    Click,
    ack_request_gone,
    actor_of,
    check_allowed,
    in_modal,
    open_form,
    parse_submission,
    reply_privately,
    services_of,
    submitter_refused,
)
from handlers.menus import menu_verb
from handlers.mrkdwn import untrusted
from storage.rows import RequestNotFound

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.shortcut(ids.REPORT_SHORTCUT)(report_shortcut)
    app.view(ids.REPORT_MODAL)(report_submitted)


async def _open_form(
    services: Services,
    client: AsyncWebClient,
    *,
    request: ReviewRequest,
    trigger_id: str | None,
    channel: str | None,
    user: str,
    response_url: str | None = None,
) -> None:
    noun = "the job" if request.kind is Kind.JOB else "the employer"
    subject = f"{noun} *{untrusted(request.title, 150)}*"
    metadata = json.dumps({"request_id": request.id, "channel": channel})
    await open_form(
        services,
        client,
        trigger_id=trigger_id,
        view=report_modal(subject, metadata),
        what="the report form",
        channel=channel,
        user=user,
        again="Choose Report to trust & safety again.",
        response_url=response_url,
    )


@menu_verb(ids.VERB_REPORT, Role.REVIEWER)
async def report_chosen(
    services: Services, client: AsyncWebClient, click: Click, request: ReviewRequest
) -> None:
    """Report to trust & safety, from the card's overflow."""
    await _open_form(
        services,
        client,
        request=request,
        trigger_id=click.trigger_id,
        channel=click.channel,
        user=click.user_id,
    )


async def report_shortcut(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """The message shortcut on a card: find the card's request, then the same form."""
    await ack()
    services = services_of(context)
    actor = actor_of(body)
    channel = (body.get("channel") or {}).get("id")
    ts = body.get("message_ts") or (body.get("message") or {}).get("ts")
    request = (
        await services.repo.find_request_by_card(str(channel), str(ts)) if channel and ts else None
    )
    refusal = await check_allowed(
        services,
        client,
        actor=actor,
        needs=Role.REVIEWER,
        attempted="report",
        request_id=request.id if request else None,
        channel=channel,
    )
    if refusal is not None:
        return
    if request is None:
        services.tasks.spawn(
            reply_privately(
                services,
                client,
                channel=channel,
                user=actor.user_id,
                text="That message is not a jobgate card; use the shortcut on a review card.",
                response_url=body.get("response_url"),
            ),
            name="reply-not-a-card",
        )
        return
    services.tasks.spawn(
        _open_form(
            services,
            client,
            request=request,
            trigger_id=body.get("trigger_id"),
            channel=channel,
            user=actor.user_id,
            response_url=body.get("response_url"),
        ),
        name="open-report",
    )


async def report_submitted(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """The form: stored, sent to the platform as report.filed, and carded."""
    submission = parse_submission(body)
    if submission is None:
        await ack()
        return
    services = services_of(context)
    refusal = await submitter_refused(services, client, submission, "report")
    if refusal is not None:
        await ack(
            response_action="errors",
            errors={
                ids.REPORT_DETAILS[0]: in_modal(
                    refusal, "You are not allowed to file reports here."
                )
            },
        )
        return
    category_state = submission.value(*ids.REPORT_CATEGORY) or {}
    category = str((category_state.get("selected_option") or {}).get("value") or "")
    details = submission.text(*ids.REPORT_DETAILS)
    known = {code for code, _ in ids.REPORT_CATEGORIES}
    errors = {}
    if category not in known:
        errors[ids.REPORT_CATEGORY[0]] = "Choose what is wrong."
    if not details:
        errors[ids.REPORT_DETAILS[0]] = "Say what happened; the platform's team reads this."
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    try:
        await services.repo.file_report(
            submission.request_id,
            actor=submission.user_id,
            category=category,
            details=details,
            now=services.clock.now(),
        )
    except RequestNotFound:
        await ack_request_gone(ack)
        return
    await ack()
