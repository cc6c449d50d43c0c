"""Waiting on worker processes in tests (shared by the screening, parse and worker tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path


def alive(pid: int) -> bool:
    """Running: neither gone nor a zombie (an orphan's zombie lasts until PID 1 reaps it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def gone(pid: int, timeout: float = 10.0) -> bool:
    """Whether `pid` stops running within `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while alive(pid):
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True
