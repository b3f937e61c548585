"""Bad HTTP input gets a 4xx that names the problem without echoing the input."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from chengyu_contracts.domain_error import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
)
from chengyu_kit.health import Readiness
from chengyu_kit.http import add_platform_routes
from chengyu_kit.metrics import KitMetrics


class Body(BaseModel):
    resident_id: str = Field(pattern=r"^\d{17}[\dX]$")


def app_with(readiness: Readiness) -> TestClient:
    app = FastAPI()
    add_platform_routes(app, readiness=readiness, metrics=KitMetrics())

    @app.post("/people")
    async def create(body: Body) -> dict[str, str]:
        raise Conflict("already-exists", "this person already has an account")

    return TestClient(app)


def test_validation_error_names_the_field_and_hides_the_value() -> None:
    answer = app_with(Readiness()).post("/people", json={"resident_id": "1101051949123100"})
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "invalid-request"
    assert body["problems"][0]["field"] == "resident_id"
    assert "1101051949123100" not in answer.text


def test_a_conflict_is_409_with_its_code_and_sentence() -> None:
    answer = app_with(Readiness()).post("/people", json={"resident_id": "11010519491231002X"})
    assert answer.status_code == 409
    assert answer.json() == {
        "error": "already-exists",
        "message": "this person already has an account",
    }


def test_readyz_is_503_until_every_component_is_ready() -> None:
    readiness = Readiness()
    readiness.set("database", False, "unreachable")
    client = app_with(readiness)
    assert client.get("/readyz").status_code == 503
    readiness.set("database", True)
    assert client.get("/readyz").status_code == 200


def test_metrics_are_exposed_in_prometheus_text_format() -> None:
    answer = app_with(Readiness()).get("/metrics")
    assert answer.status_code == 200
    assert "chengyu_outbox_backlog 0.0" in answer.text


def rule_refusing_app(refusal: DomainError) -> TestClient:
    app = FastAPI()
    add_platform_routes(app, readiness=Readiness(), metrics=KitMetrics())

    @app.post("/things")
    async def act() -> None:
        raise refusal

    return TestClient(app)


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        (DomainError("month-in-future", "The rule says no."), 422),
        (NotFound("unknown-thing", "The rule says no."), 404),
        (Conflict("already-done", "The rule says no."), 409),
        (Forbidden("not-yours", "The rule says no."), 403),
    ],
)
def test_a_rule_refusal_gets_the_status_of_its_kind(refusal: DomainError, status: int) -> None:
    answer = rule_refusing_app(refusal).post("/things")
    assert answer.status_code == status
    assert answer.json() == {"error": refusal.code, "message": "The rule says no."}
