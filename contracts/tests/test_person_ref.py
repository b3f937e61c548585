from __future__ import annotations

import base64

import pytest

from chengyu_contracts.person_ref import PersonRefKey, person_ref
from chengyu_contracts.resident_id import InvalidResidentId, parse_resident_id

SAMPLE = "11010519491231002X"
KEY = PersonRefKey(bytes(range(32)))
# HMAC-SHA256(key=00 01 .. 1f, "11010519491231002X"), from `openssl dgst -sha256 -mac HMAC`.
EXPECTED_SAMPLE_REF = "pr1_a66755453b106dcea0cfa264214ae59ff1e8b067f3e5f3aa8085e1d8757880eb"


def test_matches_the_fixed_test_vector() -> None:
    assert person_ref(SAMPLE, KEY) == EXPECTED_SAMPLE_REF


def test_is_stable_across_calls() -> None:
    assert person_ref(SAMPLE, KEY) == person_ref(SAMPLE, KEY)


def test_is_the_same_for_every_spelling_of_the_number() -> None:
    assert person_ref(" 11010519491231002x ", KEY) == person_ref(SAMPLE, KEY)


def test_accepts_a_parsed_resident_id() -> None:
    assert person_ref(parse_resident_id(SAMPLE), KEY) == person_ref(SAMPLE, KEY)


def test_differs_for_different_keys() -> None:
    assert person_ref(SAMPLE, PersonRefKey(bytes(32))) != person_ref(SAMPLE, KEY)


def test_differs_for_different_numbers() -> None:
    assert person_ref("110105194912310038", KEY) != person_ref(SAMPLE, KEY)


def test_rejects_an_invalid_number() -> None:
    with pytest.raises(InvalidResidentId):
        person_ref("110105194912310020", KEY)


def test_key_shorter_than_32_bytes_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        PersonRefKey(bytes(31))


def test_key_from_hex_equals_key_from_bytes() -> None:
    assert person_ref(SAMPLE, PersonRefKey.from_hex(bytes(range(32)).hex())) == EXPECTED_SAMPLE_REF


def test_key_from_base64_equals_key_from_bytes() -> None:
    text = base64.b64encode(bytes(range(32))).decode()
    assert person_ref(SAMPLE, PersonRefKey.from_base64(text)) == EXPECTED_SAMPLE_REF


def test_malformed_hex_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="not valid hex"):
        PersonRefKey.from_hex("zz" * 32)


def test_repr_never_shows_the_key() -> None:
    secret = bytes(range(32))
    assert secret.hex() not in repr(KEY) and repr(secret) not in repr(KEY)
    assert str(KEY) == repr(KEY)
