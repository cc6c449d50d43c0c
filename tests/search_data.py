"""A small, varied set of requests stored in a real SQLite file, for filter and bulk tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import to_db
from bot.models import Kind
from bot.submissions import EmployerSubmission, JobSubmission
from storage.db import Database
from storage.deliveries import StoredAnswer
from storage.repository import Repository
from tests.harness import employer, job

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)

EMPLOYERS = [
    employer("emp_acme", name="Acme Analytics", industry="Software", size="51-200"),
    employer(
        "emp_bolt",
        name="Bolt Robotics",
        industry="Manufacturing",
        size="1-10",
        location="Denver, CO",
    ),
    employer("emp_cafe", name="Corner Cafe_50%", industry="Food", size="11-50", location="Austin"),
]
# upstream id: (employer, title, location, received ago, risk, flagged, duplicate of)
JOBS: dict[str, tuple[str, str, str, timedelta, str | None, bool, str | None]] = {
    "job_analyst": (
        "emp_acme",
        "Data Analyst Intern",
        "Austin, TX",
        timedelta(days=5),
        None,
        False,
        None,
    ),
    "job_swe": (
        "emp_acme",
        "Software Engineer",
        "Remote",
        timedelta(hours=1),
        "medium",
        True,
        None,
    ),
    "job_welder": ("emp_bolt", "Welder", "Denver, CO", timedelta(days=10), "high", False, None),
    "job_welder2": (
        "emp_bolt",
        "Welder",
        "Denver, CO",
        timedelta(days=2),
        "low",
        False,
        "job_welder",
    ),
    "job_barista": ("emp_cafe", "Barista", "Austin", timedelta(hours=30), None, False, None),
}


def answer(_: object) -> StoredAnswer:
    return StoredAnswer(200, {})


async def ingest(repo: Repository, kind: Kind, bodies: Sequence[dict[str, Any]]) -> None:
    """What the inbound API stores for these bodies (validated as it validates them)."""
    model = EmployerSubmission if kind is Kind.EMPLOYER else JobSubmission
    await repo.ingest_submissions(
        kind,
        [model.model_validate(body) for body in bodies],
        webhook_id=None,
        endpoint="test",
        respond=answer,
        now=NOW,
    )


def ids_by_upstream(conn: sqlite3.Connection) -> dict[str, int]:
    return {row[0]: row[1] for row in conn.execute("SELECT upstream_id, id FROM requests")}


def _shape(conn: sqlite3.Connection) -> None:
    ids = ids_by_upstream(conn)
    conn.execute("UPDATE requests SET screening = 'done'")
    conn.execute("UPDATE requests SET state = 'approved' WHERE upstream_id = 'emp_acme'")
    conn.execute(
        "UPDATE employers SET status = 'approved', trusted = 1 WHERE upstream_id = 'emp_acme'"
    )
    conn.execute("UPDATE employers SET status = 'approved' WHERE upstream_id = 'emp_cafe'")
    conn.execute("UPDATE requests SET state = 'approved' WHERE upstream_id = 'emp_cafe'")
    for upstream, (_, _, _, ago, risk, flagged, duplicate_of) in JOBS.items():
        conn.execute(
            "UPDATE requests SET received_at = ?, risk_level = ?, flagged_by = ?,"
            " duplicate_of = ?, card_permalink = ? WHERE id = ?",
            (
                to_db(NOW - ago),
                risk,
                "UREV0001" if flagged else None,
                ids[duplicate_of] if duplicate_of else None,
                f"https://slack.example/archives/C0REVIEW/p{ids[upstream]}",
                ids[upstream],
            ),
        )
    label = conn.execute("SELECT id FROM labels WHERE name = 'White Glove'").fetchone()[0]
    acme = conn.execute("SELECT id FROM employers WHERE upstream_id = 'emp_acme'").fetchone()[0]
    conn.execute(
        "INSERT INTO employer_labels (employer_id, label_id, added_at, added_by)"
        " VALUES (?, ?, ?, 'UADMIN0001')",
        (acme, label, to_db(NOW)),
    )


async def seeded_repo(tmp_path: Path) -> Repository:
    """Three employers (Acme approved and trusted, with the White Glove label; Bolt pending;
    the cafe approved) and five pending jobs of every shape."""
    repo = Repository(await Database.open(tmp_path / "search.db"))
    await ingest(repo, Kind.EMPLOYER, EMPLOYERS)
    bodies = [
        job(upstream, employer_id=emp, title=title, location=location)
        for upstream, (emp, title, location, *_) in JOBS.items()
    ]
    await ingest(repo, Kind.JOB, bodies)
    await repo.db.write(_shape)
    return repo


async def request_ids(repo: Repository) -> dict[str, int]:
    return await repo.db.read(ids_by_upstream)
