"""Signatures on both doors: Slack's (`POST /slack/events`, v0 HMAC) and the platform's inbound
API (`POST /api/v1/jobs`, Standard Webhooks).

Every case sends a request that would have an effect if it got through: an Approve click on a
pending employer card (a decision), or a new job (an ingest). Only the correctly signed ones
inside the five-minute window may have that effect; the rest are refused with a 4xx and leave
nothing behind (no decision, no refusal row, no stored request, no webhook). No case may answer
5xx: a malformed header is a bad signature, not a crash.

The edges of the window, exactly ±300 s, read from the code that decides them:

* Slack: handlers/slack_http.py hands the request to slack_sdk's `SignatureVerifier`, which
  refuses when `abs(time.time() - int(timestamp)) > 300`. `time.time()` is a float and the
  stamp an integer, so a stamp taken from the current whole second is already a fraction of a
  second old when it is checked: 300 s in the past is just over the limit (refused), 300 s in
  the future just under it (accepted).
* Standard Webhooks: the `standardwebhooks` package refuses a stamp `< now - 5 min` ("too old")
  or `> now + 5 min` ("too new"), `now` being the wall clock with microseconds. The same
  reasoning gives the same answer: -300 s refused, +300 s accepted.

The tests assert exactly that, so a change of either rule (or of the libraries) shows up here.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bot.app import create_jobgate
from bot.models import Kind, State
from bot.sandbox.fake_slack import slack_signature
from handlers import ids
from tests.harness import (
    FAST_DELIVERY,
    FAST_PACING,
    REVIEW_CHANNEL,
    REVIEWERS,
    Harness,
    employer,
    job,
    settings_for,
)

FORM = "application/x-www-form-urlencoded"
DECISIONS = ("approved", "declined", "on_hold", "reverted")

Headers = dict[str, str]
Mutation = Callable[[str, Headers, str], tuple[str, Headers]]


@dataclass(frozen=True)
class Case:
    offset_s: int = 0
    mutate: Mutation | None = None
    accepted: bool = False


def _same(body: str, headers: Headers, secret: str) -> tuple[str, Headers]:
    return body, headers


def flip_char(text: str, at: int) -> str:
    """`text` with the ASCII character at `at` changed (its lowest bit flipped)."""
    assert text[at].isascii() and text[at].isalnum()
    flipped = chr(ord(text[at]) ^ 1)
    return text[:at] + flipped + text[at + 1 :]


# -- Slack ----------------------------------------------------------------------------------


def slack_flip_body(body: str, headers: Headers, secret: str) -> tuple[str, Headers]:
    at = body.index("block_actions") + 3  # a letter of the payload type, still valid form data
    return flip_char(body, at), headers


def slack_flip_signature(body: str, headers: Headers, secret: str) -> tuple[str, Headers]:
    signature = headers["X-Slack-Signature"]
    last = "0" if signature[-1] != "0" else "1"
    return body, {**headers, "X-Slack-Signature": signature[:-1] + last}


def without(name: str) -> Mutation:
    def mutate(body: str, headers: Headers, secret: str) -> tuple[str, Headers]:
        return body, {k: v for k, v in headers.items() if k != name}

    return mutate


def header(name: str, value: str) -> Mutation:
    def mutate(body: str, headers: Headers, secret: str) -> tuple[str, Headers]:
        return body, {**headers, name: value}

    return mutate


def slack_timestamp(stamp: str) -> Mutation:
    """The timestamp header replaced by `stamp`, and the body signed over that very stamp:
    only the timestamp check can refuse it."""

    def mutate(body: str, headers: Headers, secret: str) -> tuple[str, Headers]:
        return body, {
            **headers,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": slack_signature(secret, stamp, body),
        }

    return mutate


def slack_version(prefix: str) -> Mutation:
    def mutate(body: str, headers: Headers, secret: str) -> tuple[str, Headers]:
        digest = headers["X-Slack-Signature"].removeprefix("v0=")
        return body, {**headers, "X-Slack-Signature": prefix + digest}

    return mutate


def slack_other_secret(body: str, headers: Headers, secret: str) -> tuple[str, Headers]:
    stamp = headers["X-Slack-Request-Timestamp"]
    return body, {**headers, "X-Slack-Signature": slack_signature(secret + "x", stamp, body)}


# Both doors allow 300 s either way. The stamps hold whole seconds and both libraries compare
# them with a float clock, so a stamp k s back is k to k + 1 s old before transit: next to the
# limit the cases keep a second of margin (-299 was refused once on a loaded CI machine).
WINDOW: dict[str, Case] = {
    f"ts{offset:+d}": Case(offset, accepted=-300 < offset <= 300)
    for offset in (-301, -300, -298, 0, 299, 300, 302)
}

SLACK_CASES: dict[str, Case] = {
    **WINDOW,
    "flipped-body-byte": Case(mutate=slack_flip_body),
    "flipped-signature": Case(mutate=slack_flip_signature),
    "signed-with-another-secret": Case(mutate=slack_other_secret),
    "missing-timestamp": Case(mutate=without("X-Slack-Request-Timestamp")),
    "missing-signature": Case(mutate=without("X-Slack-Signature")),
    "empty-timestamp": Case(mutate=slack_timestamp("")),
    "timestamp-abc": Case(mutate=slack_timestamp("abc")),
    "timestamp-decimal": Case(mutate=slack_timestamp(f"{time.time():.3f}")),
    "timestamp-negative": Case(mutate=slack_timestamp("-5")),
    "timestamp-exponent": Case(mutate=slack_timestamp("1e9")),
    "timestamp-hex": Case(mutate=slack_timestamp("0x10")),
    "timestamp-blank": Case(mutate=slack_timestamp(" ")),
    # str.isdigit() is true for these, int() refuses them
    "timestamp-superscript": Case(mutate=slack_timestamp("\u00b2")),
    "timestamp-digits-then-superscript": Case(mutate=slack_timestamp(f"{int(time.time())}\u00b2")),
    # numeric, but longer than int() converts (Python's 4,300-digit limit)
    "timestamp-5000-digits": Case(mutate=slack_timestamp("9" * 5000)),
    "version-v1": Case(mutate=slack_version("v1=")),
    "version-missing": Case(mutate=slack_version("")),
    "signature-empty": Case(mutate=header("X-Slack-Signature", "")),
    "signature-non-ascii": Case(mutate=header("X-Slack-Signature", "v0=" + "\u00e9" * 64)),
}


async def pending_employer_card(h: Harness):  # type: ignore[no-untyped-def]
    await h.platform.send_employers(employer())
    return await h.card("emp_123")


async def decisions_and_refusals(h: Harness, request_id: int) -> list[str]:
    return [
        entry.action
        for entry in await h.repo.list_audit(request_id)
        if entry.action in (*DECISIONS, "refused")
    ]


@pytest.mark.parametrize("name", list(SLACK_CASES))
async def test_slack_requests_reach_a_handler_only_when_signed_and_in_the_window(
    harness: Harness, name: str
) -> None:
    h = harness
    case = SLACK_CASES[name]
    card = await pending_employer_card(h)
    await h.settle()
    webhooks_before = len(h.platform.attempts)
    payload = h.slack.block_actions_payload(REVIEWERS[0], card, ids.APPROVE)
    body = urlencode({"payload": json.dumps(payload)})
    headers = h.slack.signed_headers(
        body, timestamp=int(time.time()) + case.offset_s, content_type=FORM
    )
    body, headers = (case.mutate or _same)(body, headers, h.secrets.signing)

    answer = await h.slack.deliver(body, content_type=FORM, headers=headers)

    assert answer.status < 500, (name, answer.status, answer.body[:200])
    await h.settle()
    stored = await h.repo.find_request(Kind.EMPLOYER, "emp_123")
    assert stored is not None
    if case.accepted:
        assert answer.status == 200, answer.body
        assert stored.state is State.APPROVED and stored.decided_by == REVIEWERS[0]
        assert await decisions_and_refusals(h, stored.id) == ["approved"]
        await h.platform.wait_for_accepted(webhooks_before + 1)
        assert [e["data"]["id"] for e in h.platform.events_of_type("employer.approved")] == [
            "emp_123"
        ]
    else:
        assert answer.status == 401, (name, answer.status, answer.body[:200])
        assert stored.state is State.PENDING and stored.decided_by is None
        assert await decisions_and_refusals(h, stored.id) == []  # no handler ran at all
        assert len(h.platform.attempts) == webhooks_before
        assert h.slack.ephemerals_for(REVIEWERS[0]) == []


async def test_a_slack_request_with_no_headers_at_all_is_refused(harness: Harness) -> None:
    h = harness
    card = await pending_employer_card(h)
    payload = h.slack.block_actions_payload(REVIEWERS[0], card, ids.APPROVE)
    body = urlencode({"payload": json.dumps(payload)})
    answer = await h.slack.deliver(body, content_type=FORM, headers={})
    assert answer.status == 401
    stored = await h.repo.find_request(Kind.EMPLOYER, "emp_123")
    assert stored is not None and stored.state is State.PENDING


# -- Standard Webhooks (the platform's inbound API) -----------------------------------------


def sw_flip_body(body: str, headers: Headers, secret: str) -> tuple[str, Headers]:
    at = body.index("Data Analyst") + 1  # the title changes, the JSON stays valid
    return flip_char(body, at), headers


def sw_flip_signature(body: str, headers: Headers, secret: str) -> tuple[str, Headers]:
    version, _, signature = headers["webhook-signature"].partition(",")
    raw = bytearray(base64.b64decode(signature))
    raw[0] ^= 1
    flipped = base64.b64encode(bytes(raw)).decode()
    return body, {**headers, "webhook-signature": f"{version},{flipped}"}


def sw_version(prefix: str) -> Mutation:
    def mutate(body: str, headers: Headers, secret: str) -> tuple[str, Headers]:
        signature = headers["webhook-signature"].partition(",")[2]
        return body, {**headers, "webhook-signature": f"{prefix},{signature}"}

    return mutate


def sw_also_listed(body: str, headers: Headers, secret: str) -> tuple[str, Headers]:
    """Several signatures, space-separated (key rotation): one valid v1 among them is enough."""
    signature = headers["webhook-signature"].partition(",")[2]
    return body, {**headers, "webhook-signature": f"v2,{signature} {headers['webhook-signature']}"}


SW_CASES: dict[str, Case] = {
    **WINDOW,
    "flipped-body-byte": Case(mutate=sw_flip_body),
    "flipped-signature": Case(mutate=sw_flip_signature),
    "missing-webhook-id": Case(mutate=without("webhook-id")),
    "missing-webhook-timestamp": Case(mutate=without("webhook-timestamp")),
    "missing-webhook-signature": Case(mutate=without("webhook-signature")),
    "empty-webhook-id": Case(mutate=header("webhook-id", "")),
    "timestamp-abc": Case(mutate=header("webhook-timestamp", "abc")),
    "timestamp-empty": Case(mutate=header("webhook-timestamp", "")),
    "timestamp-nan": Case(mutate=header("webhook-timestamp", "nan")),
    "timestamp-inf": Case(mutate=header("webhook-timestamp", "inf")),
    "timestamp-superscript": Case(mutate=header("webhook-timestamp", "\u00b2")),
    "timestamp-5000-digits": Case(mutate=header("webhook-timestamp", "9" * 5000)),
    "version-v2": Case(mutate=sw_version("v2")),
    "version-v0": Case(mutate=sw_version("v0")),
    "signature-without-version": Case(mutate=header("webhook-signature", "Zm9v")),
    "signature-non-ascii": Case(mutate=header("webhook-signature", "v1,\u00e9\u00e9")),
    "v2-and-valid-v1": Case(mutate=sw_also_listed, accepted=True),
}


@pytest.mark.parametrize("name", list(SW_CASES))
async def test_inbound_calls_reach_a_handler_only_when_signed_and_in_the_window(
    harness: Harness, name: str
) -> None:
    h = harness
    case = SW_CASES[name]
    body = json.dumps(job())
    moment = datetime.fromtimestamp(int(time.time()) + case.offset_s, UTC)
    headers = h.platform.sign(body, at=moment)
    body, headers = (case.mutate or _same)(body, headers, h.secrets.ingest)

    answer = await h.platform.send_jobs(None, raw=body, headers=headers)

    assert answer.status < 500, (name, answer.status, answer.body)
    await h.settle()
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    if case.accepted:
        assert answer.status == 200, answer.body
        assert answer.body["result"] == "created"
        assert stored is not None and stored.title == "Data Analyst Intern"
        await h.card("job_456")
    else:
        assert answer.status == 401, (name, answer.status, answer.body)
        assert answer.body["error"] == "invalid_signature"
        assert stored is None
        assert await h.repo.find_request(Kind.EMPLOYER, "emp_123") is None
        summary = await h.repo.summarize_outbox(h.jobgate.services.clock.now())
        assert summary["pending"] == 0
        assert h.slack.workspace.top_level(REVIEW_CHANNEL) == []


async def test_a_valid_signature_is_not_reusable_for_another_body(harness: Harness) -> None:
    """The webhook-id and timestamp are signed with the body: the same headers on another body
    (a replay with the payload swapped) are refused."""
    h = harness
    original = json.dumps(job("job_1"))
    headers = h.platform.sign(original)
    assert (await h.platform.send_jobs(None, raw=original, headers=headers)).status == 200
    swapped = json.dumps(job("job_2"))
    answer = await h.platform.send_jobs(None, raw=swapped, headers=headers)
    assert answer.status == 401
    await h.settle()
    assert await h.repo.find_request(Kind.JOB, "job_2") is None


# -- Socket Mode ------------------------------------------------------------------------------


@pytest.mark.parametrize("signing_secret", [False, True], ids=["no-secret", "secret-too"])
async def test_in_socket_mode_the_http_door_takes_only_what_it_can_verify(
    harness: Harness, tmp_path: Path, signing_secret: bool
) -> None:
    """With SLACK_APP_TOKEN set, Slack's requests come over the socket, and POST /slack/events
    must not take an unsigned click in a reviewer's name. With SLACK_SIGNING_SECRET also set,
    signed requests are still taken. (jobgate's own HTTP app on loopback, the same database;
    the socket itself is not opened: Slack cannot be reached from here.)"""
    h = harness
    card = await pending_employer_card(h)
    await h.settle()
    overrides: dict[str, str | None] = {"SLACK_APP_TOKEN": "xapp-1-A0SOCKET-1-test"}
    if not signing_secret:
        overrides["SLACK_SIGNING_SECRET"] = None
    settings = settings_for(tmp_path, h.slack, h.platform, h.secrets, **overrides)
    assert settings.socket_mode
    socket_jobgate = await create_jobgate(
        settings, pacing=FAST_PACING, delivery_policy=FAST_DELIVERY
    )
    payload = h.slack.block_actions_payload(REVIEWERS[0], card, ids.APPROVE)
    body = urlencode({"payload": json.dumps(payload)})
    signed = h.slack.signed_headers(body, timestamp=int(time.time()), content_type=FORM)
    answers = []
    try:
        async with TestServer(socket_jobgate.http_app) as server, ClientSession() as session:
            for headers in ({"Content-Type": FORM}, signed):
                url = server.make_url("/slack/events")
                async with session.post(url, data=body, headers=headers) as response:
                    answers.append((response.status, await response.text()))
    finally:
        await socket_jobgate.stop()
    await h.settle()
    stored = await h.repo.find_request(Kind.EMPLOYER, "emp_123")
    assert stored is not None
    assert answers[0][0] == 401, answers  # unsigned: never
    if signing_secret:
        assert answers[1][0] == 200, answers
        assert stored.state is State.APPROVED and stored.decided_by == REVIEWERS[0]
    else:
        assert answers[1][0] == 401 and "SLACK_SIGNING_SECRET" in answers[1][1], answers
        assert stored.state is State.PENDING
        assert await decisions_and_refusals(h, stored.id) == []
