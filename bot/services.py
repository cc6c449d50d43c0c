"""What every handler needs, gathered once and put in Bolt's context by a middleware."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.config import Settings
from bot.metrics import Metrics
from bot.staff import StaffDirectory
from bot.tasks import BackgroundTasks
from storage.repository import Repository

if TYPE_CHECKING:
    from bot.delivery import Deliverer


@dataclass
class Services:
    settings: Settings
    repo: Repository
    staff: StaffDirectory
    clock: Clock
    tasks: BackgroundTasks
    metrics: Metrics
    deliverer: Deliverer | None = None
