"""Numbered migrations (`NNNN_name.sql`), each applied in its own transaction at start-up."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources


class SchemaTooNew(RuntimeError):
    """The database was written by a newer jobgate than this one."""


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    found = []
    for entry in resources.files(__package__).iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.number)
    numbers = [m.number for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {numbers}")
    return found


def latest_version() -> int:
    return len(load_migrations())


def split_statements(sql: str) -> list[str]:
    """Split a script into complete statements (trigger bodies stay whole)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buffer[:80]!r}")
    return statements


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def apply_migrations(conn: sqlite3.Connection) -> list[int]:
    """Bring the schema up to date; return the numbers applied. Safe with several processes."""
    migrations = load_migrations()
    newest = len(migrations)
    applied: list[int] = []
    if current_version(conn) > newest:
        raise SchemaTooNew(_too_new_message(current_version(conn), newest))
    for migration in migrations:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = current_version(conn)
            if version > newest:
                raise SchemaTooNew(_too_new_message(version, newest))
            if version >= migration.number:
                conn.execute("COMMIT")
                continue
            for statement in split_statements(migration.sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {migration.number}")
            conn.execute("COMMIT")
            applied.append(migration.number)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return applied


def _too_new_message(found: int, newest: int) -> str:
    return (
        f"this database is at schema version {found}, but this jobgate only knows up to "
        f"version {newest}: upgrade jobgate, or point JOBGATE_DATABASE at another file"
    )
