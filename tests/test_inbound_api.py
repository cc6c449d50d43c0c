"""The inbound API refuses bad calls clearly, stores nothing for them, and is idempotent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.models import Kind
from bot.submissions import source_may_hold_surrogate
from tests.harness import REVIEW_CHANNEL, Harness, employer, job


async def nothing_stored(h: Harness) -> None:
    await h.settle()
    assert await h.repo.find_request(Kind.JOB, "job_456") is None
    summary = await h.repo.summarize_outbox(h.jobgate.services.clock.now())
    assert summary["pending"] == 0
    assert h.slack.bot_messages(REVIEW_CHANNEL) == []


async def test_bad_json_is_a_400_naming_the_problem(harness: Harness) -> None:
    answer = await harness.platform.send_jobs(None, raw='{"id": "job_456", "title": ')
    assert answer.status == 400
    assert answer.body["error"] == "invalid_json"
    assert answer.body["problems"][0]["field"] == "(body)"
    await nothing_stored(harness)


async def test_every_bad_field_is_named(harness: Harness) -> None:
    bad = job(
        title="",
        pay={"min": 40, "max": 20, "period": "fortnight"},
        apply_url="javascript:alert(1)",
        remote="sometimes",
        contact={"email": "not-an-email"},
    )
    del bad["employer"]
    answer = await harness.platform.send_jobs(bad)
    assert answer.status == 400
    fields = {p["field"] for p in answer.body["problems"]}
    assert {"employer", "title", "pay.period", "apply_url", "remote", "contact.email"} <= fields
    await nothing_stored(harness)


async def test_one_bad_item_in_an_array_rejects_the_whole_call(harness: Harness) -> None:
    items = [job(f"job_{i}") for i in range(5)]
    items[3]["title"] = 12345
    items[4]["employer"] = {"name": "No id"}
    answer = await harness.platform.send_jobs(items)
    assert answer.status == 400
    fields = {p["field"] for p in answer.body["problems"]}
    assert fields == {"[3].title", "[4].employer.id"}
    await harness.settle()
    for i in range(5):
        assert await harness.repo.find_request(Kind.JOB, f"job_{i}") is None


async def test_missing_required_fields(harness: Harness) -> None:
    answer = await harness.platform.send_employers({"website": "https://x.example"})
    assert answer.status == 400
    assert {p["field"] for p in answer.body["problems"]} == {"id", "name"}


async def test_more_than_1000_items_is_refused(harness: Harness) -> None:
    answer = await harness.platform.send_jobs([job(f"job_{i}") for i in range(1001)])
    assert answer.status == 400
    assert "at most 1000" in answer.body["problems"][0]["problem"]


async def test_a_2_mib_body_is_413(harness: Harness) -> None:
    big = job(description="x" * (2 * 1024 * 1024))
    answer = await harness.platform.send_jobs(big)
    assert answer.status == 413
    await nothing_stored(harness)


async def test_a_bad_signature_is_401(harness: Harness) -> None:
    body = json.dumps(job())
    headers = harness.platform.sign(body)
    headers["webhook-signature"] = "v1," + "A" * 44
    answer = await harness.platform.send_jobs(None, raw=body, headers=headers)
    assert answer.status == 401
    await nothing_stored(harness)


@pytest.mark.parametrize(
    "broken",
    [
        {"webhook-signature": "garbage-without-comma"},
        {"webhook-timestamp": "not-a-number"},
        {"webhook-id": ""},
    ],
)
async def test_malformed_signature_headers_are_401_not_500(
    harness: Harness, broken: dict[str, str]
) -> None:
    body = json.dumps(job())
    headers = {**harness.platform.sign(body), **broken}
    answer = await harness.platform.send_jobs(None, raw=body, headers=headers)
    assert answer.status == 401


async def test_a_stale_timestamp_is_401(harness: Harness) -> None:
    stale = datetime.now(UTC) - timedelta(minutes=6)
    answer = await harness.platform.send_jobs(job(), at=stale)
    assert answer.status == 401
    await nothing_stored(harness)


async def test_the_same_webhook_id_twice_gets_the_first_answer_and_changes_nothing(
    harness: Harness,
) -> None:
    h = harness
    first = await h.platform.send_jobs(job(), webhook_id="msg_same")
    second = await h.platform.send_jobs(job(title="Changed title"), webhook_id="msg_same")
    assert first.status == second.status == 200
    assert second.body == first.body
    assert second.headers.get("Idempotent-Replayed") == "true"
    stored = await h.repo.find_request(Kind.JOB, "job_456")
    assert stored is not None and stored.title == "Data Analyst Intern" and stored.version == 1


async def test_an_array_upserts_by_upstream_id(harness: Harness) -> None:
    h = harness
    answer = await h.platform.send_jobs([job("job_1"), job("job_2")])
    assert answer.body["created"] == 2
    again = await h.platform.send_jobs([job("job_1"), job("job_2", title="Changed"), job("job_3")])
    assert (again.body["created"], again.body["updated"], again.body["unchanged"]) == (1, 1, 1)
    await h.settle()
    assert len(h.slack.bot_messages(REVIEW_CHANNEL)) == 3


async def test_get_request_returns_state_and_history_without_internal_notes(
    harness: Harness,
) -> None:
    h = harness
    await h.platform.send_employers(employer())
    answer = await h.platform.get_request("employer", "emp_123")
    assert answer.status == 200
    assert answer.body["state"] == "pending"
    assert [e["action"] for e in answer.body["history"]] == ["received"]
    assert all("note" not in e for e in answer.body["history"])
    missing = await h.platform.get_request("job", "nope")
    assert missing.status == 404
    wrong_kind = await h.platform.get_request("intern", "emp_123")
    assert wrong_kind.status == 400
    assert wrong_kind.body["error"] == "invalid_kind"
    # the plural, as in the POST paths, names the same request
    plural = await h.platform.get_request("employers", "emp_123")
    assert plural.status == 200 and plural.body == answer.body


async def test_the_inbound_api_is_off_without_a_secret(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.harness import start_harness, stop_harness

    h = await start_harness(tmp_path, settings_overrides={"JOBGATE_INGEST_SECRET": None})
    try:
        answer = await h.platform.send_jobs(job())
        assert answer.status == 503
        assert "JOBGATE_INGEST_SECRET" in answer.body["message"]
    finally:
        await stop_harness(h)


@pytest.mark.parametrize("written", [b'"\\ud83d"', b'"x\\uDC00y"'], ids=["high", "low-upper-case"])
async def test_a_lone_surrogate_is_a_400_naming_its_field(harness: Harness, written: bytes) -> None:
    # the body's bytes are scanned before its items are walked: the walk must still happen
    items = [job("job_455"), job(location="placeholder")]
    body = json.dumps(items).encode().replace(b'"placeholder"', written)
    answer = await harness.platform.send_jobs(None, raw=body)
    assert answer.status == 400, answer.body
    assert [p["field"] for p in answer.body["problems"]] == ["[1].location"]
    await nothing_stored(harness)
    assert await harness.repo.find_request(Kind.JOB, "job_455") is None


def test_the_byte_scan_clears_only_bodies_that_cannot_hold_a_lone_surrogate() -> None:
    assert not source_may_hold_surrogate(json.dumps([job(title="Café \u2028")]).encode())
    assert not source_may_hold_surrogate('["Café 😀"]'.encode())  # UTF-8 as it is
    assert not source_may_hold_surrogate(b'["\\ud7ff \\ue000"]')  # just outside the range
    assert source_may_hold_surrogate(b'["\\ud800"]')
    assert source_may_hold_surrogate(b'["\\udfff"]')
    assert source_may_hold_surrogate(b'["\xed\xa0\x80"]')  # what "surrogatepass" lets through
    # conservative: a pair (an escaped emoji), an escaped backslash or another encoding all
    # get the full walk, which is what tells a pair from a lone half
    assert source_may_hold_surrogate(json.dumps(["😀"]).encode())
    assert source_may_hold_surrogate(b'["\\\\ud800"]')
    assert source_may_hold_surrogate('["x"]'.encode("utf-16"))
