"""App Home: the queue, my work and the team's stats for staff; for admins, the workspace
settings, trusted employers, decline reasons and labels, each editable in place."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.models import DeclineReason
from bot.setting_values import DAY_NAMES, HELP, format_setting
from bot.vocabulary import LABEL_NAME_MAX, REASON_LABEL_MAX, REASON_MESSAGE_MAX
from bot.workspace import WorkspaceSettings
from handlers import ids
from handlers.blocks.common import (
    MAX_OPTIONS,
    SECTION_TEXT,
    Block,
    actions,
    button,
    context,
    divider,
    header,
    option,
    plain_text,
    section,
)
from handlers.blocks.stats import stats_blocks
from handlers.mrkdwn import escape, mention, untrusted, when
from storage.home import HomeFacts, HomeItem, MyDecision, TrustedEmployer
from storage.labels import Label
from storage.stats import Stats

# Action and callback ids of the Home and its modals: every one starts with HOME_PREFIX.
HOME_PREFIX = "jobgate_home_"
EDIT_SETTING = HOME_PREFIX + "edit_setting"
STOP_TRUSTING = HOME_PREFIX + "stop_trusting"
EDIT_REASON = HOME_PREFIX + "edit_reason"
RETIRE_REASON = HOME_PREFIX + "retire_reason"
RESTORE_REASON = HOME_PREFIX + "restore_reason"
ADD_REASON = HOME_PREFIX + "add_reason"
NEW_LABEL = HOME_PREFIX + "new_label"
RETIRE_LABEL = HOME_PREFIX + "retire_label"
RESTORE_LABEL = HOME_PREFIX + "restore_label"
SETTING_MODAL = HOME_PREFIX + "setting_modal"
REASON_EDIT_MODAL = HOME_PREFIX + "reason_edit_modal"
REASON_ADD_MODAL = HOME_PREFIX + "reason_add_modal"
LABEL_NEW_MODAL = HOME_PREFIX + "label_new_modal"
SETTING_INPUT = ("home_setting", "home_setting_input")
REASON_CODE = ("home_reason_code", "home_reason_code_input")
LABEL_NAME = ("home_label_name", "home_label_name_input")

# Slack's longest plain_text_input; a longer reviewers list is changed with the command
REVIEWERS_BOX = 3000
# Settings in the order of SPEC section 3, with the names people know them by.
SETTING_TITLES = {
    "reviewers": "Who may review",
    "default_roles": "Default employer roles",
    "first_job_needs_review": "Trusted employer's first job waits for review",
    "sla_business_days": "SLA (business days)",
    "digest_time": "Digest time",
    "digest_days": "Digest days",
    "quiet_digest": "Quiet digests",
    "digest_grace_hours": "Late digest grace (hours)",
    "undo_window_minutes": "Undo window (minutes)",
    "hold_follow_up_days": "Hold follow-up (business days)",
    "hold_expiry_days": "Hold expiry (days)",
    "hold_expiry_action": "Expired holds become",
    "duplicate_window_days": "Duplicate window (days)",
}
STATES = ("pending", "on_hold", "approved", "declined", "expired", "removed")
DONE = {
    "approved": "Approved",
    "declined": "Declined",
    "on_hold": "Held",
    "reverted": "Undid a decision on",
}
EXPIRY_CHOICES = (
    ("pending", "Back in the queue (pending)"),
    ("expired", "Closed as expired, no decision"),
    ("decline", "Declined, no response"),
)
LINE_BUDGET = SECTION_TEXT - 60  # room for "…and N more" after the listed lines


@dataclass(frozen=True)
class AdminFacts:
    settings: WorkspaceSettings
    default_digest_time: str
    timezone: str
    trusted: tuple[TrustedEmployer, ...]
    trusted_total: int
    reasons: tuple[DeclineReason, ...]
    labels: tuple[Label, ...]


@dataclass(frozen=True)
class HomeContent:
    facts: HomeFacts
    sla_business_days: int
    stats: Stats
    stats_label: str
    admin: AdminFacts | None = None


def _listing(title: str, lines: Sequence[str], total: int, empty: str) -> Block:
    """A titled list in one section: lines while they fit, then how many more there are."""
    text, shown = f"*{title}*", 0
    for line in lines:
        if len(text) + len(line) + 1 > LINE_BUDGET:
            break
        text, shown = f"{text}\n{line}", shown + 1
    if not lines:
        text += f"\n{empty}"
    elif total > shown:
        text += f"\n…and {total - shown:,} more"
    return section(text)


def _named(title: str, permalink: str | None) -> str:
    shown = untrusted(title, 60)
    return f"<{permalink}|{shown}>" if permalink else f"*{shown}*"


def _item_line(item: HomeItem, flagged: bool = False) -> str:
    state = "" if item.state == "pending" else f" · {item.state.replace('_', ' ')}"
    why = f" · _{untrusted(item.flag_reason, 60)}_" if flagged and item.flag_reason else ""
    return (
        f"• {item.kind}: {_named(item.title, item.permalink)} — {untrusted(item.employer, 40)}"
        f"{state} · since {when(item.received_at, '{date_short}')}{why}"
    )


def _decision_line(decision: MyDecision) -> str:
    done = DONE.get(decision.action, escape(decision.action))
    return (
        f"• {done} {decision.kind} {_named(decision.title, decision.permalink)}"
        f" · {when(decision.at, '{date_short} {time}')}"
    )


def _queue(facts: HomeFacts, sla_days: int) -> Block:
    by_kind: dict[str, dict[str, int]] = {}
    for count in facts.counts:
        by_kind.setdefault(count.kind, {})[count.state] = count.count
    fields = []
    for kind, noun in (("employer", "Employers"), ("job", "Jobs")):
        states = by_kind.get(kind, {})
        shown = " · ".join(f"{states[s]:,} {s.replace('_', ' ')}" for s in STATES if states.get(s))
        fields.append(f"*{noun}*\n{shown or 'none yet'}")
    fields += [
        f"*Over the {sla_days}-business-day SLA*\n{facts.over_sla:,}",
        f"*Flagged or risky, pending*\n{facts.flagged_pending:,}",
        f"*Unassigned, pending*\n{facts.unassigned:,}",
    ]
    pending = sum(c.count for c in facts.counts if c.state == "pending")
    held = sum(c.count for c in facts.counts if c.state == "on_hold")
    return section(f"*Queue:* {pending:,} pending · {held:,} on hold", fields=fields)


def home_view(content: HomeContent) -> dict[str, Any]:
    """The Home tab of a reviewer, with the admin section for admins."""
    facts = content.facts
    blocks: list[Block] = [
        header("jobgate: employer and job review"),
        _queue(facts, content.sla_business_days),
        divider(),
        _listing(
            f"Assigned to you ({facts.assigned_total:,})",
            [_item_line(i) for i in facts.assigned],
            facts.assigned_total,
            "Nothing. Take a request with *Assign to me* in its card's menu.",
        ),
        _listing(
            "Your recent decisions",
            [_decision_line(d) for d in facts.recent],
            len(facts.recent),
            "None yet.",
        ),
        _listing(
            f"Flagged or risky, waiting for a decision ({facts.flagged_pending:,})",
            [_item_line(i, flagged=True) for i in facts.flagged],
            facts.flagged_pending,
            "Nothing flagged or risky.",
        ),
        divider(),
        header("Stats (last 7 days)"),
        *stats_blocks(content.stats, content.stats_label),
        context("The same figures as `/jobgate stats`; `/jobgate stats 30d` or `term` for more."),
    ]
    if content.admin is not None:
        blocks += admin_blocks(content.admin)
    return {"type": "home", "blocks": blocks}


def outsider_view(text: str) -> dict[str, Any]:
    """The Home of someone who is not on staff: why there is nothing to see."""
    return {
        "type": "home",
        "blocks": [header("jobgate: employer and job review"), section(text)],
    }


def setting_keys() -> list[str]:
    """Every workspace setting, those SPEC section 3 names first."""
    fields = list(WorkspaceSettings.model_fields)
    return [k for k in SETTING_TITLES if k in fields] + [
        k for k in fields if k not in SETTING_TITLES
    ]


def shown_setting(key: str, value: Any, default_time: str) -> str:
    """A setting's value as the Home shows it."""
    if key == "digest_time" and value is None:
        return f"{escape(default_time)} (JOBGATE_DIGEST_TIME)"
    if key == "digest_days":
        return ", ".join(DAY_NAMES[d].title() for d in value) or "never"
    if key == "default_roles":
        return ", ".join(f"`{escape(role)}`" for role in value) or "none"
    if key == "hold_expiry_action":
        return dict(EXPIRY_CHOICES).get(value, escape(str(value)))
    if key == "reviewers":
        if value is None:
            return "JOBGATE_REVIEWERS (the environment), and the admins"
        # ids only (the setting's pattern): mentions name them, and a view notifies nobody
        people = [f"<!subteam^{i}>" if i.startswith("S") else f"<@{i}>" for i in value]
        return ", ".join([*people, "and the admins"]) if people else "the admins only"
    return escape(format_setting(key, value))


def _confirm(title: str, text: str, yes: str) -> dict[str, Any]:
    return {
        "title": plain_text(title, 100),
        "text": plain_text(text, 300),
        "confirm": plain_text(yes, 30),
        "deny": plain_text("Cancel", 30),
        "style": "danger",
    }


def _choices(choices: Sequence[tuple[str, str]], kind: str = "static_select") -> dict[str, Any]:
    return {
        "type": kind,
        "placeholder": plain_text("Choose…", 150),
        "options": [option(text, value) for text, value in choices[:MAX_OPTIONS]],
    }


def _select(
    action_id: str, placeholder: str, choices: Sequence[tuple[str, str]], **extra: Any
) -> dict[str, Any]:
    element = _choices(choices)
    return {**element, "action_id": action_id, "placeholder": plain_text(placeholder, 150), **extra}


def _with_button(block: Block, element: dict[str, Any]) -> Block:
    return {**block, "accessory": element}


def admin_blocks(admin: AdminFacts) -> list[Block]:
    defaults = WorkspaceSettings()
    blocks: list[Block] = [
        divider(),
        header("Settings (admins)"),
        context(
            "Changes apply at once and are recorded in the audit trail. Who may review is the "
            "first setting (by default JOBGATE_REVIEWERS); who is an admin is set by "
            "JOBGATE_ADMINS in jobgate's configuration."
        ),
    ]
    for key in setting_keys():
        value = getattr(admin.settings, key)
        changed = "" if value == getattr(defaults, key) else " _(changed)_"
        shown = shown_setting(key, value, admin.default_digest_time)
        meaning = HELP.get(key, ("", ""))[0]
        meaning = meaning[:1].upper() + meaning[1:]
        if key == "digest_time":
            meaning += f", {escape(admin.timezone)} time"
        title = SETTING_TITLES.get(key, key)
        row = section(f"*{title}:* {shown}{changed}\n{meaning}")
        blocks.append(_with_button(row, button("Edit", EDIT_SETTING, key)))
    blocks.append(
        section(
            f"*Trusted employers ({admin.trusted_total:,})*: their clean jobs are approved "
            "automatically."
            + ("" if admin.trusted else "\nNone. Trust an approved employer from its card's menu.")
        )
    )
    for employer in admin.trusted:
        since = f" since {when(employer.trusted_at, '{date_short}')}" if employer.trusted_at else ""
        row = section(
            f"• *{untrusted(employer.name, 100)}* `{untrusted(employer.upstream_id, 60)}`"
            f" · trusted by {mention(employer.trusted_by)}{since}"
        )
        stop = button(
            "Stop trusting",
            STOP_TRUSTING,
            str(employer.id),
            confirm=_confirm(
                "Stop trusting?",
                f"{employer.name}'s jobs will wait for a reviewer again.",
                "Stop trusting",
            ),
        )
        blocks.append(_with_button(row, stop))
    if admin.trusted_total > len(admin.trusted):
        more = admin.trusted_total - len(admin.trusted)
        blocks.append(context(f"…and {more:,} more: `/jobgate untrust &lt;employer&gt;`."))
    blocks += _reason_blocks(admin.reasons) + _label_blocks(admin.labels)
    return blocks


def _reason_blocks(reasons: Sequence[DeclineReason]) -> list[Block]:
    active = [r for r in reasons if not r.retired]
    retired = [r for r in reasons if r.retired]
    lines = [f"• {escape(r.label)} `{escape(r.code)}`" for r in active]
    if retired:
        lines.append("_Retired:_ " + ", ".join(escape(r.label) for r in retired))
    elements = [
        _select(EDIT_REASON, "Edit a reason…", [(r.label, r.code) for r in active + retired]),
        button("Add a reason", ADD_REASON, "add"),
    ]
    if len(active) > 1:
        warning = "The Decline modal stops offering it; decisions taken with it keep it."
        elements.append(
            _select(
                RETIRE_REASON,
                "Retire a reason…",
                [(r.label, r.code) for r in active],
                confirm=_confirm("Retire this reason?", warning, "Retire"),
            )
        )
    if retired:
        elements.append(
            _select(RESTORE_REASON, "Restore a reason…", [(r.label, r.code) for r in retired])
        )
    title = f"Decline reasons ({len(active)} in use)"
    return [_listing(title, lines, len(lines), "None."), actions(*elements)]


def _label_blocks(labels: Sequence[Label]) -> list[Block]:
    active = [label for label in labels if not label.retired]
    retired = [label for label in labels if label.retired]
    lines = [
        f"• {escape(label.name)}: {label.employers:,} employer(s), {label.contacts:,} contact(s)"
        for label in active
    ]
    if retired:
        lines.append("_Retired:_ " + ", ".join(escape(label.name) for label in retired))
    elements = [button("New label", NEW_LABEL, "new")]
    if active:
        warning = "It leaves the cards and the choices; who carried it is kept."
        elements.append(
            _select(
                RETIRE_LABEL,
                "Retire a label…",
                [(label.name, label.name) for label in active],
                confirm=_confirm("Retire this label?", warning, "Retire"),
            )
        )
    if retired:
        choices = [(label.name, label.name) for label in retired]
        elements.append(_select(RESTORE_LABEL, "Restore a label…", choices))
    title = f"Labels ({len(active)} in use)"
    return [_listing(title, lines, len(lines), "None yet."), actions(*elements)]


# -- modals ------------------------------------------------------------------------------------


def _modal(callback_id: str, title: str, blocks: list[Block], metadata: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(title, 24),
        "submit": plain_text("Save", 24),
        "close": plain_text("Cancel", 24),
        "private_metadata": metadata,
        "blocks": blocks,
    }


def _input(
    block_and_action: tuple[str, str],
    label: str,
    element: dict[str, Any],
    *,
    hint: str = "",
    optional: bool = False,
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_and_action[0],
        "label": plain_text(label, 2000),
        "element": {**element, "action_id": block_and_action[1]},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain_text(hint, 2000)
    return block


def _text(initial: str = "", *, limit: int = 3000, multiline: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": multiline}
    element["max_length"] = limit
    if initial:
        element["initial_value"] = initial[:limit]
    return element


def _choice(choices: Sequence[tuple[str, str]], current: str | None) -> dict[str, Any]:
    element = _choices(choices)
    initial = [o for o in element["options"] if o["value"] == current]
    return {**element, "initial_option": initial[0]} if initial else element


def _times(current: str | None, default_time: str) -> list[tuple[str, str]]:
    times = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)]
    if current and current not in times:
        times = sorted([*times, current], key=lambda t: tuple(int(p) for p in t.split(":")))
    return [(f"Default: {default_time} (JOBGATE_DIGEST_TIME)", "default")] + [(t, t) for t in times]


def _setting_element(key: str, value: Any, default_time: str) -> tuple[dict[str, Any], bool]:
    """The input for one setting, and whether it may be left empty."""
    field = WorkspaceSettings.model_fields[key]
    if field.annotation is bool:
        return _choice([("On", "on"), ("Off", "off")], "on" if value else "off"), False
    if key == "hold_expiry_action":
        return _choice([(text, v) for v, text in EXPIRY_CHOICES], value), False
    if key == "digest_time":
        return _choice(_times(value, default_time), value or "default"), False
    if key == "digest_days":
        element = _choices([(name.title(), name) for name in DAY_NAMES], "multi_static_select")
        chosen = [o for o in element["options"] if DAY_NAMES.index(o["value"]) in value]
        return ({**element, "initial_options": chosen} if chosen else element), True
    if field.annotation is int:
        bounds = {
            name: str(getattr(m, attr))
            for m in field.metadata
            for attr, name in (("ge", "min_value"), ("le", "max_value"))
            if hasattr(m, attr)
        }
        number = {"type": "number_input", "is_decimal_allowed": False, "initial_value": str(value)}
        return {**number, **bounds}, False
    # a list of ids can be long: never cut it (a cut id could still look like one)
    shown, limit = format_setting(key, value), REVIEWERS_BOX if key == "reviewers" else 500
    return _text(shown if len(shown) <= limit else "", limit=limit), False


def setting_modal(
    key: str, settings: WorkspaceSettings, default_time: str, timezone: str
) -> dict[str, Any]:
    """Edit one workspace setting with the input that suits its type."""
    value = getattr(settings, key)
    element, optional = _setting_element(key, value, default_time)
    meaning, expected = HELP.get(key, ("", "a value"))
    hints = {"digest_days": "Choose no day to stop the digest.", "digest_time": f"{timezone} time."}
    if key == "reviewers":
        hints[key] = "A list here replaces JOBGATE_REVIEWERS: name everyone who should review."
        if len(format_setting(key, value)) > REVIEWERS_BOX:
            hints[key] = (
                "The list in force is too long to show here, and what you type replaces it:"
                " `/jobgate settings set reviewers` takes a list of any length."
            )
    hint = hints.get(key, "")
    if element["type"] == "plain_text_input":
        hint = f"Use {expected.replace('`', '')}. {hint}".strip()
    title = SETTING_TITLES.get(key, key)
    blocks = [
        section(f"*{escape(title)}*: {meaning}.\nNow: {shown_setting(key, value, default_time)}"),
        _input(SETTING_INPUT, title, element, hint=hint, optional=optional),
        context("Saved at once and recorded in the audit trail; no restart needed."),
    ]
    return _modal(SETTING_MODAL, "Edit setting", blocks, key)


def reason_add_modal() -> dict[str, Any]:
    """A new decline reason: its stable code, the label reviewers see, the employer's message."""
    blocks = [
        _input(
            REASON_CODE,
            "Code",
            _text(limit=40),
            hint="3 to 40 lowercase letters, digits and _, e.g. unpaid_internship. It never changes.",
        ),
        _input(ids.REASON_LABEL, "Label (what reviewers choose)", _text(limit=REASON_LABEL_MAX)),
        _input(
            ids.REASON_MESSAGE,
            "Message to the employer",
            _text(limit=REASON_MESSAGE_MAX, multiline=True),
        ),
    ]
    return _modal(REASON_ADD_MODAL, "Add a decline reason", blocks, "")


def label_new_modal() -> dict[str, Any]:
    blocks = [
        _input(
            LABEL_NAME,
            "Name",
            _text(limit=LABEL_NAME_MAX),
            hint="For example: Career fair attendee.",
        ),
        context("Reviewers can put it on employers and contacts from the cards at once."),
    ]
    return _modal(LABEL_NEW_MODAL, "New label", blocks, "")
