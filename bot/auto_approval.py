"""Trusted employers' jobs (SPEC section 3): approve automatically, or say why not (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import EmployerStatus
from bot.screening import Severity, Signal


@dataclass(frozen=True)
class JobFacts:
    """What the auto-approval rule looks at for one pending job."""

    employer_trusted: bool
    employer_status: EmployerStatus
    duplicate_of_title: str | None
    signals: Sequence[Signal]
    flagged_by_hand: bool
    earlier_jobs_here: int
    first_job_needs_review: bool
    url_check_failed: bool


@dataclass(frozen=True)
class AutoVerdict:
    approve: bool
    because: str  # shown on the card: why approved, or why held for a person

    @property
    def applies(self) -> bool:
        """False when the employer is not trusted: the rule has nothing to say."""
        return bool(self.because)


NOT_TRUSTED = AutoVerdict(approve=False, because="")


def auto_approval(facts: JobFacts) -> AutoVerdict:
    """A trusted employer's job is approved unless it is a duplicate, carries a medium or high
    signal (or a person's flag), is the employer's first job here, or its URLs could not be
    checked. Every reason that holds it back is named."""
    if not facts.employer_trusted:
        return NOT_TRUSTED
    held: list[str] = []
    if facts.employer_status is not EmployerStatus.APPROVED:
        held.append(f"the employer is {facts.employer_status.value.replace('_', ' ')}")
    if facts.duplicate_of_title is not None:
        held.append(f"it looks like a duplicate of “{facts.duplicate_of_title}”")
    serious = [s for s in facts.signals if s.severity.at_least(Severity.MEDIUM)]
    if serious:
        held.append("it was flagged: " + "; ".join(s.explanation for s in serious[:3]))
    if facts.flagged_by_hand:
        held.append("a reviewer flagged it as suspicious")
    if facts.first_job_needs_review and facts.earlier_jobs_here == 0:
        held.append("it is the employer's first job here")
    if facts.url_check_failed:
        held.append("its links could not be checked")
    if held:
        return AutoVerdict(False, "Not approved automatically: " + "; ".join(held) + ".")
    reason = "trusted employer, no duplicate, no medium or high risk signal"
    if facts.first_job_needs_review:
        reason += f", {facts.earlier_jobs_here} earlier job(s) here"
    return AutoVerdict(True, f"Approved automatically: {reason}.")
