"""Liveness and readiness as data; the HTTP routes live in :mod:`chengyu_kit.http`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ComponentState:
    """Whether one component (database, consumer, relay) can do its work now."""

    ready: bool
    detail: str = ""


@dataclass
class Readiness:
    """Readiness of a service: ready only when every registered component is.

    Components report themselves: the consumer goes red while it retries a transient
    fault and green after the next success, so ``/readyz`` tells ops what is wrong.
    """

    components: dict[str, ComponentState] = field(default_factory=dict)

    def set(self, component: str, ready: bool, detail: str = "") -> None:
        """Record the state of ``component``."""
        self.components[component] = ComponentState(ready, detail)

    @property
    def ready(self) -> bool:
        """True when every component is ready (and at least one has reported)."""
        return bool(self.components) and all(c.ready for c in self.components.values())

    def report(self) -> dict[str, dict[str, object]]:
        """A JSON-able view for ``/readyz``."""
        return {
            name: {"ready": state.ready, "detail": state.detail}
            for name, state in sorted(self.components.items())
        }
