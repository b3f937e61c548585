"""The service's own settings: how often each overdue sweep runs, from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from chengyu_job_matching.service import SERVICE, JobMatchingSettings
from chengyu_kit.testing.stand_in import settings_for

ISSUERS = {"cq": "http://127.0.0.1:9/cq", "cd": "http://127.0.0.1:9/cd"}


def settings(tmp_path: Path) -> JobMatchingSettings:
    made = settings_for(
        SERVICE, "cq", database_url="postgresql://x@/y", key_folder=tmp_path, issuers=ISSUERS
    )
    assert isinstance(made, JobMatchingSettings)
    return made


def test_the_sweeps_run_every_minute_and_every_five_minutes_by_default(tmp_path: Path) -> None:
    made = settings(tmp_path)
    assert made.hotline_sweep_seconds == 60.0
    assert made.personnel_files_sweep_seconds == 300.0


def test_the_environment_sets_each_sweeps_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_SWEEP_SECONDS", "1")
    monkeypatch.setenv("PERSONNEL_FILES_SWEEP_SECONDS", "2.5")
    made = settings(tmp_path)
    assert (made.hotline_sweep_seconds, made.personnel_files_sweep_seconds) == (1.0, 2.5)


def test_a_sweep_interval_of_zero_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERSONNEL_FILES_SWEEP_SECONDS", "0")
    with pytest.raises(ValidationError, match="personnel_files_sweep_seconds"):
        settings(tmp_path)
