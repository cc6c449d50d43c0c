"""The daily digest message."""

from __future__ import annotations

from typing import Any

from bot.digest import AutoApproval, DigestFacts, DigestItem
from handlers import ids
from handlers.blocks.common import (
    Block,
    actions,
    button,
    context,
    divider,
    header,
    section,
    sections_of,
)
from handlers.mrkdwn import mention, untrusted, when


def _named(title: str, permalink: str | None) -> str:
    """A request's title, linked to its card when the card's permalink is known."""
    shown = untrusted(title, 120)
    return f"<{permalink}|{shown}>" if permalink else f"*{shown}*"


def _item_line(item: DigestItem) -> str:
    named = _named(item.title, item.permalink)
    tags = []
    if item.over_sla:
        tags.append(":alarm_clock: over SLA")
    if item.flagged:
        tags.append(":warning: flagged")
    suffix = f" · {' · '.join(tags)}" if tags else ""
    return (
        f"• {item.kind}: {named} — {untrusted(item.employer, 80)}"
        f" · waiting since {when(item.received_at, '{date_short}')}{suffix}"
    )


def _auto_line(approval: AutoApproval) -> str:
    named = _named(approval.title, approval.permalink)
    return (
        f"• {named} — {untrusted(approval.employer, 80)} · {when(approval.approved_at, '{time}')}"
    )


def _auto_approvals(facts: DigestFacts) -> list[Block]:
    lines = [_auto_line(a) for a in facts.auto_approvals]
    more = facts.auto_approved_yesterday - len(facts.auto_approvals)
    if more > 0:
        lines.append(f"…and {more:,} more")
    head = f"*Auto-approved yesterday ({facts.auto_approved_yesterday:,})* · trusted employers"
    return sections_of(head, lines)


def render_digest(facts: DigestFacts) -> dict[str, Any]:
    """`text` and `blocks` for the review channel."""
    pending = facts.pending_total
    new = sum(facts.new_since_last.values())
    by_kind = " · ".join(
        f"*{n:,}* {kind}{'s' if n != 1 else ''}"
        for kind, n in sorted(facts.pending_by_kind.items())
        if n
    )
    blocks: list[Block] = [
        header(f"Daily digest — {facts.local_date:%A %d %B}"),
        section(
            f"*Pending:* {by_kind or 'nothing'} · {new:,} new since the last digest",
            fields=[
                f"*Over the {facts.sla_business_days}-business-day SLA*\n{facts.over_sla:,}",
                f"*Flagged or risky*\n{facts.flagged:,}",
                f"*Unassigned*\n{facts.unassigned:,}",
                f"*Holds waiting on employers*\n{facts.holds_waiting:,} ({facts.holds_expiring:,} expiring soon)",
                f"*Open reports*\n{facts.open_reports:,}",
                f"*Automatic yesterday*\n{facts.auto_approved_yesterday:,} approved · "
                f"{facts.auto_declined_yesterday:,} declined",
            ],
        ),
    ]
    if facts.oldest_waiting is not None:
        blocks.append(
            section("*Oldest waiting:* " + _item_line(facts.oldest_waiting).removeprefix("• "))
        )
    if facts.yesterday:
        lines = [
            f"• {mention(t.actor)}: {t.approved} approved, {t.declined} declined, {t.on_hold} held"
            for t in facts.yesterday[:15]
        ]
        blocks.append(section("*Yesterday's decisions*\n" + "\n".join(lines)))
    if facts.auto_approvals:
        blocks += _auto_approvals(facts)
    if facts.items:
        listed = [_item_line(item) for item in facts.items]
        if facts.more:
            listed.append(f"…and {facts.more:,} more")
        blocks.append(divider())
        blocks += sections_of("*Waiting for a decision*", listed)
    for search in facts.sections[:10]:
        lines = [_item_line(i) for i in search.items[:5]]
        extra = search.count - len(search.items[:5])
        if extra > 0:
            lines.append(f"…and {extra:,} more")
        head = f"*{untrusted(search.name, 80)}* ({search.count:,}) `{untrusted(search.filter_text, 200)}`"
        blocks += sections_of(head, lines)
    blocks.append(actions(button("Open the queue", ids.OPEN_QUEUE, "queue", style="primary")))
    blocks.append(context("Sent once a day by jobgate · `/jobgate digest` shows it again"))
    text = f"Daily digest: {pending:,} pending, {facts.over_sla:,} over the SLA, {facts.flagged:,} flagged"
    return {"text": text, "blocks": blocks}
