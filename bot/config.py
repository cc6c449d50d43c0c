"""Configuration from the environment and `.env` (SPEC section 7), read with pydantic-settings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

_SLACK_ID = re.compile(r"^[UWS][A-Z0-9]{2,}$")

IdList = Annotated[tuple[str, ...], NoDecode]


def _blank_is_unset(value: Any) -> Any:
    """A blank value is unset (a blank signing secret would verify nothing)."""
    return None if isinstance(value, str) and not value.strip() else value


# the optional settings, whether read from the environment, .env or Settings.from_mapping
OptionalSecret = Annotated[SecretStr | None, BeforeValidator(_blank_is_unset)]
OptionalText = Annotated[str | None, BeforeValidator(_blank_is_unset)]


def _env(name: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(name))


def revealed(secret: SecretStr | None) -> str | None:
    """An optional secret's value, for the one call that needs it in clear."""
    return secret.get_secret_value() if secret is not None else None


class Settings(BaseSettings):
    """Every variable of SPEC section 7; names are the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        # `SLACK_APP_TOKEN=` left blank in .env is unset, not an empty token (Socket Mode)
        env_ignore_empty=True,
    )

    slack_bot_token: OptionalSecret = _env("SLACK_BOT_TOKEN")
    slack_signing_secret: OptionalSecret = _env("SLACK_SIGNING_SECRET")
    slack_app_token: OptionalSecret = _env("SLACK_APP_TOKEN")
    slack_api_url: str = Field(
        "https://slack.com/api/", validation_alias=AliasChoices("SLACK_API_URL")
    )
    database: Path = Field(Path("jobgate.db"), validation_alias=AliasChoices("JOBGATE_DATABASE"))
    review_channel: OptionalText = _env("JOBGATE_REVIEW_CHANNEL")
    reports_channel_setting: OptionalText = _env("JOBGATE_REPORTS_CHANNEL")
    reviewers: IdList = Field((), validation_alias=AliasChoices("JOBGATE_REVIEWERS"))
    admins: IdList = Field((), validation_alias=AliasChoices("JOBGATE_ADMINS"))
    ingest_secret: OptionalSecret = _env("JOBGATE_INGEST_SECRET")
    webhook_url: OptionalText = _env("JOBGATE_WEBHOOK_URL")
    webhook_secret: OptionalSecret = _env("JOBGATE_WEBHOOK_SECRET")
    timezone: str = Field("America/New_York", validation_alias=AliasChoices("JOBGATE_TIMEZONE"))
    digest_time: str = Field("09:00", validation_alias=AliasChoices("JOBGATE_DIGEST_TIME"))
    host: str = Field("127.0.0.1", validation_alias=AliasChoices("JOBGATE_HOST"))
    port: int = Field(3000, ge=0, le=65535, validation_alias=AliasChoices("JOBGATE_PORT"))
    web_risk_api_key: OptionalSecret = _env("JOBGATE_WEB_RISK_API_KEY")
    web_risk_url: str = Field(
        "https://webrisk.googleapis.com", validation_alias=AliasChoices("JOBGATE_WEB_RISK_URL")
    )

    @field_validator("reviewers", "admins", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("reviewers", "admins")
    @classmethod
    def _check_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [v for v in value if not _SLACK_ID.match(v)]
        if bad:
            raise ValueError(f"not Slack user (U…/W…) or user-group (S…) ids: {', '.join(bad)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("digest_time")
    @classmethod
    def _check_digest_time(cls, value: str) -> str:
        parse_clock_time(value)
        return value

    @field_validator("webhook_secret", "ingest_secret")
    @classmethod
    def _check_whsec(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("whsec_"):
            raise ValueError("must be a Standard Webhooks secret starting with whsec_")
        return value

    @property
    def reports_channel(self) -> str | None:
        return self.reports_channel_setting or self.review_channel

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def digest_clock_time(self) -> time:
        return parse_clock_time(self.digest_time)

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def missing_for_run(self) -> list[str]:
        """Names of required variables that are unset for `jobgate run`."""
        missing = []
        if self.slack_bot_token is None:
            missing.append("SLACK_BOT_TOKEN")
        if not self.socket_mode and self.slack_signing_secret is None:
            missing.append("SLACK_SIGNING_SECRET")
        if not self.review_channel:
            missing.append("JOBGATE_REVIEW_CHANNEL")
        return missing

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        """Settings from exactly this mapping: no environment, no .env (for tests and tools)."""
        return _MappingSettings.model_validate(dict(values))


class _MappingSettings(Settings):
    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def parse_clock_time(value: str) -> time:
    """'09:00' -> time(9, 0); a clear ValueError otherwise."""
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a 24-hour HH:MM time")
    return time(int(match.group(1)), int(match.group(2)))


def describe_errors(error: ValidationError) -> list[str]:
    """One line per bad variable, named as in the environment."""
    lines = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else "?"
        alias = _ALIASES.get(field, field.upper())
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{alias}: {message}")
    return lines


def _alias_of(name: str) -> str:
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return name.upper()


_ALIASES = {name: _alias_of(name) for name in Settings.model_fields}
for _name, _alias in list(_ALIASES.items()):
    _ALIASES[_alias] = _alias
