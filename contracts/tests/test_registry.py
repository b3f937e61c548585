from __future__ import annotations

import pytest

import chengyu_contracts.events  # noqa: F401  (fills REGISTRY)
from chengyu_contracts.registry import (
    REGISTRY,
    EventData,
    EventSpec,
    Registry,
    UnknownEventType,
    dead_letter_topic,
    event,
)

from .conftest import SAMPLE_TOPIC, SAMPLE_TYPE, SampleTransferRequested


class CaseOpened(EventData):
    case_id: str


class PriceQuoted(EventData):
    case_id: str
    price_yuan: float


def spec(**overrides: object) -> EventSpec:
    fields: dict[str, object] = {
        "type": "cn.chengyu.case.opened.v1",
        "model": CaseOpened,
        "topic": "case.case",
        "key_field": "case_id",
        "version": 1,
    }
    fields.update(overrides)
    return EventSpec(**fields)  # type: ignore[arg-type]


def test_registered_spec_is_found_by_type(registry: Registry) -> None:
    assert registry.spec_for(SAMPLE_TYPE).model is SampleTransferRequested


def test_dataschema_is_the_urn_of_the_type() -> None:
    assert spec().dataschema == "urn:chengyu:schema:cn.chengyu.case.opened.v1"


def test_rejects_duplicate_type(registry: Registry) -> None:
    with pytest.raises(ValueError, match="already registered"):
        registry.register(spec(type=SAMPLE_TYPE, topic=SAMPLE_TOPIC))


def test_rejects_model_registered_under_two_types(registry: Registry) -> None:
    with pytest.raises(ValueError, match="SampleTransferRequested is already registered"):
        registry.register(
            spec(
                model=SampleTransferRequested,
                key_field="transfer_id",
                type=SAMPLE_TYPE[:-1] + "2",
                version=2,
            )
        )


def test_rejects_key_field_the_model_does_not_have() -> None:
    with pytest.raises(ValueError, match="no key field 'caseid'"):
        Registry().register(spec(key_field="caseid"))


def test_rejects_version_that_differs_from_type_suffix() -> None:
    with pytest.raises(ValueError, match=r"does not match the \.vN suffix"):
        Registry().register(spec(version=2))


def test_rejects_malformed_type_name() -> None:
    with pytest.raises(ValueError, match="type must look like"):
        Registry().register(spec(type="case.opened.v1"))


def test_rejects_malformed_topic_name() -> None:
    with pytest.raises(ValueError, match="topic must look like"):
        Registry().register(spec(topic="Case_Topic"))


def test_rejects_model_with_float_field() -> None:
    with pytest.raises(ValueError, match="float"):
        Registry().register(spec(model=PriceQuoted))


def test_unknown_type_raises_unknown_event_type_naming_it(registry: Registry) -> None:
    with pytest.raises(UnknownEventType, match=r"'cn\.chengyu\.x\.y\.v1' is not known") as raised:
        registry.spec_for("cn.chengyu.x.y.v1")
    assert raised.value.reason == "unknown-type"


def test_specs_are_sorted_by_type() -> None:
    registry = Registry()
    registry.register(spec(type="cn.chengyu.case.zeta.v1"))

    class Other(EventData):
        case_id: str

    registry.register(spec(type="cn.chengyu.case.alpha.v1", model=Other))
    assert [s.type for s in registry.specs()] == [
        "cn.chengyu.case.alpha.v1",
        "cn.chengyu.case.zeta.v1",
    ]


def test_topics_are_sorted_and_unique() -> None:
    registry = Registry()

    class Other(EventData):
        case_id: str

    class Third(EventData):
        case_id: str

    registry.register(spec(topic="case.b"))
    registry.register(spec(type="cn.chengyu.case.other.v1", model=Other, topic="case.a"))
    registry.register(spec(type="cn.chengyu.case.third.v1", model=Third, topic="case.b"))
    assert registry.topics() == ["case.a", "case.b"]


def test_key_of_is_the_key_field_value(
    registry: Registry, sample_data: SampleTransferRequested
) -> None:
    assert registry.key_of(sample_data) == "tr-0001"


def test_dead_letter_topic_appends_dlq() -> None:
    assert dead_letter_topic("fund.transfer") == "fund.transfer.dlq"


def test_event_decorator_registers_the_model_with_version_from_type() -> None:
    registry = Registry()

    @event(registry, type="cn.chengyu.case.closed.v1", topic="case.case", key="case_id")
    class CaseClosedV1(EventData):
        case_id: str

    @event(
        registry, type="cn.chengyu.case.closed.v2", topic="case.case", key="case_id", upcaster=dict
    )
    class CaseClosed(EventData):
        case_id: str

    registered = registry.spec_for("cn.chengyu.case.closed.v2")
    assert (registered.model, registered.version, registered.key_field) == (
        CaseClosed,
        2,
        "case_id",
    )


def test_event_decorator_rejects_type_without_version() -> None:
    with pytest.raises(ValueError, match=r"\.vN"):
        event(Registry(), type="cn.chengyu.case.closed", topic="case.case", key="case_id")(
            CaseOpened
        )


def test_event_data_forbids_unknown_fields() -> None:
    with pytest.raises(ValueError, match="extra"):
        CaseOpened.model_validate({"case_id": "c1", "colour": "red"})


def test_global_registry_is_a_registry_after_importing_events() -> None:
    assert isinstance(REGISTRY, Registry)
