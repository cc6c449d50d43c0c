"""The `jobgate` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from bot import event_loop
from bot.cli.parser import build_parser
from bot.config import Settings, describe_errors
from bot.ctrl_c import EXIT_INTERRUPTED, ctrl_c_held

log = logging.getLogger("jobgate")

EXIT_CONFIG = 2


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


def main(argv: Sequence[str] | None = None) -> int:
    with ctrl_c_held() as pressed:  # see bot.ctrl_c: loading is no place for an interrupt
        args = build_parser().parse_args(argv)
        configure_logging(args.log_level)
        command = load_command(args)
    if pressed:
        return _interrupted(args.command)
    try:
        return command()
    except KeyboardInterrupt:  # Ctrl-C before the command took over the signal
        return _interrupted(args.command)


def _interrupted(command: str) -> int:
    print(f"jobgate {command}: interrupted", file=sys.stderr)
    return EXIT_INTERRUPTED


def load_command(args: argparse.Namespace) -> Callable[[], int]:
    """The command `args` name, with its modules (and for most, the settings) loaded."""
    if args.command == "sandbox":  # needs no configuration: it makes its own
        from bot.cli.sandbox import sandbox

        return lambda: event_loop.run(sandbox(args))
    settings = load_settings()
    if args.command == "run":
        from bot.cli.run import run

        return lambda: event_loop.run(run(settings))
    if args.command == "check":
        from bot.cli.check import check

        return lambda: event_loop.run(check(settings))
    if args.command == "import":
        from bot.cli.importing import import_file

        progress = not args.no_progress
        return lambda: event_loop.run(
            import_file(settings, args.file, args.kind, progress=progress)
        )
    if args.command == "digest":
        from bot.cli.digest import post_digest, print_digest

        if args.print_only:
            return lambda: event_loop.run(print_digest(settings))
        return lambda: event_loop.run(post_digest(settings, force=args.force))
    if args.command == "export":
        from bot.cli.export import export_contacts

        return lambda: export_contacts(settings, args.label, args.output)
    raise AssertionError(f"no such command: {args.command}")  # argparse refuses it first


def stop_signal() -> asyncio.Event:
    """An event that SIGINT and SIGTERM set from now on, instead of interrupting: taken before
    a long-running command starts, so a Ctrl-C (or two) during its start or its stop never
    cuts either in half (a half-stopped bot's database threads keep the process alive)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
