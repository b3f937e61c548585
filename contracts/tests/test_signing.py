from __future__ import annotations

import copy
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from chengyu_contracts.envelope import Envelope
from chengyu_contracts.errors import EventRejected
from chengyu_contracts.keys import KeyRegistry, PublicKeyEntry, SigningKey, agency_may_sign
from chengyu_contracts.signing import (
    BadSignature,
    KeyNotAuthorised,
    MissingSignature,
    SignatureError,
    UnknownKeyId,
    sign_envelope,
    sign_event,
    verify_event,
)

from .conftest import CQ_SEED, unsigned_event

ATTRIBUTES = [
    ("id", "00000000-0000-4000-8000-000000000000"),
    ("source", "/cq/hpf/other-service"),
    ("type", "cn.chengyu.sample.transfer-requested.v2"),
    ("subject", "tr-9999"),
    ("time", "2025-03-01T08:30:00.123457Z"),
    ("dataschema", "urn:chengyu:schema:x"),
    ("partitionkey", "tr-9999"),
    ("traceparent", "00-00000000000000000000000000000001-0000000000000001-01"),
    ("specversion", "1.1"),
]


def test_signed_event_verifies(signed_event: dict[str, Any], keys: KeyRegistry) -> None:
    verify_event(signed_event, keys)


def test_member_order_does_not_matter(signed_event: dict[str, Any], keys: KeyRegistry) -> None:
    verify_event(dict(reversed(list(signed_event.items()))), keys)


def test_sign_event_returns_new_dict_and_leaves_input_alone(cq_key: SigningKey) -> None:
    event = unsigned_event()
    before = copy.deepcopy(event)
    signed = sign_event(event, cq_key)
    assert event == before and signed is not event


def test_sign_event_sets_key_id(cq_key: SigningKey) -> None:
    assert sign_event(unsigned_event(), cq_key)["chengyukeyid"] == "cq-hpf-2025"


def test_sign_event_refuses_source_the_key_may_not_sign_for(cd_key: SigningKey) -> None:
    with pytest.raises(ValueError, match="may not sign"):
        sign_event(unsigned_event(), cd_key)


def test_resigning_replaces_the_old_signature(cq_key: SigningKey, keys: KeyRegistry) -> None:
    twice = sign_event(sign_event(unsigned_event(), cq_key), cq_key)
    verify_event(twice, keys)


def test_sign_envelope_returns_verifiable_envelope(cq_key: SigningKey, keys: KeyRegistry) -> None:
    signed = sign_envelope(Envelope.model_validate(unsigned_event()), cq_key)
    verify_event(signed.to_wire_dict(), keys)


@pytest.mark.parametrize(("attribute", "value"), ATTRIBUTES)
def test_changing_any_attribute_breaks_the_signature(
    signed_event: dict[str, Any], keys: KeyRegistry, attribute: str, value: str
) -> None:
    with pytest.raises(BadSignature):
        verify_event({**signed_event, attribute: value}, keys)


@pytest.mark.parametrize("field", ["transfer_id", "person_ref", "amount_fen", "kind"])
def test_changing_any_data_field_breaks_the_signature(
    signed_event: dict[str, Any], keys: KeyRegistry, field: str
) -> None:
    data = dict(signed_event["data"])
    data[field] = 1 if isinstance(data[field], str) else "1"
    with pytest.raises(BadSignature):
        verify_event({**signed_event, "data": data}, keys)


def test_adding_a_data_field_breaks_the_signature(
    signed_event: dict[str, Any], keys: KeyRegistry
) -> None:
    tampered = {**signed_event, "data": {**signed_event["data"], "extra": 1}}
    with pytest.raises(BadSignature):
        verify_event(tampered, keys)


def test_changing_the_key_id_to_another_valid_key_breaks_the_signature(
    signed_event: dict[str, Any], keys: KeyRegistry
) -> None:
    other = SigningKey.from_seed("cq-hpf-2026", "/cq/hpf", bytes(32))
    with pytest.raises(BadSignature):
        verify_event(
            {**signed_event, "chengyukeyid": other.key_id}, keys.with_entry(other.public_entry())
        )


def test_missing_signature_is_rejected(signed_event: dict[str, Any], keys: KeyRegistry) -> None:
    del signed_event["chengyusig"]
    with pytest.raises(MissingSignature, match="chengyusig"):
        verify_event(signed_event, keys)


def test_missing_key_id_is_rejected(signed_event: dict[str, Any], keys: KeyRegistry) -> None:
    del signed_event["chengyukeyid"]
    with pytest.raises(MissingSignature, match="chengyukeyid"):
        verify_event(signed_event, keys)


def test_unknown_key_id_is_rejected(signed_event: dict[str, Any], keys: KeyRegistry) -> None:
    with pytest.raises(UnknownKeyId, match="nobody"):
        verify_event({**signed_event, "chengyukeyid": "nobody"}, keys)


def test_key_of_another_city_is_not_authorised(cq_key: SigningKey) -> None:
    # The registry, not the signer, says which agency a key belongs to.
    entry = cq_key.public_entry().model_copy(update={"agency": "/cd/hpf"})
    with pytest.raises(KeyNotAuthorised, match="/cd/hpf"):
        verify_event(sign_event(unsigned_event(), cq_key), KeyRegistry([entry]))


def test_agency_prefix_is_compared_by_whole_segments() -> None:
    assert agency_may_sign("/cq/hpf", "/cq/hpf/fund-transfer")
    assert not agency_may_sign("/cq/hpf", "/cq/hpfx/fund-transfer")
    assert not agency_may_sign("/cq/hpf", "/cd/hpf/fund-transfer")


def test_key_used_outside_its_validity_window_is_not_authorised(cq_key: SigningKey) -> None:
    entry = cq_key.public_entry(not_before="2026-01-01T00:00:00Z")
    with pytest.raises(KeyNotAuthorised, match="not valid at the event's time"):
        verify_event(sign_event(unsigned_event(), cq_key), KeyRegistry([entry]))


def test_key_inside_its_validity_window_verifies(cq_key: SigningKey) -> None:
    entry = cq_key.public_entry(
        not_before="2025-01-01T00:00:00+08:00", not_after="2025-12-31T23:59:59Z"
    )
    verify_event(sign_event(unsigned_event(), cq_key), KeyRegistry([entry]))


def test_signature_that_is_not_base64url_is_bad(
    signed_event: dict[str, Any], keys: KeyRegistry
) -> None:
    with pytest.raises(BadSignature, match="base64url"):
        verify_event({**signed_event, "chengyusig": "!" * 86}, keys)


def test_signature_with_padding_is_bad(signed_event: dict[str, Any], keys: KeyRegistry) -> None:
    with pytest.raises(BadSignature, match="base64url"):
        verify_event({**signed_event, "chengyusig": signed_event["chengyusig"] + "=="}, keys)


def test_signature_with_non_canonical_last_character_is_bad(
    signed_event: dict[str, Any], keys: KeyRegistry
) -> None:
    # Same 64 bytes, but spare bits set: a second spelling of one signature.
    sig = signed_event["chengyusig"]
    spare = {"A": "B", "Q": "R", "g": "h", "w": "x"}[sig[-1]]
    with pytest.raises(BadSignature, match="base64url"):
        verify_event({**signed_event, "chengyusig": sig[:-1] + spare}, keys)


def test_event_that_cannot_be_canonicalised_is_bad(
    signed_event: dict[str, Any], keys: KeyRegistry
) -> None:
    tampered = {**signed_event, "data": {"huge": 2**60}}
    with pytest.raises(BadSignature, match="canonicalised"):
        verify_event(tampered, keys)


def test_every_signature_error_is_an_event_rejection() -> None:
    for error in (MissingSignature, UnknownKeyId, KeyNotAuthorised, BadSignature):
        assert issubclass(error, SignatureError) and issubclass(error, EventRejected)


def test_verification_is_safe_from_many_threads(
    signed_event: dict[str, Any], keys: KeyRegistry
) -> None:
    tampered = {**signed_event, "subject": "other"}

    def outcome(event: dict[str, Any]) -> str:
        try:
            verify_event(event, keys)
        except BadSignature:
            return "bad"
        return "ok"

    events = [signed_event, tampered] * 200
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(outcome, events))
    assert results == ["ok", "bad"] * 200


def test_signing_key_file_round_trips(tmp_path: Path, cq_key: SigningKey) -> None:
    path = tmp_path / "key.json"
    cq_key.write_json_file(path)
    loaded = SigningKey.from_json_file(path)
    assert (loaded.key_id, loaded.agency, loaded.seed()) == ("cq-hpf-2025", "/cq/hpf", CQ_SEED)


def test_signing_key_file_is_readable_by_owner_only(tmp_path: Path, cq_key: SigningKey) -> None:
    path = tmp_path / "key.json"
    cq_key.write_json_file(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_malformed_signing_key_file_is_rejected_without_quoting_it() -> None:
    with pytest.raises(ValueError, match="malformed signing key file") as raised:
        SigningKey.from_json('{"key_id": "k", "agency": "/cq/hpf", "private_key": "c2VjcmV0"}')
    assert raised.value.__cause__ is None and "c2VjcmV0" not in str(raised.value)


def test_signing_key_repr_hides_the_secret(cq_key: SigningKey) -> None:
    assert CQ_SEED.hex() not in repr(cq_key) and "seed" not in repr(cq_key)


def test_signing_key_rejects_malformed_agency() -> None:
    with pytest.raises(ValueError, match="agency"):
        SigningKey.generate("k1", "cq/hpf")


def test_key_registry_file_round_trips(tmp_path: Path, keys: KeyRegistry) -> None:
    path = tmp_path / "keys.json"
    keys.write_json_file(path)
    assert KeyRegistry.from_json_file(path).entries() == keys.entries()


def test_key_registry_rejects_duplicate_key_ids(cq_key: SigningKey) -> None:
    with pytest.raises(ValueError, match="twice"):
        KeyRegistry([cq_key.public_entry(), cq_key.public_entry()])


def test_key_registry_get_raises_unknown_key_id(keys: KeyRegistry) -> None:
    with pytest.raises(UnknownKeyId):
        keys.get("nobody")


def test_public_key_entry_rejects_key_of_wrong_length() -> None:
    with pytest.raises(ValidationError, match="32 bytes"):
        PublicKeyEntry(key_id="k1", agency="/cq/hpf", public_key="AAAA")


def test_public_key_entry_rejects_inverted_validity_window(cq_key: SigningKey) -> None:
    with pytest.raises(ValidationError, match="not_before is after not_after"):
        cq_key.public_entry(not_before="2026-01-01T00:00:00Z", not_after="2025-01-01T00:00:00Z")
