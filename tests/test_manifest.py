"""manifest.yml validates against Slack's own manifest schema and matches what jobgate serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource

from handlers.commands import COMMAND
from tests.conftest import SLACK_REFERENCE

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = SLACK_REFERENCE / "manifest-schema"


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return loaded


def slack_validator() -> jsonschema.Draft7Validator:
    if not SCHEMAS.exists():
        raise FileNotFoundError(SCHEMAS)
    top = json.loads((SCHEMAS / "manifest.schema.json").read_text())
    registry: Registry = Registry()
    for version in ("1.0.0", "2.0.0"):
        schema = json.loads((SCHEMAS / "schemas" / f"manifest.schema.{version}.json").read_text())
        # the top-level schema refers to the versions by their published URLs; serve them locally
        url = f"https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/manifest.schema.{version}.json"
        registry = registry.with_resource(url, Resource.from_contents(schema))
    return jsonschema.Draft7Validator(top, registry=registry)


def test_manifest_validates_against_slacks_schema() -> None:
    errors = sorted(slack_validator().iter_errors(manifest()), key=str)
    assert errors == []


def test_the_schema_rejects_a_broken_manifest() -> None:
    broken = manifest()
    broken["oauth_config"]["scopes"]["bot"] = "chat:write"  # must be a list
    assert list(slack_validator().iter_errors(broken))


def test_manifest_declares_what_jobgate_uses() -> None:
    data = manifest()
    commands = [c["command"] for c in data["features"]["slash_commands"]]
    assert commands == [COMMAND]
    scopes = set(data["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "commands", "usergroups:read", "im:write"} <= scopes
    # after a post whose answer was lost, the deliverer looks for it (conversations.history
    # and .replies) where it posts: the review channel, public or private, and DMs
    assert {"channels:history", "groups:history", "im:history"} <= scopes
    assert "users:read" not in scopes  # no users.* method is called: least privilege
    urls = {
        data["settings"]["interactivity"]["request_url"],
        data["settings"]["event_subscriptions"]["request_url"],
        data["features"]["slash_commands"][0]["url"],
    }
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")
    assert data["features"]["app_home"]["home_tab_enabled"] is True
