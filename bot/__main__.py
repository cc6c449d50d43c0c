"""`python -m bot` is `jobgate`."""

from __future__ import annotations

import sys

from bot.ctrl_c import EXIT_INTERRUPTED, ctrl_c_held


def entry() -> int:
    """The `jobgate` command. A Ctrl-C while its modules load ends it with one line, as a
    Ctrl-C later does (bot.cli.main), rather than a traceback."""
    try:
        with ctrl_c_held() as pressed:
            from bot.cli import main
        if not pressed:
            return main()
    except KeyboardInterrupt:  # in the instants the hold is not on, where nothing loads
        pass
    print("jobgate: interrupted", file=sys.stderr)
    return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(entry())
