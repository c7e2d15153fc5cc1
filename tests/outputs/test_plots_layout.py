"""Charts that don't collide (issue 14), checked on the drawn figure under the Agg backend.

Each test draws the chart, renders it, and compares the display-space boxes of the pieces that used to
overlap: error bars and rating labels, the legend and the bars, stacked projections, heatmap rows.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from esglib.app import bundled  # noqa: E402
from esglib.inputs import select_figures  # noqa: E402
from esglib.outputs import plots  # noqa: E402
from esglib.scoring import PILLARS, ScoreConfig, score, sensitivity  # noqa: E402


@pytest.fixture(scope="module")
def scores(disclosures, companies):
    # (rated companies to draw)
    return score(disclosures, ScoreConfig(min_coverage=0.3, min_kpi_share=0.3), companies=companies)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _render(ax):
    ax.figure.canvas.draw()
    return ax.figure.canvas.get_renderer()


def _overlap(a, b, pad: float = 0.0) -> bool:
    return a.x0 < b.x1 - pad and b.x0 < a.x1 - pad and a.y0 < b.y1 - pad and b.y0 < a.y1 - pad


# ------------------------------------------------------------------------------------------------ heatmap
def test_heatmap_rated_first_then_unrated_without_all_zero_rows(scores):
    ax = plots.pillar_heatmap(scores)
    rows = [t.get_text() for t in ax.get_yticklabels()]
    rated = scores[scores["composite"].notna()].sort_values("composite", ascending=False)
    assert rows[: len(rated)] == list(rated.index)
    rest = scores.loc[rows[len(rated):]]
    assert rest["composite"].isna().all()
    assert list(rest["composite_indicative"]) == sorted(rest["composite_indicative"], reverse=True)
    assert not (rest[list(PILLARS)].fillna(0) == 0).all(axis=1).any()  # no row of zeros is drawn
    zero = scores[scores["composite"].isna() & (scores[list(PILLARS)].fillna(0) == 0).all(axis=1)]
    assert len(zero) > 0 and len(rows) == len(scores) - len(zero)
    note = " ".join(t.get_text() for t in ax.figure.texts)
    assert all(t in note for t in zero.index)  # named, not dropped silently
    # the divider sits between the last rated and the first unrated row
    dividers = [ln for ln in ax.lines if np.allclose(ln.get_ydata(), len(rated))]
    assert dividers


def test_heatmap_order_helper_and_rated_only(scores):
    rated, unrated, empty = plots.heatmap_order(scores)
    assert set(rated) | set(unrated) | set(empty) == set(scores.index)
    ax = plots.pillar_heatmap(scores, rated_only=True)
    assert [t.get_text() for t in ax.get_yticklabels()] == rated
    assert not [ln for ln in ax.lines if ln.get_linewidth() > 2]


def test_heatmap_is_row_order_invariant(scores):
    a = plots.heatmap_order(scores)
    b = plots.heatmap_order(scores.iloc[::-1])
    assert a[0] == b[0] and set(a[1]) == set(b[1]) and set(a[2]) == set(b[2])


# ------------------------------------------------------------------------------------------------ composite bars
def test_rating_labels_clear_of_error_bars(scores):
    sens = sensitivity(scores, n=300)
    ax = plots.composite_bars(scores, sens)
    r = _render(ax)
    labels = [t for t in ax.texts if t.get_text() in {"AAA", "AA", "A", "BBB", "BB", "B", "CCC"}]
    assert len(labels) == scores["composite"].notna().sum()
    segments = []
    for coll in ax.collections:
        for seg in coll.get_segments():
            pts = ax.transData.transform(seg)
            segments.append(pts)
    assert segments  # the error bars are drawn
    for t in labels:
        box = t.get_window_extent(r)
        for pts in segments:
            xs, ys = pts[:, 0], pts[:, 1]
            hit = (xs.min() < box.x1 and box.x0 < xs.max() and ys.min() <= box.y1 and box.y0 <= ys.max())
            assert not hit, t.get_text()
        for bar in ax.patches:
            assert not _overlap(box, bar.get_window_extent(r), pad=0.5), t.get_text()


def test_rating_labels_without_sensitivity_sit_right_of_the_bars(scores):
    ax = plots.composite_bars(scores)
    r = _render(ax)
    bars = ax.patches
    for t, bar in zip(ax.texts, bars, strict=False):
        assert t.get_window_extent(r).x0 >= bar.get_window_extent(r).x1


# ------------------------------------------------------------------------------------------------ scope 2
def test_scope2_legend_covers_no_bar(disclosures):
    ax = plots.scope2_gap(select_figures(disclosures))
    r = _render(ax)
    legend = ax.get_legend()
    assert legend is not None
    box = legend.get_window_extent(r)
    bars = [p for p in ax.patches if p.get_height() > 0]
    assert bars
    for bar in bars:
        assert not _overlap(box, bar.get_window_extent(r)), bar
    assert not _overlap(box, ax.title.get_window_extent(r))
    assert box.x0 >= ax.get_window_extent(r).x1  # outside the plotting area, right of it
    assert box.x1 <= ax.figure.bbox.x1 + 1  # and still on the figure


# ------------------------------------------------------------------------------------------------ US electricity
def test_projection_range_is_one_bar_not_bars_on_top_of_each_other():
    macro = bundled.macro()
    ax = plots.us_datacentre_electricity(macro)
    r = _render(ax)
    bars = [p for p in ax.patches if p.get_height() > 0]
    by_x: dict[float, list] = {}
    for b in bars:
        by_x.setdefault(round(b.get_x() + b.get_width() / 2, 6), []).append(b)
    for x, group in by_x.items():
        assert len(group) == 1, f"{len(group)} bars drawn at x={x}"
    texts = [t for t in ax.texts if t.get_text().strip()]
    labels = [t.get_text() for t in texts]
    assert any("-" in t and all(p.isdigit() for p in t.split("-")) for t in labels), labels  # "325-580"
    boxes = [t.get_window_extent(r) for t in texts]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not _overlap(boxes[i], boxes[j]), (labels[i], labels[j])
    legend = ax.get_legend().get_window_extent(r)
    for b in bars:
        assert not _overlap(legend, b.get_window_extent(r)), b


def test_projection_bar_spans_low_to_high():
    macro = bundled.macro()
    us = macro[macro["region"] == "United States"]
    low = us[us["series"] == "datacentre_electricity_consumption_projection_low"]
    high = us[us["series"] == "datacentre_electricity_consumption_projection_high"]
    if low.empty or high.empty:
        pytest.skip("no low/high projection in the bundled macro data")
    ax = plots.us_datacentre_electricity(macro)
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 1
    p = hatched[0]
    assert p.get_y() == pytest.approx(low["value"].iloc[0] / 1e6)
    assert p.get_y() + p.get_height() == pytest.approx(high["value"].iloc[0] / 1e6)
