"""Untrusted text into Slack text, safely: the one escaping function every builder uses.

Slack parses `<...>` in mrkdwn as mentions (`<@U1>`, `<!channel>`), links (`<url|label>`) and
dates; escaping `&`, `<` and `>` (Slack's own rule) turns all of them into literal text.
jobgate never sets `link_names` or `parse=full`, so a bare `@channel` stays plain text too.
"""

from __future__ import annotations

import re
from datetime import datetime

ELLIPSIS = "…"
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Bidi overrides and zero-width joiners can make text read differently from what it is.
_DISGUISE = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]")
_USER_ID = re.compile(r"^[UWB][A-Z0-9]{2,}$")  # people and bots: what a mention may name
_PERSON_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")  # people: whom a direct message may go to
_HALF_ENTITY = re.compile(r"&[#\w]*$")


def escape(text: str) -> str:
    """Slack's escaping: & < > as entities, and nothing else changed but disguising marks."""
    text = _DISGUISE.sub("", text)
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


def untrusted(text: object, limit: int) -> str:
    """Escape, then cut to `limit` characters of escaped text, ending with … when cut."""
    if text is None:
        return ""
    escaped = escape(str(text))
    if len(escaped) <= limit:
        return escaped
    budget = limit - len(ELLIPSIS)
    out: list[str] = []
    used = 0
    for ch in _DISGUISE.sub("", str(text)):
        piece = _ENTITIES.get(ch, ch)
        if used + len(piece) > budget:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out).rstrip() + ELLIPSIS


def cut(markup: str, limit: int) -> str:
    """Cut already-built mrkdwn to `limit` without splitting an entity or a `<...>` token."""
    if len(markup) <= limit:
        return markup
    head = markup[: limit - len(ELLIPSIS)]
    # only an entity cut in half ("&am"): a bare & of our own ("Trust & safety") stays
    head = _HALF_ENTITY.sub("", head)
    lt = head.rfind("<")
    if lt != -1 and ">" not in head[lt:]:
        head = head[:lt]
    return head.rstrip() + ELLIPSIS


def plain(text: object, limit: int) -> str:
    """Text for plain_text objects: escaped the same way (Slack decodes entities there too),
    on one line, cut to `limit`, never empty."""
    value = " ".join(("" if text is None else str(text)).split()) or "—"
    return untrusted(value, limit)


def is_person_id(user_id: str | None) -> bool:
    """Whether `user_id` has the shape of a Slack person's id (not a bot's)."""
    return bool(user_id and _PERSON_ID.match(user_id))


def mention(user_id: str | None) -> str:
    """A user mention for ids Slack gave us; anything else is shown as escaped text."""
    if user_id and _USER_ID.match(user_id):
        return f"<@{user_id}>"
    if user_id == "auto":
        return "jobgate (automatic)"
    if user_id == "platform":
        return "the platform"
    return escape(user_id or "someone")


def when(moment: datetime, style: str = "{date_short_pretty} at {time}") -> str:
    """A date Slack shows in each reader's own time zone."""
    unix = int(moment.timestamp())
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{unix}^{style}|{fallback}>"
