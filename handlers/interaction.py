"""What a click or a submission carries, who sent it, and how to answer them privately."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.models import Via
from bot.policy import Actor, Refusal, Role
from bot.services import Services
from handlers.blocks.modals import request_gone_modal

log = logging.getLogger(__name__)

# what a Web API call can raise: Slack's error answer, or a timeout or lost connection
SLACK_FAILURES = (SlackApiError, aiohttp.ClientError, TimeoutError, OSError)


MAX_ID = 2**63 - 1  # SQLite's INTEGER


def parse_id(value: object) -> int:
    """A row id from a payload (button value, metadata): ASCII digits, 1 to 2⁶³−1; anything
    else (`²`, 5,000 digits, text) raises ValueError, so a forged id is simply not found."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        raise ValueError(f"not an id: {text[:20]!r}")
    number = int(text)
    if not 0 < number <= MAX_ID:
        raise ValueError(f"not an id: {text[:20]!r}")
    return number


def optional_id(value: object) -> int | None:
    """`parse_id`, with None for what is not an id (a forged or empty value is not found)."""
    try:
        return parse_id(value)
    except ValueError:
        return None


def describe_failure(exc: BaseException) -> str:
    """Slack's error code (`internal_error`, `expired_trigger_id`), or the transport
    failure's name (`TimeoutError`, `ServerDisconnectedError`)."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return type(exc).__name__


class SlackCall:
    """`with SlackCall(services, "views.open", "open the decline form") as call:` around a
    Web API call made while someone waits: a failure is logged once as a warning, counted
    for /healthz and /metrics, and swallowed (`call.failed` says what it was), so the
    handler can tell the person instead of dying in a background task."""

    def __init__(
        self, services: Services, method: str, what: str, *, expected: tuple[str, ...] = ()
    ) -> None:
        self.services = services
        self.method = method
        self.what = what
        self.expected = expected  # Slack errors that are an answer, not a failure
        self.failed: str | None = None

    def __enter__(self) -> SlackCall:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc is None or not isinstance(exc, SLACK_FAILURES):
            return False
        self.failed = describe_failure(exc)
        if self.failed in self.expected:
            log.info("did not %s (%s: %s)", self.what, self.method, self.failed)
            return True
        services = self.services
        services.slack_failures.record(self.method, self.failed, services.clock.now())
        services.metrics.slack_calls.labels(self.method, self.failed).inc()
        log.warning("could not %s (%s: %s)", self.what, self.method, self.failed)
        return True


async def open_form_for(
    services: Services,
    client: AsyncWebClient,
    click: Click,
    view: dict[str, Any],
    *,
    what: str,
    again: str,
) -> bool:
    """open_form for a click on a card: its trigger, channel and person."""
    return await open_form(
        services,
        client,
        trigger_id=click.trigger_id,
        view=view,
        what=what,
        channel=click.channel,
        user=click.user_id,
        again=again,
    )


def say_unknown_request(services: Services, client: AsyncWebClient, click: Click) -> None:
    """A card whose request jobgate has no record of (a restored database, another install)."""
    text = (
        f"jobgate has no request #{click.request_id} on record, so nothing changed. This card "
        "may come from an older copy of the database; `/jobgate queue` lists what is pending now."
    )
    services.tasks.spawn(
        reply_privately(services, client, channel=click.channel, user=click.user_id, text=text),
        name="reply-unknown-request",
    )


async def open_form(
    services: Services,
    client: AsyncWebClient,
    *,
    trigger_id: str | None,
    view: dict[str, Any],
    what: str,
    channel: str | None,
    user: str,
    again: str,
    response_url: str | None = None,
) -> bool:
    """open_or_explain for a click in a channel: told by an ephemeral message (or the
    payload's response_url)."""

    async def tell(text: str) -> None:
        await reply_privately(
            services, client, channel=channel, user=user, text=text, response_url=response_url
        )

    return await open_or_explain(
        services, client, trigger_id=trigger_id, view=view, what=what, again=again, tell=tell
    )


async def open_or_explain(
    services: Services,
    client: AsyncWebClient,
    *,
    trigger_id: str | None,
    view: dict[str, Any],
    what: str,
    again: str,
    tell: Callable[[str], Awaitable[None]],
    nothing_changed: bool = True,
) -> bool:
    """views.open for someone waiting for `what` (e.g. "the Decline form"). When Slack does
    not open it (the trigger id expired after 3 s, an outage), `tell` gives them the reason
    privately instead of letting nothing happen; `again` says what to do. Every place that
    opens a form (cards, slash commands, the Home) words this the same way. True when it
    opened."""
    failed = "no trigger id"
    if trigger_id:
        with SlackCall(services, "views.open", f"open {what}") as call:
            await client.views_open(trigger_id=trigger_id, view=view)
        if call.failed is None:
            return True
        failed = call.failed
    await tell(form_not_opened(what, failed, again, nothing_changed=nothing_changed))
    return False


async def ack_request_gone(ack: AsyncAck) -> None:
    """Answer a submitted form whose request jobgate has no record of (a forged or stale
    id): the form turns into a notice that nothing changed."""
    await ack(response_action="update", view=request_gone_modal())


def form_not_opened(what: str, failed: str, again: str, *, nothing_changed: bool = True) -> str:
    """Why a form is not on screen; `nothing_changed` is False when the form only followed
    a change already made (a reason just added opens its editor)."""
    effect = ", so nothing changed." if nothing_changed else "."
    return f"Slack did not open {what} ({failed}){effect} {again}"


REFUSAL_TEXT = {
    Refusal.NOT_ALLOWED: (
        ":no_entry: You are not on jobgate's {role} list, so nothing changed. "
        "Ask {add_you} (your Slack user id, or a user group you are in)."
    ),
    Refusal.OTHER_TEAM: (
        ":no_entry: Only members of this workspace can take decisions here, so nothing changed."
    ),
    Refusal.TEAM_UNKNOWN: (
        ":no_entry: jobgate could not confirm its own Slack workspace just now, so it cannot"
        " tell who may act, and nothing changed. Try again in a minute; if this keeps"
        " happening, `jobgate check` tests the bot token."
    ),
    Refusal.NOBODY_CONFIGURED: (
        ":no_entry: No {role}s are configured yet, so nobody can do this and nothing changed. "
        "Whoever runs jobgate should set JOBGATE_{env} (`jobgate check` shows what is missing)."
    ),
}


# who can put someone on the list: the reviewers may be the reviewers setting an admin made
# in Slack, or JOBGATE_REVIEWERS; the admins are JOBGATE_ADMINS only
ADD_YOU = {
    Role.REVIEWER: "a jobgate admin, or whoever runs jobgate, to add you",
    Role.ADMIN: "whoever runs jobgate to add you to JOBGATE_ADMINS",
}


def services_of(context: AsyncBoltContext) -> Services:
    services = context.get("services")
    assert isinstance(services, Services), "the services middleware did not run"
    return services


@dataclass(frozen=True)
class Click:
    """A button press on a card (block_actions)."""

    user_id: str
    team_id: str | None
    request_id: int
    channel: str | None
    message_ts: str | None
    trigger_id: str | None

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.team_id)

    def form_metadata(self) -> dict[str, Any]:
        """What a form opened from this card carries back on submit (parse_submission reads
        it): the request, and the card to update."""
        return {"request_id": self.request_id, "channel": self.channel, "ts": self.message_ts}


def user_team(body: dict[str, Any]) -> str | None:
    """The sender's team: the user's, or the workspace's when the payload leaves it out."""
    user = body.get("user") or {}
    team = user.get("team_id") or (body.get("team") or {}).get("id")
    return str(team) if team else None


def actor_of(body: dict[str, Any]) -> Actor:
    """Who sent an interaction payload: the user, and their team (the workspace's when the
    payload leaves the user's out)."""
    user = body.get("user") or {}
    return Actor(str(user.get("id") or ""), user_team(body))


def parse_click(body: dict[str, Any]) -> Click | None:
    """The click's facts, or None for a payload that is not one of our card buttons."""
    try:
        action = body["actions"][0]
        request_id = parse_id(
            str(action.get("value") or action.get("selected_option", {}).get("value", "")).split(
                ":"
            )[-1]
        )
        user_id = str(body["user"]["id"])
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    message_ts = (body.get("message") or {}).get("ts") or container.get("message_ts")
    return Click(
        user_id=user_id,
        team_id=user_team(body),
        request_id=request_id,
        channel=str(channel) if channel else None,
        message_ts=str(message_ts) if message_ts else None,
        trigger_id=body.get("trigger_id"),
    )


@dataclass(frozen=True)
class Submission:
    """A modal submission (view_submission) for one request."""

    user_id: str
    team_id: str | None
    request_id: int
    channel: str | None
    message_ts: str | None
    values: dict[str, dict[str, Any]]

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.team_id)

    def value(self, block_prefix: str, action_id: str) -> Any:
        """The input's element state, found by block id or by block id prefix (`id.` + hash)."""
        for block_id, actions in self.values.items():
            ours = block_id == block_prefix or block_id.startswith(block_prefix + ".")
            if ours and action_id in actions:
                return actions[action_id]
        return None

    def text(self, block_prefix: str, action_id: str) -> str:
        state = self.value(block_prefix, action_id) or {}
        return str(state.get("value") or "").strip()

    def selected(self, block_prefix: str, action_id: str) -> list[str]:
        state = self.value(block_prefix, action_id) or {}
        options = state.get("selected_options") or []
        return [str(o.get("value")) for o in options if isinstance(o, dict) and o.get("value")]


def parse_submission(body: dict[str, Any]) -> Submission | None:
    try:
        view = body["view"]
        metadata = json.loads(view.get("private_metadata") or "{}")
        request_id = parse_id(metadata["request_id"])
        user_id = str(body["user"]["id"])
        values = view.get("state", {}).get("values", {}) or {}
    except (KeyError, TypeError, ValueError, json.JSONDecodeError):
        return None
    return Submission(
        user_id=user_id,
        team_id=user_team(body),
        request_id=request_id,
        channel=metadata.get("channel"),
        message_ts=metadata.get("ts"),
        values=values if isinstance(values, dict) else {},
    )


# where jobgate cannot post an ephemeral message, and the payload's response_url still can
NOT_POSTABLE = ("channel_not_found", "not_in_channel", "is_archived")


async def reply_privately(
    services: Services,
    client: AsyncWebClient,
    *,
    channel: str | None,
    user: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
    response_url: str | None = None,
) -> None:
    """An ephemeral message only `user` sees; failures are logged, never raised. Where
    jobgate cannot post (a channel or DM it is not in, e.g. a shortcut used elsewhere), the
    payload's `response_url` carries the answer instead."""
    if channel:
        expected = NOT_POSTABLE if response_url else ()
        what = f"answer {user} privately"
        with SlackCall(services, "chat.postEphemeral", what, expected=expected) as call:
            await client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
        if call.failed is None or not response_url or call.failed not in NOT_POSTABLE:
            return
    if not response_url:
        log.info("no channel to answer %s privately: %s", user, text)
        return
    try:
        answer = await AsyncWebhookClient(response_url, timeout=10).send(
            text=text, blocks=blocks, response_type="ephemeral", replace_original=False
        )
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("could not answer %s through the response_url: %r", user, exc)
        return
    if answer.status_code != 200:
        log.warning("the response_url refused the answer to %s: %s", user, answer.status_code)


async def check_allowed(
    services: Services,
    client: AsyncWebClient,
    *,
    actor: Actor,
    needs: Role,
    attempted: str,
    request_id: int | None,
    channel: str | None,
    via: Via = Via.BUTTON,
    answer_privately: bool = True,
) -> Refusal | None:
    """Deny by default: a refusal is recorded and answered privately; None means go ahead."""
    refusal = await services.staff.check(actor, needs)
    if refusal is None:
        return None
    services.metrics.refusals.labels(refusal.value).inc()
    await services.repo.record_refusal(
        request_id=request_id,
        actor=actor.user_id,
        attempted=attempted,
        why=refusal.value,
        via=via,
        now=services.clock.now(),
        details={"team_id": actor.team_id},
    )
    log.info("refused %s by %s (%s)", attempted, actor.user_id, refusal.value)
    if answer_privately:
        text = refusal_text(refusal, needs)
        services.tasks.spawn(
            reply_privately(services, client, channel=channel, user=actor.user_id, text=text),
            name="reply-refusal",
        )
    return refusal


async def submitter_refused(
    services: Services, client: AsyncWebClient, submission: Submission, attempted: str
) -> Refusal | None:
    """A reviewer's modal, checked again on submission: the refusal is recorded and returned
    (the caller answers in the modal itself, so nothing is posted privately)."""
    return await check_allowed(
        services,
        client,
        actor=submission.actor,
        needs=Role.REVIEWER,
        attempted=attempted,
        request_id=submission.request_id,
        channel=submission.channel,
        answer_privately=False,
    )


async def clicker_allowed(
    services: Services,
    client: AsyncWebClient,
    body: dict[str, Any],
    *,
    needs: Role,
    attempted: str,
) -> Actor | None:
    """Who clicked a message button (not a card's), if they hold `needs`; otherwise the
    refusal is recorded and answered privately, and None is returned."""
    channel = (body.get("channel") or {}).get("id")
    actor = actor_of(body)
    refusal = await check_allowed(
        services,
        client,
        actor=actor,
        needs=needs,
        attempted=attempted,
        request_id=None,
        channel=channel,
    )
    return actor if refusal is None else None


async def card_click_allowed(
    services: Services, client: AsyncWebClient, click: Click, *, needs: Role, attempted: str
) -> bool:
    """Whether the person who used a card's button or menu holds `needs`; if not, the
    refusal is recorded against the card's request and answered privately."""
    refusal = await check_allowed(
        services,
        client,
        actor=click.actor,
        needs=needs,
        attempted=attempted,
        request_id=click.request_id,
        channel=click.channel,
    )
    return refusal is None


def refusal_text(refusal: Refusal, needs: Role) -> str:
    env = "ADMINS" if needs is Role.ADMIN else "REVIEWERS"
    return REFUSAL_TEXT[refusal].format(role=needs.value, env=env, add_you=ADD_YOU[needs])


def refusal_title(refusal: Refusal) -> str:
    """A refusal notice's title: one that passes with a retry is not a 'not allowed'."""
    return "Try again" if refusal is Refusal.TEAM_UNKNOWN else "Not allowed"


def in_modal(refusal: Refusal, not_allowed: str) -> str:
    """What a modal says when its submission is refused: `not_allowed`, unless the refusal
    is only that jobgate could not confirm its workspace, which passes with a retry."""
    if refusal is Refusal.TEAM_UNKNOWN:
        return (
            "jobgate could not confirm its Slack workspace just now, so nothing changed."
            " Submit again in a minute."
        )
    return not_allowed
