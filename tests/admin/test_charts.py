"""The plan page's SVG charts: pure functions of the day-by-day figures."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

from ptrx.plans.charts import AMBER, GREEN, RED, adherence_chart, pain_chart

DAY = dt.date(2026, 3, 2)
SVG = "{http://www.w3.org/2000/svg}"


def days(n: int) -> list[dt.date]:
    return [DAY + dt.timedelta(days=i) for i in range(n)]


def test_adherence_has_a_bar_per_day_coloured_by_the_80_and_50_percent_thresholds() -> None:
    figures = [
        (DAY, 4, 4),
        (DAY + dt.timedelta(1), 4, 2),
        (DAY + dt.timedelta(2), 4, 1),
        (DAY + dt.timedelta(3), 0, 0),
    ]
    root = ET.fromstring(adherence_chart(figures))
    bars = root.findall(f"{SVG}rect[@class='day']")
    assert [bar.get("fill") for bar in bars] == [GREEN, AMBER, RED]
    heights = [float(bar.get("height", 0)) for bar in bars]
    assert heights[0] == 2 * heights[1] == 4 * heights[2]
    assert len(root.findall(f"{SVG}rect[@class='rest']")) == 1
    assert bars[1].find(f"{SVG}title").text == "Tue 3 Mar: 2 of 4 sessions (50%)"  # type: ignore[union-attr]


def test_pain_lines_break_where_nothing_was_reported() -> None:
    during = [3, 4, None, 6, 5]
    morning = [None, 2, 2, None, None]
    points = [(day, d, m) for day, d, m in zip(days(5), during, morning, strict=True)]
    root = ET.fromstring(pain_chart(points))
    assert len(root.findall(f"{SVG}polyline[@class='during']")) == 2
    assert len(root.findall(f"{SVG}polyline[@class='morning']")) == 1
    assert len(root.findall(f"{SVG}circle[@class='during']")) == 4
    heights = {
        c.get("cy") for c in root.findall(f"{SVG}circle") if c.find(f"{SVG}title").text.endswith(" 2/10")
    }  # type: ignore[union-attr]
    assert len(heights) == 1


def test_charts_are_self_contained() -> None:
    for svg in (adherence_chart([(d, 2, 1) for d in days(28)]), pain_chart([(d, 1, 1) for d in days(28)])):
        assert re.findall(r"https?://[^\"]+", svg) == ["http://www.w3.org/2000/svg"]
        ET.fromstring(svg)  # well-formed


def test_an_empty_window_still_draws() -> None:
    ET.fromstring(adherence_chart([]))
    ET.fromstring(pain_chart([]))
