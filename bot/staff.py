"""Who may act: configured user ids and user groups, resolved with Slack and cached briefly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.policy import Actor, Refusal, Role, Staff, authorize, expand_ids

log = logging.getLogger(__name__)

GROUP_CACHE_TTL = timedelta(minutes=5)


class StaffDirectory:
    """Reviewers and admins as Slack user ids; groups (S…) resolved with
    `usergroups.users.list` and trusted for at most five minutes. When Slack cannot be asked,
    a group's members are not trusted (deny by default)."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        reviewers: Sequence[str],
        admins: Sequence[str],
        clock: Clock,
        team_id: str | None = None,
    ) -> None:
        self._client = client
        self._reviewers = tuple(reviewers)
        self._admins = tuple(admins)
        self._clock = clock
        self._team_id = team_id
        self._groups: dict[str, tuple[datetime, tuple[str, ...]]] = {}
        self._lock = asyncio.Lock()

    @property
    def configured(self) -> bool:
        return bool(self._reviewers or self._admins)

    async def team_id(self) -> str | None:
        if self._team_id is None:
            try:
                answer = await self._client.auth_test()
                self._team_id = str(answer["team_id"])
            except (SlackApiError, TimeoutError, OSError, aiohttp.ClientError) as exc:
                log.warning("auth.test failed, cannot check the workspace of clicks: %s", exc)
        return self._team_id

    async def current(self) -> Staff:
        groups = {g for g in (*self._reviewers, *self._admins) if g.startswith("S")}
        members = {group: await self._members(group) for group in sorted(groups)}
        return Staff(
            team_id=await self.team_id(),
            reviewers=expand_ids(self._reviewers, members),
            admins=expand_ids(self._admins, members),
        )

    async def check(self, actor: Actor, needs: Role) -> Refusal | None:
        return authorize(actor, await self.current(), needs)

    async def is_admin(self, actor: Actor) -> bool:
        return await self.check(actor, Role.ADMIN) is None

    async def _members(self, group: str) -> tuple[str, ...]:
        now = self._clock.now()
        cached = self._groups.get(group)
        if cached and now - cached[0] < GROUP_CACHE_TTL:
            return cached[1]
        async with self._lock:
            cached = self._groups.get(group)
            if cached and now - cached[0] < GROUP_CACHE_TTL:
                return cached[1]
            try:
                answer = await self._client.usergroups_users_list(usergroup=group)
            except SlackApiError as exc:
                log.warning(
                    "could not list members of user group %s: %s", group, exc.response.get("error")
                )
                self._groups.pop(group, None)
                return ()
            except (TimeoutError, OSError, aiohttp.ClientError) as exc:
                log.warning("could not reach Slack to list user group %s: %s", group, exc)
                self._groups.pop(group, None)
                return ()
            users = tuple(str(u) for u in answer.get("users") or ())
            self._groups[group] = (now, users)
            return users
