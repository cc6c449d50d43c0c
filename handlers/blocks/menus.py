"""The card's two overflow menus: one for the request, one for its employer (Slack allows
five options per overflow, so the SPEC's seven actions are split where they belong)."""

from __future__ import annotations

from typing import Any

from bot.models import CardFacts, EmployerStatus, State
from handlers import ids
from handlers.blocks.common import Block, option


def _overflow(action_id: str, options: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not options:
        return None
    return {"type": "overflow", "action_id": action_id, "options": options[:5]}


def request_menu(facts: CardFacts) -> dict[str, Any] | None:
    request_id = facts.request.id
    options = []
    for verb, label in ids.REQUEST_MENU:
        if verb == ids.VERB_FLAG and facts.flag is not None:
            continue
        # a decided request needs nobody on it; Flag, Report and History still apply
        if verb == ids.VERB_ASSIGN and facts.request.state not in (State.PENDING, State.ON_HOLD):
            continue
        options.append(option(label, f"{verb}:{request_id}"))
    return _overflow(ids.CARD_MENU, options)


def employer_menu(facts: CardFacts) -> dict[str, Any] | None:
    employer = facts.request.employer
    request_id = facts.request.id
    options = []
    for verb, label in ids.EMPLOYER_MENU:
        if verb == ids.VERB_TRUST and (
            employer.trusted or employer.status is not EmployerStatus.APPROVED
        ):
            continue
        if verb == ids.VERB_UNTRUST and not employer.trusted:
            continue
        options.append(option(label, f"{verb}:{request_id}"))
    return _overflow(ids.EMPLOYER_MENU_ACTION, options)


def with_menu(block: Block, menu: dict[str, Any] | None) -> Block:
    if menu is not None:
        block["accessory"] = menu
    return block
