"""Bulk decisions on a real SQLite file: what is left out, one transaction, the outbox rows."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.bulk import BulkAction, BulkOrder, LeftOut
from bot.filters import format_filter, parse_filter
from storage import bulk
from storage.repository import Repository
from tests.search_data import NOW, request_ids, seeded_repo


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Repository]:
    seeded = await seeded_repo(tmp_path)
    try:
        yield seeded
    finally:
        await seeded.db.close()


def order(action: BulkAction, text: str, confirmed: int, **extra: object) -> BulkOrder:
    return BulkOrder(
        action=action,
        filter_text=format_filter(parse_filter(text)),
        actor="UADMIN0001",
        channel="C0REVIEW",
        confirmed=confirmed,
        **extra,  # type: ignore[arg-type]
    )


async def test_duplicates_flagged_risky_and_unapproved_employers_are_left_out(
    repo: Repository,
) -> None:
    preview = await repo.preview_bulk(parse_filter("kind:job"), BulkAction.APPROVE, NOW, sample=10)
    assert (preview.matched, preview.eligible, preview.left_out_total) == (5, 2, 3)
    assert preview.left_out == {
        LeftOut.DUPLICATE: 1,
        LeftOut.FLAGGED: 1,
        LeftOut.RISKY: 2,
        LeftOut.EMPLOYER_NOT_APPROVED: 2,
    }
    assert {i.upstream_id for i in preview.sample} == {"job_analyst", "job_barista"}


async def test_naming_them_in_the_filter_keeps_them(repo: Repository) -> None:
    f = parse_filter("kind:job duplicate:any flagged:any risk:any")
    approve = await repo.preview_bulk(f, BulkAction.APPROVE, NOW, sample=10)
    assert approve.eligible == 3 and approve.left_out == {LeftOut.EMPLOYER_NOT_APPROVED: 2}
    decline = await repo.preview_bulk(f, BulkAction.DECLINE, NOW, sample=10)
    assert decline.eligible == 5 and decline.left_out == {}
    only = await repo.preview_bulk(parse_filter("duplicate:yes"), BulkAction.DECLINE, NOW, sample=0)
    assert only.eligible == 1 and only.sample == ()


async def test_only_open_requests_are_decided(repo: Repository) -> None:
    approved = await repo.preview_bulk(
        parse_filter("state:approved"), BulkAction.DECLINE, NOW, sample=10
    )
    assert approved.matched == approved.eligible == 0


async def test_each_request_gets_its_own_decision_in_one_run(repo: Repository) -> None:
    result = await repo.run_bulk(order(BulkAction.APPROVE, "kind:job", 2), NOW)
    assert isinstance(result, bulk.BulkDone)
    run = result.run
    assert (run.total, run.skipped, run.action, run.actor) == (
        2,
        3,
        BulkAction.APPROVE,
        "UADMIN0001",
    )
    ids = await request_ids(repo)
    decided = [ids["job_analyst"], ids["job_barista"]]

    def facts(conn: sqlite3.Connection) -> dict[str, list[sqlite3.Row]]:
        marks = ",".join("?" * len(decided))
        return {
            "audit": conn.execute(
                f"SELECT * FROM audit WHERE action = 'approved' AND request_id IN ({marks})",
                decided,
            ).fetchall(),
            "requests": conn.execute(
                f"SELECT state, decided_via, decided_by FROM requests WHERE id IN ({marks})",
                decided,
            ).fetchall(),
            "outbox": conn.execute("SELECT lane, kind, payload FROM outbox ORDER BY id").fetchall(),
            "pending": conn.execute(
                "SELECT COUNT(*) FROM requests WHERE state = 'pending'"
            ).fetchall(),
        }

    got = await repo.db.read(facts)
    assert len(got["audit"]) == 2
    assert all(
        a["via"] == "bulk" and json.loads(a["details"]) == {"bulk_id": run.id} for a in got["audit"]
    )
    assert [tuple(r) for r in got["requests"]] == [("approved", "bulk", "UADMIN0001")] * 2
    by_kind: dict[str, list[dict[str, object]]] = {}
    for row in got["outbox"]:
        by_kind.setdefault(row["kind"], []).append(
            {"lane": row["lane"], **json.loads(row["payload"])}
        )
    cards = [c for c in by_kind["card"] if c.get("bulk_id") == run.id]
    assert sorted(int(c["request_id"]) for c in cards) == sorted(decided)  # type: ignore[call-overload]
    assert not [t for t in by_kind.get("thread", []) if t["request_id"] in decided]
    assert not any(str(c["lane"]).startswith("refresh:") for c in by_kind["card"])
    hooks = [w for w in by_kind["webhook"] if w["type"] == "job.approved"]
    assert len(hooks) == 2 and all(w["data"]["via"] == "bulk" for w in hooks)  # type: ignore[index]
    assert by_kind["progress"] == [
        {"lane": f"progress:{run.id}", "bulk_id": run.id, "confirmed": 2}
    ]
    assert got["pending"][0][0] == 4  # the three left out and Bolt's employer request


async def test_a_run_never_decides_more_than_was_confirmed(repo: Repository) -> None:
    refused = await repo.run_bulk(order(BulkAction.APPROVE, "kind:job", 1), NOW)
    assert isinstance(refused, bulk.BulkNotRun) and refused.eligible == 2
    assert (
        await repo.db.read(lambda c: c.execute("SELECT COUNT(*) FROM bulk_runs").fetchone()[0]) == 0
    )
    preview = await repo.preview_bulk(parse_filter("kind:job"), BulkAction.APPROVE, NOW, sample=0)
    assert preview.eligible == 2  # nothing changed


async def test_declining_an_employer_cascades_to_its_jobs(repo: Repository) -> None:
    text = "employer:bolt duplicate:any risk:any"
    result = await repo.run_bulk(
        order(
            BulkAction.DECLINE,
            text,
            3,
            reason_codes=("unverified_employer",),
            message="We could not verify you.",
        ),
        NOW,
    )
    assert isinstance(result, bulk.BulkDone)
    assert result.run.total == 1 and result.cascaded == 2

    def decisions(conn: sqlite3.Connection) -> dict[str, tuple[str, str, str]]:
        found = conn.execute(
            "SELECT r.upstream_id, a.via, a.reasons, r.state FROM requests r"
            " JOIN audit a ON a.id = r.last_audit_id WHERE r.employer_id ="
            " (SELECT id FROM employers WHERE upstream_id = 'emp_bolt')"
        ).fetchall()
        return {r[0]: (r[1], json.loads(r[2])[0]["code"], r[3]) for r in found}

    assert await repo.db.read(decisions) == {
        "emp_bolt": ("bulk", "unverified_employer", "declined"),
        "job_welder": ("auto", "employer_not_approved", "declined"),
        "job_welder2": ("auto", "employer_not_approved", "declined"),
    }


async def test_progress_counts_cards_no_longer_waiting(repo: Repository) -> None:
    result = await repo.run_bulk(order(BulkAction.APPROVE, "kind:job", 2), NOW)
    assert isinstance(result, bulk.BulkDone)
    progress = await repo.load_bulk_progress(result.run.id)
    assert progress is not None and (progress.done, progress.finished) == (0, False)
    await repo.db.write(
        lambda conn: conn.execute(
            "UPDATE outbox SET state = 'delivered' WHERE id = (SELECT MIN(id) FROM outbox"
            " WHERE kind = 'card' AND json_extract(payload, '$.bulk_id') = ?)",
            (result.run.id,),
        )
    )
    progress = await repo.load_bulk_progress(result.run.id)
    assert progress is not None and progress.done == 1
    await repo.save_bulk_progress(
        result.run.id, shown=1, now=NOW, finished=False, channel="C1", message_ts="1.2"
    )
    await repo.db.write(
        lambda conn: conn.execute(
            "UPDATE outbox SET state = 'dead' WHERE kind = 'card' AND state = 'pending'"
        )
    )
    progress = await repo.load_bulk_progress(result.run.id)
    assert progress is not None and progress.finished
    run = progress.run
    assert (run.cards_done, run.channel, run.message_ts, run.finished_at) == (1, "C1", "1.2", None)
