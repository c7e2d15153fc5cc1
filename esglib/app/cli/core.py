"""Core sub-commands: ``score``, ``validate``, ``explain`` and ``demo``."""

from __future__ import annotations

import argparse
import sys

from esglib.app._format import format_scores
from esglib.safety import terminal_text

__all__ = ["register", "format_scores", "add_data_args", "config_from_args", "check_year"]


def add_data_args(p: argparse.ArgumentParser) -> None:
    """Add the shared data and scoring options (--disclosures, --companies, --year, --weights, ...)."""
    p.add_argument("--disclosures", metavar="PATH", help="disclosures CSV/XLSX (default: bundled data/disclosures.csv)")
    p.add_argument("--companies", metavar="PATH",
                   help="company universe CSV/XLSX (default: bundled data/companies.csv)")
    p.add_argument("--year", type=int, metavar="Y",
                   help="historical view: KPIs from fiscal years Y-2..Y (default: per KPI, the latest figure "
                        "published by --as-of)")
    p.add_argument("--as-of", dest="as_of", metavar="DATE",
                   help="point in time, YYYY-MM-DD: use only figures published on or before DATE (undated figures "
                        "count from fiscal-year end + 365 days); default: the data's as-of date")
    p.add_argument("--weights", metavar="P=W,...",
                   help="pillar weights, e.g. energy=0.3,water=0.2,procurement=0.3,circularity=0.1,disclosure=0.1 "
                        "(pillars not named keep the default 0.2)")
    p.add_argument("--aggregation", choices=("arithmetic", "geometric"), help="pillar aggregation (default arithmetic)")
    p.add_argument("--min-coverage", type=float, metavar="X",
                   help="withhold the composite below this weighted-KPI coverage 0..1 (default 0.5)")
    add_max_rows_arg(p)


def add_max_rows_arg(p: argparse.ArgumentParser) -> None:
    """Add ``--max-rows N``: the row limit of a disclosures CSV (default 500,000)."""
    p.add_argument("--max-rows", type=_positive_int, metavar="N",
                   help="read a disclosures CSV of up to N data rows (default 500,000: a bigger file is refused "
                        "before parsing unless this raises the limit)")


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of rows, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number of rows, got {text!r}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    """Add the core sub-commands to the top-level parser."""
    p = sub.add_parser("score", help="score every company (table on screen, or CSV with --out)",
                       description="Score every company in the universe on energy, water, procurement, "
                                   "circularity and disclosure, with a composite, an esglib rating (AAA..CCC on seven "
                                   "equal-width bands of the 0-100 composite; not MSCI ESG Ratings, which rate "
                                   "industry key issues across E, S and G), coverage and flags. Rules: "
                                   "docs/methodology.md.")
    add_data_args(p)
    p.add_argument("--out", metavar="PATH", help="write the scores as CSV (atomically) instead of printing a table")
    p.add_argument("--all", action="store_true", help="show every column (flags, indicative composite)")
    p.add_argument("--engine", choices=("pandas", "dask"), default="pandas",
                   help="pandas (default, one process) or dask (a dask.distributed cluster; --disclosures may then "
                        "be a glob of CSV files or a folder of Parquet parts)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --engine dask: address of a running scheduler, e.g. tcp://10.0.0.5:8786 (default: "
                        "start a local cluster for this run)")
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser("validate", help="check a disclosures file (CSV or filled Excel template)",
                       description="Validate a disclosures CSV/XLSX. Exit 0 with a one-line summary when valid; "
                                   "exit 2 listing every problem (file, row, column or cell, rule, value) when not.")
    p.add_argument("path", help="disclosures CSV or XLSX")
    p.add_argument("--companies", metavar="PATH", help="company universe (default: bundled)")
    add_max_rows_arg(p)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("explain", help="explain one company's score metric by metric",
                       description="Show, for one company, each metric's raw value, unit, year, source, peer "
                                   "percentile, weight and contribution; contributions add up to the composite.")
    p.add_argument("ticker", help="ticker, e.g. GOOGL")
    add_data_args(p)
    p.add_argument("--out", metavar="PATH", help="write the explanation as CSV")
    p.set_defaults(func=_cmd_explain)

    p = sub.add_parser("demo", help="run the whole chain on the bundled data and write reports/",
                       description="Score the bundled universe, screen the sample portfolio, backtest the screens, "
                                   "and write the Excel scorecard and charts into reports/.")
    p.add_argument("--out-dir", metavar="DIR", help="output folder (default: reports/)")
    p.add_argument("--quick", action="store_true", help="skip the slower steps (optimised backtest)")
    p.set_defaults(func=_cmd_demo)


def config_from_args(args: argparse.Namespace):
    """The :class:`~esglib.scoring.ScoreConfig` the options in ``args`` ask for."""
    from esglib.scoring import ScoreConfig, parse_weights

    cfg = ScoreConfig()
    if getattr(args, "weights", None):
        cfg = parse_weights(args.weights, cfg)
    changes = {}
    if getattr(args, "aggregation", None):
        changes["aggregation"] = args.aggregation
    if getattr(args, "min_coverage", None) is not None:
        changes["min_coverage"] = args.min_coverage
    return cfg.replace(**changes) if changes else cfg


def _inputs(args: argparse.Namespace):
    from esglib.app import bundled
    from esglib.inputs import DATA_DIR, load_companies, load_disclosures

    companies = load_companies(args.companies) if getattr(args, "companies", None) else bundled.companies()
    disclosures = load_disclosures(getattr(args, "disclosures", None) or DATA_DIR / "disclosures.csv", companies,
                                   max_rows=getattr(args, "max_rows", None))
    check_year(getattr(args, "year", None), disclosures)
    return companies, disclosures


def check_year(year: int | None, disclosures) -> None:
    """Refuse a ``--year`` outside the fiscal years the disclosures cover, naming that range."""
    if year is None or disclosures is None or not len(disclosures):
        return
    from esglib.errors import ConfigError

    years = disclosures["fiscal_year"].dropna()
    lo, hi = int(years.min()), int(years.max())
    if not lo <= int(year) <= hi:
        raise ConfigError(f"`--year` {year} is outside the fiscal years the disclosures cover ({lo}-{hi}): "
                          f"choose a year in {lo}..{hi}, or leave --year out to use each company's latest")


def as_of_from_args(args: argparse.Namespace):
    """The ``--as-of`` date as a Timestamp (None when not given); a malformed date is a ConfigError."""
    text = getattr(args, "as_of", None)
    if not text:
        return None
    import pandas as pd

    from esglib.errors import ConfigError

    try:
        ts = pd.Timestamp(str(text))
    except (TypeError, ValueError):
        ts = pd.NaT
    if pd.isna(ts) or len(str(text).strip()) != 10:
        raise ConfigError(f"`--as-of` must be a date YYYY-MM-DD, got {text!r}")
    return ts


def _fx():
    """The bundled FX rates (cited), for revenue reported in another currency."""
    from esglib.app import bundled

    return bundled.fx_rates()


def _cmd_score(args: argparse.Namespace) -> int:
    from esglib.scoring import score

    cfg = config_from_args(args)
    if args.scheduler and args.engine != "dask":
        from esglib.errors import ConfigError

        raise ConfigError("--scheduler needs --engine dask")
    if args.engine == "dask":
        from esglib.app import bundled
        from esglib.inputs import DATA_DIR, load_companies

        companies = load_companies(args.companies) if args.companies else bundled.companies()
        scores = score(args.disclosures or DATA_DIR / "disclosures.csv", cfg, year=args.year, companies=companies,
                       engine="dask", scheduler=args.scheduler, max_rows=args.max_rows,
                       as_of=as_of_from_args(args), fx=_fx())
    else:
        companies, disclosures = _inputs(args)
        scores = score(disclosures, cfg, year=args.year, companies=companies, as_of=as_of_from_args(args),
                       fx=_fx())
    if args.out:
        from esglib.safety import write_csv

        write_csv(args.out, scores)
        rated = int(scores["composite"].notna().sum())
        print(f"wrote {args.out}: {len(scores)} companies, {rated} with a composite "
              f"(the rest withheld for coverage below {cfg.min_coverage:g})")
        return 0
    print(format_scores(scores, args.all))
    rated = int(scores["composite"].notna().sum())
    print(f"\n{len(scores)} companies, {rated} rated (esglib ratings, not MSCI's); NR = composite withheld (weighted "
          f"KPI coverage below {cfg.min_coverage:.0%} or fewer than {cfg.min_kpi_share:.0%} of applicable KPIs "
          f"disclosed). Figures published by {scores.attrs.get('as_of')}; `esglib explain TICKER` for details; "
          "rules in docs/methodology.md.")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from esglib.app import bundled
    from esglib.inputs import load_companies, load_disclosures

    companies = load_companies(args.companies) if args.companies else bundled.companies()
    d = load_disclosures(args.path, companies, max_rows=args.max_rows)
    canon = d[~d["metric"].str.startswith("other:")]
    print(f"{args.path}: valid: {len(d)} figures ({len(canon)} canonical) for {d['ticker'].nunique()} companies, "
          f"fiscal years {d['fiscal_year'].min()}-{d['fiscal_year'].max()}")
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    import pandas as pd

    from esglib.scoring import explain

    cfg = config_from_args(args)
    companies, disclosures = _inputs(args)
    ex = explain(args.ticker, disclosures, cfg, year=args.year, companies=companies, as_of=as_of_from_args(args),
                 fx=_fx())
    if args.out:
        from esglib.safety import write_csv

        write_csv(args.out, ex, index=False)
        print(f"wrote {args.out}")
        return 0
    a = ex.attrs
    comp = "withheld (coverage too low)" if a["withheld"] else f"{a['composite']:.1f}"
    fy = "-" if pd.isna(a["fiscal_year"]) else int(a["fiscal_year"])
    print(f"{a['ticker']}: composite {comp}, esglib rating {a['rating']}, coverage {a['coverage']:.0%}, fiscal year "
          f"{fy}, figures published by {a.get('as_of')}")
    print(f"flags: {a['flags'] or 'none'}\n")
    show = ex[["pillar", "metric", "value", "unit", "fiscal_year", "published_on", "compared_with", "metric_score",
               "weight_in_pillar", "contribution", "source"]].copy()
    show["value"] = show["value"].map(lambda v: "not disclosed" if pd.isna(v) else f"{v:,.4g}")
    show["fiscal_year"] = show["fiscal_year"].map(lambda v: "" if pd.isna(v) else str(int(v)))
    show["compared_with"] = show["compared_with"].fillna("")
    for c in ("metric_score", "contribution"):
        show[c] = show[c].map(lambda v: "     -" if pd.isna(v) else f"{v:6.2f}")
    show["weight_in_pillar"] = show["weight_in_pillar"].map(lambda v: f"{v:.2f}")
    notes, refs = _footnotes(ex)
    show["source"] = refs
    show = show.rename(columns={"source": "sources"})
    print(show.to_string(index=False))
    if notes:
        print("\nsources:")
        for k, (title, url) in enumerate(notes, start=1):
            print(f"  [{k}] {terminal_text(title, newlines=False)}")
            if url:
                print(f"      {terminal_text(url, newlines=False)}")
    print(f"\ncontributions sum to {ex['contribution'].sum():.2f} (the "
          f"{'indicative ' if a['withheld'] else ''}composite).")
    return 0


def _footnotes(ex) -> tuple[list[tuple[str, str]], list[str]]:
    """Number each distinct source of an explanation: ([(title, url), ...], the ``[1,2]`` marks per row).

    A row's titles and URLs (each ``" | "``-joined) are paired in order; a row whose counts differ lists its
    titles and URLs as separate notes, so no URL is ever dropped.
    """
    import pandas as pd

    notes: list[tuple[str, str]] = []
    marks = []
    for _, r in ex.iterrows():
        title = "" if pd.isna(r.get("source")) else str(r.get("source"))
        url = "" if pd.isna(r.get("source_url")) else str(r.get("source_url"))
        if not url and (title == "not disclosed" or title.endswith("cited figures on file")):
            marks.append("" if title == "not disclosed" else title)
            continue
        titles = [t.strip() for t in title.split(" | ") if t.strip()]
        urls = [u.strip() for u in url.split(" | ") if u.strip()]
        pairs = list(zip(titles, urls, strict=True)) if len(titles) == len(urls) else (
            [(t, "") for t in titles] + [("", u) for u in urls])
        mine = []
        for pair in pairs:
            if pair not in notes:
                notes.append(pair)
            mine.append(notes.index(pair) + 1)
        marks.append("[" + ",".join(str(k) for k in mine) + "]" if mine else "")
    return notes, marks


def _cmd_demo(args: argparse.Namespace) -> int:
    from esglib.app import run_demo

    run_demo(out_dir=args.out_dir, quick=args.quick, stream=sys.stdout)
    return 0
