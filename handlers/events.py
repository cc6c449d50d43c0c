"""Events: replies in a card's thread become discussion notes (edits and deletions follow);
`@jobgate flag …` and `@jobgate history` work inside a card's thread."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.history import timeline
from bot.models import Via
from bot.policy import Actor, Role
from bot.services import Services
from handlers.blocks.history import history_thread_message
from handlers.interaction import check_allowed, reply_privately, services_of
from storage.outbox import card_lane

MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
PERSON_SUBTYPES = (None, "", "thread_broadcast", "file_share")


def register(app: AsyncApp) -> None:
    app.event("message")(message_posted)
    app.event("app_mention")(mentioned)


def _is_person(message: dict[str, Any]) -> bool:
    return bool(message.get("user")) and not message.get("bot_id")


async def message_posted(ack: AsyncAck, event: dict[str, Any], context: AsyncBoltContext) -> None:
    """Thread replies on cards are kept as notes; edits and deletions are reflected."""
    await ack()
    services = services_of(context)
    now = services.clock.now()
    channel = str(event.get("channel") or "")
    subtype = event.get("subtype")
    if subtype == "message_changed":
        changed = event.get("message") or {}
        if _is_person(changed) and changed.get("ts"):
            await services.repo.edit_note(
                channel=channel, ts=str(changed["ts"]), text=str(changed.get("text") or ""), now=now
            )
        return
    if subtype == "message_deleted":
        ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
        if ts:
            await services.repo.delete_note(channel=channel, ts=str(ts), now=now)
        return
    thread_ts, ts = event.get("thread_ts"), event.get("ts")
    if subtype not in PERSON_SUBTYPES or not _is_person(event) or not thread_ts or thread_ts == ts:
        return
    await services.repo.add_note(
        channel=channel,
        thread_ts=str(thread_ts),
        ts=str(ts),
        author=str(event["user"]),
        text=str(event.get("text") or ""),
        now=now,
    )


async def mentioned(
    ack: AsyncAck, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """`@jobgate flag <why>` flags the card's request; `@jobgate history` answers in the thread."""
    await ack()
    services = services_of(context)
    channel, thread_ts = event.get("channel"), event.get("thread_ts")
    user = str(event.get("user") or "")
    words = MENTION.sub("", str(event.get("text") or "")).strip()
    verb, _, rest = words.partition(" ")
    request = (
        await services.repo.find_request_by_card(str(channel), str(thread_ts))
        if channel and thread_ts
        else None
    )
    if request is None:
        await reply_privately(
            services,
            client,
            channel=channel,
            user=user,
            text=(
                "Mention me inside a review card's thread: `@jobgate flag <why>` or `@jobgate history`."
            ),
        )
        return
    actor = Actor(user, event.get("user_team") or event.get("team"))
    if verb.lower() == "flag":
        refusal = await check_allowed(
            services,
            client,
            actor=actor,
            needs=Role.REVIEWER,
            attempted="flag",
            request_id=request.id,
            channel=channel,
            via=Via.EVENT,
        )
        if refusal is None:
            await services.repo.flag_request(
                request.id, actor=user, reason=rest.strip(), via=Via.EVENT, now=services.clock.now()
            )
        return
    if verb.lower() == "history":
        await post_history(services, request.id)
        return
    await reply_privately(
        services,
        client,
        channel=channel,
        user=user,
        text=("I know `@jobgate flag <why>` and `@jobgate history` in a card's thread."),
    )


async def post_history(services: Services, request_id: int) -> None:
    entries = timeline(
        await services.repo.list_audit(request_id), await services.repo.list_notes(request_id)
    )
    await services.repo.enqueue_message(
        lane=card_lane(request_id),
        kind="thread",
        payload={"request_id": request_id, **history_thread_message(entries)},
        now=services.clock.now(),
    )
