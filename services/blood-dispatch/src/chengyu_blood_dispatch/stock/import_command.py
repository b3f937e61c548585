"""``python -m chengyu_blood_dispatch import-units FILE.csv --url URL --token TOKEN``:
import a blood centre information system's export of collected units into the city's
stock through its API.

The CSV (UTF-8, an Excel byte-order mark allowed) has the header
``din,product,abo,rhd,collected_at,expires_at`` (codes as in ``blood_groups``; times RFC
3339 with an offset); the rows are posted to ``/units/batch`` in chunks of 1,000 with
their line numbers (the header is line 1). The import is idempotent, so a chunk that
failed in transit (the service restarting) is simply sent again, and the whole command may
be run again. Prints the totals and each rejected line; exits 1 if any row was rejected,
2 if the file or the service could not be used.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

COLUMNS = ("din", "product", "abo", "rhd", "collected_at", "expires_at")
CHUNK_ROWS = 1_000


class ImportFailed(Exception):
    """The file or the service could not be used (exit 2)."""


def read_rows(lines: TextIO) -> Iterator[dict[str, Any]]:
    """Each data row of the export as the API takes it, with its line in the file."""
    reader = csv.DictReader(lines)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise ImportFailed(f"the header lacks the column(s) {', '.join(missing)}")
    for record in reader:
        row: dict[str, Any] = {"line": reader.line_num}
        for column in COLUMNS:
            value = (record.get(column) or "").strip()
            row[column] = value
        yield row


def chunks(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """``rows`` in lists of at most ``size``."""
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class Totals:
    """The sum of every chunk's report."""

    received: int = 0
    recorded: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def add(self, report: dict[str, Any]) -> None:
        """Add one chunk's answer."""
        self.received += int(report["received"])
        self.recorded += int(report["recorded"])
        self.unchanged += int(report["unchanged"])
        self.rejected.extend(report["rejected"])


def post_chunk(
    client: httpx.Client, chunk: Sequence[dict[str, Any]], *, attempts: int, pause: float
) -> dict[str, Any]:
    """Post one chunk; send it again after a transport failure or a 5xx (the import is
    idempotent), at most ``attempts`` times."""
    for attempt in range(1, attempts + 1):
        try:
            answer = client.post("/units/batch", json={"rows": list(chunk)})
        except httpx.TransportError as error:
            problem = f"the service could not be reached ({type(error).__name__})"
        else:
            if answer.status_code == 200:
                report: dict[str, Any] = answer.json()
                return report
            if answer.status_code < 500:
                raise ImportFailed(
                    f"the service refused the batch: {answer.status_code} {answer.text}"
                )
            problem = f"the service answered {answer.status_code}"
        if attempt < attempts:
            print(f"{problem}; trying again ({attempt}/{attempts})", file=sys.stderr)
            time.sleep(pause * attempt)
    raise ImportFailed(problem)


def run_import(
    path: Path,
    client: httpx.Client,
    *,
    chunk_rows: int = CHUNK_ROWS,
    attempts: int = 10,
    pause: float = 1.0,
) -> Totals:
    """Import the file at ``path`` through ``client``; the totals of every chunk."""
    totals = Totals()
    try:
        with path.open(encoding="utf-8-sig", newline="") as lines:
            for chunk in chunks(read_rows(lines), chunk_rows):
                totals.add(post_chunk(client, chunk, attempts=attempts, pause=pause))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ImportFailed(f"the file could not be read: {error}") from error
    return totals


def report_lines(totals: Totals) -> list[str]:
    """What the command prints: the totals, then each rejected line."""
    lines = [
        f"received {totals.received}, recorded {totals.recorded},"
        f" unchanged {totals.unchanged},"
        f" rejected {len(totals.rejected)}"
    ]
    for rejected in sorted(totals.rejected, key=lambda r: int(r["line"])):
        lines.append(f"line {rejected['line']}: {rejected['error']}: {rejected['message']}")
    return lines


def parser() -> argparse.ArgumentParser:
    """The command's arguments."""
    parse = argparse.ArgumentParser(
        prog="python -m chengyu_blood_dispatch import-units",
        description="Import a blood centre's export of collected units (CSV) into its stock.",
    )
    parse.add_argument("file", type=Path, help="the CSV export")
    parse.add_argument(
        "--url", required=True, help="the city's service, e.g. http://127.0.0.1:8104"
    )
    parse.add_argument("--token", required=True, help="a blood-centre clerk's bearer token")
    parse.add_argument("--chunk", type=int, default=CHUNK_ROWS, help="rows per request")
    parse.add_argument("--attempts", type=int, default=10, help="tries per chunk")
    return parse


def main(argv: Sequence[str], client: httpx.Client | None = None) -> int:
    """Run the command with ``argv`` (after the subcommand's name); its exit code."""
    args = parser().parse_args(list(argv))
    own = client is None
    http = client or httpx.Client(
        base_url=args.url, headers={"Authorization": f"Bearer {args.token}"}, timeout=300.0
    )
    try:
        totals = run_import(args.file, http, chunk_rows=args.chunk, attempts=args.attempts)
    except ImportFailed as error:
        print(f"import-units: {error}", file=sys.stderr)
        return 2
    finally:
        if own:
            http.close()
    for line in report_lines(totals):
        print(line)
    return 1 if totals.rejected else 0
