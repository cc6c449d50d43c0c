"""`/jobgate reasons` (the decline reason catalogue) and `/jobgate settings` (workspace
settings): everyone on staff reads them, admins change them."""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import ValidationError
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import Via
from bot.policy import Role
from bot.setting_values import SettingInputError, describe_invalid, format_setting, parse_setting
from bot.vocabulary import VocabularyError, check_reason_label, check_reason_message
from handlers import ids
from handlers.blocks.admin import reason_edit_modal, reasons_listing, settings_listing
from handlers.command_access import allowed, is_admin, reply, rest_after
from handlers.commands import Invocation, subcommand
from handlers.interaction import (
    actor_of,
    check_allowed,
    in_modal,
    reply_privately,
    services_of,
)
from handlers.mrkdwn import escape, untrusted

log = logging.getLogger(__name__)

REASONS_USAGE = (
    "Decline reasons:\n"
    "• `/jobgate reasons` lists them\n"
    "• admins: `/jobgate reasons edit <code>` (label and message to employers)\n"
    "• admins: `/jobgate reasons add <code> <label…>`, `/jobgate reasons retire|restore <code>`"
)
SETTINGS_USAGE = (
    "Workspace settings: `/jobgate settings` lists them; admins: "
    "`/jobgate settings set <key> <value>`, e.g. `/jobgate settings set undo_window_minutes 5`."
)


def register(app: AsyncApp) -> None:
    app.view(ids.REASON_EDIT_MODAL)(reason_edit_submitted)


@subcommand("reasons", "reasons [edit|add|retire|restore …]", "decline reasons; admins edit them")
async def reasons_command(invocation: Invocation) -> None:
    verb = invocation.words[0].lower() if invocation.words else "list"
    code = invocation.words[1].lower() if len(invocation.words) > 1 else ""
    if verb == "list":
        if await allowed(invocation, Role.REVIEWER, "reasons list"):
            catalogue = await invocation.services.repo.list_decline_reasons(include_retired=True)
            listing = reasons_listing(catalogue, admin=await is_admin(invocation))
            await invocation.respond(**listing, response_type="ephemeral")
    elif verb not in ("edit", "add", "retire", "restore"):
        await reply(invocation, f"I don't know `reasons {untrusted(verb, 30)}`.\n{REASONS_USAGE}")
    elif await allowed(invocation, Role.ADMIN, f"reasons {verb}"):
        if not code:
            await reply(invocation, f"Name the reason's code.\n{REASONS_USAGE}")
        elif verb == "edit":
            await _open_editor(invocation, code, just_added=False)
        elif verb == "add":
            await _add_reason(invocation, code, rest_after(invocation.text, 2))
        else:
            await _retire_reason(invocation, code, verb == "retire")


async def _open_editor(invocation: Invocation, code: str, *, just_added: bool) -> None:
    reason = await invocation.services.repo.get_decline_reason(code)
    if reason is None:
        await reply(
            invocation, f"There is no reason `{escape(code[:40])}`; `/jobgate reasons` lists them."
        )
        return
    metadata = {"code": reason.code, "channel": invocation.channel_id}
    edit = f"`/jobgate reasons edit {reason.code}`"
    await invocation.open_form(
        reason_edit_modal(reason, metadata),
        what="the reason editor",
        again=f"The reason is added all the same; {edit} opens its editor."
        if just_added
        else f"Run {edit} again.",
        nothing_changed=not just_added,
    )


async def _add_reason(invocation: Invocation, code: str, label: str) -> None:
    services = invocation.services
    try:
        # the message starts as the label; the editor opens right away to write a real one
        reason = await services.repo.add_decline_reason(
            code,
            label=label,
            message=label,
            actor=invocation.user_id,
            via=Via.COMMAND,
            now=services.clock.now(),
        )
    except VocabularyError as exc:
        await reply(invocation, f"Nothing changed: {untrusted(exc, 300)}")
        return
    await reply(
        invocation,
        f"Added the decline reason `{reason.code}` — {escape(reason.label)}. Reviewers can "
        "choose it now. Its message to employers is its label for now: write a better one "
        f"in the form, or later with `/jobgate reasons edit {reason.code}`.",
    )
    await _open_editor(invocation, reason.code, just_added=True)


async def _retire_reason(invocation: Invocation, code: str, retired: bool) -> None:
    services = invocation.services
    try:
        reason = await services.repo.set_decline_reason_retired(
            code,
            retired=retired,
            actor=invocation.user_id,
            via=Via.COMMAND,
            now=services.clock.now(),
        )
    except VocabularyError as exc:
        await reply(invocation, f"Nothing changed: {untrusted(exc, 300)}")
        return
    if retired:
        text = (
            f"Retired `{reason.code}` — {escape(reason.label)}: the Decline modal no longer "
            "offers it; decisions taken with it keep it. "
            f"`/jobgate reasons restore {reason.code}` brings it back."
        )
    else:
        text = f"`{reason.code}` — {escape(reason.label)} is offered in the Decline modal again."
    await reply(invocation, text)


def _typed(values: dict[str, Any], block_and_action: tuple[str, str]) -> str:
    state = (values.get(block_and_action[0]) or {}).get(block_and_action[1]) or {}
    return str(state.get("value") or "")


def _field_errors(label: str, message: str) -> dict[str, str]:
    errors = {}
    for block, check, text in (
        (ids.REASON_LABEL[0], check_reason_label, label),
        (ids.REASON_MESSAGE[0], check_reason_message, message),
    ):
        try:
            check(text)
        except VocabularyError as exc:
            errors[block] = str(exc)
    return errors


async def reason_edit_submitted(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """The reason's new label and message: validated, stored, audited with before and after."""
    services = services_of(context)
    view = body.get("view") or {}
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        metadata = None
    if not isinstance(metadata, dict):  # not a modal jobgate opened
        await ack()
        return
    values = (view.get("state") or {}).get("values") or {}
    actor = actor_of(body)
    refusal = await check_allowed(
        services,
        client,
        actor=actor,
        needs=Role.ADMIN,
        attempted="reasons edit",
        request_id=None,
        channel=None,
        answer_privately=False,
    )
    if refusal is not None:
        await ack(
            response_action="errors",
            errors={
                ids.REASON_LABEL[0]: in_modal(
                    refusal, "Only admins can edit decline reasons; nothing changed."
                )
            },
        )
        return
    label, message = _typed(values, ids.REASON_LABEL), _typed(values, ids.REASON_MESSAGE)
    errors = _field_errors(label, message)
    reason = None
    if not errors:
        try:
            reason = await services.repo.edit_decline_reason(
                str(metadata.get("code")),
                label=label,
                message=message,
                actor=actor.user_id,
                via=Via.MODAL,
                now=services.clock.now(),
            )
        except VocabularyError as exc:
            errors[ids.REASON_LABEL[0]] = str(exc)
    if reason is None:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    await reply_privately(
        services,
        client,
        channel=metadata.get("channel"),
        user=actor.user_id,
        text=f"Saved `{reason.code}` — {escape(reason.label)}. The Decline modal offers it from "
        "now on; decisions already taken keep the label they were taken with.",
    )


@subcommand("settings", "settings [set <key> <value>]", "workspace settings; admins change them")
async def settings_command(invocation: Invocation) -> None:
    verb = invocation.words[0].lower() if invocation.words else "show"
    if verb in ("show", "list"):
        if await allowed(invocation, Role.REVIEWER, "settings show"):
            current = await invocation.services.repo.get_workspace_settings()
            listing = settings_listing(current, admin=await is_admin(invocation))
            await invocation.respond(**listing, response_type="ephemeral")
    elif verb != "set":
        await reply(invocation, f"I don't know `settings {untrusted(verb, 30)}`.\n{SETTINGS_USAGE}")
    elif await allowed(invocation, Role.ADMIN, "settings set"):
        key = invocation.words[1] if len(invocation.words) > 1 else ""
        await _set(invocation, key, rest_after(invocation.text, 2))


async def _set(invocation: Invocation, key: str, text: str) -> None:
    services = invocation.services
    if not key:
        await reply(invocation, SETTINGS_USAGE)
        return
    try:
        value = parse_setting(key, text)
    except SettingInputError as exc:
        await reply(invocation, f"Nothing changed: {escape(str(exc))}")
        return
    before = await services.repo.get_workspace_settings()
    try:
        after = await services.repo.save_workspace_setting(
            key, value, actor=invocation.user_id, via=Via.COMMAND, now=services.clock.now()
        )
    except ValidationError as exc:
        await reply(invocation, escape(describe_invalid(key, exc)))
        return
    services.staff.settings_changed()
    old = escape(format_setting(key, getattr(before, key)))
    new = escape(format_setting(key, getattr(after, key)))
    await reply(invocation, f":gear: `{key}` is now `{new}` (was `{old}`). It applies from now on.")
