"""`/jobgate bulk approve|decline <saved search | filter>`: admins preview the run in a modal,
confirm, and every matching open request gets its own decision in one transaction."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.bulk import MAX_BULK, SAMPLE_SIZE, BulkAction, BulkOrder, bulk_states
from bot.filters import FilterError, parse_filter
from bot.models import Via
from bot.policy import Actor, Role, compose_employer_message
from bot.services import Services
from bot.words import count_of
from handlers import ids
from handlers.blocks.bulk import PAST, bulk_modal, left_out_lines
from handlers.blocks.modals import notice_modal
from handlers.blocks.queue import code
from handlers.command_access import allowed, reply
from handlers.commands import Invocation, subcommand
from handlers.interaction import (
    check_allowed,
    clicker_allowed,
    open_form,
    optional_id,
    refusal_text,
    refusal_title,
    services_of,
    user_team,
)
from handlers.searches import resolve
from storage.bulk import BulkNotRun, BulkNotUndone
from storage.decisions import UnknownReason

log = logging.getLogger(__name__)

MAX_WAVE = 300  # the filter's `id:` limit (bot/filters.py MAX_IDS)

USAGE = (
    "Usage: `/jobgate bulk approve|decline <saved search | filter>`, e.g. "
    "`/jobgate bulk decline kind:job employer:acme age:>30d`. You see the count and a sample "
    "before anything changes. (`state:pending` alone means the whole pending queue.) "
    "`/jobgate bulk undo <run>` puts a whole run back to pending within the undo window."
)


def too_many_text(count: int) -> str:
    return (
        f"{count:,} open requests match, and a bulk run decides at most {MAX_BULK:,} at a time. "
        "Narrow the filter (for example with `age:>30d` or `kind:job`) and run it in parts."
    )


def register(app: AsyncApp) -> None:
    app.view(ids.BULK_MODAL)(bulk_submitted)
    app.action(ids.WAVE_DECLINE)(wave_decline_clicked)


def wave_filter_text(request_ids: list[int]) -> str:
    """Exactly these requests, while open, whatever their flags: a wave is suspicious by
    nature, so the bulk run must not leave flagged, risky or duplicate ones out."""
    named = ",".join(str(i) for i in request_ids)
    return f"state:pending,on_hold risk:any flagged:any duplicate:any id:{named}"


async def wave_request_ids(services: Services, value: str) -> list[int]:
    """The button's value: `report:<id>` (the wave on a report card, kept with the report)
    or `ids:1,2,3` (the wave listed in a card's thread)."""
    kind, _, rest = value.partition(":")
    if kind == "ids":
        return [i for i in map(optional_id, rest.split(",")) if i is not None]
    report_id = optional_id(rest) if kind == "report" else None
    if report_id is not None:
        report = await services.repo.get_report(report_id)
        if report is not None:
            return [int(w["request_id"]) for w in report.wave if "request_id" in w]
    return []


async def wave_decline_clicked(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """ "Decline these N": the bulk decline modal for exactly the wave's requests."""
    await ack()
    services = services_of(context)
    channel = (body.get("channel") or {}).get("id")
    actor = await clicker_allowed(
        services, client, body, needs=Role.ADMIN, attempted="bulk decline (wave)"
    )
    if actor is None:
        return
    action_value = str(((body.get("actions") or [{}])[0]).get("value") or "")
    request_ids = (await wave_request_ids(services, action_value))[:MAX_WAVE]
    text = wave_filter_text(request_ids) if request_ids else ""
    now = services.clock.now()
    if text:
        wave = parse_filter(text)
        preview = await services.repo.preview_bulk(
            wave, BulkAction.DECLINE, now, sample=SAMPLE_SIZE
        )
    if not text or preview.eligible == 0:
        view = notice_modal(
            "Nothing to decline", "Every request of this wave has been decided already."
        )
    else:
        metadata = {
            "action": BulkAction.DECLINE.value,
            "filter": text,
            "count": preview.eligible,
            "channel": channel,
            "search": None,
        }
        reasons = await services.repo.list_decline_reasons()
        view = bulk_modal(BulkAction.DECLINE, text, preview, reasons, metadata, now=now)
    await open_form(
        services,
        client,
        trigger_id=body.get("trigger_id"),
        view=view,
        what="the decline form for this wave",
        channel=channel,
        user=actor.user_id,
        again="Click the button again.",
    )


@subcommand(
    "bulk",
    "bulk approve|decline <saved search | filter>",
    "admins: decide every matching request at once, after a preview (`bulk undo <run>` undoes one)",
)
async def bulk(invocation: Invocation) -> None:
    """Check, preview, and open the confirmation modal (or undo a run)."""
    verb, _, rest = invocation.text.strip().partition(" ")
    if verb.lower() == "undo":
        await undo_bulk(invocation, rest.strip())
        return
    if verb.lower() not in ("approve", "decline"):
        await reply(invocation, USAGE)
        return
    action = BulkAction(verb.lower())
    if not await allowed(invocation, Role.ADMIN, f"bulk {action.value}"):
        return
    if not rest.strip():
        await reply(invocation, f"Say which requests. {USAGE}")
        return
    resolved = await resolve(invocation, rest)
    if resolved is None:
        return
    if not bulk_states(resolved.filter):
        await reply(
            invocation, "A bulk run decides pending or held requests; this filter names neither."
        )
        return
    services, now = invocation.services, invocation.services.clock.now()
    preview = await services.repo.preview_bulk(resolved.filter, action, now, sample=SAMPLE_SIZE)
    if preview.eligible == 0:
        lines = "\n".join(left_out_lines(preview))
        await reply(
            invocation,
            f"Nothing to {action.value}: no open request matching {code(resolved.text)} can be "
            f"{PAST[action]} in bulk" + (f".\n{lines}" if lines else "."),
        )
        return
    if preview.eligible > MAX_BULK:
        await reply(invocation, too_many_text(preview.eligible))
        return
    reasons = await services.repo.list_decline_reasons() if action is BulkAction.DECLINE else []
    metadata = {
        "action": action.value,
        "filter": resolved.text,
        "count": preview.eligible,
        "channel": invocation.channel_id,
        "search": resolved.search_name,
    }
    view = bulk_modal(
        action, resolved.text, preview, reasons, metadata, now=now, search_name=resolved.search_name
    )
    await invocation.open_form(
        view, what="the bulk confirmation", again="Run the command again to see it."
    )


async def undo_bulk(invocation: Invocation, run_text: str) -> None:
    """`/jobgate bulk undo <run>`: the whole run back to pending, within the undo window.
    Admins only, as for running one (whoever ran it is an admin too)."""
    if not await allowed(invocation, Role.ADMIN, "bulk undo"):
        return
    bulk_id = optional_id(run_text.removeprefix("#"))
    if bulk_id is None:
        await reply(invocation, f"Name the run to undo, e.g. `/jobgate bulk undo 12`. {USAGE}")
        return
    services = invocation.services
    result = await services.repo.undo_bulk(
        bulk_id, actor=invocation.user_id, now=services.clock.now()
    )
    if isinstance(result, BulkNotUndone):
        await reply(invocation, f"Nothing changed: {result.why}.")
        return
    if not result.reverted:
        await reply(
            invocation,
            f"Nothing changed: every request of run {bulk_id} has been decided or undone since.",
        )
        return
    text = (
        f"Undid bulk {result.run.action.value} run {bulk_id}: "
        f"{count_of(result.reverted, 'request')} back to pending, each with its own audit "
        "record and platform webhook; the cards update in the background."
    )
    if result.jobs_with_employers:
        text += (
            f" {count_of(result.jobs_with_employers, 'job')} declined with the run's employers"
            " came back with them."
        )
    if result.changed_since:
        one = result.changed_since == 1
        text += (
            f" {count_of(result.changed_since, 'request')} of the run {'was' if one else 'were'}"
            " decided or undone again since, and left as "
            f"{'it is' if one else 'they are'}."
        )
    await reply(invocation, text)


@dataclass(frozen=True)
class BulkSubmission:
    """A confirmed bulk modal: who, what the admin saw (filter, count), and the inputs."""

    user_id: str
    team_id: str | None
    action: BulkAction
    filter_text: str
    confirmed: int
    channel: str | None
    search_name: str | None
    values: dict[str, dict[str, Any]]

    def state(self, block_and_action: tuple[str, str]) -> dict[str, Any]:
        return dict((self.values.get(block_and_action[0]) or {}).get(block_and_action[1]) or {})


def parse_bulk_submission(body: dict[str, Any]) -> BulkSubmission | None:
    """The submission's facts, or None for a payload that is not our bulk modal's."""
    try:
        view = body["view"]
        metadata = json.loads(view.get("private_metadata") or "{}")
        return BulkSubmission(
            user_id=str(body["user"]["id"]),
            team_id=user_team(body),
            action=BulkAction(metadata["action"]),
            filter_text=str(metadata["filter"]),
            confirmed=int(metadata["count"]),
            channel=metadata.get("channel"),
            search_name=metadata.get("search"),
            values=view.get("state", {}).get("values", {}) or {},
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


async def bulk_submitted(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """Check again, then decide every matching request in one transaction and say so."""
    submission = parse_bulk_submission(body)
    if submission is None:
        await ack()
        return
    services = services_of(context)
    action = submission.action
    refusal = await check_allowed(
        services,
        client,
        actor=Actor(submission.user_id, submission.team_id),
        needs=Role.ADMIN,
        attempted=f"bulk {action.value}",
        request_id=None,
        channel=submission.channel,
        via=Via.BULK,
        answer_privately=False,
    )
    if refusal is not None:
        await ack(
            response_action="update",
            view=notice_modal(
                refusal_title(refusal),
                refusal_text(refusal, Role.ADMIN),
            ),
        )
        return
    codes: tuple[str, ...] = ()
    message = None
    if action is BulkAction.DECLINE:
        picked = submission.state(ids.BULK_REASONS).get("selected_options") or []
        codes = tuple(str(o["value"]) for o in picked if isinstance(o, dict) and o.get("value"))
        if not codes:
            await ack(
                response_action="errors",
                errors={ids.BULK_REASONS[0]: "Choose at least one reason."},
            )
            return
        message = str(submission.state(ids.BULK_MESSAGE).get("value") or "").strip()
        if not message:
            catalogue = {r.code: r for r in await services.repo.list_decline_reasons(True)}
            message = compose_employer_message([catalogue[c] for c in codes if c in catalogue])
    try:
        parse_filter(submission.filter_text)
    except FilterError:
        await ack(
            response_action="update",
            view=notice_modal(
                "Nothing changed", "That filter no longer reads; run the command again."
            ),
        )
        return
    order = BulkOrder(
        action=action,
        filter_text=submission.filter_text,
        actor=submission.user_id,
        channel=submission.channel,
        confirmed=min(submission.confirmed, MAX_BULK),
        reason_codes=codes,
        message=message,
    )
    # committed before the ack, like a click: an acknowledged run is never lost
    try:
        result = await services.repo.run_bulk(order, services.clock.now())
    except UnknownReason as exc:
        await ack(response_action="errors", errors={ids.BULK_REASONS[0]: str(exc)})
        return
    if isinstance(result, BulkNotRun):
        await ack(response_action="update", view=await _not_run(services, submission, result))
        return
    run = result.run
    for kind, count in result.by_kind.items():
        if count:
            services.metrics.decisions.labels(kind.value, action.outcome.value, "bulk").inc(count)
    done = (
        f"Done: {count_of(run.total, 'request')} {'was' if run.total == 1 else 'were'} "
        f"{PAST[action]}, each with its own decision record and platform webhook."
    )
    if run.total < submission.confirmed:
        done += (
            f" That is {submission.confirmed - run.total:,} fewer than when you opened this: "
            "they were decided meanwhile."
        )
    done += " The cards update in the background; a progress message follows in the channel."
    window = (await services.repo.get_workspace_settings()).undo_window_minutes
    if window:
        done += (
            f" Changed your mind? `/jobgate bulk undo {run.id}` puts them all back to pending"
            f" within {count_of(window, 'minute')}."
        )
    else:
        done += " Undo is off in this workspace (`undo_window_minutes` is 0)."
    await ack(response_action="update", view=notice_modal(f"Bulk {action.value}", done))


async def _not_run(
    services: Services, submission: BulkSubmission, result: BulkNotRun
) -> dict[str, Any]:
    """Nothing changed: nothing left to decide, or more than confirmed (look again)."""
    action = submission.action
    if result.eligible == 0:
        text = f"Every request that matched has been decided meanwhile; nothing was {PAST[action]}."
        return notice_modal("Nothing left", text)
    if result.eligible > MAX_BULK:
        return notice_modal("Nothing changed", too_many_text(result.eligible))
    now = services.clock.now()
    parsed = parse_filter(submission.filter_text)
    preview = await services.repo.preview_bulk(parsed, action, now, sample=SAMPLE_SIZE)
    note = (
        f"The queue changed since you opened this: {preview.eligible:,} match now, "
        f"{submission.confirmed:,} did then. Nothing changed yet: check again and confirm."
    )
    metadata = {
        "action": action.value,
        "filter": submission.filter_text,
        "count": preview.eligible,
        "channel": submission.channel,
        "search": submission.search_name,
    }
    reasons = await services.repo.list_decline_reasons()
    return bulk_modal(
        action,
        submission.filter_text,
        preview,
        reasons,
        metadata,
        now=now,
        search_name=submission.search_name,
        note=note,
    )
