"""The service's SQL migrations, shipped inside the package (``migrations/NNN_*.sql``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from chengyu_kit.migrations import Migration, load_migrations

NAMESPACE = "insurance-years"


def insurance_migrations() -> list[Migration]:
    """The insurance-years tables (namespace ``insurance-years``), to apply after the kit's."""
    directory = Path(str(resources.files("chengyu_insurance_years") / "migrations"))
    return load_migrations(NAMESPACE, directory)
