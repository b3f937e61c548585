"""``chengyu audit``: the auditors' commands. ``verify`` replays and checks the whole log
(:mod:`chengyu_ops.cli_audit_verify`); ``evidence`` bundles one case's or person's records
with proofs and a standalone verifier; ``trace`` shows that history as a timeline."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from chengyu_contracts.keys import KeyRegistry
from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_contracts.resident_id import InvalidResidentId
from chengyu_ops import cli_audit_verify
from chengyu_ops.audit.evidence import Selector, case_events, case_selector, person_selector
from chengyu_ops.audit.evidence import write_bundle as write_evidence
from chengyu_ops.audit.trace import timeline, timeline_html, timeline_text
from chengyu_ops.cli_events import default_key_registry
from chengyu_ops.cli_login import Bootstrap, PasswordFile, User, login_or_exit
from chengyu_ops.keys import LocalKeys
from chengyu_ops.paths import find_project_root, state_home

app = typer.Typer(help="Audit the event log: replay and verify it, gather evidence, trace.")
app.command("verify")(cli_audit_verify.verify_command)

Case = Annotated[str | None, typer.Option("--case", help="A case id (transfer, request...).")]
Person = Annotated[
    bool,
    typer.Option(
        "--person",
        help="A person: the resident ID number is asked for (not echoed) and turned into its"
        " person_ref with the person_ref key; it is written nowhere.",
    ),
]
PersonRefKeyFile = Annotated[
    Path | None,
    typer.Option(help="The person_ref key file (hex); the local stack's by default."),
]
Keys = Annotated[
    Path | None, typer.Option(envvar="KEY_REGISTRY_FILE", help="Public key registry file.")
]


def _registry(keys: Path | None) -> Path:
    registry_file = keys or default_key_registry()
    if not registry_file.exists():
        typer.echo(f"error: no key registry at {registry_file}; pass --keys", err=True)
        raise typer.Exit(2)
    return registry_file


def _selector(
    case: str | None, person: bool, key_file: Path | None
) -> tuple[Selector, dict[str, str], str]:
    """What to pick, what the bundle says was asked, and a title without personal data."""
    if (case is None) == (not person):
        typer.echo("error: give exactly one of --case ID and --person", err=True)
        raise typer.Exit(2)
    if case is not None:
        return case_selector(case), {"case": case}, f"case {case}"
    path = key_file or LocalKeys(state_home(find_project_root()) / "keys").person_ref_key_file
    if not path.exists():
        typer.echo(f"error: no person_ref key at {path}; pass --person-ref-key", err=True)
        raise typer.Exit(2)
    resident = typer.prompt("resident ID number", hide_input=True)
    try:
        ref = person_ref(resident, PersonRefKey.from_hex(path.read_text().strip()))
    except InvalidResidentId as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    return person_selector(ref), {"person_ref": ref}, f"person {ref}"


@app.command("evidence")
def evidence_command(
    out: Annotated[Path, typer.Option("--out", help="The bundle to write (a .zip).")],
    case: Case = None,
    person: Person = False,
    person_ref_key: PersonRefKeyFile = None,
    bootstrap: Bootstrap = None,
    user: User = None,
    password_file: PasswordFile = None,
    keys: Keys = None,
) -> None:
    """Bundle a case's or a person's records, byte for byte, with inclusion proofs against
    checkpoints both cities signed, the key registry and a standalone verifier."""
    selector, asked, title = _selector(case, person, person_ref_key)
    registry_file = _registry(keys)
    login = login_or_exit(bootstrap, user, password_file, principal="auditor")
    bundle = asyncio.run(
        write_evidence(login.bootstrap, login.credentials, registry_file, selector, asked, out)
    )
    for where in bundle.not_yet_covered:
        typer.echo(f"not yet in a witnessed checkpoint, left out: {where}")
    if bundle.records == 0:
        typer.echo(f"error: no record of {title} is covered by a witnessed checkpoint", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"{bundle.path}: {bundle.records} records of {title}, {bundle.checkpoints} checkpoints;"
        f" check it with: python verify.py {bundle.path.name} (verify.py is in the zip)"
    )


@app.command("trace")
def trace_command(
    case: Case = None,
    person: Person = False,
    person_ref_key: PersonRefKeyFile = None,
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Also write an HTML page.")
    ] = None,
    bootstrap: Bootstrap = None,
    user: User = None,
    password_file: PasswordFile = None,
    keys: Keys = None,
) -> None:
    """A case's or person's history across both cities, step by step, with the acting
    office of each step where the event names one."""
    selector, _, title = _selector(case, person, person_ref_key)
    registry = KeyRegistry.from_json_file(_registry(keys))
    login = login_or_exit(bootstrap, user, password_file, principal="auditor")
    events = asyncio.run(case_events(login.bootstrap, login.credentials, registry, selector))
    steps = timeline(events)
    typer.echo(timeline_text(f"History of {title}", steps), nl=False)
    if html_out is not None:
        html_out.parent.mkdir(parents=True, exist_ok=True)
        html_out.write_text(timeline_html(f"History of {title}", steps), encoding="utf-8")
        typer.echo(f"written: {html_out}")
