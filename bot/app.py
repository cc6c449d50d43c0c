"""Wiring: database, Bolt, HTTP server and outbox deliverer, started and stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.clock import Clock, SystemClock
from bot.config import Settings, revealed
from bot.delivery import Deliverer, DeliveryPolicy
from bot.health import health_routes
from bot.jobs import DigestPlace
from bot.metrics import Metrics
from bot.pacing import SlackPacing
from bot.parse_process import ParseProcess
from bot.platform_client import WebhookSender
from bot.scheduler import Scheduler
from bot.screener import Screener
from bot.services import Services
from bot.slack_client import create_http_session, create_slack_client
from bot.staff import StaffDirectory
from bot.tasks import BackgroundTasks
from bot.web_risk import WebRiskClient
from handlers.inbound_api import SERVICES
from handlers.inbound_api import routes as inbound_routes
from handlers.registry import register_all
from handlers.slack_http import MAX_SLACK_BODY, RepeatedDeliveries, slack_endpoint
from storage.db import Database
from storage.repository import Repository
from storage.screening_process import ScreeningProcess

log = logging.getLogger(__name__)

SchedulerState = Callable[[], dict[str, Any]]


@dataclass
class Jobgate:
    """One running jobgate: everything `jobgate run` starts, in one object tests can start too."""

    settings: Settings
    services: Services
    bolt: AsyncApp
    http_app: web.Application
    deliverer: Deliverer
    screener: Screener
    scheduler: Scheduler
    http: aiohttp.ClientSession
    db: Database
    repeated: RepeatedDeliveries
    scheduler_state: SchedulerState | None = None
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _deliver_task: asyncio.Task[None] | None = None
    _screen_task: asyncio.Task[None] | None = None
    screening_process: ScreeningProcess | None = None
    _socket_handler: Any = None

    @property
    def repo(self) -> Repository:
        return self.services.repo

    async def start(
        self, *, serve_http: bool = True, deliver: bool = True, schedule: bool = True
    ) -> None:
        """Start the deliverer, screener, scheduler and the HTTP server (and Socket Mode)."""
        if deliver:
            self._deliver_task = asyncio.create_task(self.deliverer.run(), name="jobgate-outbox")
            self._screen_task = asyncio.create_task(self.screener.run(), name="jobgate-screener")
        if schedule:
            await self.scheduler.start()
            self.scheduler_state = self.scheduler.state
        if serve_http:
            if self.services.parse_process is not None:
                self.services.parse_process.warm()
            self._runner = web.AppRunner(self.http_app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
            await site.start()
        if self.settings.slack_app_token is not None:
            from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

            self._socket_handler = AsyncSocketModeHandler(
                self.bolt, self.settings.slack_app_token.get_secret_value()
            )
            await self._socket_handler.connect_async()

    @property
    def port(self) -> int:
        """The bound port (useful when JOBGATE_PORT is 0)."""
        assert self._runner is not None
        for site in self._runner.sites:
            server = getattr(site, "_server", None)
            if server is not None and server.sockets:
                return int(server.sockets[0].getsockname()[1])
        return self.settings.port

    async def stop(self) -> None:
        for callback in reversed(self.on_stop):
            await callback()
        await self.scheduler.stop()
        if self._socket_handler is not None:
            await self._socket_handler.close_async()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.services.tasks.wait()
        if self._screen_task is not None:
            await self.screener.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await self._screen_task
        if self.screening_process is not None:
            await self.screening_process.close()
        if self.services.parse_process is not None:
            await self.services.parse_process.close()
        if self._deliver_task is not None:
            # the loop ends first (after the claim it may be in), so that no send starts after
            # the deliverer counted those in flight. It is asked, not cancelled: Python 3.11's
            # wait_for can swallow a cancellation that lands as the wait ends.
            self.deliverer.stop_claiming()
            await asyncio.wait([self._deliver_task])
            await self.deliverer.stop()
        await self.http.close()
        await self.db.close()


def freeze_startup_heap() -> None:
    """Once a long-running process has started: the ~70,000 objects of its start (modules,
    Bolt, the pydantic schemas) live as long as it does, and every full garbage collection
    walked them all (~18 ms each, in the middle of clicks). gc.freeze() takes them out of
    the collector's walk; bench/README.md, "Garbage collection", has the measurements."""
    gc.collect()
    gc.freeze()


async def create_jobgate(
    settings: Settings,
    *,
    clock: Clock | None = None,
    pacing: SlackPacing | None = None,
    delivery_policy: DeliveryPolicy | None = None,
    web_risk_timeout_s: float = 3.0,
    screening_process: bool = False,
    parse_process: bool = False,
) -> Jobgate:
    """Build (but do not start) a jobgate from validated settings. `screening_process` runs
    screening's CPU work in a worker process, and `parse_process` the parsing of large
    inbound arrays in another (what `jobgate run` does), off the GIL that acknowledges
    clicks and requests."""
    missing = settings.missing_for_run()
    if missing:
        raise ValueError(f"missing configuration: {', '.join(missing)}")
    assert settings.slack_bot_token is not None and settings.review_channel is not None
    clock = clock or SystemClock()
    db = await Database.open(settings.database)
    repo = Repository(db)
    http = create_http_session()
    token = settings.slack_bot_token.get_secret_value()
    interactive = create_slack_client(token, settings.slack_api_url, http)
    outbox_client = create_slack_client(token, settings.slack_api_url, http, for_outbox=True)
    metrics = Metrics()

    async def stored_reviewers() -> tuple[str, ...] | None:
        return (await repo.get_workspace_settings()).reviewers

    staff = StaffDirectory(
        interactive,
        reviewers=settings.reviewers,
        admins=settings.admins,
        clock=clock,
        stored_reviewers=stored_reviewers,
    )
    services = Services(
        settings=settings,
        repo=repo,
        staff=staff,
        clock=clock,
        tasks=BackgroundTasks(),
        metrics=metrics,
        parse_process=ParseProcess() if parse_process else None,
    )
    webhook = None
    if settings.webhook_url and settings.webhook_secret:
        webhook = WebhookSender(
            settings.webhook_url, settings.webhook_secret.get_secret_value(), http
        )
    deliverer = Deliverer(
        repo,
        outbox_client,
        review_channel=settings.review_channel,
        reports_channel=settings.reports_channel,
        webhook=webhook,
        clock=clock,
        metrics=metrics,
        policy=delivery_policy,
        pacing=pacing,
    )
    services.deliverer = deliverer
    repo.on_outbox_write(deliverer.wake)
    web_risk = WebRiskClient(
        settings.web_risk_url,
        revealed(settings.web_risk_api_key),
        http,
        timeout_s=web_risk_timeout_s,
        wall_clock=clock,
    )
    screener = Screener(repo, web_risk, clock)
    repo.on_ingest(screener.wake)
    worker = None
    if screening_process:
        worker = ScreeningProcess(db)
        repo.screen_in_process(worker)
    scheduler = Scheduler(repo, DigestPlace.from_settings(settings), clock)

    bolt = create_bolt_app(settings, services, interactive)
    repeated = RepeatedDeliveries()

    app = web.Application(client_max_size=MAX_SLACK_BODY + 1)
    app[SERVICES] = services
    jobgate = Jobgate(
        settings=settings,
        services=services,
        bolt=bolt,
        http_app=app,
        deliverer=deliverer,
        screener=screener,
        scheduler=scheduler,
        http=http,
        db=db,
        repeated=repeated,
        screening_process=worker,
    )
    # in Socket Mode too: HTTP requests are only ever taken when they can be verified
    signing_secret = revealed(settings.slack_signing_secret)
    app.add_routes(
        [
            web.post(
                "/slack/events",
                slack_endpoint(
                    bolt, metrics, repeated, signing_secret, handled_events=repo, clock=clock
                ),
            )
        ]
    )
    app.add_routes(inbound_routes())
    app.add_routes(
        health_routes(
            services,
            lambda: jobgate.deliverer,
            lambda: jobgate.scheduler_state,
            lambda: jobgate.screening_process,
        )
    )
    return jobgate


def create_bolt_app(settings: Settings, services: Services, client: Any) -> AsyncApp:
    bolt = AsyncApp(
        client=client,
        signing_secret=revealed(settings.slack_signing_secret),
        process_before_response=True,
        # handlers/slack_http.py verifies every HTTP request before Bolt sees it (and refuses a
        # malformed timestamp with 401, which Bolt would turn into a 500); Socket Mode needs none
        request_verification_enabled=False,
        raise_error_for_unhandled_request=False,
    )

    async def inject_services(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        context["services"] = services
        return await next()

    async def on_error(error: Exception, body: dict[str, Any], request: AsyncBoltRequest) -> None:
        log.error(
            "unhandled error in a Slack listener for a %s payload",
            (body or {}).get("type") or (body or {}).get("command") or "?",
            exc_info=error,
        )

    bolt.middleware(inject_services)
    bolt.error(on_error)
    register_all(bolt)
    return bolt
