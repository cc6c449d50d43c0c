"""Saved searches and the queue through the real slash command, end to end."""

from __future__ import annotations

from bot.sandbox.workspace import Ephemeral
from tests.harness import ADMIN, REVIEW_CHANNEL, REVIEWERS, STAFF, Harness, job

REVIEWER = REVIEWERS[0]


async def ask(h: Harness, user: str, text: str) -> Ephemeral:
    """`user` types `/jobgate <text>`; the one private answer it gets."""
    before = len(h.slack.ephemerals_for(user))
    await h.slack.slash(user, text, channel=REVIEW_CHANNEL)
    answers = await h.slack.wait_for(
        lambda: h.slack.ephemerals_for(user)[before:], what=f"an answer to /jobgate {text}"
    )
    assert len(answers) == 1, [a.text for a in answers]
    return answers[0]


def words(answer: Ephemeral) -> str:
    return answer.text + str(answer.blocks or "")


async def approved_employer_with_jobs(h: Harness, jobs: list[dict[str, object]]) -> None:
    await h.approve_employer()
    await h.platform.send_jobs(jobs)
    await h.settle()


async def test_saved_searches_round_trip_through_the_slash_command(harness: Harness) -> None:
    h = harness
    await approved_employer_with_jobs(
        h,
        [
            job("job_austin", title="Data Analyst Intern"),
            job("job_denver", title="Field Engineer", location="Denver, CO"),
        ],
    )
    saved = await ask(h, REVIEWER, 'search save "Austin jobs" kind:job location:AUSTIN')
    assert "Saved *Austin jobs*" in saved.text
    assert "`kind:job state:pending location:AUSTIN`" in saved.text and "1 match now" in saved.text

    listed = await ask(h, REVIEWERS[1], "search list")
    assert "*Austin jobs*" in words(listed) and "1 now" in words(listed)

    queue = await ask(h, REVIEWERS[1], "queue austin JOBS")  # the name, in any case
    text = words(queue)
    assert "*1 request* matches saved search *Austin jobs*" in text
    card = await h.card("job_austin")
    permalink = f"/archives/{REVIEW_CHANNEL}/p{card.ts.replace('.', '')}"
    assert f"{permalink}|Data Analyst Intern>" in text and "Field Engineer" not in text

    replaced = await ask(h, REVIEWER, 'search save "AUSTIN JOBS" kind:job location:denver')
    assert "It replaced `kind:job state:pending location:AUSTIN`" in replaced.text
    searches = await h.repo.list_saved_searches()
    assert [(s.name, s.filter_text) for s in searches] == [
        ("Austin jobs", "kind:job state:pending location:denver")
    ]

    deleted = await ask(h, REVIEWER, 'search delete "austin jobs"')
    assert "Deleted the saved search" in deleted.text
    assert await h.repo.list_saved_searches() == []
    gone = await ask(h, REVIEWER, "search delete austin jobs")
    assert "No saved search is called" in gone.text


async def test_the_queue_lists_up_to_twenty_with_links(harness: Harness) -> None:
    h = harness
    await approved_employer_with_jobs(
        h,
        [job(f"job_{i:02d}", title=f"Analyst {chr(97 + i)}") for i in range(23)],
    )
    answer = await ask(h, REVIEWER, "queue kind:job age:<1d")  # the fake escapes it, as Slack
    assert answer.blocks is not None
    assert "*23 requests* match `kind:job state:pending age:&lt;1d`" in answer.text
    lines = [b for b in answer.blocks if "waiting" in str(b)]
    assert len(lines) == 20
    assert all("/archives/" in str(line) and "risk none" in str(line) for line in lines)
    assert "…and 3 more" in str(answer.blocks[-1])
    assert "Analyst a" in str(lines[0])  # oldest first

    everything = await ask(h, REVIEWER, "queue")
    assert "*23 requests* match `state:pending`" in everything.text

    empty = await ask(h, REVIEWER, "queue employer:nobody")
    assert "Nothing matches `state:pending employer:nobody`. `/jobgate queue` lists" in empty.text


async def test_a_bad_filter_gets_a_private_error_naming_the_term(harness: Harness) -> None:
    h = harness
    answer = await ask(h, REVIEWER, "queue kind:job colour:red")
    assert "`colour:red`" in answer.text and "unknown key `colour`" in answer.text
    assert "Filter keys:" in answer.text
    saved = await ask(h, REVIEWER, "search save mine age:3d")
    assert "`age:3d`" in saved.text and "age:&gt;3d" in saved.text
    assert await h.repo.list_saved_searches() == []
    bad_name = await ask(h, REVIEWER, "search save kind:job kind:job")
    assert "cannot contain colons" in bad_name.text


async def test_only_staff_see_the_queue_and_only_admins_choose_the_digest(
    harness: Harness,
) -> None:
    h = harness
    refused = await ask(h, STAFF, "queue")
    assert "reviewer list" in refused.text
    await ask(h, REVIEWER, "search save stale kind:job age:>3d")
    not_admin = await ask(h, REVIEWER, "search digest stale on")
    assert "admin list" in not_admin.text
    assert await h.repo.list_saved_searches(in_digest=True) == []
    done = await ask(h, ADMIN, "search digest STALE on")
    assert "*stale* is now listed in the daily digest" in done.text
    assert [s.name for s in await h.repo.list_saved_searches(in_digest=True)] == ["stale"]
    assert "in the digest" in words(await ask(h, REVIEWER, "search list"))
    await ask(h, ADMIN, "search digest stale off")
    assert await h.repo.list_saved_searches(in_digest=True) == []
    audit = await h.repo.db.read(
        lambda conn: conn.execute(
            "SELECT actor, json_extract(details, '$.attempted') FROM audit"
            " WHERE action = 'refused' ORDER BY id"
        ).fetchall()
    )
    assert [tuple(r) for r in audit] == [(STAFF, "queue"), (REVIEWER, "search digest")]
