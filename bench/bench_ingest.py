"""Ingest (SPEC 8): signed POST /api/v1/jobs, single objects and arrays of 1,000, against raw
sqlite3 executemany of the same rows in one transaction.

    python -m bench.bench_ingest                                   # about 1 minute
    python -m bench.bench_ingest --singles 200 --batches 4 --batch 100   # smoke

The bot is jobgate's real server (bench/serve_bot.py) with its screener and outbox deliverer
running, as in production, on an empty database; the load generator (bench/loadgen.py) signs
every call with Standard Webhooks before the clock starts. Phases: single objects at
concurrency 10 and 50, then `--batches` arrays of `--batch` jobs at concurrency 2 (the bar),
then `--more-batches` arrays at concurrency 1 and 4, on the table the phases before filled
(how the rate depends on the arrays in flight). The bot's RSS is read before and after the
main array phase (and its peak), and the floor is timed
in-process: the same job rows inserted with `executemany` into a freshly migrated database in
one transaction (rows prepared before the clock, payloads already JSON).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    Bar,
    Results,
    RssSampler,
    Spy,
    children_rss_mib,
    cpu_seconds,
    fmt,
    machine_line,
    peak_rss_mib,
    print_profile,
    reset_peak_rss,
    rss_mib,
    run_json,
    start,
    stop,
    table,
    wait_idle,
)
from bench.loadgen import job_item
from bench.neighbour import share_of_a_core
from bench.seed import migrate

INGEST_SECRET = "whsec_" + "YmVuY2gtaW5nZXN0LXNlY3JldC0xMjM0NTY3OA=="
WEBHOOK_SECRET = "whsec_" + "YmVuY2gtd2ViaG9vay1zZWNyZXQtMTIzNA=="


def floor_items_per_s(path: Path, items: int, employers: int, seed: int) -> dict[str, float]:
    """Raw sqlite3: the same job rows (and their employers), executemany, one transaction."""
    migrate(path)
    rng = random.Random(seed)
    stamp = "2026-11-25T14:05:00.000000Z"
    jobs = [job_item(rng, f"floor_{i}", employers) for i in range(1, items + 1)]
    employer_rows = sorted({(j["employer"]["id"], j["employer"]["name"]) for j in jobs})
    ids = {upstream: n for n, (upstream, _) in enumerate(employer_rows, start=1)}
    rows = [
        (
            "job",
            j["id"],
            ids[j["employer"]["id"]],
            j["title"],
            j["location"],
            json.dumps(j),
            stamp,
            stamp,
            stamp,
        )
        for j in jobs
    ]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO employers (id, upstream_id, name, name_key, status, first_seen_at,"
        " updated_at) VALUES (?, ?, ?, ?, 'unreviewed', ?, ?)",
        [
            (n, upstream, name, name.lower(), stamp, stamp)
            for n, (upstream, name) in enumerate(employer_rows, start=1)
        ],
    )
    conn.executemany(
        "INSERT INTO requests (kind, upstream_id, employer_id, state, title, location, payload,"
        " requested_at, received_at, updated_at, screening)"
        " VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, 'pending')",
        rows,
    )
    conn.execute("COMMIT")
    took = time.perf_counter() - started
    conn.close()
    return {"items": items, "seconds": took, "items_per_s": items / took}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--singles", type=int, default=3000, help="single POSTs per level")
    parser.add_argument("--levels", default="10,50")
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--batch-concurrency", type=int, default=2)
    parser.add_argument(
        "--more-concurrency",
        default="1,4",
        help="arrays in flight for the shorter array phases after the main one ('' for none)",
    )
    parser.add_argument(
        "--more-batches",
        type=int,
        default=60,
        help="arrays in each of those phases (at most --batches)",
    )
    parser.add_argument("--employers", type=int, default=500)
    parser.add_argument(
        "--array-limit-s",
        type=float,
        default=240.0,
        help="stop sending arrays after this (items stored are reported)",
    )
    parser.add_argument(
        "--no-deliver",
        action="store_true",
        help="diagnosis: the bot without its screener and outbox deliverer",
    )
    parser.add_argument(
        "--screen-in-thread",
        action="store_true",
        help="A/B: screening on a thread of the bot instead of its worker process",
    )
    parser.add_argument(
        "--parse-in-bot",
        action="store_true",
        help="A/B: large arrays parsed in the bot's process instead of its parse worker",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="folder for py-spy profiles of each single-POST level and the array phase",
    )
    parser.add_argument(
        "--neighbour",
        type=share_of_a_core,
        default=None,
        metavar="SHARE",
        help="diagnosis: another process keeps this share of one core busy through the load"
        " phases, stopped before the floor is timed (bench/neighbour.py)",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    more_concurrency = list(
        dict.fromkeys(
            int(x)
            for x in args.more_concurrency.split(",")
            if x and int(x) != args.batch_concurrency
        )
    )
    jobs_before: dict[int, int] = {}

    def array_phase(concurrency: int) -> str:
        return f"array of {args.batch:,}, c={concurrency}"

    results = Results("ingest")
    print(f"machine: {machine_line()}")
    rows: list[list[Any]] = []
    outcomes: dict[str, dict[str, Any]] = {}
    profiles: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="jobgate-bench-ingest-") as scratch:
        folder = Path(scratch)
        procs = []
        try:
            if args.neighbour is not None:
                procs.append(
                    start("neighbour", "bench.neighbour", ["--share", str(args.neighbour)], folder)
                )
                print(
                    f"a neighbour process keeps {args.neighbour:.0%} of one core busy through the"
                    " load (not the floor)"
                )
            slack = start("fake-slack", "bench.fake_slack_server", [], folder)
            procs.append(slack)
            bot = start(
                "jobgate",
                "bench.serve_bot",
                [
                    "--db",
                    str(folder / "jobgate.db"),
                    "--slack-url",
                    slack.info["api_url"],
                    "--ingest-secret",
                    INGEST_SECRET,
                    "--webhook-url",
                    slack.info["webhook_url"],
                    "--webhook-secret",
                    WEBHOOK_SECRET,
                    *(["--no-deliver"] if args.no_deliver else []),
                    *(["--screen-in-thread"] if args.screen_in_thread else []),
                    *(["--parse-in-bot"] if args.parse_in_bot else []),
                ],
                folder,
            )
            procs.append(bot)
            url = bot.info["url"]
            print(f"bot on the {bot.info.get('loop', '?')} event loop")

            def load(
                name: str,
                prefix: str,
                count: int,
                batch: int,
                concurrency: int,
                array: bool = False,
                profile: str | None = None,
            ) -> dict[str, Any]:
                wait_idle([bot.pid], busy=0.10, limit=4.0)
                cpu = cpu_seconds(bot.pid)
                extra = ["--array"] if array else []
                spy = (
                    Spy(bot.pid, args.profile / f"ingest_{profile}.txt")
                    if args.profile is not None and profile
                    else None
                )
                outcome = run_json(
                    "bench.loadgen",
                    [
                        "jobs",
                        "--url",
                        url,
                        "--ingest-secret",
                        INGEST_SECRET,
                        "--count",
                        str(count),
                        "--batch",
                        str(batch),
                        "--concurrency",
                        str(concurrency),
                        "--prefix",
                        prefix,
                        "--employers",
                        str(args.employers),
                        "--limit-s",
                        str(args.array_limit_s if array else 240),
                        *extra,
                    ],
                    timeout=900,
                )
                outcome["cpu_s"] = cpu_seconds(bot.pid) - cpu
                if spy is not None:
                    profiles[name] = spy.stop()
                outcomes[name] = outcome
                lat = outcome["latency_ms"]
                rows.append(
                    [
                        name,
                        outcome["sent"],
                        outcome["items_ok"],
                        outcome["rps"],
                        outcome["items_per_s"],
                        lat["p50"],
                        lat["p99"],
                        lat["max"],
                        outcome["errors"],
                        # an array's item costs about a tenth of a single POST: whole
                        # microseconds show the difference that milliseconds round away
                        f"{outcome['cpu_s'] * 1e6 / max(1, outcome['items_ok']):,.0f}",
                        f"{outcome['loadgen_cpu_share']:.0%}",
                    ]
                )
                print(
                    f"  {name:24} {outcome['items_per_s']:9.0f} items/s  p99 {lat['p99']:7.1f} ms"
                    f"  errors {outcome['errors']}",
                    flush=True,
                )
                return outcome

            load("warm-up", "warm", 100, 1, 10)
            rows.clear()
            for level in levels:
                load(
                    f"single, c={level}",
                    f"s{level}",
                    args.singles,
                    1,
                    level,
                    profile=f"single_c{level}",
                )
            rss_before = rss_mib(bot.pid)
            worker_before = children_rss_mib(bot.pid)
            reset_peak_rss(bot.pid)
            sampler = RssSampler(bot.pid)
            load(
                array_phase(args.batch_concurrency),
                "arr",
                args.batches,
                args.batch,
                args.batch_concurrency,
                array=True,
                profile="arrays",
            )
            samples = sampler.stop()
            rss_after = rss_mib(bot.pid)
            peak = peak_rss_mib(bot.pid)
            time.sleep(2.0)
            rss_settled = rss_mib(bot.pid)
            worker_settled = children_rss_mib(bot.pid)
            wal_mib = (folder / "jobgate.db-wal").stat().st_size / 2**20
            database_mib = (folder / "jobgate.db").stat().st_size / 2**20
            for concurrency in more_concurrency:
                # these run on the table the phases before them filled
                jobs_before[concurrency] = sum(o["items_ok"] for o in outcomes.values())
                load(
                    array_phase(concurrency),
                    f"arr{concurrency}",
                    min(args.more_batches, args.batches),
                    args.batch,
                    concurrency,
                    array=True,
                )
            conn = sqlite3.connect(f"file:{folder / 'jobgate.db'}?mode=ro", uri=True)
            stored = conn.execute("SELECT COUNT(*) FROM requests WHERE kind = 'job'").fetchone()[0]
            unscreened = conn.execute(
                "SELECT COUNT(*) FROM requests WHERE screening != 'done'"
            ).fetchone()[0]
            conn.close()
        finally:
            for proc in reversed(procs):
                stop(proc)
        array_items = outcomes[array_phase(args.batch_concurrency)]["items_ok"]
        floor = floor_items_per_s(folder / "floor.db", array_items, args.employers, 5)

    print()
    print(
        table(
            [
                "phase",
                "calls",
                "items stored",
                "calls/s",
                "items/s",
                "p50 ms",
                "p99 ms",
                "max ms",
                "errors",
                "CPU µs/item, bot + workers",
                "load generator CPU",
            ],
            rows,
        )
    )
    print(
        f"\nfloor: raw sqlite3 executemany of {floor['items']:,} job rows in one transaction: "
        f"{floor['seconds']:.2f} s = {floor['items_per_s']:,.0f} items/s"
    )
    print(
        f"jobs stored {stored:,}; still waiting for screening when the load ended: "
        f"{unscreened:,} (the screener runs after the ingest, off the request path)"
    )
    print(
        f"bot RSS before the {array_items:,} array items {rss_before:.0f} MiB, after "
        f"{rss_after:.0f} MiB, 2 s later {rss_settled:.0f} MiB, peak {peak:.0f} MiB"
    )
    print(
        f"its worker processes' RSS (screening and parse, not in the figures above) before"
        f" {worker_before:.0f} MiB, 2 s after {worker_settled:.0f} MiB"
    )
    print(
        f"WAL file at the end of the array phase: {wal_mib:.1f} MiB (the database file"
        f" {database_mib:.0f} MiB)"
    )
    quarters = [samples[min(len(samples) - 1, len(samples) * q // 4)] for q in range(5)]
    print(
        "bot RSS during the array phase at 0/25/50/75/100% of its time: "
        + " / ".join(f"{r:.0f}" for _, r in quarters)
        + " MiB"
    )
    half_growth = quarters[4][1] - quarters[2][1]
    for name, profile in profiles.items():
        if profile:
            print_profile(profile, f"the jobgate process, {name}")

    def against_floor(name: str, target: str, measured: str, rate: float, met: bool | None) -> Bar:
        floor_rate = floor["items_per_s"]
        return Bar(
            name, target, measured, f"{fmt(floor_rate)} rows/s", f"{rate / floor_rate:.3f}", met
        )

    for level in levels:
        o = outcomes[f"single, c={level}"]
        results.bars.append(
            against_floor(
                f"ingest single POST, c={level}",
                ">= 1,000/s",
                f"{fmt(o['items_per_s'])}/s",
                o["items_per_s"],
                o["items_per_s"] >= 1000 and o["errors"] == 0,
            )
        )
    o = outcomes[array_phase(args.batch_concurrency)]
    results.bars.append(
        against_floor(
            f"ingest arrays of {args.batch:,}, {args.batch_concurrency} in flight",
            ">= 10,000 items/s",
            f"{fmt(o['items_per_s'])} items/s",
            o["items_per_s"],
            o["items_per_s"] >= 10_000 and o["errors"] == 0,
        )
    )
    for concurrency in more_concurrency:
        o = outcomes[array_phase(concurrency)]
        errors = f", {o['errors']} errors" if o["errors"] else ""
        results.bars.append(
            against_floor(
                f"  the same, {concurrency} in flight, after {jobs_before[concurrency]:,} jobs",
                "(context)",
                f"{fmt(o['items_per_s'])} items/s, p99 {o['latency_ms']['p99']:.0f} ms{errors}",
                o["items_per_s"],
                None,
            )
        )
    results.bars.append(
        Bar(
            f"memory over {array_items:,} items",
            "flat",
            f"RSS {rss_before:.0f} -> {rss_settled:.0f} MiB (peak {peak:.0f}); "
            f"2nd half {half_growth:+.0f} MiB",
            "-",
            "-",
            half_growth < 0.1 * quarters[2][1] + 10,
        )
    )
    results.details.update(
        {
            "outcomes": outcomes,
            "floor": floor,
            "stored": stored,
            "unscreened": unscreened,
            "rss": [rss_before, rss_after, rss_settled, peak],
            "worker_rss": [worker_before, worker_settled],
            "wal_mib": wal_mib,
            "rss_quarters": quarters,
            "profiles": profiles,
        }
    )
    results.print_bars()
    results.write(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
