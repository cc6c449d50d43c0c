"""Each benchmark still runs at a tiny size (so bench/ does not rot). Times are not asserted:
only that the script exits 0 and prints its table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CASES: dict[str, tuple[list[str], str | tuple[str, ...]]] = {
    "click": (
        [
            "-m",
            "bench.bench_click",
            "--counts",
            "5,5,10,20",
            "--warmup",
            "5",
            "--pending",
            "100",
            "--no-sqlite-floor",
        ],
        "p99 jobgate/bare",
    ),
    "ingest": (
        [
            "-m",
            "bench.bench_ingest",
            "--singles",
            "20",
            "--batches",
            "2",
            "--batch",
            "20",
            "--neighbour",
            "0.1",
        ],
        # the neighbour is said only once it is running (bench.common.start waits for it)
        ("the same, 4 in flight", "a neighbour process keeps 10% of one core busy"),
    ),
    "queue": (
        [
            "-m",
            "bench.bench_queue",
            "--pending",
            "600",
            "--employers",
            "50",
            "--bulk",
            "30",
            "--runs",
            "2",
            "--new-jobs",
            "5",
        ],
        "digest, 600 pending",
    ),
    "pacing": (["-m", "bench.bench_pacing", "--cards", "8", "--scale", "50"], "lost / doubled"),
    "digest": (["bench/bench_digest.py", "--pending", "500", "--runs", "2"], "digest for 500"),
    "duplicates": (["bench/bench_duplicates.py", "--jobs", "300", "--new", "20"], "per new job"),
    "writes": (
        [
            "-m",
            "bench.bench_writes",
            "--stored",
            "2000",
            "--rows",
            "160",
            "--bodies",
            "20",
            "--screen",
            "1000",
        ],
        "jobgate/baseline",
    ),
    "run_all": (["-m", "bench.run_all", "--quick", "--only", "queue"], "SPEC 8 bars"),
}


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", sorted(CASES))
def test_benchmark_runs_at_a_tiny_size(name: str) -> None:
    args, expected = CASES[name]
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=220,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    for wanted in (expected,) if isinstance(expected, str) else expected:
        assert wanted in done.stdout, done.stdout[-2000:]
