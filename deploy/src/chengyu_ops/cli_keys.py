"""``chengyu keys``: the local stack's signing keys and public key registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chengyu_ops.keys import ensure_local_keys
from chengyu_ops.paths import find_project_root, state_home

app = typer.Typer(help="Signing keys of the local stack.", no_args_is_help=True)


@app.command("generate")
def generate_command(
    folder: Annotated[
        Path | None, typer.Option(help="Key folder (default: <state home>/keys).")
    ] = None,
    rotate: Annotated[
        bool, typer.Option(help="Make new keys for every agency; old public keys stay valid.")
    ] = False,
) -> None:
    """Create each city's and agency's Ed25519 key and the public key registry."""
    target = folder or state_home(find_project_root()) / "keys"
    keys, made = ensure_local_keys(target, rotate=rotate)
    for name in made:
        typer.echo(f"created {name}")
    if not made:
        typer.echo("all keys already exist (use --rotate for new ones)")
    typer.echo(f"public key registry: {keys.registry_file}")
