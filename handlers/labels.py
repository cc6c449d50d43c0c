"""Labels on employers and contacts: the card's "Add label" option and modal, `/jobgate label`."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import ReviewRequest, Via
from bot.policy import Role
from bot.services import Services
from bot.vocabulary import VocabularyError
from handlers import ids
from handlers.blocks.admin import contact_name, label_modal, labels_listing
from handlers.blocks.modals import notice_modal
from handlers.command_access import allowed, is_admin, reply, rest_after
from handlers.commands import Invocation, subcommand
from handlers.employer_commands import pick_employer
from handlers.interaction import (
    Click,
    in_modal,
    open_form_for,
    optional_id,
    parse_submission,
    reply_privately,
    services_of,
    submitter_refused,
)
from handlers.menus import menu_verb
from handlers.mrkdwn import untrusted
from storage.contacts import Contact
from storage.labels import LabelChange, Owner

log = logging.getLogger(__name__)

USAGE = (
    "Labels on employers and their contacts:\n"
    "• `/jobgate label list`\n"
    "• `/jobgate label add|remove <label> employer <name or id>`\n"
    "• `/jobgate label add|remove <label> contact <email or contact id>`\n"
    "• admins: `/jobgate label new|retire|restore <label>`"
)
_MAILTO = re.compile(r"^<mailto:([^|>]+)(?:\|[^>]*)?>$")


def register(app: AsyncApp) -> None:
    app.view(ids.LABEL_MODAL)(label_modal_submitted)


@menu_verb(ids.VERB_LABEL, Role.REVIEWER)
async def labels_chosen(
    services: Services, client: AsyncWebClient, click: Click, request: ReviewRequest
) -> None:
    """Add label: the employer's and its contact's labels, in a modal."""
    choices = await services.repo.load_label_choices(request.id)
    if choices is None:  # the request went away since the menu looked it up
        return
    if not choices.labels:
        view = notice_modal(
            "Labels", "There are no labels yet. An admin can add one: `/jobgate label new <name>`."
        )
    else:
        metadata = click.form_metadata() | {
            "employer_id": choices.employer.id,
            "contact_id": choices.contact.id if choices.contact else None,
        }
        view = label_modal(choices, metadata)
    await open_form_for(
        services,
        client,
        click,
        view,
        what="the Labels form",
        again='Pick "Add label" from the card\'s menu again.',
    )


def _ids(values: list[str]) -> list[int]:
    return [i for i in map(optional_id, values) if i is not None]


def _offered(view: dict[str, Any]) -> list[int]:
    """The labels the modal showed: only those can change (Slack lists at most 100)."""
    for block in view.get("blocks") or []:
        if block.get("block_id") == ids.EMPLOYER_LABELS[0]:
            options = (block.get("element") or {}).get("options") or []
            return _ids([str(option.get("value")) for option in options])
    return []


async def label_modal_submitted(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """Both label sets at once; each change is audited and the open cards refreshed."""
    submission = parse_submission(body)
    metadata = json.loads(body["view"].get("private_metadata") or "{}") if submission else {}
    if submission is None or not isinstance(metadata.get("employer_id"), int):
        await ack()
        return
    services = services_of(context)
    refusal = await submitter_refused(services, client, submission, "label")
    if refusal is not None:
        await ack(
            response_action="errors",
            errors={
                ids.EMPLOYER_LABELS[0]: in_modal(refusal, "You are not allowed to change labels.")
            },
        )
        return
    contact_id = metadata.get("contact_id")
    try:
        on_employer, on_contact = await services.repo.set_request_labels(
            submission.request_id,
            metadata["employer_id"],
            _ids(submission.selected(*ids.EMPLOYER_LABELS)),
            contact_id if isinstance(contact_id, int) else None,
            _ids(submission.selected(*ids.CONTACT_LABELS)),
            offered=_offered(body["view"]),
            actor=submission.user_id,
            via=Via.MODAL,
            now=services.clock.now(),
        )
    except VocabularyError as exc:
        await ack(response_action="errors", errors={ids.EMPLOYER_LABELS[0]: str(exc)})
        return
    await ack()
    changes = [
        _change_text(who, change)
        for who, change in (("Employer", on_employer), ("Contact", on_contact))
        if change.added or change.removed
    ]
    text = (
        ":label: " + " ".join(changes) + " The cards show it."
        if changes
        else "No labels changed: the employer and contact keep the labels they had."
    )
    await reply_privately(
        services, client, channel=submission.channel, user=submission.user_id, text=text
    )


def _change_text(who: str, change: LabelChange) -> str:
    parts = []
    if change.added:
        parts.append("added " + ", ".join(f"“{untrusted(n, 60)}”" for n in change.added))
    if change.removed:
        parts.append("removed " + ", ".join(f"“{untrusted(n, 60)}”" for n in change.removed))
    return f"{who}: {' and '.join(parts)}."


@subcommand(
    "label", "label list|add|remove|new|retire|restore …", "labels on employers and contacts"
)
async def label_command(invocation: Invocation) -> None:
    verb = invocation.words[0].lower() if invocation.words else "list"
    rest = rest_after(invocation.text, 1)
    if verb == "list":
        if await allowed(invocation, Role.REVIEWER, "label list"):
            labels = await invocation.services.repo.list_labels(include_retired=True)
            listing = labels_listing(labels, admin=await is_admin(invocation))
            await invocation.respond(**listing, response_type="ephemeral")
    elif verb in ("new", "retire", "restore"):
        if await allowed(invocation, Role.ADMIN, f"label {verb}"):
            await _curate(invocation, verb, rest)
    elif verb in ("add", "remove"):
        if await allowed(invocation, Role.REVIEWER, f"label {verb}"):
            await _label_someone(invocation, verb == "add", rest)
    else:
        await reply(invocation, f"I don't know `label {untrusted(verb, 30)}`.\n{USAGE}")


async def _curate(invocation: Invocation, verb: str, name: str) -> None:
    repo, actor, now = invocation.services.repo, invocation.user_id, invocation.services.clock.now()
    try:
        if verb == "new":
            label = await repo.create_label(name, actor=actor, via=Via.COMMAND, now=now)
            text = f":label: New label “{untrusted(label.name, 60)}”: reviewers can use it now."
        elif verb == "retire":
            label = await repo.retire_label(name, actor=actor, via=Via.COMMAND, now=now)
            text = (
                f"Retired “{untrusted(label.name, 60)}”: it is off the cards and the choices. "
                f"Who carried it is kept; `/jobgate label restore {untrusted(label.name, 60)}` "
                "brings it back."
            )
        else:
            label = await repo.restore_label(name, actor=actor, via=Via.COMMAND, now=now)
            text = f":label: “{untrusted(label.name, 60)}” is in use again."
    except VocabularyError as exc:
        text = f"Nothing changed: {untrusted(exc, 300)}"
    await reply(invocation, text)


async def _label_someone(invocation: Invocation, add: bool, text: str) -> None:
    repo = invocation.services.repo
    known = {label.name.casefold(): label.name for label in await repo.list_labels(True)}
    words = text.split()
    splits = [i for i, w in enumerate(words) if w.lower() in ("employer", "contact") and i > 0]
    splits = [i for i in splits if i + 1 < len(words)]
    if not splits:
        await reply(invocation, USAGE)
        return
    # a label may contain the words themselves ("Sponsor employer"): the longest known wins
    matching = [i for i in splits if " ".join(words[:i]).casefold() in known]
    at = matching[-1] if matching else splits[0]
    name, owner, query = " ".join(words[:at]), words[at].lower(), " ".join(words[at + 1 :])
    target = await _pick(invocation, "employer" if owner == "employer" else "contact", query)
    if target is None:
        return
    kind, owner_id, shown = target
    services = invocation.services
    try:
        change = await repo.change_label(
            kind,
            owner_id,
            name,
            add=add,
            actor=invocation.user_id,
            via=Via.COMMAND,
            now=services.clock.now(),
        )
    except VocabularyError as exc:
        await reply(
            invocation,
            f"Nothing changed: {untrusted(exc, 300)} `/jobgate label list` shows the labels.",
        )
        return
    typed = " ".join(name.split())
    label = f"“{untrusted(known.get(typed.casefold(), typed), 60)}”"
    if change.added:
        answer = f":label: Added {label} to {shown}. Its open cards show it."
    elif change.removed:
        answer = f"Removed {label} from {shown}."
    else:
        answer = f"Nothing changed: {shown} {'already has' if add else 'does not have'} {label}."
    await reply(invocation, answer)


async def _pick(invocation: Invocation, owner: Owner, query: str) -> tuple[Owner, int, str] | None:
    if owner == "employer":
        employer = await pick_employer(invocation, query)
        if employer is None:
            return None
        return "employer", employer.id, f"*{untrusted(employer.name, 150)}*"
    contact = await _pick_contact(invocation, query)
    if contact is None:
        return None
    at = f" ({untrusted(contact.employer_name, 100)})" if contact.employer_name else ""
    return "contact", contact.id, f"the contact *{untrusted(contact_name(contact), 100)}*{at}"


async def _pick_contact(invocation: Invocation, query: str) -> Contact | None:
    mailto = _MAILTO.match(query.strip())
    text = mailto.group(1) if mailto else query.strip()
    found = await invocation.services.repo.find_contacts(text)
    if len(found) == 1:
        return found[0]
    if not found:
        await reply(
            invocation,
            f"No contact has the id or email “{untrusted(text, 100)}”. "
            "Use the contact's email address, as the card shows it, or the platform's contact id.",
        )
        return None
    choices = "\n".join(
        f"• {untrusted(contact_name(c), 100)}"
        + (f" ({untrusted(c.employer_name, 100)})" if c.employer_name else "")
        + f" — id `{untrusted(c.upstream_id, 100)}`"
        for c in found
    )
    await reply(invocation, f"Several contacts use that email; use the contact id:\n{choices}")
    return None
