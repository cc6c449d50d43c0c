"""Who may act: configured user ids and user groups, resolved with Slack and cached briefly."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.policy import Actor, Refusal, Role, Staff, authorize, expand_ids

log = logging.getLogger(__name__)

GROUP_CACHE_TTL = timedelta(minutes=5)
# another jobgate process's change of the reviewers applies within this; this process's own,
# at once (settings_changed)
STORED_TTL = timedelta(seconds=30)

# the `reviewers` workspace setting: None when no admin has set it
StoredReviewers = Callable[[], Awaitable[tuple[str, ...] | None]]


class StaffDirectory:
    """Reviewers and admins as Slack user ids; groups (S…) resolved with
    `usergroups.users.list` and trusted for at most five minutes. When Slack cannot be asked,
    a group's members are not trusted (deny by default).

    The reviewers are the workspace's `reviewers` setting when an admin has set one in Slack
    (`stored_reviewers`, read again at most every STORED_TTL, and at once after
    `settings_changed`), else the environment's; the admins are always the environment's."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        reviewers: Sequence[str],
        admins: Sequence[str],
        clock: Clock,
        team_id: str | None = None,
        stored_reviewers: StoredReviewers | None = None,
    ) -> None:
        self._client = client
        self._reviewers = tuple(reviewers)
        self._admins = tuple(admins)
        self._clock = clock
        self._team_id = team_id
        self._load_stored = stored_reviewers
        self._stored: tuple[datetime, tuple[str, ...] | None] | None = None
        # bumped by settings_changed: a read begun before a save does not put back its value
        self._generation = 0
        self._groups: dict[str, tuple[datetime, tuple[str, ...]]] = {}
        self._lock = asyncio.Lock()

    def settings_changed(self) -> None:
        """An admin saved a setting: the next check reads the reviewers again."""
        self._stored = None
        self._generation += 1

    async def reviewers(self) -> tuple[str, ...]:
        """The reviewer entries in force (user and group ids, groups not expanded)."""
        if self._load_stored is None:
            return self._reviewers
        now = self._clock.now()
        if self._stored is not None and now - self._stored[0] < STORED_TTL:
            stored = self._stored[1]
        else:
            generation = self._generation
            stored = await self._load_stored()
            if generation == self._generation:
                self._stored = (now, stored)
        return self._reviewers if stored is None else stored

    async def team_id(self) -> str | None:
        if self._team_id is None:
            try:
                answer = await self._client.auth_test()
                self._team_id = str(answer["team_id"])
            except (SlackApiError, TimeoutError, OSError, aiohttp.ClientError) as exc:
                log.warning("auth.test failed, cannot check the workspace of clicks: %s", exc)
        return self._team_id

    async def current(self) -> Staff:
        reviewers = await self.reviewers()
        groups = {g for g in (*reviewers, *self._admins) if g.startswith("S")}
        members = {group: await self._members(group) for group in sorted(groups)}
        return Staff(
            team_id=await self.team_id(),
            reviewers=expand_ids(reviewers, members),
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
