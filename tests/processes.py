"""Waiting on worker processes in tests (shared by the screening, parse and worker tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path


def _stat(pid: int | str) -> list[str] | None:
    """/proc/PID/stat's fields after the command name (state, parent, ...), None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rsplit(")", 1)[1].split()


def alive(pid: int) -> bool:
    """Running: neither gone nor a zombie (an orphan's zombie lasts until PID 1 reaps it)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(entry.name)
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


async def gone(pid: int, timeout: float = 10.0) -> bool:
    """Whether `pid` stops running within `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while alive(pid):
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True
