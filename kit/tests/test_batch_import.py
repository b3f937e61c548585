"""A declared import command reads the export's CSV, posts it to its endpoint in chunks
with each row's line in the file, adds up the answers' counters, prints the totals and each
rejected line, and exits 1 when any row was rejected, 2 when the file or the service could
not be used; a chunk that failed in transit or with a 5xx is sent again after a rising
pause, a refused one is not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from chengyu_kit.batch_import import BatchImport

HEADER = "ref,name,kind,since\n"


def normalise(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "kind": row["kind"] or "none", "since": row["since"] or None}


IMPORT = BatchImport(
    command="python -m chengyu_example import-things",
    description="Import things.",
    endpoint="/things/batch",
    columns=("ref", "name", "kind", "since"),
    counters=("added", "unchanged"),
    example_url="http://127.0.0.1:8199",
    token_help="a clerk's bearer token",
    normalise=normalise,
)
PLAIN = BatchImport(
    command="python -m chengyu_example import-plain",
    description="Import things as they are.",
    endpoint="/things/batch",
    columns=("ref", "name", "kind", "since"),
    counters=("added", "unchanged"),
    example_url="http://127.0.0.1:8199",
    token_help="a clerk's bearer token",
)


def export(tmp_path: Path, rows: int, *, bom: bool = True) -> Path:
    path = tmp_path / "things.csv"
    lines = [f" R{n} ,名{n},,\n" for n in range(rows)]
    path.write_text(("\ufeff" if bom else "") + HEADER + "".join(lines), encoding="utf-8")
    return path


class FakeService:
    """Answers each batch like a service would, rejecting the lines named; fails the first
    ``fail_first`` requests in transit, then answers ``status`` to the next ``bad_answers``."""

    def __init__(
        self,
        reject: frozenset[int] = frozenset(),
        *,
        fail_first: int = 0,
        bad_answers: int = 0,
        status: int = 503,
    ) -> None:
        self.reject = reject
        self.fail_first = fail_first
        self.bad_answers = bad_answers
        self.status = status
        self.requests = 0
        self.batches: list[list[dict[str, Any]]] = []
        self.tokens: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.fail_first:
            self.fail_first -= 1
            raise httpx.ConnectError("refused")
        if self.bad_answers:
            self.bad_answers -= 1
            return httpx.Response(self.status, json={"error": "nope"})
        assert request.method == "POST"
        assert request.url.path == "/things/batch"
        self.tokens.append(request.headers.get("authorization"))
        rows = json.loads(request.content)["rows"]
        self.batches.append(rows)
        bad = [r for r in rows if r["line"] in self.reject]
        return httpx.Response(
            200,
            json={
                "received": len(rows),
                "added": len(rows) - len(bad),
                "unchanged": 0,
                "rejected": [
                    {"line": r["line"], "error": "unknown-kind", "message": "No."}
                    for r in reversed(bad)
                ],
            },
        )


def client_of(fake: FakeService) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(fake), base_url="http://svc")


def run(path: Path, fake: FakeService, *extra: str, command: BatchImport = IMPORT) -> int:
    argv = [str(path), "--url", "http://svc", "--token", "t", *extra]
    return command.main(argv, client=client_of(fake))


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    pauses: list[float] = []
    monkeypatch.setattr("chengyu_kit.batch_import.time.sleep", pauses.append)
    return pauses


def test_rows_are_posted_in_chunks_of_a_thousand_with_their_lines_in_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeService()
    assert run(export(tmp_path, 2_500), fake) == 0
    assert [len(b) for b in fake.batches] == [1_000, 1_000, 500]
    assert fake.batches[0][0] == {
        "line": 2,
        "ref": "R0",
        "name": "名0",
        "kind": "none",
        "since": None,
    }
    assert fake.batches[2][-1]["line"] == 2_501
    assert capsys.readouterr().out.splitlines() == [
        "received 2500, added 2500, unchanged 0, rejected 0"
    ]


def test_the_chunk_size_is_an_option(tmp_path: Path) -> None:
    fake = FakeService()
    assert run(export(tmp_path, 5), fake, "--chunk", "2") == 0
    assert [[r["line"] for r in b] for b in fake.batches] == [[2, 3], [4, 5], [6]]


def test_without_a_normaliser_the_cells_are_sent_stripped_as_they_are(tmp_path: Path) -> None:
    fake = FakeService()
    assert run(export(tmp_path, 1, bom=False), fake, command=PLAIN) == 0
    assert fake.batches == [[{"line": 2, "ref": "R0", "name": "名0", "kind": "", "since": ""}]]


def test_rejected_lines_are_printed_in_file_order_and_the_exit_code_is_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeService(reject=frozenset({4, 7, 1_005}))
    assert run(export(tmp_path, 1_010), fake) == 1
    assert capsys.readouterr().out.splitlines() == [
        "received 1010, added 1007, unchanged 0, rejected 3",
        "line 4: unknown-kind: No.",
        "line 7: unknown-kind: No.",
        "line 1005: unknown-kind: No.",
    ]


def test_a_chunk_that_failed_in_transit_is_sent_again_after_a_rising_pause(
    tmp_path: Path, no_pauses: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeService(fail_first=2)
    totals = IMPORT.run(export(tmp_path, 3), client_of(fake), attempts=3, pause=0.5)
    assert (totals.received, totals.counts, len(fake.batches)) == (
        3,
        {"added": 3, "unchanged": 0},
        1,
    )
    assert no_pauses == [0.5, 1.0]
    assert "trying again (1/3)" in capsys.readouterr().err


def test_a_chunk_answered_with_a_5xx_is_sent_again(tmp_path: Path) -> None:
    fake = FakeService(bad_answers=1, status=503)
    assert run(export(tmp_path, 3), fake) == 0
    assert (fake.requests, len(fake.batches)) == (2, 1)


def test_the_command_gives_up_after_its_attempts(
    tmp_path: Path, no_pauses: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeService(fail_first=5)
    assert run(export(tmp_path, 3), fake, "--attempts", "3") == 2
    assert fake.requests == 3
    assert len(no_pauses) == 2
    err = capsys.readouterr().err
    assert "import-things: the service could not be reached (ConnectError)" in err


def test_a_batch_refused_with_a_4xx_is_not_sent_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeService(bad_answers=3, status=403)
    assert run(export(tmp_path, 3), fake) == 2
    assert fake.requests == 1
    assert "import-things: the service refused the batch: 403" in capsys.readouterr().err


def test_a_file_without_the_expected_header_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("ref,name\nX,Y\n", encoding="utf-8")
    fake = FakeService()
    assert run(path, fake) == 2
    assert fake.requests == 0
    assert "the header lacks the column(s) kind, since" in capsys.readouterr().err


def test_a_file_that_cannot_be_read_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path / "missing.csv", FakeService()) == 2
    assert "import-things: the file could not be read" in capsys.readouterr().err
    latin = tmp_path / "latin.csv"
    latin.write_bytes(HEADER.encode() + "R1,Zoë,,\n".encode("latin-1"))
    assert run(latin, FakeService()) == 2


def test_the_command_sends_the_clerks_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeService()
    real_client = httpx.Client

    def with_fake(**options: Any) -> httpx.Client:
        return real_client(transport=httpx.MockTransport(fake), **options)

    monkeypatch.setattr("chengyu_kit.batch_import.httpx.Client", with_fake)
    argv = [str(export(tmp_path, 1)), "--url", "http://svc", "--token", "tok-1"]
    assert IMPORT.main(argv) == 0
    assert fake.tokens == ["Bearer tok-1"]


def test_the_help_names_the_declared_texts(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        IMPORT.main(["--help"])
    out = capsys.readouterr().out
    assert "python -m chengyu_example import-things" in out
    assert "Import things." in out
    assert "http://127.0.0.1:8199" in out
    assert "a clerk's bearer token" in out
