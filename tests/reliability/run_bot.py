"""`jobgate run` for the kill -9 test: the real command line, configuration, process, database
and signal handling; only the outbox's timings are the test harness's (retries after 50 ms
instead of 2 s, a 10 s lease instead of 90 s, Slack pacing 200 times faster), so a run with
fifty kills converges in seconds. JOBGATE_RELIABILITY_REAL_TIMINGS=1 runs `python -m bot run`
unchanged instead (see docs/reliability.md).

Usage: python -m tests.reliability.run_bot run"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

import bot.cli.run as run_command
from bot.app import Jobgate, create_jobgate
from bot.cli import main
from bot.config import Settings
from bot.delivery import DeliveryPolicy
from bot.pacing import SlackPacing

POLICY = DeliveryPolicy(
    base_delay_s=0.05, max_delay_s=0.5, idle_poll_s=0.05, lease=timedelta(seconds=10)
)
PACING = SlackPacing().scaled(200)


async def create_with_test_timings(settings: Settings, **kwargs: Any) -> Jobgate:
    kwargs.setdefault("delivery_policy", POLICY)
    kwargs.setdefault("pacing", PACING)
    return await create_jobgate(settings, **kwargs)


if __name__ == "__main__":
    run_command.create_jobgate = create_with_test_timings  # type: ignore[assignment]
    sys.exit(main(sys.argv[1:] or ["run"]))
