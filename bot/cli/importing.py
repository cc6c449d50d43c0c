"""`jobgate import FILE`: requests from a file, validated first, stored in chunks, idempotent."""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from bot.clock import SystemClock
from bot.config import Settings
from bot.importer import ImportFileError, chunks, parse_file
from bot.models import Kind
from storage.db import Database
from storage.deliveries import StoredAnswer
from storage.repository import Repository

CHUNK = 500
MAX_PROBLEMS_SHOWN = 20


async def import_file(
    settings: Settings, path: Path, kind_name: str | None, *, progress: bool
) -> int:
    kind = {"employers": Kind.EMPLOYER, "jobs": Kind.JOB}.get(kind_name or "")
    try:
        parsed = parse_file(path, kind)
    except (ImportFileError, OSError) as exc:
        print(f"jobgate import: {path}: {exc}", file=sys.stderr)
        return 1
    if parsed.problems:
        print(
            f"jobgate import: {path}: {len(parsed.problems)} problem(s); nothing was imported.",
            file=sys.stderr,
        )
        for problem in parsed.problems[:MAX_PROBLEMS_SHOWN]:
            print(f"  {problem.field}: {problem.problem}", file=sys.stderr)
        if len(parsed.problems) > MAX_PROBLEMS_SHOWN:
            print(f"  …and {len(parsed.problems) - MAX_PROBLEMS_SHOWN} more", file=sys.stderr)
        return 1
    db = await Database.open(settings.database)
    repo = Repository(db)
    clock = SystemClock()
    totals = {"created": 0, "updated": 0, "unchanged": 0}
    try:
        with tqdm(
            total=len(parsed.submissions),
            unit=parsed.kind.value,
            disable=not progress,
            desc=f"importing {path.name}",
        ) as bar:
            for chunk in chunks(parsed.submissions, CHUNK):
                answer = await repo.ingest_submissions(
                    parsed.kind,
                    chunk,
                    webhook_id=None,
                    endpoint="import",
                    respond=lambda _: StoredAnswer(200, {}),
                    now=clock.now(),
                )
                for result in answer.results:
                    totals[result.outcome] += 1
                bar.update(len(chunk))
    finally:
        await db.close()
    print(
        f"Imported {len(parsed.submissions)} {parsed.kind.value} request(s) from {path}: "
        f"{totals['created']} new, {totals['updated']} updated, {totals['unchanged']} unchanged. "
        "Their cards are posted when `jobgate run` is running."
    )
    return 0
