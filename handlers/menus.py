"""The card's overflow menus: each option is "<verb>:<request id>", dispatched here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.history import timeline
from bot.models import ReviewRequest, Via
from bot.policy import Role
from bot.services import Services
from handlers import ids
from handlers.blocks.history import history_modal
from handlers.blocks.modals import flag_modal
from handlers.blocks.snapshot import snapshot_modal
from handlers.employer_commands import trust_answer
from handlers.interaction import (
    Click,
    ack_request_gone,
    card_click_allowed,
    in_modal,
    open_form_for,
    parse_click,
    parse_submission,
    reply_privately,
    say_unknown_request,
    services_of,
    submitter_refused,
)

log = logging.getLogger(__name__)

MenuAction = Callable[[Services, AsyncWebClient, Click, ReviewRequest], Coroutine[Any, Any, None]]
VERBS: dict[str, tuple[Role, MenuAction]] = {}


def menu_verb(verb: str, needs: Role) -> Callable[[MenuAction], MenuAction]:
    """Handle the overflow option `verb` (for people with role `needs`)."""

    def add(action: MenuAction) -> MenuAction:
        VERBS[verb] = (needs, action)
        return action

    return add


def register(app: AsyncApp) -> None:
    app.action(ids.CARD_MENU)(menu_chosen)
    app.action(ids.EMPLOYER_MENU_ACTION)(menu_chosen)
    app.view(ids.FLAG_MODAL)(flag_submitted)


def _verb(body: dict[str, Any]) -> str:
    try:
        return str(body["actions"][0]["selected_option"]["value"]).split(":", 1)[0]
    except (KeyError, IndexError, TypeError):
        return ""


async def menu_chosen(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """An overflow option: check who may, then run the verb's action after the ack."""
    await ack()
    services = services_of(context)
    click = parse_click(body)
    verb = _verb(body)
    if click is None or verb not in VERBS:
        return
    needs, action = VERBS[verb]
    if not await card_click_allowed(services, client, click, needs=needs, attempted=verb):
        return
    request = await services.repo.get_request(click.request_id)
    if request is None:
        say_unknown_request(services, client, click)
        return
    services.tasks.spawn(action(services, client, click, request), name=f"menu-{verb}")


async def _open(
    services: Services, client: AsyncWebClient, click: Click, view: dict[str, Any], what: str
) -> None:
    await open_form_for(
        services, client, click, view, what=what, again="Pick it from the card's menu again."
    )


@menu_verb(ids.VERB_ASSIGN, Role.REVIEWER)
async def assign_chosen(
    services: Services, client: AsyncWebClient, click: Click, request: ReviewRequest
) -> None:
    """Assign to me: the card shows who is on it; taking over is said in the thread."""
    previous = await services.repo.assign_request(
        click.request_id, click.user_id, services.clock.now()
    )
    if previous == click.user_id:
        text = "This one is already assigned to you; nothing changed."
    elif previous:
        text = f"You took this over from <@{previous}>; the thread says so."
    else:
        return  # the card shows it
    await reply_privately(services, client, channel=click.channel, user=click.user_id, text=text)


@menu_verb(ids.VERB_EMPLOYER_HISTORY, Role.REVIEWER)
async def employer_history_chosen(
    services: Services, client: AsyncWebClient, click: Click, request: ReviewRequest
) -> None:
    """Employer history: the activity snapshot of the card's employer."""
    snap = await services.repo.employer_snapshot(request.employer.id)
    if snap is not None:
        await _open(services, client, click, snapshot_modal(snap), "the employer history")


@menu_verb(ids.VERB_HISTORY, Role.REVIEWER)
async def history_chosen(
    services: Services, client: AsyncWebClient, click: Click, request: ReviewRequest
) -> None:
    """History: every decision, edit, note, flag and report, in time order."""
    entries = timeline(
        await services.repo.list_audit(request.id), await services.repo.list_notes(request.id)
    )
    await _open(services, client, click, history_modal(request, entries), "the history")


@menu_verb(ids.VERB_FLAG, Role.REVIEWER)
async def flag_chosen(
    services: Services, client: AsyncWebClient, click: Click, request: ReviewRequest
) -> None:
    """Flag as suspicious: ask why, in a small modal."""
    await _open(
        services, client, click, flag_modal(request, click.form_metadata()), "the Flag form"
    )


async def flag_submitted(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """The flag's reason: stored with who and when; the card and thread show it."""
    submission = parse_submission(body)
    if submission is None:
        await ack()
        return
    services = services_of(context)
    refusal = await submitter_refused(services, client, submission, "flag")
    if refusal is not None:
        await ack(
            response_action="errors",
            errors={ids.FLAG_REASON[0]: in_modal(refusal, "You are not allowed to flag requests.")},
        )
        return
    flagged = await services.repo.flag_request(
        submission.request_id,
        actor=submission.user_id,
        reason=submission.text(*ids.FLAG_REASON),
        via=Via.BUTTON,
        now=services.clock.now(),
    )
    if flagged is None:
        await ack_request_gone(ack)
        return
    await ack()


async def _set_trust(
    services: Services, client: AsyncWebClient, click: Click, request: ReviewRequest, trusted: bool
) -> None:
    why_not = await services.repo.set_employer_trusted(
        request.employer.id,
        trusted=trusted,
        actor=click.user_id,
        via=Via.BUTTON,
        now=services.clock.now(),
    )
    text = trust_answer(request.employer.name, trusted, why_not)
    await reply_privately(services, client, channel=click.channel, user=click.user_id, text=text)


@menu_verb(ids.VERB_TRUST, Role.ADMIN)
async def trust_chosen(
    services: Services, client: AsyncWebClient, click: Click, request: ReviewRequest
) -> None:
    """Trust the employer: its jobs are auto-approved when clean."""
    await _set_trust(services, client, click, request, True)


@menu_verb(ids.VERB_UNTRUST, Role.ADMIN)
async def untrust_chosen(
    services: Services, client: AsyncWebClient, click: Click, request: ReviewRequest
) -> None:
    """Stop trusting the employer."""
    await _set_trust(services, client, click, request, False)
