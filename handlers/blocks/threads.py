"""Thread replies under a card: each decision and event, as the team's record."""

from __future__ import annotations

from typing import Any

from bot.models import AuditEntry, ReviewRequest, State
from handlers.blocks.common import FALLBACK_TEXT, context, section
from handlers.mrkdwn import cut, escape, mention, untrusted, when

CHANGE_VALUE = 80
MAX_CHANGES_SHOWN = 10


def render_thread_reply(request: ReviewRequest, entry: AuditEntry) -> dict[str, Any]:
    """`text` and `blocks` for one audit entry, posted in the card's thread."""
    text = _describe(entry)
    blocks = [section(text)]
    if entry.action in ("approved", "declined", "on_hold", "reverted", "expired", "removed"):
        blocks.append(context(f"{escape(entry.via.value)} · {when(entry.at)}"))
    return {"text": cut(text, FALLBACK_TEXT), "blocks": blocks}


def _describe(entry: AuditEntry) -> str:
    who = mention(entry.actor)
    if entry.action == "approved":
        line = f":white_check_mark: *Approved* by {who}."
        roles = entry.details.get("roles")
        if roles:
            line += "\nRoles granted: " + ", ".join(f"`{escape(str(r))}`" for r in roles)
        return line
    if entry.action == "declined":
        lines = [f":x: *Declined* by {who}."]
        if entry.reasons:
            lines.append("*Reasons:* " + ", ".join(escape(r.label) for r in entry.reasons))
        if entry.message:
            lines.append(
                "*Message to the employer:*\n>"
                + untrusted(entry.message, 1500).replace("\n", "\n>")
            )
        if entry.note:
            lines.append(
                "*Internal note* (not sent):\n>" + untrusted(entry.note, 1000).replace("\n", "\n>")
            )
        return "\n".join(lines)
    if entry.action == "on_hold":
        lines = [f":double_vertical_bar: *Put on hold* by {who}; the employer has been asked:"]
        lines.append(">" + untrusted(entry.message, 1500).replace("\n", "\n>"))
        if entry.note:
            lines.append(
                "*Internal note* (not sent):\n>" + untrusted(entry.note, 1000).replace("\n", "\n>")
            )
        return "\n".join(lines)
    if entry.action == "reverted":
        undone = _state_words(entry.from_state)
        return f":leftwards_arrow_with_hook: {who} *undid* the decision ({undone}); now pending."
    if entry.action == "posted_on_behalf":
        return f":memo: Posted by {who} on behalf of the employer; approved."
    if entry.action == "assigned":
        previous = entry.details.get("previous")
        if previous:
            return f":raising_hand: {who} took this over from {mention(str(previous))}."
        return f":raising_hand: {who} is working on this."
    if entry.action == "hold_reminder":
        return ":bell: Follow-up day: the employer was reminded of our question."
    if entry.action == "hold_expired" and entry.to_state == State.EXPIRED.value:
        return (
            ":hourglass: The hold expired without an answer; the request is closed as expired."
            " An edit from the employer brings it back to the queue."
        )
    if entry.action == "hold_expired":
        return ":hourglass: The hold expired without an answer; the request is back in the queue."
    if entry.action == "removed":
        actions = ", ".join(
            escape(str(a)).replace("_", " ") for a in entry.details.get("actions", [])
        )
        return (
            f":no_entry: The platform's trust & safety team acted ({actions}); removed from review."
        )
    if entry.action == "reported":
        category = escape(str(entry.details.get("category", "")))
        return f":rotating_light: {who} reported this to trust & safety ({category})."
    if entry.action == "flagged":
        why = ("\n>" + untrusted(entry.note, 1000).replace("\n", "\n>")) if entry.note else ""
        return f":triangular_flag_on_post: {who} flagged this as suspicious.{why}"
    if entry.action in ("updated", "resubmitted"):
        return _describe_changes(entry)
    return f"{escape(entry.action)} by {who}."


def _state_words(state: str | None) -> str:
    """`on_hold` as people say it: `on hold`."""
    return escape((state or "").replace("_", " "))


def _describe_changes(entry: AuditEntry) -> str:
    changes = entry.details.get("changes", [])
    total = int(entry.details.get("changed_fields", len(changes)))
    if entry.action == "resubmitted":
        head = (
            ":arrows_counterclockwise: *Resubmitted after the decline*; back to pending."
            " Changes against the declined version:"
        )
    elif entry.from_state != entry.to_state:
        moved = f"{_state_words(entry.from_state)} → {_state_words(entry.to_state)}"
        head = f":pencil2: *The employer updated the request*; {moved}. Changes:"
    else:
        head = ":pencil2: *The employer updated the request.* Changes:"
    lines = [head]
    for change in changes[:MAX_CHANGES_SHOWN]:
        before = _value(change.get("before"))
        after = _value(change.get("after"))
        lines.append(f"• *{untrusted(change.get('field'), 80)}*: {before} → {after}")
    if total > MAX_CHANGES_SHOWN:
        lines.append(f"…and {total - MAX_CHANGES_SHOWN} more")
    return "\n".join(lines)


def _value(value: object) -> str:
    if value is None:
        return "_(none)_"
    return "`" + untrusted(value, CHANGE_VALUE).replace("`", "'") + "`"
