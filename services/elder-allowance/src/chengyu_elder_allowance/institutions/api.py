"""The institution map's routes: a clerk of this city saves its institutions; anyone reads
both cities' (public data: the GETs are ``@public``, so the map page opens in a browser,
which sends no bearer token on navigation).

- ``PUT /institutions/{institution_id}``: save a version (clerk of this city; ``cq-...``);
- ``GET /institutions?city=&district=&min_grade=&with_vacancies=&near=lat,lon&within_km=
  &sort=distance|grade|name&page=&page_size=``: ``{"items", "total", "page", "page_size"}``;
- ``GET /institutions.geojson?...``: the same page as an RFC 7946 FeatureCollection;
- ``GET /institutions/{institution_id}``; ``GET /map``: the HTML map page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from chengyu_kit.web import UnitOfWork, public, service_router

from ..policy import PolicyBook
from . import usecases
from .institution import Institution
from .mappage import CONTENT_SECURITY_POLICY, map_html
from .query import Found, MapPage, parse_query

GEOJSON = "application/geo+json"
Degrees = Annotated[float, Field(allow_inf_nan=False, description="WGS 84 decimal degrees")]


class InstitutionBody(BaseModel):
    """One of this city's elder-care institutions, as a clerk saves it (public data)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[StrictStr, Field(max_length=1000)]
    district: Annotated[StrictStr, Field(max_length=16, description="6-digit division code")]
    address: Annotated[StrictStr, Field(max_length=1000)]
    latitude: Degrees
    longitude: Degrees
    grade: Annotated[StrictInt | None, Field(description="1 (一级) to 5 (五级), GB/T 37276")]
    beds: StrictInt
    nursing_beds: StrictInt
    vacancies: StrictInt
    phone: Annotated[StrictStr, Field(max_length=100)]
    closed: StrictBool = False


def institution_json(institution: Institution, distance_km: float | None = None) -> dict[str, Any]:
    """An institution as the API answers it (decimal degrees; ``distance_km`` when asked
    near a point)."""
    point = institution.point
    answer: dict[str, Any] = {
        "institution_id": institution.institution_id,
        "city": institution.city,
        "version": institution.version,
        "name": institution.name,
        "district": institution.district,
        "address": institution.address,
        "latitude": point.latitude,
        "longitude": point.longitude,
        "grade": institution.grade,
        "beds": institution.beds,
        "nursing_beds": institution.nursing_beds,
        "vacancies": institution.vacancies,
        "phone": institution.phone,
        "closed": institution.closed,
        "updated_on": institution.updated_on.isoformat(),
    }
    if distance_km is not None:
        answer["distance_km"] = round(distance_km, 3)
    return answer


def _item(found: Found) -> dict[str, Any]:
    return institution_json(found.institution, found.distance_km)


def page_json(page: MapPage) -> dict[str, Any]:
    """A page of the map query as ``GET /institutions`` answers it."""
    return {
        "items": [_item(found) for found in page.items],
        "total": page.total,
        "page": page.page,
        "page_size": page.page_size,
    }


def feature_collection(page: MapPage) -> dict[str, Any]:
    """A page of the map query as an RFC 7946 FeatureCollection: Point geometries in
    [longitude, latitude] order, the rest as properties; ``total``, ``page`` and
    ``page_size`` as foreign members (RFC 7946 section 6.1)."""
    features = []
    for found in page.items:
        properties = _item(found)
        longitude, latitude = properties.pop("longitude"), properties.pop("latitude")
        features.append(
            {
                "type": "Feature",
                "id": found.institution.institution_id,
                "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
                "properties": properties,
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "total": page.total,
        "page": page.page,
        "page_size": page.page_size,
    }


class MapParameters(BaseModel):
    """The map query's parameters, as text: the query's own rules (:func:`.query.parse_query`)
    refuse a bad one with a code naming it."""

    city: str | None = Field(None, description="cq or cd; absent: both cities")
    district: str | None = Field(None, description="6-digit division code")
    min_grade: str | None = Field(None, description="1 (一级) to 5 (五级)")
    with_vacancies: str | None = Field(None, description="true: only those with vacancies")
    near: str | None = Field(None, description="latitude,longitude, e.g. 29.56,106.55")
    within_km: str | None = Field(None, description="only within this distance of near")
    sort: str | None = Field(None, description="distance (needs near), grade or name")
    page: str | None = Field(None, description="from 1")
    page_size: str | None = Field(None, description="1 to 200, default 50")


MapQueryParameters = Annotated[MapParameters, Query()]


def router(book: PolicyBook) -> APIRouter:
    """The institutions routes."""
    routes = service_router(tags=["institutions"])

    @routes.put("/institutions/{institution_id}")
    async def publish_institution(
        institution_id: str, body: InstitutionBody, unit: UnitOfWork
    ) -> dict[str, Any]:
        """Save a version of one of this city's institutions and publish it to the other
        city; a save that changes nothing writes nothing (``changed``: false)."""
        command = usecases.PublishInstitution(institution_id=institution_id, **body.model_dump())
        published = await usecases.publish_institution(command, unit)
        return {**institution_json(published.institution), "changed": published.changed}

    # Declared before /institutions/{institution_id}, which would not match it anyway.
    @routes.get("/institutions.geojson", response_class=JSONResponse)
    @public  # public data, fetched by the map page
    async def institutions_geojson(
        parameters: MapQueryParameters, unit: UnitOfWork
    ) -> JSONResponse:
        """Both cities' open institutions matching the query, as GeoJSON (RFC 7946)."""
        page = await usecases.map_page(parse_query(parameters.model_dump()), unit)
        return JSONResponse(feature_collection(page), media_type=GEOJSON)

    @routes.get("/institutions")
    @public  # public data
    async def institutions(parameters: MapQueryParameters, unit: UnitOfWork) -> dict[str, Any]:
        """Both cities' open institutions: filtered, sorted and one page of them."""
        found = await usecases.map_page(parse_query(parameters.model_dump()), unit)
        return page_json(found)

    @routes.get("/institutions/{institution_id}")
    @public  # public data
    async def institution(institution_id: str, unit: UnitOfWork) -> dict[str, Any]:
        """The latest version known here of either city's institution (closed ones too)."""
        return institution_json(await usecases.institution(institution_id, unit))

    @routes.get("/map", response_class=HTMLResponse)
    @public  # a page a clerk opens in a browser: navigation cannot send a bearer token
    async def institution_map() -> HTMLResponse:
        """The map page of both cities' institutions (no external resources)."""
        return HTMLResponse(
            map_html(), headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY}
        )

    return routes
