"""`/jobgate trust|untrust <employer>`: admins mark approved employers trusted (or not)."""

from __future__ import annotations

from bot.models import EmployerRecord, Via
from bot.policy import Actor, Role
from handlers.blocks.snapshot import snapshot_modal
from handlers.commands import Invocation, subcommand
from handlers.interaction import refusal_text
from handlers.mrkdwn import untrusted


async def pick_employer(invocation: Invocation, query: str) -> EmployerRecord | None:
    """The one employer `query` names, or None after telling the person what matched."""
    if not query:
        await invocation.respond(
            text="Name the employer (its name or platform id).", response_type="ephemeral"
        )
        return None
    found = await invocation.services.repo.find_employers(query)
    if len(found) == 1:
        return found[0]
    if not found:
        text = f"No employer matches “{untrusted(query, 100)}”. Try part of its name or its platform id."
    else:
        choices = "\n".join(
            f"• {untrusted(e.name, 100)} — id `{untrusted(e.upstream_id, 100)}` ({e.status.value})"
            for e in found
        )
        text = f"Several employers match “{untrusted(query, 100)}”; use the id:\n{choices}"
    await invocation.respond(text=text, response_type="ephemeral")
    return None


def trust_answer(employer_name: str, trusted: bool, why_not: str | None) -> str:
    """What an admin is told after trusting or untrusting an employer."""
    name = untrusted(employer_name, 150)
    if why_not:
        return f"Nothing changed for *{name}*: {why_not}."
    if trusted:
        return f":star: *{name}* is now trusted: its clean jobs will be approved automatically."
    return f"*{name}* is no longer trusted: its jobs wait for a reviewer again."


async def _set_trust(invocation: Invocation, trusted: bool) -> None:
    services = invocation.services
    actor = Actor(invocation.user_id, invocation.team_id)
    refusal = await services.staff.check(actor, Role.ADMIN)
    if refusal is not None:
        await services.repo.record_refusal(
            request_id=None,
            actor=actor.user_id,
            attempted="trust" if trusted else "untrust",
            why=refusal.value,
            via=Via.COMMAND,
            now=services.clock.now(),
        )
        await invocation.respond(text=refusal_text(refusal, Role.ADMIN), response_type="ephemeral")
        return
    employer = await pick_employer(invocation, invocation.text)
    if employer is None:
        return
    why_not = await services.repo.set_employer_trusted(
        employer.id, trusted=trusted, actor=actor.user_id, via=Via.COMMAND, now=services.clock.now()
    )
    text = trust_answer(employer.name, trusted, why_not)
    await invocation.respond(text=text, response_type="ephemeral")


@subcommand("trust", "trust <employer>", "admins: approve this employer's clean jobs automatically")
async def trust(invocation: Invocation) -> None:
    await _set_trust(invocation, True)


@subcommand("untrust", "untrust <employer>", "admins: stop approving its jobs automatically")
async def untrust(invocation: Invocation) -> None:
    await _set_trust(invocation, False)


@subcommand("employer", "employer <name or id>", "everything the school has seen of an employer")
async def employer(invocation: Invocation) -> None:
    """The employer activity snapshot, in a modal (choices first when several match)."""
    found = await pick_employer(invocation, invocation.text)
    if found is None:
        return
    snap = await invocation.services.repo.employer_snapshot(found.id)
    if snap is None:  # removed between the look-up and the snapshot
        await invocation.respond(
            text="jobgate has no record of that employer any more; nothing to show.",
            response_type="ephemeral",
        )
        return
    await invocation.open_form(
        snapshot_modal(snap),
        what="the employer snapshot",
        again="Run the same command again.",
        nothing_changed=False,  # only a view: there was nothing to change
    )
