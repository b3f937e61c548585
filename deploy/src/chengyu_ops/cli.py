"""The ``chengyu`` command.

Each command group lives in its own module as a ``typer.Typer`` named ``app`` and is added
below with ``app.add_typer``. Add new groups (contracts, keys, dlq, events, ...) the same way.
The demo workload is no part of it: it is its own command, ``chengyu-demo`` (package
``chengyu_demo``), since it uses the services' rules and ops must not depend on any service.
"""

from __future__ import annotations

import typer

from chengyu_ops import (
    cli_acls,
    cli_audit,
    cli_contracts,
    cli_dlq,
    cli_events,
    cli_keys,
    cli_new_service,
    cli_stack,
    cli_token,
    cli_topics,
)

app = typer.Typer(
    name="chengyu",
    help="Operate Chengyu: the local two-city stack, topics and more.",
    no_args_is_help=True,
    add_completion=False,
)

# --- command groups (one module each) ------------------------------------------------------
app.add_typer(cli_stack.app, name="stack")
app.add_typer(cli_topics.app, name="topics")
app.add_typer(cli_acls.app, name="acls")
app.add_typer(cli_contracts.app, name="contracts")
app.add_typer(cli_keys.app, name="keys")
app.add_typer(cli_dlq.app, name="dlq")
app.add_typer(cli_events.app, name="events")
app.add_typer(cli_audit.app, name="audit", no_args_is_help=True)

# --- single commands -----------------------------------------------------------------------
app.command("new-service")(cli_new_service.new_service_command)
app.command("token")(cli_token.token_command)


def main() -> None:
    """Entry point of the ``chengyu`` console script."""
    app()


if __name__ == "__main__":
    main()
