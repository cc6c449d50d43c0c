"""Duplicate detection at scale: fingerprint N stored jobs into SQLite, then time new ones.

    /work/venv/bin/python bench/bench_duplicates.py [--jobs 100000] [--new 1000]

Per new job it times (a) fingerprinting, (b) the same-employer + title-key lookup with
exact Jaccard against the rows found, (c) the cross-employer LSH band lookup with exact
verification, and prints median and p99 in microseconds and as ratios to two baselines
measured in the same run: one SELECT by primary key and one json.loads of a job payload.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.duplicates import (
    Fingerprint,
    description_similarity,
    find_near_identical,
    find_original,
    fingerprint,
    is_duplicate,
    lsh_bands,
)

R = TypeVar("R")

SCHEMA = """
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    employer_id INTEGER NOT NULL,
    title_key TEXT NOT NULL,
    fingerprint BLOB NOT NULL,
    description TEXT NOT NULL
);
CREATE TABLE bands (
    band_key TEXT NOT NULL,
    job_id INTEGER NOT NULL,
    PRIMARY KEY (band_key, job_id)
) WITHOUT ROWID;
"""
INDEXES = "CREATE INDEX jobs_by_employer_title ON jobs (employer_id, title_key);"

ROLES = (
    "Software Engineer",
    "Software Engineering",
    "Data Analyst",
    "Data Scientist",
    "Marketing",
    "Sales",
    "Financial Analyst",
    "Accountant",
    "Research Assistant",
    "Lab Technician",
    "Product Manager",
    "Designer",
    "UX Researcher",
    "Nurse",
    "Teacher",
    "Tutor",
    "Customer Service Representative",
    "Project Coordinator",
    "Mechanical Engineer",
    "Civil Engineer",
    "Electrical Engineer",
    "HR Generalist",
    "Recruiter",
    "Paralegal",
    "Business Analyst",
    "Operations Associate",
    "Supply Chain Analyst",
    "Graphic Designer",
    "Editor",
    "Social Media Coordinator",
    "Web Developer",
    "QA Tester",
    "Network Administrator",
    "Pharmacy Technician",
)
LEVELS = ("", "Intern", "Junior", "Senior", "Associate", "II", "Co-op", "Assistant")
TITLE_NOISE = ("", "", "", " (Remote)", " - Urgent", " #{n}", " (Req {n})", " - Summer 2026")


@dataclass(frozen=True, slots=True)
class Job:
    employer_id: int
    title: str
    description: str


class Corpus:
    """Synthetic postings: Zipf-weighted pseudo-words, per-employer boilerplate, shared EEO text."""

    def __init__(self, seed: int, employers: int) -> None:
        self.rng = random.Random(seed)
        syllables = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]
        self.vocabulary = [
            "".join(self.rng.choice(syllables) for _ in range(self.rng.randint(1, 4)))
            for _ in range(20_000)
        ]
        self.cumulative = list(accumulate(1.0 / (rank + 10) for rank in range(20_000)))
        self.eeo = [self.words(30) for _ in range(12)]
        self.boilerplate = [
            (self.words(self.rng.randint(20, 60)), self.words(15)) for _ in range(employers)
        ]
        self.titles = [self.rng.sample(self._all_titles(), 12) for _ in range(employers)]

    def _all_titles(self) -> list[str]:
        return [f"{level} {role}".strip() for role in ROLES for level in LEVELS]

    def words(self, n: int) -> str:
        total, rng, cum, vocab = (
            self.cumulative[-1],
            self.rng.random,
            self.cumulative,
            self.vocabulary,
        )
        return " ".join([vocab[bisect(cum, rng() * total)] for _ in range(n)])

    def job(self, employer_id: int) -> Job:
        rng = self.rng
        intro, outro = self.boilerplate[employer_id]
        eeo = rng.choice(self.eeo) if rng.random() < 0.5 else ""
        fixed = len(intro.split()) + len(outro.split()) + len(eeo.split())
        duties = self.words(max(10, rng.randint(80, 400) - fixed))
        noise = rng.choice(TITLE_NOISE).format(n=rng.randint(1000, 99999))
        title = rng.choice(self.titles[employer_id]) + noise
        return Job(employer_id, title, f"{intro}\n\n{duties}\n\n{eeo} {outro}")

    def edit(self, text: str, edits: int) -> str:
        """A repost: case and spacing changed, and `edits` words replaced."""
        tokens = text.split()
        for _ in range(edits):
            tokens[self.rng.randrange(len(tokens))] = self.rng.choice(self.vocabulary)
        return "  ".join(tokens).upper() if self.rng.random() < 0.3 else " ".join(tokens)


def timed(fn: Callable[..., R], *args: object) -> tuple[R, float]:
    start = time.perf_counter_ns()
    result = fn(*args)
    return result, (time.perf_counter_ns() - start) / 1000


def p99(samples: Sequence[float]) -> float:
    if len(samples) < 2:
        return max(samples)
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


def chunks(rows: Sequence[R], size: int) -> Iterator[Sequence[R]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def build(db: sqlite3.Connection, corpus: Corpus, jobs: int, employers: int) -> list[Job]:
    started = time.perf_counter()
    stored = [corpus.job(corpus.rng.randrange(employers)) for _ in range(jobs)]
    generated = time.perf_counter()
    rows: list[tuple[int, int, str, bytes, str]] = []
    bands: list[tuple[str, int]] = []
    spent = 0.0
    for i, job in enumerate(stored):
        fp, took = timed(fingerprint, job.title, job.description)
        spent += took
        rows.append((i, job.employer_id, fp.title_key, fp.to_bytes(), job.description))
        bands.extend((key, i) for key in lsh_bands(fp))
    printed = time.perf_counter()
    db.executescript(SCHEMA)
    with db:
        db.executemany(
            "INSERT INTO jobs (id, employer_id, title_key, fingerprint, description)"
            " VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        bands.sort()  # B-tree inserts in key order
        for chunk in chunks(bands, 100_000):
            db.executemany("INSERT INTO bands (band_key, job_id) VALUES (?, ?)", chunk)
        db.execute(INDEXES)
    db.execute("ANALYZE")
    loaded = time.perf_counter()
    words = statistics.mean(len(job.description.split()) for job in stored)
    print(f"stored jobs            {jobs:>10,}  ({employers:,} employers, {words:.0f} words mean)")
    print(f"generate texts         {generated - started:>10.1f} s")
    print(
        f"fingerprint + bands    {printed - generated:>10.1f} s"
        f"  (fingerprint alone {spent / jobs:.0f} µs per job)"
    )
    print(f"load SQLite + indexes  {loaded - printed:>10.1f} s  ({len(bands):,} band rows)")
    return stored


@dataclass(frozen=True, slots=True)
class Probe:
    job: Job
    payload: str
    kind: str  # repost | copy | fresh
    source: int | None
    expected: bool  # exact check against the source: a duplicate / near-identical text


def probes(corpus: Corpus, stored: list[Job], count: int, employers: int) -> list[Probe]:
    rng = corpus.rng
    made = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.3:  # the same employer reposts a job
            source = rng.randrange(len(stored))
            old = stored[source]
            edits = len(old.description.split()) // 250
            title = old.title.split(" (")[0].split(" - ")[0] + rng.choice(("", " (Remote)", " #77"))
            job, kind = Job(old.employer_id, title, corpus.edit(old.description, edits)), "repost"
            expected = is_duplicate(title, job.description, old.title, old.description)
        elif roll < 0.4:  # another employer copies its text: a fraud wave
            source = rng.randrange(len(stored))
            old = stored[source]
            other = (
                (old.employer_id + 1 + rng.randrange(employers - 1)) % employers
                if employers > 1
                else 0
            )
            job, kind = Job(other, "Remote Assistant", corpus.edit(old.description, 1)), "copy"
            expected = description_similarity(job.description, old.description) >= 0.9
        else:
            job, kind, source = corpus.job(rng.randrange(employers)), "fresh", None
            expected = False
        payload = json.dumps(
            {
                "id": f"job-{rng.randrange(10**9)}",
                "employer": {"id": job.employer_id, "name": f"Employer {job.employer_id}"},
                "title": job.title,
                "description": job.description,
                "location": "Columbus, OH",
                "pay": {"min": 18, "max": 24, "unit": "hour"},
                "apply_url": "https://careers.example.edu/apply/123",
                "posted_at": "2026-03-01T12:00:00Z",
            }
        )
        made.append(Probe(job, payload, kind, source, expected))
    return made


def select_by_id(db: sqlite3.Connection, job_id: int) -> object:
    return db.execute("SELECT description FROM jobs WHERE id = ?", (job_id,)).fetchone()


def same_employer(db: sqlite3.Connection, fp: Fingerprint, employer_id: int) -> tuple[int, int]:
    rows = db.execute(
        "SELECT id, fingerprint, description FROM jobs WHERE employer_id = ? AND title_key = ?",
        (employer_id, fp.title_key),
    ).fetchall()
    found = find_original(fp, rows)
    return (found[0], len(rows)) if found else (-1, len(rows))


def cross_employer(db: sqlite3.Connection, fp: Fingerprint) -> tuple[list[int], int]:
    keys = lsh_bands(fp)
    marks = ",".join("?" * len(keys))
    rows = db.execute(
        f"SELECT id, fingerprint, description FROM jobs WHERE id IN"
        f" (SELECT job_id FROM bands WHERE band_key IN ({marks}))",
        keys,
    ).fetchall()
    near = find_near_identical(fp, rows)
    return [job_id for job_id, _ in near], len(rows)


def measure(db: sqlite3.Connection, stored: list[Job], new: list[Probe]) -> None:
    rng = random.Random(1)
    pk, loads, fps, same, cross, total = [], [], [], [], [], []
    same_rows, cross_rows = [], []
    by_kind: dict[str, list[float]] = {"fresh": [], "repost": [], "copy": []}
    found = {"repost": 0, "copy": 0}
    flagged_fresh = 0
    for probe in new:
        pk.append(timed(select_by_id, db, rng.randrange(len(stored)))[1])
        loads.append(timed(json.loads, probe.payload)[1])
        fp, a = timed(fingerprint, probe.job.title, probe.job.description)
        (original, rows_b), b = timed(same_employer, db, fp, probe.job.employer_id)
        (near, rows_c), c = timed(cross_employer, db, fp)
        fps.append(a)
        same.append(b)
        cross.append(c)
        total.append(a + b + c)
        by_kind[probe.kind].append(a + b + c)
        same_rows.append(rows_b)
        cross_rows.append(rows_c)
        if probe.kind == "repost":
            found["repost"] += probe.expected and original == probe.source
        elif probe.kind == "copy":
            found["copy"] += probe.expected and probe.source in near
        flagged_fresh += probe.kind == "fresh" and original != -1
    base_pk, base_json = statistics.median(pk), statistics.median(loads)
    print()
    print(f"per new job, over {len(new):,} new jobs (µs; ratio = median / baseline median)")
    print(f"{'operation':<42}{'median':>9}{'p99':>9}{'× PK select':>13}{'× json.loads':>14}")
    lines = [
        ("baseline: SELECT by primary key", pk),
        ("baseline: json.loads of a job payload", loads),
        ("(a) fingerprint", fps),
        ("(b) same employer+title, exact Jaccard", same),
        ("(c) cross-employer LSH + verification", cross),
        ("(a)+(b)+(c)", total),
        ("  of which: fresh jobs (no duplicate)", by_kind["fresh"]),
        ("  of which: same-employer reposts", by_kind["repost"]),
        ("  of which: copies by other employers", by_kind["copy"]),
    ]
    for name, samples in lines:
        if not samples:
            continue
        median = statistics.median(samples)
        print(
            f"{name:<42}{median:>9.1f}{p99(samples):>9.1f}"
            f"{median / base_pk:>13.1f}{median / base_json:>14.1f}"
        )
    print()
    print(f"rows checked (b)  mean {statistics.mean(same_rows):.1f}  max {max(same_rows)}")
    print(f"rows checked (c)  mean {statistics.mean(cross_rows):.1f}  max {max(cross_rows)}")
    reposts = sum(p.kind == "repost" and p.expected for p in new)
    copies = sum(p.kind == "copy" and p.expected for p in new)
    fresh = sum(p.kind == "fresh" for p in new)
    print(
        f"recall: duplicate reposts found by (b) {found['repost']}/{reposts},"
        f" near-identical copies by other employers found by (c) {found['copy']}/{copies};"
        f" fresh jobs flagged {flagged_fresh}/{fresh}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=100_000, help="stored jobs")
    parser.add_argument("--new", type=int, default=1_000, help="new jobs to time")
    parser.add_argument("--employers", type=int, default=None, help="default: jobs / 50")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: a temp dir)")
    args = parser.parse_args(argv)
    employers = args.employers or max(2, args.jobs // 50)
    if args.db is not None and args.db.exists():
        parser.error(f"{args.db} exists; pass a new path")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        path = args.db or Path(scratch) / "bench.db"
        db = sqlite3.connect(path)
        for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "temp_store = MEMORY"):
            db.execute(f"PRAGMA {pragma}")
        db.execute("PRAGMA cache_size = -32000")
        db.row_factory = sqlite3.Row  # as storage/db.py
        corpus = Corpus(args.seed, employers)
        stored = build(db, corpus, args.jobs, employers)
        new = probes(corpus, stored, args.new, employers)
        measure(db, stored, new)
        db.close()
        size = path.stat().st_size / 2**20
    print(f"database {size:.0f} MiB; total run {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
