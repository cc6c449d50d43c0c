"""Bulk actions: the confirmation modal (count, sample, what is left out and why, reasons)
and the progress message that follows the card updates."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.bulk import BulkAction, BulkPreview, BulkProgress, LeftOut, minutes_for_cards
from bot.models import DeclineReason
from bot.words import count_of
from handlers import ids
from handlers.blocks.common import (
    FALLBACK_TEXT,
    MAX_OPTIONS,
    MODAL_TITLE,
    Block,
    context,
    option,
    plain_text,
    section,
)
from handlers.blocks.queue import code, queue_line
from handlers.mrkdwn import cut, mention, untrusted

MESSAGE_LIMIT = 3000
PAST = {BulkAction.APPROVE: "approved", BulkAction.DECLINE: "declined"}
# reason: (one, several, how to include them)
LEFT_OUT_TEXT = {
    LeftOut.DUPLICATE: (
        "possible duplicate",
        "possible duplicates",
        "add `duplicate:any` to include them, or `duplicate:yes` for only them",
    ),
    LeftOut.FLAGGED: (
        "request flagged by a reviewer",
        "requests flagged by a reviewer",
        "add `flagged:any` to include them",
    ),
    LeftOut.RISKY: (
        "request with medium or high risk signals",
        "requests with medium or high risk signals",
        "add a `risk:` term such as `risk:any`",
    ),
    LeftOut.EMPLOYER_NOT_APPROVED: (
        "job whose employer is not approved yet",
        "jobs whose employer is not approved yet",
        "approve the employer first",
    ),
}


def left_out_lines(preview: BulkPreview) -> list[str]:
    """One line per reason, e.g. `• 12 possible duplicates — add duplicate:any …`."""
    lines = []
    for reason, count in preview.left_out.items():
        one, several, how = LEFT_OUT_TEXT[reason]
        lines.append(f"• {count:,} {one if count == 1 else several} — {how}")
    return lines


def bulk_modal(
    action: BulkAction,
    filter_text: str,
    preview: BulkPreview,
    reasons: Sequence[DeclineReason],
    metadata: dict[str, Any],
    *,
    now: datetime,
    search_name: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Confirm a bulk run: what it decides, a sample, what it leaves out; decline asks why."""
    source = code(filter_text)
    if search_name:
        source = f"saved search *{untrusted(search_name, 60)}* ({source})"
    blocks: list[Block] = []
    if note:
        blocks.append(section(f":warning: {note}"))
    blocks.append(
        section(
            f"*{count_of(preview.eligible, 'request')}* matching {source} will be "
            f"*{PAST[action]}*, each with its own decision record and platform webhook."
        )
    )
    blocks.append(
        context(
            "Cards update in the background at Slack's pace (about "
            f"{minutes_for_cards(preview.eligible)} min); a progress message follows in the "
            "channel. A run is undone as a whole (`/jobgate bulk undo <run>`), not card by card."
        )
    )
    lines = [f"• {queue_line(item, now)}" for item in preview.sample]
    for start in range(0, len(lines), 5):  # 5 lines stay inside a section's 3,000 characters
        head = "*Sample:*\n" if start == 0 else ""
        blocks.append(section(head + "\n".join(lines[start : start + 5])))
    if preview.sample:
        more = preview.eligible - len(preview.sample)
        if more > 0:
            blocks.append(context(f"…and {more:,} more."))
    if preview.left_out_total:
        head = f"*Left out, not {PAST[action]}: {preview.left_out_total:,}*"
        blocks.append(section("\n".join([head, *left_out_lines(preview)])))
    if action is BulkAction.DECLINE:
        blocks += _decline_inputs(reasons)
    verb = "Approve" if action is BulkAction.APPROVE else "Decline"
    return {
        "type": "modal",
        "callback_id": ids.BULK_MODAL,
        "title": plain_text(f"Bulk {action.value}", MODAL_TITLE),
        "submit": plain_text(f"{verb} {preview.eligible:,}", MODAL_TITLE),
        "close": plain_text("Cancel", MODAL_TITLE),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": blocks,
    }


def _decline_inputs(reasons: Sequence[DeclineReason]) -> list[Block]:
    return [
        {
            "type": "input",
            "block_id": ids.BULK_REASONS[0],
            "label": plain_text("Reasons", 2000),
            "element": {
                "type": "multi_static_select",
                "action_id": ids.BULK_REASONS[1],
                "placeholder": plain_text("Choose one or more reasons", 150),
                "options": [option(r.label, r.code) for r in reasons[:MAX_OPTIONS]],
            },
        },
        {
            "type": "input",
            "block_id": ids.BULK_MESSAGE[0],
            "label": plain_text("Message to the employers", 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": ids.BULK_MESSAGE[1],
                "multiline": True,
                "max_length": MESSAGE_LIMIT,
            },
            "optional": True,
            "hint": plain_text(
                "Sent to each employer with the decision; if empty, written from the reasons.",
                2000,
            ),
        },
    ]


def render_bulk_progress(progress: BulkProgress, *, confirmed: int | None) -> dict[str, Any]:
    """`Bulk approve by @admin: 1,250 / 2,000 cards updated`, with the run's facts below."""
    run = progress.run
    icon = ":white_check_mark:" if progress.finished else ":hourglass_flowing_sand:"
    text = (
        f"{icon} Bulk {run.action.value} by {mention(run.actor)}: "
        f"{min(progress.done, run.total):,} / {run.total:,} cards updated"
    )
    facts = [f"Run {run.id}", f"Filter {code(run.filter_text)}"]
    if run.skipped:
        facts.append(f"{run.skipped:,} left out (not {PAST[run.action]})")
    if confirmed is not None and confirmed != run.total:
        facts.append(
            f"{confirmed:,} matched when the modal opened; {run.total:,} were still open "
            "and got the decision"
        )
    facts.append("every decision is in the audit trail and was sent to the platform")
    blocks = [section(text), context(" · ".join(facts))]
    return {"text": cut(text, FALLBACK_TEXT), "blocks": blocks}
