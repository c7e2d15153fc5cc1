"""The demo: the whole chain on the bundled data, writing every output into ``reports/``.

``esglib demo`` (and ``make demo``) runs :func:`run_demo`: score the universe, measure weight sensitivity, screen
the sample portfolio, backtest the screens point in time, write the Excel scorecard and the charts, and print
where everything is.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from esglib.app import _demo_portfolio as demo_portfolio
from esglib.app import bundled
from esglib.app._format import format_scores
from esglib.inputs import REPORTS_DIR, data_as_of, select_figures
from esglib.outputs import plots
from esglib.outputs.excel import write_scorecard
from esglib.safety import write_csv
from esglib.scoring import ScoreConfig, score, sensitivity

__all__ = ['run_demo']


def run_demo(out_dir: str | Path | None = None, quick: bool = False, stream: TextIO | None = None) -> dict[str, Path]:
    """Run the demo chain and return the written files by name.

    Parameters
    ----------
    out_dir : path-like, optional
        Output folder (default: ``reports/``).
    quick : bool
        Skip the slowest step (the optimised strategy's backtest).
    stream : text stream, optional
        Where progress is printed (default: stdout).
    """
    out = Path(out_dir) if out_dir else REPORTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    s = stream or sys.stdout
    written: dict[str, Path] = {}
    t0 = time.perf_counter()

    def step(msg: str) -> None:
        print(f"[{time.perf_counter() - t0:5.1f}s] {msg}", file=s, flush=True)

    step("loading the bundled, cited disclosures")
    companies = bundled.companies()
    disclosures = bundled.disclosures()
    canon = disclosures[~disclosures["metric"].str.startswith("other:")]
    print(f"        {len(disclosures)} figures ({len(canon)} canonical) for {disclosures['ticker'].nunique()} of "
          f"{len(companies)} companies; data as of {data_as_of()}", file=s)

    step("scoring (docs/methodology.md: reference points and peer percentiles, equal pillar weights, "
         "composite withheld below 50% KPI coverage)")
    cfg = ScoreConfig()
    scores = score(disclosures, cfg, companies=companies, fx=bundled.fx_rates())
    written["scores"] = write_csv(out / "scores.csv", scores)
    print(format_scores(scores[scores["composite"].notna()]), file=s)
    n_nr = int(scores["composite"].isna().sum())
    print(f"        + {n_nr} companies not rated (NR): too little disclosure to score honestly", file=s)

    step("weight sensitivity: 10,000 Dirichlet draws around the default weights")
    sens = sensitivity(scores, n=10_000, config=cfg)
    written["sensitivity"] = write_csv(out / "sensitivity.csv", sens)
    print(sens[["rank", "rank_low", "rank_high"]].to_string(), file=s)

    step("charts")
    written["chart_pillars"] = plots.save(plots.pillar_heatmap(scores), out / "pillar_heatmap.png")
    written["chart_composite"] = plots.save(plots.composite_bars(scores, sens), out / "composite.png")
    written["chart_scope2"] = plots.save(plots.scope2_gap(select_figures(disclosures)), out / "scope2_gap.png")
    written["chart_macro"] = plots.save(plots.macro_demand(bundled.macro()), out / "datacentre_demand.png")

    _portfolio_steps(out, scores, disclosures, companies, cfg, quick, step, s, written)

    step("done")
    print("\nOutputs in " + str(out.resolve()) + ":", file=s)
    for name, path in written.items():
        print(f"  {name:<22} {Path(path).name}", file=s)
    return written


def _portfolio_steps(out, scores, disclosures, companies, cfg, quick, step, s, written) -> None:
    """Screen, backtest and scorecard."""
    demo_portfolio.run(out, scores, disclosures, companies, cfg, quick, step, s, written)
    step("Excel scorecard")
    written["scorecard"] = write_scorecard(out / "scorecard.xlsx", scores=scores, disclosures=disclosures,
                                           companies=companies, config=cfg, fx=bundled.fx_rates())
