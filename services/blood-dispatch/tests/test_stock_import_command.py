"""The ``import-units`` declaration (the program is ``chengyu_kit.batch_import``, tested in
the kit): the blood centre's export posted to ``/units/batch`` in chunks with each row's
line in the file, the stock's counters in the totals; through the real app, a real file is
recorded and the same file again changes nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from blood_bus import row
from blood_http import Served, serve

from chengyu_blood_dispatch.__main__ import main as dispatch
from chengyu_blood_dispatch.stock import import_command
from chengyu_kit.local.oidc import OidcProvider
from chengyu_kit.testing.stand_in import blocking_client

HEADER = "din,product,abo,rhd,collected_at,expires_at\n"


def export(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    path = tmp_path / "units.csv"
    lines = [",".join(r[c] for c in import_command.IMPORT_UNITS.columns) + "\n" for r in rows]
    path.write_text("\ufeff" + HEADER + "".join(lines), encoding="utf-8")
    return path


class Recorder:
    """Answers each batch like the service would, rejecting the lines named."""

    def __init__(self, reject: set[int]) -> None:
        self.reject = reject
        self.batches: list[list[dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/units/batch"
        rows = json.loads(request.content)["rows"]
        self.batches.append(rows)
        bad = [r for r in rows if r["line"] in self.reject]
        return httpx.Response(
            200,
            json={
                "received": len(rows),
                "recorded": len(rows) - len(bad),
                "unchanged": 0,
                "rejected": [
                    {"line": r["line"], "error": "unknown-abo", "message": "No."} for r in bad
                ],
            },
        )


def test_rows_are_posted_in_chunks_with_their_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = export(tmp_path, [row(n) for n in range(1, 6)])
    fake = Recorder(reject={4})
    client = httpx.Client(transport=httpx.MockTransport(fake), base_url="http://svc")
    argv = [str(path), "--url", "http://svc", "--token", "t", "--chunk", "2"]
    assert import_command.main(argv, client=client) == 1
    assert [[r["line"] for r in b] for b in fake.batches] == [[2, 3], [4, 5], [6]]
    assert fake.batches[0][0]["din"] == row(1)["din"]
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "received 5, recorded 4, unchanged 0, rejected 1"
    assert out[1] == "line 4: unknown-abo: No."


def test_an_unknown_command_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert dispatch(["no-such-command"]) == 2
    assert "import-units" in capsys.readouterr().err


def printed(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The command's lines of what was printed (the app logs to the same stdout)."""
    out = capsys.readouterr().out.splitlines()
    return [line for line in out if line.startswith(("received ", "line "))]


@pytest.fixture
async def service(
    database: str, oidc_provider: OidcProvider, tmp_path: Path
) -> AsyncIterator[Served]:
    async for served in serve(database, oidc_provider, tmp_path):
        yield served


@pytest.mark.integration
async def test_the_same_file_twice_through_the_app_changes_nothing(
    service: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = export(tmp_path, [row(1), row(2, abo="Z"), row(3, product="plasma")])
    argv = [str(path), "--url", "http://service", "--token", "-"]
    with blocking_client(service.client) as client:
        assert await asyncio.to_thread(import_command.main, argv, client) == 1
        first = printed(capsys)
        before = await service.state()
        assert await asyncio.to_thread(import_command.main, argv, client) == 1
        again = printed(capsys)
    assert first[0] == "received 3, recorded 2, unchanged 0, rejected 1"
    assert first[1].startswith("line 3: unknown-abo: ")
    assert again[0] == "received 3, recorded 0, unchanged 2, rejected 1"
    assert await service.state() == before
