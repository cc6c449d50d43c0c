"""Reading employer and job requests from CSV, JSON or NDJSON files (pure, no database)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.models import Kind
from bot.submissions import EmployerSubmission, FieldProblem, JobSubmission, parse_requests

_BOOLEAN = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}
_NUMBER_FIELDS = {"pay.min", "pay.max", "other_schools.approved", "other_schools.declined"}


class ImportFileError(ValueError):
    """The file cannot be read as a list of requests."""


@dataclass(frozen=True)
class ParsedFile:
    kind: Kind
    submissions: list[EmployerSubmission | JobSubmission]
    problems: list[FieldProblem]
    rows: int


def _nest(flat: dict[str, str]) -> dict[str, Any]:
    """CSV columns with dotted names (`pay.min`, `contact.email`) as nested objects."""
    nested: dict[str, Any] = {}
    for column, raw in flat.items():
        if column is None or raw is None or raw == "":
            continue
        value: Any = raw
        if column == "remote":
            value = _BOOLEAN.get(raw.strip().lower(), raw)
        elif column in _NUMBER_FIELDS:
            try:
                value = float(raw) if "." in raw else int(raw)
            except ValueError:
                value = raw
        target = nested
        parts = column.strip().split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return nested


def read_records(path: Path) -> list[dict[str, Any]]:
    text = path.read_text("utf-8-sig")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [_nest(row) for row in csv.DictReader(io.StringIO(text))]
    if suffix in (".ndjson", ".jsonl"):
        records = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ImportFileError(f"line {number} is not valid JSON: {exc.msg}") from None
        return records
    if suffix == ".json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFileError(f"not valid JSON: {exc.msg} (line {exc.lineno})") from None
        return document if isinstance(document, list) else [document]
    raise ImportFileError(f"unknown file type {suffix!r}: use .csv, .json or .ndjson")


def guess_kind(records: list[dict[str, Any]]) -> Kind:
    """Jobs name an employer and have a title; employers have a name."""
    first = next((r for r in records if isinstance(r, dict)), {})
    if "title" in first or "employer" in first:
        return Kind.JOB
    return Kind.EMPLOYER


def parse_file(path: Path, kind: Kind | None = None, chunk: int = 1000) -> ParsedFile:
    records = read_records(path)
    if not records:
        raise ImportFileError("the file holds no requests")
    kind = kind or guess_kind(records)
    submissions: list[EmployerSubmission | JobSubmission] = []
    problems: list[FieldProblem] = []
    seen: set[str] = set()
    for start in range(0, len(records), chunk):
        items, _, found = parse_requests(
            records[start : start + chunk], employers=kind is Kind.EMPLOYER
        )
        for problem in found:
            # report the row number in the file (1-based, as a person counts)
            field = problem.field
            if field.startswith("["):
                index, _, rest = field[1:].partition("]")
                field = f"row {start + int(index) + 1}{rest}"
            problems.append(FieldProblem(field=field, problem=problem.problem))
        for item in items:
            if item.id in seen:
                problems.append(
                    FieldProblem(
                        field=f"id {item.id}", problem="appears more than once in the file"
                    )
                )
                continue
            seen.add(item.id)
            submissions.append(item)
    return ParsedFile(kind, submissions, problems, len(records))


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
