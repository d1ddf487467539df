"""The geometry of the reports' server-side SVG charts. Pure: plain numbers in, coordinates
and labels out; the templates in ``templates/reports/_charts.html`` draw them, so the same
chart is in the page and in its PDF, and reads without JavaScript.

Series are told apart by marker shape and line dash as well as colour, and every value is
also given in text (the templates put a table beside each chart).
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Okabe and Ito's palette (distinct under the common colour-vision deficiencies), each with
# its own marker and dash so that colour is never the only cue.
COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#8a6d00", "#56b4e9", "#1d232b")
MARKERS = ("circle", "square", "triangle", "diamond", "cross", "triangle-down", "plus")
DASHES = ("", "7 3", "2 3", "9 3 2 3", "4 4", "12 3", "1 3")
MAX_X_LABELS = 12


def marker_path(shape: str, x: float, y: float, r: float = 4.5) -> str:
    """SVG path data of a marker centred on (x, y)."""
    if shape == "circle":
        return (f"M{x - r:.1f},{y:.1f} a{r:.1f},{r:.1f} 0 1,0 {2 * r:.1f},0 "
                f"a{r:.1f},{r:.1f} 0 1,0 {-2 * r:.1f},0 Z")
    if shape == "square":
        s = r * 0.85
        return f"M{x - s:.1f},{y - s:.1f} h{2 * s:.1f} v{2 * s:.1f} h{-2 * s:.1f} Z"
    if shape == "triangle":
        return f"M{x:.1f},{y - r * 1.15:.1f} L{x + r:.1f},{y + r * 0.75:.1f} L{x - r:.1f},{y + r * 0.75:.1f} Z"
    if shape == "triangle-down":
        return f"M{x:.1f},{y + r * 1.15:.1f} L{x + r:.1f},{y - r * 0.75:.1f} L{x - r:.1f},{y - r * 0.75:.1f} Z"
    if shape == "diamond":
        return f"M{x:.1f},{y - r * 1.2:.1f} L{x + r:.1f},{y:.1f} L{x:.1f},{y + r * 1.2:.1f} L{x - r:.1f},{y:.1f} Z"
    if shape == "cross":  # an X drawn as a filled polygon
        a, b = r, r * 0.35
        return (f"M{x - a:.1f},{y - a + b:.1f} L{x - a + b:.1f},{y - a:.1f} L{x:.1f},{y - b:.1f} "
                f"L{x + a - b:.1f},{y - a:.1f} L{x + a:.1f},{y - a + b:.1f} L{x + b:.1f},{y:.1f} "
                f"L{x + a:.1f},{y + a - b:.1f} L{x + a - b:.1f},{y + a:.1f} L{x:.1f},{y + b:.1f} "
                f"L{x - a + b:.1f},{y + a:.1f} L{x - a:.1f},{y + a - b:.1f} L{x - b:.1f},{y:.1f} Z")
    b = r * 0.35  # plus
    return (f"M{x - b:.1f},{y - r:.1f} h{2 * b:.1f} v{r - b:.1f} h{r - b:.1f} v{2 * b:.1f} "
            f"h{b - r:.1f} v{r - b:.1f} h{-2 * b:.1f} v{b - r:.1f} h{b - r:.1f} v{-2 * b:.1f} "
            f"h{r - b:.1f} Z")


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    label: str  # the x value as text (a month)
    share: float
    part: int  # e.g. unsourced assertions
    whole: int  # e.g. factual assertions
    marker: str  # SVG path data


@dataclass(slots=True)
class Series:
    name: str
    colour: str
    marker: str
    dash: str
    points: list[Point] = field(default_factory=list)
    # Lines join consecutive months only; a month with nothing to show leaves a gap.
    segments: list[str] = field(default_factory=list)
    note: str = ""

    def legend_marker(self, x: float = 18, y: float = 6) -> str:
        return marker_path(self.marker, x, y, 4)


@dataclass(frozen=True, slots=True)
class ShareChart:
    """A line-and-dot chart of shares (0–100%) over a run of categories (months)."""

    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    series: list[Series]
    columns: list[str]  # every category, in order (the table's rows)

    def table(self) -> list[tuple[str, list[Point | None]]]:
        """The chart as rows of text: each category with a value, and each series' point."""
        by_series = [{p.label: p for p in s.points} for s in self.series]
        rows = [(c, [points.get(c) for points in by_series]) for c in self.columns]
        return [(c, cells) for c, cells in rows if any(cells)]

    @property
    def bottom(self) -> int:
        return self.top + self.plot_height

    @property
    def right(self) -> int:
        return self.left + self.plot_width


def share_chart(columns: list[str], series: list[tuple[str, dict[str, tuple[int, int]]]],
                *, width: int = 680, height: int = 300, notes: dict[str, str] | None = None
                ) -> ShareChart:
    """Place each series' shares (``part / whole`` for each category that has a whole) on a
    chart whose x axis runs through ``columns`` in order and whose y axis is 0–100%."""
    left, top, right_pad, bottom_pad = 52, 14, 36, 42
    plot_w, plot_h = width - left - right_pad, height - top - bottom_pad
    step = plot_w / max(len(columns) - 1, 1)
    position = {c: left + (i * step if len(columns) > 1 else plot_w / 2)
                for i, c in enumerate(columns)}
    every = max(1, -(-len(columns) // MAX_X_LABELS))
    x_ticks = [(position[c], c) for i, c in enumerate(columns) if i % every == 0]
    y_ticks = [(top + plot_h * (1 - v / 100), f"{v}%") for v in (0, 25, 50, 75, 100)]
    drawn = []
    for n, (name, values) in enumerate(series):
        s = Series(name, COLOURS[n % len(COLOURS)], MARKERS[n % len(MARKERS)],
                   DASHES[n % len(DASHES)], note=(notes or {}).get(name, ""))
        run: list[Point] = []
        for column in columns:
            part, whole = values.get(column, (0, 0))
            if not whole:
                if len(run) > 1:
                    s.segments.append(_polyline(run))
                run = []
                continue
            share = part / whole
            x, y = position[column], top + plot_h * (1 - share)
            point = Point(round(x, 1), round(y, 1), column, share, part, whole,
                          marker_path(s.marker, x, y))
            s.points.append(point)
            run.append(point)
        if len(run) > 1:
            s.segments.append(_polyline(run))
        drawn.append(s)
    return ShareChart(width, height, left, top, plot_w, plot_h, x_ticks, y_ticks, drawn,
                      list(columns))


def _polyline(points: list[Point]) -> str:
    return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in points)


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    y: float
    width: float
    css: str  # a class the stylesheet colours (e.g. the tag's)


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar]


def bar_chart(rows: list[tuple[str, int]], *, width: int = 420, label_width: int = 90,
              bar_height: int = 18, gap: int = 8, css_prefix: str = "bar-") -> BarChart:
    """Horizontal bars, one per ``(label, value)``, each labelled in text with its value."""
    widest = max((v for _, v in rows), default=0) or 1
    room = width - label_width - 48  # the value's text after the longest bar
    bars = [Bar(label, value, i * (bar_height + gap), round(room * value / widest, 1),
                f"{css_prefix}{label}") for i, (label, value) in enumerate(rows)]
    return BarChart(width, max(len(rows) * (bar_height + gap) - gap, 1), label_width,
                    bar_height, bars)
