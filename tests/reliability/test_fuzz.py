"""Hostile input, fuzzed.

Hypothesis drives correctly signed requests into one running jobgate per test (the real bot on
loopback, the fake Slack and platform of `bot/sandbox/`, a real SQLite file), on one event
loop, example after example:

* the inbound API (`POST /api/v1/employers|jobs|reports`): arbitrary JSON values, documents
  with fields of the wrong type, out of range, missing or unknown, huge, unicode and
  control-character strings (lone surrogates included), arrays mixing good and bad items,
  and bodies that are not JSON at all. Never a 5xx; a 400 names every field it refuses;
  nothing is stored for a refused call; what is accepted can be read back, screened and
  carded; never an ERROR logged by jobgate.
* every Slack payload jobgate handles: block_actions for each action id of
  `handlers/ids.py` and the Home, view_submission for each modal callback id, `/jobgate` with
  fuzzed text for each subcommand, `message` / `app_mention` / `app_home_opened` events and
  the message shortcut, with junk values and references to requests that do not exist.
  Never a 5xx, never an ERROR logged, no stored state changed by garbage (only refusals are
  recorded), every message and view jobgate sends valid Block Kit.
* hostile text (mentions, links, formatting, fences, bidi overrides, zero-width characters,
  10,000 characters) ingested through the API: every message and view jobgate sends keeps
  it literal (no `<!channel>`, `<!here>`, `<!everyone>`, no foreign mention, no link made
  from it) and is valid Block Kit.

The harness is shared by the examples of a test, so a failing example may leave state that
makes later ones fail (one poisoned request blocks all screening, for instance): shrinking
would chase those, so it is off. The first failing example is reported as drawn (long values
shortened in its repr), and the assertion says what went wrong. Known hostile cases are
`@example`s, tried first on every run (`JOBGATE_FUZZ_RANDOM_ONLY=1` skips them, to look past
a known failure). `JOBGATE_FUZZ_SCALE=10` multiplies every example count.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import logging
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from bot.models import Kind
from bot.sandbox.fake_platform import PlatformAnswer
from bot.sandbox.fake_slack import BotAnswer
from bot.sandbox.workspace import Message, OpenView
from handlers import ids
from handlers.blocks import home as home_blocks
from tests.harness import (
    ADMIN,
    OTHER_TEAM,
    OUTSIDER,
    REVIEW_CHANNEL,
    REVIEWERS,
    STAFF,
    Harness,
    decline_form,
    employer,
    job,
    start_harness,
    stop_harness,
    text_input,
)
from tests.reliability.support import bot_errors, flag, knob, report
from tests.test_blocks import valid_message, valid_view
from tests.test_hostile_text import all_texts

T = TypeVar("T")

SCALE = max(1, knob("JOBGATE_FUZZ_SCALE", 1))
RANDOM_ONLY = flag("JOBGATE_FUZZ_RANDOM_ONLY")  # skip the known hostile cases (to look past them)
STEP_TIMEOUT_S = 60.0  # one example, generous: other tests share this machine
CARD_TIMEOUT_S = 20.0

EMPLOYERS, JOBS, REPORTS = "/api/v1/employers", "/api/v1/jobs", "/api/v1/reports"
ENDPOINTS = {"employer": EMPLOYERS, "job": JOBS, "report": REPORTS}

# -- running one harness under hypothesis ----------------------------------------------------


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        phases=(Phase.generate,) if RANDOM_ONLY else (Phase.explicit, Phase.generate),
        database=None,
        print_blob=True,
        report_multiple_bugs=False,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,
        ],
    )


@dataclass
class Driven:
    """One started harness and the event loop it runs on; examples run in it one by one."""

    runner: asyncio.Runner
    h: Harness
    db: sqlite3.Connection
    caplog: pytest.LogCaptureFixture
    tried: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def run(self, step: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(asyncio.wait_for(step, STEP_TIMEOUT_S))

    def count(self, outcome: str) -> None:
        self.tried += 1
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


@contextmanager
def driven(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Driven]:
    caplog.set_level(logging.WARNING)
    with asyncio.Runner() as runner:
        h = runner.run(start_harness(tmp_path))
        db = sqlite3.connect(tmp_path / "jobgate.db", timeout=30)
        try:
            yield Driven(runner, h, db, caplog)
        finally:
            db.close()
            runner.run(stop_harness(h))


def errors_since(d: Driven, start: int) -> list[str]:
    """ERROR records jobgate logged since `start`, each with its exception, in one line."""
    found = []
    for record in bot_errors(d.caplog.records[start:]):
        line = f"{record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            line += f" [{type(record.exc_info[1]).__name__}: {str(record.exc_info[1])[:200]}]"
        found.append(line)
    return found


class Brief:
    """Shown shortened in hypothesis' failure reports (its printer uses `_repr_pretty_`)."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


@dataclass(frozen=True, repr=False)
class Raw(Brief):
    """A body sent as it is."""

    body: str | bytes

    def __repr__(self) -> str:
        return f"Raw({brief(self.body)})"


def brief(value: Any, depth: int = 0) -> str:
    """A short repr: long strings and deep containers shortened (for failure reports)."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 48 else f"<str of {len(value)}: {value[:24]!r}…>"
    if isinstance(value, bytes):
        return repr(value) if len(value) <= 48 else f"<bytes of {len(value)}: {value[:24]!r}…>"
    if depth > 2:
        return "…"
    if isinstance(value, dict):
        inner = ", ".join(
            f"{brief(k, 3)}: {brief(v, depth + 1)}" for k, v in list(value.items())[:6]
        )
        return "{" + inner + (", …" if len(value) > 6 else "") + "}"
    if isinstance(value, list | tuple):
        inner = ", ".join(brief(v, depth + 1) for v in list(value)[:6])
        return "[" + inner + (", …" if len(value) > 6 else "") + "]"
    if isinstance(value, int) and abs(value) > 10**20:
        return f"<int of {len(str(abs(value)))} digits>"
    return repr(value)


# -- what is stored ----------------------------------------------------------------------------

# every table the inbound API writes (directly or through the outbox), with what shows a change
STORED = {
    "employers": "count(*), max(id), max(updated_at)",
    "contacts": "count(*), max(id), max(updated_at)",
    "requests": "count(*), max(id), max(updated_at)",
    "audit": "count(*), max(id)",
    "outbox": "count(*), max(id)",
    "inbound_deliveries": "count(*), max(rowid)",
    "reports": "count(*), max(id), max(updated_at)",
    "notifications": "count(*), max(rowid)",
    "notes": "count(*), max(id)",
}


def stored(db: sqlite3.Connection) -> dict[str, tuple[Any, ...]]:
    return {
        table: tuple(db.execute(f"SELECT {what} FROM {table}").fetchone())
        for table, what in STORED.items()
    }


# -- values ------------------------------------------------------------------------------------

ODD_CHARS = [
    "\x00",
    "\x1b",
    "\x7f",
    "\u202e",
    "\u2066",
    "\u200b",
    "\u200f",
    "\ufeff",
    "\ud800",
    "\udfff",
    "\uffff",
    "\U0010ffff",
    "\U0001f4a9",
    "\u0301",
    "\n",
    "\r",
    "\t",
    "<",
    ">",
    "&",
    "|",
    "`",
    '"',
    "\\",
]
# every category, "C" including lone surrogates (Cs)
any_char = st.characters(categories=["L", "M", "N", "P", "S", "Z", "C"])
# no lone surrogates: what a person can type (and what Slack sends)
typed_char = st.characters(categories=["L", "M", "N", "P", "S", "Z", "Cc", "Cf"])

junk_text = st.text(alphabet=st.one_of(any_char, st.sampled_from(ODD_CHARS)), max_size=24)
typed_text = st.text(
    alphabet=st.one_of(
        typed_char,
        st.sampled_from([c for c in ODD_CHARS if not 0xD800 <= ord(c[0]) <= 0xDFFF]),
    ),
    max_size=24,
)


def repeated(piece: str, size: int) -> str:
    piece = piece or "x"
    return (piece * (size // len(piece) + 1))[:size]


def long_text(pieces: st.SearchStrategy[str], sizes: list[int]) -> st.SearchStrategy[str]:
    return st.builds(repeated, pieces, st.sampled_from(sizes))


EDGE_NUMBERS: list[Any] = [
    0,
    -1,
    2**31,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    10**30,
    10**400,
    0.1,
    -0.0,
    1e308,
    5e-324,
    float("nan"),
    float("inf"),
    float("-inf"),
]
numbers = st.one_of(st.integers(), st.sampled_from(EDGE_NUMBERS), st.floats())
texts = st.one_of(junk_text, junk_text, junk_text, long_text(junk_text, [4_097, 10_000]))
scalars = st.one_of(st.none(), st.booleans(), numbers, texts)


def json_values(keys: st.SearchStrategy[str], max_leaves: int = 6) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)
        ),
        max_leaves=max_leaves,
    )


def has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return any(has_surrogate(k) or has_surrogate(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_surrogate(v) for v in value)
    return False


# -- the documents the platform sends, field by field ------------------------------------------


@dataclass(frozen=True)
class Spec:
    path: tuple[str, ...]
    kind: str
    required: bool = False


def _specs(rows: list[tuple[str, str, bool]]) -> list[Spec]:
    return [Spec(tuple(path.split(".")), what, required) for path, what, required in rows]


CONTACT = [
    ("contact", "object", False),
    ("contact.id", "id", False),
    ("contact.name", "text", False),
    ("contact.email", "email", False),
    ("contact.phone", "short64", False),
]
FIELDS: dict[str, list[Spec]] = {
    "employer": _specs(
        [
            ("id", "id", True),
            ("name", "required_text", True),
            ("website", "url", False),
            ("industry", "text", False),
            ("size", "text", False),
            ("location", "text", False),
            ("description", "long_text", False),
            *CONTACT,
            ("other_schools", "object", False),
            ("other_schools.approved", "count", False),
            ("other_schools.declined", "count", False),
            ("requested_at", "datetime", False),
        ],
    ),
    "job": _specs(
        [
            ("id", "id", True),
            ("employer", "object", True),
            ("employer.id", "id", True),
            ("employer.name", "text", False),
            ("title", "required_text", True),
            ("description", "long_text", False),
            ("location", "text", False),
            ("remote", "bool", False),
            ("employment_type", "short64", False),
            ("pay", "object", False),
            ("pay.min", "pay_min", False),
            ("pay.max", "pay_max", False),
            ("pay.currency", "currency", False),
            ("pay.period", "period", False),
            ("apply_url", "url", False),
            *CONTACT,
            ("requested_at", "datetime", False),
        ],
    ),
    "report": _specs(
        [
            ("id", "id", True),
            ("subject", "object", True),
            ("subject.type", "subject_type", True),
            ("subject.id", "id", True),
            ("category", "category", True),
            ("details", "long_text", False),
            ("status", "status", False),
            ("actions", "actions", False),
            ("created_at", "datetime", False),
        ],
    ),
}
# fields whose default is not None: null is refused for them
NOT_NULLABLE = {"count", "currency", "period", "status", "actions"}
KNOWN_KEYS = {spec.path[-1] for specs in FIELDS.values() for spec in specs} | {"type"}

not_strings = st.one_of(
    st.integers(),
    st.floats(),
    st.booleans(),
    st.lists(st.one_of(st.integers(), typed_text), max_size=3),
    st.dictionaries(typed_text, st.one_of(st.integers(), typed_text), max_size=3),
)
not_objects = st.one_of(
    st.integers(), st.booleans(), typed_text, st.lists(st.integers(), max_size=3)
)
not_numbers = st.one_of(
    st.sampled_from(["abc", "", "1,5", "twenty"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(typed_text, st.integers(), max_size=2),
)


def _hostile_required(text: str) -> str:
    return "T" + text


BAD: dict[str, st.SearchStrategy[Any]] = {
    "id": st.one_of(
        st.sampled_from(["", "   ", "a b", "a\x00b", "a\tb", "\x1b[31m", "x" * 257]), not_strings
    ),
    "required_text": st.one_of(st.sampled_from(["", "   ", "\n\t "]), not_strings),
    "text": st.one_of(st.just("x" * 100_001), not_strings),
    "long_text": st.one_of(st.just("x" * 400_001), not_strings),
    "short64": st.one_of(st.just("1" * 65), not_strings),
    "url": st.one_of(
        st.sampled_from(
            [
                "javascript:alert(1)",
                "https://a b.example",
                "ftp://x.example",
                "https://good.example|<https://evil.example>",
                "//evil.example",
                "https://",
                "https://x.example/" + "a" * 2049,
                "data:text/html,<script>",
            ]
        ),
        not_strings,
    ),
    "email": st.one_of(
        st.sampled_from(["not-an-email", "a@b", "a b@c.example", "<a@b.example>", "a@b.c|x"]),
        not_strings,
    ),
    "datetime": st.one_of(
        st.sampled_from(["not a date", "", "2026-13-45T00:00:00Z", "yesterday", "25/11/2026"]),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(typed_text, st.integers(), max_size=2),
    ),
    "object": not_objects,
    "pay_min": st.one_of(st.sampled_from([-1, -0.5, 100_000_001, float("nan")]), not_numbers),
    "pay_max": st.one_of(st.sampled_from([-1, 100_000_001, 1e308, float("inf")]), not_numbers),
    "count": st.one_of(st.sampled_from([-1, 1.5, -(2**63)]), not_numbers),
    "bool": st.one_of(
        st.sampled_from(["sometimes", "maybe", 2, -1, 0.5]),
        st.lists(st.integers(), max_size=2),
    ),
    "currency": st.one_of(st.sampled_from(["usd", "US", "USDX", "", "€€€"]), not_strings),
    "period": st.one_of(st.sampled_from(["fortnight", "HOUR", "", "hours"]), not_strings),
    "subject_type": st.one_of(st.sampled_from(["intern", "JOB", ""]), not_strings),
    "status": st.one_of(st.sampled_from(["closed", "OPEN", ""]), not_strings),
    "actions": st.sampled_from(
        ["job_removed", ["x"], [1], ["job_removed"] * 4, {"job_removed": True}, [None]]
    ),
    "category": st.one_of(st.sampled_from(["", "   ", "x" * 65]), not_strings),
}

hostile_pieces = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<@U123>",
        "<https://evil.example|bank.com>",
        "*bold*",
        "```",
        "\u202e",
        "\u200b",
        "&amp;",
        "\x00",
    ]
)
free_text = st.one_of(
    typed_text,
    st.lists(st.one_of(hostile_pieces, typed_text), max_size=6).map("".join),
    long_text(st.one_of(hostile_pieces, typed_text), [10_000]),
)

GOOD: dict[str, st.SearchStrategy[Any]] = {
    "required_text": free_text.map(_hostile_required),
    "text": st.one_of(st.none(), free_text),
    "long_text": st.one_of(st.none(), free_text),
    "short64": st.one_of(st.none(), free_text.map(lambda t: t[:64])),
    "url": st.sampled_from(
        [
            None,
            "https://acme.example/careers/1",
            "http://x.example",
            "HTTPS://EXAMPLE.ORG/a?b=c#d",
            "https://例え.jp/パス",
        ]
    ),
    "email": st.sampled_from([None, "jane@acme.example", "a.b+c@d.example"]),
    "datetime": st.sampled_from(
        [None, "2026-11-25T14:05:00Z", "2026-11-25T14:05:00+05:30", 1764079500]
    ),
    "pay_min": st.sampled_from([None, 0, 10, 25, "20"]),
    "pay_max": st.sampled_from([None, 30, 99_999_999, "40"]),
    "count": st.sampled_from([0, 41, 10**30, "3", 2.0]),
    "bool": st.sampled_from([None, True, False, "yes", "no", 0, 1]),
    "currency": st.sampled_from(["USD", "EUR", "JPY"]),
    "period": st.sampled_from(["hour", "year", "total"]),
    "subject_type": st.sampled_from(["job", "employer", "user"]),
    "status": st.sampled_from(["open", "investigating", "dismissed"]),
    "actions": st.sampled_from([[], ["job_removed"]]),
    "category": free_text.map(lambda t: ("c" + t)[:64]).filter(lambda t: t.strip() != ""),
    "object": st.none(),
}
# values that may or may not be acceptable; either answer is fine, a 5xx never is
EXTREME_DATES = [
    "9999-12-31T23:59:59-23:59",
    "0999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+23:59",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "2026-11-25T14:05:00",
    -62135596800,
    253402300799,
    "2026-11-25T14:05:00.123456789Z",
]
MAYBE: dict[str, st.SearchStrategy[Any]] = {
    "datetime": st.one_of(st.sampled_from(EXTREME_DATES), st.datetimes().map(str)),
}


ANYTHING = json_values(st.one_of(st.sampled_from(sorted(KNOWN_KEYS)), junk_text))
EXTRA_VALUES = json_values(st.one_of(junk_text, st.sampled_from(["x", "note"])), 4)
TYPED_EXTRA_VALUES = EXTRA_VALUES.filter(lambda v: not has_surrogate(v))


def maybe_value(kind: str) -> st.SearchStrategy[Any]:
    special = MAYBE.get(kind)
    return st.one_of(special, ANYTHING) if special is not None else ANYTHING


# -- one item of a call, and the call ----------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Mutation(Brief):
    op: str  # bad | good | maybe | drop
    spec: Spec
    value: Any = None

    def __repr__(self) -> str:
        path = ".".join(self.spec.path)
        return f"{self.op} {path}" if self.op == "drop" else f"{self.op} {path}={brief(self.value)}"


@dataclass(frozen=True, repr=False)
class Item(Brief):
    """One document: a valid base with mutations and unknown fields, or a non-object."""

    mutations: tuple[Mutation, ...] = ()
    extras: tuple[tuple[tuple[str, ...], Any], ...] = ()
    non_object: tuple[Any, ...] = ()  # (value,) when the item is not an object at all
    duplicate_of: int | None = None

    def __repr__(self) -> str:
        if self.non_object:
            return f"<not an object: {brief(self.non_object[0])}>"
        parts = [repr(m) for m in self.mutations]
        parts += [f"extra {'.'.join(p)}={brief(v)}" for p, v in self.extras]
        if self.duplicate_of is not None:
            parts.append(f"id of item {self.duplicate_of}")
        return "<" + ("; ".join(parts) or "valid") + ">"

    @property
    def bad(self) -> bool:
        return (
            bool(self.non_object)
            or self.duplicate_of is not None
            or any(m.op == "bad" or (m.op == "drop" and m.spec.required) for m in self.mutations)
        )

    @property
    def uncertain(self) -> bool:
        return any(m.op == "maybe" for m in self.mutations) or any(
            has_surrogate(p) or has_surrogate(v) for p, v in self.extras
        )


@dataclass(frozen=True, repr=False)
class Call(Brief):
    kind: str
    items: tuple[Item, ...]
    as_array: bool

    def __repr__(self) -> str:
        shape = "array" if self.as_array else "object"
        return f"<{self.kind} {shape}: {', '.join(repr(i) for i in self.items)}>"


def overlaps(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


OPS = {
    "clean": st.sampled_from(["good", "drop"]),
    "bad": st.sampled_from(["bad", "drop"]),
    "any": st.sampled_from(["bad", "good", "maybe", "drop"]),
}
SPEC_CHOICES = {kind: st.sampled_from(specs) for kind, specs in FIELDS.items()}
REQUIRED_CHOICES = {
    kind: st.sampled_from([s for s in specs if s.required]) for kind, specs in FIELDS.items()
}
MAYBE_VALUES = {kind: maybe_value(kind) for kind in {s.kind for v in FIELDS.values() for s in v}}


def _extras(kind: str, typed: bool) -> st.SearchStrategy[list[tuple[tuple[str, ...], Any]]]:
    places = st.sampled_from(sorted({s.path[:-1] for s in FIELDS[kind]}))
    keys = (typed_text if typed else junk_text).filter(lambda k: k not in KNOWN_KEYS)
    values = TYPED_EXTRA_VALUES if typed else EXTRA_VALUES
    pairs = st.tuples(places, keys, values).map(lambda t: ((*t[0], t[1]), t[2]))
    return st.lists(pairs, max_size=1)


EXTRAS = {(kind, typed): _extras(kind, typed) for kind in FIELDS for typed in (True, False)}
MUTATION_COUNTS = {"clean": st.integers(0, 3), "bad": st.integers(1, 3), "any": st.integers(0, 3)}


@st.composite
def items(draw: st.DrawFn, kind: str, want: str) -> Item:
    """`want`: 'clean' (must be accepted), 'bad' (must be refused), or 'any'."""
    chosen: list[Mutation] = []
    for _ in range(draw(MUTATION_COUNTS[want])):
        spec = draw(SPEC_CHOICES[kind])
        if any(overlaps(spec.path, m.spec.path) for m in chosen):
            continue
        op = draw(OPS[want])
        if op == "drop" and want == "clean" and spec.required:
            op = "good"
        if op == "good" and (spec.kind not in GOOD or spec.kind == "id"):
            op = "drop" if not spec.required else "bad" if want != "clean" else "skip"
        if op == "good" and spec.kind == "object" and spec.required:
            op = "skip"
        if op == "skip":
            continue
        value = None
        if op == "bad":
            value = draw(BAD[spec.kind])
        elif op == "good":
            value = draw(GOOD[spec.kind])
            if value is None and spec.kind in NOT_NULLABLE:
                continue
        elif op == "maybe":
            value = draw(MAYBE_VALUES[spec.kind])
        chosen.append(Mutation(op, spec, value))
    if want == "bad" and not any(
        m.op == "bad" or (m.op == "drop" and m.spec.required) for m in chosen
    ):
        spec = draw(REQUIRED_CHOICES[kind])
        chosen = [m for m in chosen if not overlaps(m.spec.path, spec.path)]
        chosen.append(Mutation("drop", spec))
    extras = draw(EXTRAS[(kind, want == "clean")])
    return Item(tuple(chosen), tuple(extras))


def base_document(kind: str, uid: str) -> dict[str, Any]:
    if kind == "employer":
        return employer(
            uid, contact={"id": f"{uid}.c", "name": "Jane Roe", "email": "jane@acme.example"}
        )
    if kind == "job":
        return job(
            uid,
            employer_id=f"{uid}.e",
            contact={"id": f"{uid}.c", "name": "Jane Roe", "email": "jane@acme.example"},
        )
    return {
        "id": uid,
        "subject": {"type": "job", "id": f"{uid}.s"},
        "category": "fraud",
        "details": "Asked me to cash a check",
        "status": "open",
        "actions": [],
        "created_at": "2026-11-25T15:00:00Z",
    }


def _parent(doc: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    node: Any = doc
    for part in path[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return None
    return node if isinstance(node, dict) else None


def materialize(kind: str, item: Item, uid: str) -> tuple[Any, list[str]]:
    """The JSON document of `item` and the paths a refusal must name."""
    if item.non_object:
        return item.non_object[0], [""]
    doc = base_document(kind, uid)
    named = []
    for mutation in item.mutations:
        parent = _parent(doc, mutation.spec.path)
        if parent is None:
            continue
        key = mutation.spec.path[-1]
        if mutation.op == "drop":
            parent.pop(key, None)
        else:
            parent[key] = mutation.value
        if mutation.op == "bad" or (mutation.op == "drop" and mutation.spec.required):
            named.append(".".join(mutation.spec.path))
    for path, value in item.extras:
        parent = _parent(doc, path)
        if parent is not None and path[-1] not in parent:
            parent[path[-1]] = value
    return doc, named


UIDS = itertools.count(1)


def new_uid(kind: str) -> str:
    return f"fz{kind[0]}{next(UIDS)}.{uuid.uuid4().hex[:6]}"


@dataclass
class Sent:
    body: Any
    named: dict[int | None, list[str]]  # item index (None: not an array) -> paths to be named
    uncertain: set[int | None]  # items that may be accepted or refused
    upstream_ids: list[str]

    @property
    def bad(self) -> bool:
        return bool(self.named)


def build_call(call: Call) -> Sent:
    documents: list[Any] = []
    named: dict[int | None, list[str]] = {}
    uncertain: set[int | None] = set()
    ids: list[str] = []
    for index, item in enumerate(call.items):
        key = index if call.as_array else None
        document, paths = materialize(call.kind, item, new_uid(call.kind))
        if item.duplicate_of is not None and isinstance(document, dict):
            document["id"] = documents[item.duplicate_of]["id"]
            paths = ["id"]
        documents.append(document)
        if paths:
            named[key] = paths
        elif item.uncertain:
            uncertain.add(key)
        if isinstance(document, dict) and isinstance(document.get("id"), str):
            ids.append(document["id"])
    body = documents if call.as_array else documents[0]
    return Sent(body, named, uncertain, list(dict.fromkeys(ids)))


def field_named(fields: list[str], prefix: str, path: str) -> bool:
    full = ".".join(p for p in (prefix, path) if p).replace(".[", "[")
    return any(f == full or f.startswith(full + ".") or f.startswith(full + "[") for f in fields)


# -- sending and checking one call ---------------------------------------------------------------


def sign_bytes(secret: str, msg_id: str, stamp: int, body: bytes) -> str:
    """A Standard Webhooks signature over raw bytes (for bodies that are not UTF-8)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


async def send_raw(h: Harness, path: str, body: str | bytes) -> PlatformAnswer:
    if isinstance(body, str):
        return await h.platform.send(path, raw=body)
    msg_id, stamp = f"msg_{uuid.uuid4().hex}", int(time.time())
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign_bytes(h.secrets.ingest, msg_id, stamp, body),
    }
    return await h.platform.send(path, raw=body, headers=headers)


async def accepted_and_usable(h: Harness, kind: str, upstream_ids: list[str]) -> str | None:
    """What is wrong with what a call stored (None when its requests read back, are
    screened and get their cards)."""
    if kind != "report":
        for upstream_id in upstream_ids:
            try:
                found = await h.repo.find_request(Kind(kind), upstream_id)
            except Exception as exc:
                return f"request {upstream_id!r} was stored but cannot be read back: {exc!r}"
            if found is None:
                return f"request {upstream_id!r} was acknowledged but is not stored"
    try:
        await h.settle(timeout=20)
    except Exception as exc:
        return f"what was accepted cannot be screened and carded: {exc!r}"
    return None


async def check_call(
    d: Driven, kind: str, body: str | bytes, sent: Sent | None
) -> tuple[int, list[str]]:
    """POST `body` and hold the answer to the rules. `sent` says how the body was built;
    None for arbitrary bodies, where only the general rules apply."""
    h = d.h
    path = ENDPOINTS[kind]
    logs_from = len(d.caplog.records)
    before = stored(d.db)
    answer = await send_raw(h, path, body)
    status = answer.status
    problem = None
    if status == 200:
        problem = await accepted_and_usable(h, kind, sent.upstream_ids if sent else [])
    after = stored(d.db)
    errors = errors_since(d, logs_from)
    what = f"POST {path} answered {status} {brief(answer.body)}"
    assert status < 500, f"{what}; jobgate logged {errors}"
    assert not errors, f"{what}, but jobgate logged errors: {errors}"
    assert problem is None, f"{what}, but {problem[:800]}"

    # the signature is over text: bytes that are not UTF-8 cannot carry a valid one
    allowed = {200, 400, 413} if isinstance(body, str) or is_utf8(body) else {401}
    assert status in allowed, f"{what}; expected one of {sorted(allowed)}"
    if status != 200:
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        assert not changed, f"{what}, but the refused call stored something: {changed}"
    fields: list[str] = []
    if status == 400:
        assert answer.body.get("error") in ("invalid_json", "invalid_request"), what
        problems = answer.body.get("problems")
        assert isinstance(problems, list) and problems, f"{what}: no problem named"
        for entry in problems:
            assert isinstance(entry, dict), what
            assert isinstance(entry.get("field"), str) and entry["field"], f"{what}: {entry}"
            assert isinstance(entry.get("problem"), str) and entry["problem"], f"{what}: {entry}"
            fields.append(entry["field"])
    d.count(str(status))
    if sent is None:
        return status, fields
    if sent.bad:
        assert status == 400, f"{what}; these fields must be refused: {sent.named}"
        if has_surrogate(sent.body):
            # text that is not Unicode: refusing the body as a whole (like bad JSON) is fine
            return status, fields
        for index, paths in sent.named.items():
            prefix = "" if index is None else f"[{index}]"
            for wanted in paths:
                assert field_named(fields, prefix, wanted), (
                    f"{what}: {prefix}{'.' if prefix and wanted else ''}{wanted} is not named "
                    f"among {fields}"
                )
        if isinstance(sent.body, list):
            for index in range(len(sent.body)):
                if index not in sent.named and index not in sent.uncertain:
                    blamed = [f for f in fields if f.startswith(f"[{index}]")]
                    assert not blamed, f"{what}: item {index} is valid but blamed for {blamed}"
    elif not sent.uncertain:
        assert status == 200, f"{what}; every field of the call is acceptable"
        if isinstance(sent.body, list):
            assert len(answer.body.get("results") or []) == len(sent.body), what
    return status, fields


# -- the inbound API tests -------------------------------------------------------------------------

KINDS = ["employer", "job", "report"]
# per kind; 680 x 3 = 2,040 calls on the inbound API in all
ANY_JSON_EXAMPLES, FIELD_EXAMPLES, ARRAY_EXAMPLES, RAW_EXAMPLES = 180, 230, 110, 160


def finish(name: str, d: Driven, planned: int) -> None:
    report(name, {"examples": d.tried, "planned": planned, "answers": d.outcomes})
    assert d.tried >= planned, f"only {d.tried} of {planned} examples were tried"


json_keys = st.one_of(st.sampled_from(sorted(KNOWN_KEYS)), junk_text)
any_document = st.dictionaries(json_keys, json_values(json_keys, 4), max_size=5)
any_body = st.one_of(
    json_values(json_keys, 10), any_document, st.lists(any_document, min_size=1, max_size=3)
)


@pytest.mark.parametrize("kind", KINDS)
def test_any_json_value_gets_an_answer_not_a_5xx(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Arbitrary JSON: scalars, nested junk, objects with real and junk keys, arrays."""
    with driven(tmp_path, caplog) as d:

        @fuzz_settings(ANY_JSON_EXAMPLES)
        @given(body=any_body)
        def one(body: Any) -> None:
            d.run(check_call(d, kind, json.dumps(body), None))

        one()
        finish(f"fuzz_any_json_{kind}", d, ANY_JSON_EXAMPLES * SCALE)


def date_spec(kind: str) -> Spec:
    return next(s for s in FIELDS[kind] if s.kind == "datetime")


def explicit_items(kind: str) -> list[Item]:
    """Known hostile documents, tried first on every run."""
    when = date_spec(kind)
    return [
        Item((Mutation("maybe", when, "9999-12-31T23:59:59-23:59"),)),
        Item((Mutation("maybe", when, "0001-01-01T00:00:00+23:59"),)),
        Item((Mutation("maybe", when, "0999-12-31T23:59:59Z"),)),
        Item(extras=((("x_extra",), "lone \ud800 surrogate"),)),
        Item(extras=((("x_big",), 10**400), (("x_nan",), float("nan")))),
        Item((Mutation("bad", FIELDS[kind][0], 12345),)),
    ]


Test = TypeVar("Test", bound=Callable[..., None])


def with_examples(cases: Sequence[object], name: str) -> Callable[[Test], Test]:
    """`@example(name=case)` for each case, in order."""

    def decorate(test: Test) -> Test:
        for case in reversed(cases):
            test = example(**{name: case})(test)
        return test

    return decorate


@pytest.mark.parametrize("kind", KINDS)
def test_broken_fields_are_named_and_nothing_is_stored(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """One document with up to three fields broken, dropped, replaced by junk or by valid
    hostile text, plus unknown fields: each refusable field is named, a valid one accepted."""
    with driven(tmp_path, caplog) as d:

        @fuzz_settings(FIELD_EXAMPLES)
        @given(item=items(kind, "any"))
        @with_examples(explicit_items(kind), "item")
        def one(item: Item) -> None:
            sent = build_call(Call(kind, (item,), False))
            d.run(check_call(d, kind, json.dumps(sent.body), sent))

        one()
        finish(f"fuzz_fields_{kind}", d, FIELD_EXAMPLES * SCALE)


@st.composite
def arrays(draw: st.DrawFn, kind: str) -> Call:
    """1 to 4 items, each valid, refusable, uncertain or not an object; or a valid one
    repeating an earlier valid item's id."""
    count = draw(st.integers(1, 4))
    found: list[Item] = []
    for index in range(count):
        shape = draw(st.sampled_from(["clean", "clean", "bad", "any", "not_object", "duplicate"]))
        clean = [i for i, it in enumerate(found) if not it.bad and not it.uncertain]
        if shape == "not_object":
            found.append(
                Item(non_object=(draw(st.one_of(scalars, st.lists(scalars, max_size=2))),))
            )
        elif shape == "duplicate" and clean:
            found.append(Item(duplicate_of=draw(st.sampled_from(clean))))
        else:
            found.append(draw(items(kind, "clean" if shape == "duplicate" else shape)))
        assert len(found) == index + 1
    return Call(kind, tuple(found), True)


@pytest.mark.parametrize("kind", KINDS)
def test_arrays_mixing_good_and_bad_items(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """One bad item refuses the whole call, names that item's fields (and no valid item's),
    and stores none of the valid ones; an all-valid array is accepted whole."""
    with driven(tmp_path, caplog) as d:

        @fuzz_settings(ARRAY_EXAMPLES)
        @given(call=arrays(kind))
        @example(call=Call(kind, (Item(), Item(duplicate_of=0)), True))
        @example(call=Call(kind, (Item(), Item(non_object=(None,)), Item()), True))
        def one(call: Call) -> None:
            sent = build_call(call)
            d.run(check_call(d, kind, json.dumps(sent.body), sent))

        one()
        finish(f"fuzz_arrays_{kind}", d, ARRAY_EXAMPLES * SCALE)


def parses(body: str) -> bool:
    """Whether Python's parser reads the body's bytes (as jobgate's does: a BOM is fine)."""
    try:
        json.loads(body.encode())
    except (ValueError, RecursionError):
        return False
    return True


def is_utf8(body: bytes) -> bool:
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def nested(depth: int, brackets: str) -> str:
    return brackets[0] * depth + brackets[1] * depth


@st.composite
def raw_bodies(draw: st.DrawFn, kind: str) -> Raw:
    return Raw(draw(raw_texts(kind)))


@st.composite
def raw_texts(draw: st.DrawFn, kind: str) -> str | bytes:
    """Bodies that are mostly not JSON, or JSON Python's parser cannot take."""
    valid = json.dumps(base_document(kind, f"raw.{kind}"))
    choice = draw(st.integers(0, 8))
    if choice == 0:
        return valid[: draw(st.integers(0, len(valid) - 1))]
    if choice == 1:
        digits = "9" * draw(st.integers(4_301, 6_000))
        return draw(st.sampled_from([digits, f'{{"id": {digits}}}', f"[{digits}]", f"-{digits}"]))
    if choice == 2:
        depth = draw(st.sampled_from([1_000, 5_000, 100_000]))
        return draw(st.sampled_from([nested(depth, "[]"), '{"a":' * depth + "1" + "}" * depth]))
    if choice == 3:
        return draw(st.text(alphabet=typed_char, max_size=200))
    if choice == 4:
        return draw(st.sampled_from(["", " ", "\n", "\ufeff" + valid, "null", "[]", "{}", '"x"']))
    if choice == 5:
        encoding = draw(st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252"]))
        text = valid.replace("Acme", "Açmé")
        return text.encode(encoding)
    if choice == 6:
        return valid.replace('"Acme', '"\\ud800Acme').replace('"fraud"', '"\\udfff"')
    if choice == 7:
        return valid[:-1] + ', "x": NaN, "y": -Infinity, "z": 1e999}'
    return draw(st.binary(max_size=64)).hex() + valid


@pytest.mark.parametrize("kind", KINDS)
def test_bodies_that_are_not_json(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Truncated JSON, integers longer than Python converts, nesting deeper than its parser
    recurses, other encodings, NaN: a 400 naming the body (or 401 when the bytes are not
    UTF-8, the signature scheme's text), never a 5xx."""
    with driven(tmp_path, caplog) as d:

        @fuzz_settings(RAW_EXAMPLES)
        @given(raw=raw_bodies(kind))
        @example(raw=Raw("9" * 5_000))
        @example(raw=Raw(nested(100_000, "[]")))
        def one(raw: Raw) -> None:
            status, fields = d.run(check_call(d, kind, raw.body, None))
            if isinstance(raw.body, str) and not parses(raw.body):
                assert (status, fields[:1]) == (400, ["(body)"]), (
                    f"{raw} is not JSON Python reads: answered {status} naming {fields}"
                )

        one()
        finish(f"fuzz_raw_{kind}", d, RAW_EXAMPLES * SCALE)


# == Slack payloads ===============================================================================

STAFF_IDS = {*REVIEWERS, ADMIN}
# a Slack user id as Slack writes them: jobgate mentions only those (handlers/mrkdwn.py)
SLACK_USER_ID = re.compile(r"^[UWB][A-Z0-9]{2,}$")
TOKEN = re.compile(r"<([^<>]*)>")
# Slack's answers to a malformed message or view (the fake validates like Slack); other errors
# (expired_trigger_id, channel_not_found, not_found…) are fair answers to junk references
MALFORMED_OUTPUT = {"invalid_blocks", "msg_too_long", "no_text", "invalid_arguments"}


@dataclass(frozen=True)
class Seed:
    """What a fuzzed payload may point at: cards, requests, employers, a report, the decline
    reasons and labels."""

    cards: dict[str, Message]  # upstream id -> card
    request_ids: dict[str, int]  # upstream id -> request id
    employer_ids: dict[str, int]  # employer upstream id -> employer id
    report_id: int
    reason_codes: tuple[str, ...]
    labels: tuple[str, ...]

    @property
    def card_stamps(self) -> set[str]:
        return {card.ts for card in self.cards.values()}


async def seed_workspace(h: Harness) -> Seed:
    """A pending employer with a pending job, an approved employer with an approved job (in
    its undo window), and a platform report on that job, all carded."""
    assert (await h.platform.send_employers([employer("emp_a"), employer("emp_b")])).status == 200
    jobs = [job("job_a", employer_id="emp_a"), job("job_b", employer_id="emp_b")]
    assert (await h.platform.send_jobs(jobs)).status == 200
    await h.settle()
    assert (
        await h.slack.click(ADMIN, await h.card("emp_b", timeout=CARD_TIMEOUT_S), ids.APPROVE)
    ).status == 200
    await h.settle()
    assert (
        await h.slack.click(
            REVIEWERS[0], await h.card("job_b", timeout=CARD_TIMEOUT_S), ids.APPROVE
        )
    ).status == 200
    filed = {"id": "rep_1", "subject": {"type": "job", "id": "job_b"}, "category": "fraud"}
    assert (await h.platform.send(REPORTS, filed)).status == 200
    await h.settle()
    cards, request_ids, employer_ids = {}, {}, {}
    for kind, upstream_id in (("employer", "emp_a"), ("employer", "emp_b"), ("job", "job_a")):
        found = await h.repo.find_request(Kind(kind), upstream_id)
        assert found is not None
        request_ids[upstream_id] = found.id
        employer_ids[found.employer.upstream_id] = found.employer.id
        cards[upstream_id] = h.card_now(await h.card(upstream_id, timeout=CARD_TIMEOUT_S))
    approved = await h.repo.find_request(Kind.JOB, "job_b")
    assert approved is not None
    request_ids["job_b"] = approved.id
    cards["job_b"] = h.card_now(await h.card("job_b", timeout=CARD_TIMEOUT_S))
    report_row = await h.repo.get_report(1)
    assert report_row is not None
    reasons = await h.repo.list_decline_reasons(include_retired=True)
    labels = await h.repo.list_labels(include_retired=True)
    return Seed(
        cards,
        request_ids,
        employer_ids,
        report_row.id,
        tuple(r.code for r in reasons),
        tuple(label.name for label in labels),
    )


# every table, whole, but refusals (an attempt that was not allowed is recorded on purpose)
# and the ids of Slack events seen (kept to recognise Slack's retries)
# answers, not changes: a refusal's audit row, a Slack event's dedup row, and a DM to the
# person who clicked (the Home has no channel, so its answers go by DM through the outbox)
IGNORED_ROWS = {
    "audit": "action != 'refused'",
    "inbound_deliveries": "endpoint != 'slack:event'",
    "outbox": "kind != 'dm'",
}


def domain_state(db: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    tables = [
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    state = {}
    for table in sorted(tables):
        where = f" WHERE {IGNORED_ROWS[table]}" if table in IGNORED_ROWS else ""
        rows = db.execute(f"SELECT * FROM {table}{where}").fetchall()
        state[table] = sorted(rows, key=repr)
    return state


def state_changes(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> str:
    found = []
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, []), after.get(table, [])
        if old != new:
            gone = [r for r in old if r not in new][:2]
            came = [r for r in new if r not in old][:2]
            found.append(f"{table}: -{brief(gone)} +{brief(came)}")
    return "; ".join(found)


@dataclass(frozen=True, repr=False)
class SlackCase(Brief):
    """One signed Slack payload, described by what was fuzzed in it."""

    family: str  # action | view | slash | event | shortcut
    target: str  # action id, callback id, subcommand or event type
    actor: str
    fields: tuple[tuple[str, Any], ...] = ()  # the fuzzed parts, by name
    may_change: bool = False  # a permitted actor pointing at something real
    # a reviewer's real use of a real card: what it must do ("change", or "modal:<title>")
    must_reach: str = ""

    def get(self, name: str, default: Any = None) -> Any:
        return dict(self.fields).get(name, default)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={brief(v)}" for k, v in self.fields)
        change = " (may change state)" if self.may_change else ""
        return f"<{self.family} {self.target} by {self.actor!r}: {shown}{change}>"


def set_path(payload: dict[str, Any], dotted: str, value: Any) -> None:
    node = payload
    parts = dotted.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def envelope(h: Harness, user: str) -> dict[str, Any]:
    """A click's payload by `user`, for its parts: user, team, and a trigger id the fake
    Slack honours once for `user` (views.open)."""
    probe = Message(REVIEW_CHANNEL, "1.000001", "", [button("fz_probe", "x")])
    return h.slack.block_actions_payload(user, probe, "fz_probe")


def button(action_id: str, value: str) -> dict[str, Any]:
    element = {"type": "button", "action_id": action_id, "value": value}
    return {"type": "actions", "block_id": "fz", "elements": [element]}


def apply_common(h: Harness, case: SlackCase, payload: dict[str, Any]) -> dict[str, Any]:
    team = case.get("team", "keep")
    if team != "keep" and isinstance(payload.get("user"), dict):
        payload["user"]["team_id"] = team
    if not case.get("trigger_ok", True):
        payload["trigger_id"] = case.get("trigger", "junk")
    for dotted, value in case.get("extras", ()):
        set_path(payload, dotted, value)
    return payload


def view_of(case: SlackCase, kind: str, callback_id: str) -> dict[str, Any]:
    return {
        "id": case.get("view_id", "V0FUZZ"),
        "type": kind,
        "callback_id": callback_id,
        "hash": case.get("hash", "h.fuzz"),
        "private_metadata": case.get("metadata", ""),
        "title": {"type": "plain_text", "text": "Fuzz"},
        "blocks": [],
        "state": {"values": case.get("state", {})},
    }


def action_payload(h: Harness, case: SlackCase) -> dict[str, Any]:
    channel, ts = case.get("channel", REVIEW_CHANNEL), case.get("message_ts", "1.000001")
    message = Message(str(channel), str(ts), "", [button(case.target, "x")])
    payload = h.slack.block_actions_payload(case.actor, message, case.target)
    action = {
        "action_id": case.target,
        "block_id": case.get("block_id", "fz"),
        "type": case.get("element", "button"),
        "action_ts": f"{time.time():.6f}",
        **dict(case.get("action", ())),
    }
    payload["actions"] = [action]
    payload["channel"]["id"] = channel
    payload["container"]["message_ts"] = ts
    payload["message"]["ts"] = ts
    container = case.get("container", "message")
    if container != "message":
        for key in ("message", "channel", "response_url"):
            payload.pop(key, None)
        payload["container"] = {"type": "view", "view_id": case.get("view_id", "V0FUZZ")}
        payload["view"] = view_of(case, container, case.get("callback_id", ""))
    return apply_common(h, case, payload)


def submission_payload(h: Harness, case: SlackCase) -> dict[str, Any]:
    view = view_of(case, "modal", case.target)
    trigger = str(envelope(h, case.actor)["trigger_id"])
    opened = OpenView(view["id"], case.actor, view, view["hash"], trigger)
    payload = h.slack.view_submission_payload(case.actor, opened, view["state"]["values"])
    payload["view"]["private_metadata"] = view["private_metadata"]
    return apply_common(h, case, payload)


def shortcut_payload(h: Harness, case: SlackCase) -> dict[str, Any]:
    channel, ts = case.get("channel", REVIEW_CHANNEL), case.get("message_ts", "1.000001")
    message = {"type": "message", "ts": ts, "text": case.get("text", ""), "user": "U0SOMEONE"}
    probe = envelope(h, case.actor)
    payload = {
        "type": "message_action",
        "callback_id": case.target,
        "trigger_id": probe["trigger_id"],
        "message_ts": ts,
        "response_url": h.slack.response_url(case.actor, REVIEW_CHANNEL),
        "message": message,
        "team": probe["team"],
        "user": probe["user"],
        "channel": {"id": channel, "name": "job-review"},
        "token": h.slack.verification_token,
        "action_ts": f"{time.time():.6f}",
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return apply_common(h, case, payload)


async def deliver(h: Harness, case: SlackCase) -> BotAnswer:
    if case.family == "action":
        return await h.slack.send_interaction(action_payload(h, case))
    if case.family == "view":
        return await h.slack.send_interaction(submission_payload(h, case))
    if case.family == "shortcut":
        return await h.slack.send_interaction(shortcut_payload(h, case))
    if case.family == "slash":
        return await h.slack.slash(
            case.actor, str(case.get("text", "")), channel=str(case.get("channel", REVIEW_CHANNEL))
        )
    event = {"type": case.target, **dict(case.get("event", ()))}
    return await h.slack.send_event(event)


def forged(
    token: str, archive: str, mentionable: Callable[[str], object], inputs: Sequence[str] = ()
) -> bool:
    """Whether `<token>` in text jobgate sent is a Slack token it must not have made: a
    special mention (`!channel`, `!here`, `!subteam^…`; dates are jobgate's), a mention of
    someone `mentionable` does not accept, a channel mention, a link anywhere but a Slack
    permalink, or anything copied from the input (jobgate's own `<name>` placeholders in
    help text are neither)."""
    if any(f"<{token}>" in text for text in inputs):  # first: a copied `<!date^…>` is forged too
        return True
    target = token.split("|", 1)[0]
    if token.startswith("!date^") or target.startswith(archive):
        return False
    if token.startswith("@"):
        return not mentionable(target[1:])
    return token.startswith(("!", "#")) or ":" in target


def output_problems(h: Harness, calls: list[Any], responses: list[dict[str, Any]]) -> list[str]:
    """What is wrong with what jobgate sent Slack: invalid Block Kit anywhere; in messages
    it posted or updated (channels and DMs), a special mention, a mention of something that
    is not a Slack user id, or a link that is not a Slack permalink."""
    found = []
    archive = h.slack.root_url + "archives/"
    for call in calls:
        args = call.args
        try:
            if call.method.startswith("chat.") and args.get("blocks"):
                valid_message({"text": args.get("text") or "", "blocks": args["blocks"]})
            if call.method.startswith("views.") and isinstance(args.get("view"), dict):
                valid_view(args["view"])
        except Exception as exc:
            found.append(f"{call.method} sent invalid Block Kit: {exc!r}"[:400])
        if call.error in MALFORMED_OUTPUT:
            found.append(f"{call.method} refused as {call.error}: {brief(call.answer)}")
        if call.method in ("chat.postMessage", "chat.update"):
            for text in [str(args.get("text") or ""), *all_texts(args.get("blocks") or [])]:
                for token in TOKEN.findall(text):
                    if forged(token, archive, SLACK_USER_ID.match):
                        found.append(f"{call.method} posted the token <{token}> in {brief(text)}")
    for answer in responses:
        try:
            if answer.get("blocks"):
                valid_message({"text": answer.get("text") or "", "blocks": answer["blocks"]})
        except Exception as exc:
            found.append(f"a response_url answer is invalid Block Kit: {exc!r}"[:400])
    return found


HANDLED = "past the refusals (a Slack call, an answer body or a change, no refusal)"


async def check_slack(d: Driven, case: SlackCase) -> None:
    """Deliver one payload: no 5xx, no ERROR, valid output, and (unless a permitted actor
    pointed at something real) nothing stored changed."""
    h = d.h
    await h.settle(timeout=20)
    logs_from = len(d.caplog.records)
    calls_from, responses_from = len(h.slack.api.calls), len(h.slack.api.responses)
    notes_before = {r[0] for r in d.db.execute("SELECT slack_ts FROM notes")}
    refused_before = refused_count(d.db)
    before = domain_state(d.db)
    answer = await deliver(h, case)
    await h.jobgate.services.tasks.wait(timeout=20)
    try:
        await h.settle(timeout=20)
    finally:
        await h.jobgate.services.tasks.wait(timeout=20)
    after = domain_state(d.db)
    errors = errors_since(d, logs_from)
    what = f"{case.family} {case.target} answered {answer.status} {brief(answer.body)}"
    assert answer.status < 500, f"{what}; jobgate logged {errors}"
    assert not errors, f"{what}, but jobgate logged errors: {errors}"
    touches_note = bool(notes_before & event_stamps(case))
    if not case.may_change and not touches_note:
        changes = state_changes(before, after)
        assert not changes, f"{what}, but garbage changed what is stored: {changes}"
    problems = output_problems(
        h, h.slack.api.calls[calls_from:], h.slack.api.responses[responses_from:]
    )
    assert not problems, f"{what}, but: {problems}"
    d.count(str(answer.status))
    if case.may_change:
        d.outcomes["permitted, pointing at something real"] = (
            d.outcomes.get("permitted, pointing at something real", 0) + 1
        )
    changed = "changed something" if before != after else "changed nothing"
    d.outcomes[changed] = d.outcomes.get(changed, 0) + 1
    # past the refusals: jobgate called Slack back (the Web API or a response_url), answered
    # in the HTTP body, or changed what is stored
    # (a permission refusal answers too, so it does not count)
    spoke = h.slack.api.calls[calls_from:] or h.slack.api.responses[responses_from:]
    refused = refused_count(d.db) > refused_before
    handled = bool(spoke or answer.body or before != after) and not refused
    if handled:
        d.outcomes[HANDLED] = d.outcomes.get(HANDLED, 0) + 1
    if case.must_reach:
        assert handled, f"{what}: a reviewer's real use of a real card was " + (
            "refused" if refused else "ignored (no Slack call, no answer, no change)"
        )
        assert reached(case.must_reach, h.slack.api.calls[calls_from:], before, after), (
            f"{what}: a reviewer's real use of a real card did not "
            + ("change anything" if case.must_reach == "change" else f"open {case.must_reach}")
        )


def reached(expected: str, calls: list[Any], before: Any, after: Any) -> bool:
    """Whether a reaching case did what it should: changed what is stored, or opened the
    modal titled so (not just any answer, such as a private "nothing changed")."""
    if expected == "change":
        return bool(before != after)
    title = expected.removeprefix("modal:")
    return any(
        call.method == "views.open"
        and call.ok
        and ((call.args.get("view") or {}).get("title") or {}).get("text") == title
        for call in calls
    )


def refused_count(db: sqlite3.Connection) -> int:
    """Refusals audited so far (each refused attempt writes one)."""
    return int(db.execute("SELECT COUNT(*) FROM audit WHERE action = 'refused'").fetchone()[0])


def event_stamps(case: SlackCase) -> set[str]:
    """The message timestamps an event points at (an edit or deletion of a note is real)."""
    if case.family != "event":
        return set()
    event = dict(case.get("event", ()))
    found = {event.get("ts"), event.get("thread_ts"), event.get("deleted_ts")}
    for key in ("message", "previous_message"):
        inner = event.get(key)
        if isinstance(inner, dict):
            found |= {inner.get("ts"), inner.get("thread_ts")}
    return {str(v) for v in found if v is not None}


# -- what a person (or Slack) can put in a payload ----------------------------------------------

# Slack's own limits bound what it sends: an input holds up to 3,000 characters, a button or
# option value up to 2,000, ids and timestamps are short; a message can be long


def slack_texts(longest: int) -> st.SearchStrategy[str]:
    pieces = st.one_of(hostile_pieces.filter(lambda p: p != "\x00"), typed_text)
    return st.one_of(
        typed_text,
        typed_text,
        st.lists(pieces, max_size=5).map("".join),
        long_text(typed_text, [longest]),
    )


slack_text, value_text, message_text = slack_texts(3_000), slack_texts(2_000), slack_texts(10_000)
# Slack writes JSON: no NaN or Infinity
slack_numbers = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 2**63, 10**25, 0.5]),
    st.floats(allow_nan=False, allow_infinity=False),
)
slack_scalars = st.one_of(st.none(), st.booleans(), slack_numbers, slack_text)
value_scalars = st.one_of(st.none(), st.booleans(), slack_numbers, value_text)
short_scalars = st.one_of(st.none(), st.booleans(), slack_numbers, typed_text)  # ids, stamps
JUNK_IDS = [0, -1, 999_999, 2**63, 10**25, "9" * 25, "1.5", " 1 ", "١", "²", "", "x", "0x1", None]
NON_STAFF = [STAFF, OUTSIDER, "UNOBODY001", "W0GUEST001"]
# half the payloads come from people who may act, so the fuzz reaches past the refusals
staff = st.sampled_from([REVIEWERS[0], ADMIN])
actors = st.one_of(staff, staff, st.sampled_from(NON_STAFF), typed_text)
teams = st.one_of(
    st.just("keep"), st.just("keep"), st.sampled_from([None, OTHER_TEAM, ""]), typed_text
)
extras = st.lists(
    st.one_of(
        st.tuples(typed_text.map(lambda k: "x_" + k.replace(".", "_")), slack_scalars),
        st.tuples(
            st.sampled_from(["container.message_ts", "container.channel_id", "message.ts"]),
            short_scalars,
        ),
    ),
    max_size=2,
)


def as_int(value: Any) -> int | None:
    try:
        return int(value.strip() if isinstance(value, str) else value)
    except (ValueError, TypeError, OverflowError):
        return None


def points_at(value: Any, real: set[int]) -> bool:
    """Whether jobgate could read `value` (a button value, a metadata id) as a real id."""
    candidates = [value]
    if isinstance(value, str):
        candidates += [value.split(":")[-1], *re.split(r"[:,]", value)]
    return any(as_int(c) in real for c in candidates)


def refs(seed: Seed) -> st.SearchStrategy[Any]:
    real = st.sampled_from(sorted(seed.request_ids.values()))
    return st.one_of(real, real, st.sampled_from(JUNK_IDS), st.integers(), value_text)


VERBS = [
    "approve",
    "decline",
    *(verb for verb, _ in ids.REQUEST_MENU),
    *(verb for verb, _ in ids.EMPLOYER_MENU),
    "ids",
    "report",
]


def values(seed: Seed) -> st.SearchStrategy[Any]:
    """A button value or option value: `verb:ref`, a list of refs, or junk."""
    ref = refs(seed)
    return st.one_of(
        st.builds(lambda v, r: f"{v}:{r}", st.sampled_from(VERBS) | typed_text, ref),
        st.builds(lambda r, t: f"ids:{r},{t}", ref, ref),
        st.just(f"report:{seed.report_id}"),
        ref,
        value_scalars,
    )


def option(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.fixed_dictionaries(
            {"value": value},
            optional={
                "text": st.fixed_dictionaries({"type": st.just("plain_text"), "text": value_text})
            },
        ),
    )


def action_shapes(value: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[tuple[str, Any], ...]]:
    """The element's state as Slack writes it per element type (values fuzzed)."""
    return st.one_of(
        st.tuples(st.tuples(st.just("value"), value)),
        st.tuples(st.tuples(st.just("selected_option"), option(value))),
        st.tuples(
            st.tuples(st.just("selected_options"), st.lists(option(value).filter(bool), max_size=3))
        ),
        st.just(()),
    )


HOME_ACTIONS = [
    home_blocks.EDIT_SETTING,
    home_blocks.STOP_TRUSTING,
    home_blocks.EDIT_REASON,
    home_blocks.RETIRE_REASON,
    home_blocks.RESTORE_REASON,
    home_blocks.ADD_REASON,
    home_blocks.NEW_LABEL,
    home_blocks.RETIRE_LABEL,
    home_blocks.RESTORE_LABEL,
]
# the handled action ids; every other action id of handlers/ids.py is an input Slack never
# dispatches (no dispatch_action), fuzzed together as one surface
CARD_ACTIONS = [
    ids.APPROVE,
    ids.DECLINE,
    ids.HOLD,
    ids.UNDO,
    ids.CARD_MENU,
    ids.EMPLOYER_MENU_ACTION,
    ids.WAVE_DECLINE,
    ids.OPEN_QUEUE,
]
MODAL_ACTIONS = {ids.REASONS[1]: ids.DECLINE_MODAL, ids.HOLD_TEMPLATE[1]: ids.HOLD_MODAL}
CHANGING_ACTIONS = {ids.APPROVE, ids.UNDO, ids.CARD_MENU, ids.EMPLOYER_MENU_ACTION}
CHANGING_HOME = {
    home_blocks.STOP_TRUSTING,
    home_blocks.RETIRE_REASON,
    home_blocks.RESTORE_REASON,
    home_blocks.RETIRE_LABEL,
    home_blocks.RESTORE_LABEL,
}


def input_action_ids() -> list[str]:
    handled = {*CARD_ACTIONS, *MODAL_ACTIONS, *HOME_ACTIONS}
    found = set()
    for name in dir(ids):
        value = getattr(ids, name)
        if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value):
            found.add(value[1])
    found |= {home_blocks.SETTING_INPUT[1], home_blocks.REASON_CODE[1], home_blocks.LABEL_NAME[1]}
    return sorted(found - handled)


ACTION_SURFACES = [*CARD_ACTIONS, *MODAL_ACTIONS, *HOME_ACTIONS, "inputs"]


def metadata_for(
    seed: Seed, extra: dict[str, st.SearchStrategy[Any]] | None = None
) -> st.SearchStrategy[str]:
    """private_metadata: what jobgate writes ({"request_id", "channel", "ts"}) with junk in
    it, JSON of another shape, or not JSON at all."""
    card = st.sampled_from(sorted(seed.card_stamps))
    fields = {
        "channel": st.one_of(st.just(REVIEW_CHANNEL), short_scalars),
        "ts": st.one_of(card, short_scalars),
        **(extra or {}),
    }
    shaped = st.fixed_dictionaries({"request_id": refs(seed)}, optional=fields).map(json.dumps)
    return st.one_of(
        shaped,
        shaped,
        st.fixed_dictionaries({}, optional={"request_id": refs(seed), **fields}).map(json.dumps),
        st.builds(json.dumps, json_values(typed_text, 4).filter(lambda v: not has_surrogate(v))),
        slack_text,
    )


def metadata_ids(case_metadata: str) -> list[Any]:
    try:
        data = json.loads(case_metadata)
    except (ValueError, RecursionError):
        return []
    if not isinstance(data, dict):
        return []
    return [data.get("request_id"), data.get("employer_id"), data.get("code")]


@st.composite
def action_cases(draw: st.DrawFn, target: str, seed: Seed) -> SlackCase:
    actor = draw(actors)
    action_id = draw(st.sampled_from(input_action_ids())) if target == "inputs" else target
    home = target in HOME_ACTIONS
    if home:
        real_values = [
            *seed.reason_codes,
            *seed.labels,
            *(str(i) for i in seed.employer_ids.values()),
            "sla_business_days",
            "digest_time",
        ]
        value: st.SearchStrategy[Any] = st.one_of(st.sampled_from(real_values), values(seed))
    else:
        value = values(seed)
    shape = draw(action_shapes(value))
    fields: dict[str, Any] = {
        "action": shape,
        "element": draw(
            st.sampled_from(["button", "overflow", "static_select", "multi_static_select"])
            | typed_text
        ),
        "team": draw(teams),
        "extras": tuple(draw(extras)),
    }
    if draw(st.booleans()):
        fields["block_id"] = draw(short_scalars)
    if draw(st.integers(0, 4)) == 0:
        fields.update(trigger_ok=False, trigger=draw(typed_text))
    card = draw(st.sampled_from(sorted(seed.cards)))
    if home:
        fields["container"] = "home"
    elif action_id in MODAL_ACTIONS:
        fields.update(container="modal", callback_id=MODAL_ACTIONS[action_id])
        fields["metadata"] = draw(metadata_for(seed))
        # Slack always names the view a modal's action comes from
        fields["view_id"] = draw(st.one_of(st.just("V0FUZZ"), typed_text.filter(bool)))
        fields["hash"] = draw(st.one_of(st.just("h.fuzz"), typed_text))
    elif draw(st.booleans()):
        fields.update(channel=REVIEW_CHANNEL, message_ts=seed.cards[card].ts)
    else:
        fields.update(
            channel=draw(st.one_of(st.just(REVIEW_CHANNEL), typed_text)),
            message_ts=draw(typed_text),
        )
    if action_id in NEAR_ACTIONS and draw(st.booleans()):
        # near-valid: someone who may act, a real request, the junk only around it
        actor = draw(staff)
        fields.update(team="keep", action=draw(near_action(action_id, seed)))
        shape = fields["action"]
        if action_id in MODAL_ACTIONS:
            fields.update(metadata=draw(near_metadata(seed)), view_id="V0FUZZ", hash="h.fuzz")
    real = set(seed.request_ids.values())
    pointed = [v for _, v in shape] + [
        o.get("value") for _, v in shape if isinstance(v, list) for o in v if isinstance(o, dict)
    ]
    pointed += [v.get("value") for _, v in shape if isinstance(v, dict)]
    if home:
        may_change = actor == ADMIN and action_id in CHANGING_HOME
    else:
        may_change = (
            actor in STAFF_IDS
            and action_id in CHANGING_ACTIONS
            and any(points_at(v, real) for v in pointed)
        )
    return SlackCase("action", action_id, actor, tuple(fields.items()), may_change)


NEAR_ACTIONS = {*CARD_ACTIONS, *MODAL_ACTIONS}


@st.composite
def near_action(draw: st.DrawFn, action_id: str, seed: Seed) -> tuple[tuple[str, Any], ...]:
    """The element state Slack would send for `action_id` on a real card or modal."""
    request = draw(st.sampled_from(sorted(seed.request_ids.values())))
    if action_id == ids.REASONS[1]:
        codes = draw(st.lists(st.sampled_from([*seed.reason_codes, "nope"]), max_size=3))
        return (("selected_options", [{"value": c} for c in codes]),)
    if action_id == ids.HOLD_TEMPLATE[1]:
        return (("selected_option", {"value": draw(st.sampled_from(["0", "1", "2", "9"]))}),)
    if action_id in (ids.CARD_MENU, ids.EMPLOYER_MENU_ACTION):
        menu = ids.REQUEST_MENU if action_id == ids.CARD_MENU else ids.EMPLOYER_MENU
        verb = draw(st.sampled_from([v for v, _ in menu]))
        return (("selected_option", {"value": f"{verb}:{request}"}),)
    if action_id == ids.WAVE_DECLINE:
        other = draw(st.sampled_from(sorted(seed.request_ids.values())))
        value = draw(st.sampled_from([f"ids:{request},{other}", f"report:{seed.report_id}"]))
        return (("value", value),)
    return (("value", f"{action_id.removeprefix('jobgate_')}:{request}"),)


@st.composite
def near_metadata(draw: st.DrawFn, seed: Seed, employer_id: int | None = None) -> str:
    """private_metadata as jobgate writes it, for a real request and card."""
    upstream = draw(st.sampled_from(sorted(seed.cards)))
    found = {
        "request_id": seed.request_ids[upstream],
        "channel": REVIEW_CHANNEL,
        "ts": seed.cards[upstream].ts,
    }
    if employer_id is not None:
        found["employer_id"] = employer_id
    return json.dumps(found)


INPUTS: dict[str, list[tuple[str, str]]] = {
    ids.DECLINE_MODAL: [ids.REASONS, ids.EMPLOYER_MESSAGE, ids.INTERNAL_NOTE],
    ids.HOLD_MODAL: [ids.HOLD_TEMPLATE, ids.HOLD_QUESTION, ids.FOLLOW_UP_DAYS, ids.INTERNAL_NOTE],
    ids.APPROVE_BOTH_MODAL: [],
    ids.FLAG_MODAL: [ids.FLAG_REASON],
    ids.REPORT_MODAL: [ids.REPORT_CATEGORY, ids.REPORT_DETAILS],
    ids.LABEL_MODAL: [ids.EMPLOYER_LABELS, ids.CONTACT_LABELS],
    ids.REASON_EDIT_MODAL: [ids.REASON_LABEL, ids.REASON_MESSAGE],
    ids.BULK_MODAL: [ids.BULK_REASONS, ids.BULK_MESSAGE],
    ids.POST_MODAL: [
        ids.POST_EMPLOYER,
        ids.POST_TITLE,
        ids.POST_DESCRIPTION,
        ids.POST_LOCATION,
        ids.POST_PAY,
        ids.POST_APPLY_URL,
    ],
    home_blocks.SETTING_MODAL: [home_blocks.SETTING_INPUT],
    home_blocks.REASON_EDIT_MODAL: [ids.REASON_LABEL, ids.REASON_MESSAGE],
    home_blocks.REASON_ADD_MODAL: [home_blocks.REASON_CODE, ids.REASON_LABEL, ids.REASON_MESSAGE],
    home_blocks.LABEL_NEW_MODAL: [home_blocks.LABEL_NAME],
}
REQUEST_MODALS = {
    ids.DECLINE_MODAL,
    ids.HOLD_MODAL,
    ids.APPROVE_BOTH_MODAL,
    ids.FLAG_MODAL,
    ids.REPORT_MODAL,
    ids.LABEL_MODAL,
}
VIEW_SURFACES = list(INPUTS)


def option_values(seed: Seed) -> st.SearchStrategy[Any]:
    real = [
        *seed.reason_codes,
        *seed.labels,
        *(code for code, _ in ids.REPORT_CATEGORIES),
        *(str(i) for i in seed.employer_ids.values()),
        "0",
        "1",
        "pending",
        "decline",
    ]
    return st.one_of(st.sampled_from(real), value_scalars)


@st.composite
def state_values(draw: st.DrawFn, inputs: list[tuple[str, str]], seed: Seed) -> dict[str, Any]:
    """view.state.values as Slack shapes it ({block: {action: element state}}), with every
    leaf fuzzed, known inputs sometimes missing, and unknown ones added."""
    chosen = value_leaf(seed)
    state: dict[str, Any] = {}
    for block_id, action_id in inputs:
        if draw(st.integers(0, 4)) == 0:
            continue
        block = block_id + draw(st.sampled_from(["", "", ".h1"]))
        state[block] = {action_id: draw(chosen)}
    for _ in range(draw(st.integers(0, 1))):
        state[draw(typed_text)] = {draw(typed_text): draw(chosen)}
    return state


def value_leaf(seed: Seed) -> st.SearchStrategy[dict[str, Any]]:
    picked = option_values(seed)
    return st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(
                ["plain_text_input", "static_select", "multi_static_select", "number_input"]
            )
            | typed_text,
            "value": st.one_of(
                slack_scalars, st.sampled_from(["3", "1", "30", "0", "Is it paid?", "25-30/hr"])
            ),
            "selected_option": option(picked),
            "selected_options": st.lists(option(picked).filter(bool), max_size=3),
        },
    )


NEAR_MODALS = {*REQUEST_MODALS, ids.POST_MODAL}


@st.composite
def near_state(draw: st.DrawFn, inputs: list[tuple[str, str]], seed: Seed) -> dict[str, Any]:
    """view.state.values as Slack sends them for the modal's inputs: real choices (and a
    stale one), numbers in and out of range, typed text."""
    codes = st.sampled_from([*seed.reason_codes, "retired_or_gone"])
    categories = st.sampled_from([*(c for c, _ in ids.REPORT_CATEGORIES), "gone"])
    employers = st.sampled_from([str(i) for i in seed.employer_ids.values()])
    state: dict[str, Any] = {}
    for block_id, action_id in inputs:
        pair = (block_id, action_id)
        leaf: dict[str, Any]
        if pair in (ids.REASONS, ids.BULK_REASONS):
            chosen = draw(st.lists(codes, max_size=3, unique=True))
            leaf = {
                "type": "multi_static_select",
                "selected_options": [{"value": c} for c in chosen],
            }
        elif pair in (ids.EMPLOYER_LABELS, ids.CONTACT_LABELS):
            chosen = draw(st.lists(st.sampled_from(["1", "2", "999"]), max_size=2, unique=True))
            leaf = {
                "type": "multi_static_select",
                "selected_options": [{"value": c} for c in chosen],
            }
        elif pair == ids.REPORT_CATEGORY:
            leaf = {"type": "static_select", "selected_option": {"value": draw(categories)}}
        elif pair == ids.POST_EMPLOYER:
            leaf = {"type": "static_select", "selected_option": {"value": draw(employers)}}
        elif pair == ids.HOLD_TEMPLATE:
            leaf = {"type": "static_select", "selected_option": None}
        elif pair == ids.FOLLOW_UP_DAYS:
            days = st.sampled_from(["1", "3", "30", "0", "31", "x", "", "٣"])
            leaf = {"type": "plain_text_input", "value": draw(days)}
        elif pair == ids.POST_PAY:
            pay = st.sampled_from(["25-30 per hour", "55000 per year", "", "lots", "$1,000"])
            leaf = {"type": "plain_text_input", "value": draw(pay)}
        elif pair == ids.POST_APPLY_URL:
            url = st.sampled_from(["https://acme.example/jobs/1", "", "javascript:alert(1)"])
            leaf = {"type": "plain_text_input", "value": draw(url)}
        else:
            leaf = {"type": "plain_text_input", "value": draw(st.one_of(st.none(), slack_text))}
        state[block_id] = {action_id: leaf}
    return state


@st.composite
def view_cases(draw: st.DrawFn, target: str, seed: Seed) -> SlackCase:
    actor = draw(actors)
    employer_ref = st.one_of(st.sampled_from(sorted(seed.employer_ids.values())), refs(seed))
    extra: dict[str, st.SearchStrategy[Any]] = {}
    if target == ids.LABEL_MODAL:
        extra = {"employer_id": employer_ref, "contact_id": refs(seed)}
    if target in (ids.REASON_EDIT_MODAL, home_blocks.REASON_EDIT_MODAL):
        extra = {"code": st.one_of(st.sampled_from(seed.reason_codes), slack_scalars)}
    if target == ids.BULK_MODAL:
        extra = {
            "action": st.sampled_from(["approve", "decline"]) | slack_scalars,
            "filter": st.sampled_from(["state:pending", "id:999999", "kind:job"]) | slack_text,
            # a count no filter matches here: jobgate recounts and must never act on a count
            # the person did not confirm
            "count": st.integers(min_value=10_000, max_value=10_010) | slack_scalars,
            "search": slack_scalars,
        }
    metadata = draw(metadata_for(seed, extra))
    if target == ids.BULK_MODAL and draw(st.booleans()):
        # what jobgate writes, so half the cases get past the parse to the checks behind it
        metadata = draw(
            st.fixed_dictionaries(
                {
                    "action": st.sampled_from(["approve", "decline"]),
                    "filter": extra["filter"],
                    "count": st.integers(min_value=10_000, max_value=10_010),
                },
                optional={"channel": st.just(REVIEW_CHANNEL), "search": slack_scalars},
            ).map(json.dumps)
        )
    near = target in NEAR_MODALS and draw(st.booleans())
    if near:
        # near-valid: someone who may act, about a real request, inputs as Slack sends them
        actor = draw(staff)
        employer_id = draw(st.sampled_from(sorted(seed.employer_ids.values())))
        metadata = draw(near_metadata(seed, employer_id=employer_id))
    if target == home_blocks.SETTING_MODAL:
        metadata = draw(
            st.sampled_from(["sla_business_days", "digest_time", "quiet_digest"]) | slack_text
        )
    fields: dict[str, Any] = {
        "metadata": metadata,
        "state": draw(
            near_state(INPUTS[target], seed) if near else state_values(INPUTS[target], seed)
        ),
        "team": "keep" if near else draw(teams),
        "extras": tuple(draw(extras)),
    }
    real = set(seed.request_ids.values())
    if target in REQUEST_MODALS:
        may_change = actor in STAFF_IDS and any(points_at(v, real) for v in metadata_ids(metadata))
    elif target == ids.POST_MODAL:
        may_change = actor in STAFF_IDS
    else:
        may_change = actor == ADMIN
    return SlackCase("view", target, actor, tuple(fields.items()), may_change)


SUBCOMMANDS = sorted(
    [
        "help",
        "employer",
        "trust",
        "untrust",
        "search",
        "queue",
        "stats",
        "digest",
        "reasons",
        "settings",
        "label",
        "bulk",
        "post",
    ]
)
MUTATING_COMMANDS = {"trust", "untrust", "search", "reasons", "settings", "label"}
COMMAND_WORDS = [
    "emp_a",
    "emp_b",
    "Acme Analytics",
    "list",
    "add",
    "edit",
    "retire",
    "restore",
    "set",
    "save",
    "delete",
    "new",
    "remove",
    "approve",
    "decline",
    "on",
    "off",
    "state:pending",
    "kind:job",
    "age:>30d",
    "id:999999",
    "7d",
    "term",
    "sla_business_days",
    "suspected_fraud",
    "<mailto:jane@acme.example|jane@acme.example>",
    "<@UREV0001>",
    "<!channel>",
]


@st.composite
def slash_cases(draw: st.DrawFn, target: str, seed: Seed) -> SlackCase:
    actor = draw(actors)
    words = draw(st.lists(st.one_of(st.sampled_from(COMMAND_WORDS), slack_text), max_size=4))
    spacing = draw(st.sampled_from([" ", "  ", "\t", "\n", "\u00a0"]))
    head = target if target != "unknown" else draw(slack_text)
    text = spacing.join([head, *words])
    channel = draw(st.one_of(st.just(REVIEW_CHANNEL), typed_text))
    # A slash command carries the workspace's team id, not the user's (external Slack Connect
    # users cannot run this workspace's commands), so OUTSIDER's id on the reviewers' list
    # counts as a reviewer here, unlike on clicks, which carry `user.team_id`.
    may_change = (actor in STAFF_IDS or actor == OUTSIDER) and target in MUTATING_COMMANDS
    return SlackCase("slash", target, actor, (("text", text), ("channel", channel)), may_change)


MESSAGE_SUBTYPES = [
    None,
    "",
    "thread_broadcast",
    "file_share",
    "message_changed",
    "message_deleted",
    "bot_message",
    "channel_join",
]


HOME_VIEW_JUNK: dict[str, st.SearchStrategy[Any]] = {
    "id": short_scalars,
    "type": short_scalars,
    "blocks": st.builds(list),
}


@st.composite
def event_cases(draw: st.DrawFn, target: str, seed: Seed) -> SlackCase:
    actor = draw(actors)
    stamp = st.one_of(st.sampled_from(sorted(seed.card_stamps)), short_scalars)
    text = message_text
    if target == "app_mention":
        verb = st.sampled_from(["flag", "history", "FLAG", ""]) | typed_text
        text = st.builds(lambda v, t: f"<@UJOBGATEBOT> {v} {t}", verb, slack_text)
    fields = {
        "channel": st.one_of(st.just(REVIEW_CHANNEL), typed_text),
        "user": st.one_of(st.just(actor), st.none()),
        "text": text,
        "ts": stamp,
        "thread_ts": st.one_of(stamp, st.none()),
        "subtype": st.sampled_from(MESSAGE_SUBTYPES) | typed_text,
        "bot_id": st.one_of(st.none(), st.just("BJOBGATE"), typed_text),
        "team": teams.filter(lambda t: t != "keep"),
        "user_team": teams.filter(lambda t: t != "keep"),
        "deleted_ts": stamp,
        "message": st.fixed_dictionaries(
            {},
            optional={
                "user": st.one_of(st.just(actor), st.none()),
                "ts": stamp,
                "text": message_text,
                "bot_id": st.none() | typed_text,
            },
        ),
        "previous_message": st.fixed_dictionaries({}, optional={"ts": stamp}),
        "channel_type": st.sampled_from(["channel", "im", "group"]) | typed_text,
    }
    if target == "app_home_opened":
        fields = {
            "user": st.one_of(st.just(actor), st.none()),
            "tab": st.sampled_from(["home", "messages"]) | typed_text,
            "channel": st.one_of(st.just("DREV0001"), typed_text),
            "view": st.none() | st.fixed_dictionaries({}, optional=HOME_VIEW_JUNK),
            "event_ts": short_scalars,
        }
    event = draw(st.fixed_dictionaries({}, optional=fields))
    for key, value in draw(extras):
        event[key.replace(".", "_")] = value
    cards = seed.card_stamps
    may_change = target != "app_home_opened" and str(event.get("thread_ts")) in cards
    return SlackCase("event", target, actor, (("event", tuple(event.items())),), may_change)


@st.composite
def shortcut_cases(draw: st.DrawFn, target: str, seed: Seed) -> SlackCase:
    actor = draw(actors)
    stamp = st.one_of(st.sampled_from(sorted(seed.card_stamps)), short_scalars)
    fields = {
        "channel": draw(st.one_of(st.just(REVIEW_CHANNEL), typed_text)),
        "message_ts": draw(stamp),
        "text": draw(message_text),
        "team": draw(teams),
        "extras": tuple(draw(extras)),
    }
    if draw(st.integers(0, 4)) == 0:
        fields.update(trigger_ok=False, trigger=draw(typed_text))
    return SlackCase("shortcut", target, actor, tuple(fields.items()), False)


def explicit_slack(family: str, target: str, seed: Seed) -> list[SlackCase]:
    """Known hostile payloads, tried first: stale or impossible request ids, from people who
    may act and people who may not."""
    huge = "9" * 25
    on_card = (("channel", REVIEW_CHANNEL), ("message_ts", seed.cards["job_a"].ts))
    cases: list[SlackCase] = []
    fields: tuple[tuple[str, Any], ...]
    if family == "action" and target in CARD_ACTIONS:
        shape = "selected_option" if "menu" in target else "value"
        for actor, ref in ((STAFF, "999999"), (REVIEWERS[0], huge), (REVIEWERS[0], "999999")):
            verb = "history" if "menu" in target else "x"
            value: Any = (
                {"value": f"{verb}:{ref}"} if shape == "selected_option" else f"{verb}:{ref}"
            )
            if target == ids.WAVE_DECLINE:
                actor, value = ADMIN, f"ids:1,{ref}"
            cases.append(
                SlackCase("action", target, actor, ((("action", ((shape, value),)), *on_card)))
            )
    if family == "action" and target in MODAL_ACTIONS:
        metadata = json.dumps({"request_id": 10**25, "channel": REVIEW_CHANNEL})
        fields = (
            ("action", (("selected_option", {"value": "1"}),)),
            ("container", "modal"),
            ("callback_id", MODAL_ACTIONS[target]),
            ("metadata", metadata),
        )
        cases.append(SlackCase("action", target, REVIEWERS[0], fields))
    if family == "action" and target == home_blocks.STOP_TRUSTING:
        for value in (huge, "²"):
            cases.append(
                SlackCase(
                    "action",
                    target,
                    ADMIN,
                    (("action", (("value", value),)), ("container", "home")),
                )
            )
    if family == "action" and target in (home_blocks.RESTORE_REASON, home_blocks.RESTORE_LABEL):
        value = {"value": "<!channel> <https://evil.example|bank.com>"}
        fields = (("action", (("selected_option", value),)), ("container", "home"))
        cases.append(SlackCase("action", target, ADMIN, fields, True))
    if family == "view" and target in REQUEST_MODALS:
        for actor, number in ((STAFF, 999_999), (REVIEWERS[0], 999_999), (REVIEWERS[0], 10**25)):
            metadata = json.dumps(
                {"request_id": number, "employer_id": number, "channel": REVIEW_CHANNEL}
            )
            state = {
                ids.REASONS[0]: {
                    ids.REASONS[1]: {"selected_options": [{"value": "suspected_fraud"}]}
                },
                ids.REPORT_CATEGORY[0]: {
                    ids.REPORT_CATEGORY[1]: {"selected_option": {"value": "fraud"}}
                },
                ids.REPORT_DETAILS[0]: {ids.REPORT_DETAILS[1]: {"value": "details"}},
                ids.HOLD_QUESTION[0]: {ids.HOLD_QUESTION[1]: {"value": "question"}},
                ids.FOLLOW_UP_DAYS[0]: {ids.FOLLOW_UP_DAYS[1]: {"value": "3"}},
            }
            cases.append(
                SlackCase("view", target, actor, (("metadata", metadata), ("state", state)))
            )
    cases += reaching_cases(family, target, seed)
    if family == "view" and target == ids.POST_MODAL:
        for ref in ("abc", huge):
            state = {
                ids.POST_EMPLOYER[0]: {ids.POST_EMPLOYER[1]: {"selected_option": {"value": ref}}}
            }
            cases.append(SlackCase("view", target, REVIEWERS[0], (("state", state),), True))
    if family == "view" and target in (ids.REASON_EDIT_MODAL, home_blocks.REASON_EDIT_MODAL):
        for metadata in ("not json", "[]"):
            cases.append(SlackCase("view", target, ADMIN, (("metadata", metadata),), True))
    return cases


def reaching_cases(family: str, target: str, seed: Seed) -> list[SlackCase]:
    """What Slack sends when a reviewer really uses a card's control (the button's value is
    the request id, a menu option `<verb>:<request id>`): the fuzzed surface must get past its
    refusals for these, or the junk cases above prove nothing about the code behind them."""

    def on(upstream: str, *fields: tuple[str, Any]) -> tuple[tuple[str, Any], ...]:
        request_id = seed.request_ids[upstream]
        card = (("channel", REVIEW_CHANNEL), ("message_ts", seed.cards[upstream].ts))
        return (*fields, *card, ("block_id", f"review.{request_id}"))

    def press(upstream: str) -> tuple[str, Any]:
        return ("action", (("value", str(seed.request_ids[upstream])),))

    def choose(verb: str, upstream: str) -> tuple[str, Any]:
        option = {"value": f"{verb}:{seed.request_ids[upstream]}"}
        return ("action", (("selected_option", option),))

    actions = {  # each, with what it must do
        ids.APPROVE: (on("emp_a", press("emp_a")), "change"),  # approve the pending employer
        ids.DECLINE: (on("job_a", press("job_a")), "modal:Decline"),
        ids.HOLD: (on("job_a", press("job_a")), "modal:Hold"),
        ids.UNDO: (on("job_b", press("job_b")), "change"),  # the seed's approval, undo window
        ids.CARD_MENU: (
            on("job_a", choose(ids.VERB_HISTORY, "job_a"), ("element", "overflow")),
            "modal:History",
        ),
        ids.EMPLOYER_MENU_ACTION: (
            on("job_a", choose(ids.VERB_EMPLOYER_HISTORY, "job_a"), ("element", "overflow")),
            "modal:Employer snapshot",
        ),
    }
    reviewer = REVIEWERS[0]  # who approved job_b in the seed, so may undo it
    if family == "action" and target in actions:
        fields, effect = actions[target]
        return [SlackCase("action", target, reviewer, fields, True, must_reach=effect)]
    if family == "view" and target == ids.FLAG_MODAL:
        metadata = json.dumps(
            {
                "request_id": seed.request_ids["job_a"],
                "channel": REVIEW_CHANNEL,
                "ts": seed.cards["job_a"].ts,
            }
        )
        state = text_input(ids.FLAG_REASON, "Asks students for a deposit")
        fields = (("metadata", metadata), ("state", state))
        return [SlackCase("view", target, reviewer, fields, True, must_reach="change")]
    return []


FAMILIES: dict[str, Any] = {
    "action": action_cases,
    "view": view_cases,
    "slash": slash_cases,
    "event": event_cases,
    "shortcut": shortcut_cases,
}
SLACK_SURFACES = [
    *(("action", t) for t in ACTION_SURFACES),
    *(("view", t) for t in VIEW_SURFACES),
    *(("slash", t) for t in [*SUBCOMMANDS, "unknown"]),
    *(("event", t) for t in ("message", "app_mention", "app_home_opened")),
    ("shortcut", ids.REPORT_SHORTCUT),
]
SLACK_EXAMPLES = 20


@pytest.mark.parametrize(
    ("family", "target"), SLACK_SURFACES, ids=[f"{f}:{t}" for f, t in SLACK_SURFACES]
)
def test_slack_payloads_with_junk_values(
    family: str, target: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Correctly signed Slack payloads with junk in every value jobgate reads: never a 5xx,
    never an ERROR, garbage changes nothing stored, and what jobgate sends is valid."""
    with driven(tmp_path, caplog) as d:
        seed = d.run(seed_workspace(d.h))
        strategy = FAMILIES[family](target, seed)

        @fuzz_settings(SLACK_EXAMPLES)
        @given(case=strategy)
        @with_examples(explicit_slack(family, target, seed), "case")
        def one(case: SlackCase) -> None:
            d.run(check_slack(d, case))

        one()
        finish(f"fuzz_slack_{family}_{target}", d, SLACK_EXAMPLES * SCALE)


# == hostile text, ingested through the API =====================================================

HOSTILE_PIECES = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!here|here>",
    "<@U123>",
    "<@W999|boss>",
    "<@UREV0002>",
    "<#C123|general>",
    "<!subteam^S123|@reviewers>",
    "<https://evil.example|bank.com>",
    "<https://evil.example>",
    "<mailto:a@evil.example|support>",
    "<!date^1392734382^{date}|x>",
    "*bold*",
    "*unclosed",
    "_it_",
    "~s~",
    "`code`",
    "```",
    "```fence\ncode```",
    "> quote",
    "\u202e",
    "\u202d",
    "\u2066",
    "\u2069",
    "\u200b",
    "\u200d",
    "\ufeff",
    "&lt;!channel&gt;",
    "&amp;",
    "&",
    "<",
    ">",
    "|",
    "\n",
    ":smile:",
    "@channel",
    "@here",
    "https://evil.example/login",
]
hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE_PIECES), typed_text), min_size=1, max_size=8
).map(lambda parts: "H" + "".join(parts))
hostile_values = st.one_of(
    hostile_text, hostile_text, hostile_text.map(lambda t: repeated(t, 10_000))
)
HOSTILE_FIELDS = (
    "employer_name",
    "industry",
    "size",
    "location",
    "description",
    "contact_name",
    "phone",
    "title",
    "job_description",
    "job_location",
    "employment_type",
    "category",
    "details",
    "new_title",
    "decline_message",
    "note",
)


@dataclass(frozen=True, repr=False)
class Hostile(Brief):
    texts: tuple[tuple[str, str], ...]

    def __getitem__(self, name: str) -> str:
        return dict(self.texts)[name]

    def __repr__(self) -> str:
        return "<hostile " + ", ".join(f"{k}={brief(v)}" for k, v in self.texts) + ">"


HOSTILE_EXAMPLES = 20
hostile_cases = st.tuples(*(hostile_values for _ in HOSTILE_FIELDS)).map(
    lambda texts: Hostile(tuple(zip(HOSTILE_FIELDS, texts, strict=True)))
)


def spread(texts: list[str]) -> Hostile:
    cycle = itertools.cycle(texts)
    return Hostile(tuple((name, next(cycle)) for name in HOSTILE_FIELDS))


def literal_problems(
    h: Harness, calls: list[Any], responses: list[dict[str, Any]], inputs: list[str]
) -> list[str]:
    """Everything jobgate sent, messages and views alike: valid Block Kit, and no Slack
    token but mentions of the staff who acted, dates, and links to Slack permalinks."""
    found = []
    archive = h.slack.root_url + "archives/"
    staff = {ADMIN, REVIEWERS[0]}.__contains__
    sent: list[tuple[str, list[str]]] = []
    for call in calls:
        args = call.args
        try:
            if call.method.startswith("chat.") and args.get("blocks"):
                valid_message({"text": args.get("text") or "", "blocks": args["blocks"]})
            if call.method.startswith("views.") and isinstance(args.get("view"), dict):
                valid_view(args["view"])
        except Exception as exc:
            found.append(f"{call.method} sent invalid Block Kit: {exc!r}"[:400])
        if call.error in MALFORMED_OUTPUT:
            found.append(f"{call.method} refused as {call.error}")
        texts = [str(args.get("text") or ""), *all_texts(args.get("blocks") or [])]
        texts += all_texts(args.get("view") or {})
        sent.append((call.method, texts))
    for answer in responses:
        try:
            if answer.get("blocks"):
                valid_message({"text": answer.get("text") or "", "blocks": answer["blocks"]})
        except Exception as exc:
            found.append(f"a response_url answer is invalid Block Kit: {exc!r}"[:400])
        sent.append(("response_url", [str(answer.get("text") or ""), *all_texts(answer)]))
    for method, texts in sent:
        for text in texts:
            for token in TOKEN.findall(text):
                if forged(token, archive, staff, inputs):
                    found.append(f"{method} sent the token <{token}> in {brief(text)}")
    return found


async def hostile_round(d: Driven, case: Hostile, reason_code: str) -> None:
    """Ingest the text everywhere, then walk every surface that shows it."""
    h, n = d.h, next(UIDS)
    emp, job_id, rep = f"he{n}", f"hj{n}", f"hr{n}"
    calls_from, responses_from = len(h.slack.api.calls), len(h.slack.api.responses)
    logs_from = len(d.caplog.records)
    contact = {"id": f"{emp}.c", "name": case["contact_name"], "phone": case["phone"][:64]}
    sent = await h.platform.send_employers(
        employer(
            emp,
            name=case["employer_name"],
            industry=case["industry"],
            size=case["size"],
            location=case["location"],
            description=case["description"],
            contact=contact,
        )
    )
    assert sent.status == 200, sent.body

    def the_job(title: str) -> dict[str, Any]:
        return job(
            job_id,
            employer_id=emp,
            title=title,
            description=case["job_description"],
            location=case["job_location"],
            employment_type=case["employment_type"][:64],
            contact=contact,
        ) | {"employer": {"id": emp, "name": case["employer_name"]}}

    assert (await h.platform.send_jobs(the_job(case["title"]))).status == 200
    filed = {
        "id": rep,
        "subject": {"type": "job", "id": job_id},
        "category": case["category"][:64],
        "details": case["details"],
    }
    assert (await h.platform.send(REPORTS, filed)).status == 200
    await h.settle(timeout=20)
    employer_card, job_card = (
        await h.card(emp, timeout=CARD_TIMEOUT_S),
        await h.card(job_id, timeout=CARD_TIMEOUT_S),
    )
    assert (await h.slack.click(ADMIN, employer_card, ids.APPROVE)).status == 200
    assert (await h.slack.click(REVIEWERS[0], job_card, ids.DECLINE)).status == 200

    def open_decline_form() -> OpenView | None:
        forms = [
            v
            for v in h.slack.open_views_for(REVIEWERS[0])
            if v.view.get("callback_id") == ids.DECLINE_MODAL
        ]
        return forms[-1] if forms else None

    form = await h.slack.wait_for(open_decline_form, 20, "the decline form")
    values = decline_form(
        reason_code, message=case["decline_message"][:3000], note=case["note"][:3000]
    )
    assert (await h.slack.submit(REVIEWERS[0], form, values)).status == 200
    await h.settle(timeout=20)
    assert (await h.platform.send_jobs(the_job(case["new_title"]))).status == 200
    await h.settle(timeout=20)
    request = await h.repo.find_request(Kind.JOB, job_id)
    assert request is not None
    card = h.card_now(job_card)
    menu = await h.slack.click(REVIEWERS[0], card, ids.CARD_MENU, selected=f"history:{request.id}")
    assert menu.status == 200
    assert (
        await h.slack.slash(REVIEWERS[0], f"employer {emp}", channel=REVIEW_CHANNEL)
    ).status == 200
    assert (await h.slack.slash(REVIEWERS[0], "queue", channel=REVIEW_CHANNEL)).status == 200
    assert (await h.slack.open_home(REVIEWERS[0])).status == 200
    await h.jobgate.services.tasks.wait(timeout=20)
    await h.settle(timeout=20)
    await h.jobgate.services.tasks.wait(timeout=20)
    for view in h.slack.open_views_for(REVIEWERS[0]):
        h.slack.close_view(REVIEWERS[0], view)
    errors = errors_since(d, logs_from)
    assert not errors, f"jobgate logged errors: {errors}"
    problems = literal_problems(
        h,
        h.slack.api.calls[calls_from:],
        h.slack.api.responses[responses_from:],
        list(dict(case.texts).values()),
    )
    assert not problems, problems[:5]
    d.count("ok")


def test_hostile_text_stays_literal_everywhere(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Employer names, titles, descriptions, contacts, report details (and a reviewer's
    message and note) full of mentions, links, formatting, fences, bidi overrides and
    zero-width characters, up to 10,000 characters, shown on cards, updated cards, thread
    replies, modals, the history, `/jobgate employer`, `/jobgate queue` and the Home."""
    with driven(tmp_path, caplog) as d:
        reasons = d.run(d.h.repo.list_decline_reasons())
        code = next(r.code for r in reasons if r.code != "suspected_fraud")

        @fuzz_settings(HOSTILE_EXAMPLES)
        @given(case=hostile_cases)
        @example(case=spread(HOSTILE_PIECES))
        @example(case=spread([repeated("".join(HOSTILE_PIECES), 10_000)]))
        def one(case: Hostile) -> None:
            d.run(hostile_round(d, case, code))

        one()
        finish("fuzz_hostile_text", d, HOSTILE_EXAMPLES * SCALE)
