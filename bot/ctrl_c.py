"""Holding a Ctrl-C while Python loads modules.

A KeyboardInterrupt raised inside an import can come out as another error: pydantic builds
each model's validator in Rust when its class is defined, and an interrupt that lands there
comes back as a `SchemaError` with a traceback. So the command line remembers a Ctrl-C while
it loads, and acts on it once loading is done. Standard library only: `bot.__main__` uses
this before anything else of jobgate is loaded.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_INTERRUPTED = 130  # as a shell reports a Ctrl-C


@contextmanager
def ctrl_c_held() -> Iterator[list[int]]:
    """Inside the block a SIGINT is recorded in the yielded list instead of raising
    KeyboardInterrupt; the handler before it is back when the block ends. Outside the main
    thread (where Python allows no signal handlers), or where SIGINT is ignored (a command
    started in the background by a script), it records nothing and changes nothing."""
    pressed: list[int] = []
    off_main_thread = threading.current_thread() is not threading.main_thread()
    if off_main_thread or signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, None):
        yield pressed
        return
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: pressed.append(signum))
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)
