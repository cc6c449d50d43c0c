"""`GET /healthz` and `GET /metrics`: what an operator checks first. Never shows secrets."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.clock import to_db
from bot.delivery import Deliverer
from bot.services import Services
from storage.migrations import current_version
from storage.screening_process import ScreeningProcess

log = logging.getLogger(__name__)

SchedulerState = Callable[[], dict[str, Any]]


async def health_report(
    services: Services,
    deliverer: Deliverer | None,
    scheduler_state: SchedulerState | None,
    screening_process: ScreeningProcess | None,
) -> tuple[bool, dict[str, Any]]:
    now = services.clock.now()
    report: dict[str, Any] = {"time": to_db(now)}
    healthy = True
    # the screening worker's state reads no database; the backlog is filled in below if the
    # database answers (a backlog after a flood is normal; one that never shrinks is worth
    # a look)
    screening: dict[str, Any] = {
        "waiting": None,
        "runs_in": "worker process" if screening_process is not None else "bot process",
        "worker_restarts": screening_process.restarts if screening_process else 0,
    }
    try:
        version = await services.repo.db.read(current_version)
        report["database"] = {"ok": True, "schema_version": version}
        outbox = await services.repo.summarize_outbox(now)
        report["outbox"] = outbox
        services.metrics.outbox_pending.set(outbox["pending"])
        services.metrics.outbox_dead.set(outbox["dead"])
        screening["waiting"] = await services.repo.count_unscreened()
    except Exception as exc:
        log.exception("health check could not read the database")
        report["database"] = {"ok": False, "error": type(exc).__name__}
        healthy = False
    report["screening"] = screening
    # the parse worker's state reads no database either: both workers are reported even
    # when the database fails
    parser = services.parse_process
    report["inbound"] = {
        "large_arrays_parsed_in": "worker process" if parser is not None else "bot process",
        "bodies_parsed_in_worker": parser.bodies_prepared if parser is not None else 0,
        "parse_worker_restarts": parser.restarts if parser is not None else 0,
    }
    webhook: dict[str, Any] = {"configured": services.settings.webhook_url is not None}
    slack: dict[str, Any] = {}
    if deliverer is not None:
        health = deliverer.health
        webhook["disabled"] = health.webhook_disabled
        webhook["last_error"] = health.last_webhook_error
        webhook["last_error_at"] = (
            to_db(health.last_webhook_error_at) if health.last_webhook_error_at else None
        )
        slack["last_error"] = health.last_slack_error
        slack["last_error_at"] = (
            to_db(health.last_slack_error_at) if health.last_slack_error_at else None
        )
        slack["rate_limited"] = health.rate_limited
    failures = services.slack_failures
    slack["interactive_failures"] = failures.count
    slack["last_interactive_error"] = failures.last_error
    slack["last_interactive_error_at"] = (
        to_db(failures.last_error_at) if failures.last_error_at else None
    )
    report["webhook"] = webhook
    report["slack"] = slack
    report["scheduler"] = scheduler_state() if scheduler_state else {"running": False}
    degraded = bool(webhook.get("disabled")) or report.get("outbox", {}).get("dead", 0) > 0
    report["status"] = "ok" if healthy and not degraded else ("degraded" if healthy else "failing")
    return healthy, report


def health_routes(
    services: Services,
    deliverer: Callable[[], Deliverer | None],
    scheduler_state: Callable[[], SchedulerState | None],
    screening_process: Callable[[], ScreeningProcess | None],
) -> list[web.RouteDef]:
    async def healthz(_: web.Request) -> web.Response:
        healthy, report = await health_report(
            services, deliverer(), scheduler_state(), screening_process()
        )
        return web.json_response(report, status=200 if healthy else 503)

    async def metrics(_: web.Request) -> web.Response:
        try:
            outbox = await services.repo.summarize_outbox(services.clock.now())
            services.metrics.outbox_pending.set(outbox["pending"])
            services.metrics.outbox_dead.set(outbox["dead"])
        except Exception:
            log.exception("metrics could not read the outbox")
        return web.Response(
            body=services.metrics.render(),
            content_type="text/plain",
            charset="utf-8",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    return [web.get("/healthz", healthz), web.get("/metrics", metrics)]
