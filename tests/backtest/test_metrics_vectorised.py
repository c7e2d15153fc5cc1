"""Backtest relative metrics computed for many series at once equal the one-series definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from esglib.backtest import beta, information_ratio, tracking_error


def _reference(r: np.ndarray, b: np.ndarray, ppy: float = 12) -> tuple[float, float, float]:
    ok = ~(np.isnan(r) | np.isnan(b))
    r, b = r[ok], b[ok]
    if r.size < 2:
        return np.nan, np.nan, np.nan
    vb = np.var(b, ddof=1)
    be = np.cov(r, b, ddof=1)[0, 1] / vb if vb > 0 else np.nan
    te = np.std(r - b, ddof=1) * np.sqrt(ppy)
    ir = np.mean(r - b) * ppy / te if te > 0 else np.nan
    return be, te, ir


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(7)
    idx = pd.date_range("2012-01-31", periods=120, freq="ME")
    r = pd.DataFrame(rng.normal(0.01, 0.05, (120, 40)), index=idx, columns=[f"S{i}" for i in range(40)])
    r.iloc[:30, ::4] = np.nan  # late listings
    r.iloc[:, 5] = np.nan  # a series without data
    r.iloc[:119, 6] = np.nan  # a single observation
    b = pd.Series(rng.normal(0.008, 0.04, 120), index=idx)
    b.iloc[3] = np.nan
    return r, b


def test_dataframe_metrics_equal_per_column_definitions(panel):
    r, b = panel
    got = pd.DataFrame({"beta": beta(r, b), "te": tracking_error(r, b), "ir": information_ratio(r, b)})
    want = pd.DataFrame([_reference(r[c].to_numpy(), b.to_numpy()) for c in r], index=r.columns,
                        columns=["beta", "te", "ir"])
    pd.testing.assert_frame_equal(got, want, rtol=1e-12, atol=1e-14)
    assert got.loc[["S5", "S6"]].isna().all().all()


def test_series_and_arrays_give_floats(panel):
    r, b = panel
    s = r["S1"]
    for fn in (beta, tracking_error, information_ratio):
        x = fn(s, b)
        assert isinstance(x, float)
        assert x == pytest.approx(fn(s.to_numpy(), b.to_numpy()), rel=1e-12, nan_ok=True)
        assert x == pytest.approx(fn(r, b)["S1"], rel=1e-12)


def test_misaligned_series_use_common_dates(panel):
    r, b = panel
    s = r["S2"].iloc[10:]
    shuffled = b.sample(frac=1.0, random_state=0)
    assert beta(s, shuffled) == pytest.approx(_reference(s.to_numpy(), b.iloc[10:].to_numpy())[0], rel=1e-12)


def test_identical_series_have_beta_one_and_no_tracking_error(panel):
    _, b = panel
    assert beta(b, b) == pytest.approx(1.0)
    assert tracking_error(b, b) == 0.0
    assert np.isnan(information_ratio(b, b))
