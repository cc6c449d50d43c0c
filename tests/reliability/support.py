"""Shared pieces of the reliability suite: the knobs, the figures each test reports, and
looks at a running jobgate (health, metrics, the database file, what the fake Slack shows)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp

from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.workspace import Message
from handlers.ids import OUTBOX_MARKER_PREFIX
from tests.harness import REVIEW_CHANNEL, Harness

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability"


def knob(name: str, default: int) -> int:
    """An integer from the environment (the heavy runs set these; see docs/reliability.md)."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def report(test: str, figures: dict[str, Any]) -> None:
    """Keep a test's figures for docs/reliability.md (test-artifacts/ is not committed)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{test}.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def get_json(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


async def get_text(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def healthz(h: Harness) -> dict[str, Any]:
    status, body = await get_json(f"http://127.0.0.1:{h.jobgate.port}/healthz")
    assert status == 200, body
    return body


async def metrics(h: Harness) -> str:
    status, text = await get_text(f"http://127.0.0.1:{h.jobgate.port}/metrics")
    assert status == 200
    return text


def metric_value(text: str, name: str, **labels: str) -> float:
    """One sample of a Prometheus text exposition (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        base, _, rest = series.partition("{")
        found = ",".join(sorted(rest.rstrip("}").split(","))) if rest else ""
        if base == name and found == wanted:
            return float(value)
    return 0.0


@contextmanager
def open_db(path: Path) -> Iterator[sqlite3.Connection]:
    """The database file as an outsider sees it (sqlite3 directly, read and check only)."""
    conn = sqlite3.connect(path, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def cards_of(slack: FakeSlack, upstream_id: str, channel: str = REVIEW_CHANNEL) -> list[Message]:
    """Every top-level message in `channel` that is the card of `upstream_id` (its last
    context block names the id in backticks)."""
    return [
        m
        for m in slack.bot_messages(channel)
        if m.blocks and f"`{upstream_id}`" in json.dumps(m.blocks[-1])
    ]


def marked(slack: FakeSlack) -> dict[str, list[Message]]:
    """Messages anywhere that still carry an outbox marker, by marker."""
    found: dict[str, list[Message]] = {}
    for messages in slack.workspace.messages.values():
        for message in messages:
            if message.deleted or not message.blocks:
                continue
            block_id = str(message.blocks[0].get("block_id", ""))
            if block_id.startswith(OUTBOX_MARKER_PREFIX):
                found.setdefault(block_id.removeprefix(OUTBOX_MARKER_PREFIX), []).append(message)
    return found


def request_id_of(card: Message) -> int | None:
    """The request id the card's buttons carry ("…:<id>")."""
    for block in card.blocks:
        for element in block.get("elements") or []:
            value = element.get("value")
            if isinstance(value, str) and value.rsplit(":", 1)[-1].isdigit():
                return int(value.rsplit(":", 1)[-1])
    return None


def bot_errors(records: list[Any]) -> list[Any]:
    """ERROR records raised in jobgate, not in the fakes standing in for Slack and the
    platform (aiohttp logs a fake's handler failing when the client already hung up)."""
    found = []
    for record in records:
        if record.levelno < 40:
            continue
        trace = record.exc_info[2] if record.exc_info else None
        files = []
        while trace is not None:
            files.append(trace.tb_frame.f_code.co_filename)
            trace = trace.tb_next
        if files and "/bot/sandbox/" in files[-1]:
            continue
        found.append(record)
    return found
