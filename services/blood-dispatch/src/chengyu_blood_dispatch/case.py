"""The example rule: a case is opened for a person, at most as many open cases per person
as the city's policy allows. Pure: no database, no clock, no Kafka."""

from __future__ import annotations

from dataclasses import dataclass

from chengyu_contracts.cities import City
from chengyu_contracts.domain_error import Conflict

from .policy import CityPolicy


@dataclass(frozen=True)
class Case:
    """A case of one person in one city."""

    case_id: str
    person_ref: str
    city: City


def open_case(case_id: str, person_ref: str, open_cases: int, policy: CityPolicy) -> Case:
    """A new case for ``person_ref``, who has ``open_cases`` already; ``too-many-cases``
    when the policy allows no more."""
    if open_cases >= policy.open_cases_per_person:
        raise Conflict(
            "too-many-cases",
            f"A person may have {policy.open_cases_per_person} open case(s) here.",
        )
    return Case(case_id=case_id, person_ref=person_ref, city=policy.city)
