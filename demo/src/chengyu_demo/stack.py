"""What the demo knows of the local stack it runs on: the two cities, where each city's
services answer by default, and where the stack keeps its state (the demo records each
seed's finished runs there).

These mirror the stack's own registry (``deploy/src/chengyu_ops/services.py``, port plan
81xx for Chongqing, 82xx for Chengdu) and state folder (``chengyu_ops.paths``) without
importing them: ops must not depend on the demo, nor the demo on ops. Every default can be
overridden on the command line (``--cq-url`` ...) or with ``CHENGYU_HOME``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

__all__ = ["CITIES", "City", "default_url", "find_project_root", "other_city", "state_home"]

City = Literal["cq", "cd"]
CITIES: tuple[City, City] = ("cq", "cd")

#: The HTTP port of each service of the local stack, by city.
STACK_PORTS: dict[str, dict[City, int]] = {
    "fund-transfer": {"cq": 8101, "cd": 8201},
    "insurance-years": {"cq": 8102, "cd": 8202},
}

#: Environment variable that moves the local stack's state folder (default `<root>/.chengyu`).
HOME_ENV = "CHENGYU_HOME"
_ROOT_MARKER = Path("deploy") / "kafka" / "pom.xml"


def other_city(city: City) -> City:
    """The other one of the two cities."""
    return "cd" if city == "cq" else "cq"


def default_url(service: str, city: City) -> str:
    """Base URL of ``service`` in ``city`` on the local stack (bound to the loopback)."""
    return f"http://127.0.0.1:{STACK_PORTS[service][city]}"


def find_project_root(start: Path | None = None) -> Path:
    """The workspace root: the nearest folder (from ``start``, the current folder, then
    this package's own location) that holds ``deploy/kafka/pom.xml``."""
    candidates = [start] if start is not None else [Path.cwd(), Path(__file__).resolve()]
    for candidate in candidates:
        here = candidate.resolve()
        for folder in (here, *here.parents):
            if (folder / _ROOT_MARKER).is_file():
                return folder
    where = start if start is not None else Path.cwd()
    raise FileNotFoundError(
        f"cannot find the Chengyu project root (a folder with {_ROOT_MARKER}) from {where}"
    )


def state_home(project_root: Path) -> Path:
    """The local stack's state folder: ``$CHENGYU_HOME`` or ``<project root>/.chengyu``."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return project_root / ".chengyu"
