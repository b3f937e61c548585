"""Settings errors name the environment variables that are missing or malformed."""

import pytest

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
