"""/jobgate stats: figures from SQL over a period; periods parsed purely."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.periods import PeriodError, parse_period, term_of
from handlers import ids
from tests.harness import ADMIN, REVIEWERS, Harness, decline_form, job

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def test_periods() -> None:
    assert parse_period("", NOW, NEW_YORK).label == "the last 7 days"
    assert parse_period("30d", NOW, NEW_YORK).since == datetime(2026, 10, 26, 15, 0, tzinfo=UTC)
    assert parse_period("1d", NOW, NEW_YORK).label == "the last 1 day"
    assert parse_period("term", NOW, NEW_YORK).label.startswith("the Fall 2026 term")
    assert term_of(datetime(2026, 3, 2).date())[1] == "Spring"
    with pytest.raises(PeriodError, match="7d, 30d or term"):
        parse_period("forever", NOW, NEW_YORK)


async def test_stats_count_decisions_reasons_and_times(harness: Harness) -> None:
    h = harness
    await h.approve_employer()
    await h.platform.send_jobs(
        [job(f"job_{i}", title=f"Role {i}", description=f"D {i}.") for i in range(3)]
    )
    await h.settle()
    await h.slack.click(REVIEWERS[0], await h.card("job_0"), ids.APPROVE)
    for upstream, code in (("job_1", "insufficient_detail"), ("job_2", "insufficient_detail")):
        card = await h.card(upstream)
        modal = await h.modal_from(REVIEWERS[1], h.slack.click(REVIEWERS[1], card, ids.DECLINE))
        codes = (code, "not_relevant") if upstream == "job_2" else (code,)
        await h.slack.submit(REVIEWERS[1], modal, decline_form(*codes))
    await h.settle()
    await h.slack.slash(REVIEWERS[2], "stats 7d", channel="C0REVIEW")
    answer = (await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWERS[2])))[0]
    text = str(answer.blocks)
    assert "4 decisions" in text
    assert (
        f"<@{REVIEWERS[1]}>: 0 approved, 2 declined" in text and f"<@{ADMIN}>: 1 approved" in text
    )
    assert (
        "Not enough detail (duties, pay, location): 2" in text
        and "Not relevant to our students: 1" in text
    )
    assert "Median time to decision" in text
    await h.slack.slash(REVIEWERS[2], "stats someday", channel="C0REVIEW")
    await h.slack.wait_for(lambda: len(h.slack.ephemerals_for(REVIEWERS[2])) == 2)
    assert "use 7d, 30d or term" in h.slack.ephemerals_for(REVIEWERS[2])[-1].text


async def test_digest_command_answers_privately(harness: Harness) -> None:
    h = harness
    await h.platform.send_jobs(job())
    await h.settle()
    await h.slack.slash(REVIEWERS[0], "digest", channel="C0REVIEW")
    answer = (await h.slack.wait_for(lambda: h.slack.ephemerals_for(REVIEWERS[0])))[0]
    assert answer.text.startswith("Daily digest: 1 pending")
