"""Labels and decline reasons in a real SQLite file: atomic changes, retired things kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.models import Kind, Via
from bot.submissions import JobSubmission
from bot.vocabulary import VocabularyError
from storage.db import Database
from storage.deliveries import StoredAnswer
from storage.repository import Repository
from tests.harness import job

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
WHO = {"actor": "UADMIN0001", "via": Via.COMMAND, "now": NOW}


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[Repository]:
    db = await Database.open(tmp_path / "j.db")
    repository = Repository(db)
    await repository.ingest_submissions(
        Kind.JOB,
        [JobSubmission.model_validate(job())],
        webhook_id=None,
        endpoint="test",
        respond=lambda _: StoredAnswer(200, {}),
        now=NOW,
    )
    try:
        yield repository
    finally:
        await db.close()


async def ids_of(repo: Repository, *names: str) -> list[int]:
    found = [await repo.find_label(name) for name in names]
    return [label.id for label in found if label is not None]


async def test_the_modal_keeps_retired_labels_it_cannot_show(repo: Repository) -> None:
    choices = await repo.load_label_choices(1)
    assert choices is not None and choices.contact is not None
    employer_id = choices.employer.id
    await repo.set_employer_labels(employer_id, await ids_of(repo, "Alumni", "White Glove"), **WHO)
    await repo.retire_label("Alumni", **WHO)
    # the modal offers active labels only; saving it must not drop the retired one
    await repo.set_employer_labels(employer_id, [], **WHO)
    await repo.restore_label("alumni", **WHO)
    choices = await repo.load_label_choices(1)
    assert choices is not None
    assert choices.employer_labels == frozenset(await ids_of(repo, "Alumni"))


async def test_both_label_sets_change_together_or_not_at_all(repo: Repository) -> None:
    choices = await repo.load_label_choices(1)
    assert choices is not None and choices.contact is not None
    retired = await repo.create_label("Old friends", **WHO)
    await repo.retire_label("Old friends", **WHO)
    with pytest.raises(VocabularyError):
        await repo.set_request_labels(
            1,
            choices.employer.id,
            await ids_of(repo, "White Glove"),
            choices.contact.id,
            [retired.id],
            offered=[retired.id, *await ids_of(repo, "White Glove")],
            **WHO,
        )
    after = await repo.load_label_choices(1)
    assert after is not None and after.employer_labels == frozenset()


async def test_label_names_are_unique_ignoring_case(repo: Repository) -> None:
    with pytest.raises(VocabularyError, match="already"):
        await repo.create_label("white glove", **WHO)
    with pytest.raises(VocabularyError, match="no label"):
        await repo.retire_label("Platinum", **WHO)


async def test_reason_codes_stay_and_the_last_reason_cannot_go(repo: Repository) -> None:
    catalogue = await repo.list_decline_reasons()
    for reason in catalogue[1:]:
        await repo.set_decline_reason_retired(reason.code, retired=True, **WHO)
    with pytest.raises(VocabularyError, match="at least one"):
        await repo.set_decline_reason_retired(catalogue[0].code, retired=True, **WHO)
    assert [r.code for r in await repo.list_decline_reasons()] == [catalogue[0].code]
    assert len(await repo.list_decline_reasons(include_retired=True)) == len(catalogue)
    with pytest.raises(VocabularyError, match="taken"):
        await repo.add_decline_reason(catalogue[1].code, label="Other", message="Other.", **WHO)


async def test_the_modal_changes_only_the_labels_it_offered(repo: Repository) -> None:
    choices = await repo.load_label_choices(1)
    assert choices is not None and choices.contact is not None
    alumni, glove, local = await ids_of(repo, "Alumni", "White Glove", "Local employer")
    await repo.set_employer_labels(choices.employer.id, [alumni, glove], **WHO)
    # a modal that showed only White Glove and Local employer (say, past Slack's 100 options)
    await repo.set_request_labels(
        1, choices.employer.id, [local], None, [], offered=[glove, local], **WHO
    )
    after = await repo.load_label_choices(1)
    assert after is not None and after.employer_labels == frozenset({alumni, local})
