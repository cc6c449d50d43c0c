"""`jobgate export contacts --label NAME`: the contacts to reach for outreach, as CSV."""

from __future__ import annotations

import asyncio
import csv
import sys
from pathlib import Path
from typing import TextIO

from bot.config import Settings
from storage.contacts import OutreachRow
from storage.db import Database, DatabaseError
from storage.labels import Label
from storage.repository import Repository

HEADER = ("name", "email", "phone", "employer", "employer_id", "contact_id", "labels")
# Spreadsheets run cells starting with these as formulas (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: str) -> str:
    """A cell a spreadsheet shows as text (no formula runs when the file is opened)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def write_csv(rows: list[OutreachRow], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        cells = (
            row.name,
            row.email,
            row.phone,
            row.employer,
            row.employer_id,
            row.contact_id,
            "; ".join(row.labels),
        )
        writer.writerow([neutralize(cell) for cell in cells])


async def _load(database: Path, label_name: str) -> tuple[Label, list[OutreachRow]] | str:
    """The label and its contacts, or why not."""
    db = await Database.open(database)
    try:
        repo = Repository(db)
        label = await repo.find_label(label_name)
        if label is None:
            known = ", ".join(f"“{item.name}”" for item in await repo.list_labels())
            return f"there is no label “{label_name}”. Labels: {known or 'none'}."
        return label, await repo.list_contacts_with_label(label.id)
    finally:
        await db.close()


def export_contacts(settings: Settings, label_name: str, output: Path | None) -> int:
    """Exit status 0 with the CSV written; 1, and why on stderr, otherwise."""
    database = Path(settings.database)
    if not database.exists():
        print(f"jobgate export: there is no database at {database}.", file=sys.stderr)
        return 1
    try:
        found = asyncio.run(_load(database, label_name))
    except DatabaseError as exc:
        print(f"jobgate export: {exc}", file=sys.stderr)
        return 1
    if isinstance(found, str):
        print(f"jobgate export: {found}", file=sys.stderr)
        return 1
    label, rows = found
    if label.retired:
        print(f"jobgate export: note: the label “{label.name}” is retired.", file=sys.stderr)
    if output is None:
        write_csv(rows, sys.stdout)
        return 0
    try:
        with output.open("w", encoding="utf-8-sig", newline="") as out:
            write_csv(rows, out)
    except OSError as exc:
        print(f"jobgate export: cannot write {output}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"Wrote {len(rows)} contact(s) labelled “{label.name}” to {output}.", file=sys.stderr)
    return 0
