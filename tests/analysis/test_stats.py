"""esglib.analysis: the Newey-West lag rule, recovery of known coefficients on SYNTHETIC data (time series with
HAC errors, cross-section with peer-group effects), honest conclusions for small or insignificant samples, and
the rule that statsmodels is imported only by esglib.analysis and only when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from esglib.analysis import alpha_regression, cross_section_regression, newey_west_lags, subsequent_returns
from esglib.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("t,lags", [(100, 4), (60, 3), (250, 4), (1000, 6), (30, 3), (12, 2), (1, 1)])
def test_newey_west_lag_rule(t, lags):
    assert newey_west_lags(t) == lags  # floor(4 (T/100)^(2/9)), worked out by hand


def test_newey_west_lag_rule_rejects_zero():
    with pytest.raises(ConfigError, match="`n_obs` must be >= 1"):
        newey_west_lags(0)


def synthetic_monthly(n: int, alpha: float, beta: float, seed: int, noise: float = 0.01,
                      factor_loading: float | None = None):
    """SYNTHETIC monthly returns: r = alpha + beta m [+ s f] + e (AR(1) errors to make HAC matter)."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2000-01-31", periods=n, freq="ME")
    m = rng.normal(0.007, 0.045, n)
    f = rng.normal(0.0, 0.03, n)
    e = np.zeros(n)
    shocks = rng.normal(0, noise, n)
    for i in range(n):
        e[i] = shocks[i] + (0.4 * e[i - 1] if i else 0.0)
    r = alpha + beta * m + (factor_loading * f if factor_loading is not None else 0.0) + e
    return pd.Series(r, idx), pd.Series(m, idx), pd.DataFrame({"SMB": f}, index=idx)


class TestAlphaRegression:
    def test_recovers_known_alpha_and_beta(self):
        r, m, _ = synthetic_monthly(480, alpha=0.004, beta=1.3, seed=0)
        res = alpha_regression(r, m)
        assert res.alpha == pytest.approx(0.004, abs=0.0015)
        assert res.beta == pytest.approx(1.3, abs=0.05)
        assert res.alpha_annual == pytest.approx(12 * res.alpha)
        assert res.alpha_t > 2 and res.alpha_p < 0.05
        assert res.lags == newey_west_lags(480) == 5
        assert "significantly different from zero" in res.conclusion
        assert "HAC" in res.cov_type and "maxlags=5" in res.cov_type

    def test_hac_errors_match_statsmodels_directly(self):
        import statsmodels.api as sm

        r, m, _ = synthetic_monthly(120, alpha=0.0, beta=1.0, seed=1)
        res = alpha_regression(r, m, lags=3)
        fit = sm.OLS(r, sm.add_constant(m.rename("market"))).fit(cov_type="HAC",
                                                                 cov_kwds={"maxlags": 3, "use_correction": True})
        assert res.alpha_t == pytest.approx(fit.tvalues["const"])
        assert res.coefficients.at["market", "std_err"] == pytest.approx(fit.bse["market"])

    def test_recovers_factor_loading(self):
        r, m, f = synthetic_monthly(600, alpha=0.0, beta=0.9, seed=2, factor_loading=0.5)
        res = alpha_regression(r, m, factors=f)
        assert res.coefficients.at["SMB", "coef"] == pytest.approx(0.5, abs=0.05)
        assert res.beta == pytest.approx(0.9, abs=0.05)

    def test_no_alpha_says_no_evidence(self):
        r, m, _ = synthetic_monthly(240, alpha=0.0, beta=1.0, seed=3)
        res = alpha_regression(r, m)
        assert res.alpha_p > 0.05
        assert res.conclusion.startswith("no evidence of alpha")

    def test_short_sample_cannot_conclude(self):
        r, m, _ = synthetic_monthly(20, alpha=0.02, beta=1.0, seed=4)
        res = alpha_regression(r, m)
        assert res.conclusion.startswith("cannot support a conclusion: only 20 monthly observations")

    def test_daily_input_is_compounded_to_months(self):
        rng = np.random.default_rng(5)
        idx = pd.bdate_range("2018-01-01", "2020-12-31")
        m = pd.Series(rng.normal(0.0004, 0.01, len(idx)), idx)
        r = 0.0001 + 1.2 * m + pd.Series(rng.normal(0, 0.003, len(idx)), idx)
        res = alpha_regression(r, m)
        assert res.n_obs == 36
        assert res.beta == pytest.approx(1.2, abs=0.1)

    def test_risk_free_rate(self):
        r, m, _ = synthetic_monthly(240, alpha=0.0, beta=1.0, seed=6)
        # with beta = 1, subtracting the same risk-free rate from both sides leaves alpha unchanged
        a0 = alpha_regression(r, m).alpha
        a1 = alpha_regression(r, m, risk_free=0.05).alpha
        assert a1 == pytest.approx(a0, abs=2e-4)
        with pytest.raises(ConfigError, match="`frequency` must be"):
            alpha_regression(r, m, frequency="Y")

    def test_to_dict_is_json(self):
        import json

        r, m, _ = synthetic_monthly(60, alpha=0.0, beta=1.0, seed=7)
        d = alpha_regression(r, m).to_dict()
        json.dumps(d)
        assert set(d["coefficients"]) == {"const", "market"}


def synthetic_cross_section(n: int, seed: int, slope: float = 0.004):
    """SYNTHETIC companies: ret = slope x energy + peer-group effect + noise."""
    rng = np.random.default_rng(seed)
    groups = np.array(["hyperscaler_cloud", "semiconductors", "hardware"])[rng.integers(0, 3, n)]
    effect = pd.Series({"hyperscaler_cloud": 0.05, "semiconductors": 0.20, "hardware": -0.05})
    scores = pd.DataFrame({p: rng.uniform(0, 100, n) for p in ("energy", "water", "procurement", "circularity",
                                                               "disclosure")},
                          index=[f"C{i:03d}" for i in range(n)])
    scores["peer_group"] = groups
    scores["composite"] = scores[["energy", "water"]].mean(axis=1)
    ret = slope * scores["energy"] + effect.reindex(groups).to_numpy() + rng.normal(0, 0.05, n)
    return pd.Series(ret, index=scores.index), scores


class TestCrossSection:
    def test_recovers_pillar_slope_with_peer_effects(self):
        ret, scores = synthetic_cross_section(400, 0)
        res = cross_section_regression(ret, scores)
        assert "C(peer_group)" in res.formula
        assert res.coefficients.at["energy", "coef"] == pytest.approx(0.004, abs=0.0005)
        assert abs(res.coefficients.at["water", "coef"]) < 0.001
        assert "energy" in res.significant
        assert res.conclusion.startswith("significant at 5%")
        assert res.coefficients.at["C(peer_group)[T.semiconductors]", "coef"] == pytest.approx(0.25, abs=0.03)

    def test_small_sample_says_it_cannot_conclude(self):
        ret, scores = synthetic_cross_section(11, 1)
        res = cross_section_regression(ret, scores)
        assert res.n_obs == 11
        assert "cannot support a conclusion" in res.conclusion or "cannot be estimated" in res.conclusion

    def test_too_few_observations_is_not_fitted(self):
        ret, scores = synthetic_cross_section(6, 2)
        res = cross_section_regression(ret, scores)
        assert res.conclusion.startswith("cannot be estimated: 6 companies for 8 parameters")
        assert res.coefficients.empty

    def test_insignificant_is_said_plainly(self):
        ret, scores = synthetic_cross_section(300, 3, slope=0.0)
        res = cross_section_regression(ret, scores, ["water"])
        assert res.conclusion.startswith("no pillar score is significantly related")

    def test_real_scores_and_snapshot_returns(self, companies, disclosures):
        import warnings

        from esglib import market
        from esglib.scoring import score

        t0 = pd.Timestamp("2024-06-28")
        scores = score(disclosures, companies=companies, as_of=t0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            px = market.prices(sorted(set(companies["yahoo_ticker"])), source="snapshot", adjust="total")
        fwd = subsequent_returns(px, t0, 12)
        res = cross_section_regression(fwd, scores, rated_only=True)
        assert res.n_obs < 30
        assert "cannot" in res.conclusion  # about 11 rated companies cannot support a conclusion

    def test_constant_pillar_left_out(self):
        ret, scores = synthetic_cross_section(100, 4)
        scores = scores.assign(circularity=0.0)
        res = cross_section_regression(ret, scores)
        assert "circularity" not in res.formula and "circularity" in res.caveat

    def test_missing_columns(self):
        ret, scores = synthetic_cross_section(50, 5)
        with pytest.raises(ConfigError, match="lacks column"):
            cross_section_regression(ret, scores.drop(columns="peer_group"))


def test_subsequent_returns():
    idx = pd.bdate_range("2024-01-01", "2025-03-31")
    px = pd.DataFrame({"A": np.linspace(100, 200, len(idx)), "B": 50.0}, index=idx)
    px.loc["2025-01-02":, "B"] = np.nan  # stops trading: last price carried
    r = subsequent_returns(px, "2024-01-31", 12)
    assert r["A"] == pytest.approx(px.loc[:"2025-01-31", "A"].iloc[-1] / px.loc[:"2024-01-31", "A"].iloc[-1] - 1)
    assert r["B"] == pytest.approx(0.0)
    with pytest.raises(ConfigError, match="after the last price"):
        subsequent_returns(px, "2025-01-31", 12)


def test_statsmodels_only_in_stats_and_lazy():
    import re

    pattern = re.compile(r"^\s*(import statsmodels|from statsmodels)", re.MULTILINE)
    for path in (ROOT / "esglib").rglob("*.py"):
        if path.name == "_stats.py":
            continue
        assert not pattern.search(path.read_text(encoding="utf-8")), f"{path} imports statsmodels"
    code = ("import sys, esglib.analysis, esglib.backtest, esglib.portfolio, esglib.portfolio; "
            "print('statsmodels' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
