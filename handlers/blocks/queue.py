"""The queue answer (`/jobgate queue`) and the saved-search list: lines linked to their cards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.filters import Filter, format_filter
from bot.models import Kind, State
from bot.searches import QueueItem, SavedSearch, waited
from bot.words import count_of
from handlers.blocks.common import FALLBACK_TEXT, Block, context, section
from handlers.mrkdwn import cut, untrusted

QUEUE_LINES = 20
STATE_NAMES = {State.ON_HOLD: "on hold"}


def code(text: str, limit: int = 400) -> str:
    """Untrusted text as inline code (a backtick inside would end it early)."""
    return "`" + untrusted(text, limit).replace("`", "'") + "`"


def queue_line(item: QueueItem, now: datetime) -> str:
    """`<permalink|Title> — Employer · job · 3d · risk high · pending`."""
    title = untrusted(item.title, 150)
    shown = f"<{item.permalink}|{title}>" if item.permalink else f"*{title}*"
    facts = [
        "employer" if item.kind is Kind.EMPLOYER else "job",
        f"waiting {waited(item.received_at, now)}",
        f"risk {item.risk_level or 'none'}",
        STATE_NAMES.get(item.state, item.state.value),
    ]
    if item.flagged:
        facts.append(":triangular_flag_on_post: flagged")
    if item.duplicate:
        facts.append("possible duplicate")
    employer = "" if item.kind is Kind.EMPLOYER else f" — {untrusted(item.employer_name, 100)}"
    return f"{shown}{employer} · " + " · ".join(facts)


def queue_answer(
    filter_text: str,
    count: int,
    items: Sequence[QueueItem],
    now: datetime,
    *,
    search_name: str | None = None,
) -> dict[str, Any]:
    """`text` and `blocks` for a private queue answer: the count, then up to 20 linked lines."""
    source = (
        f"saved search *{untrusted(search_name, 60)}* ({code(filter_text)})"
        if search_name
        else code(filter_text)
    )
    if count == 0 and filter_text == format_filter(Filter()) and not search_name:
        text = "Nothing is pending: the queue is empty."
        return {"text": text, "blocks": [section(text)]}
    if count == 0:
        text = (
            f"Nothing matches {source}. `/jobgate queue` lists every pending request;"
            " `/jobgate help` lists the filter terms."
        )
        return {"text": cut(text, FALLBACK_TEXT), "blocks": [section(text)]}
    verb = "matches" if count == 1 else "match"
    text = f"*{count_of(count, 'request')}* {verb} {source}, oldest first:"
    blocks: list[Block] = [section(text)]
    blocks += [section(queue_line(item, now)) for item in items[:QUEUE_LINES]]
    more = count - min(len(items), QUEUE_LINES)
    if more > 0:
        blocks.append(
            context(f"…and {more:,} more. Narrow it with a filter term such as `age:>3d`.")
        )
    return {"text": cut(text, FALLBACK_TEXT), "blocks": blocks}


def saved_search_list(searches: Sequence[SavedSearch], counts: Sequence[int]) -> dict[str, Any]:
    """The saved searches with their filters and how many requests each matches now."""
    if not searches:
        text = "No saved searches yet. Save one with `/jobgate search save <name> <filter>`."
        return {"text": text, "blocks": [section(text)]}
    text = f"*{len(searches)} saved search{'' if len(searches) == 1 else 'es'}:*"
    lines = [
        f"• *{untrusted(s.name, 60)}* — {code(s.filter_text)} — {count:,} now"
        + (" · in the digest" if s.in_digest else "")
        for s, count in zip(searches, counts, strict=True)
    ]
    blocks: list[Block] = [section(text)]
    for start in range(0, len(lines), 5):  # 5 lines stay inside a section's 3,000 characters
        blocks.append(section("\n".join(lines[start : start + 5])))
    blocks.append(
        context("Use one with `/jobgate queue <name>` or `/jobgate bulk approve <name>`.")
    )
    return {"text": text, "blocks": blocks[:50]}
