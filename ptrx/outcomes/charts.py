"""Server-rendered SVG trends of outcome measures, as the plan page draws adherence and pain
(ptrx.plans.charts): plain data in, escaped SVG out, no JavaScript.

The shaded band around the baseline is the meaningful change: a score inside it has not
changed in a way that matters; outside it, green is better and red worse. Every point
carries a <title> tooltip, so colour is never the only signal.
"""

import datetime as dt
from collections.abc import Sequence
from html import escape

from ptrx.outcomes.domain import Change
from ptrx.plans.charts import BLUE, GREEN, GREY, LEFT, PLOT_HEIGHT, RED, RIGHT, TOP, WIDTH, _day_label, _svg

BOTTOM = 30


def _number(value: float) -> str:
    return f"{value:g}"


def outcome_chart(
    *,
    name: str,
    points: Sequence[tuple[dt.date, float]],
    low: float,
    high: float,
    change: Change | None,
) -> str:
    """One instrument's scores by date (oldest first) against its first score."""
    height = TOP + PLOT_HEIGHT + BOTTOM
    base = TOP + PLOT_HEIGHT
    first, last = points[0][0], points[-1][0]
    span = max((last - first).days, 1)

    def x_of(day: dt.date) -> float:
        if first == last:
            return (LEFT + WIDTH - RIGHT) / 2
        return LEFT + (WIDTH - LEFT - RIGHT) * (day - first).days / span

    def y_of(score: float) -> float:
        clipped = min(max(score, low), high)
        return base - PLOT_HEIGHT * (clipped - low) / ((high - low) or 1)

    baseline = points[0][1]
    body = [f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="{GREY}"/>']
    if change is not None:
        threshold = change.threshold(baseline)
        top, bottom = y_of(baseline + threshold), y_of(baseline - threshold)
        body.append(
            f'<rect class="band" x="{LEFT}" y="{top:.1f}" width="{WIDTH - LEFT - RIGHT}" '
            f'height="{bottom - top:.1f}" fill="{GREY}" fill-opacity="0.18">'
            f"<title>{escape(f'No meaningful change: within {_number(round(threshold, 2))} of the baseline')}"
            "</title></rect>"
        )
    body.append(
        f'<line x1="{LEFT}" y1="{y_of(baseline):.1f}" x2="{WIDTH - RIGHT}" y2="{y_of(baseline):.1f}" '
        f'stroke="{GREY}" stroke-dasharray="4 3"/>'
    )
    for value in (low, high):
        body.append(
            f'<text x="{LEFT - 4}" y="{y_of(value) + 3:.1f}" font-size="10" fill="currentColor" '
            f'text-anchor="end">{_number(value)}</text>'
        )
    coords = " ".join(f"{x_of(day):.1f},{y_of(score):.1f}" for day, score in points)
    if len(points) > 1:
        body.append(f'<polyline points="{coords}" fill="none" stroke="{BLUE}" stroke-width="2"/>')
    for day, score in points:
        by = score - baseline
        colour, verdict = BLUE, "no meaningful change"
        if change is not None and change.is_meaningful(baseline=baseline, by=by):
            worse = change.is_worse(by=by)
            colour, verdict = (RED, "meaningfully worse") if worse else (GREEN, "meaningfully better")
        elif change is None:
            verdict = "no established meaningful change"
        tip = f"{_day_label(day)} {day.year}: {_number(score)} ({verdict})"
        body.append(
            f'<circle class="score" cx="{x_of(day):.1f}" cy="{y_of(score):.1f}" r="4" fill="{colour}">'
            f"<title>{escape(tip)}</title></circle>"
        )
    for day in sorted({first, last}):
        body.append(
            f'<text x="{x_of(day):.1f}" y="{base + 14}" font-size="10" fill="currentColor" '
            f'text-anchor="middle">{escape(_day_label(day))}</text>'
        )
    return _svg(height, f"{name}: scores by date against the first, with the meaningful-change band", body)
