"""Compatibility against an independent antigen/antibody model, for every donor and
recipient group, product and substitution policy; the order of substitutes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from blood_rule_builders import CQ

from chengyu_blood_dispatch.blood_groups import GROUPS, PRODUCTS, BloodGroup, Product
from chengyu_blood_dispatch.compatibility import compatible, donor_groups, may_give
from chengyu_blood_dispatch.policy import CityPolicy

NO_SUBSTITUTES = replace(CQ, substitution=dict.fromkeys(PRODUCTS, False))
ALL_SUBSTITUTES = replace(CQ, substitution=dict.fromkeys(PRODUCTS, True))
POLICIES = [CQ, NO_SUBSTITUTES, ALL_SUBSTITUTES]


def antigens(group: BloodGroup) -> set[str]:
    """The A, B and D antigens on the group's red cells."""
    found = {"A", "B"} & set(group.abo)
    return found | ({"D"} if group.rhd == "pos" else set())


def antibodies(group: BloodGroup) -> set[str]:
    """The ABO antibodies in the group's plasma (anti-D is not natural: left out)."""
    return {"A", "B"} - antigens(group)


def oracle(product: Product, donor: BloodGroup, recipient: BloodGroup) -> bool:
    """Medically safe by the model: cells bring no antigen the recipient lacks (A, B by
    antibody, D by never sensitising an RhD negative recipient); plasma brings no antibody
    against the recipient's cells; whole blood brings both."""
    cells_ok = not (antigens(donor) - antigens(recipient))
    plasma_ok = not (antibodies(donor) & antigens(recipient))
    if product == "red-cells":
        return cells_ok
    if product == "whole-blood":
        return cells_ok and plasma_ok
    if product == "platelets":
        # Plasma-compatible ABO, and RhD as for cells.
        return plasma_ok and ("D" not in antigens(donor) or "D" in antigens(recipient))
    return plasma_ok  # plasma and cryoprecipitate: RhD ignored


@pytest.mark.parametrize("product", PRODUCTS)
@pytest.mark.parametrize("policy", POLICIES, ids=["cq", "no-substitutes", "all-substitutes"])
def test_every_pair_against_the_model(product: Product, policy: CityPolicy) -> None:
    for donor in GROUPS:
        for recipient in GROUPS:
            allowed = may_give(product, donor, recipient, policy)
            if donor == recipient:
                assert allowed and compatible(product, donor, recipient)
            else:
                assert allowed == (
                    policy.substitution[product] and oracle(product, donor, recipient)
                )
                assert compatible(product, donor, recipient) == oracle(product, donor, recipient)


@pytest.mark.parametrize("product", PRODUCTS)
@pytest.mark.parametrize("policy", POLICIES, ids=["cq", "no-substitutes", "all-substitutes"])
def test_donor_groups_are_identical_first_then_exactly_the_allowed(
    product: Product, policy: CityPolicy
) -> None:
    for recipient in GROUPS:
        groups = donor_groups(product, recipient, policy)
        assert groups[0] == recipient
        assert len(set(groups)) == len(groups)
        assert set(groups) == {g for g in GROUPS if may_give(product, g, recipient, policy)}


def test_the_issues_examples() -> None:
    g = BloodGroup
    assert {d.abo for d in GROUPS if compatible("red-cells", d, g("AB", "pos"))} == {
        "O",
        "A",
        "B",
        "AB",
    }
    assert {d.abo for d in GROUPS if compatible("red-cells", d, g("A", "pos"))} == {"O", "A"}
    assert not compatible("red-cells", g("O", "pos"), g("O", "neg"))
    assert compatible("red-cells", g("O", "neg"), g("O", "pos"))
    assert {d.abo for d in GROUPS if compatible("plasma", d, g("O", "pos"))} == {
        "O",
        "A",
        "B",
        "AB",
    }
    assert compatible("plasma", g("AB", "pos"), g("A", "neg"))  # RhD ignored for plasma
    assert not compatible("plasma", g("O", "neg"), g("A", "neg"))
    assert {str(d) for d in GROUPS if compatible("whole-blood", d, g("A", "pos"))} == {
        "A RhD pos",
        "A RhD neg",
    }
    assert not compatible("platelets", g("O", "pos"), g("A", "pos"))  # minor incompatible
    assert compatible("platelets", g("AB", "neg"), g("A", "pos"))


def test_scarce_groups_come_last() -> None:
    order = [str(d) for d in donor_groups("red-cells", BloodGroup("AB", "pos"), CQ)]
    assert order == [
        "AB RhD pos",
        "A RhD pos",
        "B RhD pos",
        "O RhD pos",
        "AB RhD neg",
        "A RhD neg",
        "B RhD neg",
        "O RhD neg",
    ]
    plasma = [str(d) for d in donor_groups("plasma", BloodGroup("O", "neg"), CQ)]
    assert plasma[:2] == ["O RhD neg", "O RhD pos"] and plasma[-1] == "AB RhD pos"
