"""Review cards (SPEC section 4): one message per request in the review channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.models import CardFacts, EmployerStatus, Kind, ReviewRequest, State, Via
from bot.submissions import ContactIn, Pay
from handlers import ids
from handlers.blocks.common import (
    FIELD_TEXT,
    Block,
    actions,
    button,
    context,
    header,
    section,
)
from handlers.blocks.menus import employer_menu, request_menu, with_menu
from handlers.mrkdwn import escape, mention, untrusted, when

DESCRIPTION_EXCERPT = 700
SHORT = 300
MAX_SIGNALS = 6

OUTCOME_BADGE = {
    State.PENDING: ":hourglass_flowing_sand: Pending review",
    State.APPROVED: ":white_check_mark: Approved",
    State.DECLINED: ":x: Declined",
    State.ON_HOLD: ":double_vertical_bar: On hold",
    State.EXPIRED: ":zzz: Hold expired",
    State.REMOVED: ":no_entry: Removed by the platform",
}

EMPLOYER_BADGE = {
    EmployerStatus.UNREVIEWED: "not reviewed here yet",
    EmployerStatus.PENDING: "employer pending review",
    EmployerStatus.APPROVED: "employer approved",
    EmployerStatus.DECLINED: "employer declined",
    EmployerStatus.ON_HOLD: "employer on hold",
    EmployerStatus.EXPIRED: "employer hold expired",
    EmployerStatus.REMOVED: "employer removed",
    EmployerStatus.SUSPENDED: "employer suspended",
}


def format_pay(pay: Pay | None) -> str:
    if pay is None or (pay.min is None and pay.max is None):
        return "not stated"
    symbol = "$" if pay.currency == "USD" else f"{pay.currency} "

    def amount(value: float) -> str:
        return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"

    if pay.min is not None and pay.max is not None and pay.min != pay.max:
        span = f"{symbol}{amount(pay.min)}–{amount(pay.max)}"
    else:
        only = pay.min if pay.min is not None else pay.max
        assert only is not None
        span = f"{symbol}{amount(only)}"
    return f"{span} per {pay.period}" if pay.period != "total" else f"{span} in total"


def format_contact(contact: ContactIn | None) -> str:
    if contact is None:
        return "none given"
    parts = [
        untrusted(contact.name, 200),
        untrusted(contact.email, 320),
        untrusted(contact.phone, 64),
    ]
    return " · ".join(p for p in parts if p) or "none given"


def card_text(request: ReviewRequest) -> str:
    """The notification text of a card (shown in alerts, never parsed for mentions)."""
    noun = "Job" if request.kind is Kind.JOB else "Employer"
    state = OUTCOME_BADGE[request.state].split(" ", 1)[1]
    return f"{noun} request: {untrusted(request.title, 150)} ({state})"


def render_card(facts: CardFacts, now: datetime) -> dict[str, Any]:
    """The whole card message: `text` and `blocks` for chat.postMessage / chat.update."""
    request = facts.request
    blocks = _job_blocks(facts) if request.kind is Kind.JOB else _employer_blocks(facts)
    blocks.extend(screening_blocks(facts))
    blocks.append(_status_block(facts, now))
    if request.state is State.APPROVED and request.decided_via is Via.AUTO:
        # a trusted employer's job approved with no click: why, in jobgate's own words
        because = facts.last_decision.details.get("because") if facts.last_decision else None
        blocks.append(
            section(f":robot_face: *{untrusted(because or 'Approved automatically.', 1500)}*")
        )
    controls = _controls(facts, now)
    if controls is not None:
        blocks.append(controls)
    blocks.append(_footer(facts))
    return {"text": card_text(request), "blocks": blocks}


def _footer(facts: CardFacts) -> Block:
    request = facts.request
    parts = [
        f"{request.kind.value} `{untrusted(request.upstream_id, 100)}`",
        f"version {request.version}",
        f"received {when(request.received_at)}",
    ]
    links = links_status(facts)
    if links:
        parts.append(links)
    return context(" · ".join(parts))


def links_status(facts: CardFacts) -> str | None:
    """What the URL reputation check found, or why it did not run."""
    if facts.screening == "pending":
        return "screening…"
    checks = facts.url_checks or {}
    state = checks.get("state")
    if state == "off":
        return "links not checked (no Web Risk API key)"
    if state == "pending":
        return "checking links with Google Web Risk…"
    if state == "done":
        return "links: " + untrusted(checks.get("summary"), 300)
    return None


def screening_blocks(facts: CardFacts) -> list[Block]:
    """Flag, duplicate, risk signals and the auto-approval note, when there are any."""
    lines: list[str] = []
    if facts.flag is not None:
        why = f": {untrusted(facts.flag.reason, 300)}" if facts.flag.reason else ""
        lines.append(
            f":triangular_flag_on_post: *Flagged as suspicious* by {mention(facts.flag.by)}{why}"
        )
    if facts.duplicate is not None:
        lines.append(":repeat: *Possible duplicate* of " + duplicate_link(facts))
    shown = [s for s in facts.signals if s.rule_id != "flagged_by_hand"]
    if shown:
        lines.append(":warning: *Risk signals:*")
        for signal in shown[:MAX_SIGNALS]:
            evidence = f" — “{untrusted(signal.evidence, 150)}”" if signal.evidence else ""
            lines.append(
                f"• `{signal.severity.value}` {untrusted(signal.explanation, 200)}{evidence}"
            )
        if len(shown) > MAX_SIGNALS:
            lines.append(f"• …and {len(shown) - MAX_SIGNALS} more")
    if facts.auto_note and facts.request.state is State.PENDING:
        lines.append(f":robot_face: {untrusted(facts.auto_note, 1000)}")
    return [section("\n".join(lines))] if lines else []


def duplicate_link(facts: CardFacts) -> str:
    duplicate = facts.duplicate
    assert duplicate is not None
    title = untrusted(duplicate.title, 150)
    # the permalink is Slack's own URL for our card, never employer-supplied
    named = f"<{duplicate.permalink}|{title}>" if duplicate.permalink else f"“{title}”"
    same = (
        f" ({round((duplicate.similarity or 0) * 100)}% identical description)"
        if duplicate.similarity is not None
        else ""
    )
    return f"{named} (job `{untrusted(duplicate.upstream_id, 100)}`){same}"


def _job_blocks(facts: CardFacts) -> list[Block]:
    request = facts.request
    job = request.job
    employer = request.employer
    employer_line = (
        f"*{untrusted(employer.name, 200)}* · {EMPLOYER_BADGE[employer.status]}"
        + (" · :star: trusted" if employer.trusted else "")
        + _labels_text(facts)
    )
    where = untrusted(job.location, SHORT) or "not stated"
    if job.remote:
        where += " (remote)"
    fields = [
        f"*Location*\n{where}",
        f"*Pay*\n{escape(format_pay(job.pay))}",
        f"*Type*\n{untrusted(job.employment_type, 64) or 'not stated'}",
        f"*Apply*\n{untrusted(job.apply_url, FIELD_TEXT - 20) or 'no link given'}",
        f"*Contact*\n{format_contact(job.contact)}",
        f"*Employer's jobs here*\n{_tally_text(facts)}",
    ]
    blocks: list[Block] = [
        header(f"Job: {job.title}"),
        with_menu(section(employer_line, fields=fields), employer_menu(facts)),
    ]
    if job.description:
        blocks.append(
            section(f"*Description*\n>{_quote(untrusted(job.description, DESCRIPTION_EXCERPT))}")
        )
    return blocks


def _employer_blocks(facts: CardFacts) -> list[Block]:
    employer = facts.request.employer_submission
    fields = [
        f"*Website*\n{untrusted(employer.website, FIELD_TEXT - 20) or 'none given'}",
        f"*Contact*\n{format_contact(employer.contact)}",
        f"*Industry*\n{untrusted(employer.industry, SHORT) or 'not stated'}",
        f"*Size*\n{untrusted(employer.size, 100) or 'not stated'}",
        f"*Location*\n{untrusted(employer.location, SHORT) or 'not stated'}",
        f"*Jobs here*\n{_tally_text(facts)}",
    ]
    if employer.other_schools is not None:
        fields.append(
            f"*Other schools*\n{employer.other_schools.approved} approved · "
            f"{employer.other_schools.declined} declined"
        )
    if facts.default_roles:
        fields.append("*Roles on approval*\n" + ", ".join(f"`{r}`" for r in facts.default_roles))
    intro = (
        f"*{untrusted(employer.name, 200)}* asks to recruit here"
        + (" · :star: trusted" if facts.request.employer.trusted else "")
        + _labels_text(facts)
    )
    blocks: list[Block] = [
        header(f"Employer: {employer.name}"),
        with_menu(section(intro, fields=fields), employer_menu(facts)),
    ]
    if employer.description:
        blocks.append(section(f">{_quote(untrusted(employer.description, DESCRIPTION_EXCERPT))}"))
    return blocks


def _labels_text(facts: CardFacts) -> str:
    parts = []
    if facts.employer_labels:
        parts.append(":label: " + ", ".join(escape(name) for name in facts.employer_labels))
    if facts.contact_labels:
        parts.append("contact: " + ", ".join(escape(name) for name in facts.contact_labels))
    return ("\n" + " · ".join(parts)) if parts else ""


def _quote(text: str) -> str:
    return text.replace("\n", "\n>")


def _tally_text(facts: CardFacts) -> str:
    tally = facts.employer_tally
    if tally.jobs_total == 0:
        return "none yet"
    return (
        f"{tally.jobs_total} requested · {tally.approved} approved · {tally.declined} declined"
        f" · {tally.pending + tally.on_hold} open"
    )


# outcomes whose own words say who or what decided ("Removed by the platform", "Hold expired")
_SAYS_WHO = frozenset({State.REMOVED, State.EXPIRED})


def decided_by(request: ReviewRequest) -> str:
    """` by <who>` after an outcome's words, or nothing when the words already say it."""
    if not request.decided_by or request.state in _SAYS_WHO:
        return ""
    return f" by {mention(request.decided_by)}"


def _status_block(facts: CardFacts, now: datetime) -> Block:
    request = facts.request
    badge = OUTCOME_BADGE[request.state]
    decision = facts.last_decision
    if request.state is State.PENDING or decision is None or request.decided_at is None:
        line = f"*{badge}*"
        if request.kind is Kind.JOB and request.employer.status is not EmployerStatus.APPROVED:
            line += f" · _{EMPLOYER_BADGE[request.employer.status]}_"
        if facts.assignee and request.state is State.PENDING:
            line += f" · :raising_hand: {mention(facts.assignee)} is on it"
        return section(line)
    line = f"*{badge}*{decided_by(request)} {when(request.decided_at)}"
    if decision.reasons:
        line += "\n*Reasons:* " + ", ".join(escape(r.label) for r in decision.reasons)
    bulk_run = decision.details.get("bulk_id") if request.decided_via is Via.BULK else None
    if isinstance(bulk_run, int):
        line += f"\n_In bulk run {bulk_run}"
        if facts.undo_until is not None and now < facts.undo_until:
            # bulk decisions are undone as a whole: the card has no Undo of its own
            line += (
                f"; an admin can undo the whole run with `/jobgate bulk undo {bulk_run}`"
                f" until {when(facts.undo_until)}"
            )
        line += "._"
    if request.state is State.ON_HOLD:
        dates = [
            f"*{name}:* {when(moment, '{date_short_pretty}')}"
            for name, moment in (
                ("Follow-up", request.hold_follow_up_at),
                ("Expires if unanswered", request.hold_expires_at),
            )
            if moment is not None
        ]
        if dates:
            line += "\n" + " · ".join(dates)
    return section(line)


def _controls(facts: CardFacts, now: datetime) -> Block | None:
    request = facts.request
    value = str(request.id)
    if request.state in (State.PENDING, State.ON_HOLD):
        buttons = [
            button("Approve", ids.APPROVE, value, style="primary"),
            button("Decline", ids.DECLINE, value, style="danger"),
        ]
        if request.state is State.PENDING:
            buttons.append(button("Hold", ids.HOLD, value))
        elif _undo_open(facts, now):
            buttons.append(button("Undo", ids.UNDO, value))
        return actions(*buttons, *_menu(facts), block_id=f"review.{request.id}")
    elements = [button("Undo", ids.UNDO, value)] if _undo_open(facts, now) else []
    elements += _menu(facts)
    return actions(*elements, block_id=f"undo.{request.id}") if elements else None


def _undo_open(facts: CardFacts, now: datetime) -> bool:
    # bulk decisions are undone as a whole, not card by card
    if facts.request.decided_via is Via.BULK:
        return False
    return facts.undo_until is not None and now < facts.undo_until


def _menu(facts: CardFacts) -> list[dict[str, Any]]:
    menu = request_menu(facts)
    return [menu] if menu else []
