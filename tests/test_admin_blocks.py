"""Admin Block Kit (label modal, reason editor, listings) and the vocabulary rules: valid for
slack_sdk, inside Slack's limits, hostile names escaped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.models import DeclineReason, EmployerRecord, EmployerStatus
from bot.sandbox.slack_api import validate_blocks, validate_view
from bot.vocabulary import (
    VocabularyError,
    check_label_name,
    check_reason_code,
    check_reason_label,
    check_reason_message,
)
from bot.workspace import WorkspaceSettings
from handlers import ids
from handlers.blocks.admin import (
    label_modal,
    labels_listing,
    reason_edit_modal,
    reasons_listing,
    settings_listing,
)
from storage.contacts import Contact
from storage.labels import Label, LabelChoices

HOSTILE = "<!channel> Acme <https://evil.example|click> & co"


def valid_view(view: dict[str, Any]) -> None:
    assert validate_view(view) == []
    View(**view).validate_json()


def choices(count: int, contact: bool = True) -> LabelChoices:
    labels = tuple(Label(i, f"Label {i}", False) for i in range(1, count + 1))
    return LabelChoices(
        labels=labels,
        employer=EmployerRecord(
            id=1, upstream_id="emp_1", name=HOSTILE, status=EmployerStatus.PENDING
        ),
        employer_labels=frozenset({1, 3}),
        contact=Contact(7, "c_7", HOSTILE, "x@evil.example", None, 1, HOSTILE) if contact else None,
        contact_labels=frozenset({2}),
    )


def test_the_label_modal_is_valid_prefilled_and_escaped() -> None:
    view = label_modal(choices(150), {"request_id": 1})
    valid_view(view)
    text = json.dumps(view)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    employer, contact = (b for b in view["blocks"] if b["type"] == "input")
    assert employer["block_id"] == ids.EMPLOYER_LABELS[0] and employer["optional"]
    assert len(employer["element"]["options"]) == 100  # Slack's cap for a select
    assert [o["value"] for o in employer["element"]["initial_options"]] == ["1", "3"]
    assert [o["value"] for o in contact["element"]["initial_options"]] == ["2"]
    assert (
        "initial_options"
        not in label_modal(
            LabelChoices(choices(3).labels, choices(3).employer, frozenset(), None, frozenset()),
            {},
        )["blocks"][1]["element"]
    )


def test_the_label_modal_without_a_contact_has_one_select() -> None:
    view = label_modal(choices(3, contact=False), {"request_id": 1})
    valid_view(view)
    assert [b.get("block_id") for b in view["blocks"] if b["type"] == "input"] == [
        ids.EMPLOYER_LABELS[0]
    ]


def test_the_reason_editor_is_valid_and_prefilled() -> None:
    reason = DeclineReason(code="upfront_cost", label="L" * 75, message="M" * 1500, retired=True)
    view = reason_edit_modal(reason, {"code": "upfront_cost"})
    valid_view(view)
    label, message = (b["element"] for b in view["blocks"] if b["type"] == "input")
    assert label["initial_value"] == "L" * 75 and label["max_length"] == 75
    assert message["initial_value"] == "M" * 1500 and message["multiline"]
    assert "retired" in json.dumps(view["blocks"][0])


def test_long_listings_stay_inside_slacks_limits() -> None:
    reasons = [DeclineReason(code=f"code_{i}", label="x" * 75, message="m") for i in range(100)]
    labels = [Label(i, f"Label {i}", i % 7 == 0, i, i) for i in range(300)]
    for message in (
        reasons_listing(reasons, admin=True),
        labels_listing(labels, admin=False),
        settings_listing(WorkspaceSettings(), admin=True),
    ):
        assert validate_blocks(message["blocks"], 50) == []
        assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in message["blocks"])
        assert message["text"]


@pytest.mark.parametrize(
    ("check", "bad"),
    [
        (check_label_name, ""),
        (check_label_name, "x" * 41),
        (check_label_name, "<!channel>"),
        (check_label_name, "=cmd()"),
        (check_reason_code, "ab"),
        (check_reason_code, "Upfront"),
        (check_reason_code, "9lives"),
        (check_reason_code, "a" * 41),
        (check_reason_label, "   "),
        (check_reason_label, "x" * 76),
        (check_reason_message, ""),
        (check_reason_message, "x" * 1501),
    ],
)
def test_vocabulary_rules_refuse_what_slack_or_people_cannot_use(check: Any, bad: str) -> None:
    with pytest.raises(VocabularyError):
        check(bad)


def test_vocabulary_rules_accept_and_tidy() -> None:
    assert check_label_name('  "Career   fair attendee" ') == "Career fair attendee"
    assert check_label_name("R&D partner") == "R&D partner"
    assert check_reason_code("unpaid_internship") == "unpaid_internship"
    assert check_reason_label(" Unpaid\n internship ") == "Unpaid internship"
