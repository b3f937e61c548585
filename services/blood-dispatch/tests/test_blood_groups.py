"""Products and groups parse from their codes and refuse anything else by name."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chengyu_blood_dispatch.blood_groups import (
    ABOS,
    GROUPS,
    PRODUCTS,
    RHDS,
    STOCK_KEYS,
    BloodGroup,
    StockKey,
    parse_abo,
    parse_group,
    parse_product,
    parse_rhd,
    parse_stock_key,
)
from chengyu_contracts.domain_error import DomainError


def test_every_code_parses_to_itself() -> None:
    assert [parse_product(p) for p in PRODUCTS] == list(PRODUCTS)
    assert [parse_abo(a) for a in ABOS] == list(ABOS)
    assert [parse_rhd(r) for r in RHDS] == list(RHDS)
    assert parse_group("AB", "neg") == BloodGroup("AB", "neg")
    assert parse_stock_key("platelets", "O", "pos") == StockKey("platelets", "O", "pos")


def test_eight_groups_and_forty_lines() -> None:
    assert len(set(GROUPS)) == 8
    assert len(set(STOCK_KEYS)) == 40
    assert str(StockKey("red-cells", "O", "neg")) == "suspended red cells O RhD neg"


@pytest.mark.parametrize(
    ("product", "abo", "rhd", "code"),
    [
        ("platelet", "O", "pos", "unknown-product"),
        ("RED-CELLS", "O", "pos", "unknown-product"),
        ("red-cells", "0", "pos", "unknown-abo"),
        ("red-cells", "ab", "pos", "unknown-abo"),
        ("red-cells", "AB", "+", "unknown-rhd"),
        ("red-cells", "AB", "", "unknown-rhd"),
    ],
)
def test_an_unknown_code_is_refused_by_name(product: str, abo: str, rhd: str, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse_stock_key(product, abo, rhd)
    assert refused.value.code == code


@given(st.text(max_size=12))
def test_only_codes_parse(text: str) -> None:
    for parse, codes in ((parse_product, PRODUCTS), (parse_abo, ABOS), (parse_rhd, RHDS)):
        if text in codes:
            assert parse(text) == text
        else:
            with pytest.raises(DomainError):
                parse(text)


def test_a_group_needs_a_known_abo_first() -> None:
    with pytest.raises(DomainError) as refused:
        parse_group("C", "x")
    assert refused.value.code == "unknown-abo"
