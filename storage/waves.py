"""SQL for the fraud-wave finder: other open requests that share a contact e-mail or its
domain, a phone number, the apply URL's domain, or near-identical text with a bad one."""

from __future__ import annotations

import sqlite3
from typing import Any

from bot import duplicates

MAX_WAVE = 50


def find_wave(conn: sqlite3.Connection, request_id: int) -> list[dict[str, Any]]:
    """Open requests tied to `request_id`, each with why; strongest ties first."""
    anchor = conn.execute(
        "SELECT r.id, r.fingerprint, r.apply_domain, json_extract(r.payload, '$.description') AS d,"
        " c.email, c.email_domain, c.phone_key FROM requests r"
        " LEFT JOIN contacts c ON c.id = r.contact_id WHERE r.id = ?",
        (request_id,),
    ).fetchone()
    if anchor is None:
        return []
    why: dict[int, list[str]] = {}

    def tie(rows: list[sqlite3.Row], reason: str) -> None:
        for row in rows:
            if row[0] != request_id:
                why.setdefault(row[0], []).append(reason)

    open_only = "r.state IN ('pending', 'on_hold')"
    if anchor["email"]:
        tie(
            conn.execute(
                f"SELECT r.id FROM requests r JOIN contacts c ON c.id = r.contact_id"
                f" WHERE c.email = ? COLLATE NOCASE AND {open_only}",
                (anchor["email"],),
            ).fetchall(),
            f"same contact e-mail {anchor['email']}",
        )
    if anchor["email_domain"]:
        tie(
            conn.execute(
                f"SELECT r.id FROM requests r JOIN contacts c ON c.id = r.contact_id"
                f" WHERE c.email_domain = ? AND {open_only}",
                (anchor["email_domain"],),
            ).fetchall(),
            f"contact at {anchor['email_domain']}",
        )
    if anchor["phone_key"]:
        tie(
            conn.execute(
                f"SELECT r.id FROM requests r JOIN contacts c ON c.id = r.contact_id"
                f" WHERE c.phone_key = ? AND {open_only}",
                (anchor["phone_key"],),
            ).fetchall(),
            "same phone number",
        )
    if anchor["apply_domain"]:
        tie(
            conn.execute(
                f"SELECT r.id FROM requests r WHERE r.apply_domain = ? AND {open_only}",
                (anchor["apply_domain"],),
            ).fetchall(),
            f"applies through {anchor['apply_domain']}",
        )
    _near_identical_text(conn, anchor, tie, open_only)
    ids = sorted(why, key=lambda i: (-len(why[i]), i))[:MAX_WAVE]
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    rows = {
        r["id"]: r
        for r in conn.execute(
            f"SELECT r.id, r.upstream_id, r.kind, r.title, e.name AS employer FROM requests r"
            f" JOIN employers e ON e.id = r.employer_id WHERE r.id IN ({marks})",
            ids,
        )
    }
    return [
        {
            "request_id": i,
            "upstream_id": rows[i]["upstream_id"],
            "kind": rows[i]["kind"],
            "title": rows[i]["title"],
            "employer": rows[i]["employer"],
            "why": why[i],
        }
        for i in ids
    ]


def _near_identical_text(
    conn: sqlite3.Connection, anchor: sqlite3.Row, tie: Any, open_only: str
) -> None:
    fingerprint = duplicates.fingerprint(None, anchor["d"])
    bands = duplicates.lsh_bands(fingerprint)
    if not bands:
        return
    marks = ",".join("?" for _ in bands)
    rows = conn.execute(
        f"SELECT r.id, r.fingerprint, json_extract(r.payload, '$.description') AS d FROM requests r"
        f" WHERE r.id IN (SELECT request_id FROM text_bands WHERE band_key IN ({marks}))"
        f" AND {open_only} AND r.id != ?",
        (*bands, anchor["id"]),
    ).fetchall()
    candidates = [(r["id"], r["fingerprint"] or b"", r["d"]) for r in rows]
    for other_id, similarity in duplicates.find_near_identical(fingerprint, candidates):
        tie([(other_id,)], f"{round(similarity * 100)}% identical text")
