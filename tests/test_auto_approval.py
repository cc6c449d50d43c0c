"""Auto-approval of trusted employers' jobs: pure rules, and properties that must always hold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.auto_approval import JobFacts, auto_approval
from bot.models import EmployerStatus
from bot.screening import Severity, Signal

CLEAN = JobFacts(
    employer_trusted=True,
    employer_status=EmployerStatus.APPROVED,
    duplicate_of_title=None,
    signals=(),
    flagged_by_hand=False,
    earlier_jobs_here=3,
    first_job_needs_review=True,
    url_check_failed=False,
)


def signal(severity: Severity) -> Signal:
    return Signal("rule", severity, evidence="x", explanation=f"{severity.value} thing")


def with_(**changes: object) -> JobFacts:
    values = {**CLEAN.__dict__, **changes}
    return JobFacts(**values)  # type: ignore[arg-type]


def test_a_clean_job_of_a_trusted_employer_is_approved_with_the_reason() -> None:
    verdict = auto_approval(CLEAN)
    assert verdict.approve and verdict.because.startswith("Approved automatically")
    assert "trusted employer" in verdict.because


def test_untrusted_employers_are_not_considered() -> None:
    verdict = auto_approval(with_(employer_trusted=False))
    assert not verdict.approve and not verdict.applies


def test_each_reason_to_hold_back_is_named() -> None:
    cases = {
        "duplicate": with_(duplicate_of_title="Data Analyst"),
        "flagged: medium thing": with_(signals=(signal(Severity.MEDIUM),)),
        "reviewer flagged": with_(flagged_by_hand=True),
        "first job": with_(earlier_jobs_here=0),
        "could not be checked": with_(url_check_failed=True),
        "employer is pending": with_(employer_status=EmployerStatus.PENDING),
    }
    for words, facts in cases.items():
        verdict = auto_approval(facts)
        assert not verdict.approve and words in verdict.because, words


def test_low_signals_do_not_hold_back_and_the_first_job_rule_can_be_off() -> None:
    assert auto_approval(with_(signals=(signal(Severity.LOW),))).approve
    assert auto_approval(with_(earlier_jobs_here=0, first_job_needs_review=False)).approve


facts_strategy = st.builds(
    JobFacts,
    employer_trusted=st.booleans(),
    employer_status=st.sampled_from(list(EmployerStatus)),
    duplicate_of_title=st.one_of(st.none(), st.text(max_size=20)),
    signals=st.lists(st.builds(signal, st.sampled_from(list(Severity))), max_size=4),
    flagged_by_hand=st.booleans(),
    earlier_jobs_here=st.integers(min_value=0, max_value=5),
    first_job_needs_review=st.booleans(),
    url_check_failed=st.booleans(),
)


@given(facts_strategy)
def test_never_approves_a_duplicate_a_flagged_or_an_unvetted_job(facts: JobFacts) -> None:
    verdict = auto_approval(facts)
    if verdict.approve:
        assert facts.employer_trusted
        assert facts.employer_status is EmployerStatus.APPROVED
        assert facts.duplicate_of_title is None
        assert not facts.flagged_by_hand
        assert all(not s.severity.at_least(Severity.MEDIUM) for s in facts.signals)
        assert not facts.url_check_failed
        assert facts.earlier_jobs_here > 0 or not facts.first_job_needs_review
    else:
        assert verdict.because == "" or verdict.because.startswith("Not approved automatically")
