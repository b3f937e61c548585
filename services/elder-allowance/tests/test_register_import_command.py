"""The import command reads the export's CSV, posts it in chunks with each row's line in
the file, prints the totals and each rejected line, and exits 1 when any row was
rejected; a chunk that failed in transit is sent again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from chengyu_elder_allowance.__main__ import main as dispatch
from chengyu_elder_allowance.register import import_command

HEADER = "id_number,name,district,assistance,assistance_since,bank_account_token,phone\n"


def export(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "register.csv"
    lines = [f"ID{n},老人{n},500103,none,,tok-{n},13800138000\n" for n in range(rows)]
    path.write_text("\ufeff" + HEADER + "".join(lines), encoding="utf-8")
    return path


class FakeService:
    """Answers each batch like the service would, rejecting the rows named."""

    def __init__(self, reject: set[int], fail_first: int = 0) -> None:
        self.reject = reject
        self.fail_first = fail_first
        self.batches: list[list[dict[str, Any]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.fail_first:
            self.fail_first -= 1
            raise httpx.ConnectError("refused")
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


def run(path: Path, fake: FakeService, *extra: str) -> int:
    client = httpx.Client(transport=httpx.MockTransport(fake), base_url="http://svc")
    argv = [str(path), "--url", "http://svc", "--token", "t", *extra]
    return import_command.main(argv, client=client)


def test_rows_are_posted_in_chunks_with_their_lines_in_the_file(tmp_path: Path) -> None:
    fake = FakeService(reject=set())
    assert run(export(tmp_path, 2_500), fake) == 0
    assert [len(b) for b in fake.batches] == [1_000, 1_000, 500]
    first = fake.batches[0][0]
    assert first == {
        "line": 2,
        "id_number": "ID0",
        "name": "老人0",
        "district": "500103",
        "assistance": "none",
        "assistance_since": None,
        "bank_account_token": "tok-0",
        "phone": "13800138000",
    }
    assert fake.batches[2][-1]["line"] == 2_501


def test_rejected_lines_are_printed_and_the_exit_code_is_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeService(reject={4, 7})
    assert run(export(tmp_path, 10), fake) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "received 10, registered 8, updated 0, unchanged 0, rejected 2",
        "line 4: unknown-district: No.",
        "line 7: unknown-district: No.",
    ]


def test_a_chunk_that_failed_in_transit_is_sent_again(tmp_path: Path) -> None:
    fake = FakeService(reject=set(), fail_first=2)
    client = httpx.Client(transport=httpx.MockTransport(fake), base_url="http://svc")
    totals = import_command.run_import(export(tmp_path, 3), client, attempts=3, pause=0.0)
    assert (totals.received, len(fake.batches)) == (3, 1)


def test_a_file_without_the_expected_header_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id_number,name\nX,Y\n", encoding="utf-8")
    assert run(path, FakeService(reject=set())) == 2
    assert "district" in capsys.readouterr().err


def test_the_command_is_dispatched_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert dispatch(["no-such-command"]) == 2
    assert "import-register" in capsys.readouterr().err
