"""`jobgate run`: the bot until SIGINT or SIGTERM."""

from __future__ import annotations

import logging
import sys

from bot import event_loop
from bot.app import create_jobgate
from bot.cli import EXIT_CONFIG, wait_for_signal
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
    try:
        jobgate = await create_jobgate(settings, screening_process=True)
    except (SchemaTooNew, DatabaseError) as exc:
        print(f"jobgate: cannot start: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    await jobgate.start()
    mode = "Socket Mode" if settings.socket_mode else "HTTP"
    log.info(
        "jobgate is running (%s, %s event loop) on http://%s:%s — /slack/events, /api/v1, /healthz",
        mode,
        event_loop.running_loop_name(),
        settings.host,
        jobgate.port,
    )
    if not (settings.reviewers or settings.admins):
        log.warning("JOBGATE_REVIEWERS and JOBGATE_ADMINS are empty: nobody can decide")
    try:
        await wait_for_signal()
    finally:
        log.info("stopping: finishing deliveries in flight")
        await jobgate.stop()
    return 0
