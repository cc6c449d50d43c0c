"""Small Block Kit constructors shared by every surface, and Slack's size limits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.mrkdwn import cut, plain

Block = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
MAX_FIELDS = 10
HEADER_TEXT = 150
CONTEXT_TEXT = 2000
BUTTON_TEXT = 75
OPTION_TEXT = 75
OPTION_VALUE = 150
MAX_OPTIONS = 100  # a select menu offers at most 100 options
MODAL_TITLE = 24
FALLBACK_TEXT = 3000  # notifications need far less than Slack's 40,000


def sections_of(head: str, lines: Sequence[str]) -> list[Block]:
    """`head` and `lines`, one per line, in as many sections as they need: a list is never
    cut short by a section's 3,000 characters (its closing "…and N more" included). Each
    line must fit a section on its own."""
    blocks: list[Block] = []
    text = head
    for line in lines:
        if len(text) + 1 + len(line) > SECTION_TEXT:
            blocks.append(section(text))
            text = line
        else:
            text = f"{text}\n{line}" if text else line
    blocks.append(section(text))
    return blocks


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": cut(text, SECTION_TEXT) or " "}


def plain_text(text: str, limit: int = HEADER_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": plain(text, limit), "emoji": True}


def header(text: str) -> Block:
    return {"type": "header", "text": plain_text(text, HEADER_TEXT)}


def section(text: str, *, fields: list[str] | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if fields:
        block["fields"] = [
            {"type": "mrkdwn", "text": cut(f, FIELD_TEXT)} for f in fields[:MAX_FIELDS]
        ]
    if block_id:
        block["block_id"] = block_id
    return block


def fields_section(fields: list[str]) -> Block:
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": cut(f, FIELD_TEXT)} for f in fields[:MAX_FIELDS]],
    }


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": cut(t, CONTEXT_TEXT)} for t in texts[:10] if t],
    }


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str,
    action_id: str,
    value: str,
    *,
    style: str | None = None,
    confirm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain_text(text, BUTTON_TEXT),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain_text(text, OPTION_TEXT), "value": value[:OPTION_VALUE]}


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block
