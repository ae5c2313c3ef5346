"""The HTML page of a report as a browser sees it: headless Chromium (the Debian package
`chromium`) opens the page from a file, and the DOM it built holds the charts (inline
SVG) and the same figures as the report's JSON and its table on the terminal.

Without chromium these tests fail (.ci/run installs it), unless SUPPORTDESK_SKIP_BROWSER=1
is set: then they are skipped, saying so."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import Cli
from test_reports import NOW, build


def chromium() -> str:
    """The browser's command, or the test fails (or is skipped when asked to be)."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.environ.get("SUPPORTDESK_SKIP_BROWSER") == "1":
        pytest.skip("SUPPORTDESK_SKIP_BROWSER=1: the HTML report is not opened in a browser")
    pytest.fail(
        "chromium is not installed, so the HTML report cannot be checked in a browser: install it "
        "(Debian: apt-get install chromium; .ci/run does) or set SUPPORTDESK_SKIP_BROWSER=1 to skip this test",
        pytrace=False,
    )


def browser_dom(page: Path, profile: Path) -> str:
    """The DOM headless Chromium builds from the page, serialised."""
    done = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "<html" in done.stdout, done.stderr[-2000:]
    return done.stdout


class Dom(HTMLParser):
    """What the checks read of a DOM: charts and their SVG, scripts, and each table's rows
    of cells (field, value, text)."""

    def __init__(self, text: str):
        super().__init__()
        self.charts: dict[str, int] = {}
        self.scripts = 0
        self.tables: dict[str, list[list[dict[str, str]]]] = {}
        self._chart: str | None = None
        self._table: str | None = None
        self._cell: dict[str, str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "script":
            self.scripts += 1
        elif tag == "figure" and "data-chart" in found:
            self._chart = found["data-chart"]
            self.charts[self._chart] = 0
        elif tag == "svg" and self._chart is not None:
            self.charts[self._chart] += 1
        elif tag == "table":
            self._table = found["data-table"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag == "td" and self._table is not None:
            self._cell = {"field": found["data-field"], "value": found["data-value"], "text": ""}
            self.tables[self._table][-1].append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self._chart = None
        elif tag == "table":
            self._table = None
        elif tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell["text"] += data


def figure(report: dict, group: str, field: str):
    """A figure of the report's JSON by its group and (dotted) field."""
    row = report["total"] if group == "total" else next(g for g in report["groups"] if g["group"] == group)
    value = row
    for part in field.split("."):
        value = value[part]
    return value


def test_the_sla_page_in_a_browser_has_its_charts_and_the_figures_of_json_and_terminal(tmp_path):
    browser = chromium()  # first: without a browser, say so before building anything
    assert browser
    build(tmp_path / "berlin.db", tmp_path)
    cli = Cli(tmp_path / "berlin.db")
    page = tmp_path / "sla.html"
    cli.ok("report", "sla", "--by", "month", "--html", str(page), now=NOW)
    report = cli.json("report", "sla", "--by", "month", now=NOW)
    terminal = cli.ok("report", "sla", "--by", "month", now=NOW).stdout.splitlines()

    dom = Dom(browser_dom(page, tmp_path / "profile"))
    assert dom.charts == {"met": 1, "times": 1}, dom.charts
    assert dom.scripts == 0
    assert set(dom.tables) == {"First response", "Resolution"}
    checked = 0
    for title, table in dom.tables.items():
        rows = [row for row in table if row]  # the heading row has no cells
        assert [row[0]["text"] for row in rows] == ["2026-10", "2026-11", "total"]
        lines = terminal[terminal.index(title) + 2 :][: len(rows)]
        for row, line in zip(rows, lines, strict=True):
            group = row[0]["text"]
            for cell in row[1:]:
                expected = figure(report, group, cell["field"])
                assert cell["value"] == ("" if expected is None else str(expected)), (title, group, cell)
                checked += 1
            # The same figures, as shown, in the same order as on the terminal.
            assert " ".join(cell["text"] for cell in row).split() == line.split(), (title, line)
    assert checked == 2 * 3 * 8
