"""The outbox deliverer: posts cards, thread replies and messages to Slack, events to the
platform, in order per lane, paced under Slack's limits, retried until delivered."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import heapq
import logging
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.bulk import progress_update_due
from bot.clock import Clock, stored_ceiling
from bot.metrics import Metrics
from bot.pacing import Pacer, SlackPacing
from bot.platform_client import Verdict, WebhookSender, parse_retry_after
from handlers.blocks.bulk import render_bulk_progress
from handlers.blocks.cards import render_card
from handlers.blocks.reports import render_report_card
from handlers.blocks.threads import render_thread_reply
from handlers.ids import outbox_marker
from storage.outbox import UNCERTAIN, OutboxItem, card_lane
from storage.repository import Repository

log = logging.getLogger(__name__)

SLACK_KINDS = ("card", "thread", "message", "dm", "report_card", "progress")
WEBHOOK_KINDS = ("webhook",)
WEBHOOK_DISABLED_KEY = "webhook_disabled"
# Slack's answers that do not say the call did nothing: "internal_error" may have partly
# succeeded, and a post may have gone through before "service_unavailable" or a timeout.
MAYBE_DONE_SLACK_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# a DM post answered this: the remembered DM channel is not (or no longer) the one to use
NOT_POSTABLE_DM = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
# Slack errors that no retry can fix: the message itself is wrong, or nobody can receive it.
PERMANENT_SLACK_ERRORS = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "no_text",
        "invalid_arguments",
        "too_many_attachments",
        "cant_update_message",
        "edit_window_closed",
        "is_archived",
        # conversations.open for a DM: the person cannot be written to, now or later
        "user_not_found",
        "user_not_visible",
        "user_disabled",
        "users_list_not_supplied",
    }
)
MAX_DM_CHANNELS = 10_000  # people whose DM channel is remembered
MAX_WAKES = 10_000  # beyond this many deferred moments, the idle poll finds the rest


@dataclass(frozen=True)
class DeliveryPolicy:
    base_delay_s: float = 2.0
    max_delay_s: float = 900.0
    give_up_after: timedelta = timedelta(hours=72)
    lease: timedelta = timedelta(seconds=90)
    slack_slots: int = 16
    webhook_slots: int = 16
    idle_poll_s: float = 0.5
    # once woken, wait this long before claiming, so a burst of commits (clicks arriving
    # together, screening batches) costs one claim through the single writer, not one each
    coalesce_s: float = 0.02
    # a bulk run's progress message: looked at this often, updated when this many more cards
    # are done (and at the end), so it costs a sliver of the chat.update budget
    progress_check_s: float = 2.0
    progress_every_cards: int = 25
    # after a lost answer, pages of 200 messages looked through for the earlier post
    search_pages: int = 10
    # at a stop, how long sends in flight may take to finish before they are cancelled (and
    # retried, looking before they post again, on the next start)
    stop_wait_s: float = 10.0

    @property
    def attempt_budget_s(self) -> float:
        """How long one attempt may take: well inside its lease, so it is never claimed a
        second time while it still runs."""
        return self.lease.total_seconds() * 0.8


@dataclass
class DeliveryHealth:
    last_slack_error: str | None = None
    last_slack_error_at: datetime | None = None
    last_webhook_error: str | None = None
    last_webhook_error_at: datetime | None = None
    webhook_disabled: dict[str, Any] | None = None
    delivered: int = 0
    rate_limited: int = 0
    recent: dict[str, int] = field(default_factory=dict)


class Deliverer:
    def __init__(
        self,
        repo: Repository,
        slack: AsyncWebClient,
        *,
        review_channel: str,
        reports_channel: str | None = None,
        webhook: WebhookSender | None,
        clock: Clock,
        metrics: Metrics,
        policy: DeliveryPolicy | None = None,
        pacing: SlackPacing | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._repo = repo
        self._slack = slack
        self._review_channel = review_channel
        self._reports_channel = reports_channel or review_channel
        self._webhook = webhook
        self._clock = clock
        self._metrics = metrics
        self.policy = policy or DeliveryPolicy()
        self._pacer = Pacer(pacing or SlackPacing())
        self._rng = rng or random.Random()
        self.owner = f"deliverer-{uuid.uuid4().hex[:12]}"
        self.health = DeliveryHealth()
        self._wake = asyncio.Event()
        self._stopping = False
        # items whose look-up for an earlier post has started and not finished (this try)
        self._looking: set[int] = set()
        # user -> their DM channel with jobgate (stable in Slack): one conversations.open per
        # person, not one per DM and per turn it is told to wait
        self._dm_channels: dict[str, str] = {}
        self._slack_in_flight: set[asyncio.Task[None]] = set()
        self._webhook_in_flight: set[asyncio.Task[None]] = set()
        # moments items were deferred to (pacing, retries): the loop wakes at each of them
        self._wakes: list[datetime] = []

    # -- lifecycle -------------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    async def load_state(self) -> None:
        disabled = await self._repo.get_system_state(WEBHOOK_DISABLED_KEY)
        if disabled and self._webhook and disabled.get("url") == self._webhook.url:
            self.health.webhook_disabled = disabled
            log.error(
                "platform webhooks stay disabled: %s answered 410 Gone at %s; decisions wait in "
                "the outbox until JOBGATE_WEBHOOK_URL changes",
                disabled.get("url"),
                disabled.get("at"),
            )

    async def run(self) -> None:
        """Deliver until stopped; wakes on new outbox rows, finished sends and a short poll."""
        await self.load_state()
        while not self._stopping:
            self._wake.clear()
            # read before the claim: a wake-up falling due while it runs is kept, not dropped
            # as if the claim had covered it (its item would wait for the idle poll)
            now = self._clock.now()
            try:
                await self.fill_slots()
            except Exception:
                log.exception("the outbox deliverer could not claim work; retrying shortly")
            timeout = self.policy.idle_poll_s
            while self._wakes and self._wakes[0] <= now:
                heapq.heappop(self._wakes)
            if self._wakes:
                until = (self._wakes[0] - self._clock.now()).total_seconds()
                timeout = max(0.01, min(timeout, until))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
                if self.policy.coalesce_s > 0 and not self._stopping:
                    await asyncio.sleep(self.policy.coalesce_s)

    def stop_claiming(self) -> None:
        """`run` ends after the claim it may be in."""
        self._stopping = True
        self._wake.set()

    async def stop(self) -> None:
        """Once `run` has ended (nothing new is claimed): let the sends in flight finish, for
        `stop_wait_s` at most, cancel the rest, and give back this process's leases, so the
        next start takes their items at once. Nothing runs after this against a closed
        database or HTTP session."""
        self.stop_claiming()
        pending = self._slack_in_flight | self._webhook_in_flight
        if pending:
            _, late = await asyncio.wait(pending, timeout=self.policy.stop_wait_s)
            for task in late:
                task.cancel()
            if late:
                log.info("stopping: %d send(s) still in flight were cut short", len(late))
                # bounded too: a cancellation can be swallowed (see Jobgate.stop)
                await asyncio.wait(late, timeout=self.policy.stop_wait_s)
        await self._repo.release_outbox_leases(self.owner)

    async def fill_slots(self, lanes: tuple[str, ...] | None = None) -> int:
        """Claim due lane heads (of `lanes` only, when given) into free slots and start
        sending them."""
        started = 0
        started += await self._fill(
            self._slack_in_flight, self.policy.slack_slots, SLACK_KINDS, lanes
        )
        if self._webhook is not None and self.health.webhook_disabled is None:
            started += await self._fill(
                self._webhook_in_flight, self.policy.webhook_slots, WEBHOOK_KINDS, lanes
            )
        return started

    async def _fill(
        self,
        in_flight: set[asyncio.Task[None]],
        slots: int,
        kinds: tuple[str, ...],
        lanes: tuple[str, ...] | None,
    ) -> int:
        free = slots - len(in_flight)
        if free <= 0:
            return 0
        items = await self._repo.claim_outbox_items(
            now=self._clock.now(),
            owner=self.owner,
            lease=self.policy.lease,
            limit=free,
            kinds=kinds,
            lanes=lanes,
        )
        for item in items:
            task = asyncio.create_task(self._deliver(item), name=f"deliver-{item.message_id}")
            in_flight.add(task)
            task.add_done_callback(partial(self._finished, in_flight))
        return len(items)

    def _finished(self, in_flight: set[asyncio.Task[None]], task: asyncio.Task[None]) -> None:
        in_flight.discard(task)
        self._wake.set()  # a lane's next item may be due now

    async def drain(
        self, timeout: float = 10.0, horizon_s: float = 2.0, *, lanes: tuple[str, ...] | None = None
    ) -> bool:
        """Deliver until nothing is in flight or due within `horizon_s` (paced or retried
        items due sooner are waited for); for tests and one-shot commands. `lanes`: only
        these (a one-shot command beside a running bot leaves the rest to the bot, whose
        pacing knows what it already sent). True when something is still waiting."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            started = await self.fill_slots(lanes)
            in_flight = self._slack_in_flight | self._webhook_in_flight
            if in_flight:
                await asyncio.wait(in_flight, timeout=max(0.0, deadline - loop.time()))
                continue
            if started:
                continue
            due = await self._repo.next_outbox_due(self._claimable_kinds(), lanes)
            if due is None:
                return False
            wait = (due - self._clock.now()).total_seconds()
            if wait > horizon_s:
                return True
            await asyncio.sleep(max(0.005, min(wait, deadline - loop.time())))
        return await self._repo.next_outbox_due(self._claimable_kinds(), lanes) is not None

    def _claimable_kinds(self) -> tuple[str, ...]:
        if self._webhook is not None and self.health.webhook_disabled is None:
            return SLACK_KINDS + WEBHOOK_KINDS
        return SLACK_KINDS

    # -- one item --------------------------------------------------------------------------

    async def _deliver(self, item: OutboxItem) -> None:
        try:
            async with asyncio.timeout(self.policy.attempt_budget_s):
                if item.kind == "webhook":
                    await self._deliver_webhook(item)
                else:
                    await self._deliver_slack(item)
        except TimeoutError:
            log.warning(
                "outbox item %s (%s): its attempt took over %.0f s and was stopped; unless it "
                "had settled, it is retried (looking before it posts again)",
                item.id,
                item.kind,
                self.policy.attempt_budget_s,
            )
            # settling is guarded by the attempt's claim: after a settle this changes nothing
            await self._retry(item, f"{UNCERTAIN}attempt over its time")
        except Exception as exc:
            log.exception("delivering outbox item %s (%s) failed unexpectedly", item.id, item.kind)
            # it may have failed after Slack took the message (storing the answer, say): the
            # next try looks before posting again
            await self._retry(item, f"{UNCERTAIN}internal error: {type(exc).__name__}")
        finally:
            # an item told to wait keeps its turn; any other ending gives it up, so an item
            # that comes back for something else (a progress message's next look) does not
            # hold up the ones queued behind it. Per attempt: each runs in its own task.
            if not _TOLD_TO_WAIT.get():
                self._pacer.release(item.id)

    async def _deliver_webhook(self, item: OutboxItem) -> None:
        assert self._webhook is not None
        now = self._clock.now()
        result = await self._webhook.send(item.message_id, item.payload, now)
        self._metrics.webhooks.labels(result.verdict.value).inc()
        if result.verdict is Verdict.DELIVERED:
            await self._repo.settle_delivered(item, self._clock.now())
            self.health.delivered += 1
            return
        self.health.last_webhook_error = result.detail
        self.health.last_webhook_error_at = now
        if result.verdict is Verdict.GONE:
            state = {"url": self._webhook.url, "at": now.isoformat(), "detail": result.detail}
            await self._repo.set_system_state(WEBHOOK_DISABLED_KEY, state, now)
            self.health.webhook_disabled = state
            await self._repo.defer_outbox_item(item, now)
            # the events kept back get their full retry time once a new URL takes them
            await self._repo.restart_give_up_clocks(WEBHOOK_KINDS)
            log.error(
                "the platform answered 410 Gone for %s: webhook delivery is disabled and events "
                "are kept in the outbox; set a new JOBGATE_WEBHOOK_URL and restart to resume",
                self._webhook.url,
            )
            return
        log.warning("webhook %s not accepted (%s); will retry", item.message_id, result.detail)
        await self._retry(item, result.detail, at_least_s=result.retry_after_s)

    async def _deliver_slack(self, item: OutboxItem) -> None:
        try:
            if item.kind == "card":
                await self._deliver_card(item)
            elif item.kind == "thread":
                await self._deliver_thread(item)
            elif item.kind in ("message", "dm"):
                await self._deliver_message(item)
            elif item.kind == "report_card":
                await self._deliver_report_card(item)
            elif item.kind == "progress":
                await self._deliver_progress(item)
            else:
                await self._repo.settle_dead(item, f"unknown outbox kind {item.kind!r}")
        except SlackApiError as exc:
            await self._slack_failed(item, exc)
        except aiohttp.ClientConnectorError as exc:  # nothing reached Slack
            await self._note_slack_error(f"cannot connect to Slack: {exc}")
            log.warning(
                "cannot connect to Slack for outbox item %s (%s): %s; will retry",
                item.id,
                item.kind,
                exc,
            )
            await self._retry(item, f"cannot connect: {type(exc).__name__}")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            # the request may have reached Slack: the next try looks before posting again
            await self._note_slack_error(f"lost answer from Slack: {type(exc).__name__}")
            log.warning(
                "lost answer from Slack for outbox item %s (%s): %s; will look before posting "
                "again",
                item.id,
                item.kind,
                type(exc).__name__,
            )
            await self._retry(item, f"{UNCERTAIN}{type(exc).__name__}")
        finally:
            self._looking.discard(item.id)

    async def _deliver_card(self, item: OutboxItem) -> None:
        request_id = int(item.payload["request_id"])
        location = await self._repo.get_card_location(request_id)
        if location is None:
            await self._repo.settle_dead(item, f"request {request_id} no longer exists")
            return
        card_channel, card_ts = location
        # paced before the card is built: a deferred item costs one small read, and the card
        # is rendered from the state of the moment it is sent
        if card_channel and card_ts:
            if await self._paced(item, "chat.update", card_channel):
                return
            facts = await self._repo.load_card_facts(request_id)
            if facts is None:
                await self._repo.settle_dead(item, f"request {request_id} no longer exists")
                return
            now = self._clock.now()
            try:
                await self._slack.chat_update(
                    channel=card_channel, ts=card_ts, **render_card(facts, now)
                )
            except SlackApiError as exc:
                if exc.response.get("error") == "message_not_found":
                    # someone deleted the card. Only the card lane forgets it and posts it
                    # again (as its head, so the lane's thread replies follow the new card);
                    # a refresh hands the discovery to the card lane
                    if item.lane == card_lane(request_id):
                        await self._repo.forget_card(request_id)
                        await self._retry(item, "card was deleted; posting it again", at_once=True)
                    else:
                        await self._repo.refresh_card(request_id, now)
                        await self._repo.settle_delivered(item, now)
                    return
                raise
            self._metrics.slack_calls.labels("chat.update", "ok").inc()
            await self._repo.settle_delivered(item, self._clock.now())
            return
        if item.lane != card_lane(request_id):
            # a refresh never posts: the card lane's own item posts the card (and may have
            # done so already, its answer lost in a crash); refresh once it is known
            await self._retry(item, "waiting for the card to be posted", at_least_s=1)
            return
        channel = self._review_channel
        # paced before the look-up, so an item told to wait has not searched in vain
        if await self._paced(item, "chat.postMessage", channel):
            return
        now = self._clock.now()
        found = await self._find_earlier_post(item, channel, thread_ts=None)
        if found:
            # posted with the state of its first try; refreshes since were folded into this
            # item, so bring the card up to date with one more item in its lane
            await self._repo.settle_delivered(
                item, now, card=(request_id, channel, found), refresh_card=True
            )
            await self._remember_permalink(request_id, channel, found)
            return
        facts = await self._repo.load_card_facts(request_id)
        if facts is None:
            await self._repo.settle_dead(item, f"request {request_id} no longer exists")
            return
        answer = await self._slack.chat_postMessage(
            channel=channel,
            unfurl_links=False,
            unfurl_media=False,
            **_marked(render_card(facts, self._clock.now()), item.message_id),
        )
        self._metrics.slack_calls.labels("chat.postMessage", "ok").inc()
        posted = (str(answer["channel"]), str(answer["ts"]))
        await self._repo.settle_delivered(item, self._clock.now(), card=(request_id, *posted))
        await self._remember_permalink(request_id, *posted)

    async def _remember_permalink(self, request_id: int, channel: str, ts: str) -> None:
        """Keep the card's permalink (duplicate links, digests); a failure costs only that."""
        try:
            answer = await self._slack.chat_getPermalink(channel=channel, message_ts=ts)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.info("no permalink for the card of request %s: %s", request_id, type(exc).__name__)
            return
        await self._repo.set_card_permalink(request_id, str(answer["permalink"]))

    async def _deliver_report_card(self, item: OutboxItem) -> None:
        """A report's card in the reports channel: posted once, then updated in place."""
        report_id = int(item.payload["report_id"])
        report = await self._repo.get_report(report_id)
        if report is None:
            await self._repo.settle_dead(item, f"report {report_id} no longer exists")
            return
        message = render_report_card(report)
        if report.card_channel and report.card_ts:
            if await self._paced(item, "chat.update", report.card_channel):
                return
            await self._slack.chat_update(channel=report.card_channel, ts=report.card_ts, **message)
            await self._repo.settle_delivered(item, self._clock.now())
            return
        channel = self._reports_channel
        if await self._paced(item, "chat.postMessage", channel):
            return
        found = await self._find_earlier_post(item, channel, thread_ts=None)
        if found is None:
            answer = await self._slack.chat_postMessage(
                channel=channel,
                unfurl_links=False,
                unfurl_media=False,
                **_marked(message, item.message_id),
            )
            found = str(answer["ts"])
        await self._repo.set_report_card(report_id, channel, found)
        await self._repo.settle_delivered(item, self._clock.now())

    async def _deliver_progress(self, item: OutboxItem) -> None:
        """A bulk run's one progress message: posted at the start, then updated in place every
        `progress_every_cards` cards and at the end; the item waits between looks."""
        bulk_id = int(item.payload["bulk_id"])
        progress = await self._repo.load_bulk_progress(bulk_id)
        if progress is None:
            await self._repo.settle_dead(item, f"bulk run {bulk_id} no longer exists")
            return
        run = progress.run
        posted = run.message_ts is not None and run.channel is not None
        if posted and not progress_update_due(progress, self.policy.progress_every_cards):
            await self._look_again(item)
            return
        message = render_bulk_progress(progress, confirmed=item.payload.get("confirmed"))
        channel, ts = run.channel or self._review_channel, run.message_ts
        if ts is not None:
            if await self._paced(item, "chat.update", channel):
                return
            await self._slack.chat_update(channel=channel, ts=ts, **message)
        else:
            if await self._paced(item, "chat.postMessage", channel):
                return
            ts = await self._find_earlier_post(item, channel, thread_ts=None)
            if ts is None:
                try:
                    answer = await self._slack.chat_postMessage(
                        channel=channel, **_marked(message, item.message_id)
                    )
                except SlackApiError as exc:
                    if channel == self._review_channel or exc.response.get("error") not in (
                        "not_in_channel",
                        "channel_not_found",
                        "is_archived",
                    ):
                        raise
                    # the command ran where jobgate cannot post: use the review channel
                    await self._repo.save_bulk_progress(
                        bulk_id,
                        shown=0,
                        now=self._clock.now(),
                        finished=False,
                        channel=self._review_channel,
                    )
                    await self._retry(item, "posting progress in the review channel", at_once=True)
                    return
                channel, ts = str(answer["channel"]), str(answer["ts"])
        await self._repo.save_bulk_progress(
            bulk_id,
            shown=progress.done,
            now=self._clock.now(),
            finished=progress.finished,
            channel=channel,
            message_ts=ts,
        )
        if progress.finished:
            await self._repo.settle_delivered(item, self._clock.now())
        else:
            await self._look_again(item)

    async def _look_again(self, item: OutboxItem) -> None:
        later = self._clock.now() + timedelta(seconds=self.policy.progress_check_s)
        await self._repo.defer_outbox_item(item, later)
        self._schedule_wake(later)

    async def _deliver_thread(self, item: OutboxItem) -> None:
        request = await self._repo.get_request(int(item.payload["request_id"]))
        if request is None:
            await self._repo.settle_dead(item, "request no longer exists")
            return
        if not (request.card_ts and request.card_channel):
            await self._retry(item, "waiting for the card to be posted", at_least_s=1)
            return
        if "audit_id" in item.payload:
            entry = await self._repo.get_audit(int(item.payload["audit_id"]))
            if entry is None:
                await self._repo.settle_dead(item, "audit entry missing")
                return
            message = render_thread_reply(request, entry)
        else:
            message = {"text": item.payload["text"], "blocks": item.payload.get("blocks")}
        await self._post(item, request.card_channel, message, thread_ts=request.card_ts)

    async def _deliver_message(self, item: OutboxItem) -> None:
        payload = item.payload
        channel = payload.get("channel")
        if item.kind == "dm":
            channel = await self._dm_channel(str(payload["user"]))
        message = {"text": payload["text"], "blocks": payload.get("blocks")}
        await self._post(item, str(channel), message, thread_ts=payload.get("thread_ts"))

    async def _dm_channel(self, user: str) -> str:
        channel = self._dm_channels.get(user)
        if channel is None:
            opened = await self._slack.conversations_open(users=user)
            channel = str(opened["channel"]["id"])
            if len(self._dm_channels) >= MAX_DM_CHANNELS:
                self._dm_channels.clear()
            self._dm_channels[user] = channel
        return channel

    async def _post(
        self, item: OutboxItem, channel: str, message: dict[str, Any], *, thread_ts: str | None
    ) -> None:
        # paced before the look-up, so an item told to wait has not searched in vain (a post
        # found costs one unused token)
        if await self._paced(item, "chat.postMessage", channel):
            return
        found = await self._find_earlier_post(item, channel, thread_ts=thread_ts)
        if found:
            await self._repo.settle_delivered(item, self._clock.now())
            return
        extra: dict[str, Any] = {"thread_ts": thread_ts} if thread_ts else {}
        await self._slack.chat_postMessage(
            channel=channel,
            unfurl_links=False,
            unfurl_media=False,
            **_marked(message, item.message_id),
            **extra,
        )
        self._metrics.slack_calls.labels("chat.postMessage", "ok").inc()
        await self._repo.settle_delivered(item, self._clock.now())

    async def _find_earlier_post(
        self, item: OutboxItem, channel: str, *, thread_ts: str | None
    ) -> str | None:
        """After a try whose answer was lost (timeout, dropped connection, crash), look for the
        message by its marker before posting again: Slack has no idempotency key for posts."""
        earlier_unsettled = item.attempts > 1 and (
            item.last_error is None or item.last_error.startswith(UNCERTAIN)
        )
        if not earlier_unsettled:
            return None
        # until this look-up completes, any failure keeps the item uncertain (see _retry)
        self._looking.add(item.id)
        oldest = item.first_attempt_at - timedelta(minutes=2)
        marker = outbox_marker(item.message_id)
        since = f"{oldest.timestamp():.6f}"
        cursor: str | None = None
        for _ in range(self.policy.search_pages):
            if thread_ts:
                answer = await self._slack.conversations_replies(
                    channel=channel, ts=thread_ts, oldest=since, limit=200, cursor=cursor
                )
            else:
                answer = await self._slack.conversations_history(
                    channel=channel, oldest=since, limit=200, cursor=cursor
                )
            for message in answer.get("messages") or []:
                blocks = message.get("blocks") or []
                if blocks and blocks[0].get("block_id") == marker:
                    self._looking.discard(item.id)
                    log.info(
                        "outbox item %s was already posted (ts %s); not posting again",
                        item.message_id,
                        message.get("ts"),
                    )
                    return str(message["ts"])
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not (answer.get("has_more") and cursor):
                self._looking.discard(item.id)
                return None
        log.warning(
            "outbox item %s: gave up looking for an earlier post after %d pages; posting again",
            item.message_id,
            self.policy.search_pages,
        )
        self._looking.discard(item.id)
        return None

    async def _paced(self, item: OutboxItem, method: str, channel: str | None) -> bool:
        now = self._clock.now()
        wait = self._pacer.reserve(method, channel, now, key=item.id)
        if wait <= 0:
            return False
        await self._wait_for_turn(item, now + timedelta(seconds=wait))
        return True

    async def _wait_for_turn(self, item: OutboxItem, moment: datetime) -> None:
        """Defer `item` to the token it is owed (it keeps its turn when this attempt ends)."""
        _TOLD_TO_WAIT.set(True)
        await self._repo.defer_outbox_item(item, moment)
        self._schedule_wake(moment)

    # -- failures --------------------------------------------------------------------------

    async def _slack_failed(self, item: OutboxItem, exc: SlackApiError) -> None:
        response = exc.response
        error = str(response.get("error") or f"HTTP {response.status_code}")
        method = _method_of(response.api_url)
        self._metrics.slack_calls.labels(method, error).inc()
        channel = _channel_of(response) or self._review_channel
        if response.status_code == 429 or error == "ratelimited":
            now = self._clock.now()
            header = response.headers.get("Retry-After") or response.headers.get("retry-after")
            wait = parse_retry_after(str(header) if header else None, now) or 1.0
            # the refused send goes first when the block ends (its lane waits behind it)
            turn = self._pacer.block(
                method, channel, now + timedelta(seconds=wait), now, refused=item.id
            )
            self._metrics.rate_limited.labels(method).inc()
            self.health.rate_limited += 1
            log.warning("Slack rate-limited %s; waiting %.0f s as asked", method, wait)
            await self._wait_for_turn(item, turn)
            return
        await self._note_slack_error(f"{method}: {error}")
        if item.kind == "dm" and error in NOT_POSTABLE_DM:
            self._dm_channels.pop(str(item.payload.get("user")), None)  # opened again next time
        if method == "chat.postMessage" and (
            response.status_code >= 500 or error in MAYBE_DONE_SLACK_ERRORS
        ):
            # Slack may have done it all the same: the next try looks before posting again
            log.warning("Slack answered %s to %s; will look, then retry", error, method)
            await self._retry(item, f"{UNCERTAIN}{method}: {error}")
            return
        if error in PERMANENT_SLACK_ERRORS:
            log.error("Slack refused outbox item %s for good (%s); giving up on it", item.id, error)
            await self._repo.settle_dead(item, f"{method}: {error}")
            return
        log.warning("Slack answered %s to %s; will retry", error, method)
        await self._retry(item, f"{method}: {error}")

    async def _note_slack_error(self, text: str) -> None:
        self.health.last_slack_error = text
        self.health.last_slack_error_at = self._clock.now()

    async def _retry(
        self,
        item: OutboxItem,
        error: str,
        *,
        at_least_s: float | None = None,
        at_once: bool = False,
    ) -> None:
        """Try `item` again after the backoff (at least `at_least_s`, e.g. a Retry-After;
        `at_once`: jobgate's own reason to go again now, never the other side's)."""
        if item.id in self._looking and not error.startswith(UNCERTAIN):
            # the look-up for an earlier post did not finish: the next try must look again
            error = f"{UNCERTAIN}{error}"
        now = self._clock.now()
        # counted from the first attempt, not from creation: items kept back on purpose (the
        # platform said 410, jobgate was down) get their full time once they are tried
        if now - item.first_attempt_at > self.policy.give_up_after:
            log.error(
                "giving up on outbox item %s (%s) after %s: %s",
                item.id,
                item.kind,
                self.policy.give_up_after,
                error,
            )
            await self._repo.settle_dead(item, error)
            return
        delay = 0.0 if at_once else self.backoff(item.attempts)
        if at_least_s is not None:
            delay = max(delay, at_least_s)
        later = now + timedelta(seconds=delay)
        await self._repo.settle_retry(item, later, error)
        self._schedule_wake(later)

    def backoff(self, attempts: int) -> float:
        """Exponential with jitter: about base·2^(n-1), capped, spread over its upper half."""
        exponent = min(max(0, attempts - 1), 60)  # far past any cap, and no float overflow
        ceiling = min(self.policy.max_delay_s, self.policy.base_delay_s * 2.0**exponent)
        return float(ceiling * (0.5 + self._rng.random() / 2))

    def _schedule_wake(self, moment: datetime) -> None:
        if len(self._wakes) < MAX_WAKES:
            # deferred times are stored rounded up to the millisecond: wake at that, not before
            heapq.heappush(self._wakes, stored_ceiling(moment))


# set by _paced in the task of one delivery attempt (each attempt is its own task)
_TOLD_TO_WAIT: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "jobgate_told_to_wait", default=False
)


def _marked(message: dict[str, Any], message_id: str) -> dict[str, Any]:
    blocks = [dict(b) for b in message.get("blocks") or []]
    if blocks:
        blocks[0]["block_id"] = outbox_marker(message_id)
    else:
        blocks = [
            {
                "type": "section",
                "block_id": outbox_marker(message_id),
                "text": {"type": "mrkdwn", "text": message["text"][:3000] or " "},
            }
        ]
    return {"text": message["text"], "blocks": blocks}


def _channel_of(response: Any) -> str | None:
    args = getattr(response, "req_args", None) or {}
    for part in ("params", "data", "json"):
        values = args.get(part) or {}
        if isinstance(values, dict) and values.get("channel"):
            return str(values["channel"])
    return None


def _method_of(api_url: str) -> str:
    return api_url.rstrip("/").rsplit("/", 1)[-1] or "unknown"
