"""Bulk decision commit time: N stored requests, one bulk approve over M of them.

    /work/venv/bin/python bench/bench_bulk.py [--requests 100000] [--match 5000] [--runs 3]

Seeds a real SQLite file through the repository (the same ingest the platform API uses), with
one approved employer whose M pending jobs the bulk run matches (`employer:emp_bulk`) among
N - M pending jobs of 200 other employers. Each run times `Repository.run_bulk` end to end (the
write queue, the one transaction with its M decisions, audit rows and outbox rows, the commit)
on a fresh copy of the file (wall time, and the process's CPU time, which moves less on a
busy machine), and reports the preview (`preview_bulk`) time too.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.bulk import BulkAction, BulkOrder
from bot.filters import format_filter, parse_filter
from bot.models import Kind
from bot.submissions import EmployerSubmission, JobSubmission
from storage.bulk import BulkDone
from storage.db import Database
from storage.deliveries import StoredAnswer
from storage.repository import Repository

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
BATCH = 1000


def job(upstream: str, employer: str, i: int) -> JobSubmission:
    return JobSubmission.model_validate(
        {
            "id": upstream,
            "employer": {"id": employer, "name": f"Employer {employer}"},
            "title": f"Analyst {i}",
            "description": f"Build dashboards and reports for team {i}; SQL and Python.",
            "location": "Austin, TX",
            "pay": {"min": 25, "max": 30, "currency": "USD", "period": "hour"},
            "apply_url": f"https://{employer}.example/careers/{i}",
            "requested_at": "2026-11-25T14:05:00Z",
        }
    )


def answer(_: object) -> StoredAnswer:
    return StoredAnswer(200, {})


async def seed(path: Path, total: int, matching: int) -> None:
    repo = Repository(await Database.open(path))
    try:
        employers = [EmployerSubmission(id="emp_bulk", name="Bulk Co")]
        employers += [EmployerSubmission(id=f"emp_{e}", name=f"Other {e}") for e in range(200)]
        await repo.ingest_submissions(
            Kind.EMPLOYER, employers, webhook_id=None, endpoint="bench", respond=answer, now=NOW
        )
        jobs = [job(f"bulk_{i}", "emp_bulk", i) for i in range(matching)]
        jobs += [job(f"other_{i}", f"emp_{i % 200}", i) for i in range(total - matching)]
        for start in range(0, len(jobs), BATCH):
            await repo.ingest_submissions(
                Kind.JOB,
                jobs[start : start + BATCH],
                webhook_id=None,
                endpoint="bench",
                respond=answer,
                now=NOW,
            )

        def settle(conn) -> None:  # type: ignore[no-untyped-def]
            conn.execute("UPDATE requests SET screening = 'done'")
            conn.execute(
                "UPDATE requests SET state = 'approved' WHERE kind = 'employer'"
                " AND upstream_id = 'emp_bulk'"
            )
            conn.execute("UPDATE employers SET status = 'approved'")
            conn.execute("DELETE FROM outbox")

        await repo.db.write(settle)
    finally:
        await repo.db.close()


async def one_run(path: Path, matching: int) -> tuple[float, float, float]:
    repo = Repository(await Database.open(path))
    try:
        f = parse_filter("kind:job employer:emp_bulk")
        started = time.perf_counter()
        preview = await repo.preview_bulk(f, BulkAction.APPROVE, NOW, sample=10)
        preview_s = time.perf_counter() - started
        assert preview.eligible == matching, preview
        order = BulkOrder(
            action=BulkAction.APPROVE,
            filter_text=format_filter(f),
            actor="UADMIN0001",
            channel="C0REVIEW",
            confirmed=preview.eligible,
        )
        started, cpu = time.perf_counter(), time.process_time()
        result = await repo.run_bulk(order, NOW)
        commit_s, cpu_s = time.perf_counter() - started, time.process_time() - cpu
        assert isinstance(result, BulkDone) and result.run.total == matching, result
        return preview_s, commit_s, cpu_s
    finally:
        await repo.db.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--match", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        seeded = Path(folder) / "seeded.db"
        started = time.perf_counter()
        await seed(seeded, args.requests, args.match)
        print(f"seeded {args.requests:,} pending jobs in {time.perf_counter() - started:.1f} s")
        previews, commits, cpus = [], [], []
        for run in range(args.runs):
            copy = Path(folder) / f"run{run}.db"
            shutil.copyfile(seeded, copy)
            preview_s, commit_s, cpu_s = await one_run(copy, args.match)
            previews.append(preview_s)
            commits.append(commit_s)
            cpus.append(cpu_s)
            print(
                f"run {run + 1}: preview {preview_s * 1000:.0f} ms, "
                f"commit {commit_s:.2f} s (CPU {cpu_s:.2f} s)"
            )
        print(
            f"bulk approve of {args.match:,} among {args.requests:,}: commit median "
            f"{statistics.median(commits):.2f} s (bar: 2 s; CPU {statistics.median(cpus):.2f} s),"
            f" preview median {statistics.median(previews) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    asyncio.run(main())
