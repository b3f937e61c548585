"""The ``import-register`` declaration (the program is ``chengyu_kit.batch_import``, tested
in the kit): the civil-affairs export's columns posted to ``/register/rows``, an empty
assistance cell sent as ``none`` and an empty date as none, the register's counters in the
totals; through the real app, a real file is registered and the same file again changes
nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from elder_bus import register_state, resident
from elder_http import Served, serve
from elder_register_builders import NOW

from chengyu_elder_allowance.__main__ import main as dispatch
from chengyu_elder_allowance.register import import_command
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.testing.stand_in import blocking_client

HEADER = "id_number,name,district,assistance,assistance_since,bank_account_token,phone\n"


def export(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "register.csv"
    path.write_text("\ufeff" + HEADER + "".join(lines), encoding="utf-8")
    return path


class FakeService:
    """Answers each batch like the service would, rejecting the lines named."""

    def __init__(self, reject: frozenset[int] = frozenset()) -> None:
        self.reject = reject
        self.batches: list[list[dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/register/rows"
        rows = json.loads(request.content)["rows"]
        self.batches.append(rows)
        bad = [r for r in rows if r["line"] in self.reject]
        return httpx.Response(
            200,
            json={
                "received": len(rows),
                "registered": len(rows) - len(bad),
                "updated": 0,
                "unchanged": 0,
                "rejected": [
                    {"line": r["line"], "error": "unknown-district", "message": "No."} for r in bad
                ],
            },
        )


def test_the_export_rows_are_posted_as_the_register_takes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = export(
        tmp_path,
        [
            "ID0,老人0,500103,,,tok-0,13800138000\n",
            "ID1,老人1,500103,dibao,2024-01-01,tok-1,13800138001\n",
        ],
    )
    fake = FakeService(reject=frozenset({3}))
    client = httpx.Client(transport=httpx.MockTransport(fake), base_url="http://svc")
    argv = [str(path), "--url", "http://svc", "--token", "t"]
    assert import_command.main(argv, client=client) == 1
    assert fake.batches == [
        [
            {
                "line": 2,
                "id_number": "ID0",
                "name": "老人0",
                "district": "500103",
                "assistance": "none",
                "assistance_since": None,
                "bank_account_token": "tok-0",
                "phone": "13800138000",
            },
            {
                "line": 3,
                "id_number": "ID1",
                "name": "老人1",
                "district": "500103",
                "assistance": "dibao",
                "assistance_since": "2024-01-01",
                "bank_account_token": "tok-1",
                "phone": "13800138001",
            },
        ]
    ]
    assert capsys.readouterr().out.splitlines() == [
        "received 2, registered 1, updated 0, unchanged 0, rejected 1",
        "line 3: unknown-district: No.",
    ]


def test_the_command_is_dispatched_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert dispatch(["no-such-command"]) == 2
    assert "import-register" in capsys.readouterr().err


def printed(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The command's lines of what was printed (the app logs to the same stdout)."""
    out = capsys.readouterr().out.splitlines()
    return [line for line in out if line.startswith(("received ", "line "))]


@pytest.fixture
async def service(
    database: str, oidc_provider: OidcProvider, tmp_path: Path
) -> AsyncIterator[Served]:
    async for served in serve(database, oidc_provider, tmp_path, now=NOW):
        yield served


@pytest.mark.integration
async def test_a_real_file_is_registered_and_the_same_file_again_changes_nothing(
    service: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = export(
        tmp_path,
        [
            f"{resident(2)},王大爷,500103,,,tok-2,13800138000\n",
            f"{resident(3)},李大妈,510104,,,tok-3,13800138000\n",
            f"{resident(4)},张大爷,500103,dibao,2024-01-01,tok-4,13800138000\n",
        ],
    )
    argv = [str(path), "--url", "http://service", "--token", "-"]
    with blocking_client(service.client) as client:
        assert await asyncio.to_thread(import_command.main, argv, client) == 1
        first = printed(capsys)
        before = await register_state(service.pool)
        assert await asyncio.to_thread(import_command.main, argv, client) == 1
        again = printed(capsys)
    assert first[0] == "received 3, registered 2, updated 0, unchanged 0, rejected 1"
    assert first[1].startswith("line 3: ")
    assert again[0] == "received 3, registered 0, updated 0, unchanged 2, rejected 1"
    assert await register_state(service.pool) == before
