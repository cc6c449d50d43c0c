"""Queue at scale (SPEC 8): with 100,000 pending requests stored, the digest build, a saved
search, the employer snapshot, duplicate detection of a new job, the screener's idle poll and a
bulk decision over 5,000 requests committed, each against floors timed in the same run.

    python -m bench.bench_queue                     # 100,000 pending (about 1 minute)
    python -m bench.bench_queue --pending 3000 --bulk 200 --runs 3   # smoke

It seeds a real SQLite file through jobgate's migrations (bench/seed.py), then calls the
repository exactly as the bot does (the same Database: one writer with group commit, a reader,
a slow reader). Floors: `SELECT COUNT(*)` of the pending requests (for the digest and the saved
search), one `SELECT` by primary key (for per-request work), and for the bulk decision a raw
`UPDATE requests SET state … WHERE id IN (5,000 ids)` in one transaction, rolled back.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bench.common import Bar, Results, machine_line, summary_ms, table
from bench.loadgen import job_item
from bench.seed import NOW, seed_queue
from bot.models import Kind
from bot.submissions import JobSubmission
from handlers.blocks.digest import render_digest  # before bot.jobs: import cycle
from storage.db import Database
from storage.repository import Repository

T = TypeVar("T")
SEARCH = "kind:job location:austin age:>3d risk:none,low"


async def timed(fn: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    started = time.perf_counter()
    value = await fn()
    return value, time.perf_counter() - started


async def repeat(fn: Callable[[], Awaitable[Any]], runs: int) -> list[float]:
    return [(await timed(fn))[1] for _ in range(runs)]


def _count_pending(conn: Any) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM requests WHERE state = 'pending'").fetchone()[0])


async def measure(
    path: Path, args: argparse.Namespace
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    from bot.jobs import DigestPlace, build_digest  # after handlers (bot.jobs <-> handlers cycle)

    place = DigestPlace("C0REVIEW", ZoneInfo("America/New_York"), NOW.time())
    db = await Database.open(path)
    repo = Repository(db)
    rng = random.Random(3)
    t: dict[str, list[float]] = {}
    facts: dict[str, Any] = {}
    try:
        # floors
        t["floor: SELECT COUNT(*) pending"] = await repeat(
            lambda: db.read_slow(_count_pending), args.runs
        )
        ids = [rng.randrange(1, args.pending + 1) for _ in range(200)]
        pk = []
        for request_id in ids:
            pk.append(
                (
                    await timed(
                        lambda r=request_id: db.read(
                            lambda c: c.execute(
                                "SELECT * FROM requests WHERE id = ?", (r,)
                            ).fetchone()
                        )
                    )
                )[1]
            )
        t["floor: SELECT by primary key"] = pk

        # digest
        async def digest() -> Any:
            built = await build_digest(repo, place, NOW)
            render_digest(built)
            return built

        t["digest: build_digest + render_digest"] = await repeat(digest, args.runs)
        built = await digest()
        facts["digest_pending"] = built.pending_total

        # saved search (storage/searches.py, storage/filtering.py, bot/filters.py)
        try:
            from bot.filters import parse_filter

            await repo.save_search("austin-quiet", SEARCH, actor="UADMIN0001", now=NOW)
            saved = await repo.get_saved_search("austin-quiet")
            assert saved is not None
            f = parse_filter(saved.filter_text)

            async def search() -> Any:
                count = await repo.count_matching(f, NOW)
                page = await repo.list_matching(f, NOW, limit=20)
                return count, page

            t["saved search: count + first 20"] = await repeat(search, args.runs)
            facts["search_matches"] = (await search())[0]
        except (ImportError, AttributeError) as exc:  # the feature is being written
            facts["search_missing"] = repr(exc)

        # employer snapshot
        snaps = []
        for _ in range(50):
            employer = rng.randrange(1, args.employers + 1)
            snaps.append((await timed(lambda e=employer: repo.employer_snapshot(e)))[1])
        t["employer snapshot"] = snaps

        # duplicate detection of new jobs (the screener's local screening, one job at a time)
        items = []
        for n in range(args.new_jobs):
            item = job_item(rng, f"newjob_{n}", args.employers)
            employer = rng.randrange(1, args.employers + 1)
            item["employer"] = {"id": f"emp{employer}", "name": f"Employer {employer} Inc"}
            items.append(JobSubmission.model_validate(item))
        await repo.ingest_submissions(
            Kind.JOB,
            items,
            webhook_id=None,
            endpoint="/api/v1/jobs",
            respond=lambda results: None,
            now=NOW,
        )  # type: ignore[arg-type,return-value]
        inputs = await repo.list_pending_screening(args.new_jobs)
        dup = []
        for item in inputs:
            dup.append(
                (
                    await timed(
                        lambda i=item: repo.compute_local_screening([i], NOW, url_check=False)
                    )
                )[1]
            )
        t["duplicate check of a new job"] = dup
        local = await repo.compute_local_screening(inputs, NOW, url_check=False)
        await repo.save_local_screening(local, NOW, url_check=False)

        # the screener's poll when nothing waits (every second, twice: 'pending' and 'urls')
        t["screener idle poll (list_pending_screening)"] = await repeat(
            lambda: repo.list_pending_screening(200), args.runs
        )
        t["floor: count_unscreened (partial index)"] = await repeat(
            repo.count_unscreened, args.runs
        )

        # bulk decision over ~N requests, committed
        try:
            await bulk(repo, db, args, t, facts)
        except (ImportError, AttributeError) as exc:
            facts["bulk_missing"] = repr(exc)
    finally:
        await db.close()
    return t, facts


async def bulk(
    repo: Repository,
    db: Database,
    args: argparse.Namespace,
    t: dict[str, list[float]],
    facts: dict[str, Any],
) -> None:
    from bot.bulk import BulkAction, BulkOrder
    from bot.filters import parse_filter

    # the oldest requests, by hours waited, until about args.bulk are eligible
    low, high = 1, 24 * 40
    chosen, preview = None, None
    while low <= high:
        hours = (low + high) // 2
        text = f"kind:job age:>{24 * 31 - hours}h"
        preview = await repo.preview_bulk(parse_filter(text), BulkAction.APPROVE, NOW, sample=0)
        if preview.eligible >= args.bulk:
            chosen, high = (text, preview), hours - 1
        else:
            low = hours + 1
    assert chosen is not None, "not enough eligible requests for the bulk run"
    text, preview = chosen
    facts["bulk_filter"] = text
    facts["bulk_matched"] = preview.matched
    facts["bulk_eligible"] = preview.eligible
    _, preview_s = await timed(
        lambda: repo.preview_bulk(parse_filter(text), BulkAction.APPROVE, NOW, sample=10)
    )
    t["bulk preview (counts + sample)"] = [preview_s]

    # floor: the same number of rows updated raw in one transaction, rolled back
    def raw_update(conn: Any) -> float:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM requests WHERE state = 'pending' AND kind = 'job'"
                " ORDER BY received_at DESC LIMIT ?",
                (preview.eligible,),
            )
        ]
        started = time.perf_counter()
        conn.execute("SAVEPOINT floor")
        conn.executemany(
            "UPDATE requests SET state = 'approved', decided_at = ?, decided_by = 'UADMIN0001'"
            " WHERE id = ?",
            [("2026-01-01T00:00:00.000000Z", i) for i in ids],
        )
        conn.execute("ROLLBACK TO floor")
        conn.execute("RELEASE floor")
        return time.perf_counter() - started

    t["floor: raw UPDATE of as many rows"] = [await db.write(raw_update)]
    order = BulkOrder(
        action=BulkAction.APPROVE,
        filter_text=text,
        actor="UADMIN0001",
        channel="C0REVIEW",
        confirmed=preview.eligible,
    )
    result, took = await timed(lambda: repo.run_bulk(order, NOW))
    t["bulk decision, committed"] = [took]
    facts["bulk_result"] = type(result).__name__
    facts["bulk_decided"] = sum(getattr(result, "by_kind", {}).values())
    run = getattr(result, "run", None)
    if run is not None:  # and the whole run undone a minute later (/jobgate bulk undo)
        undone, took = await timed(
            lambda: repo.undo_bulk(run.id, actor="UADMIN0001", now=NOW + timedelta(minutes=1))
        )
        t["bulk undo of the run, committed"] = [took]
        facts["bulk_undone"] = getattr(undone, "reverted", repr(undone))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--employers", type=int, default=2000)
    parser.add_argument("--bulk", type=int, default=5000)
    parser.add_argument("--new-jobs", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results = Results("queue")
    print(f"machine: {machine_line()}")
    with tempfile.TemporaryDirectory(prefix="jobgate-bench-queue-") as scratch:
        path = Path(scratch) / "jobgate.db"
        started = time.perf_counter()
        seeded = seed_queue(path, args.pending, employers=args.employers)
        print(
            f"seeded {args.pending:,} pending requests ({seeded}) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        timings, facts = asyncio.run(measure(path, args))
    count_floor = statistics.median(timings["floor: SELECT COUNT(*) pending"])
    pk_floor = statistics.median(timings["floor: SELECT by primary key"])
    rows = []
    for name, values in timings.items():
        s = summary_ms(values)
        median = statistics.median(values)
        rows.append(
            [
                name,
                len(values),
                median * 1000,
                s["p99"],
                s["max"],
                median / count_floor,
                median / pk_floor,
            ]
        )
    print()
    print(
        table(
            [
                "operation",
                "runs",
                "median ms",
                "p99 ms",
                "max ms",
                "x COUNT(*) floor",
                "x PK floor",
            ],
            rows,
        )
    )
    print(f"\nfacts: {facts}")

    def med(name: str) -> float | None:
        values = timings.get(name)
        return statistics.median(values) if values else None

    digest = med("digest: build_digest + render_digest")
    assert digest is not None
    results.bars.append(
        Bar(
            f"digest, {args.pending:,} pending",
            "< 500 ms",
            f"{digest * 1000:.0f} ms",
            f"{count_floor * 1000:.1f} ms (COUNT)",
            f"{digest / count_floor:.1f}",
            digest < 0.5,
        )
    )
    search = med("saved search: count + first 20")
    results.bars.append(
        Bar(
            "saved search (count + page)",
            "(no bar)",
            f"{search * 1000:.0f} ms" if search else f"not measured: {facts.get('search_missing')}",
            f"{count_floor * 1000:.1f} ms (COUNT)",
            f"{search / count_floor:.1f}" if search else "-",
        )
    )
    snap = med("employer snapshot")
    assert snap is not None
    results.bars.append(
        Bar(
            "employer snapshot",
            "(no bar)",
            f"{snap * 1000:.1f} ms",
            f"{pk_floor * 1000:.2f} ms (PK)",
            f"{snap / pk_floor:.0f}",
        )
    )
    dup = med("duplicate check of a new job")
    assert dup is not None
    results.bars.append(
        Bar(
            "duplicate check, new job",
            "(no bar)",
            f"{dup * 1000:.1f} ms",
            f"{pk_floor * 1000:.2f} ms (PK)",
            f"{dup / pk_floor:.0f}",
        )
    )
    poll = med("screener idle poll (list_pending_screening)")
    unscreened = med("floor: count_unscreened (partial index)")
    assert poll is not None and unscreened is not None
    results.bars.append(
        Bar(
            "screener idle poll (2/s)",
            "(no bar)",
            f"{poll * 1000:.1f} ms",
            f"{unscreened * 1000:.2f} ms (index)",
            f"{poll / unscreened:.0f}",
        )
    )
    took = med("bulk decision, committed")
    floor = med("floor: raw UPDATE of as many rows")
    if took is not None and floor is not None:
        results.bars.append(
            Bar(
                f"bulk decision over {facts.get('bulk_decided', 0):,}",
                "< 2 s committed",
                f"{took:.2f} s",
                f"{floor * 1000:.0f} ms (raw UPDATE)",
                f"{took / floor:.0f}",
                took < 2.0 and facts.get("bulk_decided", 0) >= args.bulk,
            )
        )
    else:
        results.bars.append(
            Bar(
                "bulk decision",
                "< 2 s committed",
                f"not measured: {facts.get('bulk_missing')}",
                met=None,
            )
        )
    results.details.update(
        {
            "timings_ms": {k: [v * 1000 for v in vs] for k, vs in timings.items()},
            "facts": facts,
            "seeded": seeded,
        }
    )
    results.print_bars()
    results.write(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
