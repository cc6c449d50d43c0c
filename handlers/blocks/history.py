"""A request's history: as a modal (card overflow) and as a thread reply (@jobgate history)."""

from __future__ import annotations

from typing import Any

from bot.history import HistoryEntry
from bot.models import ReviewRequest
from bot.words import count_of
from handlers.blocks.common import MODAL_TITLE, Block, context, plain_text, section, sections_of
from handlers.mrkdwn import mention, untrusted, when

MAX_VIEW_SECTIONS = 90
MAX_THREAD_ENTRIES = 25


def _line(entry: HistoryEntry) -> str:
    icon = ":speech_balloon:" if entry.kind == "note" else "•"
    detail = (
        f"\n>{untrusted(entry.detail, 600).replace(chr(10), chr(10) + '>')}" if entry.detail else ""
    )
    return f"{icon} {when(entry.at)} — {mention(entry.who)} {untrusted(entry.what, 200)}{detail}"


def _sections(lines: list[str], limit: int) -> list[Block]:
    """The last `limit` sections of `lines` (none for no lines)."""
    return sections_of("", lines)[-limit:] if lines else []


def history_modal(request: ReviewRequest, entries: list[HistoryEntry]) -> dict[str, Any]:
    blocks: list[Block] = [
        section(
            f"*{untrusted(request.title, 200)}* · {request.kind.value} `{untrusted(request.upstream_id, 100)}`"
            f" · now *{request.state.value.replace('_', ' ')}*"
        ),
    ]
    body = _sections([_line(e) for e in entries], MAX_VIEW_SECTIONS)
    if len(body) == MAX_VIEW_SECTIONS:
        blocks.append(context("Older entries are not shown; the full record is in the API."))
    blocks.extend(body or [section("Nothing has happened yet.")])
    return {
        "type": "modal",
        "title": plain_text("History", MODAL_TITLE),
        "close": plain_text("Close", MODAL_TITLE),
        "blocks": blocks,
    }


def history_thread_message(entries: list[HistoryEntry]) -> dict[str, Any]:
    shown = entries[-MAX_THREAD_ENTRIES:]
    lines = [_line(e) for e in shown]
    if len(entries) > len(shown):
        lines.insert(
            0,
            f"_…{count_of(len(entries) - len(shown), 'earlier entry', 'earlier entries')}"
            " (open History from the card's menu)_",
        )
    blocks = _sections(lines, 40) or [section("Nothing has happened yet.")]
    text = f"History: {count_of(len(entries), 'entry', 'entries')}"
    return {"text": text, "blocks": blocks}
