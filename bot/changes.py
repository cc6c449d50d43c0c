"""What changed between two versions of a submission, field by field (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Fields that change on every resend without the request itself changing.
IGNORED_FIELDS = frozenset({"requested_at", "updated_at", "sent_at"})


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten(inner, path))
        return flat
    return {prefix: value}


def describe_changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Changed leaf fields, in a stable order; an added or removed field is a change too."""
    old = {k: v for k, v in _flatten(before).items() if k.split(".")[0] not in IGNORED_FIELDS}
    new = {k: v for k, v in _flatten(after).items() if k.split(".")[0] not in IGNORED_FIELDS}
    changes = []
    for key in sorted(old.keys() | new.keys()):
        if old.get(key) != new.get(key):
            changes.append(Change(key, old.get(key), new.get(key)))
    return changes
