"""Chart geometry for the weekly report, drawn as inline SVG by the template: no script,
no chart library, nothing fetched. Every mark carries its value as text, and series and
bars differ by line dash, marker shape and fill pattern as well as colour, so a chart
reads the same printed in black and white."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from msgspec import Struct

WIDE_PX, NARROW_PX = 12.0, 7.0  # approximate glyph widths at the charts' 12px font


def fit(label: str, room: float) -> str:
    """The label, cut with an ellipsis to fit `room` pixels (CJK glyphs count double)."""
    used = 0.0
    for index, char in enumerate(label):
        used += WIDE_PX if unicodedata.east_asian_width(char) in "WF" else NARROW_PX
        if used > room - NARROW_PX:
            return label[:index] + "…"
    return label


class Mark(Struct, frozen=True):
    x: float
    y: float
    value: str  # the number shown beside the mark
    hollow: bool  # an incomplete round


class Series(Struct, frozen=True):
    key: str  # label key; also the CSS class
    path: str  # SVG path data
    marks: tuple[Mark, ...]
    shape: str  # circle or square
    dash: str  # stroke-dasharray ("" = solid)


class LineChart(Struct, frozen=True):
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    grid: tuple[tuple[float, str], ...]  # y, label
    ticks: tuple[tuple[float, str], ...]  # x, label
    series: tuple[Series, ...]


def _y(value: float, top: float, bottom: float) -> float:
    return round(bottom - (bottom - top) * max(0.0, min(100.0, value)) / 100.0, 1)


def _path(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(points))


def percent_label(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], str, str]],
    hollow: Sequence[bool],
    width: int = 720,
    height: int = 260,
) -> LineChart:
    """Percent series (0-100) over the same x labels: (key, values, shape, dash) each."""
    left, right, top, bottom = 48.0, width - 16.0, 24.0, height - 40.0
    count = max(1, len(labels))
    step = (right - left) / max(1, count - 1) if count > 1 else 0.0
    xs = [left + step * i if count > 1 else (left + right) / 2 for i in range(count)]
    drawn: list[Series] = []
    for key, values, shape, dash in series:
        marks = tuple(
            Mark(
                xs[i], _y(v, top, bottom), percent_label(v), hollow[i] if i < len(hollow) else False
            )
            for i, v in enumerate(values)
            if v is not None
        )
        drawn.append(Series(key, _path([(m.x, m.y) for m in marks]), marks, shape, dash))
    # At most about 12 dates under the axis; the table beside the chart has them all.
    every = max(1, -(-count // 12))
    ticks = tuple((xs[i], labels[i]) for i in range(count) if i % every == 0 or i == count - 1)
    grid = tuple((_y(v, top, bottom), f"{v}%") for v in (0, 25, 50, 75, 100))
    return LineChart(width, height, left, top, right, bottom, grid, ticks, tuple(drawn))


class Bar(Struct, frozen=True):
    y: float
    length: float
    label: str
    value: str
    pattern: str  # fill pattern id suffix: solid, hatch, cross, dots


class BarChart(Struct, frozen=True):
    width: int
    height: int
    label_width: float
    bar_height: float
    bars: tuple[Bar, ...]


def bar_chart(
    items: Sequence[tuple[str, float, str, str]],
    scale: float | None = None,
    width: int = 720,
    label_width: float = 200.0,
    bar_height: float = 22.0,
) -> BarChart:
    """Horizontal bars: (label, value, value text, pattern) each; `scale` is the value of
    a full-length bar (default: the largest value)."""
    top = max([v for _, v, _, _ in items] + [0.0])
    full = scale if scale is not None else (top or 1.0)
    room = width - label_width - 64.0
    bars = tuple(
        Bar(
            y=8.0 + i * (bar_height + 8.0),
            length=round(room * max(0.0, value) / full, 1) if full else 0.0,
            label=fit(label, label_width - 8.0),
            value=text,
            pattern=pattern,
        )
        for i, (label, value, text, pattern) in enumerate(items)
    )
    height = int(16 + len(bars) * (bar_height + 8.0))
    return BarChart(width, height, label_width, bar_height, bars)


class Sparkline(Struct, frozen=True):
    width: int
    height: int
    path: str
    last: Mark | None


def sparkline(values: Sequence[float | None], width: int = 120, height: int = 28) -> Sparkline:
    count = len(values)
    step = (width - 8) / max(1, count - 1) if count > 1 else 0.0
    points = [
        (4 + step * i, _y(v, 4.0, height - 4.0)) for i, v in enumerate(values) if v is not None
    ]
    last_value = next((v for v in reversed(values) if v is not None), None)
    last = (
        Mark(points[-1][0], points[-1][1], percent_label(last_value), False)
        if points and last_value is not None
        else None
    )
    return Sparkline(width, height, _path(points), last)
