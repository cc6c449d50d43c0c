"""`jobgate check`: is this configuration ready to run? Says plainly what is missing."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.cli.run import MEANINGS
from bot.config import Settings
from bot.slack_client import create_http_session, create_slack_client
from storage.db import Database, DatabaseError
from storage.migrations import SchemaTooNew, latest_version
from storage.repository import Repository


@dataclass(frozen=True)
class Finding:
    ok: bool
    text: str
    blocking: bool = True


def configuration_findings(settings: Settings) -> list[Finding]:
    """What the settings alone say (no network, no database)."""
    findings = [
        Finding(False, f"{name} is not set: {MEANINGS.get(name, 'required')}")
        for name in settings.missing_for_run()
    ]
    if settings.ingest_secret is None:
        findings.append(
            Finding(
                False,
                "JOBGATE_INGEST_SECRET is not set: the inbound API is off "
                "and the platform cannot send requests",
                blocking=False,
            )
        )
    if not (settings.webhook_url and settings.webhook_secret):
        findings.append(
            Finding(
                False,
                "JOBGATE_WEBHOOK_URL/JOBGATE_WEBHOOK_SECRET not set: "
                "decisions are kept in the outbox, not sent",
                blocking=False,
            )
        )
    if settings.web_risk_api_key is None:
        findings.append(
            Finding(
                False,
                "JOBGATE_WEB_RISK_API_KEY not set: URL reputation checks "
                "are skipped (cards say so)",
                blocking=False,
            )
        )
    return findings


def people_finding(settings: Settings, stored_reviewers: tuple[str, ...] | None) -> Finding:
    """Who may decide: the reviewers an admin set in Slack, or else JOBGATE_REVIEWERS, and
    JOBGATE_ADMINS."""
    if stored_reviewers is None:
        reviewers, where = settings.reviewers, "JOBGATE_REVIEWERS"
    else:
        reviewers, where = stored_reviewers, "the reviewers setting an admin made in Slack"
    if not reviewers and not settings.admins:
        return Finding(
            False,
            f"{where} and JOBGATE_ADMINS are empty: nobody can decide "
            "(deny by default). Set user ids (U…) or user-group ids (S…).",
        )
    return Finding(
        True,
        f"{len(reviewers)} reviewer entries (from {where}) and "
        f"{len(settings.admins)} admin entries configured",
    )


async def database_finding(settings: Settings) -> tuple[Finding, tuple[str, ...] | None]:
    """The database's state, and the reviewers setting stored in it (None: not set)."""
    try:
        db = await Database.open(settings.database)
    except (SchemaTooNew, DatabaseError) as exc:
        return Finding(False, f"database {settings.database}: {exc}"), None
    except OSError as exc:
        return Finding(False, f"database {settings.database} cannot be opened: {exc}"), None
    try:
        stored_reviewers = (await Repository(db).get_workspace_settings()).reviewers
    finally:
        await db.close()
    ready = f"database {settings.database} is ready (schema version {latest_version()})"
    return Finding(True, ready), stored_reviewers


async def slack_findings(settings: Settings) -> list[Finding]:
    if settings.slack_bot_token is None:
        return []
    async with create_http_session() as http:
        client = create_slack_client(
            settings.slack_bot_token.get_secret_value(), settings.slack_api_url, http
        )
        try:
            auth = await client.auth_test()
        except SlackApiError as exc:
            return [Finding(False, f"Slack auth.test failed: {exc.response.get('error')}")]
        except Exception as exc:
            return [
                Finding(
                    False,
                    f"Slack could not be reached at {settings.slack_api_url}: {type(exc).__name__}",
                )
            ]
        findings = [
            Finding(
                True, f"Slack token works: bot {auth.get('user')} in workspace {auth.get('team')}"
            )
        ]
        if settings.review_channel:
            try:
                info = await client.conversations_info(channel=settings.review_channel)
                member = info["channel"].get("is_member", True)
                findings.append(
                    Finding(
                        bool(member),
                        f"review channel {settings.review_channel} "
                        + (
                            "is reachable"
                            if member
                            else "exists, but the bot is not a member: /invite it"
                        ),
                    )
                )
            except SlackApiError as exc:
                findings.append(
                    Finding(
                        False,
                        f"review channel {settings.review_channel}: {exc.response.get('error')}",
                    )
                )
        return findings


async def check(settings: Settings) -> int:
    findings = configuration_findings(settings)
    database, stored_reviewers = await database_finding(settings)
    findings += [people_finding(settings, stored_reviewers), database]
    findings.extend(await slack_findings(settings))
    for finding in findings:
        mark = "ok  " if finding.ok else ("FAIL" if finding.blocking else "note")
        print(f"[{mark}] {finding.text}")
    blocking = [f for f in findings if not f.ok and f.blocking]
    print()
    print(
        "jobgate is ready to run."
        if not blocking
        else f"{len(blocking)} problem(s) to fix before `jobgate run`."
    )
    return 0 if not blocking else 1
