"""Options shared by the ``chengyu`` commands that talk to Kafka: broker and principal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chengyu_ops.stack import KafkaLogin, StackError, kafka_login

__all__ = ["Bootstrap", "PasswordFile", "User", "login_or_exit"]

Bootstrap = Annotated[
    str | None,
    typer.Option(
        "--bootstrap",
        envvar="KAFKA_BOOTSTRAP",
        help="Kafka bootstrap servers (default: the local stack's broker).",
    ),
]
User = Annotated[
    str | None,
    typer.Option(
        "--user",
        envvar="KAFKA_USERNAME",
        help="SASL/SCRAM principal (default on the local stack: see the command's help).",
    ),
]
PasswordFile = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        envvar="KAFKA_PASSWORD_FILE",
        help="File with that principal's password (never pass the password itself).",
    ),
]


def login_or_exit(
    bootstrap: str | None, user: str | None, password_file: Path | None, *, principal: str
) -> KafkaLogin:
    """:func:`kafka_login`, turning a bad combination into a one-line error and exit 2."""
    try:
        return kafka_login(bootstrap, user, password_file, principal=principal)
    except StackError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
