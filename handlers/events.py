"""Events API: the events jobgate subscribes to (see manifest.yml)."""

from __future__ import annotations

from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck


def register(app: AsyncApp) -> None:
    app.event("message")(message_posted)


async def message_posted(ack: AsyncAck, event: dict[str, Any]) -> None:
    """Channel messages: acknowledged; thread replies on cards become notes (issue 5)."""
    await ack()
