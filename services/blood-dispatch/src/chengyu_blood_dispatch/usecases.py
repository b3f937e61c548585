"""Use cases: ``(command, unit)`` -> load, apply the rule, save, emit; one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from chengyu_contracts.domain_error import NotFound
from chengyu_contracts.events.blood import BloodCaseOpened
from chengyu_contracts.resident_id import checked_resident_id
from chengyu_kit.unit import Unit

from . import store
from .case import Case, open_case
from .policy import PolicyBook


@dataclass(frozen=True)
class OpenCase:
    """A clerk's command: open a case for the person with this resident ID number."""

    resident_id: str


async def open_case_for(command: OpenCase, unit: Unit, book: PolicyBook) -> Case:
    """Open a case in this city and tell the other city (``cn.chengyu.blood.case-opened.v1``)."""
    resident = checked_resident_id(command.resident_id, unit.today)
    person_ref = unit.person_ref(resident)
    policy = book.policy_for(unit.city, unit.today)
    open_cases = await store.count_open_cases(unit.conn, person_ref, unit.city)
    case = open_case(f"{unit.city}-{uuid.uuid4().hex}", person_ref, open_cases, policy)
    await store.save_case(unit.conn, case, unit.now)
    unit.emit(BloodCaseOpened(case_id=case.case_id, person_ref=person_ref, city=case.city))
    return case


async def get_case(case_id: str, unit: Unit) -> tuple[Case, datetime]:
    """A case known here (opened here or reported by the other city)."""
    found = await store.load_case(unit.conn, case_id)
    if found is None:
        raise NotFound("unknown-case", f"There is no case {case_id} here.")
    return found
