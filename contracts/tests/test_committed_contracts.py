"""The contracts committed under contracts/ are exactly what the code generates.

If this fails: read each problem. Breaking changes need a new type version; once
none is left, regenerate the files (write_schemas / write_asyncapi, or the
``chengyu contracts`` command) and commit them.
"""

from __future__ import annotations

from pathlib import Path

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.compat import check_contracts
from chengyu_contracts.registry import REGISTRY

CONTRACTS_DIR = Path(__file__).resolve().parents[1]


def test_committed_contracts_match_code() -> None:
    problems = check_contracts(
        REGISTRY, CONTRACTS_DIR / "schemas", asyncapi_file=CONTRACTS_DIR / "asyncapi.json"
    )
    assert problems == []
