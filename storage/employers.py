"""SQL for finding employers by upstream id or (fuzzy) name."""

from __future__ import annotations

import sqlite3
from difflib import SequenceMatcher

from bot.models import EmployerRecord
from storage.prepared import name_key
from storage.rows import employer_from_row

MAX_MATCHES = 10


def get_employer(conn: sqlite3.Connection, employer_id: int) -> EmployerRecord | None:
    row = conn.execute("SELECT * FROM employers WHERE id = ?", (employer_id,)).fetchone()
    return employer_from_row(row) if row else None


def find_employers(conn: sqlite3.Connection, query: str) -> list[EmployerRecord]:
    """An exact upstream id wins; then names containing every word of the query; then close
    spellings. Best matches first, at most ten."""
    text = query.strip()
    if not text:
        return []
    exact = conn.execute("SELECT * FROM employers WHERE upstream_id = ?", (text,)).fetchone()
    if exact is not None:
        return [employer_from_row(exact)]
    key = name_key(text)
    same = conn.execute("SELECT * FROM employers WHERE name_key = ?", (key,)).fetchall()
    if same:
        return [employer_from_row(row) for row in same[:MAX_MATCHES]]
    words = key.split()
    like = " AND ".join("name_key LIKE ? ESCAPE '\\'" for _ in words)
    patterns = [
        "%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" for w in words
    ]
    rows = conn.execute(f"SELECT * FROM employers WHERE {like} LIMIT 200", patterns).fetchall()
    if not rows:
        # close spellings: compare with every name sharing the first letter (small tables)
        rows = conn.execute(
            "SELECT * FROM employers WHERE substr(name_key, 1, 1) = ? LIMIT 5000", (key[:1],)
        ).fetchall()
        rows = [r for r in rows if SequenceMatcher(None, key, r["name_key"]).ratio() >= 0.75]
    rows.sort(key=lambda r: -SequenceMatcher(None, key, r["name_key"]).ratio())
    return [employer_from_row(row) for row in rows[:MAX_MATCHES]]
