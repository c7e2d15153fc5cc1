"""esglib.backtest: metric functions against hand-computed tables, metamorphic properties, the engine on a
SYNTHETIC two-asset price path worked out by hand, point-in-time guarantees (no look-ahead in disclosures or
prices), and one integration run on the bundled snapshot through ``esglib.market.prices(source="snapshot")``."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from esglib.backtest import (
    active_share,
    annual_volatility,
    beta,
    cagr,
    esg_backtest,
    information_ratio,
    max_drawdown,
    performance_table,
    point_in_time_scores,
    rebalance_dates,
    run_backtest,
    scored_period,
    scored_returns,
    sharpe_ratio,
    sortino_ratio,
    strategy_weights,
    tracking_error,
)
from esglib.errors import ConfigError

SQ12 = math.sqrt(12)


# ------------------------------------------------------------------------------------------------ metrics
@pytest.mark.parametrize("returns,ppy,expected", [
    ([0.01] * 12, 12, 1.01**12 - 1),
    ([0.10, -0.10], 12, (1.1 * 0.9) ** 6 - 1),
    ([0.21], 1, 0.21),
    ([0.0, 0.0, 0.0], 12, 0.0),
    ([], 12, float("nan")),
])
def test_cagr(returns, ppy, expected):
    got = cagr(returns, ppy)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected)


@pytest.mark.parametrize("fn,args,expected", [
    (annual_volatility, ([0.01, -0.01], 12), 0.0141421356 * SQ12),
    (annual_volatility, ([0.05], 12), float("nan")),
    (sharpe_ratio, ([0.02, 0.00, 0.01], 0.0, 12), 1.0 * SQ12),          # mean 0.01, sd 0.01
    (sharpe_ratio, ([0.03, 0.01, 0.02], 0.01, 12), 1.0 * SQ12),         # same after the risk-free rate
    (sharpe_ratio, ([0.01, 0.01], 0.0, 12), float("nan")),              # zero variance
    (sortino_ratio, ([0.02, -0.01, 0.02, -0.01], 0.0, 12), 0.06 / (math.sqrt(5e-5) * SQ12)),
    (sortino_ratio, ([0.01, 0.02], 0.0, 12), float("nan")),             # no downside
    (max_drawdown, ([0.10, -0.50, 0.20],), 0.55 / 1.10 - 1),
    (max_drawdown, ([0.10, 0.10],), 0.0),
    (max_drawdown, ([-0.20, 0.10, -0.10],), 0.792 - 1),
])
def test_single_series_metrics(fn, args, expected):
    got = fn(*args)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("fn,r,b,expected", [
    (beta, [0.02, -0.04, 0.06], [0.01, -0.02, 0.03], 2.0),
    (beta, [0.05, 0.05, 0.05], [0.01, -0.02, 0.03], 0.0),
    (tracking_error, [0.02, 0.00], [0.01, 0.01], 0.0141421356 * SQ12),
    (information_ratio, [0.03, 0.01], [0.01, 0.01], 0.12 / (0.0141421356 * SQ12)),
    (information_ratio, [0.02, 0.02], [0.01, 0.01], float("nan")),      # TE 0
])
def test_relative_metrics(fn, r, b, expected):
    got = fn(r, b) if fn is beta else fn(r, b, 12)
    assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("w,b,expected", [
    ({"A": 0.5, "B": 0.5}, {"A": 1.0}, 0.5),
    ({"A": 1.0}, {"B": 1.0}, 1.0),
    ({"A": 0.3, "B": 0.7}, {"A": 0.3, "B": 0.7}, 0.0),
    ({"A": 3.0, "B": 1.0}, {"A": 0.5, "B": 0.5}, 0.25),  # each side normalised first
])
def test_active_share_table(w, b, expected):
    assert active_share(w, b) == pytest.approx(expected)


weights_st = st.dictionaries(st.sampled_from(list("ABCDEFG")), st.floats(0.01, 10), min_size=1, max_size=7)


@given(w=weights_st, b=weights_st, k=st.floats(0.01, 100), seed=st.integers(0, 1000))
def test_active_share_properties(w, b, k, seed):
    a = active_share(w, b)
    assert 0 <= a <= 1 + 1e-12
    assert a == pytest.approx(active_share(b, w))                      # symmetric
    ws = pd.Series(w).sample(frac=1, random_state=seed) * k
    assert active_share(ws, b) == pytest.approx(a)                      # scale and order invariant


@given(r=st.lists(st.floats(-0.2, 0.2), min_size=3, max_size=40), k=st.floats(0.1, 10), seed=st.integers(0, 99))
def test_return_metric_properties(r, k, seed):
    arr = np.asarray(r)
    if np.std(arr) < 1e-9:
        return
    assert sharpe_ratio(arr * k) == pytest.approx(sharpe_ratio(arr), rel=1e-6, abs=1e-9)          # scale-free
    perm = np.random.default_rng(seed).permutation(arr)
    assert sharpe_ratio(perm) == pytest.approx(sharpe_ratio(arr), rel=1e-9, abs=1e-12)              # order-free
    assert annual_volatility(arr * k) == pytest.approx(k * annual_volatility(arr), rel=1e-9)
    assert cagr(perm) == pytest.approx(cagr(arr), rel=1e-9, abs=1e-12)
    assert max_drawdown(arr) <= 0
    assert tracking_error(arr, arr) == pytest.approx(0.0, abs=1e-12)
    assert beta(arr, arr) == pytest.approx(1.0)


def test_performance_table_uses_monthly_returns():
    idx = pd.bdate_range("2020-01-01", "2021-12-31")
    rng = np.random.default_rng(0)
    r = pd.Series(rng.normal(0.0005, 0.01, len(idx)), index=idx)
    b = pd.Series(rng.normal(0.0004, 0.01, len(idx)), index=idx)
    t = performance_table(r, b)
    m = (1 + r).resample("ME").prod() - 1
    bm = (1 + b).resample("ME").prod() - 1
    assert t.at["n_months", "strategy"] == 24
    assert t.at["sharpe", "strategy"] == pytest.approx(sharpe_ratio(m, 0, 12))
    assert t.at["tracking_error", "strategy"] == pytest.approx(tracking_error(m, bm, 12))
    assert t.at["max_drawdown", "strategy"] == pytest.approx(max_drawdown(r))
    assert t.at["beta", "benchmark"] == 1.0


# ------------------------------------------------------------------------------------------------ engine
def two_asset_prices():
    """SYNTHETIC: A +10 % on Jan 31, B +10 % on Feb 1, nothing else moves."""
    idx = pd.DatetimeIndex(["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-29"])
    return pd.DataFrame({"A": [100, 110, 110, 110], "B": [50, 50, 55, 55]}, index=idx, dtype="float64")


class TestEngine:
    def test_rebalance_dates(self):
        idx = pd.bdate_range("2024-01-15", "2024-07-10")
        assert [d.strftime("%m-%d") for d in rebalance_dates(idx, "M")] == [
            "01-15", "01-31", "02-29", "03-29", "04-30", "05-31", "06-28"]
        assert [d.strftime("%m-%d") for d in rebalance_dates(idx, "Q")] == ["01-15", "03-29", "06-28"]
        with pytest.raises(ConfigError, match="`rebalance` must be 'M'"):
            rebalance_dates(idx, "W")
        with pytest.raises(ConfigError, match="need at least 2"):
            rebalance_dates(idx, "M", start="2030-01-01")

    def test_hand_computed_path(self):
        px = two_asset_prices()
        res = run_backtest(px, lambda d: pd.Series({"A": 0.5, "B": 0.5}), cost_bps=10)
        drift_a = 0.55 / 1.05
        traded = 2 * (drift_a - 0.5)
        assert list(res.weights.index.strftime("%m-%d")) == ["01-30", "01-31"]
        assert res.turnover.tolist() == pytest.approx([0.0, traded / 2])
        assert res.costs.tolist() == pytest.approx([0.0, 10e-4 * traded])
        assert res.gross_returns.tolist() == pytest.approx([0.05, 0.05, 0.0])
        assert res.returns.tolist() == pytest.approx([0.05, 1.05 * (1 - 10e-4 * traded) - 1, 0.0])
        assert res.returns.index[0] == pd.Timestamp("2024-01-31")  # weights set at a close earn from the next day

    def test_costs_only_lower_returns(self):
        px = two_asset_prices()
        fn = lambda d: pd.Series({"A": 0.5, "B": 0.5})  # noqa: E731
        free = run_backtest(px, fn, cost_bps=0)
        pd.testing.assert_series_equal(free.returns, free.gross_returns, check_names=False)
        dear = run_backtest(px, fn, cost_bps=50)
        assert (1 + dear.returns).prod() < (1 + free.returns).prod()

    def test_mapping_source_is_point_in_time(self):
        px = two_asset_prices()
        plan = {pd.Timestamp("2024-01-01"): pd.Series({"A": 1.0}),
                pd.Timestamp("2024-01-31"): pd.Series({"B": 1.0}),
                pd.Timestamp("2024-02-15"): pd.Series({"A": 1.0})}   # decided after the last rebalance: unused
        res = run_backtest(px, plan, cost_bps=0)
        assert res.weights.loc["2024-01-30"].to_dict() == {"A": 1.0, "B": 0.0}
        assert res.weights.loc["2024-01-31"].to_dict() == {"A": 0.0, "B": 1.0}
        assert res.returns.tolist() == pytest.approx([0.10, 0.10, 0.0])

    def test_unlisted_names_are_dropped_and_cash_earns_nothing(self):
        px = two_asset_prices()
        px.loc[:"2024-01-30", "B"] = np.nan  # B lists on Jan 31
        res = run_backtest(px, lambda d: pd.Series({"A": 0.5, "B": 0.25, "CASH": 0.25}), cost_bps=0)
        assert res.weights.loc["2024-01-30", "B"] == 0.0
        assert res.weights.loc["2024-01-30", "A"] == pytest.approx(0.5 / 0.75)
        assert res.weights.loc["2024-01-31", "CASH"] == pytest.approx(0.25)
        assert any("dropped" in n for n in res.notes)

    def test_benchmarks(self):
        px = two_asset_prices()
        fn = lambda d: pd.Series({"A": 1.0})  # noqa: E731
        r = run_backtest(px, fn, benchmark="B", cost_bps=0)
        assert r.benchmark_returns.tolist() == pytest.approx([0.0, 0.10, 0.0])
        r = run_backtest(px, fn, benchmark=lambda d: pd.Series({"A": 0.5, "B": 0.5}), cost_bps=0)
        assert r.active_share.tolist() == pytest.approx([0.5, 0.5])
        assert r.metrics.at["active_share", "strategy"] == pytest.approx(0.5)
        with pytest.raises(ConfigError, match="`benchmark` 'SPY' is not a column"):
            run_backtest(px, fn, benchmark="SPY")

    def test_bad_inputs(self):
        px = two_asset_prices()
        with pytest.raises(ConfigError, match="name tickers without prices"):
            run_backtest(px, lambda d: pd.Series({"Z": 1.0}))
        with pytest.raises(ConfigError, match="`cost_bps` must be"):
            run_backtest(px, lambda d: pd.Series({"A": 1.0}), cost_bps=-1)
        with pytest.raises(ConfigError, match="long only"):
            run_backtest(px, lambda d: pd.Series({"A": 1.5, "B": -0.5}))

    def test_prices_not_modified(self):
        px = two_asset_prices()
        copy = px.copy()
        run_backtest(px, lambda d: pd.Series({"A": 1.0}))
        pd.testing.assert_frame_equal(px, copy)

    def test_future_prices_cannot_change_optimised_weights(self):
        rng = np.random.default_rng(1)
        idx = pd.bdate_range("2020-01-01", "2021-06-30")
        tick = [f"S{i}" for i in range(6)]
        px = pd.DataFrame(100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(idx), 6)), axis=0)), idx, tick)
        scores = pd.DataFrame({"composite": [80, 60, 40, 20, np.nan, 50.0]}, index=tick)
        base = lambda d: pd.Series(1 / 6, index=tick)  # noqa: E731
        t = pd.Timestamp("2021-01-29")
        shocked = px.copy()
        shocked.loc[shocked.index > t] *= np.exp(rng.normal(0, 0.2, (int((shocked.index > t).sum()), 6)))
        a = strategy_weights("optimised", base, lambda d: scores, prices=px, lookback=200)(t)
        b = strategy_weights("optimised", base, lambda d: scores, prices=shocked, lookback=200)(t)
        pd.testing.assert_series_equal(a, b)
        assert not a.equals(base(t))


# ------------------------------------------------------------------------------------------------ point in time
@pytest.fixture(scope="module")
def future_disclosures(disclosures):
    """The bundled disclosures plus SYNTHETIC fake figures for Broadcom FY2025 (public from 2026-05-02)."""
    rows = []
    template = disclosures[disclosures["ticker"] == "AVGO"].iloc[0]
    for metric, value, unit in [("water_consumption_m3", 1.0, "m3"), ("hardware_reuse_recycling_pct", 99.0, "%"),
                                ("server_useful_life_years", 9.0, "years"), ("pue", 1.01, "ratio"),
                                ("revenue_usd_m", 60000.0, "USD millions")]:
        r = template.copy()
        r["fiscal_year"], r["metric"], r["value"], r["unit"] = 2025, metric, value, unit
        r["basis"], r["scope_note"], r["report_edition"] = "", "", pd.NA
        r["source_title"] = "SYNTHETIC future figure (test only)"
        r["published_on"] = pd.Timestamp("2026-05-02")  # dated: public from its publication date
        rows.append(r)
    return pd.concat([disclosures, pd.DataFrame(rows)], ignore_index=True)


class TestPointInTime:
    def test_future_disclosure_cannot_change_weights_before_publication(self, disclosures, future_disclosures,
                                                                        companies):
        before, after = pd.Timestamp("2026-04-30"), pd.Timestamp("2026-05-29")
        base_w = pd.Series(1.0, index=companies["ticker"]) / len(companies)

        from esglib.scoring import ScoreConfig

        rate_all = ScoreConfig(min_coverage=0.0, min_kpi_share=0.0)  # every composite counts, so weights can move

        def weights(d, t):
            panel = point_in_time_scores([t], d, companies, rate_all)
            return strategy_weights("tilt", lambda _: base_w, panel.__getitem__)(t)

        pd.testing.assert_series_equal(weights(disclosures, before), weights(future_disclosures, before))
        # the same figures do change the weights once they are public (so the test has teeth)
        assert not weights(disclosures, after).equals(weights(future_disclosures, after))

    def test_scores_cached_per_information_set(self, disclosures, companies):
        from esglib.inputs import figure_publication

        known = figure_publication(disclosures, companies)["known_from"]
        # two days with no publication between them, and the day a figure became public after them
        gap_start = pd.Timestamp("2023-01-01")
        nxt = known[known > gap_start].min()
        dates = pd.DatetimeIndex([gap_start, nxt - pd.Timedelta(days=1), nxt])
        panel = point_in_time_scores(dates, disclosures, companies)
        assert panel[dates[0]] is panel[dates[1]]  # nothing became public in between
        assert panel[dates[2]] is not panel[dates[1]]  # a new figure is a new information set
        assert panel[dates[0]].attrs["as_of"] == "2023-01-01"

    def test_screens_hold_base_weights_before_any_rating(self, disclosures, companies):
        t = pd.Timestamp("2019-06-28")
        panel = point_in_time_scores([t], disclosures, companies)
        base_w = pd.Series({"MSFT": 0.5, "GOOGL": 0.5})
        log: list = []
        w = strategy_weights("best-in-class", lambda _: base_w, panel.__getitem__, fallbacks=log)(t)
        pd.testing.assert_series_equal(w, base_w)
        assert log and log[0][1] == "no company had a composite yet"


# ------------------------------------------------------------------------------------------------ integration
@pytest.fixture(scope="module")
def snapshot_prices(companies):
    """Total-return prices of the universe and SPY from the bundled snapshot (esglib.market, offline)."""
    from esglib import market

    tickers = sorted(set(companies["yahoo_ticker"])) + ["SPY"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TCEHY/BIDU/IRM have no prices: named in attrs["missing"]
        px = market.prices(tickers, source="snapshot", adjust="total")
    assert {"TCEHY", "BIDU"} <= set(px.attrs["missing"])
    return px


class TestSnapshotIntegration:
    def test_esg_backtest_on_the_snapshot(self, snapshot_prices, disclosures, companies):
        res = esg_backtest("tilt", benchmark="SPY", start="2022-06-01", rebalance="Q", cost_bps=10,
                           prices=snapshot_prices, disclosures=disclosures, companies=companies)
        m = res.metrics
        assert list(m.columns) == ["strategy", "base", "benchmark", "strategy_vs_base"]
        assert {"cagr", "volatility", "sharpe", "sortino", "max_drawdown", "beta", "tracking_error",
                "information_ratio", "active_share", "turnover_annual"} <= set(m.index)
        assert res.returns.index[0] > pd.Timestamp("2022-06-01")
        assert res.returns.notna().all() and res.benchmark_returns.notna().all()
        assert res.weights.sum(axis=1).to_numpy() == pytest.approx(1.0)
        assert (res.weights >= 0).all().all()
        assert res.params["base"] == "equal-weight universe"
        d = res.to_dict()
        assert d["n_rebalances"] == len(res.weights)

    def test_bundled_prices_come_from_esglib_market(self, disclosures, companies):
        from esglib import bundled

        holdings = pd.Series({"GOOGL": 0.4, "MSFT": 0.3, "TCEHY": 0.2, "CASH": 0.1})
        with pytest.raises(ConfigError, match="`prices` is required"):  # the library never fetches by itself
            esg_backtest("exclusion", holdings=holdings, disclosures=disclosures, companies=companies)
        with pytest.raises(ConfigError, match="takes no `source`"):
            esg_backtest("exclusion", holdings=holdings, source="snapshot", disclosures=disclosures,
                         companies=companies)
        px = bundled.prices(companies, holdings=holdings, benchmark="SPY", end="2025-12-31", source="snapshot")
        res = esg_backtest("exclusion", holdings=holdings, benchmark="SPY", start="2025-01-01", end="2025-12-31",
                           rebalance="Q", prices=px, disclosures=disclosures, companies=companies, min_rating="BBB")
        assert any("TCEHY" in n for n in res.notes)
        assert "CASH" in res.weights.columns
        assert res.params["source"] == "snapshot"

    def test_bad_strategy_and_benchmark(self, snapshot_prices, disclosures, companies):
        with pytest.raises(ConfigError, match="`strategy` must be one of"):
            esg_backtest("momentum", prices=snapshot_prices, disclosures=disclosures, companies=companies)
        with pytest.raises(ConfigError, match="`benchmark` 'NOPE' has no prices"):
            esg_backtest("tilt", benchmark="NOPE", prices=snapshot_prices, disclosures=disclosures,
                         companies=companies)


@pytest.mark.parametrize("metric", ["cagr", "annual_volatility", "sharpe_ratio", "sortino_ratio", "max_drawdown"])
def test_metrics_work_per_column_on_a_frame(metric):
    """A DataFrame gives one value per column (never one pooled number); a 2-D array is refused."""
    import esglib.backtest as bt

    frame = pd.DataFrame({"a": [0.01, 0.02, -0.01, 0.03], "b": [0.0, -0.02, 0.05, 0.01]})
    fn = getattr(bt, metric)
    got = fn(frame)
    assert isinstance(got, pd.Series) and list(got.index) == ["a", "b"]
    for col in frame:
        assert got[col] == pytest.approx(fn(frame[col]), nan_ok=True)
    with pytest.raises(ConfigError, match="1-D"):
        fn(frame.to_numpy())


def test_pair_metrics_per_column_against_one_benchmark():
    import esglib.backtest as bt

    frame = pd.DataFrame({"a": [0.01, 0.02, -0.01, 0.03], "b": [0.0, -0.02, 0.05, 0.01]})
    bench = pd.Series([0.01, 0.0, 0.01, 0.02])
    got = bt.beta(frame, bench)
    assert got["a"] == pytest.approx(bt.beta(frame["a"], bench))
    with pytest.raises(ConfigError, match="1-D"):
        bt.tracking_error(frame.to_numpy(), np.zeros((4, 2)))


@pytest.fixture(scope="module")
def full(snapshot_prices, disclosures, companies):
    """The tilt backtest over the whole snapshot, quarterly (the demo's and notebook 04's run)."""
    return esg_backtest("tilt", benchmark="SPY", rebalance="Q", prices=snapshot_prices, disclosures=disclosures,
                        companies=companies)


class TestScoredPeriod:
    """One helper states the scored period for the CLI, the demo and notebook 04 (issue 14)."""

    def test_scored_period_names_the_first_scored_rebalance(self, full):
        p = full.params
        n, m = p["n_scored_rebalances"], p["n_rebalances"]
        assert 0 < n < m  # the early years have no composite yet
        first = pd.Timestamp(p["scored_from"])
        assert first in full.weights.index
        text = scored_period(full)
        assert text.startswith(f"scored from {first.date()}: {n} of {m} rebalances had scores")
        assert f"the {m - n} before held the unscreened base" in text
        # before the first scores the strategy holds the base exactly
        assert full.weights.index[m - n] == first

    def test_starting_at_the_scored_date_states_the_same_date(self, full, snapshot_prices, disclosures, companies):
        start = full.params["scored_from"]
        late = esg_backtest("tilt", benchmark="SPY", rebalance="Q", start=start, prices=snapshot_prices,
                            disclosures=disclosures, companies=companies)
        n = late.params["n_scored_rebalances"]
        assert scored_period(late) == f"scored from {start}: {n} of {n} rebalances had scores"

    def test_scored_returns_start_at_the_scored_date(self, full):
        sr = scored_returns(full)
        assert list(sr.columns) == ["strategy", "base", "benchmark"]
        assert sr.index[0] >= pd.Timestamp(full.params["scored_from"])
        before = full.returns.loc[: pd.Timestamp(full.params["scored_from"])].iloc[1:]
        pd.testing.assert_series_equal(before, full.base_returns.loc[before.index], check_names=False, atol=1e-12)

    def test_a_plain_backtest_has_no_scored_period(self):
        px = two_asset_prices()
        res = run_backtest(px, {px.index[0]: pd.Series({"A": 0.5, "B": 0.5})})
        with pytest.raises(ConfigError, match="not an esg_backtest result"):
            scored_period(res)
