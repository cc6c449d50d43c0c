"""The sandbox in a real browser: Playwright drives Debian's chromium (no browser download)
through a reviewer's day: Approve on a card, the Decline modal, a thread reply, App Home.
Screenshots of the channel, the modal and App Home go to test-artifacts/."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.models import Kind, State

if TYPE_CHECKING:
    from bot.sandbox.runner import Sandbox

try:
    from playwright.async_api import Page, async_playwright, expect
except ImportError:  # pragma: no cover - depends on the machine
    pytest.skip(
        "playwright is not installed: pip install -e '.[test]' (no `playwright install` needed)",
        allow_module_level=True,
    )

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("JOBGATE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Debian's chromium, headless, as root, on a machine with no network but loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 10_000

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium; "
        ".ci/run installs it where apt is available)",
        allow_module_level=True,
    )

pytestmark = pytest.mark.timeout(180)


# imported here rather than at collection, as in test_sandbox.py (Hypothesis's constants)
@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    from bot.sandbox.runner import start_sandbox

    running = await start_sandbox(port=0, database=tmp_path / "browser.db")
    try:
        assert running.seeding is not None
        await asyncio.wait_for(running.seeding, 60)
        await running.jobgate.deliverer.drain(10)
        yield running
    finally:
        await running.stop()


def card(page: Page, title: str):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("messages").locator("[data-testid=message]", has_text=title)


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / name))


async def test_a_reviewer_works_through_the_queue_in_the_browser(sandbox: Sandbox) -> None:
    from bot.sandbox import demo

    expect.set_options(timeout=WAIT_MS)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on(
                "console",
                lambda message: problems.append(message.text) if message.type == "error" else None,
            )
            await page.goto(sandbox.url + f"?user={demo.REVIEWER.id}")
            await expect(page.get_by_test_id("user-switcher")).to_have_value(demo.REVIEWER.id)

            # Approve on a card: the bot updates it in place.
            engineer = card(page, "Job: Junior Data Engineer")
            await engineer.get_by_role("button", name="Approve").click()
            await expect(engineer).to_contain_text("Approved by @Maya Chen")
            await expect(engineer.get_by_role("button", name="Undo")).to_be_visible()
            await expect(engineer.get_by_role("button", name="Approve")).to_have_count(0)
            await shot(page, "sandbox-channel.png")

            # Decline: the modal asks for reasons, prefills the message, then closes.
            scam = card(page, "Job: Personal Assistant Needed")
            await scam.get_by_role("button", name="Decline").click()
            modal = page.get_by_test_id("modal")
            await expect(modal).to_be_visible()
            await expect(modal).to_contain_text("Decline the job Personal Assistant Needed")
            await modal.get_by_test_id("modal-submit").click()
            await expect(modal.get_by_role("alert")).to_contain_text("Choose at least one reason")
            await modal.locator("[data-action-id=reasons_input] select").select_option(
                "suspected_fraud"
            )
            await expect(modal.locator(".chip")).to_contain_text("Suspected fraud")
            message = modal.locator("textarea").first
            await expect(message).not_to_have_value("")
            await expect(modal.get_by_role("alert")).to_have_count(0)
            await modal.locator("textarea").nth(1).fill("Asks for bills to be paid: PA scam.")
            await shot(page, "sandbox-modal.png")
            await modal.get_by_test_id("modal-submit").click()
            await expect(modal).to_be_hidden()
            await expect(scam).to_contain_text("Declined by @Maya Chen")
            await expect(scam).to_contain_text("Suspected fraud")

            # A reply in the card's thread: kept, and shown to everyone.
            await scam.hover()
            await scam.get_by_test_id("reply-in-thread").click()
            thread = page.get_by_test_id("thread")
            await expect(thread).to_be_visible()
            await thread.get_by_test_id("thread-composer").fill(
                "Same text was sent to two other schools."
            )
            await thread.get_by_test_id("thread-composer").press("Enter")
            await expect(thread).to_contain_text("Same text was sent to two other schools.")
            await expect(scam.get_by_test_id("thread-summary")).to_contain_text("replies")
            await shot(page, "sandbox-thread.png")

            # A staff member who is not a reviewer is refused, privately.
            await page.get_by_test_id("user-switcher").select_option(demo.STAFF.id)
            analyst = card(page, "Job: Operations Analyst")
            await analyst.get_by_role("button", name="Approve").click()
            await expect(page.get_by_test_id("ephemeral").last).to_contain_text(
                "Only visible to you"
            )
            await expect(analyst).to_contain_text("Pending review")

            # App Home opens (the app_home_opened event goes to the bot).
            await page.get_by_test_id("user-switcher").select_option(demo.ADMIN.id)
            await page.get_by_test_id("nav-app").click()
            home = page.get_by_test_id("home")
            await expect(home).to_be_visible()
            await expect(page.get_by_test_id("tab-home")).to_have_class("tab active")
            await expect(home).to_contain_text("jobgate")
            await shot(page, "sandbox-app-home.png")
            assert not problems, problems
        finally:
            await browser.close()
    request = await sandbox.jobgate.repo.find_request(Kind.JOB, "job_scam_pa")
    assert request is not None and request.state is State.DECLINED
    notes = [n.text for n in await sandbox.jobgate.repo.list_notes(request.id)]
    assert "Same text was sent to two other schools." in notes
