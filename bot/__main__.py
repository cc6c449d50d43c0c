"""`python -m bot` is `jobgate`."""

from __future__ import annotations

import sys

from bot.ctrl_c import EXIT_INTERRUPTED, ctrl_c_held


def entry() -> int:
    """The `jobgate` command. A Ctrl-C while its modules load ends it with one line, as a
    Ctrl-C later does (bot.cli.main), rather than a traceback."""
    with ctrl_c_held() as pressed:
        from bot.cli import main
    if pressed:
        print("jobgate: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    try:
        return main()
    except KeyboardInterrupt:  # between the two, where nothing is loading
        print("jobgate: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(entry())
