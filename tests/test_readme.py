"""README.md's command table says what `/jobgate help` says."""

from __future__ import annotations

import re
from pathlib import Path

import bot.app  # noqa: F401 - registers every subcommand
from handlers.commands import SUBCOMMANDS

README = Path(__file__).resolve().parents[1] / "README.md"


def usage_key(usage: str) -> str:
    return re.sub(r"\s*\|\s*", "|", usage).strip()


def readme_usages() -> set[str]:
    """Each row's usage; a row for `trust|untrust <employer>` stands for both commands."""
    found = set()
    for row in re.findall(r"^\| `/jobgate ([^`]*)` \|", README.read_text(), re.M):
        first, _, rest = usage_key(row.replace("\\|", "|")).partition(" ")
        for name in first.split("|"):
            found.add(f"{name} {rest}".strip())
    return found


def test_every_subcommand_is_in_the_readme_as_its_help_gives_it() -> None:
    documented = readme_usages()
    helped = {usage_key(entry.usage) for entry in SUBCOMMANDS.values()}
    assert len(helped) >= 12
    assert helped - documented == set(), "in /jobgate help, not in README.md"
    assert documented - helped == set(), "in README.md, not in /jobgate help"
