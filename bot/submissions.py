"""What the platform sends (SPEC section 6), validated field by field.

Unknown fields are kept (stored with the request) but never used; every problem is reported
with the path of the field it concerns, so the platform can fix all of them at once.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)

MAX_ITEMS_PER_CALL = 1000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_URL = re.compile(r"^https?://[^\s/?#<>|\"'`]+(?:[/?#][^\s<>|\"`]*)?$", re.IGNORECASE)
# a lone UTF-16 surrogate: json.loads lets "\\ud800" through, but it cannot be stored as UTF-8
_SURROGATE = re.compile("[\ud800-\udfff]")
_EMAIL = re.compile(r"^[^@\s<>|,;:\"]+@[^@\s<>|,;:\"]+\.[^@\s<>|,;:\"]+$")


def _no_control_chars(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _url(value: str) -> str:
    if not _URL.match(value):
        raise ValueError("must be an http(s) URL with a host and no spaces, quotes, <, > or |")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("must be an email address like name@example.org")
    return value


UpstreamId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=256, pattern=r"^\S+$"),
    AfterValidator(_no_control_chars),
]
ShortText = Annotated[str, StringConstraints(max_length=100_000)]
LongText = Annotated[str, StringConstraints(max_length=400_000)]
RequiredText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100_000)
]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2048), AfterValidator(_url)
]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=320), AfterValidator(_email)
]


def _instant(value: datetime) -> datetime:
    """A moment jobgate can store and compare: it converts to UTC and lies in 1970–9999."""
    if 1971 <= value.year <= 9998:  # no UTC offset (under a day) can move it out of range
        return value
    try:
        utc = value.astimezone(UTC) if value.tzinfo is not None else value
    except OverflowError:
        raise ValueError("is out of range") from None
    if not 1970 <= utc.year <= 9999:
        raise ValueError("must be between 1970 and 9999")
    return value


Instant = Annotated[datetime, AfterValidator(_instant)]


# how a lone surrogate can be written in UTF-8 JSON: an escape, or the bytes that json.loads
# lets through with "surrogatepass"
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_RAW_SURROGATE = re.compile(rb"\xed[\xa0-\xbf]")


def source_may_hold_surrogate(source: bytes) -> bool:
    """False when the raw JSON surely holds no lone surrogate: a scan of the bytes in C
    instead of a walk over every string of every item. Conservative: an escaped pair (how
    json.dumps writes an emoji) or another encoding than UTF-8 still gets the walk."""
    if json.detect_encoding(source) not in ("utf-8", "utf-8-sig"):
        return True
    if b"\\u" in source and _ESCAPED_SURROGATE.search(source):
        return True
    return b"\xed" in source and _RAW_SURROGATE.search(source) is not None


def _may_hold_surrogate(value: Any) -> bool:
    """A quick test in C for the common case (none); `_surrogate_at` then says where."""
    try:
        return _SURROGATE.search(json.dumps(value, ensure_ascii=False)) is not None
    except (RecursionError, ValueError):
        return True


def _surrogate_at(value: Any, path: tuple[int | str, ...]) -> tuple[int | str, ...] | None:
    """Where a lone UTF-16 surrogate hides in a JSON value (it cannot be stored as UTF-8)."""
    if isinstance(value, str):
        return path if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _surrogate_at(key, ()) is not None:
                return (*path, "(a key)")
            found = _surrogate_at(item, (*path, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _surrogate_at(item, (*path, index))
            if found is not None:
                return found
    return None


class _Incoming(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, str_strip_whitespace=False)


class _Identified(_Incoming):
    """A top-level request: it has the platform's id."""

    id: UpstreamId


class ContactIn(_Incoming):
    id: UpstreamId | None = None
    name: ShortText | None = None
    email: Email | None = None
    phone: Annotated[str, StringConstraints(max_length=64)] | None = None


class EmployerRef(_Incoming):
    id: UpstreamId
    name: ShortText | None = None


class Pay(_Incoming):
    min: Annotated[float, Field(ge=0, le=100_000_000)] | None = None
    max: Annotated[float, Field(ge=0, le=100_000_000)] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "USD"
    period: Literal["hour", "day", "week", "month", "year", "total"] = "year"

    @model_validator(mode="after")
    def _min_not_above_max(self) -> Pay:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("pay.min must not be greater than pay.max")
        return self


class OtherSchools(_Incoming):
    approved: Annotated[int, Field(ge=0)] = 0
    declined: Annotated[int, Field(ge=0)] = 0


class EmployerSubmission(_Identified):
    id: UpstreamId
    name: RequiredText
    website: Url | None = None
    industry: ShortText | None = None
    size: ShortText | None = None
    location: ShortText | None = None
    description: LongText | None = None
    contact: ContactIn | None = None
    other_schools: OtherSchools | None = None
    requested_at: Instant | None = None


class JobSubmission(_Identified):
    id: UpstreamId
    employer: EmployerRef
    title: RequiredText
    description: LongText | None = None
    location: ShortText | None = None
    remote: bool | None = None
    employment_type: Annotated[str, StringConstraints(max_length=64)] | None = None
    pay: Pay | None = None
    apply_url: Url | None = None
    contact: ContactIn | None = None
    requested_at: Instant | None = None


class FieldProblem(BaseModel):
    field: str
    problem: str


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(body)"


def problems_of(error: ValidationError, prefix: tuple[int | str, ...] = ()) -> list[FieldProblem]:
    """Every problem of a validation error, with the field's path."""
    problems = []
    for item in error.errors(include_url=False):
        loc = prefix + tuple(p for p in item["loc"] if p not in ("function-after",))
        message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(FieldProblem(field=_path(loc), problem=message))
    return problems


Incoming = TypeVar("Incoming", bound=_Identified)


def parse_batch(
    body: Any, model: type[Incoming], *, source: bytes | None = None
) -> tuple[list[Incoming], bool, list[FieldProblem]]:
    """One object or an array of up to 1,000: (items, was_array, problems). `source`, the
    raw JSON `body` was decoded from, lets the search for lone surrogates be skipped."""
    if isinstance(body, dict):
        items, was_array = [body], False
    elif isinstance(body, list):
        items, was_array = body, True
        if not items:
            return [], True, [FieldProblem(field="(body)", problem="the array is empty")]
        if len(items) > MAX_ITEMS_PER_CALL:
            return (
                [],
                True,
                [
                    FieldProblem(
                        field="(body)",
                        problem=f"at most {MAX_ITEMS_PER_CALL} items per call, got {len(items)}",
                    )
                ],
            )
    else:
        return [], False, [FieldProblem(field="(body)", problem="must be a JSON object or array")]
    scan = source is None or source_may_hold_surrogate(source)
    parsed: list[Incoming] = []
    problems: list[FieldProblem] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        prefix: tuple[int | str, ...] = (index,) if was_array else ()
        if not isinstance(item, dict):
            problems.append(FieldProblem(field=_path(prefix), problem="must be a JSON object"))
            continue
        hidden = _surrogate_at(item, prefix) if scan and _may_hold_surrogate(item) else None
        if hidden is not None:
            problems.append(
                FieldProblem(
                    field=_path(hidden), problem="contains an unpaired surrogate (\\ud800–\\udfff)"
                )
            )
            continue
        try:
            submission = model.model_validate(item)
        except ValidationError as exc:
            problems.extend(problems_of(exc, prefix))
            continue
        if submission.id in seen:
            problems.append(
                FieldProblem(
                    field=_path((*prefix, "id")),
                    problem=f"repeats the id of item {seen[submission.id]} in this call",
                )
            )
            continue
        seen[submission.id] = index
        parsed.append(submission)
    return parsed, was_array, problems


REPORT_ACTIONS = ("job_removed", "user_suspended", "employer_suspended")


class ReportSubject(_Incoming):
    type: Literal["job", "employer", "user"]
    id: UpstreamId


class ReportSubmission(_Identified):
    """A fraud or abuse report, or the platform's action on one (SPEC section 6)."""

    id: UpstreamId
    subject: ReportSubject
    category: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    details: LongText | None = None
    status: Literal["open", "investigating", "action_taken", "dismissed"] = "open"
    actions: list[Literal["job_removed", "user_suspended", "employer_suspended"]] = Field(
        default_factory=list, max_length=3
    )
    created_at: Instant | None = None


def parse_requests(
    body: Any, *, employers: bool, source: bytes | None = None
) -> tuple[list[EmployerSubmission | JobSubmission], bool, list[FieldProblem]]:
    """`parse_batch` for employer or job requests."""
    if employers:
        found_employers, was_array, problems = parse_batch(body, EmployerSubmission, source=source)
        return list(found_employers), was_array, problems
    found_jobs, was_array, problems = parse_batch(body, JobSubmission, source=source)
    return list(found_jobs), was_array, problems


class NotJson(Exception):
    """The body is not JSON; the message says why."""


def load_json(source: bytes) -> Any:
    """The decoded body; NotJson for bad JSON, huge numbers or deep nesting."""
    try:
        return json.loads(source)
    except (ValueError, RecursionError) as exc:
        raise NotJson(str(exc)) from None


def parse_requests_body(
    source: bytes, *, employers: bool, fast: bool = True
) -> tuple[list[EmployerSubmission | JobSubmission], bool, list[FieldProblem]]:
    """(items, was_array, problems) of an inbound body: the fast path when it takes the body,
    else the careful one, which words every problem. `fast=False` goes straight to the
    careful one (when the body is known to have a problem). NotJson if it is not JSON."""
    if fast:
        parsed = parse_requests_json(source, employers=employers)
        if parsed is not None:
            return parsed[0], parsed[1], []
    return parse_requests(load_json(source), employers=employers, source=source)


_OPENING = re.compile(rb"[ \t\r\n]*([\[{])")
_EMPLOYER_ARRAY = TypeAdapter(list[EmployerSubmission])
_JOB_ARRAY = TypeAdapter(list[JobSubmission])


def parse_requests_json(
    source: bytes, *, employers: bool
) -> tuple[list[EmployerSubmission | JobSubmission], bool] | None:
    """The fast path of `parse_requests` for a body with nothing wrong in it: validated
    straight from its bytes in one pass (pydantic-core parses the JSON), without building
    the dicts first. (items, was_array), or None whenever anything is off (bad JSON, a
    problem in any field, an empty or oversized array, a repeated id, a possible lone
    surrogate): `parse_requests` then finds and words every problem, so answers are the
    same either way."""
    opening = _OPENING.match(source)
    if opening is None or source_may_hold_surrogate(source):
        return None
    model = EmployerSubmission if employers else JobSubmission
    try:
        if opening[1] == b"{":
            return [model.model_validate_json(source)], False
        items = (_EMPLOYER_ARRAY if employers else _JOB_ARRAY).validate_json(source)
    except ValidationError:
        return None
    if not 0 < len(items) <= MAX_ITEMS_PER_CALL:
        return None
    if len({item.id for item in items}) != len(items):
        return None
    return list(items), True
