"""Where things live: the project root and the state folder (from the kit, shared with
the demo)."""

from __future__ import annotations

from chengyu_kit.local.paths import HOME_ENV, find_project_root, state_home

__all__ = ["HOME_ENV", "find_project_root", "state_home"]
