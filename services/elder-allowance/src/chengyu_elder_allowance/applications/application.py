"""An allowance application accepted in either city (异地受理) as an explicit state machine.

::

    submitted ──Approve──► approved
        │
        ├──Refuse──► refused
        │
        └──MarkOverdue (after decide_by)──► submitted, flagged overdue

``overdue`` is a flag on a submitted application, not an end: the paying city can still
decide it, and once decided it is approved or refused, never overdue. Every city keeps
every application it hears of; only the paying city (the person's household city) takes
the steps, the others copy them from its events.

Transitions (state the application waits in, step) -> next state; anything else is
``illegal-transition``:

=============  ===========  =============================
state          step         next
=============  ===========  =============================
submitted      Approve      approved
submitted      Refuse       refused
submitted      MarkOverdue  submitted (``overdue_on`` set)
=============  ===========  =============================

Pure rules: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from chengyu_contracts.cities import CITY_NAMES, City
from chengyu_contracts.domain_error import DomainError

from ..allowance.eligibility import age_on

ApplicationState = Literal["submitted", "approved", "refused"]
APPLICATION_STATES: tuple[ApplicationState, ...] = ("submitted", "approved", "refused")
#: What a clerk sees and filters by: the state, or ``overdue`` for a submitted application
#: flagged overdue.
ApplicationStatus = Literal["submitted", "approved", "refused", "overdue"]
APPLICATION_STATUSES: tuple[ApplicationStatus, ...] = (
    "submitted",
    "approved",
    "refused",
    "overdue",
)


@dataclass(frozen=True)
class Reason:
    """Why an application was refused: a stable code and a sentence."""

    code: str
    sentence: str

    @classmethod
    def of(cls, error: DomainError) -> Reason:
        """The reason a domain error carries."""
        return cls(error.code, error.sentence)


@dataclass(frozen=True)
class Approve:
    """The paying city granted the allowance on the application."""


@dataclass(frozen=True)
class Refuse:
    """The paying city refused the application."""

    reason: Reason


@dataclass(frozen=True)
class MarkOverdue:
    """The application was not decided by its deadline."""


ApplicationStep = Approve | Refuse | MarkOverdue

TRANSITIONS: dict[tuple[ApplicationState, type[ApplicationStep]], ApplicationState] = {
    ("submitted", Approve): "approved",
    ("submitted", Refuse): "refused",
    ("submitted", MarkOverdue): "submitted",
}


@dataclass(frozen=True)
class Application:
    """One application for the allowance, accepted in ``accepted_in`` and decided by
    ``paying_city`` by ``decide_by`` (the last day in time)."""

    application_id: str
    person_ref: str
    accepted_in: City
    paying_city: City
    submitted_on: date
    decide_by: date
    state: ApplicationState = "submitted"
    #: The day the paying city flagged it overdue (kept after a late decision, as history).
    overdue_on: date | None = None
    decided_on: date | None = None
    reason: Reason | None = None

    def __post_init__(self) -> None:
        if self.decide_by <= self.submitted_on:
            raise ValueError("an application is decided after the day it was submitted")

    @property
    def status(self) -> ApplicationStatus:
        """``overdue`` for a submitted application flagged overdue; else the state."""
        if self.state == "submitted" and self.overdue_on is not None:
            return "overdue"
        return self.state

    @property
    def decided(self) -> bool:
        """Whether the paying city has answered."""
        return self.state != "submitted"


def is_overdue(application: Application, today: date) -> bool:
    """Whether ``application`` is still undecided after its deadline (``decide_by`` itself
    is still in time)."""
    return not application.decided and today > application.decide_by


def apply(application: Application, step: ApplicationStep, on: date) -> Application:
    """``application`` after ``step`` taken on day ``on``.

    Refusals: ``already-decided`` (any step after a decision), ``already-overdue`` (a
    second flag), ``not-overdue`` (a flag on or before ``decide_by``).
    """
    target = TRANSITIONS.get((application.state, type(step)))
    if target is None:
        raise DomainError(
            "already-decided",
            f"Application {application.application_id} was already {application.state} "
            f"by {CITY_NAMES[application.paying_city]}.",
        )
    if isinstance(step, MarkOverdue):
        if application.overdue_on is not None:
            raise DomainError(
                "already-overdue",
                f"Application {application.application_id} is already flagged overdue.",
            )
        if not is_overdue(application, on):
            raise DomainError(
                "not-overdue",
                f"Application {application.application_id} may be decided until "
                f"{application.decide_by.isoformat()}.",
            )
        return replace(application, overdue_on=on)
    reason = step.reason if isinstance(step, Refuse) else None
    return replace(application, state=target, decided_on=on, reason=reason)


def check_of_allowance_age(birth_date: date, on: date, allowance_age: int) -> None:
    """Refuse ``not-of-allowance-age`` an applicant younger than ``allowance_age`` on day
    ``on`` (the age of the first band, from the policy)."""
    if age_on(birth_date, on) < allowance_age:
        raise DomainError(
            "not-of-allowance-age",
            f"The allowance is for persons of {allowance_age} or more; the applicant is "
            f"younger on {on.isoformat()}.",
        )
