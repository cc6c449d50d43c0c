"""The filter language over requests (queue, saved searches, bulk actions, digest sections):
`kind:job state:pending label:"White Glove" age:>3d risk:medium+ acme` (pure: no SQL, no Slack).
"""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import Literal, cast

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.models import Kind, State


class RiskLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Choice(StrEnum):
    """For yes/no keys: `any` names the key without narrowing (bulk actions then keep them)."""

    YES = "yes"
    NO = "no"
    ANY = "any"


RISK_ORDER = tuple(RiskLevel)
STATE_ORDER = tuple(State)
KEYS = (
    "kind",
    "state",
    "employer",
    "location",
    "industry",
    "size",
    "label",
    "age",
    "risk",
    "flagged",
    "duplicate",
    "trusted",
    "id",
)
MAX_TEXT = 100
MAX_IDS = 300
MAX_TERMS = 30
MAX_FILTER_TEXT = 1500
QUOTES = '"“”'
AGE_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
SYNTAX = (
    "Filter keys: kind:job|employer, state:pending,on_hold,…|any, employer:<name or id>, "
    "location:<text>, industry:<text>, size:<e.g. 51-200>, label:<name> (repeatable), "
    "age:>3d or age:<12h (h, d, w), risk:none|low|medium|high (medium+ = medium or high)|any, "
    "flagged:yes|no|any, duplicate:yes|no|any, trusted:yes|no|any, id:<request ids, "
    "comma-separated>; other words match the "
    'title or the employer\'s name. Quote text with spaces: label:"White Glove". '
    "Without state:, only pending requests match."
)
_KEY = re.compile(r"([A-Za-z_]+):")
_AGE = re.compile(r"([<>])(\d{1,4})([hdw])")
_SAFE_BARE = re.compile(r'[^\s"“”\\:]+')
_CHOICES = {"yes": Choice.YES, "true": Choice.YES, "no": Choice.NO, "false": Choice.NO}
_KIND_WORDS = {"job": Kind.JOB, "jobs": Kind.JOB, "employer": Kind.EMPLOYER}
_RISK_WORDS = frozenset(r.value for r in RiskLevel)
_STATE_WORDS = {s.value: s for s in State} | {"hold": State.ON_HOLD, "held": State.ON_HOLD}


class FilterError(ValueError):
    """A filter that cannot be read: names the term and what would be valid."""

    def __init__(self, term: str, problem: str) -> None:
        self.term = term
        self.problem = problem
        self.valid_keys = KEYS
        super().__init__(f"`{term}`: {problem}" if term else problem)


class Age(BaseModel):
    """A waiting time such as 3d (received at least that long ago, or less)."""

    model_config = ConfigDict(frozen=True)

    amount: int
    unit: Literal["h", "d", "w"]

    @property
    def delta(self) -> timedelta:
        return self.amount * AGE_UNITS[self.unit]

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


def _clean(text: str) -> str:
    value = " ".join(text.split())
    if not value:
        raise ValueError("empty text")
    if len(value) > MAX_TEXT:
        raise ValueError(f"longer than {MAX_TEXT} characters")
    return value


class Filter(BaseModel):
    """A parsed filter; every field narrows, None or empty means "not given"."""

    model_config = ConfigDict(frozen=True)

    kind: Kind | None = None
    states: tuple[State, ...] = (State.PENDING,)
    employer: str | None = None
    location: str | None = None
    industry: str | None = None
    size: str | None = None
    labels: tuple[str, ...] = ()
    older_than: Age | None = None
    newer_than: Age | None = None
    risk: tuple[RiskLevel, ...] | None = None
    flagged: Choice | None = None
    duplicate: Choice | None = None
    trusted: Choice | None = None
    ids: tuple[int, ...] | None = None
    words: tuple[str, ...] = ()

    @field_validator("ids")
    @classmethod
    def _some_ids(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is not None and not value:
            raise ValueError("id names at least one request")
        return value

    @field_validator("employer", "location", "industry", "size")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else _clean(value)

    @field_validator("labels")
    @classmethod
    def _labels(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        seen: dict[str, str] = {}
        for value in map(_clean, values):
            seen.setdefault(value.casefold(), value)
        return tuple(seen.values())

    @field_validator("words")
    @classmethod
    def _words(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_clean(v) for v in values)

    @field_validator("states")
    @classmethod
    def _states(cls, values: tuple[State, ...]) -> tuple[State, ...]:
        if not values:
            raise ValueError("at least one state")
        return tuple(s for s in STATE_ORDER if s in values)

    @field_validator("risk")
    @classmethod
    def _risk(cls, values: tuple[RiskLevel, ...] | None) -> tuple[RiskLevel, ...] | None:
        if values is None:
            return None
        if not values:
            raise ValueError("at least one risk level")
        return tuple(r for r in RISK_ORDER if r in values)


# -- parsing ---------------------------------------------------------------------------------


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """The text between quotes from `start` (a quote), with \\ escapes; and the index after."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch in QUOTES:
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise FilterError(text[start:][:60], "the quote is not closed")


def _terms(text: str) -> list[tuple[str, str | None, str]]:
    """Split into (raw term, key or None, value)."""
    terms: list[tuple[str, str | None, str]] = []
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return terms
        start = i
        key_match = _KEY.match(text, i)
        key = key_match.group(1).lower() if key_match else None
        if key_match:
            i = key_match.end()
        if i < len(text) and text[i] in QUOTES:
            value, i = _read_quoted(text, i)
            if i < len(text) and not text[i].isspace():
                raise FilterError(text[start : i + 1], "put a space after the closing quote")
        else:
            end = i
            while end < len(text) and not text[end].isspace():
                end += 1
            value, i = text[i:end], end
        terms.append((text[start:i], key, value))


def _choice(term: str, key: str, value: str) -> Choice:
    word = value.lower()
    if word == "any":
        return Choice.ANY
    if word in _CHOICES:
        return _CHOICES[word]
    raise FilterError(term, f"{key} is yes, no or any")


def _risk_levels(term: str, value: str) -> set[RiskLevel]:
    if value.lower() == "any":
        return set(RISK_ORDER)
    levels: set[RiskLevel] = set()
    for part in value.lower().split(","):
        name = part.removesuffix("+")
        if name not in _RISK_WORDS:
            raise FilterError(term, "risk is none, low, medium or high (medium+ = medium or high)")
        rank = RISK_ORDER.index(RiskLevel(name))
        levels.update(RISK_ORDER[rank:] if part.endswith("+") else RISK_ORDER[rank : rank + 1])
    return levels


def _states(term: str, value: str) -> set[State]:
    if value.lower() in ("any", "all"):
        return set(STATE_ORDER)
    states: set[State] = set()
    for part in value.lower().split(","):
        if part not in _STATE_WORDS:
            names = ", ".join(s.value for s in STATE_ORDER)
            raise FilterError(term, f"state is one of {names} (comma-separated), or any")
        states.add(_STATE_WORDS[part])
    return states


def _age(term: str, value: str) -> tuple[str, Age]:
    match = _AGE.fullmatch(value.lower())
    if not match or int(match.group(2)) == 0:
        raise FilterError(term, "age is >N or <N with h, d or w, e.g. age:>3d or age:<12h")
    unit = cast(Literal["h", "d", "w"], match.group(3))
    return match.group(1), Age(amount=int(match.group(2)), unit=unit)


def parse_filter(text: str) -> Filter:
    """Read a filter; raises FilterError naming the first bad term."""
    if len(text) > MAX_FILTER_TEXT:
        raise FilterError("", f"a filter is at most {MAX_FILTER_TEXT} characters")
    fields: dict[str, object] = {}
    labels: list[str] = []
    words: list[str] = []
    terms = _terms(text)
    if len(terms) > MAX_TERMS:
        raise FilterError(terms[MAX_TERMS][0], f"a filter has at most {MAX_TERMS} terms")
    for term, key, value in terms:
        if key is None:
            if value.strip():
                words.append(_text(term, "text", value))
            continue
        if key not in KEYS:
            raise FilterError(
                term,
                f"unknown key `{key}`. Valid keys: {', '.join(KEYS)}. "
                "To search for text with a colon, put it in quotes.",
            )
        if not value.strip():
            raise FilterError(term, f"{key} needs a value")
        name, parsed = _read_value(term, key, value)
        if key == "label":
            labels.append(str(parsed))
            continue
        if name in fields:
            raise FilterError(term, f"{key} is given twice")
        fields[name] = parsed
    try:
        return Filter.model_validate({**fields, "labels": labels, "words": words})
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise FilterError(where, str(problem["msg"]).removeprefix("Value error, ")) from None


def _read_value(term: str, key: str, value: str) -> tuple[str, object]:
    """The Filter field a key sets, and its value."""
    if key == "kind":
        if value.lower() == "any":
            return "kind", None
        if value.lower() not in _KIND_WORDS:
            raise FilterError(term, "kind is job, employer or any")
        return "kind", _KIND_WORDS[value.lower()]
    if key == "state":
        return "states", tuple(_states(term, value))
    if key == "risk":
        return "risk", tuple(_risk_levels(term, value))
    if key == "age":
        direction, age = _age(term, value)
        return ("older_than" if direction == ">" else "newer_than"), age
    if key in ("flagged", "duplicate", "trusted"):
        return key, _choice(term, key, value)
    if key == "id":
        return "ids", _ids(term, value)
    return key, _text(term, key, value)


def _ids(term: str, value: str) -> tuple[int, ...]:
    """`id:12,15,40`: jobgate's own request ids (as the wave finder names them)."""
    found: list[int] = []
    for part in value.split(","):
        if not part.strip().isdigit():
            raise FilterError(term, "id is one or more request numbers separated by commas")
        number = int(part.strip())
        if number not in found:
            found.append(number)
    if len(found) > MAX_IDS:
        raise FilterError(term, f"id names at most {MAX_IDS} requests")
    return tuple(found)


def _text(term: str, key: str, value: str) -> str:
    try:
        return _clean(value)
    except ValueError as exc:
        raise FilterError(term, f"{key} is {exc}") from None


# -- formatting ------------------------------------------------------------------------------


def quote(value: str) -> str:
    """A value as the parser reads it back: bare when safe, else in quotes with \\ escapes."""
    if _SAFE_BARE.fullmatch(value):
        return value
    escaped = "".join("\\" + ch if ch in QUOTES or ch == "\\" else ch for ch in value)
    return f'"{escaped}"'


def _risk_text(levels: tuple[RiskLevel, ...]) -> str:
    if len(levels) == len(RISK_ORDER):
        return "any"
    first = RISK_ORDER.index(levels[0])
    if levels == RISK_ORDER[first:] and len(levels) > 1:
        return f"{levels[0].value}+"
    return ",".join(level.value for level in levels)


def format_filter(f: Filter) -> str:
    """The canonical text of a filter (parse_filter reads it back to an equal Filter)."""
    parts = []
    if f.kind is not None:
        parts.append(f"kind:{f.kind.value}")
    states = "any" if len(f.states) == len(STATE_ORDER) else ",".join(s.value for s in f.states)
    parts.append(f"state:{states}")
    for key in ("employer", "location", "industry", "size"):
        value = getattr(f, key)
        if value is not None:
            parts.append(f"{key}:{quote(value)}")
    parts += [f"label:{quote(label)}" for label in f.labels]
    if f.older_than is not None:
        parts.append(f"age:>{f.older_than}")
    if f.newer_than is not None:
        parts.append(f"age:<{f.newer_than}")
    if f.risk is not None:
        parts.append(f"risk:{_risk_text(f.risk)}")
    for key in ("flagged", "duplicate", "trusted"):
        choice = getattr(f, key)
        if choice is not None:
            parts.append(f"{key}:{choice.value}")
    if f.ids is not None:
        parts.append("id:" + ",".join(str(i) for i in f.ids))
    parts += [quote(word) for word in f.words]
    return " ".join(parts)
