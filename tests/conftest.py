from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import Harness, start_harness, stop_harness

# Slack's reference data, vendored so a clean clone can run every check (see VENDORED.md).
SLACK_REFERENCE = Path(__file__).resolve().parent / "data" / "slack-reference"
SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "slack-reference"


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    running = await start_harness(tmp_path)
    try:
        yield running
    finally:
        await stop_harness(running)  # which also checks every webhook against SPEC 6
