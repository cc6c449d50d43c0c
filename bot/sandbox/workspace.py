"""The state of a local Slack-like workspace: people, channels, messages, views."""

from __future__ import annotations

import itertools
import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Person:
    id: str
    name: str
    real_name: str
    team_id: str
    is_bot: bool = False
    title: str = ""


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str | None = None
    bot_id: str | None = None
    thread_ts: str | None = None
    edited_ts: str | None = None
    deleted: bool = False

    def as_slack(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": "message",
            "ts": self.ts,
            "text": self.text,
            "blocks": self.blocks,
        }
        if self.user:
            data["user"] = self.user
        if self.bot_id:
            data["bot_id"] = self.bot_id
            data["app_id"] = "A0JOBGATE"
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if self.edited_ts:
            data["edited"] = {"user": self.user or self.bot_id, "ts": self.edited_ts}
        return data


@dataclass
class Ephemeral:
    channel: str | None
    user: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    via: str = "chat.postEphemeral"
    ts: str = ""


@dataclass
class OpenView:
    id: str
    user: str
    view: dict[str, Any]
    hash: str
    trigger_id: str
    closed: bool = False
    errors: dict[str, str] = field(default_factory=dict)


class Workspace:
    """One team with its people, channels (public, DM) and what the app showed each person."""

    def __init__(self, team_id: str = "T0JOBGATE", team_domain: str = "jobgate-sandbox") -> None:
        self.team_id = team_id
        self.team_domain = team_domain
        self.people: dict[str, Person] = {}
        self.channels: dict[str, str] = {}  # id -> name
        self.messages: dict[str, list[Message]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, OpenView] = {}
        self.home: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.home_ids: dict[str, str] = {}  # user -> the id of their App Home view
        self._ids = itertools.count(1)
        self._last_ts = 0.0

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def next_ts(self) -> str:
        now = max(time.time(), self._last_ts + 0.000001)
        self._last_ts = now
        return f"{now:.6f}"

    def add_person(
        self,
        person_id: str,
        name: str,
        *,
        team_id: str | None = None,
        real_name: str | None = None,
        title: str = "",
    ) -> Person:
        person = Person(
            person_id, name, real_name or name.title(), team_id or self.team_id, title=title
        )
        self.people[person_id] = person
        return person

    def add_channel(self, channel_id: str, name: str) -> None:
        self.channels[channel_id] = name
        self.messages.setdefault(channel_id, [])

    def dm_channel(self, user_id: str) -> str:
        channel_id = f"D{user_id[1:]}"
        if channel_id not in self.channels:
            self.add_channel(channel_id, f"dm-{user_id}")
        return channel_id

    def post(
        self,
        channel: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None,
        user: str | None = None,
        bot_id: str | None = None,
        thread_ts: str | None = None,
    ) -> Message:
        message = Message(channel, self.next_ts(), text, blocks or [], user, bot_id, thread_ts)
        self.messages.setdefault(channel, []).append(message)
        return message

    def find(self, channel: str, ts: str) -> Message | None:
        for message in self.messages.get(channel, []):
            if message.ts == ts and not message.deleted:
                return message
        return None

    def top_level(self, channel: str) -> list[Message]:
        return [m for m in self.messages.get(channel, []) if not m.thread_ts and not m.deleted]

    def replies(self, channel: str, thread_ts: str) -> list[Message]:
        return [
            m for m in self.messages.get(channel, []) if m.thread_ts == thread_ts and not m.deleted
        ]

    def snapshot(self) -> dict[str, Any]:
        """Channels, messages and App Home views as JSON-ready data (the sandbox keeps them)."""
        following = next(self._ids)
        self._ids = itertools.count(following)
        return {
            "channels": dict(self.channels),
            "messages": [asdict(m) for ms in self.messages.values() for m in ms],
            "home": dict(self.home),
            "home_ids": dict(self.home_ids),
            "last_ts": self._last_ts,
            "next_id": following,
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Bring back what `snapshot` returned (people are added by whoever starts the fake)."""
        for channel_id, name in data.get("channels", {}).items():
            self.add_channel(channel_id, name)
        for fields in data.get("messages", []):
            message = Message(**fields)
            self.messages.setdefault(message.channel, []).append(message)
        self.home.update(data.get("home", {}))
        self.home_ids.update(data.get("home_ids", {}))
        self._last_ts = max(self._last_ts, float(data.get("last_ts", 0.0)))
        self._ids = itertools.count(max(int(data.get("next_id", 1)), next(self._ids)))
