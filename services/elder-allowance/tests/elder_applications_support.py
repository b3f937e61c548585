"""Helpers of the applications and assessments tests: their day, the tables they count,
and a fake of the allowance area's ``grant_on_application`` the tests control (both cities
and synthetic applicants are :mod:`elder_bus`'s)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from elder_bus import noon

from chengyu_contracts.cities import City
from chengyu_contracts.domain_error import DomainError
from chengyu_elder_allowance.allowance import flow as allowance_flow
from chengyu_elder_allowance.allowance.flow import ApplicationGrant
from chengyu_elder_allowance.policy import PolicyBook
from chengyu_kit.unit import Unit

#: Thursday 15 October 2026.
TODAY = date(2026, 10, 15)
NOW = noon(TODAY)
#: The applications' and assessments' tables, and the outbox.
TABLES = ("allowance_application", "capability_assessment", "outbox")


@dataclass
class FakeGrants:
    """Stands in for ``allowance.flow.grant_on_application``: grants unless told to refuse
    a person with a code; remembers every call."""

    refusals: dict[str, str] = field(default_factory=dict)  # person_ref -> refusal code
    calls: list[tuple[City, str, str]] = field(default_factory=list)

    async def __call__(
        self, unit: Unit, person_ref: str, application_id: str, book: PolicyBook
    ) -> ApplicationGrant:
        self.calls.append((unit.city, person_ref, application_id))
        code = self.refusals.get(person_ref)
        if code is not None:
            raise DomainError(code, f"Refused by the fake allowance area ({code}).")
        return ApplicationGrant(already_granted=False, first_month="2026-11")


def install_fake_grants(monkeypatch: pytest.MonkeyPatch) -> FakeGrants:
    """A fake grant, in place of the allowance area's for the test."""
    fake = FakeGrants()
    monkeypatch.setattr(allowance_flow, "grant_on_application", fake)
    return fake
