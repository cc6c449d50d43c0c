"""The load generator, a process of its own: builds every signed request before the clock
starts, then sends them with a fixed number of workers over keep-alive connections and
prints one JSON line of results (latency of each HTTP response, errors, throughput).

    python -m bench.loadgen clicks --url URL --cards FILE --offset 0 --count 2000 --concurrency 50
    python -m bench.loadgen jobs --url URL --ingest-secret whsec_… --count 200 --batch 1000 …

Clicks are block_actions payloads for Approve, shaped as bot/sandbox/fake_slack.py's
`block_actions_payload` (the card's blocks included, as Slack sends them), one per distinct
request, signed with the Slack signing secret. Jobs are signed with Standard Webhooks
(bot/sandbox/fake_platform.py's `sign`), one object per call or an array of `--batch`.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import hashlib
import hmac
import json
import random
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bench.common import summary_ms

Request = tuple[str, bytes, dict[str, str], int]  # path, body, headers, items


def slack_headers(secret: str, body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
    }


def _with_value(blocks: list[dict[str, Any]], old: str, new: str) -> list[dict[str, Any]]:
    copied = copy.deepcopy(blocks)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("value") == old:
                node["value"] = new
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(copied)
    return copied


def click_payload(
    request_id: int,
    channel: str,
    ts: str,
    user: str,
    blocks: list[dict[str, Any]],
    team: str,
    response_root: str,
) -> dict[str, Any]:
    action = next(
        (
            e
            for b in blocks
            if b.get("type") == "actions"
            for e in b.get("elements", [])
            if e.get("action_id") == "jobgate_approve"
        ),
        {"value": str(request_id), "text": {"type": "plain_text", "text": "Approve"}},
    )
    block_id = next((b.get("block_id", "") for b in blocks if b.get("type") == "actions"), "")
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team},
        "api_app_id": "A0JOBGATE",
        "token": "legacy-token",
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"{int(time.time())}.{request_id}.{uuid.uuid4().hex[:12]}",
        "team": {"id": team, "domain": "jobgate-sandbox"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "job-review"},
        "message": {
            "type": "message",
            "ts": ts,
            "text": f"card {request_id}",
            "blocks": blocks,
            "bot_id": "BJOBGATE",
            "app_id": "A0JOBGATE",
            "team": team,
        },
        "state": {"values": {}},
        "response_url": f"{response_root}response/R{request_id:08d}?user={user}&channel={channel}",
        "actions": [
            {
                "action_id": "jobgate_approve",
                "block_id": block_id,
                "type": "button",
                "value": str(request_id),
                "text": action.get("text"),
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def build_clicks(args: argparse.Namespace) -> list[Request]:
    cards = json.loads(Path(args.cards).read_text())[args.offset : args.offset + args.count]
    if len(cards) < args.count:
        raise SystemExit(f"only {len(cards)} cards left at offset {args.offset}")
    template: list[dict[str, Any]] = (
        json.loads(Path(args.blocks).read_text()) if args.blocks else []
    )
    requests = []
    users = [f"UREV{i:04d}" for i in range(1, 11)]
    for n, (request_id, channel, ts) in enumerate(cards):
        blocks = _with_value(template, args.template_id, str(request_id)) if template else []
        payload = click_payload(
            int(request_id),
            channel,
            ts,
            users[n % len(users)],
            blocks,
            args.team,
            args.response_root,
        )
        body = urlencode({"payload": json.dumps(payload)})
        requests.append(("/slack/events", body.encode(), slack_headers(args.secret, body), 1))
    return requests


def job_item(rng: random.Random, upstream_id: str, employers: int) -> dict[str, Any]:
    employer = rng.randrange(1, employers + 1)
    words = " ".join(
        rng.choice(
            (
                "data",
                "team",
                "build",
                "learn",
                "analyze",
                "support",
                "design",
                "report",
                "customer",
                "research",
                "student",
                "project",
            )
        )
        for _ in range(40)
    )
    return {
        "id": upstream_id,
        "employer": {"id": f"ingest_emp{employer}", "name": f"Ingest Employer {employer}"},
        "title": rng.choice(
            (
                "Data Analyst Intern",
                "Marketing Assistant",
                "Tutor",
                "QA Tester",
                "Research Assistant",
                "Web Developer",
            )
        ),
        "description": words,
        "location": rng.choice(("Austin, TX", "Remote", "Boston, MA")),
        "remote": False,
        "employment_type": "internship",
        "pay": {"min": 20, "max": 28, "currency": "USD", "period": "hour"},
        "apply_url": f"https://ingest{employer}.example/jobs/{upstream_id}",
        "contact": {
            "id": f"c_ingest_{employer}",
            "name": "Pat Doe",
            "email": f"pat@ingest{employer}.example",
        },
        "requested_at": "2026-11-25T14:05:00Z",
    }


def build_jobs(args: argparse.Namespace) -> list[Request]:
    from standardwebhooks import Webhook

    signer = Webhook(args.ingest_secret)
    rng = random.Random(args.seed)
    requests = []
    serial = 0
    for _ in range(args.count):
        items = []
        for _ in range(args.batch):
            serial += 1
            items.append(job_item(rng, f"{args.prefix}_{serial}", args.employers))
        document: Any = items[0] if args.batch == 1 and not args.array else items
        body = json.dumps(document)
        msg_id = f"msg_{uuid.uuid4().hex}"
        moment = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": signer.sign(msg_id, moment, body),
        }
        requests.append(("/api/v1/jobs", body.encode(), headers, len(items)))
    return requests


async def fire(
    url: str, requests: list[Request], concurrency: int, limit_s: float, expect: int = 200
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors: list[str] = []
    items_ok = 0
    queue = iter(requests)
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    started = time.perf_counter()
    cpu_before = time.process_time()
    deadline = started + limit_s

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            nonlocal items_ok
            for path, body, headers, items in queue:
                if time.perf_counter() > deadline:
                    return
                sent = time.perf_counter()
                try:
                    async with session.post(url + path, data=body, headers=headers) as response:
                        await response.read()
                        status = response.status
                except Exception as exc:  # counted, not raised
                    latencies.append(time.perf_counter() - sent)
                    statuses[type(exc).__name__] = statuses.get(type(exc).__name__, 0) + 1
                    errors.append(type(exc).__name__)
                    continue
                latencies.append(time.perf_counter() - sent)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if status != expect:
                    errors.append(f"HTTP {status}")
                else:
                    items_ok += items

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    return {
        "sent": len(latencies),
        "planned": len(requests),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "statuses": statuses,
        "wall_s": wall,
        "rps": len(latencies) / wall if wall else 0.0,
        "items_ok": items_ok,
        "items_per_s": items_ok / wall if wall else 0.0,
        "latency_ms": summary_ms(latencies),
        "over_1s": sum(1 for x in latencies if x > 1.0),
        "concurrency": concurrency,
        # the generator's own CPU while sending: on 2 cores, what it leaves the server
        "loadgen_cpu_share": cpu / wall if wall else 0.0,
        "loadgen_cpu_ms_per_call": 1000 * cpu / len(latencies) if latencies else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    for mode in ("clicks", "jobs"):
        p = sub.add_parser(mode)
        p.add_argument("--url", required=True)
        p.add_argument("--concurrency", type=int, default=10)
        p.add_argument("--count", type=int, default=100)
        p.add_argument("--limit-s", type=float, default=180.0, help="stop sending after this")
    clicks, jobs = sub.choices["clicks"], sub.choices["jobs"]
    clicks.add_argument("--cards", required=True, help="JSON [[request_id, channel, ts], …]")
    clicks.add_argument("--offset", type=int, default=0)
    clicks.add_argument("--blocks", default=None, help="JSON card blocks of --template-id")
    clicks.add_argument("--template-id", default="1")
    clicks.add_argument("--secret", default="bench-signing-secret")
    clicks.add_argument("--team", default="T0JOBGATE")
    clicks.add_argument("--response-root", default="http://127.0.0.1:9/")
    jobs.add_argument("--ingest-secret", required=True)
    jobs.add_argument("--batch", type=int, default=1)
    jobs.add_argument("--array", action="store_true", help="send an array even for --batch 1")
    jobs.add_argument("--prefix", default="ing")
    jobs.add_argument("--employers", type=int, default=500)
    jobs.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    requests = build_clicks(args) if args.mode == "clicks" else build_jobs(args)
    result = asyncio.run(fire(args.url, requests, args.concurrency, args.limit_s))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
