"""The clerks' routes of the hotline area (under construction)."""

from __future__ import annotations

from fastapi import APIRouter

from chengyu_kit.web import service_router

from ..policy import PolicyBook


def router(book: PolicyBook) -> APIRouter:
    """The area's routes."""
    return service_router(tags=["hotline"])
