"""``python -m chengyu_blood_dispatch import-units FILE.csv --url URL --token TOKEN``:
import a blood centre information system's export of collected units into the city's
stock through ``POST /units/batch`` (the program is :mod:`chengyu_kit.batch_import`).

The CSV has the header ``din,product,abo,rhd,collected_at,expires_at`` (codes as in
``blood_groups``; times RFC 3339 with an offset).
"""

from __future__ import annotations

from chengyu_kit.batch_import import BatchImport

IMPORT_UNITS = BatchImport(
    command="python -m chengyu_blood_dispatch import-units",
    description="Import a blood centre's export of collected units (CSV) into its stock.",
    endpoint="/units/batch",
    columns=("din", "product", "abo", "rhd", "collected_at", "expires_at"),
    counters=("recorded", "unchanged"),
    example_url="http://127.0.0.1:8104",
    token_help="a blood-centre clerk's bearer token",
)

main = IMPORT_UNITS.main
