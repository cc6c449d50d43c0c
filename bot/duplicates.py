"""Near-duplicate postings (SPEC section 3): title keys, word shingles, MinHash and LSH bands.

A job duplicates another when their title keys are equal and their descriptions' word
5-shingle sets have Jaccard >= 0.9. A missing or empty description counts as the empty
set: two empty descriptions are identical (Jaccard 1.0), an empty and a non-empty one
share nothing (0.0), and an empty description has no LSH bands, so it is never part of
a cross-employer "near-identical text" match. bench/README.md has the reasoning and numbers.
"""

from __future__ import annotations

import html
import math
import re
import struct
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass, field
from functools import cache
from hashlib import blake2b
from itertools import repeat
from operator import eq, rshift
from typing import TypeAlias, TypeVar

DUPLICATE_THRESHOLD = 0.9
SHINGLE_WORDS = 5
NUM_PERM = 128
BANDS = 16
ROWS = 8  # BANDS * ROWS == NUM_PERM; P(candidate) = 1 - (1 - J**8)**16
PREFILTER_MARGIN = 0.25  # verify exactly when the estimate is within this of the threshold
SCHEME_VERSION = 1  # bump when shingling, hashing or banding changes: stored fingerprints go stale

T = TypeVar("T")

_MASK64 = (1 << 64) - 1
_BIN_SHIFT = 32 - 7  # the top 7 bits of a shingle's CRC-32 pick one of NUM_PERM bins
_ALL_BINS = frozenset(range(NUM_PERM))
_HEADER = struct.Struct("<BII")  # version, shingle count, title key length
_SIGNATURE = struct.Struct(f"<{NUM_PERM}I")
_EMPTY_SIGNATURE = (0,) * NUM_PERM

# ---------------------------------------------------------------- descriptions

_TAG = re.compile(r"</?[a-zA-Z!][^<>]*>")  # [^<>]: linear time on hostile "<a<a<a..."
_NON_WORD = re.compile(r"[\W_]+")
# On UTF-8 bytes: ASCII letters lowered, ASCII digits kept, other ASCII a space, the rest kept.
_FOLD = bytes(
    c + 32 if 65 <= c <= 90 else c if 48 <= c <= 57 or 97 <= c <= 122 or c >= 128 else 32
    for c in range(256)
)


def _words(text: str | None) -> list[bytes]:
    if not text:
        return []
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if text.isascii():
        return text.encode().translate(_FOLD).split()
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    words: list[bytes] = []
    # surrogatepass: a lone surrogate (valid JSON) reaches the regex, which drops it.
    for word in folded.encode("utf-8", "surrogatepass").translate(_FOLD).split():
        if word.isascii():
            words.append(word)
        else:  # the regex is slow, so only words with non-ASCII letters or marks ("don’t") see it
            text = _NON_WORD.sub(" ", word.decode("utf-8", "surrogatepass"))
            words.extend(text.encode().split())
    return words


def shingles(text: str | None, k: int = SHINGLE_WORDS) -> frozenset[int]:
    """Hashes (CRC-32) of the normalized word k-shingles; under k words, one shingle of them all."""
    if k < 1:
        raise ValueError("k must be at least 1")
    words = _words(text)
    if len(words) <= k:
        return frozenset([zlib.crc32(b" ".join(words))]) if words else frozenset()
    grams = zip(*(words[i:] for i in range(k)), strict=False)
    return frozenset(map(zlib.crc32, map(b" ".join, grams)))


def jaccard(a: Set[int], b: Set[int]) -> float:
    """Exact Jaccard similarity; two empty sets are identical (1.0)."""
    if not a and not b:
        return 1.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def description_similarity(a: str | None, b: str | None) -> float:
    """Exact Jaccard of two descriptions' shingle sets."""
    return jaccard(shingles(a), shingles(b))


# ---------------------------------------------------------------- titles

_APOSTROPHES = re.compile(r"['’‘`´]")
_KEYWORD_ID = re.compile(
    r"#\s*\d[\w-]*"
    r"|\b(?:req(?:uisition)?|job|ref(?:erence)?|posting|id)\b\.?\s*(?:id|no|number)?\.?\s*"
    r"[:#-]?\s*[a-z]{0,3}-?\d[\w-]*"
)
_SEGMENT_BREAK = re.compile(r"\s[-/]+\s|[|()\[\]{}:,;–—]")
_TITLE_TOKEN = re.compile(r"[^\W_]+(?:-\d[\w-]*)?[+#]*")
_YEAR = re.compile(r"(?:19|20)\d\d")
_ID_TOKEN = re.compile(r"[a-z]{0,3}-?\d{4,}[\w-]*")
_SEASONS = frozenset({"summer", "fall", "autumn", "winter", "spring"})
# Dropped at either end of a title ("Remote Data Analyst", "Data Analyst Summer").
# Not "spring"/"fall" (Spring Boot, Fall Protection) nor "urgent" (Urgent Care).
_EDGE_NOISE = frozenset({"remote", "hybrid", "onsite", "wfh", "summer", "winter", "autumn"})
# Dropped only when they make up a whole segment: "(Remote)", "- Urgent", "(m/f/d)".
_FILLER = (
    "on site in person office work from home virtual urgent urgently asap hiring now "
    "immediate immediately start apply today new m f w d x all genders needed wanted"
)
_SEGMENT_NOISE = _EDGE_NOISE | _SEASONS | frozenset(_FILLER.split())
_SYNONYMS = {
    "sr": "senior",
    "snr": "senior",
    "jr": "junior",
    "mgr": "manager",
    "asst": "assistant",
    "assoc": "associate",
    "internship": "intern",
}


def _is_noise(token: str, vocabulary: frozenset[str]) -> bool:
    return token in vocabulary or _ID_TOKEN.fullmatch(token) is not None


def _drop_years(tokens: list[str]) -> list[str]:
    drop = set()
    for i, token in enumerate(tokens):
        if _YEAR.fullmatch(token):
            drop.add(i)
            drop.update(j for j in (i - 1, i + 1) if 0 <= j < len(tokens) and tokens[j] in _SEASONS)
    return [t for i, t in enumerate(tokens) if i not in drop]


def title_key(title: str | None) -> str:
    """The title as compared for duplicates: folded, without noise like "(Remote)" or "#1234"."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", title or "").casefold())
    text = " ".join(text.split())  # single spaces keep _KEYWORD_ID's backtracking short
    text = _KEYWORD_ID.sub(" ", _APOSTROPHES.sub("", text).replace("&", " and "))
    every: list[str] = []
    kept: list[str] = []
    for segment in _SEGMENT_BREAK.split(text):
        tokens = [_SYNONYMS.get(t, t) for t in _TITLE_TOKEN.findall(segment)]
        every.extend(tokens)
        if not all(_is_noise(t, _SEGMENT_NOISE) for t in tokens):
            kept.extend(tokens)
    kept = _drop_years(kept)
    while kept and _is_noise(kept[-1], _EDGE_NOISE):
        kept.pop()
    while kept and _is_noise(kept[0], _EDGE_NOISE):
        kept.pop(0)
    # A title that is nothing but noise ("Summer 2026") keeps its words.
    return " ".join(t.replace("-", " ") for t in kept or every)


# ---------------------------------------------------------------- MinHash and LSH


def _splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


@cache
def _probe_order(bin_index: int) -> tuple[int, ...]:
    """A fixed pseudo-random order of the bins, where an empty bin looks for a donor."""
    return tuple(sorted(range(NUM_PERM), key=lambda j: _splitmix64(bin_index * NUM_PERM + j)))


def minhash(hashes: Set[int]) -> tuple[int, ...]:
    """One-permutation MinHash with optimal densification: NUM_PERM uint32 values."""
    if not hashes:
        return _EMPTY_SIGNATURE
    # Largest first, so each bin's dict entry ends on its smallest hash.
    ordered = sorted(hashes, reverse=True)
    mins = dict(zip(map(rshift, ordered, repeat(_BIN_SHIFT)), ordered, strict=True))
    signature = list(map(mins.get, range(NUM_PERM), repeat(0)))
    for empty in _ALL_BINS - mins.keys():
        # An empty bin copies the first non-empty one in its own fixed probe order.
        for donor in _probe_order(empty):
            if donor in mins:
                signature[empty] = mins[donor]
                break
    return tuple(signature)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What is stored per job: title key, MinHash signature and shingle count."""

    title_key: str
    signature: tuple[int, ...]
    shingle_count: int
    # Kept from fingerprint() so a new posting is shingled once; not stored, not compared.
    shingles: frozenset[int] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.signature) != NUM_PERM:
            raise ValueError(f"signature must have {NUM_PERM} values")

    def to_bytes(self) -> bytes:
        """A compact BLOB: header, title key (UTF-8), signature (little-endian uint32)."""
        title = self.title_key.encode()
        header = _HEADER.pack(SCHEME_VERSION, self.shingle_count, len(title))
        return header + title + _SIGNATURE.pack(*self.signature)

    @classmethod
    def from_bytes(cls, data: bytes) -> Fingerprint:
        """Read a BLOB written by to_bytes; a stale scheme version or bad size is refused."""
        if len(data) < _HEADER.size:
            raise ValueError("fingerprint too short")
        version, count, title_length = _HEADER.unpack_from(data)
        if version != SCHEME_VERSION:
            raise ValueError(f"fingerprint scheme {version}, expected {SCHEME_VERSION}")
        start = _HEADER.size + title_length
        if len(data) != start + _SIGNATURE.size:
            raise ValueError("fingerprint has the wrong size")
        title = data[_HEADER.size : start].decode()
        return cls(title, _SIGNATURE.unpack_from(data, start), count)


def fingerprint(title: str | None, description: str | None) -> Fingerprint:
    """Fingerprint a posting for storage."""
    hashes = shingles(description)
    return Fingerprint(title_key(title), minhash(hashes), len(hashes), hashes)


def estimated_similarity(a: Fingerprint, b: Fingerprint) -> float:
    """Description Jaccard estimated from the signatures (titles are not compared)."""
    if not a.shingle_count or not b.shingle_count:
        return 1.0 if a.shingle_count == b.shingle_count else 0.0
    agree: int = sum(map(eq, a.signature, b.signature))
    return agree / NUM_PERM


def lsh_bands(fp: Fingerprint) -> list[str]:
    """BANDS keys ("0f" + 16 hex digits); texts sharing one are candidates. None if empty."""
    if not fp.shingle_count:
        return []
    packed = _SIGNATURE.pack(*fp.signature)
    width = ROWS * 4
    rows = (packed[band * width : (band + 1) * width] for band in range(BANDS))
    return [f"{band:02x}{blake2b(row, digest_size=8).hexdigest()}" for band, row in enumerate(rows)]


def candidate_probability(similarity: float, bands: int = BANDS, rows: int = ROWS) -> float:
    """The LSH S-curve: chance that two texts with this Jaccard share at least one band."""
    return 1.0 - (1.0 - similarity**rows) ** bands


# ---------------------------------------------------------------- verdicts


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    """How a new posting compares with an older one, in words fit for the card."""

    similarity: float  # exact Jaccard of the description shingles
    same_title: bool
    both_empty: bool = False

    @property
    def percent(self) -> int:
        """Whole percent, rounded down so 89.9% never shows as 90%."""
        return math.floor(self.similarity * 100 + 1e-9)

    def is_duplicate(self, threshold: float = DUPLICATE_THRESHOLD) -> bool:
        return self.same_title and self.similarity >= threshold

    def describe(self) -> str:
        if self.both_empty:
            return "same title, both descriptions empty"
        return f"{self.percent}% identical description"


def compare_postings(
    new_title: str | None,
    new_description: str | None,
    old_title: str | None,
    old_description: str | None,
) -> DuplicateMatch:
    """Compare two postings of one employer: title keys and exact description Jaccard."""
    new, old = shingles(new_description), shingles(old_description)
    same_title = title_key(new_title) == title_key(old_title)
    return DuplicateMatch(jaccard(new, old), same_title, not new and not old)


def is_duplicate(
    new_title: str | None,
    new_description: str | None,
    old_title: str | None,
    old_description: str | None,
    threshold: float = DUPLICATE_THRESHOLD,
) -> bool:
    """Same title key and description Jaccard >= threshold."""
    match = compare_postings(new_title, new_description, old_title, old_description)
    return match.is_duplicate(threshold)


# (job id, stored fingerprint or its BLOB, description): a row to verify against.
Candidate: TypeAlias = tuple[T, Fingerprint | bytes, str | None]


def _verified(
    new: Fingerprint, candidates: Iterable[Candidate[T]], threshold: float, same_title: bool
) -> Iterator[tuple[T, float, bool]]:
    """(id, exact Jaccard, both empty) of the candidates at or above the threshold."""
    if new.shingles is None:
        raise ValueError("pass the new posting's fingerprint() result: it carries the shingles")
    floor = threshold - PREFILTER_MARGIN
    for job_id, stored, description in candidates:
        try:
            old = stored if isinstance(stored, Fingerprint) else Fingerprint.from_bytes(stored)
        except ValueError:  # another scheme version: verify without the shortcuts
            old = None
        if old is not None:
            if same_title and old.title_key != new.title_key:
                continue
            if estimated_similarity(new, old) < floor:
                continue
        other = shingles(description)
        similarity = jaccard(new.shingles, other)
        if similarity >= threshold:
            yield job_id, similarity, not new.shingles and not other


def find_original(
    new: Fingerprint,
    candidates: Iterable[Candidate[T]],
    threshold: float = DUPLICATE_THRESHOLD,
) -> tuple[T, DuplicateMatch] | None:
    """The job that the new one duplicates, among the employer's rows with its title key.

    Rows with another title key are skipped; the most similar row wins, the first among
    equals (so pass the oldest first).
    """
    best: tuple[T, DuplicateMatch] | None = None
    for job_id, similarity, both_empty in _verified(new, candidates, threshold, same_title=True):
        if best is None or similarity > best[1].similarity:
            best = (job_id, DuplicateMatch(similarity, True, both_empty))
    return best


def find_near_identical(
    new: Fingerprint,
    candidates: Iterable[Candidate[T]],
    threshold: float = DUPLICATE_THRESHOLD,
) -> list[tuple[T, float]]:
    """(id, Jaccard) of rows with near-identical text, any employer or title, best first.

    For the fraud-wave finder, with the rows that share an LSH band; an empty description
    matches nothing.
    """
    if not new.shingle_count:
        return []
    found = [(i, sim) for i, sim, _ in _verified(new, candidates, threshold, same_title=False)]
    return sorted(found, key=lambda pair: -pair[1])
