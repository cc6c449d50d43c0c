"""The command line: import from files (validated first, idempotent), check, help."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.ctrl_c import ctrl_c_held
from storage.outbox import enqueue_dm
from tests.harness import job

ROOT = Path(__file__).resolve().parents[1]


def jobgate(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(cwd),
        "PYTHONPATH": str(ROOT),
        "JOBGATE_DATABASE": str(cwd / "j.db"),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def slack_env(slack: Any) -> dict[str, str]:
    """The environment of a jobgate talking to `slack` (a FakeSlack), reviewing in C0REVIEW."""
    return {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": slack.api_url,
        "JOBGATE_REVIEW_CHANNEL": "C0REVIEW",
    }


def daily_digests(slack: Any) -> list[Any]:
    return [m for m in slack.bot_messages("C0REVIEW") if m.text.startswith("Daily digest")]


async def imported_against(slack: Any, folder: Path) -> dict[str, str]:
    """The environment of a jobgate talking to `slack` (a FakeSlack), once `jobs.json` in
    `folder` is imported."""
    import asyncio

    env = slack_env(slack)
    await asyncio.to_thread(jobgate, "import", "jobs.json", "--no-progress", cwd=folder, env=env)
    return env


def count_requests(path: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0])
    finally:
        conn.close()


def test_import_csv_json_and_ndjson_idempotently(tmp_path: Path) -> None:
    (tmp_path / "jobs.ndjson").write_text("\n".join(json.dumps(job(f"job_{i}")) for i in range(30)))
    (tmp_path / "more.json").write_text(json.dumps([job(f"job_{i}") for i in range(25, 40)]))
    (tmp_path / "employers.csv").write_text(
        "id,name,website,contact.email,other_schools.approved\n"
        "emp_1,Acme,https://acme.example,jane@acme.example,4\n"
        "emp_2,Globex,https://globex.example,,\n"
    )
    first = jobgate("import", "jobs.ndjson", "--no-progress", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "30 new" in first.stdout
    second = jobgate("import", "more.json", "--no-progress", cwd=tmp_path)
    assert "10 new, 0 updated, 5 unchanged" in second.stdout
    employers = jobgate("import", "employers.csv", "--no-progress", cwd=tmp_path)
    assert "2 new" in employers.stdout and "employer" in employers.stdout
    assert count_requests(tmp_path / "j.db") == 42


def test_import_shows_a_progress_bar(tmp_path: Path) -> None:
    (tmp_path / "jobs.json").write_text(json.dumps([job(f"job_{i}") for i in range(10)]))
    done = jobgate("import", "jobs.json", cwd=tmp_path)
    assert done.returncode == 0
    assert "10/10" in done.stderr  # tqdm draws on stderr


def test_a_file_with_bad_rows_imports_nothing_and_names_the_rows(tmp_path: Path) -> None:
    rows = [job("job_1"), {**job("job_2"), "title": ""}, {**job("job_3"), "pay": {"min": "lots"}}]
    (tmp_path / "jobs.ndjson").write_text("\n".join(json.dumps(r) for r in rows))
    done = jobgate("import", "jobs.ndjson", "--no-progress", cwd=tmp_path)
    assert done.returncode == 1
    assert "row 2.title" in done.stderr and "row 3.pay.min" in done.stderr
    assert "nothing was imported" in done.stderr
    assert not (tmp_path / "j.db").exists()  # validated before the database is even opened


def test_import_refuses_unknown_file_types(tmp_path: Path) -> None:
    (tmp_path / "jobs.xlsx").write_text("x")
    done = jobgate("import", "jobs.xlsx", cwd=tmp_path)
    assert done.returncode == 1 and "use .csv, .json or .ndjson" in done.stderr


def test_check_says_what_is_missing(tmp_path: Path) -> None:
    done = jobgate("check", cwd=tmp_path)
    assert done.returncode == 1
    assert "SLACK_BOT_TOKEN is not set" in done.stdout
    assert "nobody can decide" in done.stdout


def test_check_counts_the_reviewers_an_admin_set_in_slack() -> None:
    from bot.cli.check import people_finding
    from bot.config import Settings

    admins_only = Settings(_env_file=None, JOBGATE_ADMINS="U0ADMIN")  # type: ignore[call-arg]
    from_env = people_finding(admins_only, None)
    assert from_env.ok and "0 reviewer entries (from JOBGATE_REVIEWERS)" in from_env.text
    stored = people_finding(admins_only, ("U0PAT", "S0TEAM"))
    assert stored.ok and "2 reviewer entries (from the reviewers setting" in stored.text
    nobody = Settings(_env_file=None)  # type: ignore[call-arg]
    assert not people_finding(nobody, None).ok
    assert people_finding(nobody, ("U0PAT",)).ok  # set in Slack before the admins were removed


def test_help_lists_the_commands(tmp_path: Path) -> None:
    done = jobgate("--help", cwd=tmp_path)
    assert done.returncode == 0
    for command in ("run", "check", "import"):
        assert command in done.stdout


async def test_check_reaches_slack_and_the_review_channel(tmp_path: Path) -> None:
    import asyncio

    from bot.sandbox.fake_slack import FakeSlack

    slack = await FakeSlack(signing_secret="s").start()
    slack.workspace.add_channel("C0REVIEW", "job-review")
    try:
        env = {**slack_env(slack), "JOBGATE_REVIEWERS": "U0001"}
        done = await asyncio.to_thread(jobgate, "check", cwd=tmp_path, env=env)
        assert (
            "Slack token works" in done.stdout
            and "review channel C0REVIEW is reachable" in done.stdout
        )
        assert done.returncode == 0, done.stdout
        env["SLACK_BOT_TOKEN"] = "xoxb-wrong"
        refused = await asyncio.to_thread(jobgate, "check", cwd=tmp_path, env=env)
        assert refused.returncode == 1 and "invalid_auth" in refused.stdout
    finally:
        await slack.stop()


async def test_digest_command_posts_once_prints_and_forces(tmp_path: Path) -> None:
    import asyncio

    from bot.sandbox.fake_slack import FakeSlack

    slack = await FakeSlack(signing_secret="s").start()
    slack.workspace.add_channel("C0REVIEW", "job-review")
    try:
        (tmp_path / "jobs.json").write_text(json.dumps([job(f"job_{i}") for i in range(3)]))
        env = await imported_against(slack, tmp_path)
        printed = await asyncio.to_thread(jobgate, "digest", "--print", cwd=tmp_path, env=env)
        assert printed.returncode == 0 and "Pending: 3 jobs" in printed.stdout
        # something else waits in the outbox: the running bot's to send, at its own pace
        with sqlite3.connect(tmp_path / "j.db") as conn:
            enqueue_dm(conn, "U0001", {"text": "the bot's, not the command's"}, datetime.now(UTC))
        first = await asyncio.to_thread(jobgate, "digest", cwd=tmp_path, env=env)
        assert first.returncode == 0 and "queued the digest for" in first.stdout
        assert "posted it to C0REVIEW" in first.stdout
        assert "Slack did not take it yet" not in first.stdout
        assert slack.bot_messages("D0001") == []
        with sqlite3.connect(tmp_path / "j.db") as conn:
            waiting = conn.execute("SELECT state FROM outbox WHERE kind = 'dm'").fetchall()
        assert waiting == [("pending",)]
        second = await asyncio.to_thread(jobgate, "digest", cwd=tmp_path, env=env)
        assert (
            second.returncode == 1
            and "already handled" in second.stdout
            and "--force" in second.stdout
        )
        forced = await asyncio.to_thread(jobgate, "digest", "--force", cwd=tmp_path, env=env)
        assert forced.returncode == 0 and "--force" in forced.stdout
        assert len(daily_digests(slack)) == 2
    finally:
        await slack.stop()


async def test_digest_command_posts_nothing_when_there_is_nothing_to_say(tmp_path: Path) -> None:
    # SPEC 5: nothing is posted when there is nothing to say (the quiet setting, on by default)
    import asyncio

    from bot.sandbox.fake_slack import FakeSlack

    slack = await FakeSlack(signing_secret="s").start()
    slack.workspace.add_channel("C0REVIEW", "job-review")
    try:
        env = slack_env(slack)
        quiet = await asyncio.to_thread(jobgate, "digest", cwd=tmp_path, env=env)
        assert quiet.returncode == 0, quiet.stderr
        assert "nothing to say today" in quiet.stdout and "--force" in quiet.stdout
        assert slack.bot_messages("C0REVIEW") == []
        with sqlite3.connect(tmp_path / "j.db") as conn:
            # today is not claimed: the scheduled digest still goes out if work comes in
            assert conn.execute("SELECT COUNT(*) FROM digest_runs").fetchone() == (0,)
        forced = await asyncio.to_thread(jobgate, "digest", "--force", cwd=tmp_path, env=env)
        assert forced.returncode == 0 and "posted it to C0REVIEW" in forced.stdout
        assert len(daily_digests(slack)) == 1
    finally:
        await slack.stop()


def test_commands_run_on_uvloop_unless_told_otherwise() -> None:
    import asyncio

    from bot import event_loop

    async def loop_name() -> str:
        await asyncio.sleep(0)
        return event_loop.running_loop_name()

    assert event_loop.run(loop_name()) == "uvloop"
    assert event_loop.run(loop_name(), use_uvloop=False) == "asyncio"


def test_run_on_a_taken_port_says_so_and_exits(tmp_path: Path) -> None:
    """The HTTP server cannot bind: a one-line reason and exit 2, not a traceback and a
    process kept alive by the database's threads."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "s",
            "JOBGATE_REVIEW_CHANNEL": "C0REVIEW",
            "JOBGATE_PORT": str(port),
        }
        result = jobgate("run", cwd=tmp_path, env=env)
    assert result.returncode == 2, result.stderr
    assert f"port {port} on 127.0.0.1 is taken by another program" in result.stderr
    assert "set JOBGATE_PORT to a free one" in result.stderr
    assert "Traceback" not in result.stderr


async def test_digest_refused_by_slack_says_so(tmp_path: Path) -> None:
    """Slack refuses the post for good (an archived channel): the command says so and exits 1,
    rather than 'posted'."""
    import asyncio

    from bot.sandbox.fake_slack import FakeSlack
    from bot.sandbox.slack_api import Fault

    slack = await FakeSlack(signing_secret="s").start()
    slack.workspace.add_channel("C0REVIEW", "job-review")
    slack.api.fail("chat.postMessage", Fault(status=200, error="is_archived"))
    try:
        (tmp_path / "jobs.json").write_text(json.dumps([job("job_1")]))
        env = await imported_against(slack, tmp_path)
        refused = await asyncio.to_thread(jobgate, "digest", cwd=tmp_path, env=env)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "Slack refused it (chat.postMessage: is_archived)" in refused.stderr
        assert "posted it" not in refused.stdout
        assert slack.bot_messages("C0REVIEW") == []
    finally:
        await slack.stop()


def test_a_ctrl_c_while_loading_is_held_until_loading_is_done() -> None:
    """An interrupt inside an import can come out as another error (pydantic's SchemaError),
    so the command line holds it while loading and acts on it after."""
    before = signal.getsignal(signal.SIGINT)
    with ctrl_c_held() as pressed:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # Python runs the handler between two bytecodes: here, not later
    assert pressed == [signal.SIGINT]
    assert signal.getsignal(signal.SIGINT) is before


def test_an_ignored_ctrl_c_stays_ignored_while_loading() -> None:
    """A command started in the background by a script ignores SIGINT; the hold must not
    make it count one."""
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with ctrl_c_held() as pressed:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
        assert pressed == []
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


async def test_jobgate_run_parses_and_screens_in_its_workers_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    """The console script as an operator starts it: its parse and screening workers are
    spawned from the `jobgate` script itself, a large array is parsed in one and screened in
    the other, and SIGTERM stops the bot and both workers with nothing lost."""
    import asyncio
    import socket
    from functools import partial

    import aiohttp

    from bot.sandbox.fake_platform import FakePlatform
    from bot.sandbox.fake_slack import FakeSlack
    from tests.harness import Secrets
    from tests.processes import children, gone

    script = Path(sys.executable).with_name("jobgate")
    assert script.exists(), f"the console script is not installed next to {sys.executable}"
    secrets = Secrets.random()
    slack = await FakeSlack(signing_secret=secrets.signing).start()
    slack.workspace.add_channel("C0REVIEW", "job-review")
    platform = await FakePlatform(
        webhook_secret=secrets.webhook, ingest_secret=secrets.ingest
    ).start()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": secrets.signing,
        "SLACK_API_URL": slack.api_url,
        "JOBGATE_DATABASE": str(tmp_path / "j.db"),
        "JOBGATE_REVIEW_CHANNEL": "C0REVIEW",
        "JOBGATE_INGEST_SECRET": secrets.ingest,
        "JOBGATE_WEBHOOK_URL": platform.url,
        "JOBGATE_WEBHOOK_SECRET": secrets.webhook,
        "JOBGATE_PORT": str(port),
    }
    bot = await asyncio.to_thread(
        partial(
            subprocess.Popen,
            [str(script), "run"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    )
    base = f"http://127.0.0.1:{port}"
    platform.bot_base_url = base
    try:
        async with aiohttp.ClientSession() as session:

            async def health() -> dict[str, Any] | None:
                try:
                    async with session.get(base + "/healthz") as answer:
                        return dict(await answer.json()) if answer.status == 200 else None
                except aiohttp.ClientError:
                    return None

            deadline = asyncio.get_running_loop().time() + 60
            while (await health()) is None:
                assert bot.poll() is None, "jobgate run exited early"
                assert asyncio.get_running_loop().time() < deadline, "jobgate run never answered"
                await asyncio.sleep(0.2)

            jobs = [job(f"job_{n}", employer_id=f"emp_{n % 7}") for n in range(200)]
            assert len(json.dumps(jobs)) >= 64 * 1024, "large enough for the parse worker"
            answer = await platform.send_jobs(jobs)
            assert answer.status == 200 and answer.body["created"] == 200, answer.body

            status = await health()
            assert status is not None
            assert status["inbound"]["large_arrays_parsed_in"] == "worker process"
            assert status["inbound"]["bodies_parsed_in_worker"] == 1
            assert status["screening"]["runs_in"] == "worker process"

            # cards are posted once screened: the screening worker did its work
            while not slack.bot_messages("C0REVIEW"):
                assert asyncio.get_running_loop().time() < deadline + 60, "no card was posted"
                await asyncio.sleep(0.2)

        workers = children(bot.pid)
        assert len(workers) >= 2, f"expected the parse and screening workers, found {workers}"
        bot.send_signal(signal.SIGTERM)
        output, _ = await asyncio.to_thread(bot.communicate, timeout=60)
        assert bot.returncode == 0, output[-3000:]
        assert "Traceback" not in output, output[-3000:]
        for worker in workers:
            assert await gone(worker, timeout=10), f"process {worker} outlived jobgate run"
        assert count_requests(tmp_path / "j.db") == 200
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait(10)
        await platform.stop()
        await slack.stop()
