"""``chengyu token``: an access token of the local stack's OIDC provider, for walk-throughs.

    TOKEN=$(uv run chengyu token --city cq --agency hpf --role clerk)
    curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8101/accounts/...

The token is printed alone on standard output (and nowhere else), so a shell can keep it
in a variable. A real deployment's clerks get theirs from their city's own provider.
"""

from __future__ import annotations

from typing import Annotated

import typer

from chengyu_kit.local.oidc import OidcError
from chengyu_ops.services import discover_services
from chengyu_ops.stack import Stack

_ROLES = ("clerk", "reader", "auditor")


def token_command(
    city: Annotated[str, typer.Option(help="The city whose provider signs it: cq or cd.")],
    role: Annotated[str, typer.Option(help="clerk, reader or auditor.")] = "clerk",
    agency: Annotated[
        str, typer.Option(help="The clerk's agency (hpf, mi, ...); auditors: audit.")
    ] = "hpf",
    service: Annotated[
        str | None,
        typer.Option(help="The service it is meant for (aud); default: the agency's service."),
    ] = None,
    subject: Annotated[
        str, typer.Option(help="The clerk's opaque id (sub), never a name.")
    ] = "clerk-1",
) -> None:
    """Print an access token of the local stack's provider for one clerk and one service."""
    if role not in _ROLES:
        raise typer.BadParameter(f"a role is one of {', '.join(_ROLES)}", param_hint="--role")
    stack = Stack()
    audience = service or _service_of(stack, agency)
    if stack.oidc.pid() is None:
        typer.echo("error: the stack's OIDC provider is not running (make up)", err=True)
        raise typer.Exit(1)
    try:
        token = stack.oidc.token(city, audience=audience, role=role, agency=agency, subject=subject)
    except OidcError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(token)


def _service_of(stack: Stack, agency: str) -> str:
    names = sorted({spec.name for spec in discover_services(stack.root) if spec.agency == agency})
    if len(names) != 1:
        known = ", ".join(sorted({spec.name for spec in discover_services(stack.root)}))
        raise typer.BadParameter(
            f"say which service the token is for (one of {known})", param_hint="--service"
        )
    return names[0]
