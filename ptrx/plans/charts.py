"""Server-rendered SVG charts for the therapist's plan page.

Pure functions of plain data (standard library only): the page makes no external
request and needs no JavaScript, and the charts are testable without a database.
Colour is never the only signal: every bar and point carries a <title> tooltip.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from html import escape

from ptrx.plans.domain.adherence import (
    ADHERENT,
    ADHERENT_PERCENT,
    ALERT,
    ALERT_PERCENT,
    NOTICE,
    adherence_band,
    adherence_percent,
)

GREEN = "#2e7d32"
AMBER = "#ef8f00"
RED = "#c62828"
GREY = "#9e9e9e"
BLUE = "#1565c0"
PURPLE = "#6a1b9a"

WIDTH = 640
LEFT = 36  # room for the y-axis labels
RIGHT = 8
TOP = 10
PLOT_HEIGHT = 120
BOTTOM = 36  # room for the date labels and legend


def _day_label(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def _svg(height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ptrx-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" style="max-width:{WIDTH}px" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>{"".join(body)}</svg>'
    )


def _date_axis(days: Sequence[dt.date], x_of: Callable[[int], float], y: float) -> list[str]:
    """A label under the first day and then every seventh."""
    return [
        f'<text x="{x_of(index):.1f}" y="{y:.1f}" font-size="10" fill="currentColor" '
        f'text-anchor="middle">{escape(_day_label(day))}</text>'
        for index, day in enumerate(days)
        if index % 7 == 0
    ]


BAND_COLOURS = {ADHERENT: GREEN, NOTICE: AMBER, ALERT: RED}


def adherence_colour(percent: int) -> str:
    """Green when adherent, amber for a notice, red for an alert (CLINICAL.md §6)."""
    return BAND_COLOURS[adherence_band(percent)]


def adherence_chart(by_day: Sequence[tuple[dt.date, int, int]]) -> str:
    """One bar per day: the share of prescribed session-items completed. Rest days
    (nothing prescribed) show as a grey tick; a dashed line marks 80%."""
    height = TOP + PLOT_HEIGHT + BOTTOM
    base = TOP + PLOT_HEIGHT
    slot = (WIDTH - LEFT - RIGHT) / max(len(by_day), 1)

    def x_of(index: int) -> float:
        return LEFT + slot * index + slot / 2

    def y_of(percent: float) -> float:
        return base - PLOT_HEIGHT * percent / 100

    adherent_y = y_of(ADHERENT_PERCENT)
    body = [
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="{GREY}"/>',
        f'<line x1="{LEFT}" y1="{adherent_y:.1f}" x2="{WIDTH - RIGHT}" y2="{adherent_y:.1f}" '
        f'stroke="{GREEN}" stroke-dasharray="4 3"/>',
    ]
    for percent in (0, ALERT_PERCENT, ADHERENT_PERCENT, 100):
        body.append(
            f'<text x="{LEFT - 4}" y="{y_of(percent) + 3:.1f}" font-size="10" fill="currentColor" '
            f'text-anchor="end">{percent}%</text>'
        )
    bar_width = max(slot * 0.7, 1)
    for index, (day, prescribed, completed) in enumerate(by_day):
        x = x_of(index) - bar_width / 2
        if prescribed == 0:
            tip = f"{day:%a} {_day_label(day)}: nothing prescribed"
            body.append(
                f'<rect class="rest" x="{x:.1f}" y="{base - 2}" width="{bar_width:.1f}" height="2" '
                f'fill="{GREY}"><title>{escape(tip)}</title></rect>'
            )
            continue
        share = adherence_percent(prescribed=prescribed, completed=completed)
        tip = f"{day:%a} {_day_label(day)}: {completed} of {prescribed} sessions ({share}%)"
        top = y_of(share)
        body.append(
            f'<rect class="day" x="{x:.1f}" y="{top:.1f}" width="{bar_width:.1f}" '
            f'height="{max(base - top, 1):.1f}" fill="{adherence_colour(share)}">'
            f"<title>{escape(tip)}</title></rect>"
        )
    body += _date_axis([day for day, _p, _c in by_day], x_of, base + 14)
    label = "Share of prescribed sessions completed each day"
    return _svg(height, label, body)


def _segments(values: Sequence[int | None]) -> list[list[tuple[int, int]]]:
    """Runs of consecutive days with a value, so a gap in reporting shows as a gap."""
    runs: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for index, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((index, value))
    if current:
        runs.append(current)
    return runs


def pain_chart(points: Sequence[tuple[dt.date, int | None, int | None]]) -> str:
    """Pain during exercise and next-morning pain (0-10) per day, over the traffic-light
    bands: 0-3 green, 4-5 amber, 6-10 red (CLINICAL.md §4)."""
    height = TOP + PLOT_HEIGHT + BOTTOM + 14
    base = TOP + PLOT_HEIGHT
    slot = (WIDTH - LEFT - RIGHT) / max(len(points), 1)

    def x_of(index: int) -> float:
        return LEFT + slot * index + slot / 2

    def y_of(pain: float) -> float:
        return base - PLOT_HEIGHT * pain / 10

    body: list[str] = []
    for low, high, colour in ((0, 3.5, GREEN), (3.5, 5.5, AMBER), (5.5, 10, RED)):
        body.append(
            f'<rect x="{LEFT}" y="{y_of(high):.1f}" width="{WIDTH - LEFT - RIGHT}" '
            f'height="{y_of(low) - y_of(high):.1f}" fill="{colour}" fill-opacity="0.10"/>'
        )
    for pain in (0, 3, 5, 10):
        body.append(
            f'<text x="{LEFT - 4}" y="{y_of(pain) + 3:.1f}" font-size="10" fill="currentColor" '
            f'text-anchor="end">{pain}</text>'
        )
    series = (
        ("during", "pain during exercise (highest that day)", BLUE, "", [p[1] for p in points]),
        ("morning", "next-morning pain", PURPLE, ' stroke-dasharray="5 3"', [p[2] for p in points]),
    )
    for name, description, colour, dash, values in series:
        for run in _segments(values):
            coords = " ".join(f"{x_of(index):.1f},{y_of(value):.1f}" for index, value in run)
            if len(run) > 1:
                body.append(
                    f'<polyline class="{name}" points="{coords}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"{dash}/>'
                )
            for index, value in run:
                day = points[index][0]
                tip = f"{day:%a} {_day_label(day)}: {description} {value}/10"
                body.append(
                    f'<circle class="{name}" cx="{x_of(index):.1f}" cy="{y_of(value):.1f}" r="3" '
                    f'fill="{colour}"><title>{escape(tip)}</title></circle>'
                )
    body += _date_axis([point[0] for point in points], x_of, base + 14)
    legend_y = base + 30
    body.append(
        f'<line x1="{LEFT}" y1="{legend_y - 4}" x2="{LEFT + 20}" y2="{legend_y - 4}" stroke="{BLUE}" '
        f'stroke-width="2"/><text x="{LEFT + 24}" y="{legend_y}" font-size="10" fill="currentColor">'
        "during exercise</text>"
        f'<line x1="{LEFT + 130}" y1="{legend_y - 4}" x2="{LEFT + 150}" y2="{legend_y - 4}" '
        f'stroke="{PURPLE}" stroke-width="2" stroke-dasharray="5 3"/>'
        f'<text x="{LEFT + 154}" y="{legend_y}" font-size="10" fill="currentColor">next morning</text>'
    )
    return _svg(height, "Pain during exercise and next-morning pain, 0 to 10, by day", body)
