"""One inbound call's write: its requests upserted and its answer stored under its webhook-id.

Calls that reach the single writer together are joined (`storage.db.Joinable`): under a flood
of single POSTs, a commit group of 10 calls looks up, inserts and audits its 10 requests with
one statement per kind of row instead of ten (bench/README.md, "Joined ingest calls").
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from bot.models import Kind
from storage import deliveries, outbox, requests
from storage.db import Joinable
from storage.deliveries import StoredAnswer
from storage.prepared import Prepared


@dataclass(frozen=True)
class IngestAnswer:
    answer: StoredAnswer
    replayed: bool
    results: tuple[requests.IngestResult, ...] = ()
    # it wrote outbox rows (a thread reply about a change, an automatic decline's webhook):
    # only then is the deliverer woken, so a flood of new requests costs it nothing
    queued_delivery: bool = False


@dataclass(frozen=True, eq=False)
class IngestCall(Joinable[IngestAnswer]):
    """POST /api/v1/employers or /jobs, as the writer runs it. A `webhook_id` seen before
    gets its first answer back and changes nothing. `respond` builds the answer from the
    results and does nothing else: a joined run that fails is run again call by call."""

    kind: Kind
    items: Sequence[Prepared]
    webhook_id: str | None
    endpoint: str
    respond: Callable[[list[requests.IngestResult]], StoredAnswer]
    now: datetime

    @property
    def join_key(self) -> Hashable:
        return (self.kind, self.endpoint)

    @cached_property
    def claims(self) -> frozenset[Hashable]:
        # joined calls never share a request or a webhook-id: each is then stored or
        # answered just as it would be alone, one after the other
        webhook = {("webhook", self.webhook_id)} if self.webhook_id is not None else set()
        return frozenset({("request", item.upstream_id) for item in self.items} | webhook)

    @property
    def weight(self) -> int:
        # items, or kilobytes of payload if more: a joined run's rows go to SQLite in one
        # statement, kept to about a megabyte of bound values
        return max(len(self.items), sum(len(item.payload) for item in self.items) // 1000)

    @classmethod
    def run_joined(
        cls, conn: sqlite3.Connection, units: Sequence[IngestCall]
    ) -> list[IngestAnswer]:
        # a webhook-id seen before gets its first answer; the other calls are stored
        replays = [
            deliveries.find_answer(conn, call.webhook_id) if call.webhook_id is not None else None
            for call in units
        ]
        fresh = [call for call, replay in zip(units, replays, strict=True) if replay is None]
        if not fresh:
            return [IngestAnswer(replay, replayed=True) for replay in replays if replay]
        queued_before = outbox.last_id(conn)
        # the calls arrived milliseconds apart: their rows take the latest call's time
        results = iter(
            requests.ingest_submissions(
                conn,
                fresh[0].kind,
                [item for call in fresh for item in call.items],
                max(call.now for call in fresh),
            )
        )
        queued = outbox.last_id(conn) != queued_before
        answers = []
        for call, replay in zip(units, replays, strict=True):
            if replay is not None:
                answers.append(IngestAnswer(replay, replayed=True))
                continue
            own = [next(results) for _ in call.items]
            answer = call.respond(own)
            if call.webhook_id is not None:
                deliveries.store_answer(conn, call.webhook_id, call.endpoint, answer, call.now)
            answers.append(IngestAnswer(answer, False, tuple(own), queued_delivery=queued))
        return answers
