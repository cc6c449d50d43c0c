"""Every SPEC 8 benchmark in one command, one table of bars, measured values, floors, ratios.

    /work/venv/bin/python -m bench.run_all            # about 8 minutes on the 2-core VM
    /work/venv/bin/python -m bench.run_all --quick    # tiny sizes, under a minute (smoke)
    /work/venv/bin/python -m bench.run_all --profile /tmp/jobgate-profiles   # + py-spy of the click path

Each benchmark runs as its own process (and starts its own bot, fake Slack and load
generator processes), one after the other, so they do not disturb each other. The sizes are
chosen to finish the whole set in under 10 minutes; each benchmark's own --help shows how to
run it larger (for example bench_ingest without --array-limit-s stores all 200,000 items).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import PYTHON, ROOT, Bar, bars_table, machine_line

FULL = {
    "bench.bench_click": ["--counts", "300,1000,2000,2000"],
    "bench.bench_ingest": ["--singles", "2000", "--batches", "200", "--array-limit-s", "60"],
    "bench.bench_queue": ["--pending", "100000", "--bulk", "5000", "--runs", "5"],
    "bench.bench_pacing": ["--cards", "1000", "--scale", "20"],
}
QUICK = {
    "bench.bench_click": [
        "--counts",
        "20,20,20,40",
        "--warmup",
        "10",
        "--pending",
        "300",
        "--no-sqlite-floor",
    ],
    "bench.bench_ingest": ["--singles", "50", "--batches", "3", "--batch", "50"],
    "bench.bench_queue": ["--pending", "2000", "--bulk", "100", "--runs", "2", "--new-jobs", "10"],
    "bench.bench_pacing": ["--cards", "20", "--scale", "20"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=None, help="comma-separated: click,ingest,queue,pacing")
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--log", type=Path, default=None, help="save every benchmark's output")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    if args.only:
        wanted = {f"bench.bench_{name.strip()}" for name in args.only.split(",")}
        plan = {k: v for k, v in plan.items() if k in wanted}
    print(f"machine: {machine_line()}", flush=True)
    bars: list[Bar] = []
    failed = []
    started = time.perf_counter()
    log = open(args.log, "w") if args.log else None  # noqa: SIM115
    with tempfile.TemporaryDirectory(prefix="jobgate-bench-all-") as scratch:
        for module, extra in plan.items():
            out = Path(scratch) / f"{module}.json"
            command = [PYTHON, "-m", module, *extra, "--json", str(out)]
            if args.profile is not None and module == "bench.bench_click":
                command += ["--profile", str(args.profile)]
            began = time.perf_counter()
            print(f"\n== {module} {' '.join(extra)}", flush=True)
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
            took = time.perf_counter() - began
            if log is not None:
                log.write(f"\n== {' '.join(command)}\n{done.stdout}\n{done.stderr}\n")
                log.flush()
            if done.returncode != 0 or not out.exists():
                failed.append(module)
                print(
                    f"   FAILED (exit {done.returncode}) after {took:.0f} s\n{done.stderr[-3000:]}"
                )
                continue
            data = json.loads(out.read_text())
            bars.extend(Bar(**bar) for bar in data["bars"])
            print(f"   done in {took:.0f} s", flush=True)
    if log is not None:
        log.close()
    total = time.perf_counter() - started
    print(f"\nSPEC 8 bars, {machine_line()}; all benchmarks in {total / 60:.1f} min\n")
    print(bars_table(bars))
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
