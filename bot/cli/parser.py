"""The shape of the `jobgate` command line: its commands, options and help texts. Imports
only argparse: what a command needs is loaded once it is chosen (bot.cli.load_command)."""

from __future__ import annotations

import argparse
from pathlib import Path

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
        "it. With nothing to say and quiet digests on, nothing is posted. --force posts one "
        "anyway and says so."
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


SANDBOX_DESCRIPTION = (
    "Try jobgate in the browser with no Slack workspace: a local Slack-like workspace "
    "(review and reports channels, threads, App Home, DMs; switch between a reviewer, an "
    "admin and a staff member), the real bot, and a demo career platform that sends a dozen "
    "employers and about 30 jobs on the first start."
)


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


def add_sandbox_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `jobgate sandbox`."""
    parser.add_argument("--port", type=int, default=3000, help="the page's port (default 3000)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="the page's address (default 127.0.0.1)"
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=Path("jobgate-sandbox.db"),
        help="the sandbox's SQLite file (default jobgate-sandbox.db); its workspace is kept "
        "beside it in *.slack.json",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="start over: forget the sandbox's data first"
    )
    parser.add_argument("--no-demo", action="store_true", help="send no demo data")
