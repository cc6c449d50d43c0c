"""Races: reviewers deciding the same request at the same moment.

Two or ten reviewers decide one pending request within a few milliseconds of each other: some
press Approve, the others submit the Decline modal they had open. Exactly one decision is
recorded each time (one audit row, one platform webhook), nothing fails with "database is
locked" or a 5xx, and everyone who lost is told who won: an Approve click by a private message
(chat.postEphemeral), a Decline submission in its modal ("Nothing changed: … by @winner").

The suite runs 1,000 trials in all (JOBGATE_RELIABILITY_TRIALS; JOBGATE_RELIABILITY_SEED fixes
the random mix of who approves and who declines). A trial over HTTP costs this 2-core machine
about 27 ms for two reviewers and 70 ms for ten (the Decline modals opened beforehand, the
clicks and submissions, the ephemeral answers, the card updates, thread replies and webhooks
that follow): all 1,000 that way would take about 50 s of the CI budget on their own. So a
subset, JOBGATE_RELIABILITY_HTTP_TRIALS (default 400), goes through the whole stack: signed
requests to /slack/events, fired together with asyncio.gather (the spread between the first
and the last one leaving is measured and reported); the rest race `h.repo.record_decision` the
same way, one asyncio.gather of DecisionCommands per trial, which is where the HTTP handlers
meet (the single writer connection and its grouped transactions). Both halves are split evenly
between two and ten reviewers.

Also raced over HTTP: Approve against Undo on a decided card, and a bulk run against a single
decision on one of its requests. There either order is a correct outcome; what must hold is a
consistent end state: the audit rows replay to the request's state, one webhook per decision,
delivered in the order of the decisions.

Figures go to test-artifacts/reliability/races_*.json."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import random
import string
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.delivery import DeliveryPolicy
from bot.models import Kind, State, Via
from bot.pacing import SlackPacing
from bot.policy import Blocker
from bot.sandbox.fake_slack import BotAnswer
from bot.sandbox.workspace import Message, OpenView
from handlers import ids
from storage.decisions import Decided, DecisionCommand, NotDecided
from tests.harness import (
    ADMIN,
    REVIEW_CHANNEL,
    REVIEWERS,
    FormValues,
    Harness,
    decline_form,
    job,
    multi_select,
    start_harness,
    stop_harness,
)
from tests.reliability.support import bot_errors, knob, report, request_id_of

TRIALS = knob("JOBGATE_RELIABILITY_TRIALS", 1000)
HTTP_TRIALS = min(TRIALS, knob("JOBGATE_RELIABILITY_HTTP_TRIALS", 400))
REPO_TRIALS = TRIALS - HTTP_TRIALS
SEED = knob("JOBGATE_RELIABILITY_SEED", random.SystemRandom().randrange(1 << 31))
UNDO_TRIALS = knob("JOBGATE_RELIABILITY_UNDO_TRIALS", 20)
BULK_TRIALS = knob("JOBGATE_RELIABILITY_BULK_TRIALS", 8)
# the first trials send their two actions one after the other, in each order, so that both
# endings are checked whatever the races do
FORCED_UNDO_TRIALS = 2
FORCED_BULK_TRIALS = 4

FORM = "application/x-www-form-urlencoded"
DECISIONS = ("approved", "declined", "on_hold", "reverted", "removed", "hold_expired")
REASON = "insufficient_detail"
# Slack's pacing sped up enough that posting a thousand cards is not what the test waits on
PACING = SlackPacing().scaled(2000)
DELIVERY = DeliveryPolicy(
    base_delay_s=0.05, max_delay_s=0.5, idle_poll_s=0.05, progress_check_s=0.1
)


def split(total: int) -> tuple[int, int]:
    """`total` trials as (two reviewers, ten reviewers)."""
    return total - total // 2, total // 2


def name(i: int) -> str:
    """A distinct word per number (digits in titles could read as years or job ids)."""
    letters = string.ascii_lowercase
    return letters[i // 676 % 26] + letters[i // 26 % 26] + letters[i % 26]


def distinct_job(prefix: str, i: int) -> dict[str, Any]:
    word = name(i)
    return job(
        f"{prefix}_{i}",
        title=f"Analyst {prefix} {word}",
        description=f"Build dashboards and reports for the {word} team in {prefix}.",
    )


@pytest.fixture
async def h(tmp_path: Path) -> Any:
    running = await start_harness(tmp_path, pacing=PACING, delivery=DELIVERY)
    try:
        await running.approve_employer()
        yield running
    finally:
        await stop_harness(running)


async def seed_jobs(h: Harness, prefix: str, count: int) -> list[int]:
    """`count` pending jobs (distinct, so none is taken for a duplicate); their request ids."""
    jobs = [distinct_job(prefix, i) for i in range(count)]
    for start in range(0, count, 1000):
        answer = await h.platform.send_jobs(jobs[start : start + 1000])
        assert answer.status == 200, answer.body
    await h.settle(timeout=60)
    found = []
    for item in jobs:
        request = await h.repo.find_request(Kind.JOB, str(item["id"]))
        assert request is not None and request.state is State.PENDING
        found.append(request.id)
    return found


def cards_by_request(h: Harness) -> dict[int, Message]:
    cards = {}
    for message in h.slack.bot_messages(REVIEW_CHANNEL):
        request_id = request_id_of(message)
        if request_id is not None:
            cards[request_id] = message
    return cards


async def decision_rows(h: Harness) -> dict[int, list[tuple[str, str, str]]]:
    """Every decision-like audit row, by request, in order: (action, to_state, actor)."""
    rows = await h.repo.db.read(
        lambda conn: conn.execute(
            "SELECT request_id, action, to_state, actor FROM audit"
            " WHERE action IN (?, ?, ?, ?, ?, ?) ORDER BY id",
            DECISIONS,
        ).fetchall()
    )
    found: dict[int, list[tuple[str, str, str]]] = {}
    for row in rows:
        found.setdefault(int(row[0]), []).append((str(row[1]), str(row[2]), str(row[3])))
    return found


async def states(h: Harness) -> dict[int, tuple[str, str | None]]:
    rows = await h.repo.db.read(
        lambda conn: conn.execute("SELECT id, state, decided_by FROM requests").fetchall()
    )
    return {int(r[0]): (str(r[1]), r[2]) for r in rows}


def webhooks_by_subject(h: Harness) -> dict[str, list[dict[str, Any]]]:
    """Accepted platform events by the request's upstream id, in the order they arrived."""
    found: dict[str, list[dict[str, Any]]] = {}
    for delivery in h.platform.accepted:
        found.setdefault(str(delivery.event["data"]["id"]), []).append(delivery.event)
    return found


def locked_or_failed(records: list[logging.LogRecord]) -> list[str]:
    problems = [r.getMessage() for r in bot_errors(records)]
    problems += [r.getMessage() for r in records if "locked" in r.getMessage().lower()]
    return problems


# -- many reviewers, one request, over HTTP --------------------------------------------------


@dataclass
class Trial:
    request_id: int
    upstream_id: str
    title: str
    approvers: list[str]
    decliners: list[str]
    views: dict[str, OpenView] = field(default_factory=dict)
    answers: dict[str, BotAnswer] = field(default_factory=dict)
    spread_s: float = 0.0


def cast(rng: random.Random, size: int) -> tuple[list[str], list[str]]:
    """Who approves and who declines among `size` reviewers (at least one of each side is
    not required: all-approve and all-decline races are races too)."""
    people = rng.sample(REVIEWERS, size)
    cut = rng.randint(0, size)
    return people[:cut], people[cut:]


async def open_decline_modals(h: Harness, trials: list[Trial], cards: dict[int, Message]) -> None:
    """Everyone who will decline opens the Decline modal first, as they would."""
    wanted = [(t, user) for t in trials for user in t.decliners]
    for start in range(0, len(wanted), 40):
        batch = wanted[start : start + 40]
        answers = await asyncio.gather(
            *(h.slack.click(user, cards[t.request_id], ids.DECLINE) for t, user in batch)
        )
        assert all(a.status == 200 for a in answers)
    await h.settle(timeout=30)
    by_key: dict[tuple[int, str], OpenView] = {}
    for view in h.slack.workspace.views.values():
        if view.closed or view.view.get("callback_id") != ids.DECLINE_MODAL:
            continue
        metadata = json.loads(view.view.get("private_metadata") or "{}")
        by_key[(int(metadata["request_id"]), view.user)] = view
    for trial, user in wanted:
        trial.views[user] = by_key[(trial.request_id, user)]


async def race(h: Harness, trial: Trial, card: Message) -> None:
    """Every participant's signed request, built first, then sent at once."""
    bodies: dict[str, str] = {}
    for user in trial.approvers:
        payload = h.slack.block_actions_payload(user, card, ids.APPROVE)
        bodies[user] = urlencode({"payload": json.dumps(payload)})
    for user in trial.decliners:
        payload = h.slack.view_submission_payload(user, trial.views[user], decline_form(REASON))
        bodies[user] = urlencode({"payload": json.dumps(payload)})
    signed = {u: h.slack.signed_headers(b, content_type=FORM) for u, b in bodies.items()}
    left: list[float] = []

    async def send(user: str) -> BotAnswer:
        left.append(time.perf_counter())
        return await h.slack.deliver(bodies[user], content_type=FORM, headers=signed[user])

    users = list(bodies)
    answers = await asyncio.gather(*(send(u) for u in users))
    trial.answers = dict(zip(users, answers, strict=True))
    trial.spread_s = max(left) - min(left)


async def check_http_trials(h: Harness, trials: list[Trial]) -> Counter[str]:
    await h.settle(timeout=60)
    await h.platform.wait_for_accepted(1 + len(trials), timeout=30)  # + the employer's
    rows = await decision_rows(h)
    now = await states(h)
    hooks = webhooks_by_subject(h)
    outcomes: Counter[str] = Counter()
    for trial in trials:
        for user, answer in trial.answers.items():
            assert answer.status == 200, (user, answer.status, answer.body)
        decided = rows.get(trial.request_id, [])
        assert len(decided) == 1, (trial, decided)
        action, to_state, winner = decided[0]
        assert now[trial.request_id] == (to_state, winner)
        expected = "approved" if winner in trial.approvers else "declined"
        assert winner in trial.approvers + trial.decliners and action == expected, (trial, winner)
        assert [e["type"] for e in hooks.get(trial.upstream_id, [])] == [f"job.{action}"]
        assert hooks[trial.upstream_id][0]["data"]["decided_by"] == winner
        outcomes[action] += 1
        # the losers are told who won
        for user in trial.approvers:
            told = [e for e in h.slack.ephemerals_for(user) if trial.title in e.text]
            if user == winner:
                assert told == [], told
            else:
                assert len(told) == 1, (user, told)
                assert told[0].via == "chat.postEphemeral"
                assert f"<@{winner}>" in told[0].text and f"already {action}" in told[0].text
        for user in trial.decliners:
            said = trial.answers[user].json()
            if user == winner:
                assert said.get("response_action") is None, said
            else:
                assert said.get("response_action") == "update", said
                assert f"<@{winner}>" in json.dumps(said["view"]), said
    return outcomes


@pytest.mark.parametrize(("size", "count"), list(zip((2, 10), split(HTTP_TRIALS), strict=True)))
async def test_reviewers_racing_over_http_make_one_decision(
    h: Harness, caplog: pytest.LogCaptureFixture, size: int, count: int
) -> None:
    assert count > 0, "JOBGATE_RELIABILITY_HTTP_TRIALS leaves this test no trials"
    caplog.set_level(logging.INFO)
    rng = random.Random(SEED + size)
    request_ids = await seed_jobs(h, f"http{size}", count)
    cards = cards_by_request(h)
    trials = []
    for i, request_id in enumerate(request_ids):
        approvers, decliners = cast(rng, size)
        title = f"Analyst http{size} {name(i)}"
        trials.append(Trial(request_id, f"http{size}_{i}", title, approvers, decliners))
    await open_decline_modals(h, trials, cards)

    started = time.perf_counter()
    for trial in trials:
        await race(h, trial, cards[trial.request_id])
    raced_s = time.perf_counter() - started
    outcomes = await check_http_trials(h, trials)

    assert locked_or_failed(caplog.records) == []
    spreads = sorted(t.spread_s for t in trials)
    report(
        f"races_http_{size}",
        {
            "seed": SEED,
            "trials": count,
            "reviewers": size,
            "outcomes": dict(outcomes),
            "race_seconds": round(raced_s, 2),
            "send_spread_ms_median": round(1000 * spreads[len(spreads) // 2], 2),
            "send_spread_ms_max": round(1000 * spreads[-1], 2),
        },
    )
    # the premise: every trial's requests left within 10 ms of each other (they leave in one
    # pass of the event loop; the median is what a loaded CI machine cannot spoil)
    assert spreads[len(spreads) // 2] < 0.010, spreads[-5:]


# -- many reviewers, one request, at the repository ------------------------------------------


@pytest.mark.parametrize(("size", "count"), list(zip((2, 10), split(REPO_TRIALS), strict=True)))
async def test_reviewers_racing_at_the_repository_make_one_decision(
    h: Harness, caplog: pytest.LogCaptureFixture, size: int, count: int
) -> None:
    assert count > 0, "JOBGATE_RELIABILITY_TRIALS is not above the HTTP trials: nothing to run"
    caplog.set_level(logging.INFO)
    rng = random.Random(SEED - size)
    request_ids = await seed_jobs(h, f"repo{size}", count)
    outcomes: Counter[str] = Counter()
    started = time.perf_counter()
    expected: dict[int, tuple[str, str]] = {}
    for request_id in request_ids:
        approvers, decliners = cast(rng, size)
        commands = [
            DecisionCommand(request_id, State.APPROVED, user, Via.BUTTON) for user in approvers
        ] + [
            DecisionCommand(request_id, State.DECLINED, user, Via.BUTTON, reason_codes=(REASON,))
            for user in decliners
        ]
        rng.shuffle(commands)
        now = h.jobgate.services.clock.now()
        results = await asyncio.gather(*(h.repo.record_decision(c, now) for c in commands))
        won = [(c, r) for c, r in zip(commands, results, strict=True) if isinstance(r, Decided)]
        assert len(won) == 1, results
        winner = won[0][0]
        for command, result in zip(commands, results, strict=True):
            if command is winner:
                continue
            assert isinstance(result, NotDecided) and result.blocker is Blocker.ALREADY_DECIDED
            # what the loser is told names the winner
            assert result.request.decided_by == winner.actor
            assert result.request.state is winner.outcome
        expected[request_id] = (winner.outcome.value, winner.actor)
        outcomes[winner.outcome.value] += 1
    raced_s = time.perf_counter() - started

    await h.settle(timeout=60)
    await h.platform.wait_for_accepted(1 + count, timeout=30)
    rows = await decision_rows(h)
    now_states = await states(h)
    hooks = webhooks_by_subject(h)
    for i, request_id in enumerate(request_ids):
        outcome, actor = expected[request_id]
        assert rows[request_id] == [(outcome, outcome, actor)]
        assert now_states[request_id] == (outcome, actor)
        events = hooks[f"repo{size}_{i}"]
        assert [(e["type"], e["data"]["decided_by"]) for e in events] == [(f"job.{outcome}", actor)]
    assert locked_or_failed(caplog.records) == []
    report(
        f"races_repository_{size}",
        {
            "seed": SEED,
            "trials": count,
            "reviewers": size,
            "outcomes": dict(outcomes),
            "race_seconds": round(raced_s, 2),
        },
    )


# -- Approve against Undo --------------------------------------------------------------------


def replay_audit(rows: list[tuple[str, str, str]]) -> tuple[str, str | None]:
    """The state and decider the audit rows lead to, checking each step is allowed."""
    state, decider = "pending", None
    for action, to_state, actor in rows:
        if action == "reverted":
            assert state in ("approved", "declined", "on_hold"), rows
            state, decider = "pending", None
        else:
            assert state in ("pending", "on_hold") and action == to_state, rows
            state, decider = to_state, actor
    return state, decider


EVENT_OF = {
    "approved": "job.approved",
    "declined": "job.declined",
    "reverted": "job.decision_reverted",
}


async def test_approve_racing_undo_ends_consistent(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """R0 approved; at the same moment R0 presses Undo and R1, whose screen still shows the
    pending card, presses Approve. Undo first: pending, then approved by R1. Approve first: R1
    is told R0 already approved, then the undo reverts it. Either way the audit, the request
    and the webhooks agree, in order."""
    caplog.set_level(logging.INFO)
    request_ids = await seed_jobs(h, "undo", UNDO_TRIALS)
    cards = cards_by_request(h)
    stale = {rid: copy.deepcopy(cards[rid]) for rid in request_ids}  # R1's screen
    for request_id in request_ids:
        await h.slack.click(REVIEWERS[0], cards[request_id], ids.APPROVE)
    await h.settle(timeout=30)
    endings: Counter[str] = Counter()
    for n, request_id in enumerate(request_ids):
        undo = h.slack.block_actions_payload(REVIEWERS[0], h.card_now(cards[request_id]), ids.UNDO)
        approve = h.slack.block_actions_payload(REVIEWERS[1], stale[request_id], ids.APPROVE)
        order = [undo, approve] if n % 2 else [approve, undo]
        if n < FORCED_UNDO_TRIALS:  # one after the other: each ending is checked for sure
            answers = [await h.slack.send_interaction(p) for p in order]
        else:
            answers = list(await asyncio.gather(*(h.slack.send_interaction(p) for p in order)))
        assert [a.status for a in answers] == [200, 200]
    await h.settle(timeout=30)

    rows = await decision_rows(h)
    now = await states(h)
    hooks = webhooks_by_subject(h)
    for i, request_id in enumerate(request_ids):
        history = rows[request_id]
        assert history[0] == ("approved", "approved", REVIEWERS[0])
        assert history[1] == ("reverted", "pending", REVIEWERS[0]), history
        assert replay_audit(history) == now[request_id]
        assert len(history) in (2, 3), history
        upstream = f"undo_{i}"
        assert [e["type"] for e in hooks[upstream]] == [EVENT_OF[a] for a, _, _ in history]
        title = f"Analyst undo {name(i)}"
        told = [e for e in h.slack.ephemerals_for(REVIEWERS[1]) if title in e.text]
        if len(history) == 3:
            endings["undo first, then approved by the other"] += 1
            assert history[2] == ("approved", "approved", REVIEWERS[1])
            assert told == []
        else:
            endings["approve first (refused), then undone"] += 1
            assert len(told) == 1 and f"<@{REVIEWERS[0]}>" in told[0].text
        card = h.card_now(cards[request_id])
        shown = json.dumps(card.blocks)
        if now[request_id][0] == "pending":
            assert ids.APPROVE in shown and ids.UNDO not in shown
        else:
            assert "Approved" in shown and f"<@{REVIEWERS[1]}>" in shown
    assert locked_or_failed(caplog.records) == []
    report("races_approve_undo", {"trials": UNDO_TRIALS, "endings": dict(endings)})
    if UNDO_TRIALS >= FORCED_UNDO_TRIALS:
        assert len(endings) == 2, endings


# -- a bulk run against a single decision ------------------------------------------------------


async def open_bulk_modal(h: Harness, text: str) -> OpenView:
    view = await h.modal_from(ADMIN, h.slack.slash(ADMIN, text, channel=REVIEW_CHANNEL))
    assert view.view["callback_id"] == ids.BULK_MODAL
    return view


def bulk_reasons() -> FormValues:
    return multi_select(ids.BULK_REASONS, REASON)


async def test_a_bulk_run_racing_a_single_decision_ends_consistent(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """An admin confirms a bulk run over three requests while a reviewer decides one of them
    the other way (bulk decline against an Approve click, bulk approve against a Decline
    submission). Whoever is first decides that request; the other is told; each request has
    exactly one decision, one webhook, and the state its audit rows say."""
    caplog.set_level(logging.INFO)
    endings: Counter[str] = Counter()
    for trial in range(BULK_TRIALS):
        prefix = f"bulk{name(trial)}"
        request_ids = await seed_jobs(h, prefix, 3)
        cards = cards_by_request(h)
        target = request_ids[trial % 3]
        bulk_declines = trial % 2 == 0
        verb = "decline" if bulk_declines else "approve"
        view = await open_bulk_modal(h, f"bulk {verb} kind:job")
        assert "*3 requests*" in json.dumps(view.view["blocks"])
        if bulk_declines:
            single = h.slack.click(REVIEWERS[2], cards[target], ids.APPROVE)
            bulk = h.slack.submit(ADMIN, view, bulk_reasons())
        else:
            modal = await h.modal_from(
                REVIEWERS[2], h.slack.click(REVIEWERS[2], cards[target], ids.DECLINE)
            )
            single = h.slack.submit(REVIEWERS[2], modal, decline_form(REASON))
            bulk = h.slack.submit(ADMIN, view, {})
        pair = [bulk, single] if trial % 4 < 2 else [single, bulk]
        if trial < FORCED_BULK_TRIALS:  # one after the other: each ending is checked for sure
            answers = [await pair[0], await pair[1]]
        else:
            answers = list(await asyncio.gather(*pair))
        assert all(a.status == 200 for a in answers)
        await h.settle(timeout=30)

        rows = await decision_rows(h)
        now = await states(h)
        hooks = webhooks_by_subject(h)
        bulk_outcome = "declined" if bulk_declines else "approved"
        single_outcome = "approved" if bulk_declines else "declined"
        for i, request_id in enumerate(request_ids):
            history = rows[request_id]
            assert len(history) == 1, history
            assert replay_audit(history) == now[request_id]
            action, _, actor = history[0]
            if request_id != target:
                assert (action, actor) == (bulk_outcome, ADMIN)
            else:
                assert (action, actor) in ((bulk_outcome, ADMIN), (single_outcome, REVIEWERS[2]))
            assert [e["type"] for e in hooks[f"{prefix}_{i}"]] == [f"job.{action}"]
        winner = rows[target][0][2]
        done = json.dumps(view.view)
        if winner == ADMIN:
            endings["bulk first"] += 1
            assert "Done: 3 requests were" in done
            if bulk_declines:
                told = [e for e in h.slack.ephemerals_for(REVIEWERS[2]) if prefix in e.text]
                assert len(told) == 1 and f"<@{ADMIN}>" in told[0].text
            else:
                assert f"<@{ADMIN}>" in json.dumps(modal.view)  # "Nothing changed: …"
        else:
            endings["single first"] += 1
            assert "Done: 2 requests were" in done and "1 fewer" in done
    assert locked_or_failed(caplog.records) == []
    report("races_bulk_single", {"trials": BULK_TRIALS, "endings": dict(endings)})
    if BULK_TRIALS >= FORCED_BULK_TRIALS:
        assert set(endings) == {"bulk first", "single first"}, endings
