"""The event loop every `jobgate` command runs on: uvloop where it is installed, else asyncio's.

uvloop does the loop's socket and callback work in C (libuv). Measured on the inbound API
(bench/README.md, "uvloop, measured arm against arm"): with screening and delivery off, 0.8-0.9
ms of bot CPU per single POST against 0.9-1.2 ms; with them on, and for clicks, no difference
outside the VM's noise. Nothing in jobgate depends on which loop runs it (aiohttp, aiosqlite,
APScheduler and the screening worker pool run on either).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop factory, or None (asyncio's default loop) where uvloop is missing:
    it is a dependency only where it builds (not on Windows)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T], *, use_uvloop: bool = True) -> T:
    """asyncio.run(main), on uvloop unless `use_uvloop` is False or uvloop is missing."""
    factory = loop_factory() if use_uvloop else None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


def running_loop_name() -> str:
    """'uvloop' or 'asyncio': which loop this coroutine runs on, for the startup line."""
    module = type(asyncio.get_running_loop()).__module__
    return module.split(".", 1)[0]
