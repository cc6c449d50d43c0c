"""Small pieces of wording shared by messages from every layer."""

from __future__ import annotations


def count_of(count: int, noun: str, plural: str | None = None) -> str:
    """`1 request`, `2 requests`, `1,204 requests`; `plural` for nouns that do not take an s
    (`count_of(3, "entry", "entries")`)."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"
