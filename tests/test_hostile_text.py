"""Employer-supplied text can never ping, mention, forge a link or break a card."""

from __future__ import annotations

import re
from typing import Any

from handlers import ids
from tests.harness import ADMIN, REVIEW_CHANNEL, REVIEWERS, Harness, employer, job

HOSTILE = [
    "<!channel> urgent",
    "<!here|here> look",
    "<@U123> and <@W999|boss>",
    "<https://evil.example|https://good.example>",
    "&lt;!here&gt; &amp; <#C123|general>",
    "<!subteam^S123|@reviewers> <!date^1392734382^{date}|x> <mailto:a@b.c|mail>",
    "\u202e<!channel>\u202c and zero\u200bwidth",
    "*bold* _it_ ~s~ `code` ```block``` > quote",
]
LONG = ("A<!channel>&<@U1>" * 3000)[:50_000]

TOKEN = re.compile(r"<([^<>]*)>")


def all_texts(value: Any) -> list[str]:
    """Every string Slack renders from a message or view: 'text' values, recursively."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "text" and isinstance(inner, str):
                found.append(inner)
            else:
                found.extend(all_texts(inner))
    elif isinstance(value, list):
        for inner in value:
            found.extend(all_texts(inner))
    return found


def assert_no_foreign_tokens(texts: list[str], allowed_users: set[str]) -> None:
    for text in texts:
        for token in TOKEN.findall(text):
            if token.startswith("!date^"):
                continue
            assert token.startswith("@") and token[1:] in allowed_users, (
                f"foreign Slack token <{token}> in {text[:120]!r}"
            )


def hostile_job(upstream_id: str, text: str) -> dict[str, Any]:
    return job(
        upstream_id,
        employer_id="emp_123",
        title=text,
        description=text + " " + LONG,
        location=text,
        employment_type=text[:64],
        contact={"id": "c_1", "name": text, "email": "jane@acme.example", "phone": text[:64]},
    ) | {"employer": {"id": "emp_123", "name": text}}


async def test_hostile_text_in_every_field_stays_literal(harness: Harness) -> None:
    h = harness
    await h.platform.send_employers(
        employer(
            name=HOSTILE[0],
            industry=LONG,
            size=HOSTILE[1],
            location=HOSTILE[2],
            description=LONG,
            contact={"id": "c_9", "name": HOSTILE[3], "phone": HOSTILE[4][:64]},
        )
    )
    for number, text in enumerate(HOSTILE):
        answer = await h.platform.send_jobs(hostile_job(f"job_{number}", text))
        assert answer.status == 200, answer.body
    long_answer = await h.platform.send_jobs(hostile_job("job_long", LONG))
    assert long_answer.status == 200
    await h.settle()
    messages = h.slack.bot_messages(REVIEW_CHANNEL)
    assert len(messages) == len(HOSTILE) + 2
    # every post was accepted by the fake's Block Kit validation (invalid_blocks would fail it)
    assert all(c.ok for c in h.slack.api.calls_to("chat.postMessage"))
    for message in messages:
        assert len(message.blocks) <= 50
        assert_no_foreign_tokens([message.text, *all_texts(message.blocks)], set())

    # decisions and updates render the same text in threads and updated cards
    employer_card = next(m for m in messages if "Employer:" in str(m.blocks[0]))
    await h.slack.click(ADMIN, employer_card, ids.APPROVE)
    first_job = await h.card("job_0")
    await h.slack.click(REVIEWERS[0], first_job, ids.APPROVE)
    await h.platform.send_jobs(hostile_job("job_1", HOSTILE[5] + " changed"))
    await h.settle()
    everything = [m for channel in h.slack.workspace.messages.values() for m in channel if m.bot_id]
    allowed = {ADMIN, REVIEWERS[0]}
    for message in everything:
        assert_no_foreign_tokens([message.text, *all_texts(message.blocks)], allowed)
    assert all(c.ok for c in h.slack.api.calls if c.method.startswith("chat."))


async def test_a_link_in_a_url_field_cannot_be_disguised(harness: Harness) -> None:
    answer = await harness.platform.send_jobs(
        job(apply_url="https://good.example|<https://evil.example>")
    )
    assert answer.status == 400
    assert answer.body["problems"][0]["field"] == "apply_url"


async def test_modals_escape_hostile_titles(harness: Harness) -> None:
    h = harness
    await h.platform.send_jobs(hostile_job("job_x", HOSTILE[0]))
    card = await h.card("job_x")
    await h.slack.click(REVIEWERS[0], card, ids.DECLINE)
    view = await h.modal(REVIEWERS[0])
    assert_no_foreign_tokens(all_texts(view.view), set())
