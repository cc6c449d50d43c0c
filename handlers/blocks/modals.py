"""Decision modals: Decline (reasons, message, note), Hold (question, follow-up), Approve both."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from bot.models import DeclineReason, EmployerStatus, Kind, ReviewRequest
from bot.policy import compose_employer_message
from bot.workspace import HOLD_TEMPLATES, MAX_FOLLOW_UP_DAYS
from handlers import ids
from handlers.blocks.common import (
    MAX_OPTIONS,
    MODAL_TITLE,
    Block,
    context,
    option,
    plain_text,
    section,
)
from handlers.mrkdwn import untrusted

MESSAGE_LIMIT = 3000
NOTE_LIMIT = 3000


def _subject(request: ReviewRequest) -> str:
    noun = "job" if request.kind is Kind.JOB else "employer"
    return (
        f"{noun} *{untrusted(request.title, 200)}* from *{untrusted(request.employer.name, 200)}*"
        if request.kind is Kind.JOB
        else f"{noun} *{untrusted(request.title, 200)}*"
    )


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


def _text_input(
    block_and_action: tuple[str, str],
    label: str,
    *,
    initial: str | None = None,
    optional: bool = False,
    hint: str | None = None,
    limit: int = MESSAGE_LIMIT,
    block_id: str | None = None,
) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": block_and_action[1],
        "multiline": True,
        "max_length": limit,
    }
    if initial:
        element["initial_value"] = initial[:limit]
    block: Block = {
        "type": "input",
        "block_id": block_id or block_and_action[0],
        "label": plain_text(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain_text(hint, 2000)
    return block


def message_block_id(codes: Sequence[str]) -> str:
    """A new block id per reason set, so Slack shows the freshly prefilled message."""
    digest = hashlib.sha1(",".join(sorted(codes)).encode()).hexdigest()[:10]
    return f"{ids.EMPLOYER_MESSAGE[0]}.{digest}"


def decline_modal(
    request: ReviewRequest,
    reasons: Sequence[DeclineReason],
    metadata: dict[str, Any],
    *,
    selected: Sequence[str] = (),
) -> dict[str, Any]:
    chosen = [r for r in reasons if r.code in selected]
    reason_select: dict[str, Any] = {
        "type": "multi_static_select",
        "action_id": ids.REASONS[1],
        "placeholder": plain_text("Choose one or more reasons", 150),
        "options": [option(r.label, r.code) for r in reasons[:MAX_OPTIONS]],
    }
    if chosen:
        reason_select["initial_options"] = [option(r.label, r.code) for r in chosen]
    blocks: list[Block] = [
        section(f"Decline the {_subject(request)}."),
        {
            "type": "input",
            "block_id": ids.REASONS[0],
            "label": plain_text("Reasons", 2000),
            "element": reason_select,
            "dispatch_action": True,
        },
        _text_input(
            ids.EMPLOYER_MESSAGE,
            "Message to the employer",
            initial=compose_employer_message(chosen),
            optional=True,
            hint="Sent to the employer with the decision; if empty, written from the reasons.",
            block_id=message_block_id([r.code for r in chosen]),
        ),
        _text_input(
            ids.INTERNAL_NOTE,
            "Internal note",
            optional=True,
            hint="Stays with the team: shown in the thread and the history, never sent.",
            limit=NOTE_LIMIT,
        ),
    ]
    return _modal(ids.DECLINE_MODAL, "Decline", "Decline", blocks, metadata)


def hold_modal(
    request: ReviewRequest,
    metadata: dict[str, Any],
    *,
    follow_up_days: int,
    template_index: int | None = None,
) -> dict[str, Any]:
    template_select: dict[str, Any] = {
        "type": "static_select",
        "action_id": ids.HOLD_TEMPLATE[1],
        "placeholder": plain_text("Start from a template", 150),
        "options": [option(text, str(i)) for i, text in enumerate(HOLD_TEMPLATES)],
    }
    initial_question = None
    if template_index is not None and 0 <= template_index < len(HOLD_TEMPLATES):
        template_select["initial_option"] = option(
            HOLD_TEMPLATES[template_index], str(template_index)
        )
        initial_question = HOLD_TEMPLATES[template_index]
    blocks: list[Block] = [
        section(f"Put the {_subject(request)} on hold and ask the employer a question."),
        {
            "type": "actions",
            "block_id": ids.HOLD_TEMPLATE[0],
            "elements": [template_select],
        },
        _text_input(
            ids.HOLD_QUESTION,
            "Question for the employer",
            initial=initial_question,
            block_id=f"{ids.HOLD_QUESTION[0]}.{'x' if template_index is None else template_index}",
        ),
        {
            "type": "input",
            "block_id": ids.FOLLOW_UP_DAYS[0],
            "label": plain_text("Follow up after (business days)", 2000),
            "element": {
                "type": "number_input",
                "action_id": ids.FOLLOW_UP_DAYS[1],
                "is_decimal_allowed": False,
                "min_value": "1",
                "max_value": str(MAX_FOLLOW_UP_DAYS),
                "initial_value": str(follow_up_days),
            },
        },
        _text_input(ids.INTERNAL_NOTE, "Internal note", optional=True, limit=NOTE_LIMIT),
    ]
    return _modal(ids.HOLD_MODAL, "Hold", "Put on hold", blocks, metadata)


def approve_both_modal(
    request: ReviewRequest, roles: Sequence[str], metadata: dict[str, Any]
) -> dict[str, Any]:
    employer = untrusted(request.employer.name, 200)
    role_text = ", ".join(f"`{r}`" for r in roles) or "no roles"
    blocks: list[Block] = [
        section(
            f"*{employer}* is not approved as an employer yet"
            f" ({'on hold' if request.employer.status is EmployerStatus.ON_HOLD else 'pending review'}).\n"
            f"Approving the job *{untrusted(request.title, 200)}* will approve *{employer}* too, "
            f"granting {role_text}."
        ),
        context("Both decisions are recorded separately and sent to the platform."),
    ]
    return _modal(ids.APPROVE_BOTH_MODAL, "Approve both?", "Approve both", blocks, metadata)


def notice_modal(title: str, text: str) -> dict[str, Any]:
    """A modal that only tells something (replaces a form whose action could not be taken)."""
    return {
        "type": "modal",
        "title": plain_text(title, MODAL_TITLE),
        "close": plain_text("Close", MODAL_TITLE),
        "blocks": [section(text)],
    }


def request_gone_modal() -> dict[str, Any]:
    """What a request's form turns into when the request is not there (a forged or stale id)."""
    return notice_modal("Nothing changed", "That request no longer exists here.")


def flag_modal(request: ReviewRequest, metadata: dict[str, Any]) -> dict[str, Any]:
    blocks: list[Block] = [
        section(
            f"Flag the {_subject(request)} as suspicious. It will not be approved "
            "automatically, and the digest lists it."
        ),
        _text_input(
            ids.FLAG_REASON, "Why?", hint="Shown on the card and in the history.", limit=1000
        ),
    ]
    return _modal(ids.FLAG_MODAL, "Flag as suspicious", "Flag", blocks, metadata)
