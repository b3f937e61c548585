"""Clocks: the real one, a fixed one for tests, and the real one shifted to another instant
(``CLOCK_START``) for rehearsals and end-to-end tests that must see deadlines pass."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from chengyu_kit.clock import ShiftedClock, SystemClock
from chengyu_kit.settings import SettingsError, load_settings

START = datetime(2026, 10, 9, 1, 0, tzinfo=UTC)


def test_a_shifted_clock_starts_at_its_instant_and_runs_at_real_speed() -> None:
    clock = ShiftedClock(START)
    first = clock.now()
    assert abs(first - START) < timedelta(seconds=1)
    time.sleep(0.05)
    moved = clock.now() - first
    assert timedelta(seconds=0.04) < moved < timedelta(seconds=1)


def test_a_shifted_clock_needs_a_timezone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ShiftedClock(datetime(2026, 10, 9, 9, 0))


def test_the_system_clock_is_utc_now() -> None:
    assert abs(SystemClock().now() - datetime.now(UTC)) < timedelta(seconds=1)


def test_clock_start_comes_from_the_environment_with_its_offset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chengyu_kit.settings import ServiceSettings

    for name, value in {
        "CITY": "cq",
        "SERVICE_NAME": "job-matching",
        "AGENCY": "hr",
        "DATABASE_URL": "postgresql:///x",
        "SIGNING_KEY_FILE": "k.json",
        "KEY_REGISTRY_FILE": "r.json",
        "PERSON_REF_KEY": "00",
        "OIDC_ISSUER": "https://id.cq.example/realm",
        "CLOCK_START": "2026-10-09T09:00:00+08:00",
    }.items():
        monkeypatch.setenv(name, value)
    assert load_settings(ServiceSettings).clock_start == START
    monkeypatch.setenv("CLOCK_START", "2026-10-09T09:00:00")
    with pytest.raises(SettingsError, match="CLOCK_START is invalid"):
        load_settings(ServiceSettings)
