"""A case's or a person's history across both cities, as a timeline: each step's time,
the city whose service signed it, what happened (the event type), the acting office where
the event names one (``chengyuactor``: a non-personal office reference), and where the
record sits. Text for the terminal, a self-contained HTML page for people. Pure."""

from __future__ import annotations

import html
from dataclasses import dataclass

from chengyu_contracts.cities import CITY_NAMES
from chengyu_ops.audit.evidence import CaseEvent

__all__ = ["Step", "timeline", "timeline_html", "timeline_text"]


@dataclass(frozen=True)
class Step:
    """One step of the timeline."""

    time: str
    city: str
    what: str
    office: str
    at: str


def _what(event_type: str) -> str:
    # cn.chengyu.fund.transfer-credited.v1 -> fund transfer-credited (v1)
    parts = event_type.split(".")
    return f"{parts[2]} {parts[3]} ({parts[4]})" if len(parts) == 5 else event_type


def timeline(events: list[CaseEvent]) -> list[Step]:
    """The steps of ``events`` (already in time order)."""
    return [
        Step(
            time=event.event.envelope.time,
            city=CITY_NAMES.get(event.city, event.city),  # type: ignore[call-overload]
            what=_what(event.event.written.type),
            office=event.event.envelope.chengyuactor or "(the service itself)",
            at=f"{event.record.topic}/{event.record.partition}@{event.record.offset}",
        )
        for event in events
    ]


def timeline_text(title: str, steps: list[Step]) -> str:
    """The timeline as lines for the terminal."""
    lines = [title, ""]
    lines += [f"{s.time}  {s.city}  {s.what}  by {s.office}  [{s.at}]" for s in steps]
    if not steps:
        lines.append("(no event of this case on the log)")
    return "\n".join(lines) + "\n"


def timeline_html(title: str, steps: list[Step]) -> str:
    """The timeline as a self-contained HTML page."""
    rows = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(cell)}</td>" for cell in (s.time, s.city, s.what, s.office, s.at)
        )
        + "</tr>"
        for s in steps
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
td, th {{ border-bottom: 1px solid #ccc; padding: 0.3em 0.8em; text-align: left; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<table><thead><tr><th>time</th><th>city</th><th>step</th><th>acting office</th>
<th>record</th></tr></thead>
<tbody>
{rows}
</tbody></table>
</body></html>
"""
