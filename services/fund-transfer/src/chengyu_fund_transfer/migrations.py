"""The service's SQL migrations, shipped inside the package (``migrations/NNN_*.sql``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from chengyu_kit.migrations import Migration, load_migrations

NAMESPACE = "fund-transfer"


def fund_migrations() -> list[Migration]:
    """The fund-transfer tables (namespace ``fund-transfer``), to apply after the kit's."""
    directory = Path(str(resources.files("chengyu_fund_transfer") / "migrations"))
    return load_migrations(NAMESPACE, directory)
