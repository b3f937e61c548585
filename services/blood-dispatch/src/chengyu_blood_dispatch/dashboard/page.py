"""The duty officer's page (血液库存看板): one self-contained HTML document.

No external resource of any kind (no CDN, no web fonts, no images): inline style and an
inline script that fetches ``stock`` from the same service every few seconds and redraws
the grid in place (no reload): per product, a row per ABO/RhD group and a cell per city,
coloured by the shown level (green / yellow / orange / red) with the usable units and the
days of supply; below, the open requests and the shipments in transit (filled by the
dispatch area). The service answers it with a Content-Security-Policy that lets the
browser load nothing from elsewhere either. The page holds no data itself.
"""

from __future__ import annotations

import json
from functools import cache

from chengyu_contracts.cities import CITIES, CITY_NAMES, CITY_NAMES_ZH

from ..blood_groups import GROUPS, PRODUCT_NAMES, PRODUCTS

#: What the browser may load for the page: only its own inline script and style, and
#: fetches of this service.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline';"
    " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: Seconds between refreshes.
REFRESH_SECONDS = 5
#: Cell colours by level (colour-blind readers also get the level's name in the cell).
LEVEL_COLOURS = {"green": "#1a9850", "yellow": "#fee08b", "orange": "#f46d43", "red": "#d73027"}

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1em; color: #222; background: #fafafa; }
h1 { font-size: 1.4em; margin: 0 0 .2em; }
#status { color: #555; margin-bottom: 1em; }
.products { display: flex; flex-wrap: wrap; gap: 1em; }
table { border-collapse: collapse; background: #fff; }
caption { font-weight: 600; text-align: left; padding: .2em 0; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: center; }
td.level { min-width: 7em; font-variant-numeric: tabular-nums; }
td.green { background: #1a9850; color: #fff; }
td.yellow { background: #fee08b; }
td.orange { background: #f46d43; color: #fff; }
td.red { background: #d73027; color: #fff; font-weight: 600; }
.legend span { display: inline-block; margin-right: 1em; }
.legend i { display: inline-block; width: 1em; height: 1em; vertical-align: middle;
  margin-right: .3em; border: 1px solid #888; }
section { margin-top: 1.5em; }
.empty { color: #777; font-style: italic; }
"""

_SCRIPT = """
"use strict";
const PRODUCTS = __PRODUCTS__, GROUPS = __GROUPS__, CITIES = __CITIES__, EVERY = __EVERY__;
const $ = (id) => document.getElementById(id);
function days(centi) { return centi === null ? "∞" : (centi / 100).toFixed(1) + " d"; }
function cellOf(product, group, city) {
  return $("cell-" + product + "-" + group + "-" + city);
}
function fill(id, items, columns, emptyText) {
  const body = $(id);
  body.replaceChildren();
  if (items.length === 0) {
    const row = document.createElement("tr"), cell = document.createElement("td");
    cell.colSpan = columns.length; cell.className = "empty"; cell.textContent = emptyText;
    row.appendChild(cell); body.appendChild(row); return;
  }
  for (const item of items) {
    const row = document.createElement("tr");
    for (const column of columns) {
      const cell = document.createElement("td");
      cell.textContent = String(item[column]);
      row.appendChild(cell);
    }
    body.appendChild(row);
  }
}
async function refresh() {
  let report;
  try {
    const answer = await fetch("./stock", { cache: "no-store" });
    if (!answer.ok) { $("status").textContent = "Could not load: HTTP " + answer.status; return; }
    report = await answer.json();
  } catch (error) {
    $("status").textContent = "Could not load: " + error; return;
  }
  for (const city of report.cities) {
    for (const line of city.lines) {
      const cell = cellOf(line.product, line.abo + line.rhd, city.city);
      if (!cell) continue;
      cell.className = "level " + line.level;
      cell.textContent = line.level + " · " + line.usable + " u · "
        + days(line.days_of_supply_centi);
      cell.title = "available " + line.available + ", reserved " + line.reserved
        + ", quarantined " + line.quarantined + ", in transit " + line.in_transit
        + (line.pending_level ? ", improving to " + line.pending_level : "")
        + (line.low_request_id ? ", request " + line.low_request_id : "");
    }
    $("conflicts-" + city.city).textContent = String(city.conflicts);
  }
  fill("requests", report.dispatch.open_requests,
       ["request_id", "requesting_city", "supplying_city", "product", "abo", "rhd", "quantity",
        "urgency", "state", "escalated"], "No open request.");
  fill("shipments", report.dispatch.in_transit,
       ["shipment_id", "request_id", "from_city", "to_city", "units", "departed_at",
        "receive_by"], "No shipment in transit.");
  $("status").textContent = "As of " + report.at + " (" + report.city + "), refreshed every "
    + EVERY + " s.";
}
refresh();
setInterval(refresh, EVERY * 1000);
"""


def _grid() -> str:
    head = "".join(f"<th>{CITY_NAMES_ZH[c]} {CITY_NAMES[c]}</th>" for c in CITIES)
    tables: list[str] = []
    for product in PRODUCTS:
        rows = []
        for group in GROUPS:
            code = f"{group.abo}{group.rhd}"
            sign = "+" if group.rhd == "pos" else "&minus;"
            cells = "".join(
                f'<td class="level" id="cell-{product}-{code}-{c}">…</td>' for c in CITIES
            )
            rows.append(f"<tr><th>{group.abo} {sign}</th>{cells}</tr>")
        tables.append(
            f'<table class="grid" id="grid-{product}"><caption>{PRODUCT_NAMES[product]}'
            f"</caption><thead><tr><th>group</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    return '<div class="products">' + "".join(tables) + "</div>"


def _legend() -> str:
    return "".join(
        f'<span><i style="background:{colour}"></i>{level}</span>'
        for level, colour in LEVEL_COLOURS.items()
    )


@cache
def dashboard_html() -> str:
    """The page (the same for every request: it holds no data)."""
    script = (
        _SCRIPT.replace("__PRODUCTS__", json.dumps(list(PRODUCTS)))
        .replace("__GROUPS__", json.dumps([f"{g.abo}{g.rhd}" for g in GROUPS]))
        .replace("__CITIES__", json.dumps(list(CITIES)))
        .replace("__EVERY__", str(REFRESH_SECONDS))
    )
    conflicts = " ".join(f'{CITY_NAMES[c]}: <b id="conflicts-{c}">0</b>' for c in CITIES)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>血液库存 Blood stock — Chongqing and Chengdu</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>血液库存 Blood stock: Chongqing and Chengdu</h1>
<div id="status">Loading…</div>
<div class="legend">{_legend()} Each cell: level · usable units · days of supply.</div>
<section id="stock-grid">
<h2>Levels per product and group</h2>
{_grid()}
<p>DINs flagged in both stocks: {conflicts}</p>
</section>
<section id="open-requests">
<h2>Open requests</h2>
<table><thead><tr><th>request</th><th>from</th><th>to</th><th>product</th><th>ABO</th>
<th>RhD</th><th>units</th><th>urgency</th><th>state</th><th>escalated</th></tr></thead>
<tbody id="requests"></tbody></table>
</section>
<section id="in-transit">
<h2>Shipments in transit</h2>
<table><thead><tr><th>shipment</th><th>request</th><th>from</th><th>to</th><th>units</th>
<th>departed</th><th>due</th></tr></thead>
<tbody id="shipments"></tbody></table>
</section>
<script>{script}</script>
</body>
</html>
"""
