"""The fake Slack Web API (bot/sandbox) in a process of its own, for the benchmarks.

    python -m bench.fake_slack_server --ready FILE [--cards N] [--post-limit 1,3] [--no-validate]

Differences from the sandbox, all outside the code under test: messages are indexed by
(channel, ts) so `chat.update` does not scan a channel of 10,000 messages; `--no-validate`
skips slack_sdk's block validation (it costs both contenders of the click benchmark the same
CPU on a 2-core machine); `--cards N` posts N card messages up front and lists them in the
ready file; a webhook sink answers jobgate's platform webhooks with 200; and /bench/* routes
report the transcript (calls per method, 429s, top-level messages) to the orchestrator.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections import Counter
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.common import write_ready
from bot.sandbox.fake_slack import FakeSlack
from bot.sandbox.slack_api import SlackApi
from bot.sandbox.workspace import Message, Workspace

REVIEW_CHANNEL = "C0REVIEW"
REPORTS_CHANNEL = "C0REPORTS"
REVIEWERS = [f"UREV{i:04d}" for i in range(1, 11)]


class IndexedWorkspace(Workspace):
    def __init__(self, team_id: str = "T0JOBGATE") -> None:
        super().__init__(team_id)
        self._index: dict[tuple[str, str], Message] = {}

    def post(self, channel: str, **kwargs: Any) -> Message:  # type: ignore[override]
        message = super().post(channel, **kwargs)
        self._index[(channel, message.ts)] = message
        return message

    def find(self, channel: str, ts: str) -> Message | None:
        message = self._index.get((channel, ts))
        return message if message is not None and not message.deleted else None


class LeanSlackApi(SlackApi):
    """No slack_sdk block validation (only for the click benchmark)."""

    def _message_problems(self, args: dict[str, Any]) -> dict[str, Any] | None:
        if not (args.get("text") or args.get("blocks")):
            return {"ok": False, "error": "no_text"}
        return None


def card_blocks(template: list[dict[str, Any]] | None, index: int) -> list[dict[str, Any]]:
    if template:
        return template
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Card {index}*"}},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "jobgate_approve",
                    "value": str(index),
                    "text": {"type": "plain_text", "text": "Approve"},
                }
            ],
        },
    ]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ready", type=Path, required=True)
    parser.add_argument("--signing-secret", default="bench-signing-secret")
    parser.add_argument("--token", default="xoxb-bench")
    parser.add_argument("--cards", type=int, default=0, help="card messages to post up front")
    parser.add_argument("--blocks", type=Path, default=None, help="JSON blocks for those cards")
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument(
        "--post-limit",
        default=None,
        help="chat.postMessage per channel: PER_SECOND,BURST (answers 429 beyond)",
    )
    args = parser.parse_args()

    slack = FakeSlack(signing_secret=args.signing_secret, bot_token=args.token)
    slack.workspace = IndexedWorkspace(slack.workspace.team_id)
    api_class = LeanSlackApi if args.no_validate else SlackApi
    slack.api = api_class(slack.workspace, bot_token=args.token)
    workspace = slack.workspace
    workspace.add_channel(REVIEW_CHANNEL, "job-review")
    workspace.add_channel(REPORTS_CHANNEL, "job-reports")
    for number, user in enumerate(REVIEWERS, start=1):
        workspace.add_person(user, f"reviewer{number}")
    if args.post_limit:
        per_second, burst = (float(x) for x in args.post_limit.split(","))
        slack.api.limit_posts_per_channel(per_second=per_second, burst=burst)
    template = json.loads(args.blocks.read_text()) if args.blocks else None
    cards = []
    for i in range(1, args.cards + 1):
        message = workspace.post(
            REVIEW_CHANNEL,
            text=f"card {i}",
            blocks=card_blocks(template, i),
            bot_id=slack.api.bot_id,
        )
        cards.append([REVIEW_CHANNEL, message.ts])
    webhooks = Counter()

    async def webhook_sink(request: web.Request) -> web.Response:
        await request.read()
        webhooks["received"] += 1
        return web.json_response({"ok": True})

    async def stats(request: web.Request) -> web.Response:
        calls = Counter(c.method for c in slack.api.calls)
        ok = Counter(c.method for c in slack.api.calls if c.ok)
        top = [m for m in workspace.top_level(REVIEW_CHANNEL) if m.bot_id]
        return web.json_response(
            {
                "calls": calls,
                "ok": ok,
                "rate_limited": dict(slack.api.rate_limited),
                "review_top_level": len(top),
                "webhooks": webhooks["received"],
            }
        )

    async def messages(request: web.Request) -> web.Response:
        channel = request.query.get("channel", REVIEW_CHANNEL)
        top = [m for m in workspace.top_level(channel) if m.bot_id]
        return web.json_response(
            [
                {
                    "ts": m.ts,
                    "text": m.text,
                    "footer": json.dumps(m.blocks[-1:]) if m.blocks else "",
                    "marker": (m.blocks[0].get("block_id") if m.blocks else None),
                }
                for m in top
            ]
        )

    async def post_times(request: web.Request) -> web.Response:
        """Loop time of every chat.postMessage answer (ok or not), in arrival order."""
        return web.json_response(times)

    times: list[list[Any]] = []
    original_record = slack.api._record
    loop = asyncio.get_running_loop()

    def record(
        method: str,
        call_args: dict[str, Any],
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        if method == "chat.postMessage":
            times.append([loop.time(), status])
        return original_record(method, call_args, status, body, headers)

    slack.api._record = record  # type: ignore[method-assign]
    extra = [
        web.post("/webhooks/jobgate", webhook_sink),
        web.get("/bench/stats", stats),
        web.get("/bench/messages", messages),
        web.get("/bench/post_times", post_times),
    ]
    await slack.start(extra_routes=extra)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    write_ready(
        args.ready,
        {
            "port": slack.port,
            "api_url": slack.api_url,
            "root_url": slack.root_url,
            "webhook_url": f"{slack.root_url}webhooks/jobgate",
            "cards": cards,
            "team_id": workspace.team_id,
        },
    )
    await stop.wait()
    await slack.stop()


if __name__ == "__main__":
    asyncio.run(main())
