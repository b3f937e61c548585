"""The allowance's commands: run a month's payment run and fetch its bank file, over the
service's HTTP API as a clerk (``--token``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import httpx

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.months import Month

#: A 200,000-person run takes tens of seconds; the answer comes when it completed.
RUN_TIMEOUT_SECONDS = 900.0


def _parser(prog: str, what: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=what)
    parser.add_argument("month", help="YYYY-MM")
    parser.add_argument("--url", required=True, help="the service, e.g. http://127.0.0.1:8013")
    parser.add_argument("--token", required=True, help="a clerk's bearer token")
    return parser


def _month(text: str, parser: argparse.ArgumentParser) -> str:
    try:
        return str(Month.parse(text))
    except DomainError:
        parser.error("the month is written YYYY-MM, e.g. 2026-03")


def run_month(argv: Sequence[str]) -> int:
    """``run-month MONTH --url --token``: run (or continue) the month's payment run and
    print its summary as JSON."""
    parser = _parser("run-month", "Run this city's elder-allowance payment run of a month.")
    args = parser.parse_args(argv)
    month = _month(args.month, parser)
    answer = httpx.post(
        f"{args.url.rstrip('/')}/payment-runs",
        json={"month": month},
        headers={"Authorization": f"Bearer {args.token}", "Idempotency-Key": f"run-{month}"},
        timeout=RUN_TIMEOUT_SECONDS,
    )
    print(json.dumps(answer.json(), indent=2, ensure_ascii=False))
    return 0 if answer.status_code in (200, 201) else 1


def bank_file(argv: Sequence[str]) -> int:
    """``bank-file MONTH --url --token``: write the run's bank CSV to standard output."""
    parser = _parser("bank-file", "Print the bank file (CSV) of a completed payment run.")
    args = parser.parse_args(argv)
    month = _month(args.month, parser)
    answer = httpx.get(
        f"{args.url.rstrip('/')}/payment-runs/{month}/bank-file",
        headers={"Authorization": f"Bearer {args.token}"},
        timeout=RUN_TIMEOUT_SECONDS,
    )
    if answer.status_code != 200:
        print(answer.text, file=sys.stderr)
        return 1
    sys.stdout.buffer.write(answer.content)
    sys.stdout.buffer.flush()
    return 0


COMMANDS = {"run-month": run_month, "bank-file": bank_file}
