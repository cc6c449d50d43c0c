"""A neighbour on the machine: a process that keeps a share of one core busy until stopped.

    python -m bench.neighbour --share 0.5     # spin 10 ms, sleep 10 ms, until SIGTERM

`bench_ingest --neighbour SHARE` runs one beside the bot through the load phases (it is stopped
before the floor is timed), to show what the rates need of the machine: the 2-core VM these benchmarks run on is shared, and a busier
host shows in every number (bench/README.md, "Latest run").
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.common import write_ready

PERIOD_S = 0.02


def spin(share: float) -> None:
    busy, idle = PERIOD_S * share, PERIOD_S * (1 - share)
    while True:
        until = time.perf_counter() + busy
        while time.perf_counter() < until:
            pass
        if idle > 0:
            time.sleep(idle)


def share_of_a_core(text: str) -> float:
    share = float(text)
    if not 0 < share <= 1:
        raise argparse.ArgumentTypeError(f"a share of one core is in (0, 1], not {text}")
    return share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--share", type=share_of_a_core, default=1.0, help="of one core, (0, 1]")
    parser.add_argument("--ready", type=Path, default=None)
    args = parser.parse_args()
    if args.ready is not None:
        write_ready(args.ready, {"share": args.share})
    spin(args.share)


if __name__ == "__main__":
    main()
