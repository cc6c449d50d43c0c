"""`/jobgate stats [period]` and `/jobgate digest`: answered privately."""

from __future__ import annotations

from bot.jobs import DigestPlace, build_digest
from bot.periods import PeriodError, parse_period
from handlers.blocks.digest import render_digest
from handlers.blocks.stats import render_stats
from handlers.commands import Invocation, subcommand


@subcommand("stats", "stats [7d|30d|term]", "decisions by reviewer, reasons, time to decision")
async def stats(invocation: Invocation) -> None:
    services = invocation.services
    now = services.clock.now()
    try:
        period = parse_period(invocation.text, now, services.settings.zone)
    except PeriodError as exc:
        await invocation.respond(text=f"{exc}.", response_type="ephemeral")
        return
    figures = await services.repo.team_stats(period.since, period.until)
    await invocation.respond(response_type="ephemeral", **render_stats(figures, period.label))


@subcommand("digest", "digest", "today's digest, shown only to you")
async def digest(invocation: Invocation) -> None:
    services = invocation.services
    facts = await build_digest(
        services.repo, DigestPlace.from_settings(services.settings), services.clock.now()
    )
    await invocation.respond(response_type="ephemeral", **render_digest(facts))
