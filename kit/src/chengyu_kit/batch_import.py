"""A service's bulk-import command: ``python -m <package> <command> FILE.csv --url --token``.

A civil-affairs bureau's or a blood centre's information system is not ours: it exports
files. Its clerk runs the command on such an export (CSV, UTF-8, an Excel byte-order mark
allowed) against the city's service; the command posts the rows to the service's batch
endpoint in chunks of 1,000, each row with its line in the file (the header is line 1), so
that every refusal names the line the clerk has to correct. The batch endpoints are
idempotent, so a chunk that failed in transit (the service restarting, a 5xx) is simply
sent again after a rising pause, and the whole command may be run again after any failure:
what was imported already is counted as unchanged. The command prints the totals and each
rejected line; it exits 1 if any row was rejected, 2 if the file or the service could not
be used.

A service declares its command once (:class:`BatchImport`) and dispatches to its
:meth:`~BatchImport.main`; the program is the same for every service.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

CHUNK_ROWS = 1_000
"""Rows per request unless ``--chunk`` says otherwise."""
ATTEMPTS = 10
"""Tries per chunk unless ``--attempts`` says otherwise."""

Row = dict[str, Any]


class ImportFailed(Exception):
    """The file or the service could not be used (exit 2)."""


def chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    """``rows`` in lists of at most ``size``."""
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class Totals:
    """The sum of every chunk's report: ``received``, each declared counter, the rejected
    lines."""

    counters: tuple[str, ...]
    received: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    rejected: list[Row] = field(default_factory=list)

    def add(self, report: Row) -> None:
        """Add one chunk's answer."""
        self.received += int(report["received"])
        for name in self.counters:
            self.counts[name] = self.counts.get(name, 0) + int(report[name])
        self.rejected.extend(report["rejected"])

    def lines(self) -> list[str]:
        """What the command prints: the totals, then each rejected line in file order."""
        counted = "".join(f", {name} {self.counts.get(name, 0)}" for name in self.counters)
        lines = [f"received {self.received}{counted}, rejected {len(self.rejected)}"]
        for rejected in sorted(self.rejected, key=lambda r: int(r["line"])):
            lines.append(f"line {rejected['line']}: {rejected['error']}: {rejected['message']}")
        return lines


@dataclass(frozen=True)
class BatchImport:
    """One service's import command, declared: everything in which two services' imports
    differ. The rows' values are the export's cells, stripped; ``normalise``, when given,
    turns such a row into what the endpoint takes (say, an empty cell into ``None``)."""

    command: str
    """How it is run, ``python -m <package> <name>``; its last word names it in errors."""
    description: str
    """One sentence for ``--help``: what the file is and where it goes."""
    endpoint: str
    """The batch endpoint's path, taking ``{"rows": [...]}`` and answering a report."""
    columns: tuple[str, ...]
    """The columns of the export's header, as the endpoint names the fields."""
    counters: tuple[str, ...]
    """The report's counters besides ``received`` and ``rejected``, in printing order."""
    example_url: str
    """The service's address in ``--help``, e.g. ``http://127.0.0.1:8103``."""
    token_help: str
    """Whose bearer token ``--token`` is, for ``--help``."""
    normalise: Callable[[Row], Row] | None = None

    @property
    def name(self) -> str:
        """The command's name, the prefix of its error messages."""
        return self.command.rsplit(" ", 1)[-1]

    def read_rows(self, lines: TextIO) -> Iterator[Row]:
        """Each data row of the export as the endpoint takes it, with its line in the
        file."""
        reader = csv.DictReader(lines)
        missing = [c for c in self.columns if c not in (reader.fieldnames or ())]
        if missing:
            raise ImportFailed(f"the header lacks the column(s) {', '.join(missing)}")
        for record in reader:
            row: Row = {"line": reader.line_num}
            for column in self.columns:
                row[column] = (record.get(column) or "").strip()
            yield self.normalise(row) if self.normalise else row

    def post_chunk(
        self, client: httpx.Client, chunk: Sequence[Row], *, attempts: int, pause: float
    ) -> Row:
        """Post one chunk; send it again after a transport failure or a 5xx (the endpoint
        is idempotent), pausing ``pause`` seconds times the attempt, at most ``attempts``
        times. A 4xx is the service refusing the batch: not tried again."""
        problem = "no attempt was made"
        for attempt in range(1, attempts + 1):
            try:
                answer = client.post(self.endpoint, json={"rows": list(chunk)})
            except httpx.TransportError as error:
                problem = f"the service could not be reached ({type(error).__name__})"
            else:
                if answer.status_code == 200:
                    report: Row = answer.json()
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

    def run(
        self,
        path: Path,
        client: httpx.Client,
        *,
        chunk_rows: int = CHUNK_ROWS,
        attempts: int = ATTEMPTS,
        pause: float = 1.0,
    ) -> Totals:
        """Import the file at ``path`` through ``client``; the totals of every chunk."""
        totals = Totals(self.counters)
        try:
            with path.open(encoding="utf-8-sig", newline="") as lines:
                for chunk in chunks(self.read_rows(lines), chunk_rows):
                    totals.add(self.post_chunk(client, chunk, attempts=attempts, pause=pause))
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise ImportFailed(f"the file could not be read: {error}") from error
        return totals

    def parser(self) -> argparse.ArgumentParser:
        """The command's arguments."""
        parse = argparse.ArgumentParser(prog=self.command, description=self.description)
        parse.add_argument("file", type=Path, help="the CSV export")
        parse.add_argument(
            "--url", required=True, help=f"the city's service, e.g. {self.example_url}"
        )
        parse.add_argument("--token", required=True, help=self.token_help)
        parse.add_argument("--chunk", type=int, default=CHUNK_ROWS, help="rows per request")
        parse.add_argument("--attempts", type=int, default=ATTEMPTS, help="tries per chunk")
        return parse

    def main(self, argv: Sequence[str], client: httpx.Client | None = None) -> int:
        """Run the command with ``argv`` (after the subcommand's name); its exit code.
        ``client`` replaces the one built from ``--url`` and ``--token`` (tests)."""
        args = self.parser().parse_args(list(argv))
        own = client is None
        http = client or httpx.Client(
            base_url=args.url, headers={"Authorization": f"Bearer {args.token}"}, timeout=300.0
        )
        try:
            totals = self.run(args.file, http, chunk_rows=args.chunk, attempts=args.attempts)
        except ImportFailed as error:
            print(f"{self.name}: {error}", file=sys.stderr)
            return 2
        finally:
            if own:
                http.close()
        for line in totals.lines():
            print(line)
        return 1 if totals.rejected else 0
