"""How well screening separates the labelled corpus of scams and legitimate postings.

Run with `pytest tests/test_screening_corpus.py -s` to see the table.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.screening import RULES, Severity, Signal, screen_job
from bot.submissions import JobSubmission

CORPUS = Path(__file__).parent / "data" / "screening_corpus.jsonl"
MIN_RECALL = 0.9
MAX_FALSE_POSITIVE_RATE = 0.05


@dataclass(frozen=True)
class Screened:
    id: str
    label: str
    kind: str
    signals: list[Signal]

    @property
    def flagged(self) -> bool:
        """True when any signal is medium or high: the job would not be auto-approved."""
        return any(s.severity.at_least(Severity.MEDIUM) for s in self.signals)


@dataclass(frozen=True)
class Figures:
    scams: int
    legit: int
    caught: int
    false_positives: int

    @property
    def recall(self) -> float:
        return self.caught / self.scams

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives / self.legit

    @property
    def precision(self) -> float:
        flagged = self.caught + self.false_positives
        return self.caught / flagged if flagged else 1.0


def load_corpus() -> list[dict[str, object]]:
    """Every corpus entry, in file order."""
    with CORPUS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def screened() -> list[Screened]:
    out = []
    for entry in load_corpus():
        job = JobSubmission.model_validate(entry["job"])
        website = entry["employer_website"]
        assert website is None or isinstance(website, str)
        signals = screen_job(job, employer_website=website)
        out.append(Screened(str(entry["id"]), str(entry["label"]), str(entry["kind"]), signals))
    return out


def figures_of(screened: list[Screened]) -> Figures:
    """Recall, false positives and precision at the medium threshold."""
    return Figures(
        scams=sum(s.label == "scam" for s in screened),
        legit=sum(s.label == "legit" for s in screened),
        caught=sum(s.label == "scam" and s.flagged for s in screened),
        false_positives=sum(s.label == "legit" and s.flagged for s in screened),
    )


def report(screened: list[Screened], figures: Figures) -> str:
    """The per-rule table, the overall figures, the misses and the false positives."""
    on_scams = Counter(sig.rule_id for s in screened if s.label == "scam" for sig in s.signals)
    on_legit = Counter(sig.rule_id for s in screened if s.label == "legit" for sig in s.signals)
    lines = [
        f"{'rule':<26} {'severity':<8} {'scams':>5} {'legit':>5}",
        *(
            f"{r.id:<26} {r.severity.value:<8} {on_scams[r.id]:>5} {on_legit[r.id]:>5}"
            for r in RULES
        ),
        "",
        f"corpus: {figures.scams} scams, {figures.legit} legit",
        f"recall (scam has a medium/high signal): {figures.caught}/{figures.scams} "
        f"= {figures.recall:.3f}",
        f"false-positive rate (legit with medium/high): {figures.false_positives}/"
        f"{figures.legit} = {figures.false_positive_rate:.3f}",
        f"precision: {figures.precision:.3f}",
        f"missed scams: {listed(screened, 'scam', flagged=False)}",
        f"flagged legit: {listed(screened, 'legit', flagged=True)}",
    ]
    return "\n".join(lines)


def listed(screened: list[Screened], label: str, *, flagged: bool) -> str:
    """Ids and kinds of the entries with this label and outcome, or 'none'."""
    chosen = [f"{s.id} ({s.kind})" for s in screened if s.label == label and s.flagged == flagged]
    return ", ".join(chosen) or "none"


def test_corpus_size() -> None:
    entries = load_corpus()
    labels = Counter(str(e["label"]) for e in entries)
    assert len(entries) >= 150
    assert labels["scam"] >= 55
    assert labels["legit"] >= 95
    assert set(labels) == {"scam", "legit"}
    assert len({e["id"] for e in entries}) == len(entries)


def test_screening_separates_scams_from_legit(screened: list[Screened]) -> None:
    figures = figures_of(screened)
    print("\n" + report(screened, figures))
    assert figures.recall >= MIN_RECALL
    assert figures.false_positive_rate <= MAX_FALSE_POSITIVE_RATE
