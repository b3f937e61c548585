"""Builders of the register tests: a fixed day and register rows as the pure rules take
them (the row as the API takes it, and synthetic residents, are :mod:`elder_bus`'s)."""

from __future__ import annotations

from datetime import date
from typing import Any

from elder_bus import noon, row

from chengyu_elder_allowance.register.rows import ImportRow

TODAY = date(2026, 3, 15)
NOW = noon(TODAY)


def import_row(line: int = 2, **fields: Any) -> ImportRow:
    """:func:`elder_bus.row` as the pure rules take it."""
    return ImportRow(**row(line, **fields))
