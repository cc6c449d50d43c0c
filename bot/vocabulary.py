"""Rules for the vocabularies admins curate: label names and decline reasons (pure)."""

from __future__ import annotations

import re

LABEL_NAME_MAX = 40
REASON_LABEL_MAX = 75  # the label is an option's text in the Decline modal
REASON_MESSAGE_MAX = 1500
MAX_ACTIVE_REASONS = 100  # a select offers at most 100 options

_REASON_CODE = re.compile(r"^[a-z][a-z0-9_]{2,39}$")
_LABEL_NAME = re.compile(r"^[\w][\w &'’.()/+-]*$")


class VocabularyError(ValueError):
    """A name, code or text that cannot be used; the message says why, for people."""


def one_line(text: str) -> str:
    """Whitespace collapsed to single spaces, trimmed."""
    return " ".join(text.split())


def check_label_name(text: str) -> str:
    """The label name to store, or VocabularyError."""
    name = one_line(text).strip("\"'“”‘’")
    if not name:
        raise VocabularyError("Give the label a name.")
    if len(name) > LABEL_NAME_MAX:
        raise VocabularyError(f"A label name has at most {LABEL_NAME_MAX} characters.")
    if not _LABEL_NAME.match(name):
        raise VocabularyError(
            "A label name starts with a letter or digit and uses letters, digits, spaces "
            "and & ' . ( ) / + - only."
        )
    return name


def check_reason_code(code: str) -> str:
    if not _REASON_CODE.match(code):
        raise VocabularyError(
            "A reason code is 3 to 40 characters: lowercase letters, digits and _, "
            "starting with a letter (e.g. `unpaid_internship`)."
        )
    return code


def check_reason_label(text: str) -> str:
    label = one_line(text)
    if not 1 <= len(label) <= REASON_LABEL_MAX:
        raise VocabularyError(f"The label needs 1 to {REASON_LABEL_MAX} characters.")
    return label


def check_reason_message(text: str) -> str:
    message = text.strip()
    if not 1 <= len(message) <= REASON_MESSAGE_MAX:
        raise VocabularyError(
            f"The message to employers needs 1 to {REASON_MESSAGE_MAX} characters."
        )
    return message
