"""Click path (SPEC 8): signed Approve clicks against jobgate's real server and a bare Bolt app.

    python -m bench.bench_click                      # levels 1, 10, 50, 200 (about 2 minutes)
    python -m bench.bench_click --counts 20,20,20,40 --pending 500 --no-sqlite-floor  # smoke
    python -m bench.bench_click --profile /tmp/jobgate-profiles   # py-spy of jobgate at concurrency 50

Processes: the fake Slack (bench/fake_slack_server.py: the Web API and a webhook sink), the
bot under test (bench/serve_bot.py: create_jobgate + start, with its outbox deliverer and
screener), the bare Bolt floor (bench/bare_bolt.py) and, unless --no-sqlite-floor, the same
bare app with one aiosqlite insert + commit before its ack; each level's clicks come from a
load generator process (bench/loadgen.py). Every click is for a distinct pending request
whose card exists in the fake Slack, so jobgate records a real decision each time (audit row,
state change, outbox rows for the card, thread and webhook), and every app's chat.update
lands on a real message.

Reported per level and app: requests/s, p50/p95/p99/max of the time to the HTTP response,
errors, answers over 1 s, peak RSS of the server; then jobgate/bare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import (
    Bar,
    Results,
    Spy,
    cpu_seconds,
    fmt,
    machine_line,
    peak_rss_mib,
    print_profile,
    reset_peak_rss,
    run_json,
    start,
    stop,
    table,
    wait_idle,
)
from bench.seed import seed_queue

LEVELS = (1, 10, 50, 200)
COUNTS = (300, 1000, 2000, 2000)
WARMUP = 100


async def _render_template(db_path: Path) -> list[dict[str, Any]]:
    from datetime import UTC, datetime

    from handlers.blocks.cards import render_card
    from storage.db import Database
    from storage.repository import Repository

    db = await Database.open(db_path)
    try:
        facts = await Repository(db).load_card_facts(1)
        assert facts is not None
        return list(render_card(facts, datetime.now(UTC))["blocks"])
    finally:
        await db.close()


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:  # loopback only
        return json.loads(response.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--levels", default=",".join(map(str, LEVELS)), help="concurrency levels, comma-separated"
    )
    parser.add_argument(
        "--counts",
        default=",".join(map(str, COUNTS)),
        help="clicks sent at each level, one count per level",
    )
    parser.add_argument("--warmup", type=int, default=WARMUP)
    parser.add_argument("--pending", type=int, default=20_000, help="requests in the queue")
    parser.add_argument("--no-sqlite-floor", action="store_true")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="folder for a py-spy profile of jobgate at concurrency 50",
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    counts = [int(x) for x in args.counts.split(",")]
    if len(levels) != len(counts):
        parser.error(
            f"--counts needs one count per level: {len(levels)} levels, {len(counts)} counts"
        )
    needed = args.warmup + sum(counts)
    pending = max(args.pending, needed)
    results = Results("click")
    print(f"machine: {machine_line()}")

    with tempfile.TemporaryDirectory(prefix="jobgate-bench-click-") as scratch:
        folder = Path(scratch)
        db_path = folder / "jobgate.db"
        started = time.perf_counter()
        placeholders = [("C0REVIEW", f"0.{i:06d}") for i in range(1, needed + 1)]
        seeded = seed_queue(db_path, pending, cards=placeholders)
        template = asyncio.run(_render_template(db_path))
        blocks_file = folder / "card_blocks.json"
        blocks_file.write_text(json.dumps(template))
        procs = []
        try:
            slack = start(
                "fake-slack",
                "bench.fake_slack_server",
                ["--cards", str(needed), "--blocks", str(blocks_file), "--no-validate"],
                folder,
            )
            procs.append(slack)
            cards = [(i + 1, ch, ts) for i, (ch, ts) in enumerate(slack.info["cards"])]
            conn = sqlite3.connect(db_path)
            with conn:
                conn.executemany(
                    "UPDATE requests SET card_ts = ? WHERE id = ?", [(ts, i) for i, _, ts in cards]
                )
            conn.close()
            cards_file = folder / "cards.json"
            cards_file.write_text(json.dumps(cards))
            print(
                f"seeded {seeded['pending']:,} pending requests ({needed:,} with cards to click) "
                f"in {time.perf_counter() - started:.1f} s"
            )
            api = slack.info["api_url"]
            bot = start(
                "jobgate",
                "bench.serve_bot",
                [
                    "--db",
                    str(db_path),
                    "--slack-url",
                    api,
                    "--webhook-url",
                    slack.info["webhook_url"],
                    "--webhook-secret",
                    "whsec_" + "YmVuY2gtd2ViaG9vay1zZWNyZXQtMTIzNA==",
                ],
                folder,
            )
            procs.append(bot)
            bare = start("bare", "bench.bare_bolt", ["--slack-url", api], folder)
            procs.append(bare)
            targets = {"bare": bare, "jobgate": bot}
            if not args.no_sqlite_floor:
                targets["bare+aiosqlite"] = start(
                    "bare-sqlite",
                    "bench.bare_bolt",
                    ["--slack-url", api, "--sqlite", str(folder / "bare.db")],
                    folder,
                )
                procs.append(targets["bare+aiosqlite"])
            server_pids = [p.pid for p in procs]
            offsets = defaultdict(int)

            def load(name: str, concurrency: int, count: int) -> dict[str, Any]:
                proc = targets[name]
                offset = offsets[name] if name == "jobgate" else 0
                offsets[name] += count
                return run_json(
                    "bench.loadgen",
                    [
                        "clicks",
                        "--url",
                        proc.info["url"],
                        "--cards",
                        str(cards_file),
                        "--offset",
                        str(offset),
                        "--count",
                        str(count),
                        "--concurrency",
                        str(concurrency),
                        "--blocks",
                        str(blocks_file),
                        "--response-root",
                        slack.info["root_url"],
                        "--limit-s",
                        "120",
                    ],
                    timeout=300,
                )

            for name in targets:
                if args.warmup:
                    load(name, 10, args.warmup)
            rows: dict[tuple[int, str], dict[str, Any]] = {}
            profile = None
            for index, (level, count) in enumerate(zip(levels, counts, strict=True)):
                order = list(targets)
                if index % 2:
                    order.reverse()
                for name in order:
                    wait_idle(server_pids, busy=0.10, limit=4.0)
                    proc = targets[name]
                    reset_peak_rss(proc.pid)
                    cpu_before = (cpu_seconds(proc.pid), cpu_seconds(slack.pid))
                    spy = None
                    if args.profile is not None and name == "jobgate" and level == 50:
                        spy = Spy(proc.pid, args.profile / "click_c50.txt")
                    outcome = load(name, level, count)
                    if spy is not None:
                        profile = spy.stop()
                    outcome["peak_rss_mib"] = peak_rss_mib(proc.pid)
                    sent = max(1, outcome["sent"])
                    outcome["cpu_ms_per_click"] = (
                        (cpu_seconds(proc.pid) - cpu_before[0]) * 1000 / sent
                    )
                    outcome["slack_cpu_ms_per_click"] = (
                        (cpu_seconds(slack.pid) - cpu_before[1]) * 1000 / sent
                    )
                    rows[(level, name)] = outcome
                    lat = outcome["latency_ms"]
                    print(
                        f"  c={level:<4} {name:15} {outcome['rps']:8.0f}/s  p50 {lat['p50']:7.1f}"
                        f"  p99 {lat['p99']:7.1f}  max {lat['max']:7.1f} ms  errors "
                        f"{outcome['errors']}",
                        flush=True,
                    )
            wait_idle(server_pids, busy=0.10, limit=4.0)
            stats = _get(slack.info["root_url"] + "bench/stats")
            conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
            approved = conn.execute(
                "SELECT COUNT(*) FROM requests WHERE kind = 'job' AND state = 'approved' AND decided_by LIKE 'UREV%'"
            ).fetchone()[0]
            conn.close()
        finally:
            for proc in reversed(procs):
                stop(proc)

    print()
    headers = [
        "level",
        "app",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "errors",
        ">1 s",
        "CPU ms/click",
        "Slack CPU ms/click",
        "peak RSS MiB",
    ]
    lines = []
    for level in levels:
        for name in targets:
            o = rows[(level, name)]
            lat = o["latency_ms"]
            lines.append(
                [
                    f"c={level}",
                    name,
                    o["rps"],
                    lat["p50"],
                    lat["p95"],
                    lat["p99"],
                    lat["max"],
                    o["errors"],
                    o["over_1s"],
                    o["cpu_ms_per_click"],
                    o["slack_cpu_ms_per_click"],
                    o["peak_rss_mib"],
                ]
            )
    print(table(headers, lines))
    print()
    ratio_lines = []
    for level in levels:
        j, b = rows[(level, "jobgate")], rows[(level, "bare")]
        line = [
            f"c={level}",
            j["rps"] / b["rps"],
            j["latency_ms"]["p50"] / b["latency_ms"]["p50"],
            j["latency_ms"]["p99"] / b["latency_ms"]["p99"],
        ]
        if "bare+aiosqlite" in targets:
            s = rows[(level, "bare+aiosqlite")]
            line.append(j["latency_ms"]["p99"] / s["latency_ms"]["p99"])
        ratio_lines.append(line)
    ratio_headers = ["level", "req/s jobgate/bare", "p50 jobgate/bare", "p99 jobgate/bare"]
    if "bare+aiosqlite" in targets:
        ratio_headers.append("p99 jobgate/(bare+aiosqlite)")
    print(table(ratio_headers, ratio_lines))
    print(
        f"\nfake Slack calls: {dict(stats['calls'])}; 429s: {stats['rate_limited']}; "
        f"webhooks received: {stats['webhooks']}"
    )
    print(
        f"jobgate decisions recorded: {approved:,} (clicks answered 200, warm-up included: "
        f"{args.warmup + sum(rows[(lv, 'jobgate')]['statuses'].get('200', 0) for lv in levels):,})"
    )
    if profile is not None:
        print_profile(profile, "the jobgate process at concurrency 50")
        results.details["profile"] = profile

    if 50 in levels:
        j, b = rows[(50, "jobgate")], rows[(50, "bare")]
        r = j["latency_ms"]["p99"] / b["latency_ms"]["p99"]
        results.bars.append(
            Bar(
                "click p99 at c=50 (jobgate/bare Bolt)",
                "ratio <= 1.0",
                f"{fmt(j['latency_ms']['p99'])} ms",
                f"{fmt(b['latency_ms']['p99'])} ms",
                f"{r:.2f}",
                r <= 1.0 and j["errors"] == 0,
            )
        )
    top = max(levels)
    j = rows[(top, "jobgate")]
    results.bars.append(
        Bar(
            f"clicks at c={top}: errors, acks over 1 s",
            "0 and 0",
            f"{j['errors']} errors, {j['over_1s']} over 1 s (max {fmt(j['latency_ms']['max'])} ms)",
            f"bare: {rows[(top, 'bare')]['errors']} errors, max "
            f"{fmt(rows[(top, 'bare')]['latency_ms']['max'])} ms",
            "-",
            j["errors"] == 0 and j["over_1s"] == 0,
        )
    )
    results.details.update(
        {
            "rows": {f"{lv}/{n}": o for (lv, n), o in rows.items()},
            "seeded": seeded,
            "slack": stats,
            "approved": approved,
        }
    )
    results.print_bars()
    results.write(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
