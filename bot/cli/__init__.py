"""The `jobgate` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from bot import event_loop
from bot.config import Settings, describe_errors

log = logging.getLogger("jobgate")

EXIT_CONFIG = 2

DESCRIPTIONS = {
    "sandbox": (
        "Try jobgate in the browser with no Slack workspace or configuration: a local "
        "Slack-like workspace, the real bot and a demo career platform (default "
        "http://127.0.0.1:3000)."
    ),
    "run": "Run the bot: Slack endpoint, inbound API, /healthz and /metrics on one port.",
    "check": "Validate the configuration, call Slack's auth.test, and say what is missing.",
    "import": "Import employer or job requests from a CSV, JSON or NDJSON file (idempotent).",
    "export": "Export data for use outside Slack (contacts for outreach).",
    "digest": (
        "Post today's digest now (once a day: a second run says it was already sent), or print "
        "it. --force posts another one and says so."
    ),
    "export contacts": (
        "Write, as CSV, the contacts (recruiters) to reach for outreach: every contact carrying "
        "the label AND every contact of an employer carrying it, once each, sorted by employer. "
        "Columns: name, email, phone, employer, employer_id, contact_id, labels (the contact's "
        "and its employer's, separated by '; '). Cells starting with = + - @ (or a tab or a "
        "carriage return) get a leading apostrophe, so spreadsheets show them as text instead "
        "of running them as formulas. Files are UTF-8 with a byte order mark (Excel reads "
        "accents right); standard output has none."
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobgate",
        description="jobgate: vet employers and job postings in Slack.",
        epilog="Configuration comes from the environment and a .env file; see README.md.",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    from bot.cli.sandbox import DESCRIPTION as SANDBOX_DESCRIPTION
    from bot.cli.sandbox import add_arguments as add_sandbox_arguments

    add_sandbox_arguments(
        commands.add_parser(
            "sandbox", help=DESCRIPTIONS["sandbox"], description=SANDBOX_DESCRIPTION
        )
    )
    commands.add_parser("run", help=DESCRIPTIONS["run"], description=DESCRIPTIONS["run"])
    commands.add_parser("check", help=DESCRIPTIONS["check"], description=DESCRIPTIONS["check"])
    importing = commands.add_parser(
        "import", help=DESCRIPTIONS["import"], description=DESCRIPTIONS["import"]
    )
    importing.add_argument("file", type=Path, help="a .csv, .json or .ndjson file")
    importing.add_argument(
        "--kind",
        choices=["employers", "jobs"],
        help="what the file holds (guessed from its fields when omitted)",
    )
    importing.add_argument("--no-progress", action="store_true", help="no progress bar")
    digest = commands.add_parser(
        "digest", help=DESCRIPTIONS["digest"], description=DESCRIPTIONS["digest"]
    )
    digest.add_argument(
        "--print", action="store_true", dest="print_only", help="print it; post nothing"
    )
    digest.add_argument("--force", action="store_true", help="post even if today's was sent")
    exporting = commands.add_parser(
        "export", help=DESCRIPTIONS["export"], description=DESCRIPTIONS["export"]
    )
    what = exporting.add_subparsers(dest="what", metavar="WHAT")
    what.required = True
    contacts = what.add_parser(
        "contacts", help="contacts by label, as CSV", description=DESCRIPTIONS["export contacts"]
    )
    contacts.add_argument("--label", required=True, metavar="NAME", help="the label (any case)")
    contacts.add_argument(
        "--output", type=Path, metavar="FILE", help="write here instead of standard output"
    )
    return parser


def load_settings() -> Settings:
    """Settings from the environment and .env, or exit with one line per problem."""
    try:
        return Settings()
    except ValidationError as exc:
        for line in describe_errors(exc):
            print(f"jobgate: configuration problem: {line}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # third-party chatter at INFO says nothing an operator acts on
    for noisy in ("aiohttp.access", "slack_bolt", "slack_sdk", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, getattr(logging, level)))


EXIT_INTERRUPTED = 130  # as a shell reports a Ctrl-C


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        return _command(args)
    except KeyboardInterrupt:  # Ctrl-C before the command took over the signal
        print(f"jobgate {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _command(args: argparse.Namespace) -> int:
    if args.command == "sandbox":  # needs no configuration: it makes its own
        from bot.cli.sandbox import sandbox

        return event_loop.run(sandbox(args))
    settings = load_settings()
    if args.command == "run":
        from bot.cli.run import run

        return event_loop.run(run(settings))
    if args.command == "check":
        from bot.cli.check import check

        return event_loop.run(check(settings))
    if args.command == "import":
        from bot.cli.importing import import_file

        return event_loop.run(
            import_file(settings, args.file, args.kind, progress=not args.no_progress)
        )
    if args.command == "digest":
        from bot.cli.digest import post_digest, print_digest

        if args.print_only:
            return event_loop.run(print_digest(settings))
        return event_loop.run(post_digest(settings, force=args.force))
    if args.command == "export":
        from bot.cli.export import export_contacts

        return export_contacts(settings, args.label, args.output)
    return EXIT_CONFIG


def stop_signal() -> asyncio.Event:
    """An event that SIGINT and SIGTERM set from now on, instead of interrupting: taken before
    a long-running command starts, so a Ctrl-C (or two) during its start or its stop never
    cuts either in half (a half-stopped bot's database threads keep the process alive)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
