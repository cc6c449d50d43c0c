"""Team statistics, for /jobgate stats and App Home."""

from __future__ import annotations

from typing import Any

from bot.words import count_of
from handlers.blocks.common import Block, context, header, section
from handlers.mrkdwn import escape, mention
from storage.stats import Stats


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} days"


def stats_blocks(stats: Stats, label: str) -> list[Block]:
    reviewers = (
        "\n".join(
            f"• {mention(actor)}: {approved} approved, {declined} declined, {held} held"
            for actor, approved, declined, held in stats.by_reviewer[:15]
        )
        or "no decisions by people"
    )
    reasons = (
        "\n".join(f"• {escape(lbl or code)}: {n}" for code, lbl, n in stats.reasons[:10]) or "none"
    )
    flagged = (
        ", ".join(f"{n} {escape(state.replace('_', ' '))}" for state, n in stats.flagged) or "none"
    )
    return [
        section(
            f"*{count_of(stats.decisions, 'decision')}* in {escape(label)}",
            fields=[
                f"*Median time to decision*\n{_hours(stats.median_hours)}",
                f"*90th percentile*\n{_hours(stats.p90_hours)}",
                f"*Approved automatically*\n{stats.auto_approved:,}",
                f"*Flagged requests, by outcome*\n{flagged}",
                f"*Holds answered · expired*\n{stats.holds_answered:,} · {stats.holds_expired:,}",
            ],
        ),
        section("*Decisions by reviewer*\n" + reviewers),
        section("*Decline reasons*\n" + reasons),
    ]


def render_stats(stats: Stats, label: str) -> dict[str, Any]:
    blocks = [
        header("jobgate stats"),
        *stats_blocks(stats, label),
        context("Figures computed by SQLite from the audit trail."),
    ]
    return {"text": f"jobgate stats for {label}: {stats.decisions} decisions", "blocks": blocks}
