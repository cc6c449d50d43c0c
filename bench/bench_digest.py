"""Digest build time with a large queue (SPEC 8: under 0.5 s for 100,000 pending requests).

    python bench/bench_digest.py [--pending 100000] [--runs 7]

Seeds a real SQLite file through jobgate's migrations (raw inserts, to seed fast), then times
`build_digest` (every SQL aggregate plus the ten listed requests) and its Block Kit rendering,
against a baseline measured in the same run: one `SELECT COUNT(*)` over the pending requests.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.clock import to_db
from bot.jobs import DigestPlace, build_digest
from handlers.blocks.digest import render_digest
from storage.db import Database
from storage.repository import Repository

NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
PLACE = DigestPlace("C0REVIEW", ZoneInfo("America/New_York"), datetime.min.time())


def seed(path: Path, pending: int, employers: int = 2000) -> None:
    import sqlite3

    rng = random.Random(7)
    conn = sqlite3.connect(path)
    stamp = to_db(NOW)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO employers (id, upstream_id, name, name_key, status, first_seen_at, updated_at)"
        " VALUES (?, ?, ?, ?, 'approved', ?, ?)",
        [
            (i, f"emp_{i}", f"Employer {i}", f"employer {i}", stamp, stamp)
            for i in range(1, employers + 1)
        ],
    )
    rows = []
    for i in range(1, pending + 1):
        received = NOW - timedelta(minutes=rng.randrange(0, 60 * 24 * 30))
        state = "pending"
        risk = rng.choice([None] * 18 + ["medium", "high"])
        rows.append(
            (
                i,
                "job",
                f"job_{i}",
                rng.randrange(1, employers + 1),
                state,
                f"Role {i}",
                "{}",
                to_db(received),
                to_db(received),
                risk,
                f"https://jobgate.slack.com/archives/C0REVIEW/p{i}",
            )
        )
    conn.executemany(
        "INSERT INTO requests (id, kind, upstream_id, employer_id, state, title, payload,"
        " received_at, updated_at, risk_level, card_permalink) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    held = [(to_db(NOW + timedelta(days=rng.randrange(1, 10))), i) for i in range(1, pending // 50)]
    conn.executemany(
        "UPDATE requests SET state = 'on_hold', hold_expires_at = ? WHERE id = ?", held
    )
    yesterday = NOW - timedelta(days=1)
    conn.executemany(
        "INSERT INTO audit (request_id, employer_id, action, actor, via, at) VALUES (?, 1, ?, ?, 'button', ?)",
        [
            (
                rng.randrange(1, pending),
                rng.choice(["approved", "declined", "on_hold"]),
                f"UREV{rng.randrange(1, 8):04d}",
                to_db(yesterday + timedelta(minutes=rng.randrange(0, 600))),
            )
            for _ in range(3000)
        ],
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


async def migrate(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


async def measure(path: Path, runs: int) -> dict[str, list[float]]:
    db = await Database.open(path)
    repo = Repository(db)
    timings: dict[str, list[float]] = {
        "baseline: SELECT COUNT(*) pending": [],
        "build_digest": [],
        "render_digest": [],
    }
    try:
        for _ in range(runs):
            started = time.perf_counter()
            await db.read_slow(
                lambda c: c.execute(
                    "SELECT COUNT(*) FROM requests WHERE state = 'pending'"
                ).fetchone()
            )
            timings["baseline: SELECT COUNT(*) pending"].append(time.perf_counter() - started)
            started = time.perf_counter()
            facts = await build_digest(repo, PLACE, NOW)
            timings["build_digest"].append(time.perf_counter() - started)
            started = time.perf_counter()
            render_digest(facts)
            timings["render_digest"].append(time.perf_counter() - started)
        print(
            f"  pending={facts.pending_total:,} over_sla={facts.over_sla:,} flagged={facts.flagged:,} "
            f"holds={facts.holds_waiting:,} reviewers_yesterday={len(facts.yesterday)}"
        )
    finally:
        await db.close()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        asyncio.run(migrate(path))
        started = time.perf_counter()
        seed(path, args.pending)
        print(f"seeded {args.pending:,} requests in {time.perf_counter() - started:.1f} s")
        timings = asyncio.run(measure(path, args.runs))
    baseline = statistics.median(timings["baseline: SELECT COUNT(*) pending"])
    print(f"{'operation':40} {'median ms':>10} {'max ms':>9} {'× baseline':>11}")
    for name, values in timings.items():
        median = statistics.median(values)
        print(
            f"{name:40} {median * 1000:10.1f} {max(values) * 1000:9.1f} {median / baseline:11.1f}"
        )
    bar = statistics.median(timings["build_digest"]) + statistics.median(timings["render_digest"])
    print(
        f"digest for {args.pending:,} pending: {bar * 1000:.0f} ms (bar: 500 ms) -> {'MET' if bar < 0.5 else 'NOT MET'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
