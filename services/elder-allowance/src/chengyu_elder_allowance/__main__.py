"""The service's commands: ``python -m chengyu_elder_allowance <command> ...``.

Each area's command lives in its area and takes the arguments after its name; this table
only dispatches (one line per command or area).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from .allowance import commands as allowance_commands
from .register import import_command

COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "import-register": import_command.main,
    **allowance_commands.COMMANDS,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to the named command; its exit code (2 for an unknown one)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in COMMANDS:
        names = ", ".join(sorted(COMMANDS))
        print(f"usage: python -m chengyu_elder_allowance {{{names}}} ...", file=sys.stderr)
        return 2
    return COMMANDS[args[0]](args[1:])


if __name__ == "__main__":
    sys.exit(main())
