"""The reports' chart geometry (workbench/charts.py): pure, no app."""
from __future__ import annotations

import re

import pytest

from workbench import charts


def test_share_chart_places_points_and_leaves_gaps():
    months = ["2026-01", "2026-02", "2026-03", "2026-04"]
    chart = charts.share_chart(months, [
        ("Daily", {"2026-01": (1, 2), "2026-02": (0, 3), "2026-04": (3, 3)}),
        ("Weekly", {"2026-03": (1, 4)}),
    ], width=400, height=200)
    daily, weekly = chart.series
    assert [p.label for p in daily.points] == ["2026-01", "2026-02", "2026-04"]
    assert [p.share for p in daily.points] == [0.5, 0.0, 1.0]
    middle = chart.top + chart.plot_height / 2
    assert daily.points[0].y == pytest.approx(middle, abs=0.1)
    assert daily.points[1].y == pytest.approx(chart.bottom, abs=0.1)
    assert daily.points[2].y == pytest.approx(chart.top, abs=0.1)
    assert daily.points[0].x == chart.left and daily.points[2].x == pytest.approx(chart.right)
    assert len(daily.segments) == 1  # March has nothing: April stands alone
    assert weekly.segments == [] and len(weekly.points) == 1
    # Told apart by more than colour.
    assert daily.marker != weekly.marker and daily.dash != weekly.dash
    assert [c for c, _ in chart.table()] == months
    assert chart.table()[2][1][0] is None and chart.table()[2][1][1].part == 1


def test_x_labels_thin_out_on_long_runs():
    months = [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in range(120)]
    chart = charts.share_chart(months, [("A", {months[0]: (1, 1)})])
    assert len(chart.x_ticks) <= charts.MAX_X_LABELS and chart.x_ticks[0][1] == "2000-01"


def test_one_month_sits_in_the_middle():
    chart = charts.share_chart(["2026-05"], [("A", {"2026-05": (1, 4)})], width=300)
    assert chart.series[0].points[0].x == pytest.approx(chart.left + chart.plot_width / 2)


@pytest.mark.parametrize("shape", charts.MARKERS)
def test_every_marker_is_a_closed_path(shape):
    path = charts.marker_path(shape, 10, 10)
    assert path.startswith("M") and path.endswith("Z")
    x, y = map(float, re.match(r"M(-?[\d.]+),(-?[\d.]+)", path).groups())
    assert abs(x - 10) <= 6 and abs(y - 10) <= 6  # starts beside the centre


def test_bar_chart_scales_to_the_longest_bar():
    chart = charts.bar_chart([("sourced", 4), ("unsourced", 2), ("opinion", 0)], width=300,
                             label_width=80)
    widths = [b.width for b in chart.bars]
    assert widths[0] == 300 - 80 - 48 and widths[1] == widths[0] / 2 and widths[2] == 0
    assert [b.css for b in chart.bars] == ["bar-sourced", "bar-unsourced", "bar-opinion"]
    assert charts.bar_chart([]).bars == []
