"""Admin surfaces: the label modal, the decline reason editor, and the lists `/jobgate label`,
`/jobgate reasons` and `/jobgate settings` answer with."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from bot.models import DeclineReason
from bot.setting_values import HELP, format_setting
from bot.vocabulary import REASON_LABEL_MAX, REASON_MESSAGE_MAX
from bot.workspace import WorkspaceSettings
from handlers import ids
from handlers.blocks.common import (
    MAX_MESSAGE_BLOCKS,
    MAX_OPTIONS,
    MODAL_TITLE,
    SECTION_TEXT,
    Block,
    context,
    option,
    plain_text,
    section,
)
from handlers.mrkdwn import escape, untrusted
from storage.contacts import Contact
from storage.labels import Label, LabelChoices


def _modal(
    callback_id: str, title: str, submit: str, blocks: list[Block], metadata: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(title, MODAL_TITLE),
        "submit": plain_text(submit, MODAL_TITLE),
        "close": plain_text("Cancel", MODAL_TITLE),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": blocks,
    }


def contact_name(contact: Contact) -> str:
    return contact.name or contact.email or contact.upstream_id


def _label_select(
    block_and_action: tuple[str, str], label: str, labels: Sequence[Label], chosen: Collection[int]
) -> Block:
    options = [option(item.name, str(item.id)) for item in labels[:MAX_OPTIONS]]
    element: dict[str, Any] = {
        "type": "multi_static_select",
        "action_id": block_and_action[1],
        "placeholder": plain_text("No labels", 150),
        "options": options,
    }
    initial = [o for o, item in zip(options, labels, strict=False) if item.id in chosen]
    if initial:
        element["initial_options"] = initial
    return {
        "type": "input",
        "block_id": block_and_action[0],
        "label": plain_text(label, 2000),
        "element": element,
        "optional": True,
    }


def label_modal(choices: LabelChoices, metadata: dict[str, Any]) -> dict[str, Any]:
    """Employer labels and, when the request has one, its contact's labels."""
    employer = choices.employer
    blocks: list[Block] = [
        section(
            f"Labels for *{untrusted(employer.name, 200)}*"
            + (" and its contact" if choices.contact else "")
            + ". They show on the cards and can be used in filters and the outreach export."
        ),
        _label_select(
            ids.EMPLOYER_LABELS,
            f"Employer: {employer.name}",
            choices.labels,
            choices.employer_labels,
        ),
    ]
    if choices.contact is not None:
        blocks.append(
            _label_select(
                ids.CONTACT_LABELS,
                f"Contact: {contact_name(choices.contact)}",
                choices.labels,
                choices.contact_labels,
            )
        )
    return _modal(ids.LABEL_MODAL, "Labels", "Save", blocks, metadata)


def _input(
    block_and_action: tuple[str, str], label: str, initial: str, limit: int, *, multiline: bool
) -> Block:
    return {
        "type": "input",
        "block_id": block_and_action[0],
        "label": plain_text(label, 2000),
        "element": {
            "type": "plain_text_input",
            "action_id": block_and_action[1],
            "multiline": multiline,
            "max_length": limit,
            "initial_value": initial[:limit],
        },
    }


def reason_edit_modal(reason: DeclineReason, metadata: dict[str, Any]) -> dict[str, Any]:
    """The label reviewers choose from and the message employers receive; the code stays."""
    state = " It is *retired*: not offered in the Decline modal." if reason.retired else ""
    blocks: list[Block] = [
        section(f"Decline reason `{escape(reason.code)}`.{state}"),
        _input(ids.REASON_LABEL, "Label", reason.label, REASON_LABEL_MAX, multiline=False),
        _input(
            ids.REASON_MESSAGE,
            "Message to the employer",
            reason.message,
            REASON_MESSAGE_MAX,
            multiline=True,
        ),
        context("Decisions already taken keep the label they were taken with."),
    ]
    return _modal(ids.REASON_EDIT_MODAL, "Edit decline reason", "Save", blocks, metadata)


def _listing(title: str, lines: Sequence[str], footer: str) -> dict[str, Any]:
    """A private answer: a title, lines grouped into sections, a footer."""
    chunks: list[str] = []
    for line in lines:
        if chunks and len(chunks[-1]) + len(line) + 1 <= SECTION_TEXT:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line[:SECTION_TEXT])
    blocks = [section(f"*{title}*")]
    blocks += [section(chunk) for chunk in chunks[: MAX_MESSAGE_BLOCKS - 2]]
    blocks.append(context(footer))
    return {"text": title, "blocks": blocks}


def labels_listing(labels: Sequence[Label], *, admin: bool) -> dict[str, Any]:
    active = [label for label in labels if not label.retired]
    retired = [label for label in labels if label.retired]
    lines = [
        f"• {escape(label.name)} — {label.employers} employer(s), {label.contacts} contact(s)"
        for label in active
    ] or ["No labels yet."]
    if retired:
        lines.append("_Retired:_ " + ", ".join(escape(label.name) for label in retired))
    footer = (
        "Label someone: `/jobgate label add <label> employer <name or id>`"
        " or `… contact <email or contact id>`."
    )
    if admin:
        footer += " Admins: `/jobgate label new|retire|restore <label>`."
    return _listing(f"Labels ({len(active)} in use)", lines, footer)


def reasons_listing(reasons: Sequence[DeclineReason], *, admin: bool) -> dict[str, Any]:
    lines = [
        f"• `{escape(r.code)}` — {escape(r.label)}" + (" _(retired)_" if r.retired else "")
        for r in reasons
    ]
    footer = "Retired reasons are not offered in the Decline modal; past decisions keep theirs."
    if admin:
        footer += (
            " Admins: `/jobgate reasons edit <code>`, `/jobgate reasons add <code> <label…>`,"
            " `/jobgate reasons retire|restore <code>`."
        )
    return _listing("Decline reasons", lines, footer)


def settings_listing(settings: WorkspaceSettings, *, admin: bool) -> dict[str, Any]:
    defaults = WorkspaceSettings()
    lines = []
    for key in WorkspaceSettings.model_fields:
        value = getattr(settings, key)
        shown = escape(format_setting(key, value))
        changed = "" if value == getattr(defaults, key) else " _(changed)_"
        meaning = HELP.get(key, ("", ""))[0]
        lines.append(f"• `{key}` = `{shown}`{changed} — {meaning}")
    footer = "Changes apply at once, no restart needed."
    if admin:
        footer = "Admins: `/jobgate settings set <key> <value>`. " + footer
    return _listing("Workspace settings", lines, footer)
