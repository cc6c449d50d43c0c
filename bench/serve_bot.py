"""jobgate's real server (create_jobgate + Jobgate.start) in a process of its own.

    python -m bench.serve_bot --ready FILE --db PATH --slack-url URL [--pacing-scale K] …

The same wiring as `jobgate run`, with settings from the command line instead of the
environment; the port is chosen by the kernel and written to the ready file. Stops cleanly
on SIGTERM (outbox leases released, database closed).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from bench.common import write_ready
from bot import event_loop
from bot.app import create_jobgate, freeze_startup_heap
from bot.config import Settings
from bot.delivery import DeliveryPolicy
from bot.pacing import SlackPacing

REVIEWERS = ",".join(f"UREV{i:04d}" for i in range(1, 11))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ready", type=Path, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--slack-url", required=True)
    parser.add_argument("--signing-secret", default="bench-signing-secret")
    parser.add_argument("--token", default="xoxb-bench")
    parser.add_argument("--ingest-secret", default=None)
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--webhook-secret", default=None)
    parser.add_argument(
        "--pacing-scale",
        type=float,
        default=1.0,
        help="SlackPacing().scaled(K): K times Slack's real rates (pacing bench)",
    )
    parser.add_argument("--no-deliver", action="store_true", help="no outbox deliverer/screener")
    parser.add_argument(
        "--screen-in-thread",
        action="store_true",
        help="screening on a thread of the bot (as before), not in its worker process",
    )
    parser.add_argument(
        "--parse-in-bot",
        action="store_true",
        help="large inbound arrays parsed in the bot's process (as before), not in a worker",
    )
    parser.add_argument("--schedule", action="store_true", help="also start the scheduler")
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=float(os.environ.get("BENCH_SWITCH_INTERVAL", "0") or 0),
        help="experiment: sys.setswitchinterval (s); 0 keeps Python's 0.005",
    )
    args = parser.parse_args()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    logging.basicConfig(
        level=logging.ERROR, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )

    values = {
        "SLACK_BOT_TOKEN": args.token,
        "SLACK_SIGNING_SECRET": args.signing_secret,
        "SLACK_API_URL": args.slack_url,
        "JOBGATE_DATABASE": str(args.db),
        "JOBGATE_REVIEW_CHANNEL": "C0REVIEW",
        "JOBGATE_REPORTS_CHANNEL": "C0REPORTS",
        "JOBGATE_REVIEWERS": REVIEWERS,
        "JOBGATE_ADMINS": "UADMIN0001",
        "JOBGATE_HOST": "127.0.0.1",
        "JOBGATE_PORT": "0",
        "JOBGATE_INGEST_SECRET": args.ingest_secret,
        "JOBGATE_WEBHOOK_URL": args.webhook_url,
        "JOBGATE_WEBHOOK_SECRET": args.webhook_secret,
    }
    settings = Settings.from_mapping({k: v for k, v in values.items() if v is not None})
    pacing = SlackPacing().scaled(args.pacing_scale) if args.pacing_scale != 1 else None
    jobgate = await create_jobgate(
        settings,
        pacing=pacing,
        delivery_policy=DeliveryPolicy(),
        screening_process=not args.screen_in_thread,
        parse_process=not args.parse_in_bot,
    )
    await jobgate.start(serve_http=True, deliver=not args.no_deliver, schedule=args.schedule)
    freeze_startup_heap()  # as `jobgate run` does
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    write_ready(
        args.ready,
        {
            "port": jobgate.port,
            "pid": os.getpid(),
            "url": f"http://127.0.0.1:{jobgate.port}",
            "loop": event_loop.running_loop_name(),
        },
    )
    await stop.wait()
    await jobgate.stop()


if __name__ == "__main__":
    # on uvloop, as `jobgate run` is; BENCH_ASYNCIO_LOOP=1 asks for asyncio's own (A/B)
    event_loop.run(main(), use_uvloop=not os.environ.get("BENCH_ASYNCIO_LOOP"))
