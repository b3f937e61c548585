"""Where the workspace is (its root holds ``deploy/kafka/pom.xml``, the Kafka jars' pom) and
where the local stack keeps its state."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["HOME_ENV", "find_project_root", "state_home"]

#: Environment variable that moves the local stack's state folder (default `<root>/.chengyu`).
HOME_ENV = "CHENGYU_HOME"

_MARKER = Path("deploy") / "kafka" / "pom.xml"


def find_project_root(start: Path | None = None) -> Path:
    """Return the workspace root: the nearest folder (from `start`, the current folder,
    then this package's own location) that holds ``deploy/kafka/pom.xml``."""
    candidates = [start] if start is not None else [Path.cwd(), Path(__file__).resolve()]
    for candidate in candidates:
        here = candidate.resolve()
        for folder in (here, *here.parents):
            if (folder / _MARKER).is_file():
                return folder
    where = start if start is not None else Path.cwd()
    raise FileNotFoundError(
        f"cannot find the Chengyu project root (a folder with {_MARKER}) from {where}"
    )


def state_home(project_root: Path) -> Path:
    """The local stack's state folder: ``$CHENGYU_HOME`` or ``<project root>/.chengyu``."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return project_root / ".chengyu"
