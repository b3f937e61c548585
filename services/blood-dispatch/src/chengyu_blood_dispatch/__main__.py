"""The service's commands: ``python -m chengyu_blood_dispatch <command> ...``.

Each area's command lives in its area and takes the arguments after its name; this table
only dispatches (one line per command).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from .stock import import_command

COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "import-units": import_command.main,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to the named command; its exit code (2 for an unknown one)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in COMMANDS:
        names = ", ".join(sorted(COMMANDS))
        print(f"usage: python -m chengyu_blood_dispatch {{{names}}} ...", file=sys.stderr)
        return 2
    return COMMANDS[args[0]](args[1:])


if __name__ == "__main__":
    sys.exit(main())
