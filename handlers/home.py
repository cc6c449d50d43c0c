"""App Home: published when someone opens it. Admins change settings, trusted employers,
decline reasons and labels from it; each change is checked, validated, audited and shown."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic import ValidationError
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.digest import business_days_before
from bot.models import Via
from bot.periods import parse_period
from bot.policy import Actor, Refusal, Role
from bot.services import Services
from bot.setting_values import SettingInputError, describe_invalid, parse_setting
from bot.vocabulary import (
    VocabularyError,
    check_reason_code,
    check_reason_label,
    check_reason_message,
)
from bot.workspace import WorkspaceSettings
from handlers import ids
from handlers.admin_commands import reason_edit_submitted
from handlers.blocks import home as blocks
from handlers.blocks.admin import reason_edit_modal
from handlers.employer_commands import trust_answer
from handlers.interaction import (
    SlackCall,
    actor_of,
    check_allowed,
    in_modal,
    open_or_explain,
    optional_id,
    refusal_text,
    services_of,
)
from handlers.mrkdwn import escape, is_person_id

log = logging.getLogger(__name__)

OUTSIDER = (
    "jobgate shows its review queue to the career-services team only, and you are not on its "
    "reviewer list. Ask a jobgate admin, or whoever runs jobgate, to add you (your Slack user "
    "id, or a user group you are in)."
)
NOBODY = (
    "No reviewers or admins are configured yet, so jobgate shows its review queue to nobody. "
    "Whoever runs jobgate should set JOBGATE_REVIEWERS or JOBGATE_ADMINS (`jobgate check` "
    "shows what is missing)."
)
UNCONFIRMED = (
    "jobgate could not confirm its Slack workspace just now, so it cannot tell who may see "
    "the review queue. Open this tab again in a minute."
)
ADMIN_ONLY = "Only jobgate admins can change this, so nothing changed."
_PREFIX = re.compile("^" + re.escape(blocks.HOME_PREFIX))


@dataclass(frozen=True)
class HomeClick:
    """A button or select used on the Home tab."""

    actor: Actor
    action_id: str
    value: str
    trigger_id: str | None


HomeAction = Callable[[Services, AsyncWebClient, HomeClick], Coroutine[Any, Any, None]]
Saver = Callable[[Services, str, dict[str, Any]], Awaitable[dict[str, str]]]


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)
    app.action(_PREFIX)(home_action)
    app.view(_PREFIX)(home_modal_submitted)


async def build_home(services: Services, actor: Actor) -> dict[str, Any]:
    """The Home `actor` should see now: nothing for outsiders, the admin section for admins."""
    refusal = await services.staff.check(actor, Role.REVIEWER)
    if refusal is not None:
        return blocks.outsider_view(
            {Refusal.TEAM_UNKNOWN: UNCONFIRMED, Refusal.NOBODY_CONFIGURED: NOBODY}.get(
                refusal, OUTSIDER
            )
        )
    repo, now = services.repo, services.clock.now()
    settings = await repo.get_workspace_settings()
    cutoff = business_days_before(now, settings.sla_business_days)
    facts = await repo.gather_home_facts(actor.user_id, cutoff)
    period = parse_period("7d", now, services.settings.zone)
    stats = await repo.team_stats(period.since, period.until)
    admin = None
    if await services.staff.is_admin(actor):
        trusted, total = await repo.list_trusted_employers()
        admin = blocks.AdminFacts(
            settings=settings,
            default_digest_time=services.settings.digest_time,
            timezone=services.settings.timezone,
            trusted=tuple(trusted),
            trusted_total=total,
            reasons=tuple(await repo.list_decline_reasons(include_retired=True)),
            labels=tuple(await repo.list_labels(include_retired=True)),
        )
    content = blocks.HomeContent(facts, settings.sla_business_days, stats, period.label, admin)
    return blocks.home_view(content)


async def publish_home(services: Services, client: AsyncWebClient, actor: Actor) -> None:
    """views.publish the Home for `actor`; a failure is logged (the next opening retries)."""
    view = await build_home(services, actor)
    with SlackCall(services, "views.publish", f"publish the Home of {actor.user_id}"):
        await client.views_publish(user_id=actor.user_id, view=view)


async def home_opened(
    ack: AsyncAck, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """Someone opened the Home tab: publish it for them (not for the Messages tab)."""
    await ack()
    services = services_of(context)
    user = str(event.get("user") or "")
    if event.get("tab") == "home" and user:
        home = publish_home(services, client, Actor(user, None))
        services.tasks.spawn(home, name="home-publish")


async def _refused(
    services: Services, client: AsyncWebClient, actor: Actor, attempted: str
) -> Refusal | None:
    """Admins only: anyone else is refused, and the refusal recorded."""
    return await check_allowed(
        services,
        client,
        actor=actor,
        needs=Role.ADMIN,
        attempted=attempted,
        request_id=None,
        channel=None,
        via=Via.HOME,
        answer_privately=False,
    )


async def _tell(services: Services, user: str, text: str) -> None:
    """A direct message (the Home has no channel for a private reply), through the outbox:
    a Slack outage or a 429 delays it, never loses it. A payload without a real user id
    has nobody to write to."""
    if not is_person_id(user):
        log.info("no user to message (%r): %s", user[:40], text[:80])
        return
    await services.repo.send_direct_message(user, text, services.clock.now())


async def _open(
    services: Services, client: AsyncWebClient, click: HomeClick, view: dict[str, Any]
) -> None:
    """A Home form; the Home has no channel, so a form Slack did not open is explained by DM."""
    await open_or_explain(
        services,
        client,
        trigger_id=click.trigger_id,
        view=view,
        what="that form",
        again="Click the button in jobgate's Home again.",
        tell=partial(_tell, services, click.actor.user_id),
    )


async def home_action(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """A Home button or select: admins only, checked on every click; then the action."""
    await ack()
    services = services_of(context)
    action = (body.get("actions") or [{}])[0]
    chosen = action.get("selected_option") or {}
    click = HomeClick(
        actor_of(body),
        str(action.get("action_id") or ""),
        str(action.get("value") or chosen.get("value") or ""),
        body.get("trigger_id"),
    )
    handler = ACTIONS.get(click.action_id)
    if handler is None:
        return
    verb = click.action_id.removeprefix(blocks.HOME_PREFIX).replace("_", " ")
    refusal = await _refused(services, client, click.actor, f"home: {verb}")
    if refusal is not None:
        await _tell(services, click.actor.user_id, refusal_text(refusal, Role.ADMIN))
        services.tasks.spawn(publish_home(services, client, click.actor), name="home-publish")
        return
    services.tasks.spawn(handler(services, client, click), name=f"home-{click.action_id}")


async def edit_setting(services: Services, client: AsyncWebClient, click: HomeClick) -> None:
    if click.value in WorkspaceSettings.model_fields:
        settings = await services.repo.get_workspace_settings()
        config = services.settings
        modal = blocks.setting_modal(click.value, settings, config.digest_time, config.timezone)
        await _open(services, client, click, modal)


async def stop_trusting(services: Services, client: AsyncWebClient, click: HomeClick) -> None:
    """Done: the Home shows it. Not done (another admin was first, a stale Home): a DM names
    the employer and says why."""
    user = click.actor.user_id
    employer_id = optional_id(click.value)
    employer = None if employer_id is None else await services.repo.get_employer(employer_id)
    if employer is None:
        text = (
            "jobgate has no record of that employer, so nothing changed. "
            "Your Home now shows who is trusted."
        )
        await _tell(services, user, text)
    else:
        why_not = await services.repo.set_employer_trusted(
            employer.id, trusted=False, actor=user, via=Via.HOME, now=services.clock.now()
        )
        if why_not:
            await _tell(services, user, trust_answer(employer.name, False, why_not))
    await publish_home(services, client, click.actor)


async def edit_reason(services: Services, client: AsyncWebClient, click: HomeClick) -> None:
    reason = await services.repo.get_decline_reason(click.value)
    if reason is not None:
        view = reason_edit_modal(reason, {"code": reason.code})
        await _open(services, client, click, {**view, "callback_id": blocks.REASON_EDIT_MODAL})


async def add_reason(services: Services, client: AsyncWebClient, click: HomeClick) -> None:
    await _open(services, client, click, blocks.reason_add_modal())


async def new_label(services: Services, client: AsyncWebClient, click: HomeClick) -> None:
    await _open(services, client, click, blocks.label_new_modal())


async def retire_or_restore(services: Services, client: AsyncWebClient, click: HomeClick) -> None:
    """Retire or restore the chosen reason or label, then show the Home again."""
    repo, user, now = services.repo, click.actor.user_id, services.clock.now()
    try:
        if click.action_id in (blocks.RETIRE_REASON, blocks.RESTORE_REASON):
            retired = click.action_id == blocks.RETIRE_REASON
            await repo.set_decline_reason_retired(
                click.value, retired=retired, actor=user, via=Via.HOME, now=now
            )
        elif click.action_id == blocks.RETIRE_LABEL:
            await repo.retire_label(click.value, actor=user, via=Via.HOME, now=now)
        else:
            await repo.restore_label(click.value, actor=user, via=Via.HOME, now=now)
    except VocabularyError as exc:
        await _tell(services, user, f"Nothing changed: {escape(str(exc))}")
    await publish_home(services, client, click.actor)


ACTIONS: dict[str, HomeAction] = {
    blocks.EDIT_SETTING: edit_setting,
    blocks.STOP_TRUSTING: stop_trusting,
    blocks.EDIT_REASON: edit_reason,
    blocks.ADD_REASON: add_reason,
    blocks.NEW_LABEL: new_label,
    blocks.RETIRE_REASON: retire_or_restore,
    blocks.RESTORE_REASON: retire_or_restore,
    blocks.RETIRE_LABEL: retire_or_restore,
    blocks.RESTORE_LABEL: retire_or_restore,
}


def _state(view: dict[str, Any], block_and_action: tuple[str, str]) -> dict[str, Any]:
    values = (view.get("state") or {}).get("values") or {}
    state = (values.get(block_and_action[0]) or {}).get(block_and_action[1])
    return state if isinstance(state, dict) else {}


def _typed(state: dict[str, Any]) -> str:
    """What an input holds, as `/jobgate settings set` would have it typed."""
    if "selected_options" in state:
        chosen = [str(o.get("value")) for o in state["selected_options"] or []]
        return ",".join(chosen) or "none"
    if "selected_option" in state:
        return str((state["selected_option"] or {}).get("value") or "")
    return str(state.get("value") or "")


def _plain(text: str) -> str:
    """Modal errors are plain text: no mrkdwn quoting."""
    return text.replace("`", "")


async def save_setting(services: Services, user: str, view: dict[str, Any]) -> dict[str, str]:
    """The edited setting, validated, saved and audited; errors by input block."""
    key, block = str(view.get("private_metadata") or ""), blocks.SETTING_INPUT[0]
    try:
        value = parse_setting(key, _typed(_state(view, blocks.SETTING_INPUT)))
        current = await services.repo.get_workspace_settings()
        wanted = WorkspaceSettings.model_validate({**current.model_dump(), key: value})
        if getattr(wanted, key) != getattr(current, key):
            await services.repo.save_workspace_setting(
                key, value, actor=user, via=Via.HOME, now=services.clock.now()
            )
            services.staff.settings_changed()
    except SettingInputError as exc:
        return {block: _plain(str(exc))}
    except ValidationError as exc:
        return {block: _plain(describe_invalid(key, exc))}
    return {}


async def save_reason(services: Services, user: str, view: dict[str, Any]) -> dict[str, str]:
    """A new decline reason; each field's problem on its own input."""
    fields = (
        (blocks.REASON_CODE, check_reason_code),
        (ids.REASON_LABEL, check_reason_label),
        (ids.REASON_MESSAGE, check_reason_message),
    )
    code, label, message = (_typed(_state(view, f)) for f, _ in fields)
    errors = {}
    for (field, check), text in zip(fields, (code.strip(), label, message), strict=True):
        try:
            check(text)
        except VocabularyError as exc:
            errors[field[0]] = _plain(str(exc))
    if not errors:
        try:
            await services.repo.add_decline_reason(
                code.strip(),
                label=label,
                message=message,
                actor=user,
                via=Via.HOME,
                now=services.clock.now(),
            )
        except VocabularyError as exc:
            errors[blocks.REASON_CODE[0]] = _plain(str(exc))
    return errors


async def save_label(services: Services, user: str, view: dict[str, Any]) -> dict[str, str]:
    name = _typed(_state(view, blocks.LABEL_NAME))
    try:
        await services.repo.create_label(name, actor=user, via=Via.HOME, now=services.clock.now())
    except VocabularyError as exc:
        return {blocks.LABEL_NAME[0]: _plain(str(exc))}
    return {}


# callback id -> (what is attempted, the input a refusal is shown on, how to save)
SAVERS: dict[str, tuple[str, str, Saver]] = {
    blocks.SETTING_MODAL: ("home: save setting", blocks.SETTING_INPUT[0], save_setting),
    blocks.REASON_ADD_MODAL: ("home: add reason", blocks.REASON_CODE[0], save_reason),
    blocks.LABEL_NEW_MODAL: ("home: new label", blocks.LABEL_NAME[0], save_label),
}


async def home_modal_submitted(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
) -> None:
    """A Home modal's answer: admins only (checked again), validated, saved, Home re-published."""
    services, actor = services_of(context), actor_of(body)
    view = body.get("view") or {}
    callback = str(view.get("callback_id") or "")
    if callback == blocks.REASON_EDIT_MODAL:
        await reason_edit_submitted(ack, body, context, client)  # checks, validates, audits
    elif callback in SAVERS:
        attempted, first_block, save = SAVERS[callback]
        refusal = await _refused(services, client, actor, attempted)
        errors = (
            {first_block: in_modal(refusal, ADMIN_ONLY)}
            if refusal
            else await save(services, actor.user_id, view)
        )
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
    else:
        await ack()
        return
    services.tasks.spawn(publish_home(services, client, actor), name="home-publish")
