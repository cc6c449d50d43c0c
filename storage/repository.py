"""The repository: every read and write jobgate makes, as verb-noun async methods."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from bot.clock import to_db
from bot.digest import DigestFacts
from bot.models import (
    AuditEntry,
    CardFacts,
    DeclineReason,
    EmployerRecord,
    Kind,
    Note,
    ReviewRequest,
    Via,
)
from bot.submissions import EmployerSubmission, JobSubmission, ReportSubmission
from bot.workspace import WorkspaceSettings
from storage import (
    audit,
    cards,
    claims,
    decisions,
    deliveries,
    digest,
    employers,
    holds,
    home,
    notes,
    on_behalf,
    outbox,
    reports,
    requests,
    rows,
    screening,
    snapshot,
    stats,
    waves,
)
from storage.db import Database
from storage.deliveries import StoredAnswer
from storage.ingest import IngestAnswer, IngestCall
from storage.outbox import OutboxItem
from storage.prepared import Prepared, prepare
from storage.screening_process import ScreeningProcess
from storage.searches import SearchRepository
from storage.vocabulary import VocabularyRepository


class Repository(VocabularyRepository, SearchRepository):
    """Every read and write; labels/reasons and searches/bulk live in their mixins."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._on_outbox_write: list[Callable[[], None]] = []
        self._on_ingest: list[Callable[[], None]] = []
        self._screening_process: ScreeningProcess | None = None

    def on_outbox_write(self, callback: Callable[[], None]) -> None:
        """Call `callback` after any commit that added outbox rows (wakes the deliverer)."""
        self._on_outbox_write.append(callback)

    def screen_in_process(self, process: ScreeningProcess) -> None:
        """Run screening's CPU work in `process` instead of on the slow reader's thread."""
        self._screening_process = process

    def on_ingest(self, callback: Callable[[], None]) -> None:
        """Call `callback` after requests were stored or changed (wakes the screener)."""
        self._on_ingest.append(callback)

    def _outbox_written(self) -> None:
        for callback in self._on_outbox_write:
            callback()

    # -- inbound ---------------------------------------------------------------------------

    async def ingest_submissions(
        self,
        kind: Kind,
        submissions: Sequence[EmployerSubmission | JobSubmission],
        *,
        webhook_id: str | None,
        endpoint: str,
        respond: Callable[[list[requests.IngestResult]], StoredAnswer],
        now: datetime,
    ) -> IngestAnswer:
        """`ingest_prepared` of the submissions' stored columns, worked out here."""
        return await self.ingest_prepared(
            kind,
            prepare(submissions),
            webhook_id=webhook_id,
            endpoint=endpoint,
            respond=respond,
            now=now,
        )

    async def ingest_prepared(
        self,
        kind: Kind,
        items: Sequence[Prepared],
        *,
        webhook_id: str | None,
        endpoint: str,
        respond: Callable[[list[requests.IngestResult]], StoredAnswer],
        now: datetime,
    ) -> IngestAnswer:
        """Upsert in one transaction; a `webhook_id` seen before returns its first answer.
        Calls that meet in one commit group are written together (storage/ingest.py)."""
        call = IngestCall(kind, items, webhook_id, endpoint, respond, now)
        answer = await self.db.write(call)
        if not answer.replayed:
            if answer.queued_delivery:
                self._outbox_written()
            for callback in self._on_ingest:
                callback()
        return answer

    async def slack_event_seen(self, event_id: str) -> bool:
        return await self.db.read(lambda conn: deliveries.slack_event_seen(conn, event_id))

    async def remember_slack_event(self, event_id: str, now: datetime) -> None:
        """Handled: a retry of this event, even after a restart, changes nothing."""
        await self.db.write(lambda conn: deliveries.remember_slack_event(conn, event_id, now))

    # -- requests --------------------------------------------------------------------------

    async def get_request(self, request_id: int) -> ReviewRequest | None:
        return await self.db.read(lambda conn: rows.get_request(conn, request_id))

    async def find_request(self, kind: Kind, upstream_id: str) -> ReviewRequest | None:
        return await self.db.read(lambda conn: requests.find_request(conn, kind, upstream_id))

    async def find_request_by_card(self, channel: str, ts: str) -> ReviewRequest | None:
        return await self.db.read(lambda conn: requests.find_request_by_card(conn, channel, ts))

    async def find_employer_request(self, employer_id: int) -> ReviewRequest | None:
        return await self.db.read(lambda conn: requests.find_employer_request(conn, employer_id))

    async def list_audit(self, request_id: int) -> list[AuditEntry]:
        return await self.db.read(lambda conn: audit.list_audit(conn, request_id))

    async def get_audit(self, audit_id: int) -> AuditEntry | None:
        return await self.db.read(lambda conn: audit.get_audit(conn, audit_id))

    # -- decisions -------------------------------------------------------------------------

    async def record_decision(
        self, command: decisions.DecisionCommand, now: datetime
    ) -> decisions.Decided | decisions.NotDecided:
        result = await self.db.write(lambda conn: decisions.apply_decision(conn, command, now))
        if isinstance(result, decisions.Decided):
            self._outbox_written()
        return result

    async def revert_decision(
        self, request_id: int, *, actor: str, via: Via, is_admin: bool, now: datetime
    ) -> decisions.Reverted | decisions.NotReverted:
        result = await self.db.write(
            lambda conn: decisions.revert_decision(
                conn, request_id, actor=actor, via=via, is_admin=is_admin, now=now
            )
        )
        if isinstance(result, decisions.Reverted):
            self._outbox_written()
        return result

    async def record_refusal(
        self,
        *,
        request_id: int | None,
        actor: str,
        attempted: str,
        why: str,
        via: Via,
        now: datetime,
        details: dict[str, Any] | None = None,
    ) -> int:
        """An attempt that was not allowed or came too late: recorded, nothing else changes.
        A click on a request that does not exist (a stale or forged card) keeps the claimed
        id in the details only."""

        def unit(conn: sqlite3.Connection) -> int:
            known = request_id
            extra: dict[str, Any] = {}
            if (
                request_id is not None
                and not conn.execute(
                    "SELECT 1 FROM requests WHERE id = ?", (request_id,)
                ).fetchone()
            ):
                known, extra = None, {"claimed_request_id": request_id}
            return audit.insert_refusal(
                conn,
                request_id=known,
                actor=actor,
                attempted=attempted,
                why=why,
                via=via,
                at=now,
                details={**extra, **(details or {})},
            )

        return await self.db.write(unit)

    # -- settings --------------------------------------------------------------------------

    async def get_workspace_settings(self) -> WorkspaceSettings:
        return await self.db.read(audit.load_workspace_settings)

    async def save_workspace_setting(
        self, key: str, value: Any, *, actor: str, via: Via, now: datetime
    ) -> WorkspaceSettings:
        return await self.db.write(
            lambda conn: audit.save_workspace_setting(
                conn, key, value, actor=actor, via=via, now=now
            )
        )

    async def list_decline_reasons(self, include_retired: bool = False) -> list[DeclineReason]:
        return await self.db.read(lambda conn: audit.list_decline_reasons(conn, include_retired))

    async def get_system_state(self, key: str) -> Any:
        def query(conn: sqlite3.Connection) -> Any:
            row = conn.execute("SELECT value FROM system_state WHERE key = ?", (key,)).fetchone()
            return json.loads(row[0]) if row else None

        return await self.db.read(query)

    async def set_system_state(self, key: str, value: Any, now: datetime) -> None:
        await self.db.write(
            lambda conn: conn.execute(
                "INSERT INTO system_state (key, value, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                " updated_at = excluded.updated_at",
                (key, json.dumps(value), to_db(now)),
            )
        )

    # -- outbox ----------------------------------------------------------------------------

    async def claim_outbox_items(
        self,
        *,
        now: datetime,
        owner: str,
        lease: timedelta,
        limit: int,
        kinds: tuple[str, ...],
        lanes: tuple[str, ...] | None = None,
    ) -> list[OutboxItem]:
        return await self.db.write(
            lambda conn: outbox.claim_due(
                conn, now=now, owner=owner, lease=lease, limit=limit, kinds=kinds, lanes=lanes
            )
        )

    async def settle_delivered(
        self,
        item: OutboxItem,
        now: datetime,
        *,
        card: tuple[int, str, str] | None = None,
        refresh_card: bool = False,
    ) -> None:
        """Mark delivered; for a first card post, remember where the card is. With
        `refresh_card` (a card found after a lost answer, posted with the state of then),
        queue an update of it in its lane."""

        def unit(conn: sqlite3.Connection) -> None:
            outbox.mark_delivered(conn, item.id, now)
            if card is not None:
                requests.set_card(conn, *card)
                if refresh_card:
                    outbox.enqueue_card(conn, card[0], now)

        await self.db.write(unit)
        if refresh_card:
            self._outbox_written()

    async def settle_retry(self, item: OutboxItem, next_at: datetime, error: str) -> None:
        await self.db.write(lambda conn: outbox.mark_retry(conn, item, next_at, error))

    async def settle_dead(self, item: OutboxItem, error: str) -> None:
        await self.db.write(lambda conn: outbox.mark_dead(conn, item, error))

    async def release_outbox_leases(self, owner: str) -> None:
        await self.db.write(lambda conn: outbox.release_leases(conn, owner))

    async def outbox_lane_tail(self, lane: str) -> tuple[str, str | None] | None:
        """(state, last error) of the newest item in `lane` (e.g. the digest's)."""
        return await self.db.read(lambda conn: outbox.lane_tail(conn, lane))

    async def summarize_outbox(self, now: datetime) -> dict[str, Any]:
        return await self.db.read(lambda conn: outbox.outbox_summary(conn, now))

    async def next_outbox_due(
        self, kinds: tuple[str, ...], lanes: tuple[str, ...] | None = None
    ) -> datetime | None:
        return await self.db.read(lambda conn: outbox.next_due_at(conn, kinds, lanes))

    async def enqueue_message(
        self, *, lane: str, payload: dict[str, Any], now: datetime, kind: str = "message"
    ) -> str:
        message_id = await self.db.write(
            lambda conn: outbox.enqueue(conn, lane=lane, kind=kind, payload=payload, now=now)
        )
        self._outbox_written()
        return message_id

    async def get_card_location(self, request_id: int) -> tuple[str | None, str | None] | None:
        return await self.db.read(lambda conn: cards.card_location(conn, request_id))

    async def load_card_facts(self, request_id: int) -> CardFacts | None:
        return await self.db.read(lambda conn: cards.load_card_facts(conn, request_id))

    async def defer_outbox_item(self, item: OutboxItem, next_at: datetime) -> None:
        """Not sent yet (pacing, a 429): try again later without counting an attempt."""
        await self.db.write(lambda conn: outbox.mark_deferred(conn, item, next_at))

    async def restart_give_up_clocks(self, kinds: tuple[str, ...]) -> None:
        await self.db.write(lambda conn: outbox.restart_give_up_clocks(conn, kinds))

    async def forget_card(self, request_id: int) -> None:
        """The card message is gone from Slack: the card lane's item posts a new one."""
        await self.db.write(
            lambda conn: conn.execute(
                "UPDATE requests SET card_channel = NULL, card_ts = NULL WHERE id = ?",
                (request_id,),
            )
        )

    async def refresh_card(self, request_id: int, now: datetime) -> None:
        """Queue an update of the card in its own lane (after what is already there)."""
        await self.db.write(lambda conn: outbox.enqueue_card(conn, request_id, now))
        self._outbox_written()

    # -- screening -------------------------------------------------------------------------

    async def list_pending_screening(
        self, limit: int, stage: str = "pending"
    ) -> list[screening.ScreeningInput]:
        return await self.db.read(lambda conn: screening.list_pending_screening(conn, limit, stage))

    async def screen_pending(
        self, limit: int, now: datetime, *, url_check: bool, stage: str = "pending"
    ) -> list[screening.LocalScreening]:
        """Read and screen up to `limit` waiting requests: in the screening worker when
        there is one (the bot neither reads nor ships them), else on the slow reader."""
        return await self._screen(
            partial(
                screening.screen_pending, limit=limit, stage=stage, now=now, url_check=url_check
            )
        )

    async def compute_local_screening(
        self, inputs: list[screening.ScreeningInput], now: datetime, *, url_check: bool
    ) -> list[screening.LocalScreening]:
        """Screen requests already read (the benchmarks time one request at a time)."""
        return await self._screen(
            partial(screening.compute_local_screening, inputs=inputs, now=now, url_check=url_check)
        )

    async def _screen(
        self, work: Callable[[sqlite3.Connection], list[screening.LocalScreening]]
    ) -> list[screening.LocalScreening]:
        if self._screening_process is not None:
            return await self._screening_process.run(work)
        return await self.db.read_slow(work)

    async def save_local_screening(
        self, results: list[screening.LocalScreening], now: datetime, *, url_check: bool
    ) -> None:
        await self.db.write(
            lambda conn: [
                screening.save_local_screening(conn, r, now, url_check=url_check) for r in results
            ]
        )
        self._outbox_written()

    async def save_url_screening(
        self, results: list[screening.UrlScreening], now: datetime
    ) -> None:
        await self.db.write(
            lambda conn: [screening.save_url_screening(conn, r, now) for r in results]
        )
        self._outbox_written()

    async def flag_request(
        self, request_id: int, *, actor: str, reason: str, via: Via, now: datetime
    ) -> ReviewRequest | None:
        flagged = await self.db.write(
            lambda conn: screening.set_flag(
                conn, request_id, actor=actor, reason=reason, via=via, now=now
            )
        )
        if flagged is not None:
            self._outbox_written()
        return flagged

    async def set_employer_trusted(
        self, employer_id: int, *, trusted: bool, actor: str, via: Via, now: datetime
    ) -> str | None:
        """None when done, else why not."""
        why_not = await self.db.write(
            lambda conn: screening.set_trusted(
                conn, employer_id, trusted=trusted, actor=actor, via=via, now=now
            )
        )
        self._outbox_written()
        return why_not

    async def set_card_permalink(self, request_id: int, permalink: str) -> None:
        await self.db.write(
            lambda conn: conn.execute(
                "UPDATE requests SET card_permalink = ? WHERE id = ?", (permalink, request_id)
            )
        )

    async def count_unscreened(self) -> int:
        return await self.db.read(screening.count_unscreened)

    async def find_employers(self, query: str) -> list[EmployerRecord]:
        """By upstream id or name (fuzzy); best first."""
        return await self.db.read(lambda conn: employers.find_employers(conn, query))

    async def get_employer(self, employer_id: int) -> EmployerRecord | None:
        return await self.db.read(lambda conn: employers.get_employer(conn, employer_id))

    # -- scheduler: digest, report notifications, holds -----------------------------------

    async def gather_digest_facts(self, window: digest.DigestWindow, channel: str) -> DigestFacts:
        return await self.db.read_slow(
            lambda conn: digest.gather_digest_facts(conn, window, channel)
        )

    async def has_digest_history(self, channel: str) -> bool:
        return await self.db.read(lambda conn: digest.has_digest_history(conn, channel))

    async def digest_sent_on(self, day: date, channel: str) -> str | None:
        return await self.db.read(lambda conn: digest.digest_sent_on(conn, day, channel))

    async def claim_digest(
        self,
        *,
        digest_date: date,
        channel: str,
        kind: str,
        due_at: datetime | None,
        now: datetime,
        message: dict[str, Any] | None,
        summary: str,
    ) -> bool:
        """Record (and queue) a digest; False when today's was already handled anywhere."""
        claimed = await self.db.write(
            lambda conn: digest.claim_digest(
                conn,
                digest_date=digest_date,
                channel=channel,
                kind=kind,
                due_at=due_at,
                now=now,
                message=message,
                summary=summary,
            )
        )
        if claimed and message is not None:
            self._outbox_written()
        return claimed

    async def flush_notifications(
        self,
        *,
        channel: str,
        now: datetime,
        compose: Callable[[list[tuple[reports.ReportRecord, str]], bool], dict[str, Any]],
    ) -> int:
        """Turn pending report events into one message per channel and one DM per person."""

        def unit(conn: sqlite3.Connection) -> int:
            grouped = reports.take_notifications(conn, now)
            for target, events in grouped.items():
                records = [(reports.get_report(conn, rid), event) for rid, event in events]
                found = [(r, e) for r, e in records if r is not None]
                if not found:
                    continue
                personal = target.startswith("user:")
                message = compose(found, personal)
                if personal:
                    outbox.enqueue_dm(conn, target.removeprefix("user:"), message, now)
                else:
                    outbox.enqueue(
                        conn,
                        lane=f"notices:{channel}",
                        kind="message",
                        payload={"channel": channel, **message},
                        now=now,
                    )
            return len(grouped)

        sent = await self.db.write(unit)
        if sent:
            self._outbox_written()
        return sent

    async def send_direct_message(self, user: str, text: str, now: datetime) -> None:
        """A DM through the outbox, like every message jobgate posts (SPEC 6)."""
        await self.db.write(lambda conn: outbox.enqueue_dm(conn, user, {"text": text}, now))
        self._outbox_written()

    async def follow_up_holds(self, now: datetime) -> holds.HoldRound:
        done = await self.db.write(lambda conn: holds.follow_up_holds(conn, now))
        if done.reminded or done.expired:
            self._outbox_written()
        return done

    # -- reports ---------------------------------------------------------------------------

    async def file_report(
        self, request_id: int, *, actor: str, category: str, details: str, now: datetime
    ) -> int:
        report_id = await self.db.write(
            lambda conn: reports.file_report_from_slack(
                conn, request_id, actor=actor, category=category, details=details, now=now
            )
        )
        self._outbox_written()
        return report_id

    async def get_report(self, report_id: int) -> reports.ReportRecord | None:
        return await self.db.read(lambda conn: reports.get_report(conn, report_id))

    async def set_report_card(self, report_id: int, channel: str, ts: str) -> None:
        await self.db.write(lambda conn: reports.set_report_card(conn, report_id, channel, ts))

    async def find_wave(self, request_id: int) -> list[dict[str, Any]]:
        return await self.db.read_slow(lambda conn: waves.find_wave(conn, request_id))

    async def ingest_reports(
        self,
        submissions: Sequence[ReportSubmission],
        *,
        webhook_id: str | None,
        endpoint: str,
        respond: Callable[[list[reports.ReportOutcome]], StoredAnswer],
        now: datetime,
    ) -> IngestAnswer:
        """Store reports in one transaction (actions applied, waves found); idempotent by id."""

        def unit(conn: sqlite3.Connection) -> IngestAnswer:
            if webhook_id is not None:
                seen = deliveries.find_answer(conn, webhook_id)
                if seen is not None:
                    return IngestAnswer(seen, replayed=True)
            outcomes = []
            for submission in submissions:
                outcome = reports.upsert_report(conn, submission, now)
                if outcome.acted:
                    anchor = reports.get_report(conn, outcome.report_id)
                    if anchor is not None and anchor.request_id is not None:
                        wave = [
                            w
                            for w in waves.find_wave(conn, anchor.request_id)
                            if w["request_id"] not in outcome.removed
                        ]
                        reports.set_wave(conn, outcome.report_id, wave, now)
                outcomes.append(outcome)
            answer = respond(outcomes)
            if webhook_id is not None:
                deliveries.store_answer(conn, webhook_id, endpoint, answer, now)
            return IngestAnswer(answer, replayed=False)

        answer = await self.db.write(unit)
        if not answer.replayed:
            self._outbox_written()
        return answer

    # -- discussion notes ------------------------------------------------------------------

    async def add_note(
        self, *, channel: str, thread_ts: str, ts: str, author: str, text: str, now: datetime
    ) -> int | None:
        return await self.db.write(
            lambda conn: notes.add_note(
                conn, channel=channel, thread_ts=thread_ts, ts=ts, author=author, text=text, now=now
            )
        )

    async def edit_note(self, *, channel: str, ts: str, text: str, now: datetime) -> bool:
        return await self.db.write(
            lambda conn: notes.edit_note(conn, channel=channel, ts=ts, text=text, now=now)
        )

    async def delete_note(self, *, channel: str, ts: str, now: datetime) -> bool:
        return await self.db.write(
            lambda conn: notes.delete_note(conn, channel=channel, ts=ts, now=now)
        )

    async def list_notes(self, request_id: int) -> list[Note]:
        return await self.db.read(lambda conn: notes.list_notes(conn, request_id))

    # -- team: snapshot, claims --------------------------------------------------------------

    async def employer_snapshot(self, employer_id: int) -> snapshot.EmployerSnapshot | None:
        return await self.db.read(lambda conn: snapshot.employer_snapshot(conn, employer_id))

    async def assign_request(self, request_id: int, user: str, now: datetime) -> str | None:
        """Assign to `user`; returns the previous assignee (`user`: theirs already, unchanged)."""
        previous = await self.db.write(lambda conn: claims.assign(conn, request_id, user, now))
        if previous != user:
            self._outbox_written()
        return previous

    async def team_stats(self, since: datetime, until: datetime) -> stats.Stats:
        return await self.db.read_slow(lambda conn: stats.team_stats(conn, since, until))

    async def post_on_behalf(
        self, job: JobSubmission, *, employer_id: int, actor: str, now: datetime
    ) -> int:
        request_id = await self.db.write(
            lambda conn: on_behalf.post_on_behalf(
                conn, job, employer_id=employer_id, actor=actor, now=now
            )
        )
        self._outbox_written()
        for callback in self._on_ingest:
            callback()
        return request_id

    async def list_approved_employers(self, limit: int) -> list[tuple[int, str, str]]:
        return await self.db.read(lambda conn: on_behalf.approved_employers(conn, limit))

    # -- App Home ----------------------------------------------------------------------------

    async def gather_home_facts(self, user: str, sla_cutoff: datetime) -> home.HomeFacts:
        """Queue counts, `user`'s assigned requests and recent decisions, flagged requests."""
        return await self.db.read_slow(lambda conn: home.home_facts(conn, user, sla_cutoff))

    async def list_trusted_employers(
        self, limit: int = home.LISTED
    ) -> tuple[list[home.TrustedEmployer], int]:
        """The first `limit` trusted employers by name, and how many there are."""
        return await self.db.read(lambda conn: home.trusted_employers(conn, limit))
