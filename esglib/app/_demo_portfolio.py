"""The investor half of the demo: screen the sample portfolio, backtest the screens, regress, chart.

Called by :func:`esglib.demo.run_demo`; kept apart so the demo's scoring half needs no market data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from esglib.analysis import alpha_regression
from esglib.app import bundled
from esglib.atomicio import atomic_write_text
from esglib.backtest import esg_backtest
from esglib.inputs import DATA_DIR
from esglib.outputs import plots
from esglib.portfolio import apply_screens, holdings_weights, load_holdings, portfolio_summary

__all__ = ['run']


SAMPLE_PORTFOLIO = "sample_portfolio.csv"


def run(out: Path, scores, disclosures, companies, cfg, quick: bool, step: Callable[[str], None], s: TextIO,
        written: dict[str, Path]) -> None:
    """Screen the sample portfolio, backtest tilt/best-in-class (and optimised) against SPY, write outputs."""
    import pandas as pd


    step("screening the sample portfolio (data/sample_portfolio.csv): exclude below BB, tilt strength 1")
    holdings = load_holdings(DATA_DIR / SAMPLE_PORTFOLIO, companies, prices=bundled.latest_prices)
    before = portfolio_summary(holdings, scores, disclosures, companies=companies)
    screened = apply_screens(holdings_weights(holdings), scores, min_rating="BB", tilt=1.0)
    after = portfolio_summary(screened.weights, scores, disclosures, companies=companies)
    table = pd.concat({"before": before.to_frame()["value"], "after": after.to_frame()["value"],
                       "unit": before.to_frame()["unit"]}, axis=1)
    print(table.to_string(float_format=lambda v: f"{v:,.2f}"), file=s)
    for note in before.notes[:4]:
        print(f"        note: {note}", file=s)
    written["screen"] = atomic_write_text(out / "screen_weights.csv", screened.to_frame().to_csv())
    payload: dict[str, Any] = {"before": before.to_dict(), "after": after.to_dict(), "method": screened.method}
    written["portfolio_summary"] = atomic_write_text(out / "portfolio_summary.json",
                                                     json.dumps(payload, indent=2, default=str))
    written["engagement"] = atomic_write_text(out / "engagement_questions.csv", before.engagement.to_csv(index=False))

    strategies = ["tilt", "best-in-class"] + ([] if quick else ["optimised"])
    rets: dict[str, pd.Series] = {}
    metrics: dict[str, pd.DataFrame] = {}
    bench = base = None
    shared: dict = {}  # point-in-time scores computed once, shared by every strategy
    px = bundled.prices(companies, benchmark="SPY")  # the bundled snapshot, loaded once for every strategy
    for strat in strategies:
        step(f"point-in-time backtest: {strat} on the universe vs SPY, quarterly, 10 bps costs")
        res = esg_backtest(strat, benchmark="SPY", rebalance="Q", cost_bps=10.0, prices=px, disclosures=disclosures,
                           companies=companies, config=cfg, scores_cache=shared)
        rets[strat] = res.returns
        bench = res.benchmark_returns
        if strat == "tilt":
            base = res.base_returns
        metrics[strat] = res.metrics
    assert bench is not None
    rets["SPY"] = bench
    first = metrics[strategies[0]]
    extra = {"unscreened (equal weight)": first["base"]} if "base" in first.columns else {}
    tbl = pd.concat({k: v["strategy"] for k, v in metrics.items()} | extra | {"SPY": first["benchmark"]}, axis=1)
    print(tbl.to_string(float_format=lambda v: f"{v:8.3f}"), file=s)
    written["backtest_metrics"] = atomic_write_text(out / "backtest_metrics.csv", tbl.to_csv())
    frame = pd.DataFrame(rets).dropna(how="all")
    written["chart_backtest"] = plots.save(plots.cumulative_returns(frame), out / "backtest_cumulative.png")
    written["chart_drawdown"] = plots.save(plots.drawdowns(frame), out / "backtest_drawdowns.png")

    step("Newey-West alpha regressions of the tilt strategy (monthly)")
    pairs = [("SPY", bench)]
    if base is not None:
        pairs.append(("the unscreened universe (what the screen itself added)", base))
    for label, against in pairs:
        reg = alpha_regression(rets["tilt"], against)
        print(f"        vs {label}: alpha {reg.alpha_annual:+.2%} a year (t = {reg.alpha_t:.2f}), beta {reg.beta:.2f}, "
              f"{reg.n_obs} months, {reg.lags} HAC lags", file=s)
        print(f"          reading: {reg.conclusion}", file=s)
        if reg.caveat:
            print(f"          caveat: {reg.caveat}", file=s)
