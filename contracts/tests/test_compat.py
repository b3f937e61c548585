"""breaking_changes over schemas of tiny models: one test per kind of break."""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel

from chengyu_contracts.compat import ContractProblem, breaking_changes

T = "cn.chengyu.sample.thing-happened.v1"


def diff(old: type[BaseModel], new: type[BaseModel]) -> list[ContractProblem]:
    return breaking_changes(old.model_json_schema(), new.model_json_schema(), event_type=T)


def kinds(problems: list[ContractProblem]) -> list[tuple[str, str]]:
    return [(p.field, p.kind) for p in problems]


class Base(BaseModel):
    case_id: str
    amount_fen: int


class WithOptionalNote(BaseModel):
    case_id: str
    amount_fen: int
    note: str | None = None


def test_identical_schemas_have_no_breaking_change() -> None:
    assert diff(Base, Base) == []


def test_new_optional_field_is_not_breaking() -> None:
    assert diff(Base, WithOptionalNote) == []


def test_removed_property_is_breaking() -> None:
    class Removed(BaseModel):
        case_id: str

    assert kinds(diff(Base, Removed)) == [("amount_fen", "removed-field")]


def test_retyped_property_is_breaking() -> None:
    class Retyped(BaseModel):
        case_id: str
        amount_fen: str

    assert kinds(diff(Base, Retyped)) == [("amount_fen", "type-changed")]


def test_changed_format_is_breaking() -> None:
    from datetime import date, datetime

    class OnDate(BaseModel):
        at: date

    class AtInstant(BaseModel):
        at: datetime

    assert kinds(diff(OnDate, AtInstant)) == [("at", "type-changed")]


def test_optional_property_that_became_required_is_breaking() -> None:
    class NoteRequired(BaseModel):
        case_id: str
        amount_fen: int
        note: str | None

    assert kinds(diff(WithOptionalNote, NoteRequired)) == [("note", "became-required")]


def test_new_required_property_is_breaking() -> None:
    class WithCity(BaseModel):
        case_id: str
        amount_fen: int
        city: str

    assert kinds(diff(Base, WithCity)) == [("city", "new-required")]


def test_enum_that_lost_a_value_is_breaking() -> None:
    class Old(BaseModel):
        kind: Literal["full", "partial"]

    class New(BaseModel):
        kind: Literal["full"]

    problems = diff(Old, New)
    assert kinds(problems) == [("kind", "enum-narrowed")]
    assert '"partial"' in problems[0].message


def test_enum_that_gained_a_value_is_not_breaking() -> None:
    class Old(BaseModel):
        kind: Literal["full"]

    class New(BaseModel):
        kind: Literal["full", "partial"]

    assert diff(Old, New) == []


def test_python_enum_behind_a_ref_that_lost_a_value_is_breaking() -> None:
    class CityV1(Enum):
        CQ = "cq"
        CD = "cd"

    class CityV2(Enum):
        CQ = "cq"

    class Old(BaseModel):
        city: CityV1

    class New(BaseModel):
        city: CityV2

    assert kinds(diff(Old, New)) == [("city", "enum-narrowed")]


def test_nested_model_field_removal_is_reported_with_a_dotted_path() -> None:
    class AddressV1(BaseModel):
        district: str
        street: str

    class AddressV2(BaseModel):
        district: str

    class Old(BaseModel):
        address: AddressV1

    class New(BaseModel):
        address: AddressV2

    assert kinds(diff(Old, New)) == [("address.street", "removed-field")]


def test_renaming_a_nested_model_is_not_breaking() -> None:
    class Address(BaseModel):
        district: str

    class Location(BaseModel):
        district: str

    class Old(BaseModel):
        address: Address

    class New(BaseModel):
        address: Location

    assert diff(Old, New) == []


def test_property_that_became_nullable_is_breaking() -> None:
    class Nullable(BaseModel):
        case_id: str
        amount_fen: int | None

    assert kinds(diff(Base, Nullable)) == [("amount_fen", "type-changed")]


def test_list_item_type_change_is_breaking() -> None:
    class Old(BaseModel):
        months: list[int]

    class New(BaseModel):
        months: list[str]

    assert kinds(diff(Old, New)) == [("months", "type-changed")]


def test_message_says_to_add_the_next_version() -> None:
    class Removed(BaseModel):
        case_id: str

    assert "cn.chengyu.sample.thing-happened.v2" in diff(Base, Removed)[0].message


def test_problems_name_the_event_type() -> None:
    class Removed(BaseModel):
        case_id: str

    assert diff(Base, Removed)[0].type == T


def test_comparison_is_pure() -> None:
    old: dict[str, Any] = Base.model_json_schema()
    new: dict[str, Any] = WithOptionalNote.model_json_schema()
    snapshot = (repr(old), repr(new))
    breaking_changes(old, new)
    assert (repr(old), repr(new)) == snapshot
