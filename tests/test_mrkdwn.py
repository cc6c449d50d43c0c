"""The one escaping function: nothing untrusted becomes Slack markup."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.mrkdwn import ELLIPSIS, cut, escape, is_person_id, mention, plain, untrusted


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_escape_follows_slacks_rule() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert escape("&lt;!here&gt;") == "&amp;lt;!here&amp;gt;"
    assert escape("plain text, *bold*") == "plain text, *bold*"


def test_disguising_marks_are_dropped() -> None:
    assert escape("a\u202eb\u200bc") == "abc"


def test_untrusted_cuts_to_the_limit_without_splitting_an_entity() -> None:
    text = "<" * 100
    out = untrusted(text, 50)
    assert len(out) <= 50 and out.endswith(ELLIPSIS)
    assert re.fullmatch(r"(&lt;)+…", out)


def test_cut_does_not_split_our_own_tokens() -> None:
    markup = "x" * 40 + "<!date^1700000000^{date}|2023-11-14>"
    out = cut(markup, 50)
    assert out == "x" * 40 + ELLIPSIS


def test_plain_is_one_line_and_never_empty() -> None:
    assert plain("a\n\nb", 10) == "a b"
    assert plain("   ", 10) == "—"


def test_mentions_only_for_real_ids() -> None:
    assert mention("U012ABC") == "<@U012ABC>"
    assert mention("auto") == "jobgate (automatic)"
    assert mention("<!channel>") == "&lt;!channel&gt;"


@settings(max_examples=500)
@given(st.text())
def test_escaped_text_has_no_markup_and_round_trips(text: str) -> None:
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert re.search(r"&(?!amp;|lt;|gt;)", escaped) is None
    kept = re.sub(r"[\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]", "", text)
    assert unescape(escaped) == kept


@settings(max_examples=300)
@given(st.text(), st.integers(min_value=2, max_value=300))
def test_untrusted_respects_any_limit(text: str, limit: int) -> None:
    out = untrusted(text, limit)
    assert len(out) <= limit
    assert "<" not in out and ">" not in out
    assert re.search(r"&(?!amp;|lt;|gt;)", out) is None


@pytest.mark.parametrize(
    ("user_id", "person"),
    [
        ("U0123ABC", True),
        ("W0123ABC", True),
        ("B0123ABC", False),
        ("", False),
        (None, False),
        ("u0123abc", False),
        ("U1", False),
        ("U0123 <!channel>", False),
    ],
)
def test_a_direct_message_goes_only_to_a_persons_id(user_id: str | None, person: bool) -> None:
    assert is_person_id(user_id) is person


def test_cut_keeps_a_bare_ampersand_of_our_own_and_drops_only_half_entities() -> None:
    # "Trust & safety" is jobgate's own wording; cutting after it must not lose the rest
    text = "*Trust & safety:* 3 actions\n" + "• report on a job " * 300
    cut_text = cut(text, 3000)
    assert cut_text.startswith("*Trust & safety:* 3 actions\n• report")
    assert len(cut_text) == 3000 and cut_text.endswith(ELLIPSIS)
    # an entity cut in half is still dropped whole
    assert cut("ab &amp; cd", 7) == "ab" + ELLIPSIS
    assert cut("ab & cd & ef", 10) == "ab & cd" + ELLIPSIS
