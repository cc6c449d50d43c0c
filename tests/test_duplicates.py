from __future__ import annotations

import random
import subprocess
import sys
import zlib
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.duplicates import (
    NUM_PERM,
    DuplicateMatch,
    Fingerprint,
    candidate_probability,
    compare_postings,
    description_similarity,
    estimated_similarity,
    find_near_identical,
    find_original,
    fingerprint,
    is_duplicate,
    jaccard,
    lsh_bands,
    shingles,
    title_key,
)

ROOT = Path(__file__).resolve().parents[1]
SYLLABLES = [c + v for c in "bdklm" for v in "aeiou"]
VOCABULARY = [a + b + c for a in SYLLABLES for b in SYLLABLES for c in ("", "n", "r")]

INTRO = (
    "Northwind Analytics is a fast growing software company in Columbus that helps regional "
    "hospitals plan staffing with data. We are a team of forty people who care about clear "
    "writing, careful testing and kind code review, and we mentor every intern one to one."
)
DUTIES_BACKEND = (
    "As an intern on the platform team you will design and build REST endpoints in Python, "
    "write database migrations for PostgreSQL, profile slow queries and add indexes, extend "
    "our integration test suite, and present a short demo of your work to the whole company "
    "at the end of the summer. You will pair with a senior engineer on on-call shadowing."
)
DUTIES_FRONTEND = (
    "As an intern on the product team you will build accessible React components in "
    "TypeScript, turn Figma mockups into responsive pages, run usability sessions with nurses "
    "and schedulers, fix layout bugs reported by customers, and write Storybook stories and "
    "visual regression tests. You will pair with a designer on a redesign of the reports page."
)
OUTRO = (
    "Pay is $28 per hour, with a laptop, a transit pass and lunch on Fridays. Northwind is an "
    "equal opportunity employer. Apply with a resume and a link to a project you are proud of."
)


def words(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(VOCABULARY) for _ in range(n)]


def text(n: int, seed: int) -> str:
    return " ".join(words(n, seed))


# ---------------------------------------------------------------- descriptions


def test_whitespace_case_and_punctuation_changes_are_duplicates() -> None:
    original = f"{INTRO}\n\n{DUTIES_BACKEND}\n\n{OUTRO}"
    reformatted = f"  {INTRO.upper()}   {DUTIES_BACKEND.replace(',', ' ;')}\t{OUTRO}!! "
    assert description_similarity(original, reformatted) == 1.0
    assert is_duplicate("Software Intern", original, "Software Intern", reformatted)


def test_markup_and_unicode_forms_are_normalized() -> None:
    plain = "Don't miss this: café hours & pay, résumé required."
    marked = "<p>Don’t miss <b>this</b>:</p> CAFÉ hours &amp; pay — ｒésumé required"
    assert shingles(plain) == shingles(marked)


def test_one_word_in_two_hundred_changed_is_a_duplicate() -> None:
    old = words(200, seed=1)
    new = list(old)
    new[100] = "changed"
    match = compare_postings("Data Analyst", " ".join(new), "Data Analyst", " ".join(old))
    assert 0.9 <= match.similarity < 1.0
    assert match.is_duplicate()
    assert match.describe() == f"{match.percent}% identical description"


def test_same_template_with_different_duties_is_not_a_duplicate() -> None:
    backend = f"{INTRO} {DUTIES_BACKEND} {OUTRO}"
    frontend = f"{INTRO} {DUTIES_FRONTEND} {OUTRO}"
    match = compare_postings("Software Intern", backend, "Software Intern", frontend)
    assert 0.2 < match.similarity < 0.9
    assert not is_duplicate(
        "Software Engineering Intern", backend, "Software Engineering Intern", frontend
    )


def test_a_different_title_is_never_a_duplicate() -> None:
    body = f"{INTRO} {DUTIES_BACKEND} {OUTRO}"
    assert not is_duplicate("Software Engineer Intern", body, "Software Engineering Intern", body)


def test_short_texts_fall_back_to_one_shingle() -> None:
    assert shingles("Great pay!") == {zlib.crc32(b"great pay")}
    assert is_duplicate("Cashier", "Great pay!", "Cashier", "great   PAY")
    assert not is_duplicate("Cashier", "Great pay", "Cashier", "Great job")
    assert len(shingles("one two three four five")) == 1
    assert len(shingles("one two three four five six")) == 2


def test_shingle_hashes_are_stable_across_processes() -> None:
    # Stored fingerprints depend on these exact values: change them only with SCHEME_VERSION.
    assert shingles("A b, c  d E") == {zlib.crc32(b"a b c d e")}
    bands = lsh_bands(fingerprint("Data Analyst", f"{INTRO} {DUTIES_BACKEND} {OUTRO}"))
    assert bands[0] == "00e98b443df11f70f1"
    assert bands[-1] == "0f66724199f22ed64e"


@pytest.mark.parametrize("empty", [None, "", "   ", "<p></p>", "!!! ..."])
def test_empty_descriptions_with_the_same_title_are_duplicates(empty: str | None) -> None:
    match = compare_postings("Barista (Remote)", empty, "Barista", None)
    assert match == DuplicateMatch(similarity=1.0, same_title=True, both_empty=True)
    assert match.is_duplicate()
    assert match.describe() == "same title, both descriptions empty"
    assert not is_duplicate("Barista", empty, "Barista", "Pull espresso shots all morning.")
    assert lsh_bands(fingerprint("Barista", empty)) == []


@pytest.mark.parametrize(
    "hostile",
    ["<a" * 50_000, "<a href=" + "x" * 100_000, "&amp;" * 20_000, "req" + " \t" * 20_000 + "x"],
)
def test_hostile_input_stays_linear(hostile: str) -> None:
    # Catastrophic backtracking would hang here until the per-test timeout.
    assert title_key(hostile) is not None
    assert fingerprint(hostile, hostile).shingle_count >= 0


def test_lone_surrogates_from_json_are_dropped() -> None:
    fp = fingerprint("Data\ud800 Analyst", "Caf\u00e9 \ud800 hours are long")
    assert fp.title_key == "data analyst"
    assert fp == fingerprint("Data Analyst", "Café hours are long")
    assert Fingerprint.from_bytes(fp.to_bytes()) == fp


def test_percent_rounds_down() -> None:
    assert DuplicateMatch(0.8999, same_title=True).percent == 89
    assert not DuplicateMatch(0.8999, same_title=True).is_duplicate()
    assert DuplicateMatch(0.97, same_title=True).describe() == "97% identical description"
    assert DuplicateMatch(0.29, same_title=True).percent == 29


def row(job_id: str, title: str, description: str | None) -> tuple[str, bytes, str | None]:
    return job_id, fingerprint(title, description).to_bytes(), description


def test_find_original_picks_the_most_similar_job_with_the_same_title() -> None:
    body = " ".join(words(150, seed=3))
    edited = body.replace(body.split()[10], "edited", 1)
    rows = [
        row("edited", "Data Analyst", edited),
        row("other-title", "Data Scientist", body),
        row("exact", "Data Analyst (Remote)", body),
        row("also-exact", "Data Analyst", body),
        row("unrelated", "Data Analyst", text(150, seed=4)),
    ]
    found = find_original(fingerprint("Data Analyst #12", body), rows)
    assert found == ("exact", DuplicateMatch(1.0, same_title=True))
    assert find_original(fingerprint("Data Analyst", text(150, seed=5)), rows) is None


def test_find_original_with_empty_descriptions() -> None:
    rows = [row("full", "Barista", "Pull espresso shots"), row("blank", "Barista", "  ")]
    found = find_original(fingerprint("Barista", None), rows)
    assert found == ("blank", DuplicateMatch(1.0, same_title=True, both_empty=True))


def test_find_original_verifies_rows_of_another_scheme_exactly() -> None:
    body = " ".join(words(150, seed=8))
    stale = b"\x00" + fingerprint("Data Analyst", body).to_bytes()[1:]
    found = find_original(fingerprint("Data Analyst", body), [(7, stale, body)])
    assert found == (7, DuplicateMatch(1.0, same_title=True))


def test_find_original_needs_a_fresh_fingerprint() -> None:
    stored = Fingerprint.from_bytes(fingerprint("Data Analyst", "some text").to_bytes())
    with pytest.raises(ValueError, match="fingerprint"):
        find_original(stored, [])


def test_find_near_identical_ignores_titles_and_orders_by_similarity() -> None:
    body = " ".join(words(150, seed=6))
    edited = body.replace(body.split()[70], "edited", 1)
    rows = [
        (1, fingerprint("Nurse", text(150, seed=7)), text(150, seed=7)),
        (2, fingerprint("Tutor", edited), edited),
        (3, fingerprint("Remote Assistant", body), body),
        (4, fingerprint("Remote Assistant", None), None),
    ]
    assert [job for job, _ in find_near_identical(fingerprint("Assistant", body), rows)] == [3, 2]
    assert find_near_identical(fingerprint("Assistant", ""), rows) == []


# ---------------------------------------------------------------- titles


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("Software Engineer (Remote)", "software engineer"),
        ("Software Engineer - URGENT", "software engineer"),
        ("URGENT: Software Engineer", "software engineer"),
        ("Remote Software Engineer", "software engineer"),
        ("Summer 2026 Software Engineering Intern", "software engineering intern"),
        ("Software Engineering Internship – Summer 2026", "software engineering intern"),
        ("Data Analyst #1234", "data analyst"),
        ("Data Analyst (Req 5678)", "data analyst"),
        ("Data Analyst - Job ID: JR-991", "data analyst"),
        ("Data Analyst R-12345", "data analyst"),
        ("[Hybrid] Data Analyst req# 4455", "data analyst"),
        ("Ｄａｔａ　Ａｎａｌｙｓｔ", "data analyst"),
        ("Sr. Data Analyst", "senior data analyst"),
        ("Research & Development Intern", "research and development intern"),
        ("Director’s Assistant", "directors assistant"),
        ("Vertriebsmitarbeiter (m/w/d)", "vertriebsmitarbeiter"),
        ("COVID-19 Tester", "covid 19 tester"),
        ("C++ Developer", "c++ developer"),
        ("Urgent Care Nurse", "urgent care nurse"),
        ("Spring Boot Developer", "spring boot developer"),
        ("Spring 2026 Research Assistant", "research assistant"),
        ("Software Engineer | Boston, MA", "software engineer boston ma"),
        ("Summer 2026", "summer 2026"),
        ("", ""),
        (None, ""),
    ],
)
def test_title_key(title: str | None, key: str) -> None:
    assert title_key(title) == key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Software Engineer Intern", "Software Engineering Intern"),
        ("Engineer II", "Engineer III"),
        ("C++ Developer", "C# Developer"),
        ("Part-time Cashier", "Full-time Cashier"),
        ("Software Engineer - Boston", "Software Engineer - Denver"),
        ("Data Analyst", "Data Scientist"),
    ],
)
def test_different_titles_keep_different_keys(a: str, b: str) -> None:
    assert title_key(a) != title_key(b)


@given(
    st.lists(
        st.sampled_from(["data", "analyst", "software", "engineer", "ii", "intern"]), min_size=1
    )
)
def test_title_key_ignores_case_spacing_and_noise(tokens: list[str]) -> None:
    title = " ".join(tokens)
    assert title_key(f"  {title.upper()}   (Remote) - #8841 ") == title_key(title)


# ---------------------------------------------------------------- fingerprints and LSH


def test_fingerprint_bytes_round_trip() -> None:
    for fp in (
        fingerprint("Café Manager (Remote)", f"{INTRO} {OUTRO}"),
        fingerprint("Barista", None),
        fingerprint("", "short"),
    ):
        blob = fp.to_bytes()
        assert Fingerprint.from_bytes(blob) == fp
        assert len(blob) <= 9 + len(fp.title_key.encode()) + 4 * NUM_PERM


def test_fingerprint_from_bytes_refuses_bad_data() -> None:
    blob = fingerprint("Barista", "Pull espresso shots").to_bytes()
    with pytest.raises(ValueError, match="scheme"):
        Fingerprint.from_bytes(b"\x63" + blob[1:])
    with pytest.raises(ValueError, match="size"):
        Fingerprint.from_bytes(blob[:-1])
    with pytest.raises(ValueError, match="short"):
        Fingerprint.from_bytes(b"\x01")


def test_estimated_similarity_of_empty_descriptions() -> None:
    empty, other = fingerprint("a", ""), fingerprint("a", "some words here")
    assert estimated_similarity(empty, fingerprint("b", None)) == 1.0
    assert estimated_similarity(empty, other) == 0.0


def test_s_curve_separates_near_identical_from_related() -> None:
    assert candidate_probability(0.9) > 0.999
    assert candidate_probability(0.8) > 0.9
    assert candidate_probability(0.5) < 0.07
    assert candidate_probability(0.3) < 0.002


def test_lsh_finds_a_near_identical_text_among_five_thousand() -> None:
    index: defaultdict[str, set[int]] = defaultdict(set)
    corpus = {}
    for job in range(5_000):
        corpus[job] = words(random.Random(job).randint(80, 200), seed=job)
        for band in lsh_bands(fingerprint("any", " ".join(corpus[job]))):
            index[band].add(job)

    def candidates(description: str) -> set[int]:
        return set().union(*(index[band] for band in lsh_bands(fingerprint("x", description))))

    found = 0
    unrelated = 0
    for target in range(0, 5_000, 25):
        edited = list(corpus[target])
        edited[len(edited) // 2] = "edited"
        hits = candidates(" ".join(edited))
        found += target in hits
        unrelated += len(hits - {target})
    assert found == 200
    assert unrelated <= 5
    assert candidates(text(150, seed=99_999)) <= {99_999}


# ---------------------------------------------------------------- properties

int_sets = st.frozensets(st.integers(min_value=0, max_value=2**32 - 1), max_size=60)


@given(int_sets, int_sets)
def test_jaccard_is_symmetric_and_bounded(a: frozenset[int], b: frozenset[int]) -> None:
    assert jaccard(a, b) == jaccard(b, a)
    assert 0.0 <= jaccard(a, b) <= 1.0
    assert jaccard(a, a) == 1.0


any_text = st.text(st.characters(exclude_categories=()), max_size=400)  # surrogates too


@settings(deadline=None)
@given(any_text, any_text)
def test_a_posting_is_a_duplicate_of_itself(title: str, description: str) -> None:
    assert is_duplicate(title, description, title, description)
    fp = fingerprint(title, description)
    assert estimated_similarity(fp, fp) == 1.0
    assert Fingerprint.from_bytes(fp.to_bytes()) == fp


@st.composite
def mutated_pairs(draw: st.DrawFn) -> tuple[str, str]:
    vocabulary = st.sampled_from(VOCABULARY)
    original = draw(st.lists(vocabulary, min_size=20, max_size=300))
    edited = list(original)
    for _ in range(draw(st.integers(min_value=0, max_value=len(original) // 3))):
        position = draw(st.integers(min_value=0, max_value=len(edited) - 1))
        operation = draw(st.sampled_from(["replace", "insert", "delete"]))
        if operation == "replace":
            edited[position] = draw(vocabulary)
        elif operation == "insert":
            edited.insert(position, draw(vocabulary))
        elif len(edited) > 1:
            del edited[position]
    return " ".join(original), " ".join(edited)


# Derandomized: a statistical bound (~3.5 standard deviations at 128 values) must not flake.
@settings(deadline=None, derandomize=True, max_examples=200)
@given(mutated_pairs())
def test_estimated_similarity_tracks_exact_jaccard(pair: tuple[str, str]) -> None:
    a, b = pair
    exact = description_similarity(a, b)
    estimate = estimated_similarity(fingerprint("t", a), fingerprint("t", b))
    assert abs(estimate - exact) <= 0.15


# ---------------------------------------------------------------- benchmark


def test_benchmark_runs_tiny() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "bench_duplicates.py"),
            "--jobs",
            "400",
            "--new",
            "40",
        ],
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "cross-employer LSH" in result.stdout
    assert "recall" in result.stdout
