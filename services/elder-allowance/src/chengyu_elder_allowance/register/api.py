"""The clerks' routes of the register area (to be written)."""

from __future__ import annotations

from fastapi import APIRouter

from chengyu_kit.web import service_router

from ..policy import PolicyBook


def router(book: PolicyBook) -> APIRouter:
    """The register routes."""
    return service_router(tags=["register"])
