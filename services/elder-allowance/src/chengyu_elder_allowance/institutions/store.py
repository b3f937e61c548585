"""Both cities' institutions in this city's database (explicit asyncpg SQL; rows <-> domain
here only), and the map query of :mod:`.query` in SQL."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime
from typing import Any

import asyncpg

from chengyu_contracts.cities import CITIES
from chengyu_contracts.city_bounds import EARTH_RADIUS_KM
from chengyu_kit.db import Connection, one_of

from .institution import Institution
from .query import Found, MapPage, MapQuery, search_box

_COLUMNS = (
    "institution_id, city, version, name, district, address, latitude_e6, longitude_e6,"
    " grade, beds, nursing_beds, vacancies, phone, closed, updated_on"
)


def _institution(row: asyncpg.Record) -> Institution:
    return Institution(
        institution_id=row["institution_id"],
        city=one_of(row["city"], CITIES, "city"),
        version=row["version"],
        name=row["name"],
        district=row["district"],
        address=row["address"],
        latitude_e6=row["latitude_e6"],
        longitude_e6=row["longitude_e6"],
        grade=row["grade"],
        beds=row["beds"],
        nursing_beds=row["nursing_beds"],
        vacancies=row["vacancies"],
        phone=row["phone"],
        closed=row["closed"],
        updated_on=row["updated_on"],
    )


def _values(i: Institution) -> tuple[Any, ...]:
    return (
        i.institution_id,
        i.city,
        i.version,
        i.name,
        i.district,
        i.address,
        i.latitude_e6,
        i.longitude_e6,
        i.grade,
        i.beds,
        i.nursing_beds,
        i.vacancies,
        i.phone,
        i.closed,
        i.updated_on,
    )


async def load_institution(
    conn: Connection, institution_id: str, *, lock: bool = False
) -> Institution | None:
    """The latest version known here of ``institution_id`` (locked for the transaction
    with ``lock``), None if unknown."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM institution WHERE institution_id = $1"
        + (" FOR UPDATE" if lock else ""),
        institution_id,
    )
    return None if row is None else _institution(row)


async def save_own_version(
    conn: Connection,
    institution: Institution,
    *,
    recorded_at: datetime,
    recorded_by: str | None,
    request_id: str | None,
) -> None:
    """Write a new version of this city's own institution: the map row and its history."""
    await _upsert(conn, institution)
    await conn.execute(
        "INSERT INTO institution_version (institution_id, version, name, district, address,"
        " latitude_e6, longitude_e6, grade, beds, nursing_beds, vacancies, phone, closed,"
        " updated_on, recorded_at, recorded_by, request_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        institution.institution_id,
        *_values(institution)[2:],
        recorded_at,
        recorded_by,
        request_id,
    )


async def keep_if_newer(conn: Connection, institution: Institution) -> bool:
    """Keep a version of the other city's institution if it is newer than the one known
    here; ``False`` if it is not (a redelivery or an older version changes nothing)."""
    return await _upsert(conn, institution)


async def _upsert(conn: Connection, institution: Institution) -> bool:
    changed = await conn.fetchval(
        f"INSERT INTO institution ({_COLUMNS})"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        " ON CONFLICT (institution_id) DO UPDATE SET version = EXCLUDED.version,"
        " name = EXCLUDED.name, district = EXCLUDED.district, address = EXCLUDED.address,"
        " latitude_e6 = EXCLUDED.latitude_e6, longitude_e6 = EXCLUDED.longitude_e6,"
        " grade = EXCLUDED.grade, beds = EXCLUDED.beds, nursing_beds = EXCLUDED.nursing_beds,"
        " vacancies = EXCLUDED.vacancies, phone = EXCLUDED.phone, closed = EXCLUDED.closed,"
        " updated_on = EXCLUDED.updated_on"
        " WHERE institution.version < EXCLUDED.version AND institution.city = EXCLUDED.city"
        " RETURNING true",
        *_values(institution),
    )
    return bool(changed)


def _distance(latitude: str, longitude: str) -> str:
    """The haversine distance of :func:`.institution.distance_km` in SQL, from the point
    (``latitude``, ``longitude``: placeholders, degrees) to the row's coordinates; least():
    rounding can push the term a hair above 1."""
    row_latitude, row_longitude = "latitude_e6::float8 / 1000000", "longitude_e6::float8 / 1000000"
    return (
        f"2 * {EARTH_RADIUS_KM}::float8 * asin(sqrt(least(1.0::float8,"
        f" sin(radians({row_latitude} - {latitude}) / 2) ^ 2"
        f" + cos(radians({latitude})) * cos(radians({row_latitude}))"
        f" * sin(radians({row_longitude} - {longitude}) / 2) ^ 2)))"
    )


# Names compare by code point (COLLATE "C"), as Python compares them in query.select.
_ORDER = {
    "distance": 'distance_km, name COLLATE "C", institution_id COLLATE "C"',
    "grade": 'grade DESC NULLS LAST, name COLLATE "C", institution_id COLLATE "C"',
    "name": 'name COLLATE "C", institution_id COLLATE "C"',
}


async def query_map(conn: Connection, query: MapQuery) -> MapPage:
    """The page of the map ``query`` asks for (as :func:`.query.select` specifies it),
    with the number of matches, in one statement (a second one only to count the matches
    of a page past the last)."""
    args: list[Any] = []

    def arg(value: Any, cast: str = "") -> str:
        args.append(value)
        return f"${len(args)}{cast}"

    where = ["NOT closed"]
    if query.city is not None:
        where.append(f"city = {arg(query.city)}")
    if query.district is not None:
        where.append(f"district = {arg(query.district)}")
    if query.min_grade is not None:
        where.append(f"grade >= {arg(query.min_grade)}")
    if query.with_vacancies:
        where.append("vacancies > 0")
    distance = "NULL::float8"
    near = query.near
    if near is not None:
        distance = _distance(arg(near.latitude, "::float8"), arg(near.longitude, "::float8"))
        if query.within_km is not None:
            box = search_box(near, query.within_km)
            if box is not None:
                # The box first: the index on latitude_e6 finds its rows.
                south, north = arg(math.floor(box.south * 1e6)), arg(math.ceil(box.north * 1e6))
                west, east = arg(math.floor(box.west * 1e6)), arg(math.ceil(box.east * 1e6))
                where.append(f"latitude_e6 BETWEEN {south} AND {north}")
                where.append(f"longitude_e6 BETWEEN {west} AND {east}")
            where.append(f"{distance} <= {arg(query.within_km, '::float8')}")
    limit, offset = arg(query.page_size), arg(query.offset)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS}, distance_km, count(*) OVER () AS total FROM ("
        f" SELECT {_COLUMNS}, {distance} AS distance_km FROM institution"
        f" WHERE {' AND '.join(where)}"
        f") matching ORDER BY {_ORDER[query.sort]} LIMIT {limit} OFFSET {offset}",
        *args,
    )
    if rows:
        total = int(rows[0]["total"])
    elif query.page > 1:
        # Past the last page the window count came with no row: count on the first.
        total = (await query_map(conn, replace(query, page=1, page_size=1))).total
    else:
        total = 0
    return MapPage(
        items=[Found(_institution(row), row["distance_km"]) for row in rows],
        total=total,
        page=query.page,
        page_size=query.page_size,
    )
