"""The rare-blood registry: registration by the policy's phenotypes, availability by the
donation intervals, searches that never find a donor without consent, and recalls."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from blood_rule_builders import CQ, T0
from hypothesis import given
from hypothesis import strategies as st

from chengyu_blood_dispatch.blood_groups import ABOS, RHDS, Abo
from chengyu_blood_dispatch.policy import DEFAULT_RARE_PHENOTYPES
from chengyu_blood_dispatch.rare_donors import (
    DonorQuery,
    RareDonor,
    answer_recall,
    available_on,
    record_donation,
    register_donor,
    request_recall,
    search,
    withdraw_consent,
)
from chengyu_contracts.domain_error import Conflict, DomainError

TODAY = date(2026, 3, 2)


def donor(ref: str = "d-1", **changes: object) -> RareDonor:
    fields: dict[str, object] = {
        "donor_ref": ref,
        "city": "cd",
        "abo": "O",
        "rhd": "neg",
        "phenotypes": frozenset(),
        "consent": "given",
    }
    fields.update(changes)
    return RareDonor(**fields)  # type: ignore[arg-type]


def test_registration_keeps_rare_donors_of_the_policys_phenotypes() -> None:
    assert register_donor(donor(phenotypes=frozenset({"Jk(a-b-)"})), CQ).phenotypes == {"Jk(a-b-)"}
    assert register_donor(donor(phenotypes=frozenset({"RhD-neg"})), CQ).phenotypes == frozenset()
    for changes, code in (
        ({"phenotypes": frozenset({"Kell"})}, "unknown-phenotype"),
        ({"rhd": "pos"}, "not-rare"),
        ({"donor_ref": " "}, "empty-donor-ref"),
    ):
        with pytest.raises(DomainError) as refused:
            register_donor(donor(**changes), CQ)
        assert refused.value.code == code


def test_availability_by_the_donation_intervals() -> None:
    never = donor()
    assert available_on(never, CQ) is None
    whole = record_donation(never, date(2026, 1, 1), "whole-blood")
    assert available_on(whole, CQ) == date(2026, 1, 1) + timedelta(days=180)
    assert available_on(whole, CQ, "apheresis") == date(2026, 1, 1) + timedelta(days=90)
    apheresis = record_donation(whole, date(2026, 2, 1), "apheresis")
    assert available_on(apheresis, CQ, "apheresis") == date(2026, 2, 15)
    with pytest.raises(DomainError) as refused:
        record_donation(apheresis, date(2026, 1, 2), "whole-blood")
    assert refused.value.code == "donation-out-of-order"


def test_a_search_finds_consenting_donors_available_first() -> None:
    donors = [
        record_donation(
            donor("d-late", phenotypes=frozenset({"Di(b-)"})),
            TODAY - timedelta(days=10),
            "whole-blood",
        ),
        donor("d-now", abo="A", phenotypes=frozenset({"Di(b-)"})),
        donor("d-gone", phenotypes=frozenset({"Di(b-)"}), consent="withdrawn"),
        donor("d-other", phenotypes=frozenset({"Rh-null"})),
    ]
    found = search(donors, DonorQuery("Di(b-)"), CQ, TODAY)
    assert [(m.donor_ref, m.available_now) for m in found] == [("d-now", True), ("d-late", False)]
    assert [m.donor_ref for m in search(donors, DonorQuery("Di(b-)", "O"), CQ, TODAY)] == ["d-late"]
    assert {m.donor_ref for m in search(donors, DonorQuery("RhD-neg"), CQ, TODAY)} == {
        "d-now",
        "d-late",
        "d-other",
    }
    with pytest.raises(DomainError) as refused:
        search(donors, DonorQuery("Bombay"), CQ, TODAY)
    assert refused.value.code == "unknown-phenotype"


donors = st.lists(
    st.builds(
        RareDonor,
        donor_ref=st.text("abcdef0123", min_size=1, max_size=6),
        city=st.sampled_from(["cq", "cd"]),
        abo=st.sampled_from(ABOS),
        rhd=st.sampled_from(RHDS),
        phenotypes=st.frozensets(st.sampled_from(DEFAULT_RARE_PHENOTYPES[1:])),
        consent=st.sampled_from(["given", "withdrawn"]),
        last_donation=st.none() | st.dates(date(2025, 1, 1), date(2026, 6, 1)),
        last_donation_kind=st.sampled_from(["whole-blood", "apheresis"]),
    ),
    max_size=20,
)


@given(donors, st.sampled_from(DEFAULT_RARE_PHENOTYPES), st.none() | st.sampled_from(ABOS))
def test_a_search_answers_exactly_the_consenting_matches(
    registry: list[RareDonor], phenotype: str, abo: Abo | None
) -> None:
    found = search(registry, DonorQuery(phenotype, abo), CQ, TODAY)
    wanted = [
        d
        for d in registry
        if d.consent == "given" and phenotype in d.all_phenotypes and abo in (None, d.abo)
    ]
    assert sorted(m.donor_ref for m in found) == sorted(d.donor_ref for d in wanted)
    withdrawn = [withdraw_consent(d) for d in registry]
    assert search(withdrawn, DonorQuery(phenotype, abo), CQ, TODAY) == ()
    nows = [m.available_now for m in found]
    assert nows == sorted(nows, reverse=True)


def test_a_recall_is_answered_once_and_never_for_a_donor_without_consent() -> None:
    recall = request_recall("r-1", donor(), "cq", T0)
    assert (recall.state, recall.donor_city, recall.requesting_city) == ("requested", "cd", "cq")
    answered = answer_recall(recall, "will-donate", T0 + timedelta(hours=2))
    assert (answered.state, answered.answered_at) == ("will-donate", T0 + timedelta(hours=2))
    with pytest.raises(Conflict) as refused:
        answer_recall(answered, "declined", T0 + timedelta(hours=3))
    assert refused.value.code == "recall-answered"
    with pytest.raises(Conflict) as refused:
        request_recall("r-2", withdraw_consent(donor()), "cq", T0)
    assert refused.value.code == "no-consent"
