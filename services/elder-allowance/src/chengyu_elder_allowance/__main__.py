"""``python -m chengyu_elder_allowance <command> ...``: the service's commands, each
written by its area (this file only dispatches)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from .allowance import commands as allowance_commands

COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    **allowance_commands.COMMANDS,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command named by the first argument."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in COMMANDS:
        print(f"usage: python -m chengyu_elder_allowance {{{','.join(sorted(COMMANDS))}}} ...")
        return 2
    return COMMANDS[args[0]](args[1:])


if __name__ == "__main__":
    sys.exit(main())
