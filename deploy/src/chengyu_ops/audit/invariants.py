"""Finding and running the services' invariants (``chengyu_contracts.invariants``).

Every service of the workspace whose package has a module ``invariants`` with a function
``invariants()`` contributes the rules that function returns; a new service adds its own
module and nothing here changes.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from chengyu_contracts.invariants import Invariant, LoggedEvent, Violation
from chengyu_ops.services import discover_services


def service_packages(root: Path) -> list[str]:
    """The Python packages of the workspace's services, each once, in port order."""
    packages: list[str] = []
    for spec in discover_services(root):
        if spec.module not in packages:
            packages.append(spec.module)
    return packages


def load_invariants(packages: Iterable[str]) -> list[Invariant]:
    """A fresh instance of every invariant the given service packages declare."""
    found: list[Invariant] = []
    for package in packages:
        try:
            module = importlib.import_module(f"{package}.invariants")
        except ModuleNotFoundError as error:
            if error.name != f"{package}.invariants":
                raise
            continue
        found.extend(module.invariants())
    return found


def check_invariants(
    invariants: list[Invariant], events: Iterable[LoggedEvent], now: datetime
) -> list[Violation]:
    """Replay ``events`` to every invariant, then collect their violations as of ``now``."""
    for event in events:
        for invariant in invariants:
            invariant.observe(event)
    return [violation for invariant in invariants for violation in invariant.violations(now)]
