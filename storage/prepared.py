"""A submission's stored columns, worked out before the write transaction.

Pure functions over the validated models: no SQL and no connection, so the single database
writer spends its time on SQL, and a large array can be prepared in another process
(`bot/parse_process.py`). A `Prepared` is a tuple of plain values: it crosses a process
boundary in about 3 µs (a pydantic model took about fifty).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from bot.clock import to_db
from bot.matching import email_domain, phone_key, url_domain
from bot.models import EmployerStatus
from bot.submissions import ContactIn, EmployerSubmission, JobSubmission

# (upstream key, name, email, phone, email domain, phone key)
ContactRow = tuple[str, str | None, str | None, str | None, str | None, str | None]
# (upstream id, name, name key, status, website, industry, size, location)
EmployerRow = tuple[str, str, str, str, str | None, str | None, str | None, str | None]


class Prepared(NamedTuple):
    upstream_id: str
    # the employer a new employer row is made from, if its upstream id is not known yet: an
    # employer request's own profile, or the employer a job names (unreviewed)
    employer: EmployerRow
    title: str
    location: str | None
    apply_domain: str | None
    payload: str
    requested_at: str | None
    contact: ContactRow | None

    @property
    def employer_key(self) -> str:
        return self.employer[0]


def name_key(name: str) -> str:
    return " ".join(name.casefold().split())[:200]


def prepare(submissions: Sequence[EmployerSubmission | JobSubmission]) -> list[Prepared]:
    return [_prepared(submission) for submission in submissions]


def _prepared(submission: EmployerSubmission | JobSubmission) -> Prepared:
    if isinstance(submission, EmployerSubmission):
        title, apply_domain = submission.name, None
    else:
        title, apply_domain = submission.title, url_domain(submission.apply_url)
    return Prepared(
        upstream_id=submission.id,
        employer=_employer_row(submission),
        title=title,
        location=submission.location,
        apply_domain=apply_domain,
        payload=submission.model_dump_json(),
        requested_at=to_db(submission.requested_at) if submission.requested_at else None,
        contact=_contact_row(submission.contact),
    )


def _employer_row(submission: EmployerSubmission | JobSubmission) -> EmployerRow:
    if isinstance(submission, EmployerSubmission):
        return (
            submission.id,
            submission.name,
            name_key(submission.name),
            EmployerStatus.PENDING.value,
            submission.website,
            submission.industry,
            submission.size,
            submission.location,
        )
    name = submission.employer.name or submission.employer.id
    upstream_id = submission.employer.id
    return (
        upstream_id,
        name,
        name_key(name),
        EmployerStatus.UNREVIEWED.value,
        None,
        None,
        None,
        None,
    )


def _contact_row(contact: ContactIn | None) -> ContactRow | None:
    if contact is None:
        return None
    key = contact.id or (f"email:{contact.email.casefold()}" if contact.email else None)
    if key is None:
        return None
    return (
        key,
        contact.name,
        contact.email,
        contact.phone,
        email_domain(contact.email),
        phone_key(contact.phone),
    )
