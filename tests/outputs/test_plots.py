"""Charts under the Agg backend: frames in, an Axes out with a title; inputs never modified; saved atomically."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from esglib.outputs import plots


@pytest.fixture(scope="module")
def scores(disclosures, companies):
    from esglib.scoring import score

    return score(disclosures, companies=companies)


@pytest.fixture
def returns() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    idx = pd.date_range("2020-01-31", periods=36, freq="ME")
    return pd.DataFrame(rng.normal(0.01, 0.04, size=(36, 2)), index=idx, columns=["strategy", "benchmark"])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_the_backend_is_the_callers_choice():
    """tests/conftest.py sets MPLBACKEND=Agg (the test entry); the plotting module never switches backends."""
    assert matplotlib.get_backend().lower() == "agg"
    with open(plots.__file__, encoding="utf-8") as fh:
        assert "matplotlib.use(" not in fh.read()


def test_pillar_heatmap_draws_every_rated_company(scores):
    before = scores.copy()
    ax = plots.pillar_heatmap(scores, rated_only=True)
    assert ax.get_title()
    assert len(ax.get_yticklabels()) == int(scores["composite"].notna().sum())
    pd.testing.assert_frame_equal(scores, before)


def test_composite_bars_one_bar_per_rated_company(scores):
    ax = plots.composite_bars(scores)
    assert ax.get_title()
    assert len(ax.patches) >= int(scores["composite"].notna().sum())


@pytest.mark.parametrize("chart", ["cumulative_returns", "drawdowns"])
def test_return_charts_one_line_per_column(returns, chart):
    before = returns.copy()
    ax = getattr(plots, chart)(returns)
    assert len(ax.get_lines()) >= returns.shape[1]
    assert ax.get_title()
    pd.testing.assert_frame_equal(returns, before)


def test_save_writes_a_png_and_closes_the_figure(tmp_path, returns):
    ax = plots.cumulative_returns(returns)
    path = plots.save(ax, tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(ax.figure.number)
    assert [p.name for p in tmp_path.iterdir()] == ["chart.png"]


def test_keep_writes_a_png_and_leaves_the_figure_open(tmp_path, returns):
    ax = plots.drawdowns(returns)
    path = plots.keep(ax, tmp_path / "dd.png")
    assert path.stat().st_size > 0
    assert plt.fignum_exists(ax.figure.number)
