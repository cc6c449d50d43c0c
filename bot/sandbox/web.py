"""The sandbox's web page: a Slack-like workspace in the browser, served by the fake Slack.

The page reads one person's view of the workspace from `GET /ui/state` and acts through
`POST /ui/*`, which call FakeSlack: every click, submission, reply, slash command and shortcut
reaches the bot as a correctly signed request, exactly as Slack would send it."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from aiohttp import web

from bot.sandbox.fake_slack import BotAnswer, FakeSlack
from bot.sandbox.workspace import Message

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
_STATIC_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


class DemoControls(Protocol):
    """What the page's demo buttons do; each returns a sentence for the person."""

    async def send_more(self) -> str: ...

    async def run_digest(self) -> str: ...


@dataclass(frozen=True)
class Shortcut:
    """A shortcut the app declares in its manifest."""

    callback_id: str
    name: str
    type: str = "message"


@dataclass
class SandboxWeb:
    """The page and its JSON API; `routes()` go on the fake Slack's server."""

    slack: FakeSlack
    roles: dict[str, str]  # person id -> what they are ("reviewer", "admin", "staff")
    shortcuts: Sequence[Shortcut] = ()
    demo: DemoControls | None = None
    title: str = "jobgate sandbox"
    dismissed: dict[str, set[int]] = field(default_factory=dict)
    _errors_for: dict[str, str] = field(default_factory=dict)  # view id -> hash they belong to

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/", self.index),
            web.get("/static/{name}", self.static),
            web.get("/archives/{channel}/{message}", self.archive_link),
            web.get("/ui/people", self.people),
            web.get("/ui/state", self.state),
            web.post("/ui/click", self._act(self._click)),
            web.post("/ui/ephemeral_click", self._act(self._ephemeral_click)),
            web.post("/ui/view_action", self._act(self._view_action)),
            web.post("/ui/home_action", self._act(self._home_action)),
            web.post("/ui/submit", self._act(self._submit)),
            web.post("/ui/close", self._act(self._close)),
            web.post("/ui/message", self._act(self._message)),
            web.post("/ui/shortcut", self._act(self._shortcut)),
            web.post("/ui/home", self._act(self._home)),
            web.post("/ui/dismiss", self._act(self._dismiss)),
            web.post("/ui/demo/more", self._act(self._demo_more)),
            web.post("/ui/demo/digest", self._act(self._demo_digest)),
        ]

    # -- the page --------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = STATIC / name
        if "/" in name or name.startswith(".") or not path.is_file():
            raise web.HTTPNotFound()
        content_type = _STATIC_TYPES.get(path.suffix, "application/octet-stream")
        return web.Response(
            body=path.read_bytes(),
            content_type=content_type,
            charset="utf-8" if content_type.startswith("text") else None,
            headers={"Cache-Control": "no-cache"},
        )

    async def archive_link(self, request: web.Request) -> web.Response:
        """A permalink (chat.getPermalink) opens the message in the page."""
        digits = request.match_info["message"].removeprefix("p")
        ts = f"{digits[:-6]}.{digits[-6:]}" if len(digits) > 6 else digits
        raise web.HTTPFound(f"/#{request.match_info['channel']}/{ts}")

    # -- what one person sees --------------------------------------------------------------

    async def people(self, request: web.Request) -> web.Response:
        """Who can be chosen in the person switcher."""
        return web.json_response(self._people())

    def _people(self) -> list[dict[str, str]]:
        return [
            {
                "id": p.id,
                "name": p.name,
                "real_name": p.real_name,
                "title": p.title,
                "role": self.roles.get(p.id, "guest"),
            }
            for p in self.slack.workspace.people.values()
        ]

    async def state(self, request: web.Request) -> web.Response:
        user = request.query.get("user", "")
        if user not in self.slack.workspace.people:
            return web.json_response({"error": f"no such person: {user!r}"}, status=404)
        body = self.state_for(user)
        tag = hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()
        if request.query.get("etag") == tag:
            return web.json_response({"etag": tag, "same": True})
        return web.json_response({**body, "etag": tag})

    def state_for(self, user: str) -> dict[str, Any]:
        """Channels with messages and threads, DMs, ephemerals, open modals and App Home."""
        workspace = self.slack.workspace
        dm = f"D{user[1:]}"
        channels = [
            {"id": cid, "name": name, "kind": "channel"}
            for cid, name in workspace.channels.items()
            if cid.startswith(("C", "G"))
        ]
        channels.append({"id": dm, "name": "jobgate", "kind": "app"})
        hidden = self.dismissed.get(user, set())
        return {
            "me": user,
            "title": self.title,
            "bot": {"id": self.slack.api.bot_user_id, "name": "jobgate"},
            "people": self._people(),
            "channels": channels,
            "messages": {c["id"]: self._messages(c["id"]) for c in channels},
            "ephemerals": [
                {"id": i, "channel": e.channel, "text": e.text, "blocks": e.blocks, "ts": e.ts}
                for i, e in enumerate(workspace.ephemerals)
                if e.user == user and i not in hidden
            ],
            "views": [
                {
                    "id": v.id,
                    "hash": v.hash,
                    "view": v.view,
                    # errors belong to the form they answered; an updated form starts clean
                    "errors": v.errors if self._errors_for.get(v.id) == v.hash else {},
                }
                for v in self.slack.open_views_for(user)
            ],
            "home": workspace.home.get(user),
            "shortcuts": [vars(s) for s in self.shortcuts],
            "demo": self.demo is not None,
        }

    def _messages(self, channel: str) -> list[dict[str, Any]]:
        workspace = self.slack.workspace
        return [
            {
                **_message(m),
                "replies": [_message(r) for r in workspace.replies(channel, m.ts)],
            }
            for m in workspace.top_level(channel)
        ]

    # -- what one person does --------------------------------------------------------------

    def _act(
        self, action: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            try:
                body = await request.json()
            except ValueError:
                return web.json_response({"error": "send a JSON object"}, status=400)
            user = str(body.get("user", ""))
            if user not in self.slack.workspace.people:
                return web.json_response({"error": f"no such person: {user!r}"}, status=404)
            try:
                return web.json_response(await action(user, body))
            except LookupError as exc:
                return web.json_response({"error": str(exc).strip("'\"")}, status=409)
            except aiohttp.ClientError as exc:
                log.warning("the bot did not answer: %s", exc)
                return web.json_response({"error": f"jobgate did not answer: {exc}"}, status=502)

        return handle

    def _message_at(self, body: dict[str, Any]) -> Message:
        message = self.slack.workspace.find(str(body.get("channel")), str(body.get("ts")))
        if message is None:
            raise LookupError("that message is gone")
        return message

    def _view(self, user: str, body: dict[str, Any]) -> Any:
        view = self.slack.workspace.views.get(str(body.get("view_id")))
        if view is None or view.closed or view.user != user:
            raise LookupError("that window is closed")
        return view

    async def _click(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self.slack.click(
            user,
            self._message_at(body),
            str(body["action_id"]),
            value=body.get("value"),
            selected=body.get("selected"),
        )
        return _answered(answer)

    async def _ephemeral_click(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        index = int(body.get("id", -1))
        ephemerals = self.slack.workspace.ephemerals
        if not 0 <= index < len(ephemerals) or ephemerals[index].user != user:
            raise LookupError("that message is gone")
        answer = await self.slack.ephemeral_click(
            user,
            ephemerals[index],
            str(body["action_id"]),
            value=body.get("value"),
            selected=body.get("selected"),
        )
        return _answered(answer)

    async def _view_action(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self.slack.view_action(
            user,
            self._view(user, body),
            str(body["action_id"]),
            body.get("selected"),
            values=body.get("values") or {},
            value=body.get("value"),
        )
        return _answered(answer)

    async def _home_action(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        if user not in self.slack.workspace.home:
            raise LookupError("jobgate has not published a Home for you")
        answer = await self.slack.home_action(
            user,
            str(body["action_id"]),
            body.get("selected"),
            value=body.get("value"),
            values=body.get("values") or {},
        )
        return _answered(answer)

    async def _submit(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        view = self._view(user, body)
        view.errors = {}
        answer = await self.slack.submit(user, view, body.get("values") or {})
        self._errors_for[view.id] = view.hash
        return {**_answered(answer), "closed": view.closed, "errors": view.errors}

    async def _close(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        self.slack.close_view(user, self._view(user, body))
        return {"ok": True}

    async def _message(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        text = str(body.get("text", "")).strip()
        channel = str(body.get("channel", ""))
        if not text:
            raise LookupError("type something first")
        if text.startswith("/"):
            command, _, rest = text.partition(" ")
            if command != "/jobgate":
                return {"ok": False, "error": f"{command} is not a command here; try /jobgate help"}
            return _answered(await self.slack.slash(user, rest.strip(), channel=channel))
        thread_ts = body.get("thread_ts")
        await self.slack.say(
            user,
            channel,
            self._as_slack_text(text),
            thread_ts=str(thread_ts) if thread_ts else None,
        )
        return {"ok": True}

    def _as_slack_text(self, typed: str) -> str:
        """What Slack's client sends for typed text: & < > escaped, @names as mentions."""
        text = "".join(_ENTITIES.get(ch, ch) for ch in typed)
        handles = {p.name.lower(): p.id for p in self.slack.workspace.people.values()}
        handles["jobgate"] = self.slack.api.bot_user_id

        def mention(match: re.Match[str]) -> str:
            found = handles.get(match.group(1).lower())
            return f"<@{found}>" if found else match.group(0)

        return re.sub(r"(?<![\w@])@([\w.-]+)", mention, text)

    async def _shortcut(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        callback_id = str(body.get("callback_id"))
        if callback_id not in {s.callback_id for s in self.shortcuts}:
            raise LookupError(f"no shortcut {callback_id}")
        answer = await self.slack.message_shortcut(user, self._message_at(body), callback_id)
        return _answered(answer)

    async def _home(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self.slack.open_home(user)
        # an app with no app_home_opened listener answers 404; Slack shows an empty Home then
        return {"ok": True, "handled": answer.status == 200}

    async def _dismiss(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        self.dismissed.setdefault(user, set()).add(int(body.get("id", -1)))
        return {"ok": True}

    async def _demo_more(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.demo is None:
            raise LookupError("no demo platform here")
        return {"ok": True, "said": await self.demo.send_more()}

    async def _demo_digest(self, user: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.demo is None:
            raise LookupError("no demo platform here")
        return {"ok": True, "said": await self.demo.run_digest()}


def _message(message: Message) -> dict[str, Any]:
    return {
        "ts": message.ts,
        "text": message.text,
        "blocks": message.blocks,
        "user": message.user,
        "bot": bool(message.bot_id),
        "edited": bool(message.edited_ts),
        "thread_ts": message.thread_ts,
    }


def _answered(answer: BotAnswer) -> dict[str, Any]:
    """How the bot answered the signed request (Slack shows an error when it is not 200)."""
    if answer.status == 200:
        return {"ok": True}
    return {"ok": False, "error": f"jobgate answered HTTP {answer.status}", "status": answer.status}
