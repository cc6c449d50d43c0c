"""The floor of the click benchmark: a bare Bolt AsyncApp, default settings, served by
slack_bolt's own aiohttp adapter, whose Approve handler acks and updates the message.

    python -m bench.bare_bolt --ready FILE --slack-url URL [--sqlite PATH]

Nothing is tuned: `AsyncApp(client=AsyncWebClient(token, base_url))` with no session (so the
SDK opens a new aiohttp session, a new TCP connection, for every Web API call), no
process_before_response (so Bolt's ack path polls every 10 ms), signature verification and
single-team authorization (one auth.test, cached) as Bolt does them. The only change is the
Web API base URL, pointed at the fake Slack.

With `--sqlite PATH` the handler first inserts one row with aiosqlite and commits, then acks
(the "one aiosqlite insert and commit per click" variant the issue measured).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bench.common import write_ready


def updated_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    user = body["user"]["id"]
    blocks = [
        b for b in (body.get("message") or {}).get("blocks") or [] if b.get("type") != "actions"
    ]
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": f":white_check_mark: Approved by <@{user}>"}],
        }
    )
    return blocks


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ready", type=Path, required=True)
    parser.add_argument("--slack-url", required=True)
    parser.add_argument("--signing-secret", default="bench-signing-secret")
    parser.add_argument("--token", default="xoxb-bench")
    parser.add_argument("--sqlite", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    app = AsyncApp(
        client=AsyncWebClient(token=args.token, base_url=args.slack_url),
        signing_secret=args.signing_secret,
    )
    db = None
    if args.sqlite is not None:
        import aiosqlite

        db = await aiosqlite.connect(args.sqlite)
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute(
            "CREATE TABLE IF NOT EXISTS clicks (id INTEGER PRIMARY KEY, request TEXT, user TEXT)"
        )
        await db.commit()

    @app.action("jobgate_approve")
    async def approve(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        if db is not None:
            await db.execute(
                "INSERT INTO clicks (request, user) VALUES (?, ?)",
                (body["actions"][0].get("value"), body["user"]["id"]),
            )
            await db.commit()
        await ack()
        container = body["container"]
        await client.chat_update(
            channel=container["channel_id"],
            ts=container["message_ts"],
            text="Approved",
            blocks=updated_blocks(body),
        )

    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    write_ready(args.ready, {"port": port, "pid": os.getpid(), "url": f"http://127.0.0.1:{port}"})
    await stop.wait()
    await runner.cleanup()
    if db is not None:
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())
