"""Every Slack surface registered on the Bolt app, and the /jobgate subcommand modules."""

from __future__ import annotations

from slack_bolt.app.async_app import AsyncApp

from handlers import (
    actions,
    admin_commands,
    bulk,
    commands,
    employer_commands,
    events,
    home,
    labels,
    menus,
    post_on_behalf,
    reports,
    searches,
    team_commands,
    views,
)

# modules that only add /jobgate subcommands (registered by importing them)
SUBCOMMAND_MODULES = (employer_commands, searches, team_commands)


def register_all(app: AsyncApp) -> None:
    """Every listener, in one explicit list."""
    for surface in (
        actions,
        views,
        menus,
        post_on_behalf,
        reports,
        labels,
        admin_commands,
        bulk,
        searches,
        commands,
        events,
        home,
    ):
        surface.register(app)
