"""Configuration: exactly SPEC section 7's variables, clear messages for bad or missing ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings, describe_errors

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_match_the_spec() -> None:
    s = Settings.from_mapping({})
    assert s.slack_api_url == "https://slack.com/api/"
    assert str(s.database) == "jobgate.db"
    assert (s.timezone, s.digest_time, s.host, s.port) == (
        "America/New_York",
        "09:00",
        "127.0.0.1",
        3000,
    )
    assert s.web_risk_url == "https://webrisk.googleapis.com"
    assert s.reviewers == () and s.admins == ()
    assert s.missing_for_run() == [
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "JOBGATE_REVIEW_CHANNEL",
    ]


def test_reports_channel_defaults_to_the_review_channel() -> None:
    assert Settings.from_mapping({"JOBGATE_REVIEW_CHANNEL": "C1"}).reports_channel == "C1"
    assert (
        Settings.from_mapping(
            {"JOBGATE_REVIEW_CHANNEL": "C1", "JOBGATE_REPORTS_CHANNEL": "C2"}
        ).reports_channel
        == "C2"
    )


def test_id_lists_are_comma_separated() -> None:
    s = Settings.from_mapping(
        {"JOBGATE_REVIEWERS": "U01ABC, S02GROUP ,,W03X", "JOBGATE_ADMINS": "U09"}
    )
    assert s.reviewers == ("U01ABC", "S02GROUP", "W03X") and s.admins == ("U09",)


def test_socket_mode_needs_no_signing_secret() -> None:
    s = Settings.from_mapping(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "JOBGATE_REVIEW_CHANNEL": "C1"}
    )
    assert s.socket_mode and s.missing_for_run() == []


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("JOBGATE_REVIEWERS", "alice,U123", "alice"),
        ("JOBGATE_TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("JOBGATE_DIGEST_TIME", "9am", "HH:MM"),
        ("JOBGATE_PORT", "99999", "65535"),
        ("JOBGATE_WEBHOOK_SECRET", "plain", "whsec_"),
    ],
)
def test_bad_values_are_named(variable: str, value: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.from_mapping({variable: value})
    lines = describe_errors(caught.value)
    assert len(lines) == 1 and lines[0].startswith(variable) and words in lines[0]


def test_secrets_do_not_show_in_repr() -> None:
    s = Settings.from_mapping(
        {"SLACK_BOT_TOKEN": "xoxb-very-secret", "SLACK_SIGNING_SECRET": "sig-secret"}
    )
    assert "xoxb-very-secret" not in repr(s) and "sig-secret" not in str(s.model_dump())


def test_run_without_a_token_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    env = {
        "PATH": "",
        "HOME": str(tmp_path),
        "JOBGATE_REVIEW_CHANNEL": "C1",
        "SLACK_SIGNING_SECRET": "s",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "SLACK_BOT_TOKEN" in lines[0]


def test_a_bad_variable_stops_any_command_clearly(tmp_path: Path) -> None:
    env = {"PATH": "", "HOME": str(tmp_path), "JOBGATE_PORT": "http"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "JOBGATE_PORT" in done.stderr


def test_dotenv_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("JOBGATE_REVIEW_CHANNEL=CFROMENV\nJOBGATE_PORT=4000\n")
    code = "from bot.config import Settings; s = Settings(); print(s.review_channel, s.port)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PATH": "", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.split() == ["CFROMENV", "4000"]


def test_a_blank_value_is_unset_not_an_empty_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`SLACK_APP_TOKEN=` left blank must not switch on Socket Mode, and a blank signing
    secret must not pass for one (it would verify nothing)."""
    s = Settings.from_mapping(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "  ", "JOBGATE_REVIEW_CHANNEL": "C1"}
    )
    assert s.slack_signing_secret is None and s.missing_for_run() == ["SLACK_SIGNING_SECRET"]
    (tmp_path / ".env").write_text(
        "SLACK_BOT_TOKEN=xoxb-1\nSLACK_SIGNING_SECRET=abc\nSLACK_APP_TOKEN=\n"
        "JOBGATE_REVIEW_CHANNEL=C1\n"
    )
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    from_file = Settings()
    assert not from_file.socket_mode and from_file.missing_for_run() == []
