"""``chengyu audit verify``: replay the log from offset 0 (or a time range) and verify it.

Exit status: 0 when nothing was found, 1 when the report lists findings, 2 when the audit
could not run (no broker, no key registry, an unknown topic)."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from chengyu_contracts.keys import KeyRegistry
from chengyu_ops.audit.duplicates import DEFAULT_REDELIVERY_WINDOW_MS
from chengyu_ops.audit.report import write_report
from chengyu_ops.audit.verify import AuditOptions, audit_log
from chengyu_ops.cli_events import default_key_registry
from chengyu_ops.cli_login import Bootstrap, PasswordFile, User, login_or_exit
from chengyu_ops.paths import find_project_root


def _instant(text: str | None, what: str) -> datetime | None:
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        typer.echo(f"error: {what} is not an ISO 8601 time: {text!r}", err=True)
        raise typer.Exit(2) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def verify_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for report.json and report.html.")],
    topic: Annotated[
        list[str] | None, typer.Option("--topic", "-t", help="Topic to audit (repeatable).")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only records from this time (ISO 8601; no root check).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Only records before this time.")] = None,
    processes: Annotated[
        int, typer.Option(min=1, help="Worker processes reading and verifying partitions.")
    ] = max(1, os.cpu_count() or 1),
    invariants: Annotated[
        bool, typer.Option("--invariants/--no-invariants", help="Check the services' rules.")
    ] = True,
    redelivery_window: Annotated[
        float,
        typer.Option(
            min=0, help="Seconds within which a repeated record counts as a relay's redelivery."
        ),
    ] = DEFAULT_REDELIVERY_WINDOW_MS / 1000,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
    bootstrap: Bootstrap = None,
    user: User = None,
    password_file: PasswordFile = None,
    keys: Annotated[
        Path | None, typer.Option(envvar="KEY_REGISTRY_FILE", help="Public key registry file.")
    ] = None,
) -> None:
    """Verify every record, the offsets, the checkpoints and the services' invariants.

    Reads as the read-only ``auditor`` principal on the local stack."""
    registry_file = keys or default_key_registry()
    if not registry_file.exists():
        typer.echo(f"error: no key registry at {registry_file}; pass --keys", err=True)
        raise typer.Exit(2)
    key_registry = KeyRegistry.from_json_file(registry_file)
    login = login_or_exit(bootstrap, user, password_file, principal="auditor")
    options = AuditOptions(
        topics=tuple(topic or ()),
        since=_instant(since, "--since"),
        until=_instant(until, "--until"),
        processes=processes,
        invariants=invariants,
        redelivery_window_ms=int(redelivery_window * 1000),
        project_root=find_project_root(),
    )
    bar = Progress(
        TextColumn("verifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=quiet,
        transient=False,
    )
    task = bar.add_task("records", total=None)
    try:
        with bar:
            result = asyncio.run(
                audit_log(
                    login.bootstrap,
                    login.credentials,
                    key_registry,
                    options,
                    now=lambda: datetime.now(UTC),
                    on_plan=lambda total: bar.update(task, total=total),
                    progress=lambda n: bar.advance(task, n),
                )
            )
    except LookupError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    json_path, html_path = write_report(result, out)
    for finding in result.findings[:20]:
        typer.echo(f"{finding.where()}  {finding.kind}  {finding.message}")
    if len(result.findings) > 20:
        typer.echo(f"... and {len(result.findings) - 20} more in {json_path}")
    verdict = "clean" if result.clean else f"{len(result.findings)} findings"
    typer.echo(f"{result.records} records verified: {verdict}; report: {html_path}")
    raise typer.Exit(0 if result.clean else 1)
