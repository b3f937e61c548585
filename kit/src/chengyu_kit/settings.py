"""Service settings read from the environment, with errors that name the variable."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

from pydantic import AwareDatetime, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chengyu_contracts.cities import City
from chengyu_contracts.person_ref import PersonRefKey
from chengyu_kit.kafka_auth import KafkaCredentials


class SettingsError(Exception):
    """Raised when an environment variable is missing or malformed."""


class ServiceSettings(BaseSettings):
    """What every Chengyu service needs to run; each field is one environment variable.

    The variable name is the field name in upper case (``KAFKA_BOOTSTRAP``), optionally
    prefixed by nothing: deployments set them directly.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    city: City = Field(description="which city this instance serves: cq or cd")
    service_name: str = Field(pattern=r"^[a-z0-9-]+$", description="e.g. fund-transfer")
    agency: str = Field(pattern=r"^[a-z0-9-]+$", description="issuing agency, e.g. hpf")
    kafka_bootstrap: str = "localhost:9092"
    kafka_username: str | None = Field(
        default=None, description="SASL/SCRAM-SHA-512 principal, e.g. cq-hpf; unset: plaintext"
    )
    kafka_password_file: Path | None = Field(
        default=None, description="file holding that principal's password (never the value)"
    )
    database_url: str = Field(description="asyncpg DSN of this service's own database")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    signing_key_file: Path = Field(description="this agency's private Ed25519 key")
    key_registry_file: Path = Field(description="public keys of every agency")
    person_ref_key: SecretStr = Field(description="inter-city HMAC key for person_ref, hex")
    consumer_max_batch: int = Field(default=500, ge=1, le=10_000)
    verify_processes: int = Field(
        default=0, ge=0, le=64, description="0: verify in threads; N: in N worker processes"
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    otel_traces_exporter: str = Field(
        default="none", description="none, console, or file:<path> (JSON lines)"
    )
    otel_traces_sampler_ratio: float = Field(
        default=1.0, ge=0.0, le=1.0, description="share of new traces recorded"
    )
    idempotency_key_hours: float = Field(
        default=24.0, ge=24.0, description="how long answers to Idempotency-Keys are kept"
    )
    oidc_issuer: str = Field(
        pattern=r"^https?://\S+$",
        description="this city's OpenID Connect provider (issuer URL): whose clerks' tokens",
    )
    oidc_audience: str | None = Field(
        default=None, description="the audience tokens must name; default the service name"
    )
    oidc_peer_issuers: dict[City, str] = Field(
        default_factory=dict,
        description='other cities\' issuers, JSON {"cd": "https://..."}: their auditors read',
    )

    clock_start: AwareDatetime | None = Field(
        default=None,
        description=(
            "rehearsals and end-to-end tests only: the service's clock starts at this instant"
            " (RFC 3339) and runs at real speed; unset in production"
        ),
    )

    @model_validator(mode="after")
    def _kafka_login_complete(self) -> ServiceSettings:
        if (self.kafka_username is None) != (self.kafka_password_file is None):
            raise ValueError("set both KAFKA_USERNAME and KAFKA_PASSWORD_FILE, or neither")
        return self

    @property
    def kafka_credentials(self) -> KafkaCredentials | None:
        """How this instance logs in to Kafka (None: a plaintext broker)."""
        if self.kafka_username is None or self.kafka_password_file is None:
            return None
        return KafkaCredentials(self.kafka_username, self.kafka_password_file)

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` of events this instance issues."""
        return f"/{self.city}/{self.agency}/{self.service_name}"

    def person_ref_hmac_key(self) -> PersonRefKey:
        """The inter-city key that turns a resident ID number into its ``person_ref``."""
        return PersonRefKey.from_hex(self.person_ref_key.get_secret_value())

    def trusted_issuers(self) -> dict[City, str]:
        """Each city whose tokens are checked here and its issuer (this city's first)."""
        return {**self.oidc_peer_issuers, self.city: self.oidc_issuer}

    @property
    def token_audience(self) -> str:
        """The ``aud`` a token must name to be used here."""
        return self.oidc_audience or self.service_name

    @property
    def consumer_group(self) -> str:
        """Kafka consumer group: one per service and city."""
        return f"{self.service_name}.{self.city}"


S = TypeVar("S", bound=BaseSettings)


def load_settings(settings_class: type[S], **overrides: object) -> S:
    """Build settings from the environment, turning pydantic errors into one clear message."""
    try:
        return settings_class(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = []
        for item in error.errors():
            name = "_".join(str(part) for part in item["loc"]).upper()
            if not name:  # a rule over several variables: its message names them
                problems.append(str(item["msg"]).removeprefix("Value error, "))
                continue
            reason = "is missing" if item["type"] == "missing" else f"is invalid: {item['msg']}"
            problems.append(f"environment variable {name} {reason}")
        raise SettingsError("; ".join(problems)) from None
