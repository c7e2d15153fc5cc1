"""Portfolio sub-commands: ``screen`` (holdings summary before and after a screen) and ``backtest``.

Both print a readable table by default and machine-readable JSON with ``--json`` (numbers as fractions, NaN as
null). Heavy modules are imported inside the handlers. User mistakes raise :class:`~esglib.errors.EsglibError`
subclasses, which :func:`esglib.app.cli.main` turns into one message and exit status 2.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["register"]

_FIGURES = (("composite", "0-100", "{:.1f}"), ("energy", "0-100", "{:.1f}"), ("water", "0-100", "{:.1f}"),
            ("procurement", "0-100", "{:.1f}"), ("circularity", "0-100", "{:.1f}"), ("disclosure", "0-100", "{:.1f}"),
            ("waci", "tCO2e/USD m revenue", "{:.2f}"), ("carbon_footprint", "tCO2e/USD m invested", "{:.2f}"),
            ("financed_emissions", "tCO2e", "{:,.0f}"), ("electricity_intensity", "MWh/USD m revenue", "{:.1f}"),
            ("water_intensity", "m3/USD m revenue", "{:.1f}"))


#: Holdings listed on screen by ``screen`` (the largest by weight); ``--out``/``--json`` give every one.
_MAX_ROWS_SHOWN = 25


def _date(value: str | None, flag: str):
    if value is None:
        return None
    import pandas as pd

    from esglib.errors import ConfigError

    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ConfigError(f"`{flag}` must be a date such as 2021-06-30, got {value!r}") from None


def _flags(text: str | None) -> tuple[str, ...]:
    return tuple(f.strip() for f in (text or "").split(",") if f.strip())


def _share(value: str) -> float:
    try:
        v = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1], got {value!r}") from None
    if not 0 < v <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value!r}")
    return v


def _nonneg(value: str) -> float:
    try:
        v = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {value!r}") from None
    if not v >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value!r}")
    return v


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``screen`` and ``backtest`` to the top-level parser."""
    p = sub.add_parser(
        "screen", help="score a holdings file and show it before and after an ESG screen",
        description="Load a holdings CSV/XLSX (Symbol/Ticker plus Market Value, Weight or Quantity; cash lines "
                    "kept as cash), summarise its scores and footprint (composite, pillars, WACI, carbon footprint, "
                    "electricity and water intensity, weight in flagged companies) and, with any screen option, "
                    "the same after the screen. Screens apply in the order exclusion, best-in-class, tilt.",
        epilog="Example: esglib screen --holdings data/sample_portfolio.csv --min-rating BB --tilt 1")
    p.add_argument("--holdings", required=True, metavar="PATH", help="holdings CSV or XLSX")
    p.add_argument("--min-rating", metavar="R", help="exclude names rated below R (CCC, B, BB, BBB, A, AA, AAA)")
    p.add_argument("--exclude-flags", metavar="F,...",
                   help="exclude names carrying any of these scoring flags, e.g. certificate_reliance")
    p.add_argument("--best-in-class", type=_share, metavar="SHARE",
                   help="keep the top SHARE (0-1] of each peer group by composite")
    p.add_argument("--tilt", type=_nonneg, metavar="STRENGTH", help="tilt weights by exp(STRENGTH x z-score)")
    p.add_argument("--unrated", choices=("keep", "exclude"),
                   help="unrated holdings: kept (tilt: at half weight) or excluded (default: each screen's own: "
                        "exclusion keeps, best-in-class excludes, tilt halves)")
    p.add_argument("--disclosures", metavar="PATH", help="disclosures CSV/XLSX (default: bundled)")
    p.add_argument("--companies", metavar="PATH", help="company universe (default: bundled)")
    p.add_argument("--as-of", metavar="DATE", help="use only figures public on DATE")
    p.add_argument("--out", metavar="PATH", help="write weights before/after per holding as CSV (atomically)")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(func=_cmd_screen)

    p = sub.add_parser(
        "backtest", help="point-in-time backtest of an ESG strategy against a benchmark (offline snapshot)",
        description="Rebalance an ESG strategy monthly or quarterly, scoring the universe at each date with only "
                    "the figures public then (fiscal-year end + publication lag), with transaction costs; report "
                    "CAGR, volatility, Sharpe, Sortino, max drawdown, beta, tracking error, information ratio, "
                    "active share and turnover for the strategy, its unscreened base and the benchmark, plus a "
                    "Newey-West alpha regression.",
        epilog="Example: esglib backtest --strategy tilt --benchmark SPY --rebalance Q --cost-bps 10")
    p.add_argument("--holdings", metavar="PATH",
                   help="base portfolio (default: equal weight of every universe company with prices)")
    p.add_argument("--strategy", choices=("tilt", "best-in-class", "exclusion", "optimised"), default="tilt")
    p.add_argument("--benchmark", default="SPY", metavar="TICKER",
                   help="benchmark ETF in the snapshot (default SPY), 'equal' (equal-weight universe) or 'base'")
    p.add_argument("--start", metavar="DATE", help="first date (default: start of the price history)")
    p.add_argument("--end", metavar="DATE", help="last date (default: end of the price history)")
    p.add_argument("--rebalance", choices=("M", "Q"), default="M", help="month or quarter ends (default M)")
    p.add_argument("--cost-bps", type=_nonneg, default=10.0, metavar="BPS",
                   help="transaction cost in bps of traded value (default 10)")
    p.add_argument("--source", default="snapshot", choices=("snapshot", "cache", "auto", "yfinance"),
                   help="price source (default snapshot: offline)")
    p.add_argument("--tilt", type=_nonneg, default=1.0, metavar="STRENGTH", help="tilt strength (default 1)")
    p.add_argument("--min-rating", default="BB", metavar="R", help="exclusion floor (default BB; unrated kept)")
    p.add_argument("--exclude-flags", metavar="F,...", help="exclusion flags, e.g. certificate_reliance")
    p.add_argument("--best-in-class", type=_share, default=0.5, metavar="SHARE",
                   help="best-in-class share per peer group (default 0.5)")
    p.add_argument("--target-uplift", type=_nonneg, default=10.0, metavar="POINTS",
                   help="optimised: composite target above the base's (default 10 points)")
    p.add_argument("--out", metavar="PATH", help="write daily returns (strategy, base, benchmark) as CSV")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(func=_cmd_backtest)


# ------------------------------------------------------------------------------------------------ screen
def _market_caps(tickers: list[str]):
    """Return cached market caps (offline) by ticker, or None when the cache cannot be read."""
    import warnings

    from esglib import market

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return market.market_caps(tickers, online=False)
        except Exception:  # a cache problem must not stop a screen: PCAF figures just stay NaN
            return None


def _fmt(v, spec: str) -> str:
    import math

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return spec.format(v)


def _summary_table(before, after=None) -> str:
    lines = [f"{'figure':<30}{'before':>12}{'after':>12}  {'coverage':>17}  unit"]
    def get(s, name):
        if s is None:
            return None
        if name in ("energy", "water", "procurement", "circularity", "disclosure"):
            return s.pillars[name]
        return getattr(s, name)

    def cov(s, name):
        if s is None:
            return ""
        c = {"waci": s.waci_coverage, "carbon_footprint": s.footprint_coverage,
             "financed_emissions": s.footprint_coverage, "electricity_intensity": s.electricity_coverage,
             "water_intensity": s.water_coverage}.get(name, s.score_coverage)
        return f"{c:.0%}"

    for name, unit, spec in _FIGURES:
        cov_txt = cov(before, name) + (f" -> {cov(after, name)}" if after is not None else "")
        after_txt = _fmt(get(after, name), spec) if after else ""
        lines.append(f"{name:<30}{_fmt(get(before, name), spec):>12}{after_txt:>12}  {cov_txt:>17}  {unit}")
    lines.append(f"{'rating':<30}{before.rating:>12}{after.rating if after else '':>12}")
    for key in ("certificate_reliance", "non_disclosure", "not_covered"):
        a = f"{after.flag_weights.get(key, 0.0):.1%}" if after else ""
        lines.append(f"{'weight: ' + key:<30}{before.flag_weights.get(key, 0.0):>12.1%}{a:>12}")
    lines.append(f"{'weight: cash':<30}{before.cash_weight:>12.1%}"
                 f"{(f'{after.cash_weight:.1%}' if after else ''):>12}")
    return "\n".join(lines)


def _cmd_screen(args: argparse.Namespace) -> int:
    import warnings

    import pandas as pd

    from esglib.app import bundled
    from esglib.app.cli._boundary import brief
    from esglib.inputs import DATA_DIR, load_companies, load_disclosures
    from esglib.portfolio import apply_screens, load_holdings, portfolio_summary
    from esglib.portfolio._screens import check_flags
    from esglib.scoring import score

    check_flags(_flags(args.exclude_flags), arg="--exclude-flags")
    companies = load_companies(args.companies) if args.companies else bundled.companies()
    disclosures = load_disclosures(args.disclosures or DATA_DIR / "disclosures.csv", companies)
    as_of = _date(args.as_of, "--as-of")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        holdings = load_holdings(args.holdings, companies, prices=bundled.latest_prices)
    load_notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    scores = score(disclosures, companies=companies, as_of=as_of, fx=bundled.fx_rates())
    caps = _market_caps(holdings.index[holdings["covered"].astype(bool)].tolist())
    before = portfolio_summary(holdings, scores, disclosures, caps, companies=companies, as_of=as_of)
    screening = any(x is not None for x in (args.min_rating, args.best_in_class, args.tilt)) or bool(
        _flags(args.exclude_flags))
    result = after = None
    if screening:
        result = apply_screens(holdings["weight"], scores, min_rating=args.min_rating,
                               exclude_flags=_flags(args.exclude_flags), best_in_class_share=args.best_in_class,
                               tilt=args.tilt, unrated=args.unrated)
        value = before.portfolio_value
        after = portfolio_summary(result.weights, scores, disclosures, caps, companies=companies, as_of=as_of,
                                  portfolio_value=value if value == value else None)
    table = pd.DataFrame({"company": holdings["company"], "peer_group": holdings["peer_group"],
                          "rating": scores["rating"].reindex(holdings.index),
                          "composite": scores["composite"].reindex(holdings.index),
                          "weight_before": holdings["weight"]})
    if result is not None:
        table["weight_after"] = result.weights.reindex(table.index).fillna(0.0)
        reasons = result.excluded.set_index("ticker")["reason"] if len(result.excluded) else pd.Series(dtype=object)
        table["reason"] = reasons.reindex(table.index).fillna("")
    table["covered"] = holdings["covered"]
    table["is_cash"] = holdings["is_cash"]
    table.index.name = "ticker"
    if args.out:
        from esglib.safety import write_csv

        write_csv(args.out, table)
    if args.json:
        out = {"holdings": str(args.holdings), "basis": holdings.attrs.get("basis"),
               "screen": result.method if result is not None else None, "load_warnings": load_notes,
               "before": before.to_dict(), "after": after.to_dict() if after is not None else None,
               "weights": [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
                           for r in table.reset_index().to_dict(orient="records")],
               "excluded": result.excluded.to_dict(orient="records") if result is not None else []}
        from esglib.safety import dump_json

        dump_json(out, sys.stdout)
        return 0
    basis = holdings.attrs.get("basis")
    total = holdings.attrs.get("total_value")
    print(f"{args.holdings}: {len(holdings)} holdings (weights from {basis}"
          + (f", total value {total:,.2f}" if total else "") + ")")
    for n in load_notes:
        print(f"  note: {brief(n)}")
    print(f"screen: {result.method}" if result is not None else
          "screen: none (add --min-rating, --exclude-flags, --best-in-class or --tilt to compare)")
    print()
    print(_summary_table(before, after))
    show = table.copy()
    show["composite"] = show["composite"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}")
    show["rating"] = show["rating"].fillna("-")
    show["peer_group"] = show["peer_group"].fillna("-")
    show["company"] = show["company"].astype(str).str.slice(0, 24)
    for c in ("weight_before", "weight_after"):
        if c in show:
            show[c] = show[c].map(lambda v: f"{v:.1%}")
    print()
    shown = show.drop(columns=["covered", "is_cash"])
    if len(shown) > _MAX_ROWS_SHOWN:  # a summary: the largest holdings; every row goes to --out / --json
        order = table["weight_before"].sort_values(ascending=False, kind="stable").index[:_MAX_ROWS_SHOWN]
        shown = shown.loc[order]
        print(shown.to_string())
        print(f"... {len(show) - _MAX_ROWS_SHOWN:,} smaller holdings not shown (--out FILE writes every holding, "
              "--json prints the full structure)")
    else:
        print(shown.to_string())
    q = (after or before).engagement
    if len(q):
        top = q.drop_duplicates("ticker").head(5)["ticker"].tolist()
        print(f"\nengagement questions ({len(q)} in all; first ones for the largest holdings):")
        for t in top:
            rows = q[q["ticker"] == t].head(3)
            for _, r in rows.iterrows():
                print(f"  {t:<6} {r['question']}")
    notes = list(before.notes) + ([f"after: {n}" for n in after.notes] if after is not None else [])
    print(f"\nfootprint basis: {before.footprint_basis}")
    for n in notes:
        print(f"note: {brief(n)}")
    if args.out:
        print(f"wrote {args.out}")
    return 0


# ------------------------------------------------------------------------------------------------ backtest
def p_is_ticker(benchmark: str) -> bool:
    """Tell whether the benchmark is a ticker (not 'equal' or 'base')."""
    return str(benchmark).lower() not in ("equal", "base")


def _cmd_backtest(args: argparse.Namespace) -> int:
    import pandas as pd

    from esglib.app import bundled
    from esglib.backtest import esg_backtest
    from esglib.portfolio._screens import check_flags

    check_flags(_flags(args.exclude_flags), arg="--exclude-flags")
    start, end = _date(args.start, "--start"), _date(args.end, "--end")
    if start is not None and end is not None and start >= end:
        from esglib.errors import ConfigError

        raise ConfigError(f"`--start` {start.date()} must be before `--end` {end.date()}")
    companies = bundled.companies()
    disclosures = bundled.disclosures()
    holdings = None
    if args.holdings:
        import warnings

        from esglib.portfolio import load_holdings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            holdings = load_holdings(args.holdings, companies, prices=bundled.latest_prices)
    kw = {}
    if args.strategy == "tilt":
        kw["tilt"] = args.tilt
    elif args.strategy == "exclusion":
        kw.update(min_rating=args.min_rating, exclude_flags=_flags(args.exclude_flags))
    elif args.strategy == "best-in-class":
        kw["best_in_class_share"] = args.best_in_class
    else:
        kw["target_uplift"] = args.target_uplift
    res = esg_backtest(args.strategy, holdings=holdings, benchmark=args.benchmark, start=start, end=end,
                       rebalance=args.rebalance, cost_bps=args.cost_bps,
                       prices=bundled.prices(companies, holdings=holdings, benchmark=args.benchmark, end=end,
                                             source=args.source),
                       disclosures=disclosures, companies=companies, fx=bundled.fx_rates(), **kw)
    from esglib.analysis import alpha_regression
    from esglib.backtest import scored_period, scored_returns

    alpha = alpha_base = None
    if res.benchmark_returns.notna().sum() > 90 and p_is_ticker(args.benchmark):
        alpha = alpha_regression(res.returns, res.benchmark_returns)
    scored = scored_returns(res)  # before the first scores the strategy *is* the base: compare where it is not
    if res.base_returns is not None and scored["base"].notna().sum() > 90:
        alpha_base = alpha_regression(scored["strategy"], scored["base"])
    if args.out:
        from esglib.safety import write_csv

        frame = pd.DataFrame({"strategy": res.returns, "base": res.base_returns, "benchmark": res.benchmark_returns})
        frame.index.name = "date"
        write_csv(args.out, frame)
    if args.json:
        out = res.to_dict()
        out["alpha_regression"] = alpha.to_dict() if alpha is not None else None
        out["alpha_vs_base"] = alpha_base.to_dict() if alpha_base is not None else None
        out["scored_period"] = scored_period(res)
        from esglib.safety import dump_json

        dump_json(out, sys.stdout)
        return 0
    p = res.params
    print(f"strategy {p['strategy']} on {p['base']} vs benchmark {p['benchmark']}: {p['start']} .. {p['end']}, "
          f"{p['n_rebalances']} rebalances ({'monthly' if p['rebalance'] == 'M' else 'quarterly'}), "
          f"costs {p['cost_bps']:g} bps, prices: {p['source']}")
    print(scored_period(res))
    m = res.metrics.copy()
    pct = ["cagr", "volatility", "max_drawdown", "tracking_error", "active_share", "turnover_annual"]
    shown = m.astype(object)
    for r in m.index:
        for c in m.columns:
            v = m.at[r, c]
            shown.at[r, c] = ("" if pd.isna(v) else f"{v:.1%}" if r in pct else
                              f"{int(v)}" if r == "n_months" else f"{v:.2f}")
    print()
    print(shown.to_string())
    print("\n(base = the unscreened starting portfolio; strategy_vs_base measures beta, tracking error, "
          "information ratio and active share against it: what the screen added)")
    for label, a in (("vs the unscreened base, scored period (what the screen added)", alpha_base),
                     (f"vs {p['benchmark']} (the AI-sector bet, not the screen)", alpha)):
        if a is None:
            continue
        print(f"\nalpha {label} (monthly excess returns, Newey-West {a.lags} lags): "
              f"{a.alpha_annual:+.2%} a year, t = {a.alpha_t:.2f}, beta {a.beta:.2f}")
        print(f"  conclusion: {a.conclusion}")
    if alpha is not None or alpha_base is not None:
        print(f"  caveat: {(alpha or alpha_base).caveat}")
    for n in res.notes:
        print(f"note: {n}")
    if args.out:
        print(f"wrote {args.out}")
    return 0
