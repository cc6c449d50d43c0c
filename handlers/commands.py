"""The `/jobgate` slash command: a router of subcommands; answers are private unless shared."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services
from handlers.interaction import open_or_explain, services_of

log = logging.getLogger(__name__)

COMMAND = "/jobgate"


@dataclass(frozen=True)
class Invocation:
    """One `/jobgate …` call: who, where, and the words after the command."""

    user_id: str
    team_id: str | None
    channel_id: str | None
    trigger_id: str | None
    words: list[str]
    text: str
    services: Services
    client: AsyncWebClient
    respond: AsyncRespond

    async def open_form(
        self, view: dict[str, Any], *, what: str, again: str, nothing_changed: bool = True
    ) -> bool:
        """views.open on this command's trigger. When Slack does not open it (the trigger
        lasts 3 s; an outage), the person is told privately why and what to do (`again`)
        instead of seeing nothing happen. True when it opened."""

        async def tell(text: str) -> None:
            await self.respond(text=text, response_type="ephemeral")

        return await open_or_explain(
            self.services,
            self.client,
            trigger_id=self.trigger_id,
            view=view,
            what=what,
            again=again,
            tell=tell,
            nothing_changed=nothing_changed,
        )


Subcommand = Callable[[Invocation], Awaitable[None]]


@dataclass(frozen=True)
class Entry:
    run: Subcommand
    usage: str
    summary: str


SUBCOMMANDS: dict[str, Entry] = {}


def subcommand(name: str, usage: str, summary: str) -> Callable[[Subcommand], Subcommand]:
    """Add a subcommand to `/jobgate` (and to its help)."""

    def add(run: Subcommand) -> Subcommand:
        SUBCOMMANDS[name] = Entry(run, usage, summary)
        return run

    return add


def help_text(intro: str | None = None) -> str:
    lines = [intro] if intro else []
    lines.append("*jobgate* — review employers and job postings. Usage:")
    for entry in SUBCOMMANDS.values():
        lines.append(f"• `{COMMAND} {entry.usage}` — {entry.summary}")
    return "\n".join(lines)


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(jobgate_command)


async def show_help(invocation: Invocation) -> None:
    await invocation.respond(text=help_text(), response_type="ephemeral")


SUBCOMMANDS["help"] = Entry(show_help, "help", "this help")


async def jobgate_command(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    client: AsyncWebClient,
    respond: AsyncRespond,
) -> None:
    """Ack at once; the subcommand answers through the response URL."""
    await ack()
    # Slack sends &, < and > in the text as entities; every subcommand reads what was typed
    text = html.unescape(str(body.get("text") or "")).strip()
    words = text.split()
    name = words[0].lower() if words else "help"
    entry = SUBCOMMANDS.get(name)
    invocation = Invocation(
        user_id=str(body.get("user_id") or ""),
        team_id=body.get("team_id"),
        channel_id=body.get("channel_id"),
        trigger_id=body.get("trigger_id"),
        words=words[1:],
        text=text[len(words[0]) :].strip() if words else "",
        services=services_of(context),
        client=client,
        respond=respond,
    )
    if entry is None:
        shown = name.replace("`", "'")[:40]
        await respond(text=help_text(f"I don't know `{shown}`."), response_type="ephemeral")
        return
    services_of(context).tasks.spawn(_run(entry, invocation), name=f"command-{name}")


async def _run(entry: Entry, invocation: Invocation) -> None:
    try:
        await entry.run(invocation)
    except Exception:
        log.exception("/jobgate %s failed", invocation.text[:60])
        await invocation.respond(
            text="Something went wrong on jobgate's side; nothing was changed. Try again, "
            "or ask an admin to look at the logs.",
            response_type="ephemeral",
        )
