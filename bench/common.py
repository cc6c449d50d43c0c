"""Shared pieces of the benchmarks: processes, /proc readings, percentiles, tables, results.

Every benchmark runs the system under test in processes of its own (the bot, the bare Bolt
app, the fake Slack, the load generator), on loopback only, bounded in count and time.
Memory is read from /proc (VmHWM is the peak RSS; writing 5 to /proc/PID/clear_refs resets
it), so no extra package is needed.
"""

from __future__ import annotations

import json
import math
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- processes ---------------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    info: dict[str, Any]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid


def start(
    name: str, module: str, args: Sequence[str], folder: Path, *, timeout: float = 60.0
) -> Proc:
    """Run `python -m module args… --ready FILE` and wait for FILE (a JSON object)."""
    ready = folder / f"{name}.ready.json"
    ready.unlink(missing_ok=True)
    log_path = folder / f"{name}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    popen = subprocess.Popen(
        [PYTHON, "-m", module, *args, "--ready", str(ready)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + timeout
    while not ready.exists():
        if popen.poll() is not None:
            raise RuntimeError(f"{name} exited with {popen.returncode}:\n{tail(log_path)}")
        if time.monotonic() > deadline:
            popen.kill()
            raise RuntimeError(f"{name} did not start within {timeout:.0f} s:\n{tail(log_path)}")
        time.sleep(0.05)
    time.sleep(0.02)  # the file is written in one go, but be kind to slow disks
    info = json.loads(ready.read_text())
    return Proc(name, popen, info, log_path)


def write_ready(path: Path, data: dict[str, Any]) -> None:
    """Atomically, so the waiting side never reads half a file."""
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(data))
    scratch.replace(path)


def stop(proc: Proc, *, timeout: float = 20.0) -> int:
    if proc.popen.poll() is None:
        proc.popen.send_signal(signal.SIGTERM)
        try:
            proc.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.popen.kill()
            proc.popen.wait(5)
    return proc.popen.returncode


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def run_json(module: str, args: Sequence[str], *, timeout: float) -> dict[str, Any]:
    """Run a process to completion and parse the JSON object it prints last."""
    done = subprocess.run(
        [PYTHON, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{module} exited {done.returncode}:\n{done.stderr.decode(errors='replace')[-3000:]}"
        )
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


# -- /proc ---------------------------------------------------------------------------------


def _status(pid: int) -> dict[str, str]:
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            values[key] = value.strip()
    return values


def rss_mib(pid: int) -> float:
    return int(_status(pid)["VmRSS"].split()[0]) / 1024


def peak_rss_mib(pid: int) -> float:
    return int(_status(pid)["VmHWM"].split()[0]) / 1024


def reset_peak_rss(pid: int) -> bool:
    """Make VmHWM start again from the current RSS (Linux ≥ 4.0); False when not allowed."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


class RssSampler:
    """RSS of a process every `every` seconds, in a thread, until stop()."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        import threading

        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()

        def run() -> None:
            started = time.monotonic()
            while not self._stop.is_set():
                try:
                    self.samples.append((time.monotonic() - started, rss_mib(pid)))
                except OSError:
                    return
                self._stop.wait(every)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def stop(self) -> list[tuple[float, float]]:
        self._stop.set()
        self._thread.join()
        return self.samples or [(0.0, 0.0)]


def _stat_fields(pid: int | str) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def _children_stats(pid: int) -> list[tuple[int, list[str]]]:
    """(pid, /proc stat fields) of each live child process of `pid` (jobgate's screening
    worker), from one pass over /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields(entry.name)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if fields[1] == str(pid):
            found.append((int(entry.name), fields))
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its live children (jobgate's screening and parse workers)."""
    fields = _stat_fields(pid)
    total = int(fields[11]) + int(fields[12])
    for _, child in _children_stats(pid):
        total += int(child[11]) + int(child[12])
    return total / CLK_TCK


def children_rss_mib(pid: int) -> float:
    """RSS of the live children of `pid`, summed."""
    total = 0.0
    for child, _ in _children_stats(pid):
        try:
            total += rss_mib(child)
        except (FileNotFoundError, ProcessLookupError, KeyError):
            continue
    return total


def wait_idle(
    pids: Sequence[int], *, busy: float = 0.05, window: float = 0.3, limit: float = 15.0
) -> float:
    """Wait until every process uses less than `busy` of a core over `window`; seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = [cpu_seconds(pid) for pid in pids]
        time.sleep(window)
        after = [cpu_seconds(pid) for pid in pids]
        if all((b - a) / window < busy for a, b in zip(before, after, strict=True)):
            break
    return time.monotonic() - started


# -- numbers -------------------------------------------------------------------------------


def quantile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile (p99 of 2,000 samples is the 20th largest)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    values = sorted(s * 1000 for s in seconds)
    return {
        "p50": quantile(values, 0.50),
        "p95": quantile(values, 0.95),
        "p99": quantile(values, 0.99),
        "max": values[-1] if values else math.nan,
    }


def ratio(a: float, b: float) -> float:
    return a / b if b else math.inf


def fmt(value: Any, digits: int = 1) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if math.isinf(value):
            return "inf"
        if abs(value) >= 10_000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(row)
            ).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# -- results for run_all -----------------------------------------------------------------


@dataclass
class Bar:
    """One line of the run_all table: a SPEC 8 bar, what was measured, and its floor."""

    name: str
    bar: str
    measured: str
    floor: str = "-"
    ratio: str = "-"
    met: bool | None = None  # None: informational

    @property
    def verdict(self) -> str:
        return "-" if self.met is None else ("MET" if self.met else "NOT MET")


@dataclass
class Results:
    benchmark: str
    bars: list[Bar] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def write(self, path: Path | None) -> None:
        if path is None:
            return
        data = {
            "benchmark": self.benchmark,
            "bars": [asdict(b) for b in self.bars],
            "details": self.details,
        }
        path.write_text(json.dumps(data, indent=1, default=str))

    def print_bars(self) -> None:
        print()
        print(bars_table(self.bars))


def bars_table(bars: Sequence[Bar]) -> str:
    return table(
        ["bar", "target", "measured", "floor", "ratio", "verdict"],
        [[b.name, b.bar, b.measured, b.floor, b.ratio, b.verdict] for b in bars],
    )


def machine() -> dict[str, str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "kernel": platform.release(),
    }


def machine_line() -> str:
    m = machine()
    return (
        f"{m['cores']} cores ({m['cpu']}), Python {m['python']}, SQLite {m['sqlite']}, "
        f"Linux {m['kernel']}"
    )


# -- profiles ------------------------------------------------------------------------------


class Spy:
    """`py-spy record` of a process (all threads, idle excluded) until stop(); py-spy is a
    bench-only tool (pip install py-spy), and None is returned when it is missing."""

    def __init__(self, pid: int, output: Path, rate: int = 250) -> None:
        self.output = output
        output.parent.mkdir(parents=True, exist_ok=True)
        exe = Path(PYTHON).with_name("py-spy")
        self.popen: subprocess.Popen[bytes] | None = None
        if not exe.exists():
            print(f"(no profile: {exe} is not installed)")
            return
        self.popen = subprocess.Popen(
            [
                str(exe),
                "record",
                "--pid",
                str(pid),
                "--rate",
                str(rate),
                "--format",
                "raw",
                "--threads",
                "--nonblocking",
                "--output",
                str(output),
                "--duration",
                "600",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)

    def stop(self) -> dict[str, Any] | None:
        if self.popen is None:
            return None
        self.popen.send_signal(signal.SIGINT)
        self.popen.wait(60)
        return parse_collapsed(self.output) if self.output.exists() else None


def parse_collapsed(path: Path, top: int = 25) -> dict[str, Any]:
    """py-spy's raw (collapsed) output: per thread, and the top frames by self and total."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")
        thread, frames = frames[0], frames[1:]
        samples += count
        threads[thread] += count
        if frames:
            own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    return {
        "samples": samples,
        "threads": threads.most_common(8),
        "self": own.most_common(top),
        "total": total.most_common(top),
    }


def _short(frame: str) -> str:
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for cut in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if cut in where:
            where = where.split(cut, 1)[1]
    return f"{name} ({where})"


def print_profile(profile: dict[str, Any], what: str) -> None:
    samples = profile["samples"] or 1
    print(f"\npy-spy of {what}: {profile['samples']:,} samples")
    print("threads: " + ", ".join(f"{t} {c / samples:.0%}" for t, c in profile["threads"]))
    print(
        table(
            ["top frames by self time", "self %"],
            [[_short(f), f"{c / samples:.1%}"] for f, c in profile["self"][:20]],
        )
    )
    print()
    print(
        table(
            ["top frames by total time", "total %"],
            [[_short(f), f"{c / samples:.1%}"] for f, c in profile["total"][:30]],
        )
    )
