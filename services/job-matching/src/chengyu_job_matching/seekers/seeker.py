"""A seeker registered in this city over time, and what the other city must learn of each
change: the profile shared (the seeker is active and consents) or the consent withdrawn.

Each change of the profile, the consent or the registration is the seeker's next version;
the other city keeps the highest version it read, so a redelivered or replayed event changes
nothing there. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from chengyu_contracts.cities import City
from chengyu_contracts.domain_error import Conflict

from .profile import Profile

__all__ = [
    "Publication",
    "Seeker",
    "deregister",
    "give_consent",
    "publication",
    "registered",
    "restate",
]

#: What a change means for the other city: the profile (again), its withdrawal, or nothing.
Publication = Literal["share", "withdraw"] | None


@dataclass(frozen=True)
class Seeker:
    """One of this city's seekers at ``version``: ``shared`` is the consent to be matched in
    the other city; ``active`` false once deregistered."""

    seeker_ref: str
    city: City
    version: int
    profile: Profile
    shared: bool
    active: bool = True

    @property
    def visible(self) -> bool:
        """Whether the other city may hold and match the profile."""
        return self.active and self.shared


def registered(seeker_ref: str, city: City, profile: Profile, consent: bool) -> Seeker:
    """A new seeker's first version."""
    return Seeker(seeker_ref, city, 1, profile, consent)


def _next(seeker: Seeker, changed: Seeker) -> Seeker:
    if changed == seeker:
        return seeker
    return replace(changed, version=seeker.version + 1)


def _active(seeker: Seeker) -> None:
    if not seeker.active:
        raise Conflict(
            "seeker-deregistered",
            f"Seeker {seeker.seeker_ref} is deregistered; registering the person again"
            " (POST /seekers) makes them active.",
        )


def restate(seeker: Seeker, profile: Profile, consent: bool, *, reactivate: bool = False) -> Seeker:
    """The seeker with ``profile`` and ``consent``: the same version when nothing changed,
    else the next. A deregistered seeker is refused (``seeker-deregistered``) unless
    ``reactivate`` (the person registers again)."""
    if not reactivate:
        _active(seeker)
    return _next(seeker, replace(seeker, profile=profile, shared=consent, active=True))


def give_consent(seeker: Seeker, given: bool) -> Seeker:
    """The seeker with the consent ``given`` or withdrawn (the same version when it already
    was); ``seeker-deregistered`` for a deregistered seeker."""
    _active(seeker)
    return _next(seeker, replace(seeker, shared=given))


def deregister(seeker: Seeker) -> Seeker:
    """The seeker deregistered: inactive, and so no longer shared (the same version when
    deregistered already)."""
    return _next(seeker, replace(seeker, active=False, shared=False))


def publication(before: Seeker | None, after: Seeker) -> Publication:
    """What the other city must learn of the change from ``before`` (None: new) to
    ``after``: the profile when it becomes visible or changes while visible, the withdrawal
    when it stops being visible, nothing otherwise."""
    was = before is not None and before.visible
    if after.visible:
        if not was or (before is not None and before.profile != after.profile):
            return "share"
        return None
    return "withdraw" if was else None
