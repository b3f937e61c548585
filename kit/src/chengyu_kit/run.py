"""``python -m chengyu_kit.run <package>``: run one city's instance of the service that
``<package>.service`` declares, configured from the environment (see ``settings.py``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from chengyu_kit.serve import serve
from chengyu_kit.service import load_service
from chengyu_kit.settings import SettingsError, load_settings


def main(argv: Sequence[str] | None = None) -> None:
    """Load the declared service and its settings, then serve until SIGTERM."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        raise SystemExit("usage: python -m chengyu_kit.run <service package>")
    service = load_service(args[0])
    try:
        # The declaration names the service and its agency; the environment the rest.
        settings = load_settings(service.settings, service_name=service.name, agency=service.agency)
    except SettingsError as error:
        raise SystemExit(f"{service.name}: {error}") from None
    serve(settings, service.build_app)


if __name__ == "__main__":
    main()
