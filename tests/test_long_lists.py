"""Lists that outgrow one section (3,000 characters) are split over several, never cut: each
item and the closing "…and N more" stay visible (digest, report cards, waves, notices)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.digest import AutoApproval, DigestFacts, DigestItem
from handlers.blocks.common import SECTION_TEXT
from handlers.blocks.digest import render_digest
from handlers.blocks.reports import render_report_card, render_report_notice, render_wave_message
from storage.reports import ReportRecord
from tests.test_blocks import valid_message

NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
LONG_TITLE = "Senior Software Engineer, Platform Reliability & Developer Experience " * 3
LONG_EMPLOYER = "Consolidated International Holdings of Greater Metropolitan Area " * 2


def texts(message: dict[str, Any]) -> str:
    return "\n".join(b["text"]["text"] for b in message["blocks"] if b.get("text"))


def all_sections_fit(message: dict[str, Any]) -> None:
    valid_message(message)
    for block in message["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= SECTION_TEXT
            assert not block["text"]["text"].endswith("…") or "more" in block["text"]["text"]


def test_the_digest_lists_ten_long_items_and_how_many_more() -> None:
    items = tuple(
        DigestItem(
            request_id=i,
            kind="job",
            title=f"{i:02d} {LONG_TITLE}",
            employer=LONG_EMPLOYER,
            received_at=NOW - timedelta(days=5),
            permalink=f"https://example.slack.com/archives/C0REVIEW/p17000000{i:05d}",
            over_sla=True,
            flagged=True,
        )
        for i in range(10)
    )
    facts = DigestFacts(
        local_date=date(2026, 11, 25),
        sla_business_days=2,
        pending_by_kind={"job": 300},
        new_since_last={"job": 3},
        last_digest_at=None,
        oldest_waiting=items[0],
        over_sla=300,
        flagged=10,
        unassigned=300,
        holds_waiting=0,
        holds_expiring=0,
        yesterday=(),
        auto_approved_yesterday=9,
        auto_declined_yesterday=0,
        open_reports=0,
        items=items,
        auto_approvals=tuple(
            AutoApproval(i, f"A{i} {LONG_TITLE}", LONG_EMPLOYER, NOW, None) for i in range(5)
        ),
    )
    message = render_digest(facts)
    all_sections_fit(message)
    text = texts(message)
    for i in range(10):
        assert f"p17000000{i:05d}|{i:02d} Senior" in text
    assert "…and 290 more" in text and "…and 4 more" in text


def report(**changes: Any) -> ReportRecord:
    values: dict[str, Any] = {
        "id": 1,
        "upstream_id": "rep_1",
        "source": "platform",
        "subject_type": "job",
        "subject_id": "job_1",
        "request_id": 1,
        "employer_id": 1,
        "category": "fraud",
        "details": None,
        "status": "open",
        "actions": (),
        "filed_by": None,
        "created_at": NOW,
        "acted_at": None,
        "card_channel": None,
        "card_ts": None,
        "subject_title": LONG_TITLE,
        "employer_name": LONG_EMPLOYER,
    }
    values.update(changes)
    return ReportRecord(**values)


WAVE = [
    {
        "request_id": i,
        "kind": "job",
        "title": f"W{i:02d} {LONG_TITLE}",
        "employer": LONG_EMPLOYER,
        "why": ["same apply link", "same description"],
    }
    for i in range(20)
]


def test_a_wave_shows_every_request_its_button_declines() -> None:
    for message in (
        render_report_card(report(wave=tuple(WAVE))),
        render_wave_message(WAVE, source="a declined job"),
    ):
        all_sections_fit(message)
        text = texts(message)
        assert all(f"W{i:02d} Senior" in text for i in range(15))
        assert "…and 5 more" in text


def test_a_minutes_notices_keep_every_line() -> None:
    events = [(report(id=i, subject_id=f"job_{i}"), "filed") for i in range(25)]
    for personal in (False, True):
        message = render_report_notice(events, personal=personal)
        all_sections_fit(message)
        text = texts(message)
        assert all(f"`job_{i}`" in text for i in range(20)) and "…and 5 more" in text
