"""Keys that tie requests together for the fraud-wave finder (pure)."""

from __future__ import annotations

import re

from bot.screening import host_of, is_freemail, registrable_domain

_DIGITS = re.compile(r"\D+")


def email_domain(email: str | None) -> str | None:
    """The organisation's domain of an address, or None for free-mail and malformed ones."""
    if not email or "@" not in email:
        return None
    host = host_of(email)
    if not host:
        return None
    domain = registrable_domain(host)
    return None if is_freemail(domain) else domain


def phone_key(phone: str | None) -> str | None:
    """The last ten digits of a phone number (country codes and punctuation ignored)."""
    if not phone:
        return None
    digits = _DIGITS.sub("", phone)
    return digits[-10:] if len(digits) >= 7 else None


def url_domain(url: str | None) -> str | None:
    if not url:
        return None
    host = host_of(url)
    return registrable_domain(host) if host else None
