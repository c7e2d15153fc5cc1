"""Excel sub-commands: ``scorecard`` (the investment-committee workbook) and ``template`` (the input template)."""

from __future__ import annotations

import argparse

from esglib.app.cli.core import add_data_args, check_year
from esglib.app.cli.core import config_from_args as _config

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``scorecard`` and ``template`` sub-commands to the top-level parser."""
    p = sub.add_parser(
        "scorecard", help="write the Excel scorecard (live formulas, sources, methodology)",
        description="Write an Excel scorecard: a ranked Summary whose composite and rating are live formulas over "
                    "the editable Weights sheet, one sheet per company (metric table with linked sources, chart "
                    "against the peer-group median, flags, engagement questions) when there are at most 60, "
                    "Methodology and Sources. With --holdings the Summary lists the holdings and the portfolio "
                    "summary.",
        epilog="Example: esglib scorecard --weights energy=0.3,water=0.3 --out reports/scorecard.xlsx")
    p.add_argument("--out", metavar="PATH.xlsx", required=True, help="workbook to write (atomically)")
    p.add_argument("--holdings", metavar="PATH", help="holdings CSV/XLSX (esglib.load_holdings)")
    add_data_args(p)
    sheets = p.add_mutually_exclusive_group()
    sheets.add_argument("--company-sheets", dest="company_sheets", action="store_true", default=None,
                        help="always write one sheet per company (default: only up to 60)")
    sheets.add_argument("--no-company-sheets", dest="company_sheets", action="store_false",
                        help="never write per-company sheets")
    p.set_defaults(func=_cmd_scorecard)

    p = sub.add_parser(
        "template", help="write the Excel input template for disclosures",
        description="Write an Excel template for disclosures: Instructions, and a Disclosures sheet with drop-down "
                    "lists (metric, unit, data_quality) and number checks (value, fiscal_year, report_edition). "
                    "Check a filled template with `esglib validate FILE.xlsx`; score it with "
                    "`esglib score --disclosures FILE.xlsx`.")
    p.add_argument("--out", metavar="PATH.xlsx", required=True, help="template to write (atomically)")
    p.set_defaults(func=_cmd_template)


def _holdings(args: argparse.Namespace, scores, disclosures, companies):
    """(holdings, summary, prices_as_of) from ``--holdings``, or a clear error when the portfolio module is absent."""
    from esglib.app import bundled
    from esglib.portfolio import load_holdings, portfolio_summary

    holdings = load_holdings(args.holdings, companies, prices=bundled.latest_prices)
    summary = portfolio_summary(holdings, scores, disclosures, companies=companies, config=scores.attrs.get("config"))
    as_of = None
    if holdings.attrs.get("basis") == "shares":  # weights came from shares x the bundled snapshot's prices
        from esglib.market import snapshot_as_of

        as_of = f"{snapshot_as_of()} (bundled price snapshot)"
    return holdings, summary, as_of


def _cmd_scorecard(args: argparse.Namespace) -> int:
    from esglib.app import bundled
    from esglib.inputs import DATA_DIR, load_companies, load_disclosures
    from esglib.outputs.excel import write_scorecard
    from esglib.outputs.excel._styling import _check_xlsx
    from esglib.scoring import score

    _check_xlsx(args.out, "--out")
    cfg = _config(args)
    companies = load_companies(args.companies) if args.companies else bundled.companies()
    disclosures = load_disclosures(args.disclosures or DATA_DIR / "disclosures.csv", companies,
                                   max_rows=getattr(args, "max_rows", None))
    check_year(args.year, disclosures)
    from esglib.app.cli.core import as_of_from_args

    fx = bundled.fx_rates()
    scores = score(disclosures, cfg, year=args.year, companies=companies, as_of=as_of_from_args(args), fx=fx)
    holdings = summary = prices_as_of = None
    if args.holdings:
        holdings, summary, prices_as_of = _holdings(args, scores, disclosures, companies)
    path = write_scorecard(args.out, scores=scores, disclosures=disclosures, companies=companies, config=cfg,
                           year=args.year, holdings=holdings, summary=summary, prices_as_of=prices_as_of,
                           per_company_sheets=args.company_sheets, fx=fx)
    rows = len(holdings) if holdings is not None else len(scores)
    rated = int(scores["composite"].notna().sum())
    print(f"wrote {path}: {rows} {'holdings' if holdings is not None else 'companies'} ({rated} of {len(scores)} "
          "companies rated); composite and rating are live formulas over the Weights sheet")
    return 0


def _cmd_template(args: argparse.Namespace) -> int:
    from esglib.outputs.excel import write_template

    path = write_template(args.out)
    print(f"wrote {path}: fill the Disclosures sheet, then `esglib validate {path}` and "
          f"`esglib score --disclosures {path}`")
    return 0
