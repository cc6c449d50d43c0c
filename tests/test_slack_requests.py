"""Slack's HTTP deliveries: signatures checked, bad headers refused (never 500), retries and
replays of the same delivery never repeat a side effect."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.models import Kind, State
from handlers import ids
from handlers.slack_http import bolt_body
from tests.harness import ADMIN, REVIEWERS, Harness, employer, job


async def job_card(h: Harness):  # type: ignore[no-untyped-def]
    await h.platform.send_employers(employer())
    await h.slack.click(ADMIN, await h.card("emp_123"), ids.APPROVE)
    await h.platform.send_jobs(job())
    return await h.card("job_456")


@pytest.mark.parametrize("timestamp", ["", "abc", "12.5", "-"])
async def test_a_missing_or_non_numeric_timestamp_is_401(harness: Harness, timestamp: str) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "x"})
    headers = harness.slack.signed_headers(body, content_type="application/json")
    headers["X-Slack-Request-Timestamp"] = timestamp
    answer = await harness.slack.deliver(body, content_type="application/json", headers=headers)
    assert answer.status == 401


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-301, False), (-299, True), (0, True), (299, True), (301, False)]
)
async def test_the_signature_window_is_five_minutes(
    harness: Harness, offset: int, accepted: bool
) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "hello"})
    answer = await harness.slack.deliver(
        body, content_type="application/json", timestamp=int(time.time()) + offset
    )
    assert (answer.status == 200) is accepted
    assert answer.status in (200, 401)


async def test_a_flipped_signature_is_401(harness: Harness) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "x"})
    headers = harness.slack.signed_headers(body, content_type="application/json")
    headers["X-Slack-Signature"] = headers["X-Slack-Signature"][:-1] + (
        "0" if headers["X-Slack-Signature"][-1] != "0" else "1"
    )
    answer = await harness.slack.deliver(body, content_type="application/json", headers=headers)
    assert answer.status == 401


async def test_a_retried_click_has_one_effect(harness: Harness) -> None:
    h = harness
    card = await job_card(h)
    payload = h.slack.block_actions_payload(REVIEWERS[0], card, ids.DECLINE)
    first = await h.slack.send_interaction(payload)
    retry = await h.slack.send_interaction(payload, retry_num=1)
    replay = await h.slack.send_interaction(payload)
    assert first.status == retry.status == replay.status == 200
    await h.settle()
    assert len(h.slack.open_views_for(REVIEWERS[0])) == 1
    assert h.jobgate.repeated.skipped == 2


async def test_a_retried_slash_command_answers_once(harness: Harness) -> None:
    h = harness
    fields = {
        "token": "t",
        "team_id": "T0JOBGATE",
        "channel_id": "C0REVIEW",
        "user_id": REVIEWERS[0],
        "command": "/jobgate",
        "text": "help",
        "trigger_id": "1.2.3",
        "response_url": f"{h.slack.root_url}response/R9?user={REVIEWERS[0]}&channel=C0REVIEW",
    }
    body = urlencode(fields)
    for retry in (None, 1, 2):
        answer = await h.slack.deliver(
            body, content_type="application/x-www-form-urlencoded", retry_num=retry
        )
        assert answer.status == 200
    await h.settle()
    assert len(h.slack.ephemerals_for(REVIEWERS[0])) == 1


async def test_a_second_approve_after_the_decision_is_told_who_decided(harness: Harness) -> None:
    h = harness
    card = await job_card(h)
    await h.slack.click(REVIEWERS[0], card, ids.APPROVE)
    await h.slack.click(REVIEWERS[1], card, ids.APPROVE)
    replies = await h.slack.wait_for(
        lambda: h.slack.ephemerals_for(REVIEWERS[1]), what="a private reply"
    )
    assert f"<@{REVIEWERS[0]}>" in replies[0].text
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert (
        stored is not None and stored.state is State.APPROVED and stored.decided_by == REVIEWERS[0]
    )


# -- what Bolt is handed: the same request either way ------------------------------------

FORM_HEADERS = {"content-type": "application/x-www-form-urlencoded"}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def parsed_by_bolt(body: str) -> dict[str, object]:
    return AsyncBoltRequest(body=body, headers=dict(FORM_HEADERS)).body


def read_by_bolt(body: str) -> tuple[str, object]:
    """What Bolt makes of `body`: its parsed body, or the error it raises (a body whose last
    `payload` field is not a JSON object, e.g. two `payload` fields, makes Bolt raise)."""
    try:
        return "parsed", parsed_by_bolt(body)
    except Exception as exc:  # compared, not hidden: both sides must fail the same way
        return "raised", f"{type(exc).__name__}: {exc}"


@settings(max_examples=300)
@given(
    payload=st.dictionaries(st.text(), json_values, max_size=5),
    others=st.lists(st.tuples(st.text(), st.text()), max_size=3),
    payload_first=st.booleans(),
)
# a second `payload` field: Bolt reads the last one, and fails on these
@example(payload={}, others=[("payload", "00")], payload_first=True)
@example(payload={}, others=[("payload", "0")], payload_first=True)
@example(payload={}, others=[("payload", "")], payload_first=True)
@example(payload={"a": 1}, others=[("payload", '{"b": 2}')], payload_first=False)
def test_bolt_reads_a_click_the_same_from_the_fast_decoding(
    payload: dict[str, object], others: list[tuple[str, str]], payload_first: bool
) -> None:
    # any text (quotes, '&', '+', '%', emoji, lone surrogates escaped by json.dumps)
    fields = [("payload", json.dumps(payload)), *others]
    if not payload_first:
        fields.reverse()
    body = urlencode(fields)
    assert read_by_bolt(bolt_body(body)) == read_by_bolt(body)


@pytest.mark.parametrize(
    "body",
    [
        "command=%2Fjobgate&text=payload%3D1+%2B+2&user_id=U1",  # a slash command: untouched
        "payload=",  # empty: Bolt's own reading (an empty body)
        "payload=not+json",  # Bolt raises on it as before
        '{"type": "event_callback", "event": {"text": "payload=1"}}',  # JSON: untouched
    ],
)
def test_other_bodies_reach_bolt_as_they_came(body: str) -> None:
    assert bolt_body(body) == body


def test_a_click_reaches_bolt_as_its_payload_json() -> None:
    payload = '{"type": "block_actions", "text": "x&y=1 + 100%"}'
    assert bolt_body(urlencode({"payload": payload, "token": "t"})) == payload
