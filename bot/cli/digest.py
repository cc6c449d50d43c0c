"""`jobgate digest [--print] [--force]`: print the digest, or post it now (once a day)."""

from __future__ import annotations

import sys

from bot.app import create_jobgate
from bot.cli import EXIT_CONFIG
from bot.clock import SystemClock
from bot.config import Settings
from bot.digest import digest_lines
from bot.jobs import DigestPlace, DigestResult, build_digest, post_digest_now
from storage.db import Database
from storage.outbox import digest_lane
from storage.repository import Repository

DELIVERY_TIMEOUT_S = 30


async def print_digest(settings: Settings) -> int:
    if not settings.review_channel:
        print("jobgate digest: set JOBGATE_REVIEW_CHANNEL", file=sys.stderr)
        return EXIT_CONFIG
    db = await Database.open(settings.database)
    try:
        facts = await build_digest(
            Repository(db), DigestPlace.from_settings(settings), SystemClock().now()
        )
    finally:
        await db.close()
    print("\n".join(digest_lines(facts)))
    return 0


async def post_digest(settings: Settings, *, force: bool) -> int:
    missing = settings.missing_for_run()
    if missing:
        print(f"jobgate digest: set {', '.join(missing)} to post (or use --print)", file=sys.stderr)
        return EXIT_CONFIG
    jobgate = await create_jobgate(settings)
    try:
        await jobgate.start(serve_http=False, deliver=False, schedule=False)
        place = DigestPlace.from_settings(settings)
        outcome = await post_digest_now(
            jobgate.repo, place, jobgate.services.clock.now(), force=force
        )
        print(f"jobgate digest: {outcome.detail}")
        if outcome.result in (DigestResult.SENT, DigestResult.FORCED):
            # the digest only: the rest of the outbox is the running bot's to pace
            lanes = (digest_lane(place.channel),)
            if await jobgate.deliverer.drain(DELIVERY_TIMEOUT_S, lanes=lanes):
                print(
                    "jobgate digest: Slack did not take it yet; the running bot will post it"
                    " (see /healthz)"
                )
                return 0
            state, error = await jobgate.repo.outbox_lane_tail(lanes[0]) or ("delivered", None)
            if state == "dead":
                print(
                    f"jobgate digest: Slack refused it ({error}); nothing was posted."
                    " `jobgate check` tests the token and the channel.",
                    file=sys.stderr,
                )
                return 1
            print(f"jobgate digest: posted it to {place.channel}")
        return 0 if outcome.result is not DigestResult.ALREADY_SENT else 1
    finally:
        await jobgate.stop()
