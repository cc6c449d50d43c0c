"""Risk screening: explainable signals for jobs and employers (pure: no I/O, no clock).

Every rule is one entry of RULES (at the bottom). A signal carries the rule id, a
severity, the evidence (the matched text, or the fact) and one sentence for the card.
docs/screening.md lists the rules and how well they do on the labelled corpus.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from urllib.parse import urlsplit

from bot.submissions import EmployerSubmission, JobSubmission, Pay

MAX_EVIDENCE = 200
MAX_URLS = 10


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """1 for low, 2 for medium, 3 for high."""
        return _RANKS[self]

    def at_least(self, other: Severity) -> bool:
        """True when this severity is as serious as `other` or more."""
        return self.rank >= other.rank


_RANKS = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3}


@dataclass(frozen=True)
class Signal:
    rule_id: str
    severity: Severity
    evidence: str
    explanation: str


@dataclass(frozen=True)
class Hit:
    """What a rule's check found: the evidence and why it matters."""

    evidence: str
    explanation: str


@dataclass(frozen=True)
class Text:
    """A free-text field, folded for matching, that maps matches back to the original."""

    original: str
    folded: str
    origin: tuple[int, ...] | None  # folded index -> original index; None when identical

    def source(self, start: int, end: int) -> str:
        """The original text behind folded[start:end], cut to MAX_EVIDENCE characters."""
        if self.origin is None:
            return self.original[start:end][:MAX_EVIDENCE]
        return self.original[self.origin[start] : self.origin[end - 1] + 1][:MAX_EVIDENCE]


@dataclass(frozen=True)
class Subject:
    """What the rules read: one job or employer, flattened."""

    company: str | None
    texts: tuple[Text, ...]
    links: tuple[str, ...]
    email: str | None
    website: str | None
    pay: Pay | None
    employment_type: str | None


Check = Callable[[Subject], Hit | None]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    check: Check
    matches_text: bool = False  # the evidence is a quote from the title or description


# ---------------------------------------------------------------- public API


def screen_job(job: JobSubmission, *, employer_website: str | None = None) -> list[Signal]:
    """Every rule's signal for a job, most severe first, at most one per rule."""
    return _screen(_job_subject(job, employer_website))


def screen_employer(employer: EmployerSubmission) -> list[Signal]:
    """Every rule's signal for an employer, most severe first, at most one per rule."""
    return _screen(_employer_subject(employer))


def highest_severity(signals: Iterable[Signal]) -> Severity | None:
    """The most serious severity among the signals, or None when there are none."""
    return max((s.severity for s in signals), key=lambda s: s.rank, default=None)


def urls_to_check(
    submission: JobSubmission | EmployerSubmission, employer_website: str | None = None
) -> list[str]:
    """Apply URL, website and http(s) URLs in the description: unique, at most MAX_URLS."""
    own = submission.apply_url if isinstance(submission, JobSubmission) else submission.website
    urls = dict.fromkeys(u for u in (own, employer_website) if u)
    for match in _URL_IN_TEXT.finditer(submission.description or ""):
        if len(urls) >= MAX_URLS:
            break
        url = match.group().rstrip(".,;:!?)]}'\"")
        if host_of(url):
            urls.setdefault(url, None)
    return list(urls)[:MAX_URLS]


def _screen(subject: Subject) -> list[Signal]:
    signals = []
    for rule in RULES:
        hit = rule.check(subject)
        if hit is not None:
            signals.append(Signal(rule.id, rule.severity, hit.evidence, hit.explanation))
    return sorted(signals, key=lambda s: (-s.severity.rank, s.rule_id))


def _job_subject(job: JobSubmission, employer_website: str | None) -> Subject:
    return Subject(
        company=job.employer.name,
        texts=tuple(fold(t) for t in (job.title, job.description) if t),
        links=tuple(u for u in (job.apply_url, employer_website) if u),
        email=job.contact.email if job.contact else None,
        website=employer_website,
        pay=job.pay,
        employment_type=job.employment_type,
    )


def _employer_subject(employer: EmployerSubmission) -> Subject:
    return Subject(
        company=employer.name,
        texts=tuple(fold(t) for t in (employer.name, employer.description) if t),
        links=(employer.website,) if employer.website else (),
        email=employer.contact.email if employer.contact else None,
        website=employer.website,
        pay=None,
        employment_type=None,
    )


# ---------------------------------------------------------------- text matching


def text_rule(
    rule_id: str,
    severity: Severity,
    summary: str,
    explanation: str,
    patterns: Sequence[str],
    *,
    unless: str = "",
) -> Rule:
    """A rule that fires on the first match of any pattern that is not negated.

    Patterns use a shorthand: a space stands for 1-3 non-word characters and `<n>`
    for up to n words in between. A negator ("never", "no", "beware", ...) earlier in
    the same clause cancels a match; `unless` adds rule-specific negators.
    """
    regex = compile_patterns(patterns)
    negation = _negation(unless)

    def check(subject: Subject) -> Hit | None:
        for text in subject.texts:
            for match in regex.finditer(text.folded):
                if not negation.search(_clause_before(text.folded, match.start())):
                    return Hit(text.source(match.start(), match.end()), explanation)
        return None

    return Rule(rule_id, severity, summary, check, matches_text=True)


def compile_patterns(patterns: Sequence[str]) -> re.Pattern[str]:
    """One case-insensitive regex from shorthand patterns (see text_rule)."""
    expanded = []
    for pattern in patterns:
        if _MISREAD_SPACE.search(pattern):
            raise ValueError(f"a space is a separator; use \\s for a literal one: {pattern!r}")
        # \w and \W are disjoint, so each gap has one parse: matching stays linear.
        pattern = _WORD_GAP.sub(lambda m: rf"(?:\w{{1,25}}\W{{1,3}}){{0,{m[1]}}}?", pattern)
        expanded.append("(?:" + pattern.replace(" ", r"\W{1,3}") + ")")
    return re.compile("|".join(expanded), re.IGNORECASE)


_WORD_GAP = re.compile(r"<(\d{1,2})>")
_MISREAD_SPACE = re.compile(r" [?*+{]|\[[^\]]* [^\]]*\]")
_NEGATORS = (
    r"no|not|never|nor|without|\w+n't|scams?|fraud\w*|beware|impersonat\w*|warning|caution"
    r"|avoid|suspicious"
)
_CLAUSE_BREAK = re.compile(r"[.!?;:\n]")
_CLAUSE_REACH = 100


@lru_cache(maxsize=64)
def _negation(extra: str) -> re.Pattern[str]:
    words = _NEGATORS + ("|" + extra if extra else "")
    return re.compile(rf"\b(?:{words})\b", re.IGNORECASE)


def _clause_before(text: str, start: int) -> str:
    """Up to _CLAUSE_REACH characters before `start`, from the clause's beginning."""
    return _CLAUSE_BREAK.split(text[max(0, start - _CLAUSE_REACH) : start])[-1]


_DROP = frozenset({"Cf", "Mn", "Me"})  # zero-width and format characters, accents
_LOOKALIKES = str.maketrans(
    {
        "‘": "'", "’": "'", "ʼ": "'", "´": "'", "“": '"', "”": '"',
        "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "−": "-",
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y",
        "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w",
        "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O",
        "Р": "P", "С": "C", "Т": "T", "Х": "X",
        "α": "a", "ο": "o", "ν": "v", "ρ": "p", "τ": "t", "Α": "A", "Ο": "O",
    }
)  # fmt: skip
_ASCII_OR_ONE = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]")


def fold(text: str) -> Text:
    """Text for matching: compatibility forms, no accents or zero-width characters."""
    if text.isascii():
        return Text(text, text, None)
    pieces: list[str] = []
    origin: list[int] = []
    for run in _ASCII_OR_ONE.finditer(text):
        if run.group().isascii():
            pieces.append(run.group())
            origin.extend(range(run.start(), run.end()))
        else:
            folded = _fold_char(run.group())
            pieces.append(folded)
            origin.extend([run.start()] * len(folded))
    return Text(text, "".join(pieces), tuple(origin))


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    kept = "".join(
        c for c in unicodedata.normalize("NFKD", char) if unicodedata.category(c) not in _DROP
    )
    return kept.translate(_LOOKALIKES)


_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'`|]{1,2048}", re.IGNORECASE)


# ---------------------------------------------------------------- pay

# Plausible maxima per pay period (USD-like currencies). Student jobs (internships,
# co-ops, part-time, seasonal, work-study): $90/hour, the top of technical internships,
# and the same hours scaled to a day (8h), week (40h) and month (173h); $200k a year;
# $60k for a whole-programme stipend. Other jobs: generous full-time ceilings.
PLAUSIBLE_MAX: dict[str, dict[str, float]] = {
    "student": {"hour": 90, "day": 720, "week": 3_600, "month": 15_600, "year": 200_000,
                "total": 60_000},
    "other": {"hour": 250, "day": 2_000, "week": 10_000, "month": 42_000, "year": 500_000,
              "total": 500_000},
}  # fmt: skip
# Amounts quoted in the text above these, per period, read as too good to be true.
TEXT_PAY_MAX: dict[str, float] = {"hour": 100, "day": 300, "week": 1_200, "month": 10_000}
_COMPARABLE_CURRENCIES = frozenset({"USD", "CAD", "AUD", "NZD", "EUR", "GBP", "CHF", "SGD"})
_STUDENT_TYPE = re.compile(
    r"intern|extern|co-?op|part|season|summer|temp|student|work.?study|volunteer|casual"
    r"|apprentic|assistantship",
    re.IGNORECASE,
)
_AMOUNT = r"\$\s?(\d{1,3}(?:,\d{3}){1,3}|\d{1,7})(?:\.\d{1,2})?\s?(k\b)?"
_QUOTED_PAY = re.compile(
    _AMOUNT + r"(?:\s?(?:-|to)\s?" + _AMOUNT + r")?\+?\s?(?:(?:per|an?|each|every|/)\s?"
    r"(hour|hr|day|week|wk|month|mo)\b|(hourly|daily|weekly|monthly)\b)",
    re.IGNORECASE,
)
_PERIODS = {"hr": "hour", "wk": "week", "mo": "month", "hourly": "hour", "daily": "day",
            "weekly": "week", "monthly": "month"}  # fmt: skip


def _amount(digits: str | None, thousands: str | None) -> float:
    value = float((digits or "0").replace(",", ""))
    return value * 1000 if thousands else value


def check_quoted_pay(subject: Subject) -> Hit | None:
    """Pay quoted in the text far above what such work pays ("$300 a day")."""
    for text in subject.texts:
        for match in _QUOTED_PAY.finditer(text.folded):
            a, ak, b, bk, short, adverb = match.groups()
            period = (short or adverb).lower()
            period = _PERIODS.get(period, period)
            amount = max(_amount(a, ak), _amount(b, bk))
            if amount >= TEXT_PAY_MAX[period]:
                return Hit(
                    text.source(match.start(), match.end()),
                    f"Promises ${amount:,.0f} per {period}: pay this high for student work "
                    "is a classic lure.",
                )
    return None


def check_pay_range(subject: Subject) -> Hit | None:
    """Structured pay above the plausible maximum for the employment type and period."""
    pay = subject.pay
    top = None if pay is None else (pay.max if pay.max is not None else pay.min)
    if pay is None or top is None or pay.currency not in _COMPARABLE_CURRENCIES:
        return None
    kind = "student" if _STUDENT_TYPE.search(subject.employment_type or "") else "other"
    ceiling = PLAUSIBLE_MAX[kind][pay.period]
    if top <= ceiling:
        return None
    label = subject.employment_type or "this job"
    return Hit(
        f"pay up to {top:,.0f} {pay.currency}/{pay.period} for {label} "
        f"(plausible max {ceiling:,.0f})",
        f"Pay of {top:,.0f} {pay.currency} per {pay.period} is far above what {label} "
        "roles pay; it may be a lure or a typo.",
    )


# ---------------------------------------------------------------- contact and domains

FREEMAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "rocketmail.com",
        "outlook.com", "hotmail.com", "live.com", "msn.com", "aol.com", "icloud.com",
        "me.com", "mac.com", "proton.me", "protonmail.com", "protonmail.ch", "pm.me",
        "gmx.com", "gmx.net", "gmx.de", "mail.com", "zoho.com", "zohomail.com",
        "yandex.com", "yandex.ru", "mail.ru", "tutanota.com", "tuta.io", "fastmail.com",
        "hushmail.com", "qq.com", "163.com", "126.com", "yeah.net", "sina.com",
        "naver.com", "hanmail.net", "rediffmail.com", "inbox.com", "att.net",
        "comcast.net", "verizon.net", "sbcglobal.net", "btinternet.com",
    }
)  # fmt: skip
_FREEMAIL_BRANDS = frozenset({"yahoo", "hotmail", "outlook", "live", "gmx", "yandex", "aol"})
# Applicant-tracking and recruiting platforms that send mail for many employers.
RECRUITING_DOMAINS = frozenset(
    {
        "greenhouse.io", "lever.co", "workday.com", "myworkday.com", "myworkdayjobs.com",
        "icims.com", "smartrecruiters.com", "jobvite.com", "ashbyhq.com", "workable.com",
        "bamboohr.com", "breezy.hr", "applytojob.com", "jazzhr.com", "recruitee.com",
        "taleo.net", "successfactors.com", "successfactors.eu", "ultipro.com",
        "paylocity.com", "adp.com", "dayforcehcm.com", "joinhandshake.com",
        "indeedemail.com", "teamtailor.com", "personio.de", "rippling.com",
        "governmentjobs.com", "neogov.com", "usajobs.gov", "avature.net", "brassring.com",
        "hiringthing.com", "pinpointhq.com", "wellfound.com", "symplicity.com",
        "12twenty.com", "gem.com", "eightfold.ai", "phenompeople.com",
    }
)  # fmt: skip
_TWO_LABEL_SUFFIXES = frozenset(
    {
        "co.uk", "ac.uk", "org.uk", "gov.uk", "ltd.uk", "com.au", "edu.au", "org.au",
        "gov.au", "net.au", "co.nz", "ac.nz", "org.nz", "co.jp", "ac.jp", "co.in", "ac.in",
        "com.br", "com.cn", "edu.cn", "com.mx", "co.za", "ac.za", "com.sg", "edu.sg",
        "co.kr", "ac.kr", "com.hk", "edu.hk",
    }
)  # fmt: skip
_COMPANY_WORDS = re.compile(
    r"\b(?:inc|llc|l\.l\.c|ltd|limited|corp|corporation|co|company|group|holdings|plc|gmbh"
    r"|llp|pllc|technologies|solutions|systems|enterprises|partners|associates|consulting"
    r"|international|global|industries|services|bank|capital|university|college|hospital"
    r"|institute|foundation)\b",
    re.IGNORECASE,
)
_NAME_STOPWORDS = frozenset({"of", "the", "and", "for", "at", "a", "an", "inc", "llc", "co"})


def host_of(url_or_email: str) -> str | None:
    """The lower-case host of a URL or an e-mail address."""
    if "://" not in url_or_email:
        return url_or_email.rpartition("@")[2].strip().lower().rstrip(".") or None
    try:
        host = urlsplit(url_or_email.strip()).hostname
    except ValueError:
        return None
    return host.rstrip(".") if host else None


def registrable_domain(host: str) -> str:
    """The organisation's domain: 'cs.uni.edu' -> 'uni.edu', 'a.b.co.uk' -> 'b.co.uk'."""
    labels = host.lower().strip(".").split(".")
    keep = 3 if ".".join(labels[-2:]) in _TWO_LABEL_SUFFIXES else 2
    return ".".join(labels[-keep:])


def is_freemail(domain: str) -> bool:
    """True for consumer mail providers (gmail.com, yahoo.co.uk, proton.me, ...)."""
    return domain in FREEMAIL_DOMAINS or domain.split(".")[0] in _FREEMAIL_BRANDS


def _domains(subject: Subject) -> tuple[str | None, str | None]:
    """Registrable domains of the contact e-mail and of the website, when given."""
    contact = host_of(subject.email) if subject.email else None
    site = host_of(subject.website) if subject.website else None
    return (
        registrable_domain(contact) if contact else None,
        registrable_domain(site) if site else None,
    )


def check_freemail_with_website(subject: Subject) -> Hit | None:
    """A company with its own website whose contact uses a free mail provider."""
    contact, site = _domains(subject)
    if contact is None or site is None or not is_freemail(contact) or is_freemail(site):
        return None
    return Hit(
        f"contact {contact} vs website {site}",
        f"The employer has a website ({site}) but the contact writes from {contact}; "
        "impostors use free mail to pose as real companies.",
    )


def check_freemail_company_name(subject: Subject) -> Hit | None:
    """A name that reads like a company (Inc, LLC, Group) with a free-mail contact."""
    contact, site = _domains(subject)
    if contact is None or site is not None or not is_freemail(contact):
        return None
    if not _COMPANY_WORDS.search(subject.company or ""):
        return None
    return Hit(
        f"contact {contact} for '{subject.company}'",
        "The name reads like a registered company, yet the contact uses free mail and "
        "no website is given.",
    )


def _label(domain: str) -> str:
    return domain.split(".")[0].replace("-", "")


def _initials(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower())
    return "".join(w[0] for w in words if w not in _NAME_STOPWORDS)


def _is_short_form(contact: str, site: str, company: str | None) -> bool:
    """True when the contact domain is a truncation of the site's, or the name's initials."""
    short, long = _label(contact), _label(site)
    truncated = len(short) >= 4 and long.startswith(short) and short != long
    initials = len(short) >= 2 and short == _initials(company or "")
    return truncated or initials


def _differing_domains(subject: Subject) -> tuple[str, str] | None:
    """(contact, website) domains when they differ and the contact is a company domain."""
    contact, site = _domains(subject)
    if contact is None or site is None or contact == site:
        return None
    if is_freemail(contact) or contact in RECRUITING_DOMAINS:
        return None
    return contact, site


def check_domain_mismatch(subject: Subject) -> Hit | None:
    """A contact e-mail domain unlike the website's (recruiting platforms excepted)."""
    domains = _differing_domains(subject)
    if domains is None or _is_short_form(*domains, subject.company):
        return None
    contact, site = domains
    return Hit(
        f"contact {contact} vs website {site}",
        f"The contact's domain {contact} is not the employer's {site}; look-alike "
        "domains are how impostors pose as real employers.",
    )


def check_domain_short_form(subject: Subject) -> Hit | None:
    """A contact domain that looks like a short form of the website's ('mvh.org')."""
    domains = _differing_domains(subject)
    if domains is None or not _is_short_form(*domains, subject.company):
        return None
    contact, site = domains
    return Hit(
        f"contact {contact} vs website {site}",
        f"The contact's domain {contact} looks like a short form of {site}: "
        "probably the same organisation, worth a glance.",
    )


_SHORTENERS = frozenset(
    {
        "bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly",
        "rebrand.ly", "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy", "t.ly", "s.id",
    }
)  # fmt: skip


def check_shortened_link(subject: Subject) -> Hit | None:
    """An apply link or website hidden behind a URL shortener."""
    for url in subject.links:
        host = host_of(url)
        if host and host.removeprefix("www.") in _SHORTENERS:
            return Hit(url[:MAX_EVIDENCE], "A link shortener hides where applicants are sent.")
    return None


# ---------------------------------------------------------------- the rules

_MONEY_APPS = r"(?:zelle|western union|money\s?gram|cash\s?app|venmo|paypal|remitly|wise)"
_CRYPTO = r"(?:bitcoins?|btc|crypto\w*|usdt|usdc|tether|ethereum|eth|litecoin|dogecoin)"
_YOUR_PLACE = r"your (?:own )?(?:home|house|residence|apartment|address|place|door)"
_PHONE = r"\(?\+?\d[\d\s().-]{6,16}\d"
_MESSENGERS = (
    r"(?:whatsapp|telegram|wickr|kik|wechat|viber|threema|kakaotalk|google\W?hangouts"
    r"|hangouts|google chat|skype (?:id|chat|handle))"
)
_CONTACT_WORDS = (
    r"contact|reach|message|text|chat|add|dm|ping|call|write|talk|speak|connect|communicat"
    r"|interview|apply|send|reply|respond|recruiter|hr|manager"
)
_GOODS = r"(?:packages?|parcels?|deliveries|shipments?|items|products|merchandise|goods|boxes)"
_OWN_PAY = r"pay\w*|wages?|salary|earnings|direct|commissions?|stipends?"

RULES: list[Rule] = [
    text_rule(
        rule_id="check_cashing",
        severity=Severity.HIGH,
        summary="Asks the applicant to receive, cash or deposit a check",
        explanation="Fake-check scams have you deposit a check and pass money on before it "
        "bounces.",
        patterns=[
            r"(?:cash|deposit)\w{0,3} (?:the|a|an|this|that|these|those|each|any|our) <2>"
            r"(?:check|cheque)s?\b",
            r"(?:receive|mail you|send you|sent you|be sent|be mailed|be given) (?:an?|the) <3>"
            r"(?:check|cheque)s?\b",
            r"(?:check|cheque)s? <5>(?:mailed|sent|shipped|delivered|couriered) to you\b",
            r"(?:check|cheque)s? <8>(?:cash|deposit) (?:them|it)\b",
            r"\b(?:once|after|when) (?:it|the (?:check|cheque|payment|funds)) clears?\b",
        ],
    ),
    text_rule(
        rule_id="money_transfer",
        severity=Severity.HIGH,
        summary="Asks the applicant to move money for the employer",
        explanation="Moving money for an employer (wire, Zelle, Western Union) makes you a "
        "money mule.",
        patterns=[
            r"\b(?:send|transfer|wire|forward|remit|move)\w{0,3} (?:the |a |any |all |on )?"
            r"(?:remaining|remainder|rest|balance|difference|excess|extra amount|leftover"
            r"|funds|money|cash|donations?)\b",
            r"\b(?:send|transfer|wire|forward|remit)\w{0,3} \d{1,3}\s?%",
            r"\bwire\w{0,3} (?:them|it)\b",
            r"\b(?:send|transfer|wire|forward|remit|pay|move)\w{0,3} <8>(?:via|through|using|by"
            rf"|with|on) {_MONEY_APPS}\b",
            rf"\b(?:receive|accept|collect)\w{{0,3}} (?:(?!{_OWN_PAY})\w{{1,25}}\W{{1,3}}){{0,6}}?"
            r"(?:into|in|to|through) your <3>account\b",
            r"\b(?:process|run|handle)\w{0,3} (?:them|payments?|funds|transactions?) through "
            r"your <2>account\b",
            r"\bwithdraw(?:s|ing)? (?:the )?(?:cash|funds|money)\b",
            rf"\b(?:evaluate|test|assess|rate)\w{{0,3}} <3>{_MONEY_APPS} (?:location|agent"
            r"|service|outlet)",
        ],
    ),
    text_rule(
        rule_id="equipment_or_gift_cards",
        severity=Severity.HIGH,
        summary="Asks the applicant to buy equipment, software or gift cards, to be reimbursed",
        explanation="Real employers supply equipment; buying it from 'their vendor' or buying "
        "gift cards is how the money is taken.",
        patterns=[
            r"\b(?:buy|bought|purchas|get|pick up|obtain|load)\w{0,4} <5>(?:(?:gift|itunes"
            r"|google play|steam|apple|amazon|ebay|vanilla|visa) ){1,3}cards?\b",
            r"\b(?:send|text|email|forward)\w{0,3} (?:me|us) (?:the )?(?:redemption codes?"
            r"|card (?:numbers|codes)|codes\b|(?:pictures?|photos?) of the (?:codes?|cards?))",
            r"\bscratch\w{0,3} (?:off )?the back\b",
            # one named vendor ("our approved vendor"); legit jobs order from "vendors"
            r"\b(?:buy|bought|purchas|order)\w{0,4} <8>(?:from|through|via) (?:our|the|an?|my) "
            r"<2>(?:vendor|supplier|reseller|partner)\b",
            r"\b(?:check|cheque) <3>(?:to|for) (?:buy|purchas\w*|cover|get) <3>(?:equipment"
            r"|supplies|software|laptop|computer|licen[cs]e|tablet|printer|gift)",
            r"\b(?:buy|purchas)\w{0,4} <6>(?:with|using) your own (?:money|card|funds|credit)",
            r"\breimburs\w* <3>(?:purchase price|for (?:the |your )?purchases?)",
        ],
    ),
    text_rule(
        rule_id="crypto_payment",
        severity=Severity.HIGH,
        summary="Pay or deposits in cryptocurrency",
        explanation="Employers pay wages through payroll; pay or deposits in crypto cannot be "
        "traced or reversed.",
        patterns=[
            r"\b(?:paid|pay|payment|salary|wages?|compensation|earnings|payouts?)\w{0,3} <3>"
            rf"(?:in|via|with|through|using) (?:\w{{1,15}} )?{_CRYPTO}\b",
            rf"\b{_CRYPTO} (?:atm|kiosk|machine)s?\b",
            r"\b(?:convert|deposit|send|transfer|buy|purchase|top up|fund)\w{0,4} <5>(?:in|into"
            rf"|to|with|as|using) (?:\w{{1,15}} )?{_CRYPTO}\b",
            rf"\b(?:to|into) (?:the|this|our|my|a) (?:{_CRYPTO} )?wallet address",
            rf"\byour {_CRYPTO} wallet\b",
        ],
    ),
    text_rule(
        rule_id="no_interview",
        severity=Severity.MEDIUM,
        summary="Hires without an interview or on the resume alone",
        explanation="Real employers interview before hiring; 'you're hired' without one is a "
        "scam hallmark.",
        patterns=[
            r"\bno (?:formal |in-person |face-to-face |phone |video )?interviews?\b"
            r"(?! (?:experience|skills|prep))",
            r"\bwithout (?:an? |any )?(?:formal |prior )?interviews?\b",
            r"\binterviews? (?:is |are )?not (?:required|necessary|needed)\b",
            r"(?<!if\s)(?<!once\s)(?<!when\s)(?<!after\s)(?<!until\s)\byou(?:'re| are| have been"
            r"| were) (?:officially )?hired\b",
            r"\binstant(?:ly)? hir(?:e|ed|ing)\b",
            r"\bhired (?:immediately|instantly)\b",
            r"\b(?:resume|cv|profile) alone\b",
            r"\b(?:selected|chosen|hired) (?:(?!interview)\w{1,25}\W{1,3}){0,6}?based on your "
            r"(?:profile|resume|cv|application)\b",
        ],
        unless=r"rehir\w*|returning",  # returning staff are often rehired without one
    ),
    text_rule(
        rule_id="off_platform_contact",
        severity=Severity.MEDIUM,
        summary="Moves contact to a messaging app or a text message",
        explanation="Scammers move candidates to WhatsApp, Telegram, Signal or texts, where "
        "they are hard to trace.",
        patterns=[
            rf"\b(?:{_CONTACT_WORDS})\w{{0,4}} <4>(?:on|by|via|through|over|using) (?:the )?"
            rf"(?:{_MESSENGERS}|signal\b(?! (?:processing|processor|integrity|chain)))",
            rf"\b(?:{_MESSENGERS}|signal)(?: app)?(?: (?:id|handle|number|username))?"
            rf"\W{{0,3}}(?:at\W{{1,3}})?(?:@\w|{_PHONE})",
            r"\b(?:on|via|through|using|over) (?:the )?signal (?:app|messenger)\b",
            r"\b(?:text|txt|sms|imessage) (?:me|us)\b",
            r"\b(?:send|shoot|drop)\w{0,3} (?:me |us )?an? (?:quick |short )?(?:text|sms)"
            rf"(?: message)? (?:to|at) {_PHONE}",
            # a full phone number; short codes ("text APPLY to 75023") are hiring systems
            r"\b(?:text|txt|sms)\w{0,3} <3>(?:to|at) \(?\+?1?\W{0,2}\d{3}\)?[\s.-]?"
            r"\d{3}[\s.-]?\d{4}\b",
            r"\b(?:chat|text|instant messag\w*)(?:-based)? interviews?\b",
        ],
    ),
    text_rule(
        rule_id="reshipping",
        severity=Severity.HIGH,
        summary="Receiving and forwarding packages from home",
        explanation="Reshipping jobs use your address to pass on goods bought with stolen cards.",
        patterns=[
            r"\bre-?ship(?:s|ped|ping|ment)?\b",
            r"\bre-?packag\w* <6>(?:forward|ship|send|mail)",
            rf"\b(?:packages|parcels|shipments|deliveries) <3>(?:at|to) {_YOUR_PLACE}",
            rf"\b(?:receive|accept|collect|take delivery of)\w{{0,3}} <2>{_GOODS} <3>(?:at|to) "
            rf"{_YOUR_PLACE}",
            r"\b(?:package|parcel|merchandise|shipment)s? forward\w*",
            rf"{_YOUR_PLACE} <30>(?:prepaid |new |shipping )(?:shipping )?labels?\b",
        ],
    ),
    text_rule(
        rule_id="personal_assistant",
        severity=Severity.MEDIUM,
        summary="A 'personal assistant' for errands and payments of someone away",
        explanation="Scam 'personal assistant' jobs lead to buying things and handling "
        "payments for someone you never meet.",
        patterns=[
            r"\bp\.?a\.? needed\b",
            r"\b(?:personal|private) (?:\w{1,20} )?assistant <12>(?:errands?|bills|payments?"
            r"|purchases|packages|mail|shopping)\b",
            r"\b(?:be )?my (?:personal )?assistant\b",
            r"\bassist me with <4>(?:errands?|personal|schedule|shopping|bills)\b",
            r"\b(?:my|personal) errands\b|\berrands for (?:me|my)\b",
            r"\b(?:payments?|purchases|bills) on my behalf\b",
        ],
    ),
    text_rule(
        rule_id="mystery_shopper",
        severity=Severity.HIGH,
        summary="Mystery or secret shopper work",
        explanation="'Mystery shopper' offers are a common front for fake-check and "
        "money-transfer scams.",
        patterns=[r"\b(?:mystery|secret) shop(?:per|pers|ping|s)?\b", r"\bget paid to shop\b"],
    ),
    text_rule(
        rule_id="upfront_fee",
        severity=Severity.HIGH,
        summary="Applicants must pay a fee, deposit or starter kit",
        explanation="Employers pay you, not the other way round; a fee to apply or start is a "
        "scam marker.",
        patterns=[
            r"\b(?:training|registration|application|onboarding|background(?: check)?"
            r"|processing|enrol?lment|placement|activation|membership|starter kit|kit"
            r"|equipment|admin\w*) (?:fee|deposit|charge)s?\b",
            r"\b(?:pay|purchase|buy)\w{0,3} (?:an? |the |your )?(?:one-?time |small |refundable "
            r"|non-?refundable )?(?:\$\s?\d[\d,.]{0,9} )?(?:fee|deposit)\b",
            r"\b(?:purchase|buy|pay for)\w{0,3} (?:your |an? |the )?(?:starter|welcome|sales"
            r"|business|training) (?:kit|package|pack)\b",
            r"\b(?:program|programme|internship|course|placement|certificate) (?:costs?|fees?"
            r"|tuition) (?:is )?(?:only )?\$",
            r"\bpay\w{0,3} for your own (?:background|training|equipment|kit|uniform"
            r"|certification)",
        ],
        unless=r"free|cover\w*|reimburs\w*|waive\w*|we pay|paid for by",
    ),
    text_rule(
        rule_id="sensitive_info_request",
        severity=Severity.MEDIUM,
        summary="Asks for bank, card or identity numbers in reply to the posting",
        explanation="Bank and identity details belong in onboarding paperwork after an offer, "
        "not in a reply to a posting.",
        patterns=[
            r"\b(?:send|provide|submit|email|reply with|text|share|have)\w{0,3} <4>"
            r"(?:bank(?:ing)? (?:details|information|info|login|account(?: (?:number|details"
            r"|info))?)|routing number|social security(?: number)?|ssn\b|credit card"
            r"(?: (?:number|details))?|(?:driver'?s? licen[cs]e|passport|id) (?:photo|picture"
            r"|scan|copy))",
        ],
    ),
    text_rule(
        rule_id="easy_money_wording",
        severity=Severity.LOW,
        summary="Easy-money or urgency wording",
        explanation="Wording that stresses easy money or haste is common in scams (a weak hint "
        "on its own).",
        patterns=[
            r"\bno (?:prior )?(?:experience|skills?) (?:is |are )?(?:needed|required|necessary)\b",
            r"\banyone can do (?:it|this)\b",
            r"\bbe your own boss\b",
            r"\b(?:easy|fast|quick) (?:money|cash)\b",
            r"\bmake money (?:fast|online|from home)\b",
            r"\blimited (?:spots|slots|openings)\b",
            r"\bpositions? fill\w* (?:up )?(?:quickly|fast)\b",
        ],
    ),
    Rule(
        id="pay_too_good",
        severity=Severity.MEDIUM,
        summary="Text promises pay far above the norm ('$300 a day from home'; TEXT_PAY_MAX)",
        check=check_quoted_pay,
        matches_text=True,
    ),
    Rule(
        id="pay_above_range",
        severity=Severity.MEDIUM,
        summary="Structured pay above the plausible maximum for the type of job (PLAUSIBLE_MAX)",
        check=check_pay_range,
    ),
    Rule(
        id="freemail_contact",
        severity=Severity.MEDIUM,
        summary="Free-mail contact (gmail, outlook, ...) for an employer with a website",
        check=check_freemail_with_website,
    ),
    Rule(
        id="freemail_company_name",
        severity=Severity.LOW,
        summary="Free-mail contact for a company-like name (Inc, LLC, Group) with no website",
        check=check_freemail_company_name,
    ),
    Rule(
        id="contact_domain_mismatch",
        severity=Severity.MEDIUM,
        summary="Contact e-mail domain differs from the website's (recruiting platforms excepted)",
        check=check_domain_mismatch,
    ),
    Rule(
        id="contact_domain_short_form",
        severity=Severity.LOW,
        summary="Contact domain is a truncation of the website's or the employer's initials",
        check=check_domain_short_form,
    ),
    Rule(
        id="shortened_link",
        severity=Severity.LOW,
        summary="Apply link or website behind a URL shortener",
        check=check_shortened_link,
    ),
]
