"""A fake Slack for tests and the sandbox: the Web API on loopback, plus people who click,
submit modals, type slash commands and reply in threads, sent to the bot as correctly signed
HTTP requests exactly as Slack sends them."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from bot.sandbox.slack_api import SlackApi
from bot.sandbox.workspace import Ephemeral, Message, OpenView, Workspace

APP_ID = "A0JOBGATE"


def slack_signature(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(
        secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256
    ).hexdigest()
    return f"v0={digest}"


@dataclass
class BotAnswer:
    status: int
    body: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body.strip().startswith("{") else {}


class FakeSlack:
    """Start with `await FakeSlack(...).start()`; point the bot's SLACK_API_URL at `api_url`
    and this at the bot with `bot_url`."""

    def __init__(
        self,
        *,
        signing_secret: str,
        bot_token: str = "xoxb-jobgate-test",
        team_id: str = "T0JOBGATE",
        verification_token: str = "legacy-token",
    ) -> None:
        self.signing_secret = signing_secret
        self.bot_token = bot_token
        self.verification_token = verification_token
        self.workspace = Workspace(team_id)
        self.api = SlackApi(self.workspace, bot_token=bot_token)
        self.bot_url: str | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, extra_routes: list[web.RouteDef] | None = None
    ) -> FakeSlack:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.add_routes(self.api.routes())
        if extra_routes:
            app.add_routes(extra_routes)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        assert sockets, "the fake Slack did not bind a socket"
        self.port = int(sockets[0].getsockname()[1])
        self.api.base_url = f"http://{host}:{self.port}/api/"
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return self.api.base_url

    @property
    def root_url(self) -> str:
        return self.api.base_url.removesuffix("api/")

    # -- sending to the bot ----------------------------------------------------------------

    def signed_headers(
        self,
        body: str,
        *,
        timestamp: int | None = None,
        content_type: str,
        retry_num: int | None = None,
    ) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": slack_signature(self.signing_secret, stamp, body),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return headers

    async def deliver(
        self,
        body: str,
        *,
        content_type: str,
        timestamp: int | None = None,
        retry_num: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> BotAnswer:
        """POST a body to the bot's /slack/events, signed (or with the headers given)."""
        assert self.bot_url and self._session, "start() and set bot_url first"
        sent = (
            headers
            if headers is not None
            else self.signed_headers(
                body, timestamp=timestamp, content_type=content_type, retry_num=retry_num
            )
        )
        async with self._session.post(self.bot_url, data=body.encode(), headers=sent) as response:
            return BotAnswer(response.status, await response.text())

    async def send_interaction(self, payload: dict[str, Any], **kwargs: Any) -> BotAnswer:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.deliver(body, content_type="application/x-www-form-urlencoded", **kwargs)

    def _user(self, user_id: str) -> dict[str, Any]:
        person = self.workspace.people.get(user_id)
        team = person.team_id if person else self.workspace.team_id
        name = person.name if person else user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": team}

    def _trigger(self, user_id: str) -> str:
        digest = hashlib.sha256(user_id.encode()).hexdigest()[:12]
        trigger = f"{int(time.time())}.{self.workspace.new_id('')}.{digest}"
        self.api.triggers[trigger] = user_id
        return trigger

    def response_url(self, user_id: str, channel: str) -> str:
        """A response_url that lands in this fake (as an ephemeral for `user_id`)."""
        response_id = self.workspace.new_id("R")
        return f"{self.root_url}response/{response_id}?user={user_id}&channel={channel}"

    def _team(self, user_id: str) -> dict[str, Any]:
        return {"id": self.workspace.team_id, "domain": self.workspace.team_domain}

    def block_actions_payload(
        self,
        user_id: str,
        message: Message,
        action_id: str,
        *,
        value: str | None = None,
        selected: str | None = None,
    ) -> dict[str, Any]:
        """What Slack sends when `user_id` uses the element `action_id` on `message`."""
        block_id, element = _find_element(message.blocks, action_id, value)
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": element.get("type", "button"),
            "action_ts": f"{time.time():.6f}",
        }
        if element.get("type") == "overflow" or selected is not None:
            chosen = next(
                (o for o in element.get("options", []) if o.get("value") == selected), None
            )
            action["selected_option"] = chosen or {"value": selected}
        else:
            action["value"] = element.get("value")
            action["text"] = element.get("text")
        return {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": APP_ID,
            "token": self.verification_token,
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": False,
            },
            "trigger_id": self._trigger(user_id),
            "team": self._team(user_id),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {
                "id": message.channel,
                "name": self.workspace.channels.get(message.channel, ""),
            },
            "message": {**message.as_slack(), "team": self.workspace.team_id},
            "state": {"values": {}},
            "response_url": self.response_url(user_id, message.channel),
            "actions": [action],
        }

    async def click(
        self,
        user_id: str,
        message: Message,
        action_id: str,
        *,
        value: str | None = None,
        selected: str | None = None,
        **kwargs: Any,
    ) -> BotAnswer:
        """`user_id` presses a button (or picks an overflow option) on a message."""
        payload = self.block_actions_payload(
            user_id, message, action_id, value=value, selected=selected
        )
        return await self.send_interaction(payload, **kwargs)

    def view_submission_payload(
        self, user_id: str, view: OpenView, values: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        return {
            "type": "view_submission",
            "team": self._team(user_id),
            "user": self._user(user_id),
            "api_app_id": APP_ID,
            "token": self.verification_token,
            "trigger_id": self._trigger(user_id),
            "view": {**self.api.view_payload(view), "state": {"values": values}},
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

    async def submit(
        self, user_id: str, view: OpenView, values: dict[str, dict[str, Any]], **kwargs: Any
    ) -> BotAnswer:
        """`user_id` submits the open modal `view` with input `values` (Slack's state shape)."""
        answer = await self.send_interaction(
            self.view_submission_payload(user_id, view, values), **kwargs
        )
        data = answer.json() if answer.status == 200 else {}
        action = data.get("response_action")
        if answer.status == 200 and action is None:
            view.closed = True
        elif action == "errors":
            view.errors = data.get("errors", {})
        elif action == "update":
            view.view = data["view"]
        elif action == "clear":
            view.closed = True
        return answer

    async def view_action(
        self,
        user_id: str,
        view: OpenView,
        action_id: str,
        selected: list[str] | str | None,
        *,
        values: dict[str, dict[str, Any]] | None = None,
        value: str | None = None,
    ) -> BotAnswer:
        """`user_id` changes a select (or presses a button, with `value`) inside an open modal
        (dispatches block_actions); `values` is the modal's input state at that moment."""
        block_id, element = _find_element(view.view.get("blocks", []), action_id, value)
        payload = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": APP_ID,
            "token": self.verification_token,
            "team": self._team(user_id),
            "container": {"type": "view", "view_id": view.id},
            "trigger_id": self._trigger(user_id),
            "view": {**self.api.view_payload(view), "state": {"values": values or {}}},
            "actions": [_action(block_id, element, action_id, selected)],
        }
        return await self.send_interaction(payload)

    async def home_action(
        self,
        user_id: str,
        action_id: str,
        selected: list[str] | str | None = None,
        *,
        value: str | None = None,
        values: dict[str, dict[str, Any]] | None = None,
    ) -> BotAnswer:
        """`user_id` uses an element of the App Home view jobgate published for them."""
        home = self.workspace.home[user_id]
        block_id, element = _find_element(home.get("blocks", []), action_id, value)
        view_id = self.workspace.home_ids.get(user_id) or self.workspace.new_id("V")
        payload = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": APP_ID,
            "token": self.verification_token,
            "team": self._team(user_id),
            "container": {"type": "view", "view_id": view_id},
            "trigger_id": self._trigger(user_id),
            "view": {
                "id": view_id,
                "team_id": self.workspace.team_id,
                "app_id": APP_ID,
                "bot_id": self.api.bot_id,
                "private_metadata": "",
                "callback_id": "",
                **home,
                "type": "home",
                "state": {"values": values or {}},
            },
            "actions": [_action(block_id, element, action_id, selected)],
        }
        return await self.send_interaction(payload)

    async def ephemeral_click(
        self,
        user_id: str,
        ephemeral: Ephemeral,
        action_id: str,
        *,
        value: str | None = None,
        selected: str | None = None,
    ) -> BotAnswer:
        """`user_id` uses an element of a message only they see (Slack sends no `message`)."""
        block_id, element = _find_element(ephemeral.blocks or [], action_id, value)
        channel = ephemeral.channel or ""
        payload = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": APP_ID,
            "token": self.verification_token,
            "container": {
                "type": "message",
                "message_ts": ephemeral.ts,
                "channel_id": channel,
                "is_ephemeral": True,
            },
            "trigger_id": self._trigger(user_id),
            "team": self._team(user_id),
            "channel": {"id": channel, "name": self.workspace.channels.get(channel, "")},
            "state": {"values": {}},
            "response_url": self.response_url(user_id, channel),
            "actions": [_action(block_id, element, action_id, selected)],
        }
        return await self.send_interaction(payload)

    async def message_shortcut(self, user_id: str, message: Message, callback_id: str) -> BotAnswer:
        """`user_id` runs the app's message shortcut `callback_id` on `message`."""
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "trigger_id": self._trigger(user_id),
            "message_ts": message.ts,
            "response_url": self.response_url(user_id, message.channel),
            "message": {**message.as_slack(), "team": self.workspace.team_id},
            "team": self._team(user_id),
            "user": self._user(user_id),
            "channel": {
                "id": message.channel,
                "name": self.workspace.channels.get(message.channel, ""),
            },
            "token": self.verification_token,
            "action_ts": f"{time.time():.6f}",
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return await self.send_interaction(payload)

    def close_view(self, user_id: str, view: OpenView) -> None:
        """`user_id` presses Cancel (or ×): the modal closes."""
        if view.user == user_id:
            view.closed = True

    async def slash(
        self, user_id: str, text: str, *, channel: str, command: str = "/jobgate", **kwargs: Any
    ) -> BotAnswer:
        person = self.workspace.people.get(user_id)
        fields = {
            "token": self.verification_token,
            "team_id": self.workspace.team_id,
            "team_domain": self.workspace.team_domain,
            "channel_id": channel,
            "channel_name": self.workspace.channels.get(channel, ""),
            "user_id": user_id,
            "user_name": person.name if person else user_id,
            "command": command,
            # as Slack does: &, < and > arrive as entities in a command's text
            "text": html.escape(text, quote=False),
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.response_url(user_id, channel),
            "trigger_id": self._trigger(user_id),
        }
        return await self.deliver(
            urlencode(fields), content_type="application/x-www-form-urlencoded", **kwargs
        )

    def event_envelope(self, event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        return {
            "token": self.verification_token,
            "team_id": self.workspace.team_id,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or self.workspace.new_id("Ev"),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.workspace.team_id,
                    "user_id": self.api.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }

    async def send_event(
        self, event: dict[str, Any], *, event_id: str | None = None, **kwargs: Any
    ) -> BotAnswer:
        body = json.dumps(self.event_envelope(event, event_id))
        return await self.deliver(body, content_type="application/json", **kwargs)

    async def reply_in_thread(self, user_id: str, parent: Message, text: str) -> Message:
        """A person replies under a message: stored, and the `message` event sent to the bot."""
        message = self.workspace.post(
            parent.channel, text=text, blocks=None, user=user_id, thread_ts=parent.ts
        )
        await self.send_event(
            {
                "type": "message",
                "channel": parent.channel,
                "user": user_id,
                "text": text,
                "ts": message.ts,
                "thread_ts": parent.ts,
                "channel_type": "channel",
                "event_ts": message.ts,
                "team": self.workspace.team_id,
            }
        )
        return message

    async def say(
        self, user_id: str, channel: str, text: str, *, thread_ts: str | None = None
    ) -> Message:
        """`user_id` posts `text` in a channel or a thread: the `message` event, then
        `app_mention` when the text mentions the app, as Slack sends both."""
        message = self.workspace.post(
            channel, text=text, blocks=None, user=user_id, thread_ts=thread_ts
        )
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "user": user_id,
            "text": text,
            "ts": message.ts,
            "channel_type": "im" if channel.startswith("D") else "channel",
            "event_ts": message.ts,
            "team": self.workspace.team_id,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        await self.send_event(event)
        if f"<@{self.api.bot_user_id}>" in text:
            mention = {k: v for k, v in event.items() if k != "channel_type"}
            await self.send_event({**mention, "type": "app_mention"})
        return message

    async def open_home(self, user_id: str) -> BotAnswer:
        """`user_id` opens the app's Home tab (the `app_home_opened` event)."""
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.workspace.dm_channel(user_id),
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        }
        home = self.workspace.home.get(user_id)
        if home is not None:
            event["view"] = {
                "id": self.workspace.home_ids.get(user_id, ""),
                "team_id": self.workspace.team_id,
                **home,
                "type": "home",
            }
        return await self.send_event(event)

    # -- reading the transcript ------------------------------------------------------------

    def bot_messages(self, channel: str) -> list[Message]:
        return [m for m in self.workspace.top_level(channel) if m.bot_id]

    def only_message(self, channel: str) -> Message:
        messages = self.bot_messages(channel)
        assert len(messages) == 1, f"expected one message in {channel}, found {len(messages)}"
        return messages[0]

    def thread(self, message: Message) -> list[Message]:
        return self.workspace.replies(message.channel, message.ts)

    def ephemerals_for(self, user_id: str) -> list[Ephemeral]:
        return [e for e in self.workspace.ephemerals if e.user == user_id]

    def open_views_for(self, user_id: str) -> list[OpenView]:
        return [v for v in self.workspace.views.values() if v.user == user_id and not v.closed]

    async def wait_for(self, predicate: Any, timeout: float = 5.0, what: str = "condition") -> Any:
        """Poll until `predicate()` is truthy; its value is returned. Fails with `what`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if loop.time() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            await asyncio.sleep(0.01)


def _action(
    block_id: str, element: dict[str, Any], action_id: str, selected: list[str] | str | None
) -> dict[str, Any]:
    """One entry of a block_actions payload's `actions`, as Slack writes it per element type."""
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": element.get("type"),
        "action_ts": f"{time.time():.6f}",
    }
    options = {o.get("value"): o for o in element.get("options", [])}
    if isinstance(selected, list):
        action["selected_options"] = [options.get(v) or {"value": v} for v in selected]
    elif selected is not None:
        action["selected_option"] = options.get(selected) or {"value": selected}
    else:
        action["value"] = element.get("value")
        action["text"] = element.get("text")
    return action


def _find_element(
    blocks: list[dict[str, Any]], action_id: str, value: str | None
) -> tuple[str, dict[str, Any]]:
    for block in blocks:
        elements = block.get("elements") or ([block["accessory"]] if "accessory" in block else [])
        if block.get("type") == "input" and "element" in block:
            elements = [block["element"]]
        for element in elements:
            if element.get("action_id") == action_id and (
                value is None or element.get("value") == value
            ):
                return str(block.get("block_id", "")), element
    raise LookupError(f"no element {action_id!r} on this surface")
