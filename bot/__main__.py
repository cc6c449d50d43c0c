"""`python -m bot` is `jobgate`."""

from __future__ import annotations

import sys


def entry() -> int:
    """The `jobgate` command. A Ctrl-C while its modules are still loading ends it with one
    line, as a Ctrl-C later does (bot.cli.main), rather than a traceback."""
    try:
        from bot.cli import main
    except KeyboardInterrupt:
        print("jobgate: interrupted", file=sys.stderr)
        return 130  # bot.cli.EXIT_INTERRUPTED, which is what was being loaded
    return main()


if __name__ == "__main__":
    raise SystemExit(entry())
