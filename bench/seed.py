"""A jobgate database with a large queue, seeded fast with raw inserts into the real schema.

Every request's payload is a valid `JobSubmission` (the bot parses it on every read), titles
and descriptions come from a pool whose fingerprints are computed once, employers are approved
(so Approve is not blocked), and a small share of requests is flagged, risky, duplicate or on
hold, as in a real queue.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import ROOT  # noqa: F401 - puts the project on sys.path
from bot.clock import to_db
from bot.duplicates import fingerprint
from storage.db import Database

NOW = datetime.now(UTC).replace(microsecond=0)
REVIEW_CHANNEL = "C0REVIEW"
ROLES = (
    "Data Analyst Intern",
    "Software Engineer Intern",
    "Marketing Assistant",
    "Research Assistant",
    "Lab Technician",
    "Product Design Intern",
    "Accounting Associate",
    "Sales Development Rep",
    "Customer Success Associate",
    "Mechanical Engineer",
    "Civil Engineering Co-op",
    "Tutor",
    "Nurse Extern",
    "Paralegal",
    "Recruiting Coordinator",
    "Graphic Designer",
    "Editor",
    "Operations Analyst",
    "QA Tester",
    "Web Developer",
)
CITIES = ("Austin, TX", "Columbus, OH", "Boston, MA", "Remote", "Denver, CO", "Atlanta, GA")
SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]


def _words(rng: random.Random, n: int) -> str:
    return " ".join(
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))) for _ in range(n)
    )


class Pool:
    """Titles and descriptions (with their fingerprints) that seeded jobs draw from."""

    def __init__(self, size: int = 240, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.items: list[tuple[str, str, str, bytes]] = []
        for i in range(size):
            title = ROLES[i % len(ROLES)] + ("" if i < len(ROLES) else f" {i // len(ROLES)}")
            description = _words(rng, rng.randint(60, 160))
            fp = fingerprint(title, description)
            self.items.append((title, description, fp.title_key, fp.to_bytes()))


def job_payload(
    upstream_id: str,
    employer_upstream: str,
    employer_name: str,
    title: str,
    description: str,
    location: str,
    requested_at: datetime,
) -> dict[str, Any]:
    """A job as the platform sends it (SPEC section 6), as in tests/harness.py."""
    return {
        "id": upstream_id,
        "employer": {"id": employer_upstream, "name": employer_name},
        "title": title,
        "description": description,
        "location": location,
        "remote": location == "Remote",
        "employment_type": "internship",
        "pay": {"min": 20, "max": 30, "currency": "USD", "period": "hour"},
        "apply_url": f"https://{employer_upstream}.example/careers/{upstream_id}",
        "contact": {
            "id": f"c_{employer_upstream}",
            "name": "Jane Roe",
            "email": f"jane@{employer_upstream}.example",
        },
        "requested_at": requested_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


async def _migrate(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


def migrate(path: Path) -> None:
    asyncio.run(_migrate(path))


def seed_queue(
    path: Path,
    pending: int,
    *,
    employers: int = 2000,
    cards: Sequence[tuple[str, str]] = (),
    decided_history: int = 3000,
    realistic_mix: bool = True,
    seed: int = 11,
    id_prefix: str = "job",
) -> dict[str, Any]:
    """Migrate (through jobgate) and fill with `pending` open job requests. The first
    len(cards) requests (ids 1…) get those (channel, ts) as their card and are plainly
    approvable: not flagged, not risky, not duplicates, pending. Returns counts."""
    migrate(path)
    rng = random.Random(seed)
    pool = Pool()
    stamp = to_db(NOW)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO employers (id, upstream_id, name, name_key, status, website, industry, size,"
        " location, first_seen_at, updated_at) VALUES (?, ?, ?, ?, 'approved', ?, ?, ?, ?, ?, ?)",
        [
            (
                i,
                f"emp{i}",
                f"Employer {i} Inc",
                f"employer {i} inc",
                f"https://emp{i}.example",
                rng.choice(("Software", "Health", "Finance", "Education", "Retail")),
                rng.choice(("1-10", "11-50", "51-200", "201-1000")),
                rng.choice(CITIES),
                stamp,
                stamp,
            )
            for i in range(1, employers + 1)
        ],
    )
    # each employer's own (approved) request, for the snapshot
    conn.executemany(
        "INSERT INTO requests (id, kind, upstream_id, employer_id, state, title, payload,"
        " received_at, updated_at, decided_at, decided_by, decided_via)"
        " VALUES (?, 'employer', ?, ?, 'approved', ?, ?, ?, ?, ?, 'UREV0001', 'button')",
        [
            (
                pending + i,
                f"emp{i}",
                i,
                f"Employer {i} Inc",
                json.dumps(
                    {
                        "id": f"emp{i}",
                        "name": f"Employer {i} Inc",
                        "website": f"https://emp{i}.example",
                        "other_schools": {"approved": 3, "declined": 0},
                    }
                ),
                to_db(NOW - timedelta(days=90)),
                stamp,
                to_db(NOW - timedelta(days=89)),
            )
            for i in range(1, employers + 1)
        ],
    )
    rows = []
    held = flagged = risky = duplicates = 0
    for i in range(1, pending + 1):
        employer = rng.randrange(1, employers + 1)
        title, description, key, fp = pool.items[rng.randrange(len(pool.items))]
        received = NOW - timedelta(minutes=rng.randrange(1, 60 * 24 * 30))
        location = rng.choice(CITIES)
        upstream = f"{id_prefix}_{i}"
        payload = json.dumps(
            job_payload(
                upstream,
                f"emp{employer}",
                f"Employer {employer} Inc",
                title,
                description,
                location,
                received,
            )
        )
        state, risk, flag, dup, card = "pending", None, None, None, (None, None)
        if i <= len(cards):
            card = cards[i - 1]
        elif realistic_mix:
            roll = rng.random()
            if roll < 0.02:
                state, held = "on_hold", held + 1
            elif roll < 0.05:
                flag, flagged = "UREV0002", flagged + 1
            elif roll < 0.15:
                risk, risky = rng.choice(("medium", "high", "low")), risky + 1
            elif roll < 0.17 and i > 1:
                dup, duplicates = rng.randrange(1, i), duplicates + 1
        rows.append(
            (
                i,
                upstream,
                employer,
                state,
                title,
                payload,
                to_db(received),
                to_db(received),
                risk,
                flag,
                dup,
                key,
                fp,
                location,
                card[0],
                card[1],
                f"https://jobgate.slack.com/archives/{REVIEW_CHANNEL}/p{i}",
                to_db(NOW + timedelta(days=5)) if state == "on_hold" else None,
            )
        )
    conn.executemany(
        "INSERT INTO requests (id, kind, upstream_id, employer_id, state, title, payload,"
        " received_at, updated_at, risk_level, flagged_by, duplicate_of, title_key, fingerprint,"
        " location, card_channel, card_ts, card_permalink, hold_expires_at, screening)"
        " VALUES (?, 'job', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'done')",
        rows,
    )
    yesterday = NOW - timedelta(days=1)
    conn.executemany(
        "INSERT INTO audit (request_id, employer_id, action, actor, via, at)"
        " VALUES (?, ?, ?, ?, 'button', ?)",
        [
            (
                rng.randrange(1, pending + 1),
                rng.randrange(1, employers + 1),
                rng.choice(("approved", "declined", "on_hold")),
                f"UREV{rng.randrange(1, 8):04d}",
                to_db(yesterday + timedelta(minutes=rng.randrange(0, 600))),
            )
            for _ in range(decided_history)
        ],
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return {
        "pending": pending,
        "employers": employers,
        "on_hold": held,
        "flagged": flagged,
        "risky": risky,
        "duplicates": duplicates,
        "with_cards": len(cards),
    }
