"""The platform's inbound API (SPEC section 6), signed with Standard Webhooks."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from standardwebhooks import Webhook

from bot.clock import to_db
from bot.history import timeline
from bot.models import Kind
from bot.parse_process import PARSE_IN_WORKER_FROM
from bot.services import Services
from bot.submissions import (
    EmployerSubmission,
    FieldProblem,
    JobSubmission,
    NotJson,
    ReportSubmission,
    load_json,
    parse_batch,
    parse_requests_body,
)
from bot.worker_process import WorkerGone
from storage.deliveries import StoredAnswer
from storage.prepared import Prepared, prepare
from storage.reports import ReportOutcome
from storage.requests import IngestResult

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
SERVICES = web.AppKey("services", Services)

Handler = Callable[[web.Request], Awaitable[web.Response]]


def routes() -> list[web.RouteDef]:
    return [
        web.post("/api/v1/employers", post_employers),
        web.post("/api/v1/jobs", post_jobs),
        web.post("/api/v1/reports", post_reports),
        web.get("/api/v1/requests/{kind}/{upstream_id}", get_request),
    ]


def _error(
    status: int, error: str, message: str, problems: list[FieldProblem] | None = None
) -> web.Response:
    body: dict[str, Any] = {"error": error, "message": message}
    if problems is not None:
        body["problems"] = [p.model_dump() for p in problems]
    return web.json_response(body, status=status)


class Rejected(Exception):
    """An inbound call refused (signature, size, JSON, fields): its answer, counted once in
    inbound_rejected by the endpoint."""

    def __init__(self, response: web.Response) -> None:
        self.response = response


async def read_verified(request: web.Request) -> tuple[bytes, str]:
    """The body and its webhook-id once size and signature check out; Rejected otherwise."""
    services = request.app[SERVICES]
    secret = services.settings.ingest_secret
    if secret is None:
        raise Rejected(
            _error(503, "inbound_api_off", "the inbound API is off: set JOBGATE_INGEST_SECRET")
        )
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise Rejected(_error(413, "too_large", f"the body is over {MAX_BODY} bytes"))
    parts: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY:
            raise Rejected(_error(413, "too_large", f"the body is over {MAX_BODY} bytes"))
        parts.append(chunk)
    body = b"".join(parts)
    try:
        Webhook(secret.get_secret_value()).verify(body, dict(request.headers), json_parse=False)
    except Exception as exc:  # the package raises several types for malformed headers
        log.info("inbound call refused: %s", type(exc).__name__)
        raise Rejected(
            _error(401, "invalid_signature", "missing, bad or stale Standard Webhooks signature")
        ) from None
    return body, request.headers["webhook-id"]


def _count(results: list[IngestResult], outcome: str) -> int:
    return sum(1 for r in results if r.outcome == outcome)


async def _prepared_in(
    services: Services, body: bytes, *, employers: bool
) -> tuple[list[Prepared], bool]:
    """(items ready to store, was_array); Rejected with the 400 that names every problem.
    A large body goes to the parse process, if there is one (bot/parse_process.py)."""
    worker = services.parse_process
    fast = True
    if worker is not None and len(body) >= PARSE_IN_WORKER_FROM:
        try:
            prepared = await worker.prepared_body(body, employers=employers)
        except WorkerGone:
            pass  # parsed here
        else:
            if prepared is not None:
                return prepared
            fast = False  # the worker found a problem: the careful parse words it
    items, was_array = _requests_in(body, employers=employers, fast=fast)
    return prepare(items), was_array


def _requests_in(
    body: bytes, *, employers: bool, fast: bool = True
) -> tuple[list[EmployerSubmission | JobSubmission], bool]:
    """(items, was_array); Rejected with the 400 that names every problem."""
    try:
        items, was_array, problems = parse_requests_body(body, employers=employers, fast=fast)
    except NotJson as exc:
        raise _not_json(exc) from None
    _refuse_any(problems)
    return items, was_array


def _json_in(body: bytes) -> Any:
    """The parsed body; Rejected with the 400 saying why it is not JSON."""
    try:
        return load_json(body)
    except NotJson as exc:
        raise _not_json(exc) from None


def _not_json(exc: NotJson) -> Rejected:
    return Rejected(
        _error(
            400,
            "invalid_json",
            "the body is not valid JSON",
            [FieldProblem(field="(body)", problem=str(exc))],
        )
    )


def _refuse_any(problems: list[FieldProblem]) -> None:
    """Rejected with a 400 naming every problem, if there is one."""
    if problems:
        raise Rejected(
            _error(
                400, "invalid_request", f"{len(problems)} problem(s); nothing was stored", problems
            )
        )


async def _ingest(request: web.Request, kind: Kind) -> web.Response:
    services = request.app[SERVICES]
    try:
        body, webhook_id = await read_verified(request)
        items, was_array = await _prepared_in(services, body, employers=kind is Kind.EMPLOYER)
    except Rejected as rejected:
        services.metrics.inbound_rejected.labels(str(rejected.response.status)).inc()
        return rejected.response
    # a repeated webhook-id is answered from the write transaction itself (one round trip)

    def respond(results: list[IngestResult]) -> StoredAnswer:
        if not was_array:
            return StoredAnswer(200, results[0].as_response())
        return StoredAnswer(
            200,
            {
                "results": [r.as_response() for r in results],
                "created": _count(results, "created"),
                "updated": _count(results, "updated"),
                "unchanged": _count(results, "unchanged"),
            },
        )

    answer = await services.repo.ingest_prepared(
        kind,
        items,
        webhook_id=webhook_id,
        endpoint=request.path,
        respond=respond,
        now=services.clock.now(),
    )
    for outcome, count in Counter(result.outcome for result in answer.results).items():
        services.metrics.ingested.labels(kind.value, outcome).inc(count)
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    return web.json_response(answer.answer.body, status=answer.answer.status, headers=headers)


async def post_employers(request: web.Request) -> web.Response:
    """One employer request, or an array of up to 1,000."""
    return await _ingest(request, Kind.EMPLOYER)


async def post_jobs(request: web.Request) -> web.Response:
    """One job request, or an array of up to 1,000."""
    return await _ingest(request, Kind.JOB)


async def post_reports(request: web.Request) -> web.Response:
    """Fraud and abuse reports, and the platform's actions on them (one or an array)."""
    services = request.app[SERVICES]
    try:
        body, webhook_id = await read_verified(request)
        items, was_array, problems = parse_batch(_json_in(body), ReportSubmission, source=body)
        _refuse_any(problems)
    except Rejected as rejected:
        services.metrics.inbound_rejected.labels(str(rejected.response.status)).inc()
        return rejected.response
    # a repeated webhook-id is answered from the write transaction itself (one round trip)

    def respond(outcomes: list[ReportOutcome]) -> StoredAnswer:
        results = [
            {
                "id": item.id,
                "result": "created" if o.created else "updated",
                "removed": len(o.removed),
                "told": len(o.told),
            }
            for item, o in zip(items, outcomes, strict=True)
        ]
        return StoredAnswer(200, results[0] if not was_array else {"results": results})

    answer = await services.repo.ingest_reports(
        [i for i in items if isinstance(i, ReportSubmission)],
        webhook_id=webhook_id,
        endpoint=request.path,
        respond=respond,
        now=services.clock.now(),
    )
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    return web.json_response(answer.answer.body, status=answer.answer.status, headers=headers)


async def get_request(request: web.Request) -> web.Response:
    """Current state and decision history of one request (internal notes are not included)."""
    services = request.app[SERVICES]
    try:
        await read_verified(request)
    except Rejected as rejected:
        return rejected.response
    try:
        # singular as SPEC 6's example, or plural as the POST paths (/api/v1/jobs)
        kind = Kind(request.match_info["kind"].removesuffix("s"))
    except ValueError:
        return _error(
            400, "invalid_kind", "kind must be 'employer' or 'job' (or 'employers', 'jobs')"
        )
    found = await services.repo.find_request(kind, request.match_info["upstream_id"])
    if found is None:
        return _error(404, "not_found", f"no {kind.value} request with that id")
    history = await services.repo.list_audit(found.id)
    notes = await services.repo.list_notes(found.id)
    return web.json_response(
        {
            "id": found.upstream_id,
            "kind": found.kind.value,
            "state": found.state.value,
            "title": found.title,
            "version": found.version,
            "employer": {"id": found.employer.upstream_id, "status": found.employer.status.value},
            "received_at": to_db(found.received_at),
            "updated_at": to_db(found.updated_at),
            "decided_at": to_db(found.decided_at) if found.decided_at else None,
            "decided_by": found.decided_by,
            "history": [
                {
                    "action": entry.action,
                    "from_state": entry.from_state,
                    "to_state": entry.to_state,
                    "actor": entry.actor,
                    "via": entry.via.value,
                    "reasons": [r.model_dump() for r in entry.reasons],
                    "message": entry.message,
                    "at": to_db(entry.at),
                }
                for entry in history
                if entry.action != "refused"
            ],
            # decisions, edits, flags, reports and the team's thread notes in time order;
            # internal decision notes never leave jobgate
            "timeline": [
                {
                    "at": to_db(e.at),
                    "who": e.who,
                    "what": e.what,
                    "detail": e.detail,
                    "kind": e.kind,
                }
                for e in timeline(history, notes, internal=False)
            ],
        }
    )
