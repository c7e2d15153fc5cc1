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
from esglib.backtest import esg_backtest, scored_period, scored_returns
from esglib.inputs import DATA_DIR
from esglib.outputs import plots
from esglib.portfolio import apply_screens, holdings_weights, load_holdings, portfolio_summary
from esglib.safety import neutralise_json, write_csv

__all__ = ['run']


SAMPLE_PORTFOLIO = "sample_portfolio.csv"


def run(out: Path, scores, disclosures, companies, cfg, quick: bool, step: Callable[[str], None], s: TextIO,
        written: dict[str, Path]) -> None:
    """Screen the sample portfolio, backtest the screens (headline: against the unscreened base), write outputs."""
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
    written["screen"] = write_csv(out / "screen_weights.csv", screened.to_frame())
    payload: dict[str, Any] = {"before": before.to_dict(), "after": after.to_dict(), "method": screened.method}
    written["portfolio_summary"] = atomic_write_text(out / "portfolio_summary.json",
                                                     json.dumps(neutralise_json(payload), indent=2))
    written["engagement"] = write_csv(out / "engagement_questions.csv", before.engagement, index=False)

    strategies = ["tilt", "best-in-class"] + ([] if quick else ["optimised"])
    results: dict[str, Any] = {}
    shared: dict = {}  # point-in-time scores computed once, shared by every strategy
    px = bundled.prices(companies, benchmark="SPY")  # the bundled snapshot, loaded once for every strategy
    for strat in strategies:
        step(f"point-in-time backtest: {strat} on the unscreened universe, quarterly, 10 bps costs")
        results[strat] = esg_backtest(strat, benchmark="SPY", rebalance="Q", cost_bps=10.0, prices=px,
                                      disclosures=disclosures,
                                      companies=companies, config=cfg, scores_cache=shared, fx=bundled.fx_rates())
    tilt = results["tilt"]
    _headline(tilt, step, s)

    rets = {"unscreened base": tilt.base_returns} | {k: r.returns for k, r in results.items()}
    rets["SPY"] = tilt.benchmark_returns
    metrics = {k: r.metrics for k, r in results.items()}
    first = metrics[strategies[0]]
    tbl = pd.concat({"unscreened base": first["base"]} | {k: v["strategy"] for k, v in metrics.items()}
                    | {"SPY": first["benchmark"]}, axis=1)
    print("        whole run (including the unscored rebalances):", file=s)
    print(tbl.to_string(float_format=lambda v: f"{v:8.3f}"), file=s)
    written["backtest_metrics"] = write_csv(out / "backtest_metrics.csv", tbl)
    frame = pd.DataFrame(rets).dropna(how="all")
    written["chart_backtest"] = plots.save(plots.cumulative_returns(frame, scored_from=tilt.params["scored_from"]),
                                           out / "backtest_cumulative.png")
    written["chart_drawdown"] = plots.save(plots.drawdowns(frame), out / "backtest_drawdowns.png")


def _headline(res, step: Callable[[str], None], s: TextIO) -> None:
    """Print what the screen added (vs the unscreened base, scored period) first, then the SPY comparison."""
    step("headline: what the tilt screen added over the unscreened universe (Newey-West, monthly)")
    print(f"        {scored_period(res)}", file=s)
    scored = scored_returns(res)
    if scored["base"].notna().sum() > 90:
        reg = alpha_regression(scored["strategy"], scored["base"])
        print(f"        vs the unscreened universe (scored period): alpha {reg.alpha_annual:+.2%} a year "
              f"(t = {reg.alpha_t:.2f}), beta {reg.beta:.2f}, {reg.n_obs} months", file=s)
        print(f"          reading: {reg.conclusion}", file=s)
    reg = alpha_regression(res.returns, res.benchmark_returns)
    print(f"        vs SPY, second (the AI-sector bet, not the screen): alpha {reg.alpha_annual:+.2%} a year "
          f"(t = {reg.alpha_t:.2f}), beta {reg.beta:.2f}, {reg.n_obs} months", file=s)
    print("          reading: AI-exposed stocks beat the broad market over this period; the unscreened universe "
          "did too, so this is not evidence for the screen", file=s)
    if reg.caveat:
        print(f"          caveat: {reg.caveat}", file=s)
