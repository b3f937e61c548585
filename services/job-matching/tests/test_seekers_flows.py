"""Seekers across both cities on the bus: a consenting seeker registered in Chongqing
appears in Chengdu's profiles, pseudonymously; a restatement reaches Chengdu as the next
version; a withdrawal of consent (or a deregistration) deletes the profile there at once;
redelivery and replay of every event, and an older profile published again after the
withdrawal, change nothing; the other city cannot play the seeker's city's part."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from seekers_bus import (
    Bus,
    SeekersCity,
    payloads,
    personal_data_in,
    resident,
    two_cities,
)

from chengyu_contracts.domain_error import DomainError
from chengyu_contracts.events.hr import JobSeekerConsentWithdrawn, JobSeekerProfileShared
from chengyu_kit.local.postgres import LocalPostgres

pytestmark = pytest.mark.integration

ALICE = resident(21, sex="female")
BOB = resident(22, "cd")


@pytest.fixture
async def cities(
    postgres: LocalPostgres,
) -> AsyncIterator[tuple[SeekersCity, SeekersCity, Bus]]:
    async for trio in two_cities(postgres):
        yield trio


async def nothing_personal_left_its_city(cq: SeekersCity, cd: SeekersCity, bus: Bus) -> None:
    secrets = (ALICE, BOB)
    assert personal_data_in([(r.value or b"").decode() for r in bus.log], *secrets) == []
    for city in (cq, cd):
        assert personal_data_in(await city.outbox_payloads(), *secrets) == []
        assert personal_data_in(await city.table("seeker_profile"), *secrets) == []
        assert personal_data_in(await city.table("seeker_withdrawn"), *secrets) == []
    # Each city's identities are its own seekers' only.
    assert len(await cq.table("seeker_identity")) == len(await cq.profile_refs("cq"))
    assert len(await cd.table("seeker_identity")) == len(await cd.profile_refs("cd"))


async def test_a_consenting_seeker_registered_in_chongqing_appears_in_chengdu(
    cities: tuple[SeekersCity, SeekersCity, Bus],
) -> None:
    cq, cd, bus = cities
    alice = (await cq.register(ALICE)).seeker
    await bus.settle()

    assert await cd.profile_refs("cq") == [alice.seeker_ref]
    shown = await cd.show(alice.seeker_ref)
    assert shown.contact is None
    assert shown.seeker == alice
    assert [s.seeker_ref for s in await cd.listed(city="cq")] == [alice.seeker_ref]
    assert [s.seeker_ref for s in await cd.listed(group="college-graduate")] == [alice.seeker_ref]
    await nothing_personal_left_its_city(cq, cd, bus)
    assert bus.dead == []


async def test_a_seeker_without_consent_stays_in_their_city(
    cities: tuple[SeekersCity, SeekersCity, Bus],
) -> None:
    cq, cd, bus = cities
    await cq.register(ALICE, consent_other_city=False)
    bob = (await cd.register(BOB, groups=["migrant-worker"], graduation_year=None)).seeker
    await bus.settle()
    assert await cd.profile_refs() == [bob.seeker_ref]
    assert await cq.profile_refs("cd") == [bob.seeker_ref]
    await nothing_personal_left_its_city(cq, cd, bus)


async def test_a_restatement_reaches_the_other_city_as_the_next_version(
    cities: tuple[SeekersCity, SeekersCity, Bus],
) -> None:
    cq, cd, bus = cities
    alice = (await cq.register(ALICE)).seeker
    await bus.settle()
    moved = (await cq.update(alice.seeker_ref, commute_radius_km=50, skills=["Go"])).seeker
    await bus.settle()
    seen = (await cd.show(alice.seeker_ref)).seeker
    assert (seen.version, seen.profile.commute_radius_km, seen.profile.skills) == (
        2,
        50,
        ("Go",),
    )
    assert seen == moved


async def test_a_withdrawal_of_consent_deletes_the_profile_in_the_other_city_at_once(
    cities: tuple[SeekersCity, SeekersCity, Bus],
) -> None:
    cq, cd, bus = cities
    alice = (await cq.register(ALICE)).seeker
    await bus.settle()
    assert await cd.profile_refs() == [alice.seeker_ref]

    await cq.consent(alice.seeker_ref, False)
    await bus.settle()
    assert await cd.profile_refs() == []
    assert await cd.listed() == []
    with pytest.raises(DomainError) as gone:
        await cd.show(alice.seeker_ref)
    assert gone.value.code == "unknown-seeker"
    assert [row[:3] for row in await cd.table("seeker_withdrawn")] == [(alice.seeker_ref, "cq", 2)]
    # Chongqing still has its seeker, only no longer shared.
    assert [s.seeker_ref for s in await cq.listed()] == [alice.seeker_ref]

    # Consent given again: a later version, in Chengdu again.
    again = await cq.consent(alice.seeker_ref, True)
    assert again.seeker.version == 3
    await bus.settle()
    assert (await cd.show(alice.seeker_ref)).seeker.version == 3
    assert bus.dead == []


async def test_a_deregistration_deletes_the_profile_in_the_other_city(
    cities: tuple[SeekersCity, SeekersCity, Bus],
) -> None:
    cq, cd, bus = cities
    alice = (await cq.register(ALICE)).seeker
    await bus.settle()
    await cq.deregister(alice.seeker_ref)
    await bus.settle()
    assert await cd.profile_refs() == []
    assert await cq.listed() == []
    assert bus.dead == []


async def test_a_withdrawal_read_before_the_profile_keeps_the_seeker_out(
    cities: tuple[SeekersCity, SeekersCity, Bus],
) -> None:
    cq, cd, bus = cities
    alice = (await cq.register(ALICE)).seeker
    await cq.consent(alice.seeker_ref, False)
    shared, withdrawn = await bus.publish(cq)
    await bus.deliver(cd, [withdrawn])
    await bus.deliver(cd, [shared])
    assert await cd.profile_refs() == []
    with pytest.raises(DomainError) as gone:
        await cd.show(alice.seeker_ref)
    assert gone.value.code == "unknown-seeker"
    assert bus.dead == []


async def test_redelivering_and_replaying_every_event_changes_nothing(
    cities: tuple[SeekersCity, SeekersCity, Bus],
) -> None:
    cq, cd, bus = cities
    alice = (await cq.register(ALICE)).seeker
    bob = (await cd.register(BOB, groups=["veteran"], graduation_year=None)).seeker
    await bus.settle()
    await cq.update(alice.seeker_ref, commute_radius_km=40)
    await cq.consent(alice.seeker_ref, False)
    await cd.update(bob.seeker_ref, salary_floor_yuan=4500)
    await bus.settle()
    before = [await c.tables() for c in (cq, cd)]
    assert await cd.profile_refs("cq") == []
    assert await cq.profile_refs("cd") == [bob.seeker_ref]

    # Every event again, in order, then in reverse order.
    for city in (cq, cd):
        await bus.deliver(city, list(bus.log))
        await bus.deliver(city, list(reversed(bus.log)))
    # Chongqing publishes Alice's older profiles again under new event ids (a replay of
    # its outbox), and Chengdu Bob's first version and a stale withdrawal.
    old_profiles = [p for p in payloads(bus.log, JobSeekerProfileShared) if p.city == "cq"]
    assert [p.version for p in old_profiles] == [1, 2]
    async with cq.unit() as unit:
        for profile in old_profiles:
            unit.emit(profile)
    [bob_v1, _] = [p for p in payloads(bus.log, JobSeekerProfileShared) if p.city == "cd"]
    async with cd.unit() as unit:
        unit.emit(bob_v1)
        unit.emit(
            JobSeekerConsentWithdrawn(
                seeker_ref=bob.seeker_ref,
                city="cd",
                version=1,
                withdrawn_at=bob_v1.shared_at,
            )
        )
    await bus.settle()

    assert [await c.tables() for c in (cq, cd)] == before
    assert await cd.profile_refs("cq") == []
    assert (await cq.show(bob.seeker_ref)).seeker.profile.salary_floor_yuan == 4500
    assert bus.dead == []


async def test_the_other_city_cannot_change_a_seeker_it_does_not_register(
    cities: tuple[SeekersCity, SeekersCity, Bus],
) -> None:
    cq, cd, bus = cities
    alice = (await cq.register(ALICE)).seeker
    await bus.settle()
    for action in (
        cd.consent(alice.seeker_ref, False),
        cd.deregister(alice.seeker_ref),
        cd.update(alice.seeker_ref),
    ):
        with pytest.raises(DomainError) as refused:
            await action
        assert refused.value.code == "other-citys-seeker"
    assert await cd.profile_refs() == [alice.seeker_ref]


async def test_a_profile_published_by_the_wrong_city_is_dead_lettered(
    cities: tuple[SeekersCity, SeekersCity, Bus],
) -> None:
    cq, cd, bus = cities
    alice = (await cq.register(ALICE)).seeker
    [made] = payloads(await bus.publish(cq), JobSeekerProfileShared)
    forged = made.model_copy(update={"city": "cd", "version": 9})
    async with cq.unit() as unit:
        unit.emit(forged)
    await bus.settle()
    assert [s.city for s in await cd.listed()] == ["cq"]
    assert (await cd.show(alice.seeker_ref)).seeker.version == 1
    assert any("wrong-issuing-city" in reason for reason in bus.dead_reasons())
