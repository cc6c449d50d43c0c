"""`jobgate run`: the bot until SIGINT or SIGTERM."""

from __future__ import annotations

import errno
import logging
import sys

import aiohttp

from bot import event_loop
from bot.app import create_jobgate, freeze_startup_heap
from bot.cli import EXIT_CONFIG, stop_signal
from bot.config import Settings
from storage.db import DatabaseError
from storage.migrations import SchemaTooNew

log = logging.getLogger("jobgate")

MEANINGS = {
    "SLACK_BOT_TOKEN": "the bot token (xoxb-…)",
    "SLACK_SIGNING_SECRET": "the request signing secret (needed unless SLACK_APP_TOKEN is set)",
    "JOBGATE_REVIEW_CHANNEL": "the channel id where cards are posted",
}


async def run(settings: Settings) -> int:
    missing = settings.missing_for_run()
    if missing:
        named = "; ".join(f"{name} ({MEANINGS.get(name, 'required')})" for name in missing)
        print(f"jobgate: cannot start: set {named} in the environment or .env", file=sys.stderr)
        return EXIT_CONFIG
    stop = stop_signal()
    try:
        jobgate = await create_jobgate(settings, screening_process=True, parse_process=True)
    except (SchemaTooNew, DatabaseError) as exc:
        print(f"jobgate: cannot start: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    # stopped whatever happens from here: its database threads would keep the process alive
    try:
        try:
            await jobgate.start()
        except (OSError, aiohttp.ClientError) as exc:
            print(f"jobgate: cannot start: {cannot_serve(exc, settings)}", file=sys.stderr)
            return EXIT_CONFIG
        mode = "Socket Mode" if settings.socket_mode else "HTTP"
        log.info(
            "jobgate is running (%s, %s event loop) on http://%s:%s — /slack/events, /api/v1,"
            " /healthz",
            mode,
            event_loop.running_loop_name(),
            settings.host,
            jobgate.port,
        )
        if not (await jobgate.services.staff.reviewers() or settings.admins):
            log.warning(
                "nobody can decide: no reviewers (JOBGATE_REVIEWERS, or the reviewers setting"
                " admins make in Slack) and JOBGATE_ADMINS is empty"
            )
        freeze_startup_heap()
        await stop.wait()  # at once if a Ctrl-C came during the start
        log.info("stopping: finishing deliveries in flight")
    finally:
        await jobgate.stop()
    return 0


def cannot_serve(exc: OSError | aiohttp.ClientError, settings: Settings) -> str:
    """Why the HTTP server (or Socket Mode) did not start, and what to change."""
    if isinstance(exc, aiohttp.ClientError):  # only Socket Mode connects out at start
        return (
            f"cannot connect to Slack in Socket Mode ({exc}); check the network and SLACK_APP_TOKEN"
        )
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {settings.port} on {settings.host} is taken by another program;"
            " set JOBGATE_PORT to a free one"
        )
    return f"{exc} (JOBGATE_HOST={settings.host}, JOBGATE_PORT={settings.port})"
