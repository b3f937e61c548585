"""Where things live: the project root, the state folder and the Kafka jar cache."""

from __future__ import annotations

import os
from pathlib import Path

from chengyu_kit.local.paths import find_project_root

__all__ = ["HOME_ENV", "find_project_root", "state_home"]

#: Environment variable that moves the local stack's state folder (default `<root>/.chengyu`).
HOME_ENV = "CHENGYU_HOME"


def state_home(project_root: Path) -> Path:
    """The local stack's state folder: ``$CHENGYU_HOME`` or ``<project root>/.chengyu``."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return project_root / ".chengyu"
