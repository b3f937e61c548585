"""Where each city is: a latitude/longitude box around its whole municipality (WGS 84), so
that a place a clerk records (an institution, a workplace) can be checked to lie in the
city that records it. Geography, not policy. Pure data and one check: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from chengyu_contracts.cities import City

__all__ = ["CITY_BOUNDS", "EARTH_RADIUS_KM", "Bounds", "Point", "distance_km"]


@dataclass(frozen=True)
class Point:
    """A WGS 84 position in decimal degrees."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class Bounds:
    """A latitude/longitude box (degrees, edges included)."""

    south: float
    west: float
    north: float
    east: float

    def contains(self, point: Point) -> bool:
        """Whether ``point`` lies in the box."""
        return (
            self.south <= point.latitude <= self.north and self.west <= point.longitude <= self.east
        )

    def contains_e6(self, lat_e6: int, lon_e6: int) -> bool:
        """Whether the point of integer micro-degrees ``lat_e6``, ``lon_e6`` lies in the box
        (compared exactly, in micro-degrees)."""
        return round(self.south * 1_000_000) <= lat_e6 <= round(self.north * 1_000_000) and round(
            self.west * 1_000_000
        ) <= lon_e6 <= round(self.east * 1_000_000)


#: A box around each city's municipality: Chongqing municipality spans 28°10'-32°13' N,
#: 105°11'-110°11' E; Chengdu city (with Jianyang) 30°05'-31°26' N, 102°54'-104°53' E. A few
#: kilometres of margin keep places on the border in.
CITY_BOUNDS: Final[dict[City, Bounds]] = {
    "cq": Bounds(south=28.10, west=105.10, north=32.25, east=110.25),
    "cd": Bounds(south=30.05, west=102.85, north=31.50, east=104.95),
}


#: Mean Earth radius (IUGG), the radius of the haversine distance.
EARTH_RADIUS_KM = 6371.0088


def distance_km(a: Point, b: Point) -> float:
    """The great-circle distance between ``a`` and ``b`` in km (haversine, on a sphere of
    :data:`EARTH_RADIUS_KM`; within 0.5 % of the ellipsoid's, plenty for "near me")."""
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    # Differences of degrees, then radians: the same steps as elder-allowance's SQL.
    d_phi = math.radians(b.latitude - a.latitude)
    d_lambda = math.radians(b.longitude - a.longitude)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    # min(): rounding can push h a hair above 1 for antipodal points.
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))
