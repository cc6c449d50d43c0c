"""Slack pacing (SPEC 8): 1,000 new requests at once against a fake Slack that allows about one
chat.postMessage per second per channel with short bursts and answers 429 beyond; how long
until every card is posted, how many 429s, and that no card is lost or doubled.

    python -m bench.bench_pacing                    # 1,000 cards, time-scaled K=20 (about 1 min)
    python -m bench.bench_pacing --cards 60 --scale 20   # smoke

1,000 cards at a real 1/s is 17 minutes, so the run is time-scaled: the fake's limit
(`api.limit_posts_per_channel(per_second=K, burst=B)`) and the bot's pacing
(`SlackPacing().scaled(K)`, burst 3) are both K times faster. Reported: the scaled wall time,
and the equivalent real time (time to the first card, which is screening and is not scaled,
plus K x the time from the first card to the last). One thing does not scale: the fake answers
429 with a whole-second Retry-After (at least 1 s), as Slack does, so each 429 costs the
scaled run K times more than it would really.

The floor is the fake's own limit: B cards at once, then one every 1/K s.
"""

from __future__ import annotations

import argparse
import bisect
import json
import re
import sqlite3
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import Bar, Results, machine_line, run_json, start, stop, table

INGEST_SECRET = "whsec_" + "YmVuY2gtaW5nZXN0LXNlY3JldC0xMjM0NTY3OA=="
WEBHOOK_SECRET = "whsec_" + "YmVuY2gtd2ViaG9vay1zZWNyZXQtMTIzNA=="
FOOTER_ID = re.compile(r"job `(pace_\d+)`")


def posting_order(messages: list[dict[str, Any]]) -> tuple[int, int]:
    """How far the channel's order is from the order the platform sent the requests in:
    (cards out of place: all but the longest run in order, which need not be contiguous;
    the furthest any card landed from its place, in positions)."""
    serials = [
        int(found.group(1).removeprefix("pace_"))
        for message in messages
        if (found := FOOTER_ID.search(message["footer"]))
    ]
    tails: list[int] = []  # patience sorting: the longest increasing subsequence's length
    for serial in serials:
        at = bisect.bisect_left(tails, serial)
        tails[at : at + 1] = [serial]
    ranks = {serial: rank for rank, serial in enumerate(sorted(serials))}
    moved = max((abs(i - ranks[s]) for i, s in enumerate(serials)), default=0)
    return len(serials) - len(tails), moved


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:  # loopback only
        return json.loads(response.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--scale", type=float, default=20.0, help="K")
    parser.add_argument("--burst", type=float, default=3.0, help="the fake's burst per channel")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    k = args.scale
    results = Results("pacing")
    print(f"machine: {machine_line()}")
    floor_s = max(0.0, args.cards - args.burst) / k
    limit_s = 3 * floor_s + 120
    with tempfile.TemporaryDirectory(prefix="jobgate-bench-pacing-") as scratch:
        folder = Path(scratch)
        procs = []
        try:
            slack = start(
                "fake-slack",
                "bench.fake_slack_server",
                ["--post-limit", f"{k},{args.burst}"],
                folder,
            )
            procs.append(slack)
            db_path = folder / "jobgate.db"
            bot = start(
                "jobgate",
                "bench.serve_bot",
                [
                    "--db",
                    str(db_path),
                    "--slack-url",
                    slack.info["api_url"],
                    "--ingest-secret",
                    INGEST_SECRET,
                    "--webhook-url",
                    slack.info["webhook_url"],
                    "--webhook-secret",
                    WEBHOOK_SECRET,
                    "--pacing-scale",
                    str(k),
                ],
                folder,
            )
            procs.append(bot)
            root = slack.info["root_url"]
            sent_at = time.monotonic()
            outcome = run_json(
                "bench.loadgen",
                [
                    "jobs",
                    "--url",
                    bot.info["url"],
                    "--ingest-secret",
                    INGEST_SECRET,
                    "--count",
                    "1",
                    "--batch",
                    str(args.cards),
                    "--array",
                    "--concurrency",
                    "1",
                    "--prefix",
                    "pace",
                    "--employers",
                    "200",
                ],
                timeout=120,
            )
            accepted_s = time.monotonic() - sent_at
            posted = 0
            while time.monotonic() - sent_at < limit_s:
                posted = _get(root + "bench/stats")["review_top_level"]
                if posted >= args.cards:
                    break
                time.sleep(0.25)
            time.sleep(max(2.0, 3 / k))  # anything doubled would show up now
            stats = _get(root + "bench/stats")
            messages = _get(root + "bench/messages?channel=C0REVIEW")
            posts = _get(root + "bench/post_times")
            conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
            with_card = conn.execute(
                "SELECT COUNT(*) FROM requests WHERE kind = 'job' AND card_ts IS NOT NULL"
            ).fetchone()[0]
            dead = conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'dead'").fetchone()[0]
            conn.close()
        finally:
            for proc in reversed(procs):
                stop(proc)

    ids = Counter()
    for message in messages:
        found = FOOTER_ID.search(message["footer"])
        if found:
            ids[found.group(1)] += 1
    doubled = sum(n - 1 for n in ids.values() if n > 1)
    out_of_place, moved = posting_order(messages)
    lost = args.cards - len(ids)
    ok_times = [t for t, status in posts if status == 200]
    first = ok_times[0] - sent_at if ok_times else float("nan")
    last = ok_times[-1] - sent_at if ok_times else float("nan")
    rate_limited = int(stats["rate_limited"].get("chat.postMessage", 0))
    equivalent = first + (last - first) * k
    floor_real = max(0.0, args.cards - args.burst)
    print()
    print(
        table(
            ["", "value"],
            [
                ["cards (requests in one array POST)", args.cards],
                ["POST answered after", f"{accepted_s:.2f} s ({outcome['errors']} errors)"],
                ["scale K (fake limit and bot pacing)", f"{k:g}  (1 post/s/channel -> {k:g}/s)"],
                ["first card posted after (screening; not scaled)", f"{first:.1f} s"],
                ["last card posted after (scaled wall time)", f"{last:.1f} s"],
                ["posting phase, scaled / floor", f"{last - first:.1f} s / {floor_s:.1f} s"],
                ["equivalent real time", f"{equivalent / 60:.1f} min ({equivalent:,.0f} s)"],
                ["floor at 1 post/s (burst then 1/s)", f"{floor_real / 60:.1f} min"],
                [
                    "chat.postMessage calls (ok / total)",
                    f"{stats['ok'].get('chat.postMessage', 0)} / {stats['calls'].get('chat.postMessage', 0)}",
                ],
                ["429 answers", rate_limited],
                ["cards in the channel / distinct requests", f"{len(messages)} / {len(ids)}"],
                ["lost / doubled", f"{lost} / {doubled}"],
                ["cards out of the platform's order / furthest moved", f"{out_of_place} / {moved}"],
                ["requests with a card stored / dead outbox rows", f"{with_card} / {dead}"],
            ],
        )
    )
    ratio = (last - first) / floor_s if floor_s else float("nan")
    results.bars.append(
        Bar(
            f"{args.cards:,} cards: time to post all (K={k:g})",
            "at the limit",
            f"{last:.1f} s scaled = {equivalent / 60:.1f} min real",
            f"{floor_s:.1f} s = {floor_real / 60:.1f} min",
            f"{ratio:.2f}",
            None,
        )
    )
    results.bars.append(
        Bar(
            f"{args.cards:,} cards: 429s",
            "a handful, no storm",
            f"{rate_limited} x 429",
            "0",
            "-",
            rate_limited <= 5,
        )
    )
    results.bars.append(
        Bar(
            f"{args.cards:,} cards: lost / doubled",
            "0 / 0",
            f"{lost} / {doubled}",
            "-",
            "-",
            lost == 0 and doubled == 0 and with_card == args.cards,
        )
    )
    results.details.update(
        {
            "stats": stats,
            "first_s": first,
            "last_s": last,
            "equivalent_s": equivalent,
            "lost": lost,
            "doubled": doubled,
            "out_of_place": out_of_place,
            "furthest_moved": moved,
            "with_card": with_card,
            "dead": dead,
            "accepted_s": accepted_s,
        }
    )
    results.print_bars()
    results.write(args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
