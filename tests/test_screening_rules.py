"""Each screening rule on a positive and a negative example, plus hostile input."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.screening import (
    RULES,
    Severity,
    Signal,
    compile_patterns,
    highest_severity,
    registrable_domain,
    screen_employer,
    screen_job,
    urls_to_check,
)
from bot.submissions import EmployerSubmission, JobSubmission

TEXT_RULE_IDS = {rule.id for rule in RULES if rule.matches_text}


def make_job(description: str = "", **fields: Any) -> JobSubmission:
    """A plain job whose description (and any other field) the test chooses."""
    base: dict[str, Any] = {
        "id": "job_1",
        "employer": {"id": "emp_1", "name": "Acme Analytics"},
        "title": "Analyst Intern",
        "description": description,
    }
    return JobSubmission.model_validate(base | fields)


def signal_for(rule_id: str, job: JobSubmission, website: str | None = None) -> Signal | None:
    """The job's signal from one rule, if any."""
    found = [s for s in screen_job(job, employer_website=website) if s.rule_id == rule_id]
    assert len(found) <= 1
    return found[0] if found else None


# (rule id, description that trips it, expected evidence, description that must not)
TEXT_CASES = [
    (
        "check_cashing",
        "You will receive a check for $2,000 in the mail.",
        "receive a check",
        "Tellers cash checks and sell money orders for members.",
    ),
    (
        "money_transfer",
        "Keep 10% and send the remaining balance via Zelle.",
        "send the remaining",
        "Reconcile incoming and outgoing wire transfers against the ledger.",
    ),
    (
        "equipment_or_gift_cards",
        "Please buy three Google Play gift cards and send me the codes.",
        "buy three Google Play gift cards",
        "Study participants receive a $20 Amazon gift card.",
    ),
    (
        "crypto_payment",
        "Your salary will be paid in Bitcoin every Friday.",
        "salary will be paid in Bitcoin",
        "Research how retail investors trade bitcoin.",
    ),
    (
        "no_interview",
        "No interview needed, you are hired!",
        "No interview",
        "If you are hired, training starts in June.",
    ),
    (
        "off_platform_contact",
        "Contact our HR manager on Telegram for an interview.",
        "Contact our HR manager on Telegram",
        "Signal processing intern; help run our WhatsApp Business broadcast list.",
    ),
    (
        "reshipping",
        "Receive packages at your home and reship them abroad.",
        "Receive packages at your home",
        "Sort incoming packages for the residence halls; a laptop is shipped to your home.",
    ),
    (
        "personal_assistant",
        "I need a personal assistant to run my errands.",
        "personal assistant to run my errands",
        "Personal Care Assistant for a student with a physical disability.",
    ),
    (
        "mystery_shopper",
        "Become a Mystery Shopper in your city.",
        "Mystery Shopper",
        "Shop floor associate: restock shelves and help customers.",
    ),
    (
        "upfront_fee",
        "A $60 training fee is due before you start.",
        "training fee",
        "There is no application fee. We reimburse the certification fee.",
    ),
    (
        "sensitive_info_request",
        "Reply with your bank account number to set up pay.",
        "Reply with your bank account number",
        "Bring two forms of ID on your first day for the I-9.",
    ),
    (
        "easy_money_wording",
        "No experience needed!",
        "No experience needed",
        "Two years of experience needed.",
    ),
    (
        "pay_too_good",
        "Make $300 a day from home.",
        "$300 a day",
        "$25 per hour, plus $300 per signed lease.",
    ),
]


@pytest.mark.parametrize(("rule_id", "positive", "evidence", "negative"), TEXT_CASES)
def test_text_rule_fires_with_evidence(
    rule_id: str, positive: str, evidence: str, negative: str
) -> None:
    signal = signal_for(rule_id, make_job(positive))
    assert signal is not None
    assert signal.evidence == evidence
    assert signal.explanation
    assert signal_for(rule_id, make_job(negative)) is None


def test_every_rule_has_an_example() -> None:
    covered = {case[0] for case in TEXT_CASES} | NON_TEXT_RULES_TESTED
    assert covered == {rule.id for rule in RULES}


def test_rule_ids_are_unique_and_described() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    assert all(rule.summary for rule in RULES)


NON_TEXT_RULES_TESTED = {
    "pay_above_range",
    "freemail_contact",
    "freemail_company_name",
    "contact_domain_mismatch",
    "contact_domain_short_form",
    "shortened_link",
}


def test_pay_above_range_for_an_internship() -> None:
    job = make_job(employment_type="internship", pay={"min": 150, "max": 200, "period": "hour"})
    signal = signal_for("pay_above_range", job)
    assert signal is not None
    assert signal.evidence == "pay up to 200 USD/hour for internship (plausible max 90)"


@pytest.mark.parametrize(
    "fields",
    [
        {"employment_type": "full-time", "pay": {"min": 150_000, "max": 185_000}},
        {"employment_type": "internship", "pay": {"min": 45, "max": 55, "period": "hour"}},
        {"employment_type": "internship", "pay": {"max": 3_000_000, "currency": "KRW"}},
        {"employment_type": None, "pay": {"min": 200, "period": "hour"}},
    ],
)
def test_pay_within_range(fields: dict[str, Any]) -> None:
    assert signal_for("pay_above_range", make_job(**fields)) is None


def test_freemail_contact_with_website() -> None:
    job = make_job(contact={"email": "acme.hiring@gmail.com"})
    signal = signal_for("freemail_contact", job, "https://www.acme.example")
    assert signal is not None
    assert signal.evidence == "contact gmail.com vs website acme.example"
    assert signal_for("freemail_contact", job) is None


def test_freemail_for_a_company_name_without_website() -> None:
    job = make_job(
        contact={"email": "acme@yahoo.com"}, employer={"id": "e", "name": "Acme Holdings LLC"}
    )
    signal = signal_for("freemail_company_name", job)
    assert signal is not None
    assert signal.severity is Severity.LOW
    assert signal.evidence == "contact yahoo.com for 'Acme Holdings LLC'"
    bakery = make_job(contact={"email": "rosa@gmail.com"}, employer={"id": "e", "name": "Rosa's"})
    assert signal_for("freemail_company_name", bakery) is None


def test_contact_domain_mismatch() -> None:
    job = make_job(contact={"email": "careers@acme-jobs.example"})
    signal = signal_for("contact_domain_mismatch", job, "https://www.acme.example")
    assert signal is not None
    assert signal.evidence == "contact acme-jobs.example vs website acme.example"


@pytest.mark.parametrize(
    "email",
    [
        "hr@acme.example",
        "jobs@careers.acme.example",
        "no-reply@greenhouse.io",
        "talent@hire.lever.co",
        "acme@myworkday.com",
        "notifications@myworkdayjobs.com",
        "recruiting@icims.com",
        "no-reply@smartrecruiters.com",
        "jobs@jobvite.com",
        "acme@ashbyhq.com",
    ],
)
def test_subdomains_and_recruiting_platforms_are_not_mismatches(email: str) -> None:
    job = make_job(contact={"email": email})
    signals = screen_job(job, employer_website="https://www.acme.example/careers")
    assert [s.rule_id for s in signals if s.rule_id.startswith("contact_domain")] == []


def test_two_label_public_suffixes() -> None:
    assert registrable_domain("jobs.acme.co.uk") == "acme.co.uk"
    assert registrable_domain("cs.lakeshore.edu") == "lakeshore.edu"
    job = make_job(contact={"email": "hr@people.acme.co.uk"})
    assert signal_for("contact_domain_mismatch", job, "https://acme.co.uk") is None


def test_contact_domain_short_form_is_low() -> None:
    job = make_job(
        contact={"email": "rx@mvh.org"}, employer={"id": "e", "name": "Mercy Valley Health"}
    )
    signal = signal_for("contact_domain_short_form", job, "https://www.mercyvalleyhealth.org")
    assert signal is not None
    assert signal.severity is Severity.LOW
    assert signal_for("contact_domain_mismatch", job, "https://www.mercyvalleyhealth.org") is None


def test_shortened_link() -> None:
    signal = signal_for("shortened_link", make_job(apply_url="https://bit.ly/3xYz"))
    assert signal is not None
    assert signal.evidence == "https://bit.ly/3xYz"
    plain = make_job(apply_url="https://boards.greenhouse.io/acme/jobs/1")
    assert signal_for("shortened_link", plain) is None


def test_negated_mentions_do_not_fire() -> None:
    text = (
        "A note on recruiting fraud: we will never ask you to purchase equipment, pay a fee, "
        "or cash a check, and we never interview over Telegram or WhatsApp. "
        "Beware of anyone offering a job without an interview."
    )
    assert screen_job(make_job(text)) == []


def test_one_signal_per_rule_most_severe_first() -> None:
    text = (
        "Deposit the check, then cash the cheque. Text me at 415-555-0133. "
        "Deposit the other check too. No experience needed."
    )
    signals = screen_job(make_job(text))
    ids = [s.rule_id for s in signals]
    assert ids == ["check_cashing", "off_platform_contact", "easy_money_wording"]
    assert highest_severity(signals) is Severity.HIGH
    assert highest_severity([]) is None


def test_severity_ranks() -> None:
    assert [s.rank for s in (Severity.LOW, Severity.MEDIUM, Severity.HIGH)] == [1, 2, 3]
    assert Severity.HIGH.at_least(Severity.MEDIUM)
    assert not Severity.LOW.at_least(Severity.MEDIUM)


def test_screen_employer() -> None:
    employer = EmployerSubmission.model_validate(
        {
            "id": "emp_9",
            "name": "Cobaltline Systems",
            "website": "https://www.cobaltline.example",
            "description": "We are hiring; interviews take place via Telegram.",
            "contact": {"email": "cobaltline.jobs@outlook.com"},
        }
    )
    assert [s.rule_id for s in screen_employer(employer)] == [
        "freemail_contact",
        "off_platform_contact",
    ]


def test_urls_to_check() -> None:
    description = (
        "See https://acme.example/about. Apply at <https://acme.example/apply|here>, not https://. "
        + " ".join(f"https://x{i}.example/p" for i in range(20))
    )
    job = make_job(description, apply_url="https://boards.greenhouse.io/acme/jobs/1")
    urls = urls_to_check(job, employer_website="https://acme.example")
    assert urls[:4] == [
        "https://boards.greenhouse.io/acme/jobs/1",
        "https://acme.example",
        "https://acme.example/about",
        "https://acme.example/apply",
    ]
    assert len(urls) == 10
    assert len(set(urls)) == 10
    employer = EmployerSubmission(id="e", name="Acme", website="https://acme.example")
    assert urls_to_check(employer) == ["https://acme.example"]


def test_shorthand_rejects_misread_spaces() -> None:
    with pytest.raises(ValueError, match="separator"):
        compile_patterns([r"cash ?app"])


# ---------------------------------------------------------------- hostile input

HOSTILE = {
    "repeated_phrases": "cash the text me at your home packages never " * 9_000,
    "long_word": "a" * 400_000,
    "dollars": "$1," * 133_000,
    "punctuation": "!?.,;:-" * 57_000,
    "wide_unicode": "ｃａｓｈ ｔｈｅ ｃｈｅｃｋ \u200b é 求人 " * 16_000,
    "slack_markup": "<!channel> <!here> <@U123|bob> *bold* `code` " * 9_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_descriptions_are_screened_quickly(name: str) -> None:
    description = HOSTILE[name][:400_000]
    job = make_job(description, contact={"email": "a@gmail.com"})
    started = time.perf_counter()
    screen_job(job, employer_website="https://acme.example")
    urls_to_check(job)
    assert time.perf_counter() - started < 15


def test_slack_markup_and_unicode_tricks() -> None:
    text = (
        "<!channel> Message me on T\u200belegram: @hr_desk. Ｓｅｎｄ ｔｈｅ ｍｏｎｅｙ via Zelle."
    )
    signals = {s.rule_id: s for s in screen_job(make_job(text))}
    assert signals["off_platform_contact"].evidence == "Message me on T\u200belegram"
    assert signals["money_transfer"].evidence == "Ｓｅｎｄ ｔｈｅ ｍｏｎｅｙ"
    cyrillic = "Contact us on Теlеgrаm"  # Cyrillic е and а
    assert signal_for("off_platform_contact", make_job(cyrillic)) is not None
    curly = "Good news, you’re hired!"
    assert signal_for("no_interview", make_job(curly)) is not None


TRIGGERS = [case[1] for case in TEXT_CASES] + ["résumé alone", "ＷｈａｔｓＡｐｐ +1 415 555 0133"]
noisy_text = st.lists(st.sampled_from(TRIGGERS) | st.text(max_size=40), max_size=12).map(" ".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(min_size=1, max_size=80), description=noisy_text)
def test_screening_never_raises_and_quotes_the_input(title: str, description: str) -> None:
    if not title.strip():
        title = "x"
    job = make_job(description, title=title)
    for signal in screen_job(job, employer_website="https://acme.example"):
        assert signal.severity in Severity
        assert len(signal.evidence) <= 200
        if signal.rule_id in TEXT_RULE_IDS:
            # verbatim, hence also case-insensitively
            assert signal.evidence in job.title or signal.evidence in (job.description or "")
