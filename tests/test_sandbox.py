"""`jobgate sandbox` without a browser: demo cards arrive within 10 s, and everything the page
does reaches the bot as the signed request Slack would send (the same fake Slack as the tests)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import aiohttp
import pytest
import yaml
from slack_sdk.signature import SignatureVerifier

from bot.models import Kind, State
from handlers import ids
from tests.conftest import SLACK_REFERENCE
from tests.harness import decline_form, employer, job

if TYPE_CHECKING:
    from bot.sandbox.runner import Sandbox

# bot.sandbox.runner (and the demo data) are imported inside the tests, not when pytest collects
# them: Hypothesis draws examples from the constants of every local module imported so far, and
# importing these early would change the examples of the property tests that run before.
ROOT = Path(__file__).resolve().parents[1]
MAYA, SAM, PRIYA, JORDAN = "U0MAYACHEN", "U0SAMOKAFO", "U0PRIYANAT", "U0JORDANLE"
REVIEW, REPORTS = "C0JOBREVIEW", "C0JOBREPORTS"


async def start_sandbox(**options: Any) -> Sandbox:
    from bot.sandbox.runner import start_sandbox as start

    return await start(**options)


class Page:
    """What the browser page does: the sandbox's /ui API, as one person at a time."""

    def __init__(self, sandbox: Sandbox, session: aiohttp.ClientSession) -> None:
        self.url = sandbox.url
        self.session = session

    async def state(self, user: str) -> dict[str, Any]:
        async with self.session.get(self.url + "ui/state", params={"user": user}) as response:
            assert response.status == 200
            data: dict[str, Any] = await response.json()
            return data

    async def post(self, path: str, user: str, **body: Any) -> dict[str, Any]:
        async with self.session.post(self.url + path, json={"user": user, **body}) as response:
            data: dict[str, Any] = await response.json()
            assert response.status == 200, data
            return data

    async def cards(self, user: str = MAYA) -> list[dict[str, Any]]:
        return [m for m in (await self.state(user))["messages"][REVIEW] if m["bot"]]

    async def card(
        self, upstream_id: str, user: str = MAYA, timeout: float = 10.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for card in await self.cards(user):
                if f"`{upstream_id}`" in json.dumps(card["blocks"][-1:]):
                    return card
            await asyncio.sleep(0.05)
        raise AssertionError(f"no card for {upstream_id} on the page")

    async def until(self, user: str, predicate: Any, what: str, timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate(await self.state(user))
            if found:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    running = await start_sandbox(port=0, database=tmp_path / "sandbox.db", seed=False)
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def page(sandbox: Sandbox) -> AsyncIterator[Page]:
    async with aiohttp.ClientSession() as session:
        yield Page(sandbox, session)


def signed_requests(sandbox: Sandbox) -> list[tuple[str, dict[str, str]]]:
    """Record every request the fake Slack signs for the bot (body and headers)."""
    sent: list[tuple[str, dict[str, str]]] = []
    original = sandbox.slack.signed_headers

    def recording(body: str, **kwargs: Any) -> dict[str, str]:
        headers = original(body, **kwargs)
        sent.append((body, headers))
        return headers

    sandbox.slack.signed_headers = recording  # type: ignore[method-assign]
    return sent


def payload_of(body: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(parse_qs(body)["payload"][0])
    return parsed


def test_the_demo_team_has_each_role() -> None:
    from bot.sandbox import demo

    assert [(p.id, p.role) for p in demo.PEOPLE] == [
        (MAYA, "reviewer"),
        (SAM, "reviewer"),
        (PRIYA, "admin"),
        (JORDAN, "staff"),
    ]
    assert (demo.REVIEW_CHANNEL, demo.REPORTS_CHANNEL) == (REVIEW, REPORTS)


async def test_demo_cards_show_within_ten_seconds_and_cover_the_cases(tmp_path: Path) -> None:
    started = time.monotonic()
    running = await start_sandbox(port=0, database=tmp_path / "demo.db")
    try:
        async with aiohttp.ClientSession() as session:
            page = Page(running, session)
            await page.until(MAYA, lambda s: s["messages"][REVIEW], "the first card")
            assert time.monotonic() - started < 10
            assert running.seeding is not None
            await asyncio.wait_for(running.seeding, 30)
            assert running.seeding.exception() is None
            await running.jobgate.deliverer.drain(10)
            cards = await page.cards()
            text = json.dumps([c["blocks"] for c in cards])
            assert len(cards) == 12 + 30
            assert text.count("Approved automatically") >= 2  # the trusted employer's clean jobs
            assert "Possible duplicate" in text
            assert "flagged by Google Web Risk" in text
            assert text.count("`high`") >= 5  # the scams, each explained
            scam = await page.card("job_scam_check")
            authors = {r["user"] for r in scam["replies"] if not r["bot"]}
            assert authors == {SAM, MAYA}
            reports = (await page.state(MAYA))["messages"][REPORTS]
            assert any("rep_demo_1" in json.dumps(m["blocks"]) for m in reports)
            people = {p["id"]: p["role"] for p in (await page.state(JORDAN))["people"]}
            assert sorted(people.values()) == ["admin", "reviewer", "reviewer", "staff"]
    finally:
        await running.stop()


async def test_a_click_on_the_page_is_a_signed_block_actions_the_bot_acts_on(
    sandbox: Sandbox, page: Page
) -> None:
    await sandbox.platform.send_employers(employer("emp_click"))
    card = await page.card("emp_click")
    sent = signed_requests(sandbox)

    answer = await page.post(
        "ui/click", MAYA, channel=REVIEW, ts=card["ts"], action_id=ids.APPROVE, value=None
    )
    assert answer["ok"]
    body, headers = sent[-1]
    verifier = SignatureVerifier(sandbox.slack.signing_secret)
    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    payload = payload_of(body)
    assert payload["type"] == "block_actions"
    assert payload["user"]["id"] == MAYA
    assert payload["actions"][0]["action_id"] == ids.APPROVE
    assert payload["container"] == {
        "type": "message",
        "message_ts": card["ts"],
        "channel_id": REVIEW,
        "is_ephemeral": False,
    }
    request = await sandbox.jobgate.repo.find_request(Kind.EMPLOYER, "emp_click")
    assert request is not None and request.state is State.APPROVED
    approved = await page.until(
        MAYA,
        lambda s: (
            "Approved"
            in json.dumps(next(m for m in s["messages"][REVIEW] if m["ts"] == card["ts"])["blocks"])
        ),
        "the card to show the approval",
    )
    assert approved


async def test_staff_who_are_not_reviewers_are_refused_privately(
    sandbox: Sandbox, page: Page
) -> None:
    await sandbox.platform.send_jobs(job("job_staff"))
    card = await page.card("job_staff")
    await page.post("ui/click", JORDAN, channel=REVIEW, ts=card["ts"], action_id=ids.APPROVE)
    refusals = await page.until(JORDAN, lambda s: s["ephemerals"], "the private refusal")
    assert "not" in refusals[0]["text"].lower()
    assert (await page.state(MAYA))["ephemerals"] == []
    request = await sandbox.jobgate.repo.find_request(Kind.JOB, "job_staff")
    assert request is not None and request.state is State.PENDING
    await page.post("ui/dismiss", JORDAN, id=refusals[0]["id"])
    assert (await page.state(JORDAN))["ephemerals"] == []


async def test_the_decline_modal_prefills_shows_errors_and_submits(
    sandbox: Sandbox, page: Page
) -> None:
    await sandbox.platform.send_jobs(job("job_decline"))
    card = await page.card("job_decline")
    await page.post("ui/click", SAM, channel=REVIEW, ts=card["ts"], action_id=ids.DECLINE)
    views = await page.until(SAM, lambda s: s["views"], "the Decline modal")
    modal = views[-1]
    assert modal["view"]["callback_id"] == ids.DECLINE_MODAL
    assert (await page.state(MAYA))["views"] == []  # only the person who clicked sees it

    refused = await page.post("ui/submit", SAM, view_id=modal["id"], values={})
    assert not refused["closed"] and ids.REASONS[0] in refused["errors"]
    shown = (await page.state(SAM))["views"][-1]
    assert ids.REASONS[0] in shown["errors"]

    reasons = decline_form("insufficient_detail")
    await page.post(
        "ui/view_action",
        SAM,
        view_id=modal["id"],
        action_id=ids.REASONS[1],
        selected=["insufficient_detail"],
        values=reasons,
    )
    updated = await page.until(
        SAM,
        lambda s: [v for v in s["views"] if v["hash"] != modal["hash"]],
        "the prefilled message",
    )
    assert updated[0]["errors"] == {}  # a refreshed form starts clean, as in Slack
    prefilled = next(
        b
        for b in updated[0]["view"]["blocks"]
        if b.get("block_id", "").startswith(ids.EMPLOYER_MESSAGE[0])
    )
    assert prefilled["element"].get("initial_value")

    form = decline_form("insufficient_detail", note="Vague.")
    done = await page.post("ui/submit", SAM, view_id=modal["id"], values=form)
    assert done["closed"] and done["errors"] == {}
    request = await sandbox.jobgate.repo.find_request(Kind.JOB, "job_decline")
    assert request is not None and request.state is State.DECLINED
    assert (await page.state(SAM))["views"] == []


async def test_thread_replies_mentions_slash_commands_and_the_shortcut(
    sandbox: Sandbox, page: Page
) -> None:
    await sandbox.platform.send_jobs(job("job_thread"))
    card = await page.card("job_thread")
    await page.post(
        "ui/message", MAYA, channel=REVIEW, thread_ts=card["ts"], text="Pay looks low <b>"
    )
    await page.post(
        "ui/message", SAM, channel=REVIEW, thread_ts=card["ts"], text="@jobgate flag odd pay"
    )
    await sandbox.jobgate.deliverer.drain(5)
    request = await sandbox.jobgate.repo.find_request(Kind.JOB, "job_thread")
    assert request is not None
    notes = await page.until(
        MAYA,
        lambda s: (
            [
                r["text"]
                for m in s["messages"][REVIEW]
                if m["ts"] == card["ts"]
                for r in m["replies"]
            ]
        ),
        "the replies",
    )
    assert "Pay looks low &lt;b&gt;" in notes  # typed text is escaped, as Slack's client does
    assert f"<@{sandbox.slack.api.bot_user_id}> flag odd pay" in notes
    stored = [n.text for n in await sandbox.jobgate.repo.list_notes(request.id)]
    assert "Pay looks low &lt;b&gt;" in stored
    await page.until(
        MAYA,
        lambda s: (
            "Flagged"
            in json.dumps(next(m for m in s["messages"][REVIEW] if m["ts"] == card["ts"])["blocks"])
        ),
        "the flag",
    )

    await page.post("ui/message", MAYA, channel=REVIEW, text="/jobgate help")
    helped = await page.until(MAYA, lambda s: s["ephemerals"], "the help")
    assert "/jobgate" in helped[0]["text"]
    unknown = await page.post("ui/message", MAYA, channel=REVIEW, text="/nope")
    assert not unknown["ok"] and "/jobgate help" in unknown["error"]

    await page.post(
        "ui/shortcut", SAM, channel=REVIEW, ts=card["ts"], callback_id=ids.REPORT_SHORTCUT
    )
    forms = await page.until(SAM, lambda s: s["views"], "the report form")
    assert forms[-1]["view"]["callback_id"] == ids.REPORT_MODAL
    await page.post("ui/close", SAM, view_id=forms[-1]["id"])
    assert (await page.state(SAM))["views"] == []


async def test_app_home_and_the_demo_buttons(sandbox: Sandbox, page: Page) -> None:
    sent = signed_requests(sandbox)
    opened = await page.post("ui/home", PRIYA)
    assert opened["ok"]
    event = json.loads(sent[-1][0])["event"]
    assert event["type"] == "app_home_opened" and event["user"] == PRIYA and event["tab"] == "home"

    said = await page.post("ui/demo/more", PRIYA)
    assert "1 employer and 4 jobs" in said["said"]
    await page.card("job_more_1_2")
    again = await page.post("ui/demo/more", PRIYA)
    assert again["ok"]
    await page.card("job_more_2_1")

    digest = await page.post("ui/demo/digest", PRIYA)
    assert "digest" in digest["said"]
    await page.until(
        MAYA,
        lambda s: any("digest" in m["text"].lower() for m in s["messages"][REVIEW]),
        "the digest message",
    )


async def test_the_page_is_offline_and_never_builds_html_from_text(page: Page) -> None:
    async with page.session.get(page.url) as response:
        html = await response.text()
        assert response.status == 200
    assert "/static/app.js" in html and "/static/style.css" in html
    for name in ("app.js", "style.css", "index.html"):
        async with page.session.get(page.url + "static/" + name) as response:
            assert response.status == 200
            text = await response.text()
        assert "http://" not in text.replace("http://127.0.0.1", "") and "https://cdn" not in text
    source = (ROOT / "bot" / "sandbox" / "static" / "app.js").read_text()
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert risky not in source
    async with page.session.get(page.url + "static/..%2fweb.py") as response:
        assert response.status == 404
    async with page.session.get(page.url + "ui/state", params={"user": "UNOBODY"}) as response:
        assert response.status == 404


async def test_a_restart_keeps_the_workspace_and_does_not_send_the_demo_again(
    tmp_path: Path,
) -> None:
    database = tmp_path / "kept.db"
    first = await start_sandbox(port=0, database=database)
    try:
        assert first.seeding is not None
        await asyncio.wait_for(first.seeding, 30)
        await first.jobgate.deliverer.drain(10)
    finally:
        await first.stop()
    before = {m.ts for m in first.slack.bot_messages(REVIEW) if "request:" in m.text}
    assert len(before) == 42
    assert (tmp_path / "kept.slack.json").exists()

    second = await start_sandbox(port=0, database=database)
    try:
        assert second.seeding is None and not second.first_start
        kept = {m.ts for m in second.slack.bot_messages(REVIEW) if "request:" in m.text}
        assert kept == before  # the same cards, and no demo sent twice
        from bot.sandbox.runner import find_card

        card = find_card(second.slack, "job_cs_1")
        assert card is not None
        await second.slack.click(MAYA, card, ids.APPROVE)
        await second.jobgate.deliverer.drain(5)
        updated = second.slack.workspace.find(REVIEW, card.ts)
        assert updated is not None and "Approved" in json.dumps(updated.blocks)
    finally:
        await second.stop()

    fresh = await start_sandbox(port=0, database=database, fresh=True, seed=False)
    try:
        assert fresh.first_start and fresh.slack.bot_messages(REVIEW) == []
    finally:
        await fresh.stop()


async def test_a_demo_cut_short_by_a_stop_is_finished_on_the_next_start(tmp_path: Path) -> None:
    """A Ctrl-C in the sandbox's first seconds stops the demo half way (some employers
    approved, no jobs yet). The next start finishes it: the decided requests are skipped
    (their cards have no Approve left to click), the rest is done as on a first start."""
    from bot.sandbox import demo

    database = tmp_path / "cut.db"
    first = await start_sandbox(port=0, database=database)
    try:

        async def approved() -> bool:
            found = await first.jobgate.repo.find_request(Kind.EMPLOYER, demo.APPROVED_EMPLOYERS[0])
            return found is not None and found.state is State.APPROVED

        for _ in range(300):
            if await approved():
                break
            await asyncio.sleep(0.05)
        assert await approved(), "the demo approved no employer in 15 s"
        assert first.seeding is not None and not first.seeding.done()
    finally:
        await first.stop()

    second = await start_sandbox(port=0, database=database)
    try:
        assert second.seeding is not None, "the cut-short demo was not taken up again"
        await asyncio.wait_for(second.seeding, 30)
        assert second.seeding.exception() is None
        await second.jobgate.deliverer.drain(10)
        cards = {m.ts for m in second.slack.bot_messages(REVIEW) if "request:" in m.text}
        assert len(cards) == 12 + 30
        from bot.sandbox.runner import find_card

        scam = find_card(second.slack, demo.SCAM_WITH_THREAD)
        assert scam is not None and "Declined" in json.dumps(scam.blocks)
        replies = second.slack.workspace.replies(REVIEW, scam.ts)
        assert {r.user for r in replies if not r.bot_id} == {SAM, MAYA}
    finally:
        await second.stop()
    third = await start_sandbox(port=0, database=database)
    try:
        assert third.seeding is None  # finished: not sent a third time
    finally:
        await third.stop()


def test_the_page_offers_the_shortcuts_the_manifest_declares() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    declared = {(s["callback_id"], s["name"], s["type"]) for s in manifest["features"]["shortcuts"]}
    from bot.sandbox.runner import SHORTCUTS

    assert {(s.callback_id, s.name, s.type) for s in SHORTCUTS} == declared


def _spec() -> dict[str, Any]:
    path = SLACK_REFERENCE / "web-api" / "slack_web_openapi_v2.json"
    spec: dict[str, Any] = json.loads(path.read_text())
    return spec


async def test_every_web_api_call_uses_slacks_names_and_answer_shapes(tmp_path: Path) -> None:
    running = await start_sandbox(port=0, database=tmp_path / "shapes.db")
    try:
        assert running.seeding is not None
        await asyncio.wait_for(running.seeding, 30)
        await running.jobgate.deliverer.drain(10)
        from bot.sandbox.runner import find_card

        card = find_card(running.slack, "job_bp_2")
        assert card is not None
        await running.slack.slash(MAYA, "help", channel=REVIEW)
        await running.slack.say(MAYA, REVIEW, "@jobgate history", thread_ts=card.ts)
        await running.slack.click(MAYA, card, ids.DECLINE)
        await running.jobgate.deliverer.drain(10)
    finally:
        await running.stop()
    paths = _spec()["paths"]
    checked = set()
    for call in running.slack.api.calls:
        operation = paths.get(f"/{call.method}")
        assert operation is not None, f"{call.method} is not a Slack Web API method"
        method = next(iter(operation.values()))
        known = {p["name"] for p in method.get("parameters", [])}
        # slack_sdk adds the client's team_id to every call (org-wide installs); Slack accepts it
        unknown = set(call.args) - known - {"token", "team_id"}
        assert not unknown, f"{call.method} was called with {unknown}, not Slack's names"
        if call.ok and call.answer is not None:
            schema = method["responses"]["200"]["schema"]
            missing = set(schema.get("required", [])) - set(call.answer)
            assert not missing, f"{call.method} answered without {missing}"
        checked.add(call.method)
    assert {"chat.postMessage", "chat.update", "views.open", "auth.test"} <= checked


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_jobgate_sandbox_serves_demo_cards_within_ten_seconds(tmp_path: Path) -> None:
    port = _free_port()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/ui/state?user={MAYA}"
        cards: list[Any] = []
        while time.monotonic() - started < 10 and not cards:
            try:
                with urllib.request.urlopen(url, timeout=1) as answer:
                    cards = json.load(answer)["messages"][REVIEW]
            except OSError:
                time.sleep(0.1)
        assert cards, "no demo card within 10 seconds of `jobgate sandbox`"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"open http://127.0.0.1:{port}/" in out
    assert (tmp_path / "jobgate-sandbox.db").exists()


def _sandbox(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_jobgate_sandbox_no_demo_says_it_sent_nothing(tmp_path: Path) -> None:
    port = _free_port()
    process = _sandbox(tmp_path, "--port", str(port), "--fresh", "--no-demo")
    try:
        assert process.stdout is not None
        banner = ""
        while "Press Ctrl-C to stop" not in banner:
            line = process.stdout.readline()
            assert line, "the sandbox stopped before saying it runs"
            banner += line
        url = f"http://127.0.0.1:{port}/ui/state?user={MAYA}"
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert not json.load(answer)["messages"].get(REVIEW)
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "no demo data was sent (--no-demo)" in banner
    assert "earlier runs" not in banner


@pytest.mark.parametrize(
    ("after_s", "presses"),
    [(0.3, 1), (0.7, 1), (1.2, 1), (0.3, 2), (0.5, 2), (0.7, 2), (1.2, 2), (2.5, 2)],
)
def test_ctrl_c_while_the_sandbox_starts_ends_it_cleanly(
    tmp_path: Path, after_s: float, presses: int
) -> None:
    """Ctrl-C (once, or twice in quick succession) at any moment of the start or the stop:
    the process ends (the bot's database threads used to keep it alive) and says so in a
    line, without a traceback."""
    process = _sandbox(tmp_path, "--port", str(_free_port()), "--fresh", "--no-demo")
    time.sleep(after_s)
    for _ in range(presses):
        process.send_signal(signal.SIGINT)
        time.sleep(0.02)
    _, err = process.communicate(timeout=30)
    # a second Ctrl-C that lands once the process is on its way out may end it outright
    ended = (0, 130, -signal.SIGINT) if presses == 2 else (0, 130)
    assert process.returncode in ended, err
    assert "Traceback" not in err
    said = ("jobgate: interrupted", "jobgate sandbox: interrupted", "jobgate sandbox: stopping")
    assert any(line in err for line in said), err
