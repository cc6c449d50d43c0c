"""SQL for the transactional outbox: enqueue with the change, claim lane heads, settle."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import from_db, stored_ceiling, to_db


@dataclass(frozen=True)
class OutboxItem:
    id: int
    message_id: str
    lane: str
    kind: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    first_attempt_at: datetime  # this claim's moment, when it is the first
    last_error: str | None
    # this attempt's lease as stored: settling writes only while it still holds, so an attempt
    # that already settled (or whose lease ran out and was claimed again) cannot undo it
    claim: str


def card_lane(request_id: int) -> str:
    """Card posts, card updates and thread replies of one request, delivered in order."""
    return f"card:{request_id}"


def webhook_lane(request_id: int) -> str:
    """Platform events of one request, delivered in order."""
    return f"webhook:{request_id}"


def refresh_lane(request_id: int) -> str:
    """Delayed card refreshes (undo window ends): never block the card lane."""
    return f"refresh:{request_id}"


# An error starting with this says the item may have reached Slack: before posting again,
# the deliverer looks for it by its marker (Slack has no idempotency key for posts).
UNCERTAIN = "uncertain: "
# What a claimed item's last error reads until its attempt is settled: when the process dies
# mid-attempt, the next claim finds it and looks before posting again.
INTERRUPTED = f"{UNCERTAIN}attempt interrupted"


def new_message_id() -> str:
    """Unique and opaque to the platform (the webhook-id), and time-ordered: the milliseconds
    since the epoch, then 80 random bits. Random ids (uuid4) landed all over the unique index
    of a table that keeps every row, which made each enqueue touch a random page: 59 us of
    CPU per row against 41 us this way with 200,000 rows stored (`python -m
    bench.bench_writes`, bench/README.md)."""
    return f"msg_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def enqueue(
    conn: sqlite3.Connection,
    *,
    lane: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime,
    not_before: datetime | None = None,
) -> str:
    """Add one item; returns its message id (the webhook-id for platform events)."""
    message_id = new_message_id()
    conn.execute(
        "INSERT INTO outbox (message_id, lane, kind, payload, next_attempt_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            message_id,
            lane,
            kind,
            json.dumps(payload, separators=(",", ":")),
            to_db(not_before or now),
            to_db(now),
        ),
    )
    return message_id


def last_id(conn: sqlite3.Connection) -> int:
    """The newest item's id (0 when empty): compared before and after a write, it tells
    whether the write queued anything."""
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0])


def digest_lane(channel: str) -> str:
    return f"digest:{channel}"


def lane_tail(conn: sqlite3.Connection, lane: str) -> tuple[str, str | None] | None:
    """(state, last error) of the newest item in `lane`, or None for an empty lane."""
    row = conn.execute(
        "SELECT state, last_error FROM outbox WHERE lane = ? ORDER BY id DESC LIMIT 1", (lane,)
    ).fetchone()
    return (str(row[0]), row[1]) if row else None


def enqueue_dm(conn: sqlite3.Connection, user: str, message: dict[str, Any], now: datetime) -> str:
    """A direct message to `user` (`text`, optional `blocks`), in their own lane: sent in
    the order written, retried through a Slack outage or a 429."""
    return enqueue(conn, lane=f"dm:{user}", kind="dm", payload={"user": user, **message}, now=now)


def enqueue_card(conn: sqlite3.Connection, request_id: int, now: datetime) -> str:
    """Post or refresh a request's card, in its card lane (rendered when it is sent)."""
    return enqueue(
        conn, lane=card_lane(request_id), kind="card", payload={"request_id": request_id}, now=now
    )


def claim_due(
    conn: sqlite3.Connection,
    *,
    now: datetime,
    owner: str,
    lease: timedelta,
    limit: int,
    kinds: tuple[str, ...],
    lanes: tuple[str, ...] | None = None,
) -> list[OutboxItem]:
    """Lease the due head of up to `limit` lanes (of `lanes` only, when given). A later card
    refresh in the same lane is folded into the head (a card is rendered from the current
    state when it is sent)."""
    if not kinds or lanes == ():
        return []
    stamp = to_db(now)
    marks = ",".join("?" for _ in kinds)
    only, only_params = _only_lanes(lanes)
    rows = conn.execute(
        f"""
        SELECT o.* FROM outbox o
        WHERE o.state = 'pending' AND o.next_attempt_at <= ?
          AND (o.lease_until IS NULL OR o.lease_until < ?)
          AND o.kind IN ({marks}){only}
          AND NOT EXISTS (SELECT 1 FROM outbox p
                          WHERE p.lane = o.lane AND p.state = 'pending' AND p.id < o.id)
        ORDER BY o.next_attempt_at, o.id
        LIMIT ?
        """,
        (stamp, stamp, *kinds, *only_params, limit),
    ).fetchall()
    items = []
    claim = to_db(now + lease)
    for row in rows:
        conn.execute(
            "UPDATE outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1,"
            " first_attempt_at = COALESCE(first_attempt_at, ?), last_error = ? WHERE id = ?",
            (owner, claim, stamp, INTERRUPTED, row["id"]),
        )
        if row["kind"] == "card":
            _fold_following_card_refreshes(conn, row["lane"], row["id"])
        items.append(
            OutboxItem(
                id=row["id"],
                message_id=row["message_id"],
                lane=row["lane"],
                kind=row["kind"],
                payload=json.loads(row["payload"]),
                attempts=row["attempts"] + 1,
                created_at=from_db(row["created_at"]),
                first_attempt_at=from_db(row["first_attempt_at"] or stamp),
                last_error=row["last_error"],
                claim=claim,
            )
        )
    return items


def _fold_following_card_refreshes(conn: sqlite3.Connection, lane: str, head_id: int) -> None:
    conn.execute(
        """
        UPDATE outbox SET state = 'superseded'
        WHERE lane = ? AND state = 'pending' AND kind = 'card' AND id > ?
          AND id < COALESCE((SELECT MIN(id) FROM outbox
                             WHERE lane = ? AND state = 'pending' AND kind != 'card' AND id > ?),
                            9223372036854775807)
        """,
        (lane, head_id, lane, head_id),
    )


def _only_lanes(lanes: tuple[str, ...] | None) -> tuple[str, list[str]]:
    """The SQL condition (and its parameters) keeping items of `lanes`; none for None."""
    if lanes is None:
        return "", []
    return f" AND o.lane IN ({','.join('?' for _ in lanes)})", list(lanes)


def mark_delivered(conn: sqlite3.Connection, item_id: int, now: datetime) -> None:
    conn.execute(
        "UPDATE outbox SET state = 'delivered', delivered_at = ?, lease_owner = NULL,"
        " lease_until = NULL, last_error = NULL WHERE id = ?",
        (to_db(now), item_id),
    )


_HELD = "state = 'pending' AND lease_until = ?"


def _held(item: OutboxItem) -> tuple[int, str]:
    """Parameters of `WHERE id = ? AND {_HELD}`: the item, while its attempt's claim holds."""
    return item.id, item.claim


def mark_retry(conn: sqlite3.Connection, item: OutboxItem, next_at: datetime, error: str) -> None:
    conn.execute(
        "UPDATE outbox SET next_attempt_at = ?, last_error = ?, lease_owner = NULL,"
        f" lease_until = NULL WHERE id = ? AND {_HELD}",
        (to_db(stored_ceiling(next_at)), error[:2000], *_held(item)),
    )


def mark_deferred(conn: sqlite3.Connection, item: OutboxItem, next_at: datetime) -> None:
    """Not sent this time (paced, or a 429 refused it): the attempt does not count and the
    item's error is what it was before the claim."""
    conn.execute(
        "UPDATE outbox SET next_attempt_at = ?, attempts = MAX(attempts - 1, 0), last_error = ?,"
        f" lease_owner = NULL, lease_until = NULL WHERE id = ? AND {_HELD}",
        (to_db(stored_ceiling(next_at)), item.last_error, *_held(item)),
    )


def restart_give_up_clocks(conn: sqlite3.Connection, kinds: tuple[str, ...]) -> None:
    """Pending items of `kinds` were kept back on purpose (the platform said 410): their
    time to give up counts from their next attempt, not from the ones before."""
    marks = ",".join("?" for _ in kinds)
    conn.execute(
        f"UPDATE outbox SET first_attempt_at = NULL WHERE state = 'pending' AND kind IN ({marks})",
        kinds,
    )


def mark_dead(conn: sqlite3.Connection, item: OutboxItem, error: str) -> None:
    conn.execute(
        "UPDATE outbox SET state = 'dead', last_error = ?, lease_owner = NULL, lease_until = NULL"
        f" WHERE id = ? AND {_HELD}",
        (error[:2000], *_held(item)),
    )


def release_leases(conn: sqlite3.Connection, owner: str) -> None:
    """On a clean shutdown: hand back what this process had claimed but not settled."""
    conn.execute(
        "UPDATE outbox SET lease_owner = NULL, lease_until = NULL"
        " WHERE lease_owner = ? AND state = 'pending'",
        (owner,),
    )


def outbox_summary(conn: sqlite3.Connection, now: datetime) -> dict[str, Any]:
    row = conn.execute(
        """
        SELECT
          SUM(state = 'pending') AS pending,
          SUM(state = 'pending' AND kind = 'webhook') AS pending_webhooks,
          SUM(state = 'pending' AND kind != 'webhook') AS pending_slack,
          SUM(state = 'dead') AS dead,
          SUM(state = 'pending' AND attempts > 0) AS retrying,
          MIN(CASE WHEN state = 'pending' THEN created_at END) AS oldest_pending
        FROM outbox
        """
    ).fetchone()
    oldest = row["oldest_pending"]
    return {
        "pending": row["pending"] or 0,
        "pending_webhooks": row["pending_webhooks"] or 0,
        "pending_slack": row["pending_slack"] or 0,
        "retrying": row["retrying"] or 0,
        "dead": row["dead"] or 0,
        "oldest_pending_seconds": (
            round((now - from_db(oldest)).total_seconds(), 1) if oldest else 0.0
        ),
    }


def next_due_at(
    conn: sqlite3.Connection, kinds: tuple[str, ...], lanes: tuple[str, ...] | None = None
) -> datetime | None:
    """When the next item is due (in `lanes` only, when given): only lane heads count (a
    later item waits for its head, however early it is due). A leased head counts as due:
    it is being sent right now."""
    marks = ",".join("?" for _ in kinds)
    only, only_params = _only_lanes(lanes)
    row = conn.execute(
        f"""
        SELECT MIN(o.next_attempt_at)
        FROM outbox o
        WHERE o.state = 'pending' AND o.kind IN ({marks}){only}
          AND NOT EXISTS (SELECT 1 FROM outbox p
                          WHERE p.lane = o.lane AND p.state = 'pending' AND p.id < o.id)
        """,
        (*kinds, *only_params),
    ).fetchone()
    return from_db(row[0]) if row and row[0] else None
