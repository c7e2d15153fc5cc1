"""Bare pandas baseline for ``esglib score`` from file: read_csv + pivot + groupby percentile rank + to_csv.

Usage: ``python benchmarks/_baseline_score.py COMPANIES.csv DISCLOSURES.csv OUT.csv``. It does the minimum a
scorer must do with the same file (no validation, no units, no figure choice, no KPIs): read both files, one
column per metric for each company's latest year, the percentile rank of every metric within its peer group,
and the answer written as CSV.
"""

import sys

import pandas as pd

companies_path, disclosures_path, out_path = sys.argv[1:4]
companies = pd.read_csv(companies_path)
d = pd.read_csv(disclosures_path)
wide = d.pivot(index=["ticker", "fiscal_year"], columns="metric", values="value").reset_index()
latest = wide.sort_values("fiscal_year").drop_duplicates("ticker", keep="last").set_index("ticker")
peer = latest.index.map(companies.set_index("ticker")["peer_group"])
ranks = latest.drop(columns="fiscal_year").groupby(peer.to_numpy()).rank(pct=True)
ranks.to_csv(out_path)
