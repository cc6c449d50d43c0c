"""Workspace settings (SPEC section 3): live in the database, editable by admins in Slack."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.policy import DEFAULT_ROLES

RoleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
# a Slack user id (U…, or W… on Enterprise Grid) or user-group id (S…), as in JOBGATE_REVIEWERS
SlackPersonId = Annotated[str, StringConstraints(pattern=r"^[UWS][A-Z0-9]{2,40}$")]


# the longest follow-up a hold may ask for, in the settings and in the Hold modal alike
MAX_FOLLOW_UP_DAYS = 60


class WorkspaceSettings(BaseModel):
    """Defaults here; an admin's change is stored per key and recorded in the audit trail."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    default_roles: tuple[RoleName, ...] = DEFAULT_ROLES
    undo_window_minutes: Annotated[int, Field(ge=0, le=24 * 60)] = 10
    hold_follow_up_days: Annotated[int, Field(ge=1, le=MAX_FOLLOW_UP_DAYS)] = 3
    hold_expiry_days: Annotated[int, Field(ge=1, le=120)] = 14  # calendar days
    hold_expiry_action: Annotated[
        str, StringConstraints(pattern=r"^(pending|expired|decline)$")
    ] = "pending"
    first_job_needs_review: bool = True
    sla_business_days: Annotated[int, Field(ge=1, le=30)] = 2
    digest_days: tuple[Annotated[int, Field(ge=0, le=6)], ...] = (0, 1, 2, 3, 4)
    digest_time: Annotated[str, StringConstraints(pattern=r"^([01]?\d|2[0-3]):[0-5]\d$")] | None = (
        None
    )
    quiet_digest: bool = True
    digest_grace_hours: Annotated[int, Field(ge=0, le=24)] = 3
    duplicate_window_days: Annotated[int, Field(ge=1, le=365)] = 60
    # who may review (SPEC 1 and 3); None: JOBGATE_REVIEWERS. Admins stay in the environment,
    # so nobody can lock the admins out from Slack
    reviewers: tuple[SlackPersonId, ...] | None = None


HOLD_TEMPLATES = (
    "Could you tell us more about the duties of this role and who the student would report to?",
    "Please add the pay (or the stipend) and the work location, including whether it is remote.",
    "Please confirm your business address and send a link to your organization's website.",
    "Could you confirm that applicants pay nothing and are not asked to buy anything?",
)
