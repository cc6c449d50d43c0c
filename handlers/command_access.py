"""Who may run a `/jobgate` subcommand: check the role, record a refusal, answer privately."""

from __future__ import annotations

from bot.models import Via
from bot.policy import Actor, Role
from handlers.commands import Invocation
from handlers.interaction import refusal_text


async def allowed(invocation: Invocation, needs: Role, attempted: str) -> bool:
    """True to go ahead; otherwise the refusal is recorded and the person told why."""
    services = invocation.services
    actor = Actor(invocation.user_id, invocation.team_id)
    refusal = await services.staff.check(actor, needs)
    if refusal is None:
        return True
    services.metrics.refusals.labels(refusal.value).inc()
    await services.repo.record_refusal(
        request_id=None,
        actor=actor.user_id,
        attempted=attempted,
        why=refusal.value,
        via=Via.COMMAND,
        now=services.clock.now(),
        details={"team_id": actor.team_id},
    )
    await invocation.respond(text=refusal_text(refusal, needs), response_type="ephemeral")
    return False


async def is_admin(invocation: Invocation) -> bool:
    return await invocation.services.staff.is_admin(Actor(invocation.user_id, invocation.team_id))


async def reply(invocation: Invocation, text: str) -> None:
    """A private answer to the person who typed the command."""
    await invocation.respond(text=text, response_type="ephemeral")


def rest_after(text: str, words: int) -> str:
    """`text` without its first `words` words."""
    parts = text.split(None, words)
    return parts[words].strip() if len(parts) > words else ""
