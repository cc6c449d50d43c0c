"""The inbound fast path (`parse_requests_json`) gives exactly what the careful path gives, or
steps aside (None) so the careful path can word the problems."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.submissions import (
    MAX_ITEMS_PER_CALL,
    NotJson,
    parse_requests_body,
    parse_requests_json,
)
from tests.harness import employer, job


def careful(body: bytes, *, employers: bool) -> tuple[list[str], bool] | None:
    """What the careful path makes of `body`: (the items as stored, was_array), or None
    when it refuses the body."""
    try:
        items, was_array, problems = parse_requests_body(body, employers=employers, fast=False)
    except NotJson:
        return None
    if problems:
        return None
    return [item.model_dump_json() for item in items], was_array


def fast(body: bytes, *, employers: bool) -> tuple[list[str], bool] | None:
    parsed = parse_requests_json(body, employers=employers)
    if parsed is None:
        return None
    items, was_array = parsed
    return [item.model_dump_json() for item in items], was_array


def assert_same_or_stepped_aside(body: bytes, *, employers: bool = False) -> bool:
    """True when the fast path took the body (and agreed with the careful path)."""
    quick = fast(body, employers=employers)
    if quick is None:
        return False
    assert quick == careful(body, employers=employers)
    return True


def encoded(document: Any, **dumps: Any) -> bytes:
    return json.dumps(document, **dumps).encode()


CLEAN = {
    "one job": encoded(job()),
    "an array of jobs": encoded([job(f"job_{n}") for n in range(3)]),
    "leading white space": b" \r\n\t" + encoded(job()),
    "unknown fields kept": encoded(job(extra={"n": 10**30, "f": 1.5, "t": [None, True]})),
    "non-ASCII text written raw": encoded(job(title="Développeur·e — 開発"), ensure_ascii=False),
    "non-ASCII text escaped": encoded(job(title="Développeur·e — 開発")),
    "a repeated key (the last wins)": encoded(job()).replace(
        b'"title": "Data Analyst Intern"', b'"title": "First", "title": "Second"'
    ),
    "NaN in an unknown field (stored as null)": encoded(job(extra=float("nan"))),
    "the most items per call": encoded(
        [job(f"job_{n}") for n in range(MAX_ITEMS_PER_CALL)], separators=(",", ":")
    ),
}

STEPS_ASIDE = {
    "not JSON": b"{'id': 1}",
    "a bare string": b'"job"',
    "an empty array": b"[]",
    "too many items": encoded([job(f"job_{n}") for n in range(MAX_ITEMS_PER_CALL + 1)]),
    "a repeated id": encoded([job("job_1"), job("job_1")]),
    "a bad field": encoded([job("job_1"), job("job_2", apply_url="javascript:alert(1)")]),
    "a missing field": encoded({k: v for k, v in job().items() if k != "title"}),
    "a lone surrogate": encoded(job(title="x\ud800y")),
    "an escaped emoji (a surrogate pair)": encoded(job(title="Barista ☕ 😀")),
    "a byte-order mark": "\ufeff".encode() + encoded(job()),
    "UTF-16": json.dumps(job()).encode("utf-16"),
    "deep nesting": b'{"id": "j", "extra": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "an array holding a string": b'["job"]',
}


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_the_fast_path_takes_a_clean_body_and_agrees(name: str) -> None:
    assert assert_same_or_stepped_aside(CLEAN[name]), name


def test_the_fast_path_takes_clean_employers_too() -> None:
    body = encoded([employer("emp_1"), employer("emp_2", website=None)])
    assert assert_same_or_stepped_aside(body, employers=True)
    # a job body is not an employer body: the careful path words why
    assert parse_requests_json(encoded(job()), employers=True) is None


@pytest.mark.parametrize("name", sorted(STEPS_ASIDE))
def test_the_fast_path_steps_aside_for_anything_off(name: str) -> None:
    assert parse_requests_json(STEPS_ASIDE[name], employers=False) is None


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
# values a field may be given, right or wrong
field_values = json_values | st.sampled_from(
    ["2026-11-25T14:05:00Z", "2026-11-25", "true", "1", "https://acme.example/x", "", " x "]
)
job_fields = sorted(job())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.dictionaries(st.sampled_from([*job_fields, "extra", "x"]), field_values),
    dropped=st.sets(st.sampled_from(job_fields), max_size=2),
    as_array=st.booleans(),
    ascii_only=st.booleans(),
)
def test_the_fast_path_never_disagrees(
    changes: dict[str, Any], dropped: set[str], as_array: bool, ascii_only: bool
) -> None:
    item = {k: v for k, v in job(**changes).items() if k not in dropped}
    body = encoded([item, job("job_other")] if as_array else item, ensure_ascii=ascii_only)
    took = assert_same_or_stepped_aside(body)
    if not changes and not dropped:  # nothing mangled: the fast path must take it
        assert took
