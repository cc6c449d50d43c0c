"""Secrets: nothing jobgate logs or serves shows a credential, or a body it refused.

jobgate runs with every logger at DEBUG (its own, slack_bolt's, slack_sdk's, aiohttp's,
aiosqlite's, asyncio's) through a representative session: platform ingests, a button click, a
modal opened and submitted, webhooks delivered to the platform, a Slack 500 on a card post
and on a modal, and two requests that fail signature verification (one on Slack's door, one
on the platform's) whose bodies carry recognisable markers. Then no log record (message,
arguments, exception, stack, extra fields, the formatted text), no `/healthz` body and no
`/metrics` body may contain the bot token, the signing secret, the ingest secret or the
webhook secret (nor the base64 payload of a `whsec_` secret, nor its decoded bytes in hex or
escaped form), nor either marker.

The bot token here is random (the fake Slack's default is a fixed string that would prove
less), and the test first checks that the DEBUG capture really saw slack_sdk's and Bolt's
request logging, so an empty capture cannot pass for a clean one.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets as random_secrets
import time
import traceback
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.sandbox.fake_slack import slack_signature
from bot.sandbox.slack_api import Fault
from handlers import ids
from tests.harness import (
    ADMIN,
    REVIEWERS,
    Harness,
    decline_form,
    employer,
    job,
    start_harness,
    stop_harness,
)
from tests.reliability.support import get_text, report

LOGGERS = (
    "",
    "bot",
    "handlers",
    "storage",
    "slack_bolt",
    "slack_sdk",
    "aiohttp",
    "aiosqlite",
    "asyncio",
    "standardwebhooks",
)
FORM = "application/x-www-form-urlencoded"
TIMEOUT_S = 30.0


@pytest.fixture
async def h(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Harness]:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    running = await start_harness(tmp_path, bot_token="xoxb-" + random_secrets.token_hex(24))
    for name in (running.jobgate.bolt.logger.name, "slack_bolt.AsyncApp"):
        caplog.set_level(logging.DEBUG, logger=name)
    try:
        yield running
    finally:
        await stop_harness(running)


def forms_of(secret: str) -> dict[str, str]:
    """The ways a secret could show: whole, and for `whsec_` secrets the base64 payload, the
    same in URL-safe base64, and the decoded key as hex and as Python writes bytes."""
    forms = {"whole": secret}
    if secret.startswith("whsec_"):
        payload = secret.removeprefix("whsec_")
        key = base64.b64decode(payload)
        forms |= {
            "base64 payload": payload.rstrip("="),
            "url-safe base64 payload": base64.urlsafe_b64encode(key).decode().rstrip("="),
            "key as hex": key.hex(),
            "key as bytes": repr(key)[2:-1],
        }
    return forms


def record_texts(record: logging.LogRecord) -> list[str]:
    """Everything a log record carries that a handler could write out."""
    texts = [record.getMessage(), repr(record.msg), repr(record.args)]
    if record.exc_info and record.exc_info[1] is not None:
        texts.append("".join(traceback.format_exception(*record.exc_info)))
    texts += [record.exc_text or "", record.stack_info or ""]
    standard = set(vars(logging.makeLogRecord({})))
    texts += [repr(v) for k, v in vars(record).items() if k not in standard]
    return texts


async def refused_slack_request(h: Harness, marker: str) -> int:
    """An Approve click (on a pending card) whose body carries `marker`, signed with a wrong
    secret."""
    card = h.card_now(await h.card("job_2", timeout=TIMEOUT_S))
    payload = h.slack.block_actions_payload(REVIEWERS[0], card, ids.APPROVE)
    payload["actions"][0]["value"] = f"{marker}:1"
    payload["user"]["name"] = marker
    body = urlencode({"payload": json.dumps(payload)})
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(h.secrets.signing + "x", stamp, body),
    }
    answer = await h.slack.deliver(body, content_type=FORM, headers=headers)
    return answer.status


async def refused_inbound_request(h: Harness, marker: str) -> int:
    """A job whose fields carry `marker`, with a signature that does not match the body."""
    body = json.dumps(job("job_marker", title=marker, description=marker))
    headers = h.platform.sign(json.dumps(job("job_other")))
    answer = await h.platform.send_jobs(None, raw=body, headers=headers)
    return answer.status


async def session(h: Harness) -> dict[str, Any]:
    """Ingests, a click, a modal, webhooks, Slack failing, two refused signatures."""
    slack_marker = f"SLACKMARK{uuid.uuid4().hex}"
    inbound_marker = f"INBOUNDMARK{uuid.uuid4().hex}"
    assert (await h.platform.send_employers(employer("emp_1"))).status == 200
    assert (await h.platform.send_jobs(job("job_1", employer_id="emp_1"))).status == 200
    await h.settle()
    # a click: the employer approved, its card updated, a webhook sent
    assert (
        await h.slack.click(ADMIN, await h.card("emp_1", timeout=TIMEOUT_S), ids.APPROVE)
    ).status == 200
    await h.platform.wait_for_accepted(1, timeout=TIMEOUT_S)
    # a modal: Decline opened, then submitted with a reason
    assert (
        await h.slack.click(REVIEWERS[0], await h.card("job_1", timeout=TIMEOUT_S), ids.DECLINE)
    ).status == 200
    form = await h.modal(REVIEWERS[0], TIMEOUT_S)
    reasons = await h.repo.list_decline_reasons()
    values = decline_form(reasons[0].code)
    assert (await h.slack.submit(REVIEWERS[0], form, values)).status == 200
    await h.platform.wait_for_accepted(2, timeout=TIMEOUT_S)
    # Slack failing: a 500 on a card post (retried by the outbox) and on a modal
    h.slack.api.fail("chat.postMessage", Fault(status=500, error="internal_error"))
    assert (await h.platform.send_jobs(job("job_2", employer_id="emp_1"))).status == 200
    await h.settle(timeout=TIMEOUT_S)
    h.slack.api.fail("views.open", Fault(status=500), Fault(status=500))
    assert (
        await h.slack.click(REVIEWERS[0], await h.card("job_2", timeout=TIMEOUT_S), ids.HOLD)
    ).status == 200
    await h.jobgate.services.tasks.wait(timeout=TIMEOUT_S)
    assert any(c.status == 500 for c in h.slack.api.calls_to("chat.postMessage"))
    assert any(c.status == 500 for c in h.slack.api.calls_to("views.open"))
    # two requests that fail verification, with markers in their bodies
    slack_status = await refused_slack_request(h, slack_marker)
    inbound_status = await refused_inbound_request(h, inbound_marker)
    assert (slack_status, inbound_status) == (401, 401)
    # a command, and the platform asking about a request
    assert (await h.slack.slash(REVIEWERS[0], "help", channel="C0REVIEW")).status == 200
    assert (await h.platform.get_request("job", "job_1")).status == 200
    await h.settle(timeout=TIMEOUT_S)
    await asyncio.sleep(0.1)  # let the last log lines of the fakes' connections land
    base = f"http://127.0.0.1:{h.jobgate.port}"
    health_status, health = await get_text(base + "/healthz")
    metrics_status, metrics = await get_text(base + "/metrics")
    assert (health_status, metrics_status) == (200, 200)
    shown = str(json.loads(health)["slack"]["last_interactive_error"])
    assert "internal_error" in shown or "500" in shown, "the Slack 500 should show in /healthz"
    return {
        "markers": {"refused Slack body": slack_marker, "refused inbound body": inbound_marker},
        "healthz": health,
        "metrics": metrics,
    }


async def test_no_secret_or_refused_body_in_logs_healthz_or_metrics(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    seen = await asyncio.wait_for(session(h), timeout=100)
    records = list(caplog.records)

    # the capture really saw the libraries' DEBUG logging of requests
    debug_from = {r.name.split(".")[0] for r in records if r.levelno == logging.DEBUG}
    assert {"slack_sdk", "slack_bolt"} <= debug_from, debug_from
    assert any(
        "chat.postMessage" in r.getMessage() for r in records if r.name.startswith("slack_sdk")
    )

    token = h.jobgate.settings.slack_bot_token
    assert token is not None and token.get_secret_value().startswith("xoxb-")
    needles: dict[str, str] = {}
    for name, secret in (
        ("bot token", token.get_secret_value()),
        ("signing secret", h.secrets.signing),
        ("ingest secret", h.secrets.ingest),
        ("webhook secret", h.secrets.webhook),
    ):
        needles |= {f"{name} ({form})": text for form, text in forms_of(secret).items()}
    needles |= seen["markers"]

    leaks = []
    for record in records:
        for text in record_texts(record):
            for what, needle in needles.items():
                if needle in text:
                    leaks.append(
                        f"{what} in a {record.levelname} record of {record.name}: {text[:300]!r}"
                    )
    for what, needle in needles.items():
        if needle in caplog.text:
            leaks.append(f"{what} in the formatted log")
        for page in ("healthz", "metrics"):
            if needle in seen[page]:
                leaks.append(f"{what} in /{page}")
    report(
        "secrets",
        {
            "log_records": len(records),
            "debug_records": sum(1 for r in records if r.levelno == logging.DEBUG),
            "loggers": sorted({r.name for r in records}),
            "needles": sorted(needles),
            "leaks": leaks[:20],
            "at": datetime.now(UTC).isoformat(),
        },
    )
    assert not leaks, "\n".join(sorted(set(leaks))[:20])
