from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import Harness, start_harness, stop_harness

SHARED = Path(__file__).resolve().parents[2] / "shared"
SLACK_REFERENCE = SHARED / "slack-reference"


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    running = await start_harness(tmp_path)
    try:
        yield running
    finally:
        await stop_harness(running)
