"""Workspace settings as people type and read them: `/jobgate settings set KEY VALUE`."""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import ValidationError

from bot.workspace import WorkspaceSettings

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # Monday is 0, as in weekday()
_TRUE = {"on", "true", "yes", "1"}
_FALSE = {"off", "false", "no", "0"}
_NOTHING = {"none", "off", "default", "-"}

# What each setting does and how to write its value.
HELP: dict[str, tuple[str, str]] = {
    "default_roles": (
        "roles granted to an employer on approval",
        "role names separated by commas, e.g. `post_jobs,post_events`, or `none`",
    ),
    "undo_window_minutes": ("how long Undo stays on a card", "minutes, 0 to 1440 (0: no Undo)"),
    "hold_follow_up_days": ("default follow-up after a hold", "business days, 1 to 60"),
    "hold_expiry_days": ("a hold with no answer expires after", "days, 1 to 120"),
    "hold_expiry_action": ("what an expired hold becomes", "`pending`, `expired` or `decline`"),
    "first_job_needs_review": ("a trusted employer's first job waits for a person", "on or off"),
    "sla_business_days": ("requests older than this are over the SLA", "business days, 1 to 30"),
    "digest_days": (
        "days the digest is posted",
        "days separated by commas, e.g. `mon,tue,wed,thu,fri` (or 0–6, Monday is 0)",
    ),
    "digest_time": (
        "time the digest is posted",
        "HH:MM on a 24-hour clock, or `default` for JOBGATE_DIGEST_TIME",
    ),
    "quiet_digest": ("post no digest when there is nothing to say", "on or off"),
    "digest_grace_hours": ("a missed digest is still sent within", "hours, 0 to 24"),
    "duplicate_window_days": ("approved jobs this recent count for duplicates", "days, 1 to 365"),
    "reviewers": (
        "who may review, besides the admins",
        "Slack user ids (U…) or user-group ids (S…) separated by commas, `none` for the admins"
        " only, or `default` for JOBGATE_REVIEWERS",
    ),
}


class SettingInputError(ValueError):
    """A key or value that cannot be used; the message says why, for people."""


def setting_keys() -> tuple[str, ...]:
    return tuple(WorkspaceSettings.model_fields)


def expected(key: str) -> str:
    return HELP.get(key, ("", "a value"))[1]


def parse_setting(key: str, text: str) -> Any:
    """The typed value for `key` from what was typed; pydantic validates it afterwards."""
    field = WorkspaceSettings.model_fields.get(key)
    if field is None:
        raise SettingInputError(
            f"There is no setting `{key}`. Settings: {', '.join(setting_keys())}."
        )
    value = text.strip()
    if not value:
        raise SettingInputError(f"Give a value for `{key}`: {expected(key)}.")
    if key == "digest_days":
        value = ",".join(_day_number(part) for part in value.split(","))
    if key == "reviewers":
        value = ",".join(_slack_id(part) for part in re.split(r"[,\s]+", value) if part)
    try:
        return _parse(field.annotation, value)
    except ValueError:
        raise SettingInputError(
            f"`{key}` can't be `{text.strip()[:60]}`: use {expected(key)}."
        ) from None


def _slack_id(part: str) -> str:
    """An id as typed, or taken out of a mention Slack wrote (`<@U123|pat>`,
    `<!subteam^S456|@team>`)."""
    mention = re.fullmatch(r"<(?:@|!subteam\^)([A-Z0-9]+)(?:\|[^>]*)?>", part)
    return mention.group(1) if mention else part


def _day_number(part: str) -> str:
    word = part.strip().lower()[:3]
    return str(DAY_NAMES.index(word)) if word in DAY_NAMES else part.strip()


def _parse(annotation: Any, text: str) -> Any:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _parse(get_args(annotation)[0], text)
    if origin in (Union, types.UnionType):
        inner = [arg for arg in get_args(annotation) if arg is not type(None)]
        # for an optional list, `none` is the empty list and only `default` is no value
        listed = get_origin(inner[0]) is tuple
        if text.lower() == "default" or (text.lower() in _NOTHING and not listed):
            return None
        return _parse(inner[0], text)
    if origin is tuple:
        if text.lower() in _NOTHING:
            return ()
        item = get_args(annotation)[0]
        return tuple(_parse(item, part.strip()) for part in text.split(",") if part.strip())
    if annotation is bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(text)
    if annotation is int:
        return int(text)
    return text


def format_setting(key: str, value: Any) -> str:
    """A value as the settings list shows it (and as `set` accepts it back)."""
    if value is None:
        return "default"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        if not value:
            return "none"
        if key == "digest_days":
            return ",".join(DAY_NAMES[day] for day in value)
        return ",".join(str(item) for item in value)
    return str(value)


def describe_invalid(key: str, error: ValidationError) -> str:
    """The problem with a rejected value, in a line people can act on."""
    problems = [
        f"`{str(e.get('input'))[:60]}` is not allowed"
        if e.get("type") == "string_pattern_mismatch"
        else str(e["msg"])
        for e in error.errors()
    ]
    text = "; ".join(dict.fromkeys(problems)) or "not an allowed value"
    return f"`{key}` was not changed: {text[:300]}. Use {expected(key)}."
