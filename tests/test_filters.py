"""The filter language: parsing, errors, canonical text, and properties (pure, no fakes)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.filters import (
    KEYS,
    Age,
    Choice,
    Filter,
    FilterError,
    RiskLevel,
    format_filter,
    parse_filter,
)
from bot.models import Kind, State


def test_every_key_in_one_filter() -> None:
    f = parse_filter(
        'kind:job state:pending location:austin industry:software size:51-200 label:"White Glove"'
        " employer:acme age:>3d risk:medium+ flagged:yes duplicate:no trusted:yes data analyst"
    )
    assert f == Filter(
        kind=Kind.JOB,
        states=(State.PENDING,),
        location="austin",
        industry="software",
        size="51-200",
        labels=("White Glove",),
        employer="acme",
        older_than=Age(amount=3, unit="d"),
        risk=(RiskLevel.MEDIUM, RiskLevel.HIGH),
        flagged=Choice.YES,
        duplicate=Choice.NO,
        trusted=Choice.YES,
        words=("data", "analyst"),
    )


def test_defaults_are_every_pending_request() -> None:
    assert parse_filter("") == Filter()
    assert Filter().states == (State.PENDING,)
    assert format_filter(Filter()) == "state:pending"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("state:any", tuple(State)),
        ("state:on_hold,pending", (State.PENDING, State.ON_HOLD)),
        ("state:held", (State.ON_HOLD,)),
        ("STATE:Approved", (State.APPROVED,)),
    ],
)
def test_states(text: str, expected: tuple[State, ...]) -> None:
    assert parse_filter(text).states == expected


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("risk:medium+", ("medium", "high"), "risk:medium+"),
        ("risk:low+", ("low", "medium", "high"), "risk:low+"),
        ("risk:high+", ("high",), "risk:high"),
        ("risk:none", ("none",), "risk:none"),
        ("risk:none,high", ("none", "high"), "risk:none,high"),
        ("risk:none+", ("none", "low", "medium", "high"), "risk:any"),
        ("risk:any", ("none", "low", "medium", "high"), "risk:any"),
    ],
)
def test_risk_levels(text: str, expected: tuple[str, ...], canonical: str) -> None:
    f = parse_filter(text)
    assert f.risk == tuple(RiskLevel(r) for r in expected)
    assert format_filter(f) == f"state:pending {canonical}"


def test_age_in_both_directions() -> None:
    f = parse_filter("age:>2w age:<12h")
    assert f.older_than == Age(amount=2, unit="w") and f.older_than.delta == timedelta(weeks=2)
    assert f.newer_than == Age(amount=12, unit="h")
    assert format_filter(f) == "state:pending age:>2w age:<12h"


def test_quoted_values_and_words() -> None:
    f = parse_filter('label:"White  Glove" label:alumni “big data” employer:"Acme \\"AI\\""')
    assert f.labels == ("White Glove", "alumni")
    assert f.words == ("big data",)
    assert f.employer == 'Acme "AI"'
    assert parse_filter(format_filter(f)) == f


def test_yes_no_any() -> None:
    f = parse_filter("flagged:no duplicate:any trusted:true")
    assert (f.flagged, f.duplicate, f.trusted) == (Choice.NO, Choice.ANY, Choice.YES)


def test_labels_repeat_and_dedupe_case_insensitively() -> None:
    assert parse_filter("label:Alumni label:alumni label:Local").labels == ("Alumni", "Local")


@pytest.mark.parametrize(
    ("text", "term", "says"),
    [
        ("colour:red", "colour:red", "unknown key `colour`"),
        ("kind:job http://x", "http://x", "put it in quotes"),
        ("kind:robot", "kind:robot", "job, employer or any"),
        ("state:open", "state:open", "pending"),
        ("age:3d", "age:3d", "age:>3d"),
        ("age:>0d", "age:>0d", "age:>3d"),
        ("age:>3y", "age:>3y", "h, d or w"),
        ("risk:huge", "risk:huge", "medium+"),
        ("flagged:maybe", "flagged:maybe", "yes, no or any"),
        ("location:", "location:", "needs a value"),
        ('label:"White Glove', '"White Glove', "not closed"),
        ('"big"data', '"big"d', "space after the closing quote"),
        ("kind:job kind:employer", "kind:employer", "given twice"),
        ("age:>1d age:>2d", "age:>2d", "given twice"),
        ("employer:" + "x" * 101, "employer:" + "x" * 101, "longer than 100"),
    ],
)
def test_errors_name_the_term(text: str, term: str, says: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(text)
    assert caught.value.term == term
    assert says in str(caught.value)
    assert f"`{term}`" in str(caught.value)
    assert caught.value.valid_keys == KEYS


def test_unknown_key_lists_the_valid_keys() -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter("colour:red")
    assert all(key in str(caught.value) for key in KEYS)


def test_the_model_keeps_values_canonical() -> None:
    f = Filter(states=(State.ON_HOLD, State.PENDING), risk=(RiskLevel.HIGH, RiskLevel.NONE))
    assert f.states == (State.PENDING, State.ON_HOLD)
    assert f.risk == (RiskLevel.NONE, RiskLevel.HIGH)
    with pytest.raises(ValidationError):
        Filter(location="   ")
    with pytest.raises(ValidationError):
        Filter(states=())


# -- properties -------------------------------------------------------------------------------

texts = st.text(min_size=1, max_size=25)
choices = st.none() | st.sampled_from(Choice)
ages = st.none() | st.builds(Age, amount=st.integers(1, 9999), unit=st.sampled_from("hdw"))


@st.composite
def filters(draw: st.DrawFn) -> Filter:
    fields = {
        "kind": draw(st.none() | st.sampled_from(Kind)),
        "states": tuple(draw(st.sets(st.sampled_from(State), min_size=1))),
        "employer": draw(st.none() | texts),
        "location": draw(st.none() | texts),
        "industry": draw(st.none() | texts),
        "size": draw(st.none() | texts),
        "labels": tuple(draw(st.lists(texts, max_size=3))),
        "older_than": draw(ages),
        "newer_than": draw(ages),
        "risk": draw(st.none() | st.sets(st.sampled_from(RiskLevel), min_size=1).map(tuple)),
        "flagged": draw(choices),
        "duplicate": draw(choices),
        "trusted": draw(choices),
        "ids": draw(
            st.none()
            | st.lists(st.integers(1, 10**6), min_size=1, max_size=5, unique=True).map(tuple)
        ),
        "words": tuple(draw(st.lists(texts, max_size=4))),
    }
    try:
        return Filter.model_validate(fields)
    except ValidationError:
        assume(False)
        raise


@given(filters())
def test_format_then_parse_gives_the_same_filter(f: Filter) -> None:
    assert parse_filter(format_filter(f)) == f


FRAGMENTS = st.sampled_from(
    [*(f"{k}:" for k in KEYS), "age:>", "age:<", "3d", "risk:low+", '"', "“", "\\", ",", " ", "+"]
)


@given(st.lists(FRAGMENTS | st.text(max_size=8), max_size=12).map("".join) | st.text())
def test_parse_raises_only_filter_errors(text: str) -> None:
    try:
        parsed = parse_filter(text)
    except FilterError:
        return
    assert parse_filter(format_filter(parsed)) == parsed
