"""Queue, saved-search, bulk modal and progress builders: valid Block Kit inside Slack's limits,
with hostile employer text kept literal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.bulk import BulkAction, BulkPreview, BulkProgress, BulkRun, LeftOut
from bot.filters import Filter, format_filter
from bot.models import DeclineReason, Kind, State
from bot.sandbox.slack_api import validate_blocks, validate_view
from bot.searches import QueueItem, SavedSearch
from handlers.blocks.bulk import bulk_modal, render_bulk_progress
from handlers.blocks.queue import queue_answer, saved_search_list

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
HOSTILE = "<!channel> <https://evil.example|click> `code` & " + "Ω" * 200


def item(i: int) -> QueueItem:
    return QueueItem(
        request_id=i,
        kind=Kind.JOB,
        upstream_id=f"job_{i}",
        title=HOSTILE,
        employer_name=HOSTILE,
        state=State.ON_HOLD,
        risk_level="high",
        received_at=NOW - timedelta(days=i),
        permalink=f"https://example.slack.com/archives/C0REVIEW/p{1700000000000000 + i}",
        flagged=True,
        duplicate=True,
    )


def literal(text: str) -> None:
    assert "<!channel>" not in text and "<https://evil" not in text


def sections_fit(blocks: list[dict[str, object]]) -> None:
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            assert len(str(text["text"])) <= 3000


def test_queue_answer_lists_twenty_literal_lines_and_says_how_many_more() -> None:
    answer = queue_answer(HOSTILE, 45, [item(i) for i in range(25)], NOW, search_name=HOSTILE)
    assert validate_blocks(answer["blocks"], 50) == []
    sections_fit(answer["blocks"])
    literal(str(answer))
    assert len(answer["blocks"]) == 22 and "…and 25 more" in str(answer["blocks"][-1])
    assert "<https://example.slack.com/archives/C0REVIEW/p1700000000000003|" in str(answer)
    assert "waiting 3d" in str(answer) and "on hold" in str(answer)


def test_an_empty_queue_says_so() -> None:
    answer = queue_answer("state:pending employer:nobody", 0, [], NOW)
    assert answer["text"].startswith("Nothing matches `state:pending employer:nobody`. ")
    assert "the queue is empty" not in answer["text"]  # it is not: the filter matches nothing
    everything = queue_answer(format_filter(Filter()), 0, [], NOW)
    assert everything["text"] == "Nothing is pending: the queue is empty."


def test_the_saved_search_list_fits_a_hundred_long_searches() -> None:
    searches = [
        SavedSearch(
            id=i,
            name=f"search {i}",
            filter_text=f'employer:"{HOSTILE}"',
            in_digest=i % 2 == 0,
            created_by="U1",
            created_at=NOW,
            updated_at=NOW,
        )
        for i in range(100)
    ]
    answer = saved_search_list(searches, list(range(100)))
    assert validate_blocks(answer["blocks"], 50) == []
    sections_fit(answer["blocks"])
    literal(str(answer))
    assert "*100 saved searches:*" in answer["text"]


def test_the_bulk_modal_is_a_valid_view_for_both_actions() -> None:
    preview = BulkPreview(
        matched=1300,
        eligible=1234,
        left_out={LeftOut.DUPLICATE: 1, LeftOut.RISKY: 65},
        sample=tuple(item(i) for i in range(10)),
    )
    reasons = [DeclineReason(code=f"r{i}", label=HOSTILE, message="m") for i in range(120)]
    for action in BulkAction:
        view = bulk_modal(
            action, HOSTILE, preview, reasons, {"count": 1234}, now=NOW, search_name=HOSTILE
        )
        assert validate_view(view) == []
        sections_fit(view["blocks"])
        literal(str(view["blocks"]))
        text = str(view["blocks"])
        assert "*1,234 requests* matching saved search" in text and "…and 1,224 more" in text
        assert "1 possible duplicate — add `duplicate:any`" in text
        assert "65 requests with medium or high risk signals" in text
        assert ("bulk_reasons" in text) is (action is BulkAction.DECLINE)
        assert view["submit"]["text"] == f"{action.value.title()} 1,234"


def test_the_progress_message_counts_and_says_when_the_queue_changed() -> None:
    run = BulkRun(
        id=7,
        actor="UADMIN0001",
        action=BulkAction.DECLINE,
        filter_text=HOSTILE,
        total=2000,
        skipped=12,
        cards_done=0,
        channel="C0REVIEW",
        message_ts=None,
        created_at=NOW,
    )
    going = render_bulk_progress(BulkProgress(run=run, done=1250), confirmed=2004)
    assert going["text"] == (
        ":hourglass_flowing_sand: Bulk decline by <@UADMIN0001>: 1,250 / 2,000 cards updated"
    )
    assert "2,004 matched when the modal opened" in str(going["blocks"])
    assert "12 left out (not declined)" in str(going["blocks"])
    done = render_bulk_progress(BulkProgress(run=run, done=2000), confirmed=2000)
    assert done["text"].startswith(":white_check_mark:") and "2,000 / 2,000" in done["text"]
    assert "matched when the modal opened" not in str(done["blocks"])
    for message in (going, done):
        assert validate_blocks(message["blocks"], 50) == []
        literal(str(message))
