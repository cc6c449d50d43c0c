"""Small pieces of wording shared by messages from every layer."""

from __future__ import annotations


def count_of(count: int, noun: str) -> str:
    """`1 request`, `2 requests`, `1,204 requests` (nouns whose plural takes an s)."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
