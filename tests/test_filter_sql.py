"""Filters as SQL on a real SQLite file: each key narrows as it says; values never become SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.filters import parse_filter
from storage.repository import Repository
from tests.search_data import NOW, seeded_repo

ALL_JOBS = {"job_analyst", "job_swe", "job_welder", "job_welder2", "job_barista"}


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Repository]:
    seeded = await seeded_repo(tmp_path)
    try:
        yield seeded
    finally:
        await seeded.db.close()


async def matching(repo: Repository, text: str) -> set[str]:
    f = parse_filter(text)
    items = await repo.list_matching(f, NOW, limit=100)
    assert await repo.count_matching(f, NOW) == len(items)
    return {item.upstream_id for item in items}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {*ALL_JOBS, "emp_bolt"}),
        ("kind:job", ALL_JOBS),
        ("kind:employer", {"emp_bolt"}),
        ("kind:employer state:any", {"emp_acme", "emp_bolt", "emp_cafe"}),
        ("state:approved", {"emp_acme", "emp_cafe"}),
        ("kind:job location:austin", {"job_analyst", "job_barista"}),
        ("location:DENVER", {"job_welder", "job_welder2", "emp_bolt"}),
        ("industry:soft", {"job_analyst", "job_swe"}),
        ("size:1-10", {"job_welder", "job_welder2", "emp_bolt"}),
        ("size:1", set()),
        ('label:"white glove"', {"job_analyst", "job_swe"}),
        ("label:Alumni", set()),
        ("employer:bolt", {"job_welder", "job_welder2", "emp_bolt"}),
        ("employer:emp_cafe", {"job_barista"}),
        ("kind:job age:>2d", {"job_analyst", "job_welder", "job_welder2"}),
        ("kind:job age:>1w", {"job_welder"}),
        ("kind:job age:<1d", {"job_swe"}),
        ("kind:job age:>1d age:<3d", {"job_welder2", "job_barista"}),
        ("kind:job risk:none", {"job_analyst", "job_barista"}),
        ("risk:medium+", {"job_swe", "job_welder"}),
        ("risk:low,high", {"job_welder", "job_welder2"}),
        ("flagged:yes", {"job_swe"}),
        ("kind:job flagged:no", ALL_JOBS - {"job_swe"}),
        ("duplicate:yes", {"job_welder2"}),
        ("kind:job duplicate:no", ALL_JOBS - {"job_welder2"}),
        ("kind:job duplicate:any", ALL_JOBS),
        ("trusted:yes", {"job_analyst", "job_swe"}),
        ("kind:job trusted:no", {"job_welder", "job_welder2", "job_barista"}),
        ("analyst", {"job_analyst"}),
        ("welder bolt", {"job_welder", "job_welder2"}),
        ("robotics", {"job_welder", "job_welder2", "emp_bolt"}),
        ('"data analyst"', {"job_analyst"}),
        ("kind:job location:austin trusted:yes risk:none", {"job_analyst"}),
    ],
)
async def test_each_key_narrows(repo: Repository, text: str, expected: set[str]) -> None:
    assert await matching(repo, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        'employer:"x\' OR 1=1 --"',
        'location:"%"',
        "location:_",
        'label:"\\" OR 1=1"',
        '"\'); DROP TABLE requests; --"',
    ],
)
async def test_values_are_parameters_not_sql(repo: Repository, text: str) -> None:
    assert await matching(repo, text) == set()
    assert await matching(repo, "kind:job") == ALL_JOBS


async def test_like_wildcards_in_values_are_literal(repo: Repository) -> None:
    assert await matching(repo, 'employer:"_50%"') == {"job_barista"}
    assert await matching(repo, "employer:Caf__50") == set()  # `_` would match any letter


async def test_oldest_first_with_permalinks(repo: Repository) -> None:
    items = await repo.list_matching(parse_filter("kind:job"), NOW, limit=3)
    assert [i.upstream_id for i in items] == ["job_welder", "job_analyst", "job_welder2"]
    assert all(i.permalink and i.permalink.startswith("https://") for i in items)
    later = await repo.list_matching(parse_filter("kind:job"), NOW, limit=3, offset=3)
    assert [i.upstream_id for i in later] == ["job_barista", "job_swe"]
    flagged = next(i for i in later if i.upstream_id == "job_swe")
    assert flagged.flagged and flagged.risk_level == "medium" and not flagged.duplicate


async def test_id_names_exactly_those_requests(repo: Repository) -> None:
    everything = await repo.list_matching(parse_filter("state:any"), NOW, limit=100)
    by_upstream = {item.upstream_id: item.request_id for item in everything}
    wanted = (by_upstream["job_swe"], by_upstream["job_welder2"], by_upstream["emp_acme"])
    named = "id:" + ",".join(str(i) for i in wanted)
    # without state:, only the pending ones of those ids; other keys still narrow
    assert await matching(repo, named) == {"job_swe", "job_welder2"}
    assert await matching(repo, named + " state:any") == {"job_swe", "job_welder2", "emp_acme"}
    assert await matching(repo, named + " duplicate:no") == {"job_swe"}
