"""The joint rare-blood registry (特殊稀有血型库): rare donors, their availability, the
search either city runs, and a recall's states.

A donor is a pseudonymous reference (never a name or a phone), the city whose centre
keeps them, the ABO/RhD group and the rare phenotypes of the policy's list. Only donors
whose consent is given are ever found; withdrawing consent takes effect at once.

A recall::

    requested ──Answer(will-donate | declined | unreachable)──► answered

======================  =============  ===========
state                   step           next state
======================  =============  ===========
requested               Answer         will-donate | declined | unreachable
======================  =============  ===========

Anything else is ``recall-answered``: the donor's city answers once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Final, Literal

from chengyu_contracts.cities import City
from chengyu_contracts.domain_error import Conflict, DomainError

from .blood_groups import Abo, Rhd
from .policy import RHD_NEGATIVE_PHENOTYPE, CityPolicy, DonationKind

Consent = Literal["given", "withdrawn"]
RecallState = Literal["requested", "will-donate", "declined", "unreachable"]
RecallAnswer = Literal["will-donate", "declined", "unreachable"]
RECALL_ANSWERS: Final[tuple[RecallAnswer, ...]] = ("will-donate", "declined", "unreachable")


@dataclass(frozen=True)
class RareDonor:
    """A donor of the registry, pseudonymous."""

    donor_ref: str
    city: City
    abo: Abo
    rhd: Rhd
    #: Rare phenotypes from the policy's list (RhD negative is implied by ``rhd``).
    phenotypes: frozenset[str]
    consent: Consent
    last_donation: date | None = None
    last_donation_kind: DonationKind = "whole-blood"

    @property
    def all_phenotypes(self) -> frozenset[str]:
        """The donor's rare phenotypes, RhD negative included when it applies."""
        implied = {RHD_NEGATIVE_PHENOTYPE} if self.rhd == "neg" else set()
        return self.phenotypes | implied


def _unknown_phenotypes(phenotypes: Iterable[str], policy: CityPolicy) -> None:
    unknown = sorted(set(phenotypes) - set(policy.rare_phenotypes))
    if unknown:
        raise DomainError(
            "unknown-phenotype",
            f"{', '.join(unknown)} is not a rare phenotype of the registry "
            f"({', '.join(policy.rare_phenotypes)}).",
        )


def register_donor(donor: RareDonor, policy: CityPolicy) -> RareDonor:
    """``donor`` checked for the registry of ``policy``'s city.

    Refused: ``unknown-phenotype`` (not on the policy's list), ``not-rare`` (RhD positive
    without a rare phenotype: the registry keeps rare donors only), ``empty-donor-ref``.
    """
    if not donor.donor_ref.strip():
        raise DomainError("empty-donor-ref", "A donor is registered under a reference.")
    _unknown_phenotypes(donor.phenotypes, policy)
    if not donor.all_phenotypes:
        raise DomainError("not-rare", "The registry keeps donors with a rare phenotype only.")
    # RhD negative is a group, not a listed phenotype: keep it in ``rhd`` only.
    return replace(donor, phenotypes=donor.phenotypes - {RHD_NEGATIVE_PHENOTYPE})


def withdraw_consent(donor: RareDonor) -> RareDonor:
    """``donor`` with consent withdrawn: no search finds them from now on."""
    return replace(donor, consent="withdrawn")


def record_donation(donor: RareDonor, on: date, kind: DonationKind) -> RareDonor:
    """``donor`` after donating ``kind`` on ``on`` (an earlier date than the last known one
    is refused ``donation-out-of-order``)."""
    if donor.last_donation is not None and on < donor.last_donation:
        raise DomainError("donation-out-of-order", "A donation cannot precede the last one.")
    return replace(donor, last_donation=on, last_donation_kind=kind)


def available_on(
    donor: RareDonor, policy: CityPolicy, kind: DonationKind = "whole-blood"
) -> date | None:
    """The first day ``donor`` may donate ``kind`` again (last donation plus the policy's
    minimum interval); ``None`` when no donation is recorded (available now)."""
    if donor.last_donation is None:
        return None
    return donor.last_donation + policy.donation_interval(donor.last_donation_kind, kind)


@dataclass(frozen=True)
class DonorQuery:
    """A search of the registry: a phenotype, optionally an ABO group."""

    phenotype: str
    abo: Abo | None = None


@dataclass(frozen=True)
class DonorMatch:
    """What a search answers about a donor: never more than this crosses the cities."""

    donor_ref: str
    city: City
    abo: Abo
    rhd: Rhd
    phenotypes: frozenset[str]
    available_on: date | None
    available_now: bool


def search(
    donors: Iterable[RareDonor], query: DonorQuery, policy: CityPolicy, today: date
) -> tuple[DonorMatch, ...]:
    """The consenting donors with ``query``'s phenotype (and ABO, if given), available
    ones first and then by the day they become available (reference breaks ties).

    Refused: ``unknown-phenotype`` when the phenotype is not on the policy's list.
    """
    _unknown_phenotypes([query.phenotype], policy)
    matches = []
    for donor in donors:
        if donor.consent != "given" or query.phenotype not in donor.all_phenotypes:
            continue
        if query.abo is not None and donor.abo != query.abo:
            continue
        on = available_on(donor, policy)
        matches.append(
            DonorMatch(
                donor_ref=donor.donor_ref,
                city=donor.city,
                abo=donor.abo,
                rhd=donor.rhd,
                phenotypes=donor.all_phenotypes,
                available_on=on,
                available_now=on is None or on <= today,
            )
        )
    return tuple(
        sorted(
            matches,
            key=lambda m: (not m.available_now, m.available_on or date.min, m.donor_ref),
        )
    )


@dataclass(frozen=True)
class Recall:
    """A request to the donor's city to contact a donor, and its answer."""

    recall_id: str
    donor_ref: str
    donor_city: City
    requesting_city: City
    state: RecallState
    requested_at: datetime
    answered_at: datetime | None = None


def request_recall(recall_id: str, donor: RareDonor, by: City, now: datetime) -> Recall:
    """A recall of ``donor`` asked by city ``by``; ``no-consent`` when the donor withdrew
    consent (they are not to be contacted)."""
    if donor.consent != "given":
        raise Conflict("no-consent", "This donor is not to be contacted.")
    return Recall(recall_id, donor.donor_ref, donor.city, by, "requested", now)


def answer_recall(recall: Recall, answer: RecallAnswer, now: datetime) -> Recall:
    """The recall answered by the donor's city; ``recall-answered`` when it already was."""
    if recall.state != "requested":
        raise Conflict("recall-answered", f"Recall {recall.recall_id} was answered already.")
    if answer not in RECALL_ANSWERS:
        raise DomainError("unknown-answer", f"A recall is answered {', '.join(RECALL_ANSWERS)}.")
    return replace(recall, state=answer, answered_at=now)
