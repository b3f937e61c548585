"""The audit's report: ``report.json`` for machines and ``report.html`` for people (one
self-contained page: counts per topic, type and city, the checkpoints, the invariants,
every finding with its coordinates, and the records over time), written to one folder."""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from chengyu_ops.audit.verify import AuditResult

REPORT_VERSION = 1


def report_data(result: AuditResult) -> dict[str, Any]:
    """The report as JSON-ready data."""
    topics: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "records": 0,
            "rejected": 0,
            "partitions": 0,
            "types": Counter(),
            "cities": Counter(),
        }
    )
    by_day: dict[str, Counter[str]] = defaultdict(Counter)
    for part in result.partitions:
        entry = topics[part.topic]
        entry["records"] += part.records
        entry["rejected"] += part.rejected
        entry["partitions"] += 1
        for (type_, city), count in part.by_type_city.items():
            entry["types"][type_] += count
            entry["cities"][city] += count
        for (day, city), count in part.by_day_city.items():
            by_day[day][city] += count
    options = result.options
    book = result.checkpoints
    return {
        "report_version": REPORT_VERSION,
        "verdict": "clean" if result.clean else "findings",
        "started_at": result.started_at.isoformat(),
        "finished_at": result.finished_at.isoformat(),
        "seconds": round((result.finished_at - result.started_at).total_seconds(), 3),
        "range": {
            "since": options.since.isoformat() if options.since else None,
            "until": options.until.isoformat() if options.until else None,
            "from_offset_zero": options.since is None,
        },
        "totals": {
            "records": result.records,
            "rejected": sum(p.rejected for p in result.partitions),
            "read_through_upcasters": sum(p.upcast for p in result.partitions),
            "redeliveries_absorbed": sum(result.redeliveries.values()),
            "partitions": len(result.partitions),
            "findings": len(result.findings),
        },
        "topics": {
            name: {
                **{k: v for k, v in entry.items() if k not in ("types", "cities")},
                "redeliveries_absorbed": result.redeliveries.get(name, 0),
                "types": dict(sorted(entry["types"].items())),
                "cities": dict(sorted(entry["cities"].items())),
            }
            for name, entry in sorted(topics.items())
        },
        "by_day": {day: dict(sorted(c.items())) for day, c in sorted(by_day.items())},
        "checkpoints": {
            "published": book.published,
            "witnessed": book.witnessed,
            "disputed": book.disputed,
            "unwitnessed": book.unwitnessed(),
            "logs": len(book.claims),
            "checked": options.since is None,
        },
        "invariants": {
            name: {
                "description": description,
                "holds": not violations,
                "violations": len(violations),
            }
            for name, (description, violations) in sorted(result.invariants.items())
        },
        "findings": [finding.to_json() for finding in result.findings],
    }


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b;max-width:72rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}td.n{text-align:right}
.clean{color:#176b2c}.bad{color:#a4161a}code{font-size:.9em}
"""
_CITY_COLOURS = {"cq": "#c0392b", "cd": "#2e86c1", "?": "#7f8c8d"}


def _e(value: object) -> str:
    return html.escape(str(value))


def _table(head: list[str], rows: list[list[object]]) -> str:
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_e(c)}</td>' if isinstance(c, int) else f"<td>{_e(c)}</td>"
            for c in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{header}</tr>{body}</table>"


def _chart(by_day: dict[str, dict[str, int]]) -> str:
    """Records per day, stacked by issuing city, as inline SVG."""
    if not by_day:
        return "<p>No records.</p>"
    days = list(by_day)
    peak = max(sum(c.values()) for c in by_day.values()) or 1
    width, height, bar = max(240, 14 * len(days)), 160, 10
    parts = []
    for i, day in enumerate(days):
        y: float = height
        for city, count in sorted(by_day[day].items()):
            h = count / peak * (height - 10)
            y -= h
            colour = _CITY_COLOURS.get(city, "#555")
            parts.append(
                f'<rect x="{i * 14}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="{colour}">'
                f"<title>{_e(day)} {_e(city)}: {count}</title></rect>"
            )
    legend = " ".join(
        f'<span style="color:{colour}">&#9632; {city}</span>'
        for city, colour in _CITY_COLOURS.items()
    )
    return (
        f'<svg width="{width}" height="{height}" role="img" aria-label="records per day">'
        + "".join(parts)
        + f"</svg><p>{legend} &middot; {_e(days[0])} to {_e(days[-1])}, peak {peak} a day</p>"
    )


def report_html(data: dict[str, Any]) -> str:
    """The report as one self-contained HTML page."""
    verdict = data["verdict"]
    totals = data["totals"]
    topics = [
        [name, t["records"], t["partitions"], t["rejected"], t["redeliveries_absorbed"]]
        for name, t in data["topics"].items()
    ]
    types = [
        [name, type_, count]
        for name, t in data["topics"].items()
        for type_, count in t["types"].items()
    ]
    cities = [
        [name, city, count]
        for name, t in data["topics"].items()
        for city, count in t["cities"].items()
    ]
    cp = data["checkpoints"]
    invariants = [
        [name, i["description"], "holds" if i["holds"] else f"{i['violations']} violations"]
        for name, i in data["invariants"].items()
    ]
    findings = [[f["where"], f["kind"], f["rule"] or "", f["message"]] for f in data["findings"]]
    status = (
        '<p class="clean">Clean: nothing found.</p>'
        if verdict == "clean"
        else f'<p class="bad">{totals["findings"]} findings.</p>'
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Chengyu audit report</title>
<style>{_STYLE}</style></head><body>
<h1>Chengyu audit report</h1>{status}
<p>{_e(data["started_at"])} to {_e(data["finished_at"])} ({data["seconds"]} s);
{totals["records"]} records in {totals["partitions"]} partitions;
{totals["rejected"]} rejected; {totals["redeliveries_absorbed"]} redeliveries absorbed;
{totals["read_through_upcasters"]} written as an older version and read through upcasters.
Range: {"from offset 0" if data["range"]["from_offset_zero"] else _e(data["range"])}.</p>
<h2>Findings</h2>{
        _table(["where", "kind", "rule", "what"], findings) if findings else "<p>None.</p>"
    }
<h2>Records over time (Kafka timestamps, by issuing city)</h2>{_chart(data["by_day"])}
<h2>Topics</h2>{_table(["topic", "records", "partitions", "rejected", "redeliveries"], topics)}
<h2>Event types</h2>{_table(["topic", "type", "events"], types)}
<h2>Cities</h2>{_table(["topic", "city", "events"], cities)}
<h2>Checkpoints</h2>{
        _table(
            ["published", "witnessed", "disputed", "not yet witnessed", "logs", "roots checked"],
            [
                [
                    cp["published"],
                    cp["witnessed"],
                    cp["disputed"],
                    cp["unwitnessed"],
                    cp["logs"],
                    "yes" if cp["checked"] else "no (time range)",
                ]
            ],
        )
    }
<h2>Invariants</h2>{
        _table(["rule", "what must hold", "result"], invariants)
        if invariants
        else "<p>Not checked.</p>"
    }
</body></html>
"""


def write_report(result: AuditResult, folder: Path) -> tuple[Path, Path]:
    """Write ``report.json`` and ``report.html`` into ``folder`` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = report_data(result)
    json_path, html_path = folder / "report.json", folder / "report.html"
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    html_path.write_text(report_html(data), encoding="utf-8")
    return json_path, html_path
