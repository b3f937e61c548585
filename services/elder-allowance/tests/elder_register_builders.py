"""Builders of the register tests: a fixed day, synthetic resident ID numbers (nobody
real) and register rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from chengyu_contracts.resident_id import Sex, synthesize_resident_id
from chengyu_elder_allowance.register.rows import ImportRow

TODAY = date(2026, 3, 15)
# Noon in China on TODAY.
NOW = datetime(2026, 3, 15, 4, 0, tzinfo=UTC)


def resident(
    serial: int, born: date = date(1940, 5, 1), sex: Sex = "male", region: str = "500103"
) -> str:
    """A synthetic, valid resident ID number."""
    return synthesize_resident_id(region, born, serial, sex)


def row(line: int = 2, **fields: Any) -> dict[str, Any]:
    """A good Chongqing register row as the API takes it; ``fields`` replace its values."""
    values: dict[str, Any] = {
        "line": line,
        "id_number": resident(line),
        "name": "王大爷",
        "district": "500103",
        "assistance": "none",
        "assistance_since": None,
        "bank_account_token": f"tok-{line:06d}",
        "phone": "13800138000",
    }
    values.update(fields)
    return values


def import_row(line: int = 2, **fields: Any) -> ImportRow:
    """:func:`row` as the pure rules take it."""
    return ImportRow(**row(line, **fields))
