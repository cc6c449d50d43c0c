"""One inbound call's write: its requests upserted and its answer stored under its webhook-id.

Calls that reach the single writer together are joined (`storage.db.Joinable`): under a flood
of single POSTs, a commit group of 10 calls looks up, inserts and audits its 10 requests with
one statement per kind of row instead of ten (bench/README.md, "Joined ingest calls").
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.models import Kind
from storage import deliveries, outbox, requests
from storage.db import Joinable
from storage.deliveries import StoredAnswer


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
    gets its first answer back and changes nothing."""

    kind: Kind
    items: Sequence[requests.Prepared]
    webhook_id: str | None
    endpoint: str
    respond: Callable[[list[requests.IngestResult]], StoredAnswer]
    now: datetime
    _claims: frozenset[Hashable] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # joined calls never share a request or a webhook-id: each is then stored or
        # answered just as it would be alone, one after the other
        claims: set[Hashable] = {("request", item.submission.id) for item in self.items}
        if self.webhook_id is not None:
            claims.add(("webhook", self.webhook_id))
        object.__setattr__(self, "_claims", frozenset(claims))

    @property
    def join_key(self) -> Hashable:
        return (self.kind, self.endpoint)

    @property
    def claims(self) -> frozenset[Hashable]:
        return self._claims

    @property
    def weight(self) -> int:
        return len(self.items)

    @classmethod
    def run_joined(
        cls, conn: sqlite3.Connection, units: Sequence[IngestCall]
    ) -> list[IngestAnswer]:
        seen: dict[int, StoredAnswer] = {}
        for call in units:
            if call.webhook_id is not None:
                answer = deliveries.find_answer(conn, call.webhook_id)
                if answer is not None:
                    seen[id(call)] = answer
        fresh = [call for call in units if id(call) not in seen]
        if not fresh:
            return [IngestAnswer(seen[id(call)], replayed=True) for call in units]
        queued_before = outbox.last_id(conn)
        # the calls arrived milliseconds apart: their rows take the last one's time
        results = requests.ingest_submissions(
            conn,
            fresh[0].kind,
            [item for call in fresh for item in call.items],
            max(call.now for call in fresh),
        )
        queued = outbox.last_id(conn) != queued_before
        answers: dict[int, IngestAnswer] = {}
        start = 0
        for call in fresh:
            own = results[start : start + len(call.items)]
            start += len(call.items)
            answer = call.respond(own)
            if call.webhook_id is not None:
                deliveries.store_answer(conn, call.webhook_id, call.endpoint, answer, call.now)
            answers[id(call)] = IngestAnswer(answer, False, tuple(own), queued_delivery=queued)
        return [
            IngestAnswer(seen[id(call)], replayed=True) if id(call) in seen else answers[id(call)]
            for call in units
        ]
