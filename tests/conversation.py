"""Talking to jobgate through `/jobgate` in tests: one command, its private answer."""

from __future__ import annotations

import sqlite3
from typing import Any

from bot.sandbox.slack_api import validate_blocks
from tests.harness import REVIEW_CHANNEL, Harness


async def say(h: Harness, user: str, text: str) -> str:
    """`/jobgate <text>` from `user`; the private answer (text and blocks) once it arrives."""
    before = len(h.slack.ephemerals_for(user))
    await h.slack.slash(user, text, channel=REVIEW_CHANNEL)
    answers = await h.slack.wait_for(
        lambda: h.slack.ephemerals_for(user)[before:], what=f"the answer to {text!r}"
    )
    await h.settle()
    answer = answers[-1]
    assert answer.via == "response_url"
    # answers through response_url are not checked by the fake: check them here
    assert not validate_blocks(answer.blocks or [], 50), answer.blocks
    return f"{answer.text}\n{answer.blocks or ''}"


async def audit_rows(h: Harness, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of a query over the audit table (what was recorded, by whom)."""

    def query(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in conn.execute(sql, params).fetchall()]

    rows: list[tuple[Any, ...]] = await h.repo.db.read(query)
    return rows


async def refusals(h: Harness) -> list[str]:
    """What was attempted and refused, in order."""
    rows = await audit_rows(
        h,
        "SELECT json_extract(details, '$.attempted') FROM audit WHERE action = 'refused'"
        " ORDER BY id",
    )
    return [str(row[0]) for row in rows]
