"""`jobgate sandbox`: the bot against a local Slack-like workspace in the browser, with demo
data. No Slack account, no internet, no configuration: the environment and .env are not read."""

from __future__ import annotations

import argparse
import errno
import logging
import sys

from bot.app import freeze_startup_heap
from bot.cli import EXIT_CONFIG, stop_signal
from bot.sandbox.runner import Sandbox, start_sandbox
from storage.db import DatabaseError
from storage.migrations import SchemaTooNew

log = logging.getLogger("jobgate")


async def sandbox(args: argparse.Namespace) -> int:
    """Run the sandbox until Ctrl-C."""
    stop = stop_signal()
    try:
        running = await start_sandbox(
            host=args.host,
            port=args.port,
            database=args.database,
            fresh=args.fresh,
            seed=not args.no_demo,
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(
                f"jobgate sandbox: port {args.port} is taken; try --port {args.port + 1}",
                file=sys.stderr,
            )
        else:
            print(f"jobgate sandbox: cannot start: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except (SchemaTooNew, DatabaseError) as exc:
        print(f"jobgate sandbox: cannot start: {exc} (--fresh starts over)", file=sys.stderr)
        return EXIT_CONFIG
    try:
        if not stop.is_set():  # else a Ctrl-C came during the start
            _say_it_runs(running, args)
            freeze_startup_heap()
            await stop.wait()
    finally:
        print("jobgate sandbox: stopping", file=sys.stderr)
        await running.stop()
    return 0


def _say_it_runs(running: Sandbox, args: argparse.Namespace) -> None:
    if running.seeding is not None:
        arriving = "the demo platform is sending a dozen employers and 30 jobs now"
    elif args.no_demo:
        arriving = "no demo data was sent (--no-demo)"
    else:
        arriving = "the data of earlier runs is still there"
    print(
        f"\n  jobgate sandbox is running: open {running.url}\n\n"
        f"  A Slack-like workspace with #job-review, #job-reports, App Home and DMs;\n"
        f"  {arriving}.\n"
        f"  Switch between a reviewer, an admin and a staff member at the top left.\n"
        f"  Data: {args.database} (--fresh starts over). Press Ctrl-C to stop.\n",
        flush=True,
    )
    log.info("the bot listens on %s", running.slack.bot_url)
