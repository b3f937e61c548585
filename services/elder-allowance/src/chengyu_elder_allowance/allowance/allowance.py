"""The allowance of one person in its paying city, as an explicit state machine. Pure: no
I/O, no clock (the run month and the verification day are arguments).

::

                  Suspended: a run at or after due + grace
    grant ──► active ─────────────────────────────────────────► suspended ──┐
              │ ▲  ▲                                              │   ▲     │
              │ │  └──────── Resumed: verified by resume_by ──────┤   └─────┘
              │ │                                                 │   BandChanged
              │ └── Verified, BandChanged                         │
              │                                                   │
              │ Terminated: death, move, withdrawal               │ Terminated: a run after
              │ (or lapsed, no run in between)                    │ resume_by; death, move,
              ▼                                                   │ withdrawal
          terminated ◄────────────────────────────────────────────┘
              │  ▲
              └──┘ Terminated again: the earliest last month stands

The transitions, as :data:`TRANSITIONS` holds them (anything else is
``illegal-transition``):

=========== ============== =========== ==================================================
state       change         next state  when
=========== ============== =========== ==================================================
active      Verified       active      a verification moves the next due month later
active      BandChanged    active      the person reached a higher band
active      Suspended      suspended   a run at or after ``verification_due + grace``
active      Terminated     terminated  death, move, withdrawal; or lapsed (no run between)
suspended   Resumed        active      verified by ``resume_by`` (= due + window)
suspended   BandChanged    suspended   the band is a fact of age, paid once resumed
suspended   Terminated     terminated  a run after ``resume_by``; death, move, withdrawal
terminated  Terminated     terminated  again: idempotent; the earliest last month stands
=========== ============== =========== ==================================================

The calendar functions (:func:`review`, :func:`verify`, :func:`change_band`,
:func:`terminate`) decide which change the facts call for and :func:`apply` it; each
returns the new allowance and the change (or ``None`` when nothing changed), from which
the caller builds its events. A verification of a terminated allowance is refused with
``allowance-terminated`` (a conflict). Reviewing or changing the band of a terminated
allowance is not a transition: nothing changes.

Verification boundaries (months, all from the policy): payment continues through the
``grace`` months ``due .. due + grace - 1``; the first withheld month is ``due + grace``
(the run of that month or a later one suspends; a run reviews before it pays, so that
month is never paid before the suspension); a verification whose month is at most
``resume_by = due + window`` resumes; a run after ``resume_by`` terminates with
``verification-lapsed`` and ``last_month = suspended_from - 1`` (the suspended months are
never paid).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from chengyu_contracts.cities import City
from chengyu_contracts.domain_error import Conflict, DomainError
from chengyu_contracts.months import Month, month_range

from ..policy import BANDS, Band, CityPolicy
from .eligibility import band_in, first_paid_month

AllowanceState = Literal["active", "suspended", "terminated"]
ALLOWANCE_STATES: tuple[AllowanceState, ...] = ("active", "suspended", "terminated")

TerminationReason = Literal[
    "death", "household-moved", "verification-lapsed", "registration-withdrawn"
]
TERMINATION_REASONS: tuple[TerminationReason, ...] = (
    "death",
    "household-moved",
    "verification-lapsed",
    "registration-withdrawn",
)
# Sentences for events and clerks: never personal data.
_TERMINATION_SENTENCES: dict[TerminationReason, str] = {
    "death": "The recipient died.",
    "household-moved": "The household registration moved to the other city.",
    "verification-lapsed": "No verification was recorded within the verification window.",
    "registration-withdrawn": "The household registration was withdrawn as made in error.",
}
SUSPENSION_REASON = "verification-overdue"


@dataclass(frozen=True)
class Allowance:
    """One person's allowance in its paying city."""

    person_ref: str
    paying_city: City
    state: AllowanceState
    #: The band the allowance last reached (each month's amount uses the month's own band).
    band: Band
    #: The first month paid.
    first_month: Month
    #: The month the next verification (审验) falls due.
    verification_due: Month
    #: The first withheld month of the current (or, once terminated, last) suspension.
    suspended_from: Month | None
    #: The last month in which a verification still resumes a suspended allowance.
    resume_by: Month | None
    #: The last month paid, once terminated.
    last_month: Month | None
    #: The termination's reason code, once terminated.
    end_reason: TerminationReason | None


# --- what happened --------------------------------------------------------------------


@dataclass(frozen=True)
class Verified:
    """A verification moved the next due month of an active allowance."""

    verification_due: Month


@dataclass(frozen=True)
class BandChanged:
    """The person reached ``band``, which pays from ``from_month`` (never earlier)."""

    band: Band
    from_month: Month


@dataclass(frozen=True)
class Suspended:
    """Payment withheld from ``from_month``; a verification by ``resume_by`` resumes it."""

    from_month: Month
    resume_by: Month
    reason_code: str = SUSPENSION_REASON

    @property
    def reason(self) -> str:
        """The sentence for the event."""
        return "The periodic verification is overdue past its grace period."


@dataclass(frozen=True)
class Resumed:
    """Payment resumed: the months from ``from_month`` (the first suspended one) are paid
    again; ``back_paid_months`` counts the suspended months through the verification's
    month, both included (see :func:`verify`)."""

    from_month: Month
    back_paid_months: int
    verification_due: Month


@dataclass(frozen=True)
class Terminated:
    """The allowance ended; ``last_month`` is the last month paid."""

    last_month: Month
    reason_code: TerminationReason

    @property
    def reason(self) -> str:
        """The sentence for the event."""
        return _TERMINATION_SENTENCES[self.reason_code]


Change = Verified | BandChanged | Suspended | Resumed | Terminated

#: (state, change) -> next state. Anything else is illegal.
TRANSITIONS: dict[tuple[AllowanceState, type[Change]], AllowanceState] = {
    ("active", Verified): "active",
    ("active", BandChanged): "active",
    ("active", Suspended): "suspended",
    ("active", Terminated): "terminated",
    ("suspended", Resumed): "active",
    ("suspended", BandChanged): "suspended",
    ("suspended", Terminated): "terminated",
    ("terminated", Terminated): "terminated",
}


def apply(allowance: Allowance, change: Change) -> Allowance:
    """The allowance after ``change``; ``illegal-transition`` when :data:`TRANSITIONS` has
    no such step (or a band change is not to a higher band).

    A second termination keeps the earliest last month (and its reason): a death found
    after a move or a lapse can only shorten what was paid, never lengthen it.
    """
    target = TRANSITIONS.get((allowance.state, type(change)))
    if target is None:
        raise DomainError(
            "illegal-transition",
            f"An allowance in state {allowance.state} cannot take {type(change).__name__}.",
        )
    if isinstance(change, Verified):
        return replace(allowance, verification_due=change.verification_due)
    if isinstance(change, BandChanged):
        if BANDS.index(change.band) <= BANDS.index(allowance.band):
            raise DomainError(
                "illegal-transition", "An allowance only ever changes to a higher band."
            )
        return replace(allowance, band=change.band)
    if isinstance(change, Suspended):
        return replace(
            allowance, state=target, suspended_from=change.from_month, resume_by=change.resume_by
        )
    if isinstance(change, Resumed):
        return replace(
            allowance,
            state=target,
            suspended_from=None,
            resume_by=None,
            verification_due=change.verification_due,
        )
    if allowance.last_month is not None and allowance.last_month <= change.last_month:
        return allowance
    # A suspension ended by termination stays recorded: its months stay withheld.
    return replace(
        allowance, state=target, last_month=change.last_month, end_reason=change.reason_code
    )


# --- the calendar ----------------------------------------------------------------------


def grant(  # noqa: PLR0913, PLR0917 - the signature the payment run was written against
    person_ref: str,
    city: City,
    birth: date,
    first_month: Month,
    run_month: Month,
    policy: CityPolicy,
) -> Allowance:
    """A new active allowance paying from ``first_month``, granted at the run (or decision)
    of ``run_month`` under ``policy`` (the paying city's, in force in ``run_month``).

    The band is the one reached by the later of the two months. The first verification
    falls due ``verification_interval_months`` after ``first_month``. ``first_month``
    before the first band's first paid month is refused with ``not-of-allowance-age``.
    """
    if policy.city != city:
        raise ValueError("an allowance is granted under its paying city's policy")
    if band_in(birth, first_month, policy.first_month_rule) is None:
        raise DomainError(
            "not-of-allowance-age",
            f"The person is not of allowance age in {first_month}.",
        )
    band = band_in(birth, max(first_month, run_month), policy.first_month_rule)
    assert band is not None  # reached by first_month, so by any later month
    return Allowance(
        person_ref=person_ref,
        paying_city=city,
        state="active",
        band=band,
        first_month=first_month,
        verification_due=first_month.plus(policy.verification_interval_months),
        suspended_from=None,
        resume_by=None,
        last_month=None,
        end_reason=None,
    )


def _lapsed(suspended_from: Month) -> Terminated:
    # The suspended months are never paid: the allowance ends the month before them.
    return Terminated(suspended_from.previous(), "verification-lapsed")


def review(
    allowance: Allowance, run_month: Month, policy: CityPolicy
) -> tuple[Allowance, Change | None]:
    """What the run of ``run_month`` does to the allowance's verification (``policy``: the
    paying city's, in force in ``run_month``).

    - active, ``run_month >= verification_due + grace``: :class:`Suspended` from
      ``verification_due + grace`` (the first withheld month), ``resume_by =
      verification_due + window``; when the run is already after ``resume_by`` (no run
      was made in between) the allowance is :class:`Terminated` at once;
    - suspended, ``run_month > resume_by``: :class:`Terminated` (``verification-lapsed``,
      ``last_month = suspended_from - 1``);
    - otherwise (including any terminated allowance): no change.
    """
    if allowance.state == "active":
        suspended_from = allowance.verification_due.plus(policy.verification_grace_months)
        if run_month < suspended_from:
            return allowance, None
        resume_by = allowance.verification_due.plus(policy.verification_window_months)
        change: Change = (
            _lapsed(suspended_from)
            if run_month > resume_by
            else Suspended(suspended_from, resume_by)
        )
        if isinstance(change, Terminated):
            # Record the suspension the lapse ends, so its months stay withheld.
            allowance = replace(allowance, suspended_from=suspended_from, resume_by=resume_by)
        return apply(allowance, change), change
    if allowance.state == "suspended":
        assert allowance.suspended_from is not None and allowance.resume_by is not None
        if run_month <= allowance.resume_by:
            return allowance, None
        lapse = _lapsed(allowance.suspended_from)
        return apply(allowance, lapse), lapse
    return allowance, None


def verify(
    allowance: Allowance, verified_on: date, policy: CityPolicy
) -> tuple[Allowance, Change | None]:
    """Record a verification (审验) of ``verified_on`` (``policy``: the paying city's, in
    force on that day).

    A verification counts when it moves the next due month later: the next due month is
    ``Month.of(verified_on) + verification_interval_months``. An earlier or repeated
    verification (a duplicate delivery, one overtaken by a later one) changes nothing.

    - active: :class:`Verified` with the new due month;
    - suspended, verified in a month at most ``resume_by``: :class:`Resumed`; every month
      from ``suspended_from`` on is paid again (the next run back pays the withheld ones);
      ``back_paid_months`` = the months from ``suspended_from`` through the verification's
      month, both included (0 when the verification is dated before the suspension);
    - active or suspended, verified in a month after ``verification_due + window``: too
      late, :class:`Terminated` (``verification-lapsed``) as the next run would;
    - terminated: refused, ``allowance-terminated`` (a conflict).
    """
    if allowance.state == "terminated":
        raise Conflict(
            "allowance-terminated",
            "The allowance has ended; a verification no longer applies to it.",
        )
    verified_in = Month.of(verified_on)
    next_due = verified_in.plus(policy.verification_interval_months)
    if next_due <= allowance.verification_due:
        return allowance, None
    resume_by = allowance.resume_by or allowance.verification_due.plus(
        policy.verification_window_months
    )
    if verified_in > resume_by:
        suspended_from = allowance.suspended_from or allowance.verification_due.plus(
            policy.verification_grace_months
        )
        lapse = _lapsed(suspended_from)
        held = replace(allowance, suspended_from=suspended_from, resume_by=resume_by)
        return apply(held, lapse), lapse
    if allowance.state == "active":
        verified = Verified(next_due)
        return apply(allowance, verified), verified
    assert allowance.suspended_from is not None
    resumed = Resumed(
        from_month=allowance.suspended_from,
        back_paid_months=len(list(month_range(allowance.suspended_from, verified_in))),
        verification_due=next_due,
    )
    return apply(allowance, resumed), resumed


def change_band(
    allowance: Allowance, birth: date, month: Month, policy: CityPolicy
) -> tuple[Allowance, BandChanged | None]:
    """The band reached by ``month`` under ``policy``'s first-month rule (the paying city's,
    in force in ``month``): :class:`BandChanged` from the new band's first paid month when
    it is higher than the allowance's; no change otherwise, and never for a terminated
    allowance. The higher amount is never back paid for months before ``from_month``
    (each month pays its own band: see :func:`.eligibility.monthly_amount`)."""
    if allowance.state == "terminated":
        return allowance, None
    band = band_in(birth, month, policy.first_month_rule)
    if band is None or BANDS.index(band) <= BANDS.index(allowance.band):
        return allowance, None
    changed = BandChanged(band, first_paid_month(birth, band, policy.first_month_rule))
    return apply(allowance, changed), changed


def terminate(
    allowance: Allowance, last_month: Month, reason: TerminationReason
) -> tuple[Allowance, Terminated]:
    """End the allowance after ``last_month`` (death, household moved, registration
    withdrawn).

    Idempotent: the same termination again changes nothing. A different one keeps the
    earliest last month and its reason, and the returned :class:`Terminated` is the one in
    force; the caller publishes only when the allowance changed (``new != allowance``).
    """
    new = apply(allowance, Terminated(last_month, reason))
    assert new.last_month is not None and new.end_reason is not None
    return new, Terminated(new.last_month, new.end_reason)


def withheld(allowance: Allowance, month: Month) -> bool:
    """Whether the allowance pays nothing for ``month``: before its first month, from the
    first month of a suspension on (a resumed suspension withholds nothing), or after its
    last month."""
    if month < allowance.first_month:
        return True
    suspended_from = allowance.suspended_from
    if allowance.state != "active" and suspended_from is not None and month >= suspended_from:
        return True
    return allowance.last_month is not None and month > allowance.last_month
