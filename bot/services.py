"""What every handler needs, gathered once and put in Bolt's context by a middleware."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.config import Settings
from bot.metrics import Metrics
from bot.staff import StaffDirectory
from bot.tasks import BackgroundTasks
from storage.repository import Repository

if TYPE_CHECKING:
    from bot.delivery import Deliverer
    from bot.parse_process import ParseProcess


@dataclass
class SlackFailures:
    """Web API calls that failed while someone waited (views.open, chat.postEphemeral,
    views.publish, …): the outbox keeps its own; /healthz shows both."""

    count: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None

    def record(self, method: str, error: str, at: datetime) -> None:
        self.count += 1
        self.last_error = f"{method}: {error}"
        self.last_error_at = at


@dataclass
class Services:
    settings: Settings
    repo: Repository
    staff: StaffDirectory
    clock: Clock
    tasks: BackgroundTasks
    metrics: Metrics
    deliverer: Deliverer | None = None
    # large inbound arrays are parsed here when set (`jobgate run`)
    parse_process: ParseProcess | None = None
    slack_failures: SlackFailures = field(default_factory=SlackFailures)
