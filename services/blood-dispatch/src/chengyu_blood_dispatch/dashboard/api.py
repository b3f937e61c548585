"""``GET /stock`` and ``GET /dashboard``, both ``@public``.

Why public: a browser sends no bearer token when a duty officer opens a page, so the page
must be public (it holds no data: its script fetches ``/stock``); and ``/stock`` is public
because it holds no personal data either, only counts of blood units per city, product and
ABO/RhD group with their levels, figures blood centres publish anyway (a stock-low is an
appeal for donors). No DIN, donor or patient is in it: a unit's own record
(``GET /units/{din}``) still needs a token.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from chengyu_kit.web import UnitOfWork, public, service_router

from ..policy import PolicyBook
from .page import CONTENT_SECURITY_POLICY, dashboard_html
from .report import StockView, stock_report


def router(book: PolicyBook) -> APIRouter:
    """The dashboard routes."""
    del book
    routes = service_router(tags=["dashboard"])

    @routes.get("/stock")
    @public  # counts per product and group, no personal data (module docstring)
    async def stock(unit: UnitOfWork) -> StockView:
        """Both cities' stock and levels per product and group, as this city knows them."""
        return await stock_report(unit)

    @routes.get("/dashboard", response_class=HTMLResponse)
    @public  # a page a duty officer opens in a browser: navigation cannot send a token
    async def dashboard() -> HTMLResponse:
        """The duty officer's page: both cities' levels as a coloured grid, refreshed in
        place; nothing loaded from elsewhere."""
        return HTMLResponse(
            dashboard_html(), headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY}
        )

    return routes
