"""The employer activity snapshot modal."""

from __future__ import annotations

from typing import Any

from handlers.blocks.cards import EMPLOYER_BADGE
from handlers.blocks.common import MODAL_TITLE, Block, context, divider, plain_text, section
from handlers.mrkdwn import escape, mention, untrusted, when
from storage.snapshot import EmployerSnapshot

STATE_ICON = {
    "approved": ":white_check_mark:",
    "declined": ":x:",
    "on_hold": ":double_vertical_bar:",
    "pending": ":hourglass_flowing_sand:",
    "removed": ":no_entry:",
    "expired": ":zzz:",
}


def snapshot_modal(snap: EmployerSnapshot) -> dict[str, Any]:
    employer = snap.employer
    jobs = snap.jobs
    trusted = (
        f":star: trusted (by {mention(snap.trusted_by)} {when(snap.trusted_at)})"
        if employer.trusted and snap.trusted_at
        else "not trusted"
    )
    fields = [
        f"*Standing*\n{EMPLOYER_BADGE[employer.status]}",
        f"*Trust*\n{trusted}",
        f"*First seen*\n{when(snap.first_seen)}",
        f"*Last activity*\n{when(snap.last_activity) if snap.last_activity else 'none'}",
        f"*Jobs requested*\n{jobs['requested']:,}",
        f"*Approved*\n{jobs['approved']:,} ({jobs['auto_approved']:,} automatically)",
        f"*Declined*\n{jobs['declined']:,}",
        "*Held · expired · pending · removed*\n"
        + " · ".join(f"{jobs[state]:,}" for state in ("on_hold", "expired", "pending", "removed")),
    ]
    if snap.other_schools:
        fields.append(
            f"*Other schools*\n{snap.other_schools.get('approved', 0)} approved · "
            f"{snap.other_schools.get('declined', 0)} declined"
        )
    fields.append("*Labels*\n" + (", ".join(escape(name) for name in snap.labels) or "none"))
    blocks: list[Block] = [
        section(
            f"*{untrusted(employer.name, 200)}* · platform id `{untrusted(employer.upstream_id, 100)}`"
            + (f" · {untrusted(employer.website, 300)}" if employer.website else "")
        ),
        section("Everything this school has seen of this employer.", fields=fields[:10]),
    ]
    if snap.employer_decisions:
        lines = [
            f"• {escape(a.replace('_', ' '))} by {mention(who)} {when(at)}"
            for a, who, at in snap.employer_decisions[-10:]
        ]
        blocks.append(section("*Employer decisions*\n" + "\n".join(lines)))
    if snap.reviewers:
        blocks.append(
            section("*Reviewed by* " + ", ".join(mention(r) for r in snap.reviewers[:20]))
        )
    if snap.recent_jobs:
        lines = []
        for job in snap.recent_jobs:
            title = untrusted(job.title, 100)
            named = f"<{job.permalink}|{title}>" if job.permalink else f"*{title}*"
            by = f" by {mention(job.decided_by)}" if job.decided_by else ""
            lines.append(
                f"{STATE_ICON.get(job.state, '•')} {named} — {escape(job.state.replace('_', ' '))}{by}"
                f" · {when(job.received_at, '{date_short}')}"
            )
        blocks.append(divider())
        blocks.append(section(f"*Last {len(snap.recent_jobs)} jobs*\n" + "\n".join(lines)))
    if snap.reports:
        lines = [
            f"• {untrusted(c, 40)} — {untrusted(s, 40).replace('_', ' ')} {when(at)}"
            for c, s, at in snap.reports
        ]
        blocks.append(section("*Reports*\n" + "\n".join(lines)))
    blocks.append(context("`/jobgate employer <name>` opens this again"))
    return {
        "type": "modal",
        "title": plain_text("Employer snapshot", MODAL_TITLE),
        "close": plain_text("Close", MODAL_TITLE),
        "blocks": blocks,
    }
