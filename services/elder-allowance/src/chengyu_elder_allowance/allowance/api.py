"""The clerks' routes of the allowance area (to be written)."""

from __future__ import annotations

from fastapi import APIRouter

from chengyu_kit.web import service_router

from ..policy import PolicyBook


def router(book: PolicyBook) -> APIRouter:
    """The allowance routes."""
    return service_router(tags=["allowance"])
