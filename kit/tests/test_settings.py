"""Settings errors name the environment variables that are missing or malformed."""

import socket
from pathlib import Path

import pytest
from aiokafka.errors import KafkaConnectionError

from chengyu_kit.kafka_auth import (
    KafkaCredentials,
    client_options,
    describe_kafka_failure,
    write_password_file,
)
from chengyu_kit.settings import ServiceSettings, SettingsError, load_settings


def test_missing_variables_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CITY", "DATABASE_URL", "SERVICE_NAME", "AGENCY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SettingsError) as error:
        load_settings(ServiceSettings)
    assert "environment variable CITY is missing" in str(error.value)
    assert "environment variable DATABASE_URL is missing" in str(error.value)


def test_malformed_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITY", "sh")
    with pytest.raises(SettingsError, match="environment variable CITY is invalid"):
        load_settings(ServiceSettings)


def test_source_and_consumer_group_follow_city_agency_and_service() -> None:
    settings = ServiceSettings(
        city="cq",
        service_name="fund-transfer",
        agency="hpf",
        database_url="postgresql:///x",
        signing_key_file="k.json",
        key_registry_file="r.json",
        person_ref_key="00",
        oidc_issuer="https://id.cq.example/realm",
        oidc_peer_issuers={"cd": "https://id.cd.example/realm"},
    )
    assert settings.source == "/cq/hpf/fund-transfer"
    assert settings.consumer_group == "fund-transfer.cq"
    # Tokens must name the service unless another audience is set; the city's own issuer
    # and the other city's are trusted.
    assert settings.token_audience == "fund-transfer"
    assert settings.trusted_issuers() == {
        "cq": "https://id.cq.example/realm",
        "cd": "https://id.cd.example/realm",
    }


def test_a_service_without_an_identity_provider_does_not_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OIDC_ISSUER", raising=False)
    with pytest.raises(SettingsError, match="environment variable OIDC_ISSUER is missing"):
        load_settings(ServiceSettings)


def test_a_kafka_login_needs_both_the_username_and_the_password_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {
        "CITY": "cq",
        "SERVICE_NAME": "fund-transfer",
        "AGENCY": "hpf",
        "DATABASE_URL": "postgresql:///x",
        "SIGNING_KEY_FILE": "k.json",
        "KEY_REGISTRY_FILE": "r.json",
        "PERSON_REF_KEY": "00",
        "OIDC_ISSUER": "https://id.cq.example/realm",
        "KAFKA_USERNAME": "cq-hpf",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("KAFKA_PASSWORD_FILE", raising=False)
    with pytest.raises(SettingsError, match="set both KAFKA_USERNAME and KAFKA_PASSWORD_FILE"):
        load_settings(ServiceSettings)


def test_kafka_credentials_are_read_from_the_file_and_never_shown(tmp_path: Path) -> None:
    secret = tmp_path / "cq-hpf.password"
    assert write_password_file(secret)
    assert not write_password_file(secret)  # an existing password is kept
    assert secret.stat().st_mode & 0o777 == 0o600
    settings = ServiceSettings(
        city="cq",
        service_name="fund-transfer",
        agency="hpf",
        database_url="postgresql:///x",
        signing_key_file="k.json",
        key_registry_file="r.json",
        person_ref_key="00",
        oidc_issuer="https://id.cq.example/realm",
        kafka_username="cq-hpf",
        kafka_password_file=secret,
    )
    credentials = settings.kafka_credentials
    assert credentials is not None
    password = secret.read_text().strip()
    assert client_options(credentials) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "cq-hpf",
        "sasl_plain_password": password,
    }
    assert password not in repr(credentials) + repr(settings) + str(settings.model_dump())


def test_a_refused_login_is_one_line_naming_principal_and_broker(tmp_path: Path) -> None:
    credentials = KafkaCredentials("cq-hpf", tmp_path / "cq-hpf.password")
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        bootstrap = f"127.0.0.1:{listening.getsockname()[1]}"
        line = describe_kafka_failure(
            KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 1)]"),
            credentials,
            bootstrap,
        )
    assert line == (
        f"Kafka at {bootstrap} refused principal 'cq-hpf': SASL authentication failed "
        f"(wrong password or unknown user; password file {credentials.password_file})"
    )
    gone = describe_kafka_failure(KafkaConnectionError("Unable to bootstrap"), None, bootstrap)
    assert gone == f"Kafka at {bootstrap} refused no principal (plaintext): broker unreachable"
