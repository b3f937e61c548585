"""Readiness is red while any component reports a fault."""

from chengyu_kit.health import Readiness


def test_not_ready_before_any_component_reports() -> None:
    assert not Readiness().ready


def test_ready_when_every_component_is() -> None:
    readiness = Readiness()
    readiness.set("database", True)
    readiness.set("relay", True)
    assert readiness.ready


def test_one_failing_component_makes_the_service_unready() -> None:
    readiness = Readiness()
    readiness.set("database", True)
    readiness.set("consumer", False, "retrying: ConnectionRefusedError")
    assert not readiness.ready
    assert readiness.report()["consumer"] == {
        "ready": False,
        "detail": "retrying: ConnectionRefusedError",
    }
