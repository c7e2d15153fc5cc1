"""Browser sub-commands: ``report`` (one self-contained HTML report of a holdings file) and ``app`` (the screen).

``esglib report --holdings FILE --out report.html`` scores the universe (``--year``/``--as-of``/``--weights`` as
for the other commands), summarises the holdings and the unscreened universe, and writes one HTML file with no
outside resource (:mod:`esglib.outputs.html_report`). ``esglib app`` serves the interactive screen on 127.0.0.1
(:mod:`esglib.app.webapp`, Panel: the ``esglib[app]`` extra). Heavy modules are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import sys

from esglib.app.cli.core import add_data_args

__all__ = ["register"]


def _port(value: str) -> int:
    try:
        v = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number 0-65535, got {value!r}") from None
    if not 0 <= v <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0-65535 (0: any free port), got {value!r}")
    return v


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``report`` and ``app`` to the top-level parser."""
    p = sub.add_parser(
        "report", help="write one self-contained HTML report of a holdings file",
        description="Score a holdings CSV/XLSX and write one HTML file (inline styles and charts, no network): "
                    "the portfolio's AI-footprint profile against the unscreened universe, holdings with ratings, "
                    "the pillar heatmap (rated holdings first, unrated apart), WACI and financed emissions with "
                    "coverage, the engagement list, and every figure with its numbered source link.",
        epilog="Example: esglib report --holdings data/sample_portfolio.csv --out reports/report.html")
    p.add_argument("--holdings", required=True, metavar="PATH", help="holdings CSV or XLSX")
    p.add_argument("--out", required=True, metavar="PATH", help="HTML file to write (atomically)")
    p.add_argument("--title", default="AI-footprint report", help="page title")
    add_data_args(p)  # --disclosures, --companies, --year, --as-of, --weights, ...
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "app", help="the interactive screen in the browser (localhost)",
        description="Serve the investor's screen on http://127.0.0.1:PORT/: upload holdings (or start from "
                    "--holdings), move the pillar weights, set a minimum rating and flags to exclude, and watch "
                    "the table and chart follow. Needs Panel (pip install 'esglib[app]'). Ctrl-C stops it.",
        epilog="Example: esglib app --port 5006 --holdings data/sample_portfolio.csv")
    p.add_argument("--port", type=_port, default=5006, metavar="P", help="port on 127.0.0.1 (default 5006; 0: any)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    p.add_argument("--holdings", metavar="PATH", help="starting holdings (default: data/sample_portfolio.csv)")
    p.add_argument("--as-of", metavar="DATE", help="use only figures public on DATE")
    p.set_defaults(func=_cmd_app)


def _cmd_report(args: argparse.Namespace) -> int:
    import warnings
    from pathlib import Path

    import pandas as pd

    from esglib.app import bundled
    from esglib.app.cli.core import _inputs, config_from_args
    from esglib.app.cli.portfolio import _date, _market_caps
    from esglib.errors import ConfigError
    from esglib.outputs.html_report import render_report, write_report
    from esglib.portfolio import load_holdings, portfolio_summary
    from esglib.scoring import explain_many, score

    inputs = [args.holdings, getattr(args, "disclosures", None), getattr(args, "companies", None)]
    out = Path(args.out)
    for p in filter(None, inputs):
        if Path(p).resolve() == out.resolve():
            raise ConfigError(f"`--out` {args.out!r} is one of the report's inputs; choose another file name")
    cfg = config_from_args(args)
    as_of = _date(args.as_of, "--as-of")
    companies, disclosures = _inputs(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        holdings = load_holdings(args.holdings, companies, prices=bundled.latest_prices)
        fx = bundled.fx_rates()
        scores = score(disclosures, cfg, year=args.year, companies=companies, as_of=as_of, fx=fx)
    notes = list(dict.fromkeys(str(w.message).replace(str(args.holdings), Path(args.holdings).name)
                               for w in caught if issubclass(w.category, UserWarning)))
    caps = _market_caps([t for t in holdings.index if holdings.at[t, "covered"]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = portfolio_summary(holdings, scores, disclosures, caps, companies=companies, as_of=as_of,
                                    config=cfg)
        universe = portfolio_summary(pd.Series(1.0, index=scores.index), scores, disclosures,
                                     companies=companies, as_of=as_of, config=cfg)
        covered = [t for t in holdings.index if t in scores.index]
        explanations = explain_many(covered, disclosures, cfg, year=args.year, companies=companies, as_of=as_of,
                                    fx=fx)
    page = render_report(holdings, scores, summary, explanations, universe=universe, title=args.title,
                         holdings_name=Path(args.holdings).name, as_of=as_of,
                         notes=[n for n in notes if n not in summary.notes])
    target = write_report(page, out, inputs=inputs)
    n_src = page.count('<li id="src-')
    print(f"wrote {target}: {summary.n_holdings} holdings, composite {summary.composite:.1f} ({summary.rating}) vs "
          f"{universe.composite:.1f} for the unscreened universe, {n_src} cited sources ({len(page) / 1e3:.0f} kB)")
    return 0


def _cmd_app(args: argparse.Namespace) -> int:
    import importlib.util

    from esglib.errors import EsglibError

    if importlib.util.find_spec("panel") is None:
        raise EsglibError("`esglib app` needs Panel: pip install 'esglib[app]' (or pip install panel)")
    from esglib.app.cli.portfolio import _date
    from esglib.app.webapp import run

    run(args.holdings, port=args.port, open_browser=not args.no_browser, as_of=_date(args.as_of, "--as-of"),
        stream=sys.stdout)
    return 0
