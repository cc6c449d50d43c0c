"""A Slack Web API on loopback: the methods jobgate calls, with Slack's argument names and
answer shapes, a transcript of every call, and faults on demand (429, 5xx, timeouts, drops)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.sandbox.workspace import Ephemeral, OpenView, Workspace

log = logging.getLogger(__name__)

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 40_000


@dataclass
class Fault:
    """What the next call of a method gets instead of a normal answer."""

    status: int = 500
    retry_after: int | None = None
    error: str = "internal_error"
    delay_s: float = 0.0  # sleep before answering (a timeout when longer than the client's)
    drop_after_processing: bool = False  # do the work, then cut the connection
    # do the work, then answer `status`/`error` all the same (Slack's internal_error "may have
    # partly succeeded"; a 5xx page from Slack's edge after the post went through)
    fail_after_processing: bool = False
    slow_only: bool = False  # sleep `delay_s`, then answer as usual (a slow Slack)


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    status: int
    ok: bool
    error: str | None = None
    answer: dict[str, Any] | None = None


@dataclass
class RateLimit:
    per_second: float
    burst: float
    tokens: float = -1.0
    stamp: float = 0.0

    def allow(self, now: float) -> float:
        """0 when allowed; else seconds to wait (the Retry-After)."""
        if self.tokens < 0:
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.per_second)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


def validate_blocks(blocks: list[dict[str, Any]], limit: int) -> list[str]:
    """Slack's `invalid_blocks` check, done with slack_sdk's own models."""
    problems = []
    if len(blocks) > limit:
        problems.append(f"more than {limit} blocks ({len(blocks)})")
    for index, block in enumerate(blocks):
        try:
            parsed = Block.parse(block)
            if parsed is None:
                problems.append(f"block {index}: unknown type {block.get('type')!r}")
                continue
            parsed.validate_json()
        except (SlackObjectFormationError, KeyError, TypeError, ValueError) as exc:
            problems.append(f"block {index}: {exc}")
    return problems


def validate_view(view: dict[str, Any]) -> list[str]:
    problems = validate_blocks(view.get("blocks") or [], MAX_VIEW_BLOCKS)
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError, ValueError) as exc:
        problems.append(str(exc))
    return problems


class SlackApi:
    """The Web API side of the fake: `base_url` ends in `/api/` like Slack's."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        bot_token: str,
        bot_user_id: str = "UJOBGATEBOT",
        bot_id: str = "BJOBGATE",
        clock: Any = None,
    ) -> None:
        self.workspace = workspace
        self.bot_token = bot_token
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.calls: list[Call] = []
        self.faults: dict[str, deque[Fault]] = defaultdict(deque)
        self.limits: dict[str, RateLimit] = {}
        self.post_limit: tuple[float, float] | None = None
        self._post_buckets: dict[str, RateLimit] = {}
        self.rate_limited: dict[str, int] = defaultdict(int)
        self.responses: list[dict[str, Any]] = []
        self.changed = asyncio.Event()
        self._loop_time = clock or (lambda: asyncio.get_running_loop().time())
        self.base_url = ""
        self.triggers: dict[str, str] = {}  # trigger_id -> user, valid for one views.open

    # -- configuration ---------------------------------------------------------------------

    def fail(self, method: str, *faults: Fault) -> None:
        """Queue faults for the next calls of `method`, one per call."""
        self.faults[method].extend(faults)

    def limit(self, method: str, *, per_minute: float, burst: float = 1) -> None:
        """Enforce a rate on `method` (workspace-wide), answering 429 beyond it."""
        self.limits[method] = RateLimit(per_minute / 60.0, burst)

    def limit_posts_per_channel(self, *, per_second: float, burst: float = 1) -> None:
        self.post_limit = (per_second, burst)

    # -- transcript helpers ----------------------------------------------------------------

    def calls_to(self, method: str, *, ok: bool | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (ok is None or c.ok == ok)]

    # -- HTTP ------------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", "/api/{method}", self.handle),
            web.post("/response/{response_id}", self.handle_response_url),
        ]

    async def _arguments(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json":
                args.update(json.loads(raw or b"{}"))
            else:
                args.update(dict(parse_qsl(raw.decode(), keep_blank_values=True)))
        for key in ("blocks", "view", "users", "attachments"):
            if isinstance(args.get(key), str) and args[key][:1] in "[{":
                args[key] = json.loads(args[key])
        return args

    async def handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await self._arguments(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ") or args.get(
            "token"
        )
        if token != self.bot_token:
            return self._record(method, args, 200, {"ok": False, "error": "invalid_auth"})
        fault = self.faults[method].popleft() if self.faults.get(method) else None
        if fault is not None and fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        if fault is not None and fault.slow_only:
            fault = None
        if fault is not None and not (fault.drop_after_processing or fault.fail_after_processing):
            headers = (
                {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            )
            if fault.status == 429:
                self.rate_limited[method] += 1
            return self._record(
                method, args, fault.status, {"ok": False, "error": fault.error}, headers
            )
        wait = self._rate_wait(method, args)
        if wait > 0:
            self.rate_limited[method] += 1
            retry_after = max(1, int(wait + 0.999))
            return self._record(
                method,
                args,
                429,
                {"ok": False, "error": "ratelimited"},
                {"Retry-After": str(retry_after)},
            )
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            answer: dict[str, Any] = {"ok": False, "error": "unknown_method"}
        else:
            try:
                answer = handler(args)
            except KeyError as exc:
                answer = {
                    "ok": False,
                    "error": "invalid_arguments",
                    "response_metadata": {"messages": [f"missing {exc}"]},
                }
        if fault is not None and fault.fail_after_processing:
            response = self._record(method, args, fault.status, {"ok": False, "error": fault.error})
        else:
            response = self._record(method, args, 200, answer)
        self.changed.set()
        if fault is not None and fault.drop_after_processing:
            assert request.transport is not None
            request.transport.abort()
        return response

    def _record(
        self,
        method: str,
        args: dict[str, Any],
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        self.calls.append(Call(method, args, status, bool(body.get("ok")), body.get("error"), body))
        return web.json_response(body, status=status, headers=headers)

    def _rate_wait(self, method: str, args: dict[str, Any]) -> float:
        now = self._loop_time()
        if method in self.limits:
            wait = self.limits[method].allow(now)
            if wait > 0:
                return wait
        if method == "chat.postMessage" and self.post_limit is not None:
            channel = str(args.get("channel"))
            bucket = self._post_buckets.setdefault(channel, RateLimit(*self.post_limit))
            return bucket.allow(now)
        return 0.0

    async def handle_response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.responses.append(body)
        user, channel = request.query.get("user", ""), request.query.get("channel")
        if body.get("response_type") == "in_channel" and channel:
            self.workspace.post(
                channel, text=body.get("text", ""), blocks=body.get("blocks"), bot_id=self.bot_id
            )
        else:
            self.workspace.ephemerals.append(
                Ephemeral(
                    channel,
                    user,
                    body.get("text", ""),
                    body.get("blocks"),
                    via="response_url",
                    ts=self.workspace.next_ts(),
                )
            )
        self.changed.set()
        return web.json_response({"ok": True})

    # -- methods ---------------------------------------------------------------------------

    def _message_problems(self, args: dict[str, Any]) -> dict[str, Any] | None:
        text = args.get("text") or ""
        blocks = args.get("blocks") or []
        if not text and not blocks:
            return {"ok": False, "error": "no_text"}
        if len(text) > MAX_TEXT:
            return {"ok": False, "error": "msg_too_long"}
        problems = validate_blocks(blocks, MAX_MESSAGE_BLOCKS)
        if problems:
            return {"ok": False, "error": "invalid_blocks", "errors": problems}
        return None

    def _channel(self, args: dict[str, Any]) -> str | None:
        channel = str(args["channel"])
        if channel.startswith("U") or channel.startswith("W"):
            return self.workspace.dm_channel(channel)
        return channel if channel in self.workspace.channels else None

    def m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{self.workspace.team_domain}.slack.com/",
            "team": "jobgate sandbox",
            "user": "jobgate",
            "team_id": self.workspace.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        problem = self._message_problems(args)
        if problem:
            return problem
        thread_ts = args.get("thread_ts")
        if thread_ts and self.workspace.find(channel, str(thread_ts)) is None:
            return {"ok": False, "error": "thread_not_found"}
        message = self.workspace.post(
            channel,
            text=args.get("text") or "",
            blocks=args.get("blocks"),
            bot_id=self.bot_id,
            thread_ts=thread_ts,
        )
        return {"ok": True, "channel": channel, "ts": message.ts, "message": message.as_slack()}

    def m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        message = self.workspace.find(channel, str(args["ts"])) if channel else None
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        problem = self._message_problems(args)
        if problem:
            return problem
        message.text = args.get("text") or ""
        message.blocks = args.get("blocks") or []
        message.edited_ts = self.workspace.next_ts()
        return {
            "ok": True,
            "channel": channel,
            "ts": message.ts,
            "text": message.text,
            "message": message.as_slack(),
        }

    def m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if str(args["user"]) not in self.workspace.people:
            return {"ok": False, "error": "user_not_in_channel"}
        problem = self._message_problems(args)
        if problem:
            return problem
        ts = self.workspace.next_ts()
        self.workspace.ephemerals.append(
            Ephemeral(channel, str(args["user"]), args.get("text") or "", args.get("blocks"), ts=ts)
        )
        return {"ok": True, "message_ts": ts}

    def m_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args["channel"]), str(args["message_ts"])
        if self.workspace.find(channel, ts) is None:
            return {"ok": False, "error": "message_not_found"}
        link = f"{self.base_url.removesuffix('/api/')}/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    def m_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args["channel"])
        if channel not in self.workspace.channels:
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(args.get("oldest") or 0)
        found = [
            m.as_slack()
            for m in reversed(self.workspace.top_level(channel))
            if float(m.ts) > oldest
        ]
        return _page(found, args)

    def m_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(args["channel"]), str(args["ts"])
        parent = self.workspace.find(channel, ts)
        if parent is None:
            return {"ok": False, "error": "thread_not_found"}
        oldest = float(args.get("oldest") or 0)
        replies = [
            m.as_slack() for m in self.workspace.replies(channel, ts) if float(m.ts) > oldest
        ]
        return _page([parent.as_slack(), *replies], args)

    def m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = args.get("users")
        user = users[0] if isinstance(users, list) else str(users or "").split(",")[0]
        if not user:
            return {"ok": False, "error": "users_list_not_supplied"}
        if not re.fullmatch(r"[UW][A-Z0-9]+", str(user)):
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": self.workspace.dm_channel(str(user))}}

    def m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args["channel"])
        if channel not in self.workspace.channels:
            return {"ok": False, "error": "channel_not_found"}
        return {
            "ok": True,
            "channel": {"id": channel, "name": self.workspace.channels[channel], "is_member": True},
        }

    def m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        person = self.workspace.people.get(str(args["user"]))
        if person is None:
            return {"ok": False, "error": "user_not_found"}
        return {
            "ok": True,
            "user": {
                "id": person.id,
                "name": person.name,
                "real_name": person.real_name,
                "team_id": person.team_id,
                "is_bot": person.is_bot,
                "profile": {
                    "real_name": person.real_name,
                    "display_name": person.name,
                    "title": person.title,
                },
            },
        }

    def m_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = str(args["usergroup"])
        if group not in self.workspace.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.workspace.usergroups[group])}

    def _open_view(self, args: dict[str, Any], user: str) -> dict[str, Any]:
        view = args["view"]
        problems = validate_view(view)
        if problems:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": problems},
            }
        view_id = self.workspace.new_id("V")
        record = OpenView(
            view_id, user, view, self.workspace.new_id("h"), str(args.get("trigger_id", ""))
        )
        self.workspace.views[view_id] = record
        return {"ok": True, "view": self.view_payload(record)}

    def view_payload(self, record: OpenView) -> dict[str, Any]:
        return {
            "id": record.id,
            "team_id": self.workspace.team_id,
            "type": record.view.get("type", "modal"),
            "hash": record.hash,
            "app_id": "A0JOBGATE",
            "bot_id": self.bot_id,
            **record.view,
            "state": {"values": {}},
            "private_metadata": record.view.get("private_metadata", ""),
            "callback_id": record.view.get("callback_id", ""),
        }

    def m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = str(args["trigger_id"])
        user = self.triggers.pop(trigger, None)
        if user is None:
            return {"ok": False, "error": "expired_trigger_id"}
        return self._open_view(args, user)

    def m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self.m_views_open(args)

    def m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        record = self.workspace.views.get(str(args.get("view_id")))
        if record is None:
            return {"ok": False, "error": "not_found"}
        if args.get("hash") and args["hash"] != record.hash:
            return {"ok": False, "error": "hash_conflict"}
        problems = validate_view(args["view"])
        if problems:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": problems},
            }
        record.view = args["view"]
        record.hash = self.workspace.new_id("h")
        return {"ok": True, "view": self.view_payload(record)}

    def m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args["view"]
        problems = validate_view(view)
        if problems:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": problems},
            }
        user = str(args["user_id"])
        self.workspace.home[user] = view
        view_id = self.workspace.home_ids.setdefault(user, self.workspace.new_id("V"))
        return {"ok": True, "view": {"id": view_id, **view}}


def _page(messages: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    """One page of a conversations.* answer, with Slack's cursor pagination: `has_more` and
    `response_metadata.next_cursor` (an opaque string; empty on the last page)."""
    limit = max(1, min(int(args.get("limit") or 100), 999))
    cursor = str(args.get("cursor") or "")
    start = int(cursor.removeprefix("offset:")) if cursor.startswith("offset:") else 0
    page = messages[start : start + limit]
    more = start + limit < len(messages)
    return {
        "ok": True,
        "messages": page,
        "has_more": more,
        "response_metadata": {"next_cursor": f"offset:{start + limit}" if more else ""},
    }
