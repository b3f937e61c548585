"""The institution map over HTTP on the real app and a real PostgreSQL: saving a
version, reading one, the query, GeoJSON, the map page; refusals name the problem and
write nothing; reads are public, writes a clerk's."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from elder_institution_builders import a_body
from elder_institution_http import MapService, running_map_service

from chengyu_kit.local.oidc import OidcProvider

pytestmark = pytest.mark.integration

PATH = "/institutions/cq-yuzhong-0001"


@pytest.fixture
async def service(
    database: str, oidc_provider: OidcProvider, tmp_path: Path
) -> AsyncIterator[MapService]:
    async for running in running_map_service(database, oidc_provider, tmp_path):
        yield running


async def test_a_put_saves_version_1_and_publishes_it_with_integer_coordinates(
    service: MapService,
) -> None:
    answer = await service.clerk.put(PATH, json=a_body())
    assert answer.status_code == 200, answer.text
    assert answer.json() | {"changed": True} == answer.json()
    assert answer.json()["version"] == 1
    assert (answer.json()["latitude"], answer.json()["longitude"]) == (29.557, 106.577)
    [envelope] = await service.outbox()
    assert envelope["type"] == "cn.chengyu.elder.care-institution-published.v1"
    assert envelope["data"]["latitude_e6"] == 29_557_000
    assert envelope["data"]["longitude_e6"] == 106_577_000
    assert envelope["data"]["version"] == 1


async def test_a_get_answers_what_was_saved(service: MapService) -> None:
    saved = (await service.clerk.put(PATH, json=a_body())).json()
    read = await service.clerk.get(PATH)
    assert read.status_code == 200
    assert read.json() == {k: v for k, v in saved.items() if k != "changed"}
    assert read.json()["updated_on"] == "2026-10-15"


async def test_an_unchanged_put_writes_nothing_and_publishes_nothing(service: MapService) -> None:
    await service.clerk.put(PATH, json=a_body())
    before = await service.rows()
    again = await service.clerk.put(PATH, json=a_body())
    assert again.status_code == 200
    assert (again.json()["version"], again.json()["changed"]) == (1, False)
    assert await service.rows() == before


async def test_a_changed_put_is_the_next_version(service: MapService) -> None:
    await service.clerk.put(PATH, json=a_body())
    answer = await service.clerk.put(PATH, json=a_body(vacancies=3))
    assert (answer.json()["version"], answer.json()["vacancies"]) == (2, 3)
    assert await service.rows() == {"institution": 1, "institution_version": 2, "outbox": 2}


@pytest.mark.parametrize(
    ("path", "body", "code"),
    [
        ("/institutions/cd-wuhou-0001", a_body(), "institution-of-other-city"),
        ("/institutions/CQ-1", a_body(), "invalid-institution-id"),
        (PATH, a_body(latitude=30.572, longitude=104.066), "coordinates-outside-city"),
        (PATH, a_body(district="510107"), "district-of-other-city"),
        (PATH, a_body(district="5001"), "invalid-district"),
        (PATH, a_body(grade=6), "invalid-grade"),
        (PATH, a_body(nursing_beds=121), "invalid-nursing-beds"),
        (PATH, a_body(vacancies=121), "invalid-vacancies"),
        (PATH, a_body(beds=-1, nursing_beds=0, vacancies=0), "invalid-beds"),
        (PATH, a_body(name=""), "invalid-name"),
        (PATH, a_body(phone="none"), "invalid-phone"),
        (PATH, a_body(beds="many"), "invalid-request"),
        (PATH, a_body(colour="red"), "invalid-request"),
    ],
)
async def test_a_bad_put_is_a_422_naming_the_problem_and_writes_nothing(
    service: MapService, path: str, body: dict[str, object], code: str
) -> None:
    answer = await service.clerk.put(path, json=body)
    assert answer.status_code == 422
    assert answer.json()["error"] == code
    assert await service.rows() == {"institution": 0, "institution_version": 0, "outbox": 0}


async def test_an_unknown_institution_is_a_404(service: MapService) -> None:
    answer = await service.anonymous.get("/institutions/cq-nowhere")
    assert (answer.status_code, answer.json()["error"]) == (404, "unknown-institution")


async def test_a_put_without_a_token_is_401_and_writes_nothing(service: MapService) -> None:
    answer = await service.anonymous.put(PATH, json=a_body())
    assert answer.status_code == 401
    assert await service.rows() == {"institution": 0, "institution_version": 0, "outbox": 0}


async def test_the_public_routes_answer_without_a_token(service: MapService) -> None:
    await service.clerk.put(PATH, json=a_body())
    for path in (PATH, "/institutions", "/institutions.geojson", "/map"):
        assert (await service.anonymous.get(path)).status_code == 200, path


async def test_the_query_answers_a_page_with_distances_near_a_point(service: MapService) -> None:
    await service.clerk.put(PATH, json=a_body())
    await service.clerk.put("/institutions/cq-far-1", json=a_body(name="远", latitude=29.9))
    await service.clerk.put("/institutions/cq-closed-1", json=a_body(name="关", closed=True))
    answer = await service.anonymous.get(
        "/institutions", params={"near": "29.557,106.577", "within_km": "20", "page_size": "10"}
    )
    assert answer.status_code == 200
    page = answer.json()
    assert (page["total"], page["page"], page["page_size"]) == (1, 1, 10)
    assert [(i["institution_id"], i["distance_km"]) for i in page["items"]] == [
        ("cq-yuzhong-0001", 0.0)
    ]


async def test_without_near_the_items_carry_no_distance(service: MapService) -> None:
    await service.clerk.put(PATH, json=a_body())
    [item] = (await service.anonymous.get("/institutions")).json()["items"]
    assert "distance_km" not in item


@pytest.mark.parametrize(
    ("params", "code", "named"),
    [
        ({"sort": "distance"}, "sort-needs-near", "sort"),
        ({"page_size": "500"}, "invalid-page-size", "page_size"),
        ({"near": "north"}, "invalid-near", "near"),
        ({"min_grade": "0"}, "invalid-min-grade", "min_grade"),
        ({"city": "sh"}, "invalid-city", "city"),
    ],
)
async def test_a_bad_query_parameter_is_a_422_naming_it(
    service: MapService, params: dict[str, str], code: str, named: str
) -> None:
    for path in ("/institutions", "/institutions.geojson"):
        answer = await service.anonymous.get(path, params=params)
        assert answer.status_code == 422
        assert answer.json()["error"] == code
        assert named in answer.json()["message"]


async def test_geojson_is_a_feature_collection_of_points_longitude_first(
    service: MapService,
) -> None:
    await service.clerk.put(PATH, json=a_body())
    answer = await service.anonymous.get("/institutions.geojson")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/geo+json")
    collection = answer.json()
    assert (collection["type"], collection["total"]) == ("FeatureCollection", 1)
    [feature] = collection["features"]
    assert feature["type"] == "Feature"
    assert feature["id"] == "cq-yuzhong-0001"
    assert feature["geometry"] == {"type": "Point", "coordinates": [106.577, 29.557]}
    assert feature["properties"]["name"] == "渝中区第一社会福利院"
    assert feature["properties"]["grade"] == 3
    assert "latitude" not in feature["properties"]


async def test_the_map_page_is_an_svg_with_no_external_resource(service: MapService) -> None:
    answer = await service.anonymous.get("/map")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    page = answer.text
    assert "<svg" in page
    assert "institutions.geojson" in page
    assert "http://" not in page
    assert "https://" not in page
    references = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", page, re.IGNORECASE)
    assert [r for r in references if "//" in r or ":" in r] == []
    assert re.search(r"@import|url\(", page) is None
    # Both city centres are marked.
    assert "29.563°N 106.551°E" in page
    assert "30.572°N 104.066°E" in page
