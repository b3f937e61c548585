"""``chengyu acls apply``: make Kafka's principals and ACLs match ``deploy/acls.yaml``."""

from __future__ import annotations

from typing import Annotated

import typer

from chengyu_kit.local.kafka import ADMIN
from chengyu_ops.acls import AclSpecError
from chengyu_ops.cli_login import Bootstrap, PasswordFile, User, login_or_exit
from chengyu_ops.stack import Stack
from chengyu_ops.topics import TopicSpecError

app = typer.Typer(help="Kafka principals and ACLs as code.", no_args_is_help=True)


@app.command("apply")
def apply_command(
    bootstrap: Bootstrap = None,
    user: User = None,
    password_file: PasswordFile = None,
    quiet: Annotated[bool, typer.Option(help="Report only changes and problems.")] = False,
) -> None:
    """Create missing SCRAM users (passwords generated into .chengyu/kafka-users/, mode
    0600, never printed), add declared ACLs and remove undeclared ones of the managed
    principals; exit 1 on any problem. Logs in as the broker's admin."""
    login = login_or_exit(bootstrap, user, password_file, principal=ADMIN)
    stack = Stack()
    try:
        changes = stack.apply_acls(login.bootstrap if bootstrap else None, login.credentials)
    except (AclSpecError, TopicSpecError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except Exception as exc:
        typer.echo(
            f"error: cannot apply ACLs at {login.bootstrap}: {type(exc).__name__}: {exc}",
            err=True,
        )
        raise typer.Exit(1) from None
    for change in changes:
        if quiet and change.action == "unchanged":
            continue
        typer.echo(
            f"{change.subject}: {change.action}" + (f" ({change.detail})" if change.detail else "")
        )
    if any(change.action == "problem" for change in changes):
        raise typer.Exit(1)
