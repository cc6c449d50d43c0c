"""Card buttons: Approve records at once; Decline and Hold open their modals; Undo reverts."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import ReviewRequest, State, Via
from bot.policy import Blocker, Role
from bot.services import Services
from handlers import ids
from handlers.blocks.cards import decided_by
from handlers.blocks.modals import approve_both_modal, decline_modal, hold_modal
from handlers.interaction import (
    Click,
    card_click_allowed,
    open_form_for,
    parse_click,
    reply_privately,
    say_unknown_request,
    services_of,
)
from handlers.mrkdwn import untrusted, when
from storage.decisions import Decided, DecisionCommand, NotDecided, Reverted
from storage.rows import RequestNotFound

log = logging.getLogger(__name__)

STATE_WORDS = {
    State.APPROVED: "approved",
    State.DECLINED: "declined",
    State.ON_HOLD: "put on hold",
    State.EXPIRED: "closed when its hold expired",
    State.REMOVED: "removed by the platform",
    State.PENDING: "reopened",
}


def register(app: AsyncApp) -> None:
    app.action(ids.APPROVE)(approve_clicked)
    app.action(ids.DECLINE)(decline_clicked)
    app.action(ids.HOLD)(hold_clicked)
    app.action(ids.UNDO)(undo_clicked)


def already_decided_text(request: ReviewRequest) -> str:
    moment = f" {when(request.decided_at)}" if request.decided_at else ""
    return (
        f"*{untrusted(request.title, 150)}* was already {STATE_WORDS[request.state]}"
        f"{decided_by(request)}{moment}. Nothing changed."
    )


def blocker_text(blocker: Blocker, request: ReviewRequest) -> str:
    employer = untrusted(request.employer.name, 150)
    if blocker is Blocker.ALREADY_DECIDED:
        return already_decided_text(request)
    if blocker is Blocker.ALREADY_ON_HOLD:
        return f"*{untrusted(request.title, 150)}* is already on hold. Nothing changed."
    if blocker is Blocker.EMPLOYER_UNREVIEWED:
        return (
            f"*{employer}* has not asked to recruit here yet, so its job cannot be approved. "
            "Wait for the employer's request, or decline the job."
        )
    if blocker is Blocker.EMPLOYER_BLOCKED:
        return f"*{employer}* is not approved here, so its jobs cannot be approved."
    if blocker is Blocker.EMPLOYER_EXPIRED:
        return (
            f"*{employer}*'s own request to recruit here was put on hold and expired without an"
            " answer, so its jobs cannot be approved. An edit from the employer brings that"
            " request back to the queue; until then, decline the job or leave it pending."
        )
    if blocker is Blocker.REASONS_REQUIRED:
        return "Choose at least one reason to decline."
    return f"*{employer}* still needs a decision first."


async def _open_view(
    services: Services, client: AsyncWebClient, click: Click, view: dict[str, Any], button: str
) -> None:
    await open_form_for(
        services, client, click, view, what=f"the {button} form", again=f"Click {button} again."
    )


ButtonAction = Callable[[Services, AsyncWebClient, Click, AsyncAck], Awaitable[None]]
Listener = Callable[[AsyncAck, dict[str, Any], AsyncBoltContext, AsyncWebClient], Awaitable[None]]


def card_button(attempted: str) -> Callable[[ButtonAction], Listener]:
    """A reviewer's button on a card: the click is read and checked here, then `action`
    runs and acks when it is ready to. A request jobgate has no record of (RequestNotFound,
    which every button meets before it acks) is answered here, once for all of them."""

    def wrap(action: ButtonAction) -> Listener:
        async def listener(
            ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
        ) -> None:
            click = parse_click(body)
            services = services_of(context)
            if click is None or not await card_click_allowed(
                services, client, click, needs=Role.REVIEWER, attempted=attempted
            ):
                await ack()
                return
            try:
                await action(services, client, click, ack)
            except RequestNotFound:
                await ack()
                say_unknown_request(services, client, click)

        # not functools.wraps: Bolt injects arguments by the listener's own signature
        listener.__name__, listener.__doc__ = action.__name__, action.__doc__
        return listener

    return wrap


@card_button("approve")
async def approve_clicked(
    services: Services, client: AsyncWebClient, click: Click, ack: AsyncAck
) -> None:
    """Approve: one transaction, then the card, thread and platform follow via the outbox."""
    command = DecisionCommand(click.request_id, State.APPROVED, click.user_id, Via.BUTTON)
    result = await services.repo.record_decision(command, services.clock.now())
    await ack()
    if isinstance(result, Decided):
        services.metrics.decisions.labels(result.request.kind.value, "approved", "button").inc()
        return
    await _explain(services, client, click, result)


async def _explain(
    services: Services, client: AsyncWebClient, click: Click, result: NotDecided
) -> None:
    if result.blocker is Blocker.EMPLOYER_PENDING:
        settings = await services.repo.get_workspace_settings()
        view = approve_both_modal(result.request, settings.default_roles, click.form_metadata())
        services.tasks.spawn(
            _open_view(services, client, click, view, "Approve"), name="open-approve-both"
        )
        return
    services.tasks.spawn(
        reply_privately(
            services,
            client,
            channel=click.channel,
            user=click.user_id,
            text=blocker_text(result.blocker, result.request),
        ),
        name="reply-not-decided",
    )


async def _open_request(
    services: Services, client: AsyncWebClient, click: Click
) -> ReviewRequest | None:
    """The card's request, if still open; else the clicker is told it was decided."""
    request = await services.repo.get_request(click.request_id)
    if request is None:
        raise RequestNotFound(f"no request with id {click.request_id}")
    if request.state not in (State.PENDING, State.ON_HOLD):
        services.tasks.spawn(
            reply_privately(
                services,
                client,
                channel=click.channel,
                user=click.user_id,
                text=already_decided_text(request),
            ),
            name="reply-already-decided",
        )
        return None
    return request


@card_button("decline")
async def decline_clicked(
    services: Services, client: AsyncWebClient, click: Click, ack: AsyncAck
) -> None:
    """Decline: opens the modal with reasons, the message to the employer and a note."""
    request = await _open_request(services, client, click)
    await ack()
    if request is None:
        return
    reasons = await services.repo.list_decline_reasons()
    view = decline_modal(request, reasons, click.form_metadata())
    services.tasks.spawn(_open_view(services, client, click, view, "Decline"), name="open-decline")


@card_button("hold")
async def hold_clicked(
    services: Services, client: AsyncWebClient, click: Click, ack: AsyncAck
) -> None:
    """Hold: opens the modal with the question for the employer and the follow-up days."""
    request = await _open_request(services, client, click)
    await ack()
    if request is None:
        return
    settings = await services.repo.get_workspace_settings()
    view = hold_modal(request, click.form_metadata(), follow_up_days=settings.hold_follow_up_days)
    services.tasks.spawn(_open_view(services, client, click, view, "Hold"), name="open-hold")


@card_button("undo")
async def undo_clicked(
    services: Services, client: AsyncWebClient, click: Click, ack: AsyncAck
) -> None:
    """Undo: the decider or an admin, within the window; back to pending."""
    is_admin = await services.staff.is_admin(click.actor)
    result = await services.repo.revert_decision(
        click.request_id,
        actor=click.user_id,
        via=Via.BUTTON,
        is_admin=is_admin,
        now=services.clock.now(),
    )
    await ack()
    if not isinstance(result, Reverted):
        services.tasks.spawn(
            reply_privately(
                services,
                client,
                channel=click.channel,
                user=click.user_id,
                text=f"Nothing changed: {result.why}.",
            ),
            name="reply-undo-refused",
        )
