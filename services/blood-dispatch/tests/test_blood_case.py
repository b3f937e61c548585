"""The example rule: a person may have as many open cases as the city's policy allows."""

from __future__ import annotations

from datetime import date

import pytest

from chengyu_blood_dispatch.case import open_case
from chengyu_blood_dispatch.policy import CityPolicy
from chengyu_contracts.domain_error import Conflict

POLICY = CityPolicy("cq", date(2025, 1, 1), open_cases_per_person=1)


def test_a_person_without_a_case_gets_one_in_the_policys_city() -> None:
    case = open_case("cq-1", "ref-1", open_cases=0, policy=POLICY)
    assert (case.case_id, case.person_ref, case.city) == ("cq-1", "ref-1", "cq")


def test_a_person_at_the_policys_limit_is_refused_as_a_conflict() -> None:
    with pytest.raises(Conflict) as refused:
        open_case("cq-2", "ref-1", open_cases=1, policy=POLICY)
    assert refused.value.code == "too-many-cases"
