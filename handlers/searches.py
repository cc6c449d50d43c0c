"""`/jobgate queue [saved search | filter]` and `/jobgate search save|list|delete|digest`:
the queue as a private list linked to the cards, and named filters the team shares."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.filters import QUOTES, SYNTAX, Filter, FilterError, format_filter, parse_filter
from bot.policy import Role
from bot.searches import name_problem, split_name
from handlers import ids
from handlers.blocks.queue import QUEUE_LINES, code, queue_answer, saved_search_list
from handlers.command_access import allowed, reply
from handlers.commands import Invocation, subcommand
from handlers.interaction import (
    clicker_allowed,
    reply_privately,
    services_of,
)
from handlers.mrkdwn import escape, untrusted
from storage.searches import TooManySearches

log = logging.getLogger(__name__)

SEARCH_USAGE = (
    "*Saved searches* — named filters for `/jobgate queue`, `/jobgate bulk` and the digest:\n"
    "• `/jobgate search save <name> <filter>` — save (or replace) a search; quote a name "
    'with spaces: `search save "Austin jobs" kind:job location:austin`\n'
    "• `/jobgate search list` — every saved search and how many requests it matches now\n"
    "• `/jobgate search delete <name>`\n"
    "• `/jobgate search digest <name> on|off` — admins: list it in the daily digest\n"
    f"{SYNTAX}"
)


@dataclass(frozen=True)
class Resolved:
    """What a command's `saved search | filter` argument means."""

    filter: Filter
    text: str
    search_name: str | None = None


def filter_error_text(exc: FilterError) -> str:
    return f":warning: I can't read that filter. {escape(str(exc))}\n{SYNTAX}"


async def resolve(invocation: Invocation, text: str) -> Resolved | None:
    """A saved search's name (case ignored) or a filter; None after explaining a bad one."""
    text = text.strip()
    name = " ".join(text.strip(QUOTES).split())
    if name and name_problem(name) is None:
        saved = await invocation.services.repo.get_saved_search(name)
        if saved is not None:
            try:
                found = parse_filter(saved.filter_text)
            except FilterError as exc:
                shown = untrusted(saved.name, 60)
                await reply(
                    invocation, f"The saved search *{shown}* no longer reads: {escape(str(exc))}"
                )
                return None
            return Resolved(found, format_filter(found), saved.name)
    try:
        parsed = parse_filter(text)
    except FilterError as exc:
        await reply(invocation, filter_error_text(exc))
        return None
    return Resolved(parsed, format_filter(parsed))


def register(app: AsyncApp) -> None:
    app.action(ids.OPEN_QUEUE)(open_queue_clicked)


async def open_queue_clicked(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """The digest's "Open the queue": the pending queue, oldest first, shown only to the
    person who clicked (as `/jobgate queue` would)."""
    await ack()
    services = services_of(context)
    channel = (body.get("channel") or {}).get("id")
    actor = await clicker_allowed(services, client, body, needs=Role.REVIEWER, attempted="queue")
    if actor is None:
        return
    pending, now = Filter(), services.clock.now()
    count = await services.repo.count_matching(pending, now)
    items = await services.repo.list_matching(pending, now, limit=QUEUE_LINES) if count else []
    answer = queue_answer(format_filter(pending), count, items, now)
    # the digest shown by /jobgate digest can sit in a channel or DM jobgate is not in
    await reply_privately(
        services,
        client,
        channel=channel,
        user=actor.user_id,
        text=answer["text"],
        blocks=answer.get("blocks"),
        response_url=body.get("response_url"),
    )


@subcommand(
    "queue",
    "queue [saved search | filter]",
    "matching requests, oldest first, linked to their cards (default: every pending one)",
)
async def queue(invocation: Invocation) -> None:
    """The count and up to 20 matching requests, privately."""
    if not await allowed(invocation, Role.REVIEWER, "queue"):
        return
    resolved = await resolve(invocation, invocation.text)
    if resolved is None:
        return
    repo, now = invocation.services.repo, invocation.services.clock.now()
    count = await repo.count_matching(resolved.filter, now)
    items = await repo.list_matching(resolved.filter, now, limit=QUEUE_LINES) if count else []
    answer = queue_answer(resolved.text, count, items, now, search_name=resolved.search_name)
    await invocation.respond(response_type="ephemeral", **answer)


@subcommand("search", "search save|list|delete|digest …", "saved searches (filters with a name)")
async def search(invocation: Invocation) -> None:
    verb, _, rest = invocation.text.strip().partition(" ")
    verb = verb.lower()
    if verb not in ("save", "list", "delete", "digest"):
        await reply(invocation, SEARCH_USAGE)
        return
    needs = Role.ADMIN if verb == "digest" else Role.REVIEWER
    if not await allowed(invocation, needs, f"search {verb}"):
        return
    if verb == "save":
        await _save(invocation, rest)
    elif verb == "list":
        await _list(invocation)
    elif verb == "delete":
        await _delete(invocation, " ".join(rest.strip(QUOTES + " ").split()))
    else:
        await _digest(invocation, rest)


async def _save(invocation: Invocation, rest: str) -> None:
    name, filter_text = split_name(rest)
    problem = name_problem(name)
    if problem is not None:
        await reply(invocation, f"{problem}\n{SEARCH_USAGE}")
        return
    if not filter_text:
        await reply(
            invocation,
            "Give the filter after the name, e.g. "
            "`/jobgate search save austin-jobs kind:job location:austin`.",
        )
        return
    try:
        parsed = parse_filter(filter_text)
    except FilterError as exc:
        await reply(invocation, filter_error_text(exc))
        return
    services, now = invocation.services, invocation.services.clock.now()
    try:
        saved, before = await services.repo.save_search(
            name, format_filter(parsed), actor=invocation.user_id, now=now
        )
    except TooManySearches as exc:
        await reply(invocation, f"Nothing saved: {exc}. Delete one first.")
        return
    count = await services.repo.count_matching(parsed, now)
    shown = untrusted(saved.name, 60)
    text = f":floppy_disk: Saved *{shown}*: {code(saved.filter_text)} ({count:,} match now)."
    if before is not None and before != saved.filter_text:
        text += f" It replaced {code(before)}."
    text += f" Use it with `/jobgate queue {shown}`."
    await reply(invocation, text)


async def _list(invocation: Invocation) -> None:
    repo, now = invocation.services.repo, invocation.services.clock.now()
    searches = await repo.list_saved_searches()
    counts = [await repo.count_matching(parse_filter(s.filter_text), now) for s in searches]
    await invocation.respond(response_type="ephemeral", **saved_search_list(searches, counts))


async def _delete(invocation: Invocation, name: str) -> None:
    if not name:
        await reply(invocation, "Name the saved search to delete: `/jobgate search delete <name>`.")
        return
    services = invocation.services
    deleted = await services.repo.delete_search(
        name, actor=invocation.user_id, now=services.clock.now()
    )
    shown = untrusted(name, 60)
    await reply(
        invocation,
        f"Deleted the saved search *{shown}*."
        if deleted
        else f"No saved search is called *{shown}*.",
    )


async def _digest(invocation: Invocation, rest: str) -> None:
    head, _, switch = rest.strip().rpartition(" ")
    name = " ".join(head.strip(QUOTES + " ").split())
    if switch.lower() not in ("on", "off") or not name:
        await reply(invocation, "Usage: `/jobgate search digest <name> on|off`.")
        return
    services = invocation.services
    on = switch.lower() == "on"
    found = await services.repo.set_search_in_digest(
        name, on, actor=invocation.user_id, now=services.clock.now()
    )
    shown = untrusted(name, 60)
    if found is None:
        await reply(invocation, f"No saved search is called *{shown}*.")
        return
    where = "is now listed in" if on else "is no longer listed in"
    await reply(invocation, f"*{untrusted(found.name, 60)}* {where} the daily digest.")
