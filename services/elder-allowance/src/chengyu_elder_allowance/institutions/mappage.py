"""The map page (养老服务地图) a clerk opens in a browser: one self-contained HTML document.

No external resource of any kind (no CDN, no tiles, no web fonts): an inline SVG plots
both municipalities' boxes and the two city centres on an equirectangular projection, and
a small inline script fetches ``institutions.geojson`` from the same service (page by
page), draws a dot per institution coloured by grade and lists them, filtered in the
browser by city, district, minimum grade and vacancies. The service answers it with a
Content-Security-Policy that lets the browser load nothing from elsewhere either.
"""

from __future__ import annotations

import json
import math
from functools import cache

from chengyu_contracts.cities import CITIES, CITY_NAMES, CITY_NAMES_ZH
from chengyu_contracts.city_bounds import CITY_BOUNDS

from .institution import CITY_CENTRES, GRADE_NAMES
from .query import MAX_PAGE_SIZE

#: What the browser may load for the page: only its own inline script and style, and
#: fetches of this service.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline';"
    " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: Dot colours by grade (一级 ... 五级), and for ungraded institutions.
GRADE_COLOURS = {1: "#e66101", 2: "#fdb863", 3: "#80cdc1", 4: "#018571", 5: "#2c2c8c"}
UNGRADED_COLOUR = "#9a9a9a"

_PIXELS_PER_DEGREE = 110.0
_PAD = 20.0


def _projection() -> dict[str, float]:
    """Equirectangular projection of the box around both municipalities, true to scale at
    its middle latitude: x = (lon - west) * cos(mid) * s + pad, y = (north - lat) * s + pad."""
    boxes = CITY_BOUNDS.values()
    south, north = min(b.south for b in boxes), max(b.north for b in boxes)
    west, east = min(b.west for b in boxes), max(b.east for b in boxes)
    k = math.cos(math.radians((south + north) / 2))
    return {
        "west": west,
        "north": north,
        "k": k,
        "s": _PIXELS_PER_DEGREE,
        "pad": _PAD,
        "width": round((east - west) * k * _PIXELS_PER_DEGREE + 2 * _PAD, 1),
        "height": round((north - south) * _PIXELS_PER_DEGREE + 2 * _PAD, 1),
    }


def _xy(projection: dict[str, float], latitude: float, longitude: float) -> tuple[float, float]:
    p = projection
    x = (longitude - p["west"]) * p["k"] * p["s"] + p["pad"]
    y = (p["north"] - latitude) * p["s"] + p["pad"]
    return round(x, 1), round(y, 1)


def _background(projection: dict[str, float]) -> str:
    """The SVG of the municipalities' boxes and the two city centres."""
    parts: list[str] = []
    for city in CITIES:
        b = CITY_BOUNDS[city]
        x0, y0 = _xy(projection, b.north, b.west)
        x1, y1 = _xy(projection, b.south, b.east)
        parts.append(
            f'<rect class="box" x="{x0}" y="{y0}" width="{round(x1 - x0, 1)}"'
            f' height="{round(y1 - y0, 1)}"><title>{CITY_NAMES_ZH[city]}'
            f" {CITY_NAMES[city]}</title></rect>"
        )
    for city in CITIES:
        centre = CITY_CENTRES[city]
        x, y = _xy(projection, centre.latitude, centre.longitude)
        parts.append(
            f'<g class="centre"><path d="M{x - 7} {y}h14M{x} {y - 7}v14"/>'
            f'<circle cx="{x}" cy="{y}" r="4"/>'
            f'<text x="{x + 8}" y="{y - 8}">{CITY_NAMES_ZH[city]} {CITY_NAMES[city]}'
            f" ({centre.latitude}°N {centre.longitude}°E)</text></g>"
        )
    return "".join(parts)


def _legend() -> str:
    items = [
        f'<span><i style="background:{GRADE_COLOURS[g]}"></i>{GRADE_NAMES[g]}</span>'
        for g in sorted(GRADE_COLOURS)
    ]
    items.append(f'<span><i style="background:{UNGRADED_COLOUR}"></i>未评级</span>')
    return "".join(items)


_SCRIPT = """
"use strict";
const P = __PROJECTION__, COLOURS = __COLOURS__, GRADES = __GRADES__, PAGE = __PAGE__;
const $ = (id) => document.getElementById(id);
let all = [];
function xy(lon, lat) {
  return [(lon - P.west) * P.k * P.s + P.pad, (P.north - lat) * P.s + P.pad];
}
async function load() {
  let page = 1, total = 1;
  while ((page - 1) * PAGE < total) {
    const url = "./institutions.geojson?sort=name&page_size=" + PAGE + "&page=" + page;
    const answer = await fetch(url);
    if (!answer.ok) { $("status").textContent = "Could not load: HTTP " + answer.status; return; }
    const collection = await answer.json();
    all = all.concat(collection.features);
    total = collection.total;
    page += 1;
  }
  const districts = [...new Set(all.map((f) => f.properties.district))].sort();
  for (const d of districts) {
    const option = document.createElement("option");
    option.value = d; option.textContent = d;
    $("district").appendChild(option);
  }
  draw();
}
function shown() {
  const city = $("city").value, district = $("district").value;
  const minGrade = Number($("min-grade").value), vacancies = $("vacancies").checked;
  return all.filter((f) => {
    const p = f.properties;
    return (!city || p.city === city) && (!district || p.district === district)
      && (!minGrade || (p.grade !== null && p.grade >= minGrade))
      && (!vacancies || p.vacancies > 0);
  });
}
function draw() {
  const features = shown(), dots = $("dots"), rows = $("rows"), proto = $("dot-proto");
  dots.replaceChildren(); rows.replaceChildren();
  for (const f of features) {
    const [lon, lat] = f.geometry.coordinates, p = f.properties, [x, y] = xy(lon, lat);
    const dot = proto.cloneNode(true);
    dot.removeAttribute("id");
    dot.setAttribute("cx", x.toFixed(1)); dot.setAttribute("cy", y.toFixed(1));
    dot.setAttribute("fill", COLOURS[p.grade === null ? "none" : p.grade]);
    dot.firstChild.textContent = p.name + " (" + (GRADES[p.grade] || "未评级") + ")";
    dots.appendChild(dot);
    const row = document.createElement("tr");
    for (const value of [p.city, p.district, p.name, GRADES[p.grade] || "未评级", p.beds,
                         p.nursing_beds, p.vacancies, p.address, p.phone]) {
      const cell = document.createElement("td");
      cell.textContent = String(value);
      row.appendChild(cell);
    }
    rows.appendChild(row);
  }
  $("status").textContent = features.length + " of " + all.length + " institutions shown";
}
for (const id of ["city", "district", "min-grade", "vacancies"]) {
  $(id).addEventListener("change", draw);
}
load();
"""

_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>养老服务地图 · Elder-care institutions of Chongqing and Chengdu</title>
<style>
body { font-family: sans-serif; margin: 1em; color: #222; }
svg { border: 1px solid #ccc; background: #f7f7f2; max-width: 100%; height: auto; }
.box { fill: #e8eef6; stroke: #7a8ca5; stroke-dasharray: 4 3; }
.centre path { stroke: #b00; stroke-width: 2; } .centre circle { fill: none; stroke: #b00; }
.centre text { font-size: 13px; fill: #b00; }
#dots circle { stroke: #333; stroke-width: 0.5; }
.legend span { margin-right: 1em; } .legend i { display: inline-block; width: 0.8em;
  height: 0.8em; border-radius: 50%; margin-right: 0.3em; border: 1px solid #333; }
form label { margin-right: 1em; }
table { border-collapse: collapse; margin-top: 1em; font-size: 13px; }
td, th { border-bottom: 1px solid #ddd; padding: 2px 6px; text-align: left; }
</style>
</head>
<body>
<h1>养老服务地图 <small>Elder-care institutions · 重庆 Chongqing &amp; 成都 Chengdu</small></h1>
<form onsubmit="return false">
<label>City <select id="city"><option value="">both</option>__CITY_OPTIONS__</select></label>
<label>District <select id="district"><option value="">all</option></select></label>
<label>Minimum grade <select id="min-grade"><option value="0">any</option>
__GRADE_OPTIONS__</select></label>
<label><input type="checkbox" id="vacancies"> with vacancies</label>
</form>
<p class="legend">__LEGEND__</p>
<svg id="map" viewBox="0 0 __WIDTH__ __HEIGHT__" width="__WIDTH__" height="__HEIGHT__" role="img"
 aria-label="Institutions of both cities (equirectangular projection)">
<defs><circle id="dot-proto" r="3.5"><title></title></circle></defs>
__BACKGROUND__
<g id="dots"></g>
</svg>
<p id="status">Loading…</p>
<table>
<thead><tr><th>City</th><th>District</th><th>Name</th><th>Grade</th><th>Beds</th>
<th>Nursing beds</th><th>Vacancies</th><th>Address</th><th>Phone</th></tr></thead>
<tbody id="rows"></tbody>
</table>
<script>__SCRIPT__</script>
</body>
</html>
"""


@cache
def map_html() -> str:
    """The page (the same for every request: the data comes from the script's fetches)."""
    projection = _projection()
    colours: dict[str, str] = {str(g): c for g, c in GRADE_COLOURS.items()}
    colours["none"] = UNGRADED_COLOUR
    script = (
        _SCRIPT.replace("__PROJECTION__", json.dumps(projection))
        .replace("__COLOURS__", json.dumps(colours))
        .replace("__GRADES__", json.dumps({str(g): n for g, n in GRADE_NAMES.items()}))
        .replace("__PAGE__", str(MAX_PAGE_SIZE))
    )
    city_options = "".join(
        f'<option value="{c}">{CITY_NAMES_ZH[c]} {CITY_NAMES[c]}</option>' for c in CITIES
    )
    grade_options = "".join(
        f'<option value="{g}">{n} or above</option>' for g, n in GRADE_NAMES.items()
    )
    return (
        _PAGE.replace("__CITY_OPTIONS__", city_options)
        .replace("__GRADE_OPTIONS__", grade_options)
        .replace("__LEGEND__", _legend())
        .replace("__WIDTH__", str(projection["width"]))
        .replace("__HEIGHT__", str(projection["height"]))
        .replace("__BACKGROUND__", _background(projection))
        .replace("__SCRIPT__", script)
    )
