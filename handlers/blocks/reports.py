"""Report cards in the reports channel, the report form, and batched report notices."""

from __future__ import annotations

from typing import Any

from handlers import ids
from handlers.blocks.common import (
    FALLBACK_TEXT,
    MODAL_TITLE,
    Block,
    actions,
    button,
    context,
    header,
    option,
    plain_text,
    section,
    sections_of,
)
from handlers.mrkdwn import cut, mention, untrusted, when
from storage.reports import ReportRecord

STATUS_BADGE = {
    "open": ":rotating_light: Open",
    "investigating": ":mag: Being investigated",
    "action_taken": ":no_entry: Action taken",
    "dismissed": ":white_check_mark: Dismissed",
}
MAX_WAVE_SHOWN = 15


def _subject(report: ReportRecord) -> str:
    title = untrusted(report.subject_title, 150) if report.subject_title else None
    employer = untrusted(report.employer_name, 150) if report.employer_name else None
    named = " · ".join(p for p in (f"*{title}*" if title else None, employer) if p)
    return f"{report.subject_type} `{untrusted(report.subject_id, 100)}`" + (
        f" — {named}" if named else ""
    )


def render_report_card(report: ReportRecord) -> dict[str, Any]:
    source = f"filed by {mention(report.filed_by)}" if report.filed_by else "from the platform"
    blocks: list[Block] = [
        header(f"Report: {report.category}"),
        section(
            f"{_subject(report)}\n*{STATUS_BADGE.get(report.status, untrusted(report.status, 40))}*"
            f" · {source} {when(report.created_at)}"
        ),
    ]
    if report.details:
        blocks.append(section(">" + untrusted(report.details, 1500).replace("\n", "\n>")))
    if report.actions:
        done = ", ".join(a.replace("_", " ") for a in report.actions)
        acted = f" {when(report.acted_at)}" if report.acted_at else ""
        blocks.append(
            section(
                f":no_entry: *Platform action:* {done}{acted}. Affected open requests were removed."
            )
        )
    if report.wave:
        lines = [
            f"• {w['kind']} *{untrusted(w['title'], 100)}* — {untrusted(w['employer'], 80)}"
            f" ({untrusted('; '.join(w['why']), 200)})"
            for w in report.wave[:MAX_WAVE_SHOWN]
        ]
        if len(report.wave) > MAX_WAVE_SHOWN:
            lines.append(f"…and {len(report.wave) - MAX_WAVE_SHOWN} more")
        blocks += sections_of(f":ocean: *Possibly the same wave* ({len(report.wave)} open):", lines)
        blocks.append(
            actions(
                button(
                    f"Decline these {len(report.wave)}",
                    ids.WAVE_DECLINE,
                    f"report:{report.id}",
                    style="danger",
                )
            )
        )
    blocks.append(
        context(
            f"report {report.id}"
            + (
                f" · platform id `{untrusted(report.upstream_id, 100)}`"
                if report.upstream_id
                else ""
            )
        )
    )
    return {
        "text": f"Report ({untrusted(report.category, 64)}): {report.subject_type} {untrusted(report.subject_id, 100)}",
        "blocks": blocks,
    }


def render_report_notice(
    events: list[tuple[ReportRecord, str]], *, personal: bool
) -> dict[str, Any]:
    """One message for a batch of report events (a minute's worth)."""
    filed = [r for r, e in events if e == "filed"]
    acted = [r for r, e in events if e == "acted"]
    lines = []
    for report in acted[:20]:
        done = ", ".join(a.replace("_", " ") for a in report.actions) or "action taken"
        lines.append(f"• :no_entry: {_subject(report)}: {done}")
    for report in filed[:20]:
        lines.append(
            f"• :rotating_light: new {untrusted(report.category, 40)} report: {_subject(report)}"
        )
    hidden = len(events) - len(lines)
    if hidden > 0:
        lines.append(f"…and {hidden} more")
    if personal:
        intro = (
            "You decided on requests from an employer that trust & safety just acted on"
            " (in the last 90 days). Nothing to do unless you want to review your decisions:"
        )
    else:
        intro = f"*Trust & safety:* {len(acted)} action(s), {len(filed)} new report(s)"
    text = f"{intro}\n" + "\n".join(lines)
    return {"text": cut(text, FALLBACK_TEXT), "blocks": sections_of(intro, lines)}


def report_modal(subject: str, metadata: str) -> dict[str, Any]:
    """The report form (card overflow and message shortcut)."""
    return {
        "type": "modal",
        "callback_id": ids.REPORT_MODAL,
        "title": plain_text("Report this request", MODAL_TITLE),
        "submit": plain_text("Report", MODAL_TITLE),
        "close": plain_text("Cancel", MODAL_TITLE),
        "private_metadata": metadata,
        "blocks": [
            section(f"Report {subject} to the platform's trust & safety team."),
            {
                "type": "input",
                "block_id": ids.REPORT_CATEGORY[0],
                "label": plain_text("What is wrong?", 2000),
                "element": {
                    "type": "static_select",
                    "action_id": ids.REPORT_CATEGORY[1],
                    "options": [option(label, code) for code, label in ids.REPORT_CATEGORIES],
                },
            },
            {
                "type": "input",
                "block_id": ids.REPORT_DETAILS[0],
                "label": plain_text("Details", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.REPORT_DETAILS[1],
                    "multiline": True,
                    "max_length": 3000,
                },
                "hint": plain_text("Sent to the platform with the report.", 2000),
            },
        ],
    }


def render_wave_message(wave: list[dict[str, Any]], *, source: str) -> dict[str, Any]:
    """Posted in a card's thread after a decline for suspected fraud: the rest of the wave."""
    ids_value = "ids:" + ",".join(str(w["request_id"]) for w in wave)
    lines = [
        f"• {w['kind']} *{untrusted(w['title'], 100)}* — {untrusted(w['employer'], 80)}"
        f" ({untrusted('; '.join(w['why']), 200)})"
        for w in wave[:MAX_WAVE_SHOWN]
    ]
    if len(wave) > MAX_WAVE_SHOWN:
        lines.append(f"…and {len(wave) - MAX_WAVE_SHOWN} more")
    head = f":ocean: *Possibly the same wave* as {source} ({len(wave)} open):"
    blocks: list[Block] = sections_of(head, lines)
    if len(ids_value) <= 2000:
        blocks.append(
            actions(
                button(f"Decline these {len(wave)}", ids.WAVE_DECLINE, ids_value, style="danger")
            )
        )
    return {"text": cut("\n".join([head, *lines]), FALLBACK_TEXT), "blocks": blocks}
