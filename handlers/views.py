"""Modal submissions (Decline, Hold, Approve both) and the live prefill inside those modals."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import State, Via
from bot.policy import compose_employer_message, hold_dates
from bot.services import Services
from bot.words import count_of
from bot.workspace import MAX_FOLLOW_UP_DAYS
from handlers import ids
from handlers.actions import blocker_text
from handlers.blocks.modals import decline_modal, hold_modal, notice_modal
from handlers.blocks.reports import render_wave_message
from handlers.interaction import (
    SlackCall,
    Submission,
    ack_request_gone,
    in_modal,
    parse_id,
    parse_submission,
    refusal_title,
    services_of,
    submitter_refused,
)
from storage.decisions import Decided, DecisionCommand, UnknownReason
from storage.outbox import card_lane
from storage.rows import RequestNotFound

SUSPECTED_FRAUD = "suspected_fraud"

log = logging.getLogger(__name__)


def register(app: AsyncApp) -> None:
    app.view(ids.DECLINE_MODAL)(decline_submitted)
    app.view(ids.HOLD_MODAL)(hold_submitted)
    app.view(ids.APPROVE_BOTH_MODAL)(approve_both_submitted)
    app.action(ids.REASONS[1])(reasons_changed)
    app.action(ids.HOLD_TEMPLATE[1])(hold_template_chosen)


async def _decide(
    ack: AsyncAck,
    context: AsyncBoltContext,
    client: AsyncWebClient,
    submission: Submission,
    command: DecisionCommand,
    *,
    error_block: str,
) -> None:
    services = services_of(context)
    refusal = await submitter_refused(services, client, submission, command.outcome.value)
    if refusal is not None:
        await ack(
            response_action="errors",
            errors={
                error_block: in_modal(
                    refusal, "You are not allowed to decide here; nothing changed."
                )
            },
        )
        return
    try:
        result = await services.repo.record_decision(command, services.clock.now())
    except UnknownReason as exc:
        await ack(response_action="errors", errors={error_block: str(exc)})
        return
    except RequestNotFound:
        await ack_request_gone(ack)
        return
    if isinstance(result, Decided):
        services.metrics.decisions.labels(
            result.request.kind.value, command.outcome.value, "button"
        ).inc()
        await ack()
        if SUSPECTED_FRAUD in command.reason_codes:
            services.tasks.spawn(post_wave(services, result.request.id), name="fraud-wave")
        return
    await ack(
        response_action="update",
        view=notice_modal("Nothing changed", blocker_text(result.blocker, result.request)),
    )


async def post_wave(services: Services, request_id: int) -> None:
    """After a decline for suspected fraud: list the rest of the wave in the card's thread."""
    wave = await services.repo.find_wave(request_id)
    if wave:
        message = render_wave_message(wave, source="this request")
        await services.repo.enqueue_message(
            lane=card_lane(request_id),
            kind="thread",
            payload={"request_id": request_id, **message},
            now=services.clock.now(),
        )


async def decline_submitted(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """Decline with reasons; the message goes to the employer, the note stays here."""
    submission = parse_submission(body)
    if submission is None:
        await ack()
        return
    codes = submission.selected(*ids.REASONS)
    if not codes:
        await ack(response_action="errors", errors={ids.REASONS[0]: "Choose at least one reason."})
        return
    message = submission.text(*ids.EMPLOYER_MESSAGE)
    if not message:
        catalogue = {r.code: r for r in await services_of(context).repo.list_decline_reasons(True)}
        message = compose_employer_message([catalogue[c] for c in codes if c in catalogue])
    command = DecisionCommand(
        submission.request_id,
        State.DECLINED,
        submission.user_id,
        Via.BUTTON,
        reason_codes=tuple(codes),
        message=message,
        note=submission.text(*ids.INTERNAL_NOTE) or None,
    )
    await _decide(ack, context, client, submission, command, error_block=ids.REASONS[0])


async def hold_submitted(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """Hold with a question for the employer and a follow-up in N business days."""
    submission = parse_submission(body)
    if submission is None:
        await ack()
        return
    question = submission.text(*ids.HOLD_QUESTION)
    days_text = submission.text(*ids.FOLLOW_UP_DAYS)
    errors = {}
    question_block = next(
        (b for b in submission.values if b.startswith(ids.HOLD_QUESTION[0])), ids.HOLD_QUESTION[0]
    )
    if not question:
        errors[question_block] = "Write the question for the employer."
    try:
        days = int(days_text)
        if not 1 <= days <= MAX_FOLLOW_UP_DAYS:
            raise ValueError
    except ValueError:
        errors[ids.FOLLOW_UP_DAYS[0]] = (
            f"A whole number of business days from 1 to {MAX_FOLLOW_UP_DAYS}."
        )
        days = 0
    if days:
        services = services_of(context)
        now = services.clock.now()
        expiry_days = (await services.repo.get_workspace_settings()).hold_expiry_days
        follow_up_at, expires_at = hold_dates(now, days, expiry_days)
        if follow_up_at >= expires_at:
            # the reminder would never go out: the hold expires first
            errors[ids.FOLLOW_UP_DAYS[0]] = (
                f"A hold expires after {count_of(expiry_days, 'day')} (hold_expiry_days):"
                " choose an earlier follow-up."
            )
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    command = DecisionCommand(
        submission.request_id,
        State.ON_HOLD,
        submission.user_id,
        Via.BUTTON,
        hold_question=question,
        follow_up_days=days,
        note=submission.text(*ids.INTERNAL_NOTE) or None,
    )
    await _decide(ack, context, client, submission, command, error_block=question_block)


async def approve_both_submitted(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """The job's employer was pending: approve the employer and then the job."""
    submission = parse_submission(body)
    if submission is None:
        await ack()
        return
    command = DecisionCommand(
        submission.request_id,
        State.APPROVED,
        submission.user_id,
        Via.BUTTON,
        approve_employer_too=True,
    )
    services = services_of(context)
    refusal = await submitter_refused(services, client, submission, "approve")
    if refusal is not None:
        await ack(
            response_action="update",
            view=notice_modal(
                refusal_title(refusal),
                in_modal(refusal, "You are not allowed to decide here; nothing changed."),
            ),
        )
        return
    try:
        result = await services.repo.record_decision(command, services.clock.now())
    except RequestNotFound:
        await ack_request_gone(ack)
        return
    if isinstance(result, Decided):
        await ack()
        return
    await ack(
        response_action="update",
        view=notice_modal("Nothing changed", blocker_text(result.blocker, result.request)),
    )


async def _update_view(
    services: Services, client: AsyncWebClient, body: dict[str, Any], view: dict[str, Any]
) -> None:
    current = body.get("view") or {}
    # hash_conflict: the person typed meanwhile; their text wins (not a failure)
    with SlackCall(services, "views.update", "refresh a modal", expected=("hash_conflict",)):
        await client.views_update(view_id=current.get("id"), hash=current.get("hash"), view=view)


async def reasons_changed(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """Reasons chosen in the Decline modal: prefill the message to the employer from them."""
    await ack()
    services = services_of(context)
    view = body.get("view") or {}
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
        request = await services.repo.get_request(parse_id(metadata["request_id"]))
        action = body["actions"][0]
    except (KeyError, IndexError, TypeError, ValueError):
        return
    if request is None:
        return
    codes = [
        str(o.get("value")) for o in action.get("selected_options") or [] if isinstance(o, dict)
    ]
    reasons = await services.repo.list_decline_reasons()
    await _update_view(
        services, client, body, decline_modal(request, reasons, metadata, selected=codes)
    )


async def hold_template_chosen(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """A hold template chosen: put its text in the question box."""
    await ack()
    services = services_of(context)
    view = body.get("view") or {}
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
        request = await services.repo.get_request(parse_id(metadata["request_id"]))
        index = int(body["actions"][0]["selected_option"]["value"])  # range-checked by the modal
    except (KeyError, IndexError, TypeError, ValueError):
        return
    if request is None:
        return
    settings = await services.repo.get_workspace_settings()
    await _update_view(
        services,
        client,
        body,
        hold_modal(
            request, metadata, follow_up_days=settings.hold_follow_up_days, template_index=index
        ),
    )
