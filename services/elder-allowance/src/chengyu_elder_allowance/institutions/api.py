"""The clerks' routes of the institutions area (to be written)."""

from __future__ import annotations

from fastapi import APIRouter

from chengyu_kit.web import service_router

from ..policy import PolicyBook


def router(book: PolicyBook) -> APIRouter:
    """The institutions routes."""
    return service_router(tags=["institutions"])
