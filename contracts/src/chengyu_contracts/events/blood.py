"""blood events of the blood-dispatch service.

Topic ``blood.case`` is keyed by ``case_id``. No names or ID numbers: a person is only their
``person_ref``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chengyu_contracts.cities import City
from chengyu_contracts.registry import REGISTRY, EventData, event

__all__ = ["CASE_TOPIC", "BloodCaseOpened"]

CASE_TOPIC = "blood.case"


@event(REGISTRY, type="cn.chengyu.blood.case-opened.v1", topic=CASE_TOPIC, key="case_id")
class BloodCaseOpened(EventData):
    """A city opened a case for a person."""

    case_id: Annotated[str, Field(min_length=1, max_length=128)]
    person_ref: Annotated[str, Field(min_length=1, max_length=128)]
    city: City
