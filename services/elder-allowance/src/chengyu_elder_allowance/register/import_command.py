"""``python -m chengyu_elder_allowance import-register FILE.csv --url URL --token TOKEN``:
import the civil-affairs bureau's export of its household register into a city's register
through ``POST /register/rows`` (the program is :mod:`chengyu_kit.batch_import`).

The CSV has the header
``id_number,name,district,assistance,assistance_since,bank_account_token,phone``; an empty
``assistance`` is ``none`` and an empty ``assistance_since`` no date.
"""

from __future__ import annotations

from typing import Any

from chengyu_kit.batch_import import BatchImport


def normalise(row: dict[str, Any]) -> dict[str, Any]:
    """The bureau leaves the assistance cells of most residents empty."""
    return {
        **row,
        "assistance": row["assistance"] or "none",
        "assistance_since": row["assistance_since"] or None,
    }


IMPORT_REGISTER = BatchImport(
    command="python -m chengyu_elder_allowance import-register",
    description="Import a civil-affairs register export (CSV) into a city's register.",
    endpoint="/register/rows",
    columns=(
        "id_number",
        "name",
        "district",
        "assistance",
        "assistance_since",
        "bank_account_token",
        "phone",
    ),
    counters=("registered", "updated", "unchanged"),
    example_url="http://127.0.0.1:8103",
    token_help="a civil-affairs clerk's bearer token",
    normalise=normalise,
)

main = IMPORT_REGISTER.main
