"""A report as one self-contained HTML page that a manager can open or mail: the tables
of report_tables.py and inline SVG charts (pygal), from a Jinja2 template with
autoescaping. No JavaScript and nothing fetched from the network: pygal's own config
<script> is taken out of each chart.

jinja2 and pygal are imported here only, when a page is written.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from supportdesk.report import CLOCK_NAMES, NONE_LABELS, TOTAL
from supportdesk.report_tables import CLOCK_TITLES, Table, tables, title

CHART_WIDTH, CHART_HEIGHT = 900, 380
# Values are printed on the bars while they stay readable; past LABELLED_UP_TO periods,
# about a dozen of them are labelled.
PRINTED_UP_TO = 6
LABELLED_UP_TO = 31


def _svg(chart: Any, name: str) -> Any:
    """The chart as inline SVG markup: a stable id, and no script or comment in it."""
    from markupsafe import Markup
    from pygal.etree import etree

    chart.uuid = name  # pygal's ids and CSS are scoped by it: stable, and one per chart
    root = chart.render_tree()
    for parent in list(root.iter()):
        for child in list(parent):
            if not isinstance(child.tag, str) or child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)  # comments (pygal's name, date and address) and the config script
    text = etree.tostring(root, encoding="unicode")
    return Markup(text)  # noqa: S704 - serialised by the XML library, which escapes every text


def _chart(kind: str, labels: list[str], *, percent: bool = False, hours: bool = False) -> Any:
    import pygal
    from pygal.style import DefaultStyle

    chart = getattr(pygal, kind)(
        js=[],
        disable_xml_declaration=True,
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        style=DefaultStyle,
        legend_at_bottom=True,
        print_values=len(labels) <= PRINTED_UP_TO and kind == "Bar",
        x_label_rotation=30 if len(labels) > 8 else 0,
        show_minor_x_labels=len(labels) <= LABELLED_UP_TO,
        x_labels_major_every=max(1, len(labels) // 12),
        truncate_label=-1,
        value_formatter=(lambda v: f"{v:.1f} %") if percent else (lambda v: f"{v:.1f} h") if hours else (lambda v: f"{v:g}"),
    )
    if kind == "Line":
        chart.show_dots = len(labels) <= LABELLED_UP_TO
    if percent:
        chart.range = (0, 100)
    chart.x_labels = labels
    return chart


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def charts(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's charts: (name, title, SVG)."""
    kind = report["report"]
    made: list[tuple[str, str, Any]] = []
    if kind == "sla":
        groups = report["groups"]
        labels = [g["group"] for g in groups]
        met = _chart("Bar", labels, percent=True)
        times = _chart("Bar", labels, hours=True)
        for clock in CLOCK_NAMES:
            met.add(CLOCK_TITLES[clock], [g[clock]["met_pct"] for g in groups])
            times.add(CLOCK_TITLES[clock], [_hours(g[clock]["business_median"]) for g in groups])
        made += [("met", "Met % (of the clocks settled)", met), ("times", "Median business time (hours)", times)]
    elif kind == "volume":
        periods = report["periods"]
        labels = [p["period"] for p in periods]
        flow = _chart("Bar", labels)
        flow.add("filed", [p["filed"] for p in periods])
        flow.add("closed", [p["closed"] for p in periods])
        backlog = _chart("Line", labels)
        backlog.add("backlog", [p["backlog"] for p in periods])
        made += [("flow", f"Tickets filed and closed per {report['by']}", flow), ("backlog", "Backlog at the end of each period", backlog)]
    else:
        agents = report["agents"]
        labels = [a["agent"] or NONE_LABELS["agent"] for a in agents]
        met = _chart("Bar", labels, percent=True)
        met.add(CLOCK_TITLES["respond"], [a["respond_met_pct"] for a in agents])
        met.add(CLOCK_TITLES["resolve"], [a["resolve_met_pct"] for a in agents])
        load = _chart("StackedBar", labels)
        load.add("closed", [a["closed"] for a in agents])
        load.add("open", [a["open"] for a in agents])
        made += [("met", "Met % per agent", met), ("load", "Tickets per agent", load)]
    return [{"name": name, "title": caption, "svg": _svg(chart, f"{kind}-{name}")} for name, caption, chart in made]


def _cells(table: Table) -> list[dict[str, Any]]:
    """Each row's cells: the text shown, the figure, its field and its bar's share."""
    return [
        {
            "total": row.get("group") == TOTAL,
            "cells": [
                {
                    "field": column.field,
                    "kind": column.kind,
                    "text": table.cell_text(column, row),
                    "value": "" if row.get(column.field) is None else row.get(column.field),
                    "bar": None if table.bar_share(column, row) is None else round(100 * table.bar_share(column, row), 1),
                }
                for column in table.columns
            ],
        }
        for row in table.rows
    ]


def render(report: dict[str, Any], zone: tzinfo) -> str:
    """The page of a report (from `Desk.sla_report`, `volume_report` or `agents_report`)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    from supportdesk import __version__

    environment = Environment(
        loader=PackageLoader("supportdesk", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    heading, line = title(report, zone)
    shown = [{"title": t.title, "note": t.note, "columns": t.columns, "rows": _cells(t)} for t in tables(report)]
    return environment.get_template("report.html").render(
        heading=heading, line=line, report=report, charts=charts(report), tables=shown, version=__version__
    )
