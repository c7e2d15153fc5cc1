"""esglib.portfolio: Ledoit-Wolf covariance against a direct reference implementation, optimiser solutions that
satisfy every constraint (property tests on SYNTHETIC problems), agreement with SLSQP, a two-asset case solved by
hand, infeasibility messages and the trade-off curve."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from esglib.errors import ConfigError
from esglib.portfolio import InfeasibleError, covariance, ledoit_wolf, optimise, tradeoff_curve


def synthetic_problem(n: int, seed: int, unrated_share: float = 0.3, t: int = 300):
    """SYNTHETIC: factor-model returns, random composites (some unrated), intensities and benchmark."""
    rng = np.random.default_rng(seed)
    tick = [f"S{i:03d}" for i in range(n)]
    f = rng.normal(0, 0.01, (t, 2))
    b = rng.normal(1, 0.4, (n, 2))
    r = f @ b.T + rng.normal(0, 0.015, (t, n))
    cov = covariance(pd.DataFrame(r, columns=tick))
    comp = pd.Series(rng.uniform(5, 95, n), index=tick)
    comp[rng.random(n) < unrated_share] = np.nan
    ci = pd.Series(rng.lognormal(3, 1, n), index=tick)
    bench = pd.Series(rng.lognormal(0, 0.7, n), index=tick)
    return bench / bench.sum(), comp, cov, ci


# ------------------------------------------------------------------------------------------------ covariance
def reference_ledoit_wolf(x):
    """Ledoit & Wolf (2004), written out term by term (slow, for checking)."""
    t, n = x.shape
    xc = x - x.mean(axis=0)
    s = xc.T @ xc / t
    mu = np.trace(s) / n
    f = mu * np.eye(n)
    d2 = np.sum((s - f) ** 2) / n
    b2bar = sum(np.sum((np.outer(xc[k], xc[k]) - s) ** 2) / n for k in range(t)) / t**2
    b2 = min(b2bar, d2)
    return b2 / d2 * f + (1 - b2 / d2) * s, b2 / d2


class TestCovariance:
    @pytest.mark.parametrize("t,n,seed", [(40, 5, 0), (15, 30, 1), (200, 3, 2)])
    def test_ledoit_wolf_matches_reference(self, t, n, seed):
        x = np.random.default_rng(seed).normal(size=(t, n))
        cov, delta = ledoit_wolf(x)
        ref, ref_delta = reference_ledoit_wolf(x)
        np.testing.assert_allclose(cov, ref, rtol=1e-10, atol=1e-14)
        assert delta == pytest.approx(ref_delta)
        assert 0 <= delta <= 1
        assert np.linalg.eigvalsh(cov).min() > 0  # well conditioned even when n > t

    def test_sample_method_and_annualisation(self):
        r = pd.DataFrame(np.random.default_rng(3).normal(0, 0.01, (100, 4)), columns=list("ABCD"))
        c = covariance(r, "sample")
        np.testing.assert_allclose(c.to_numpy(), np.cov(r.to_numpy(), rowvar=False) * 252)
        assert c.attrs["shrinkage"] == 0.0 and list(c.index) == list("ABCD")

    def test_short_history_refused(self):
        r = pd.DataFrame({"A": np.r_[np.full(50, np.nan), np.zeros(50)], "B": np.zeros(100)})
        with pytest.raises(ConfigError, match=r"fewer than 60 observations for A \(50\)"):
            covariance(r)
        with pytest.raises(ConfigError, match="`method` must be"):
            covariance(r, "shrunk")


# ------------------------------------------------------------------------------------------------ optimiser
def assert_feasible(res, comp, ci=None, bounds=(0.0, 1.0), target=None, max_waci=None, unrated="zero", tol=1e-7):
    w = res.weights
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    assert (w >= bounds[0] - 1e-12).all() and (w <= bounds[1] + 1e-12).all()
    c = comp.reindex(w.index)
    if unrated == "exclude":
        assert (w[c.isna()] == 0).all()
    if target is not None:
        if unrated == "ignore":
            rated = c.notna()
            assert float((w[rated] * (c[rated] - target)).sum()) >= -tol * 100
        else:
            assert float((w * c.fillna(0)).sum()) >= target - tol * 100
    if max_waci is not None:
        k = ci.reindex(w.index)
        has = k.notna()
        assert float((w[has] * k[has]).sum() / w[has].sum()) <= max_waci * (1 + 1e-7)


class TestOptimise:
    def test_two_assets_by_hand(self):
        # independent assets, vols 20 % and 30 %, benchmark 50/50: composite 50; target 60 forces w_X = 2/3
        cov = pd.DataFrame([[0.04, 0.0], [0.0, 0.09]], index=["X", "Y"], columns=["X", "Y"])
        comp = pd.Series({"X": 80.0, "Y": 20.0})
        bench = pd.Series({"X": 0.5, "Y": 0.5})
        te = math.sqrt(0.04 / 36 + 0.09 / 36)
        for method in ("cvxpy", "interior-point", "slsqp"):
            r = optimise(bench, comp, cov, target=60, method=method)
            assert r.weights["X"] == pytest.approx(2 / 3, abs=1e-7)
            assert r.tracking_error == pytest.approx(te, rel=1e-6)
            assert r.active_share == pytest.approx(1 / 6, abs=1e-7)
            assert r.binding == {"composite": True}
            assert r.benchmark_composite == pytest.approx(50.0)

    def test_target_below_benchmark_returns_the_benchmark(self):
        bench, comp, cov, _ = synthetic_problem(15, 0)
        bc = float((bench * comp.fillna(0)).sum())
        r = optimise(bench, comp, cov, target=bc - 5)
        assert r.tracking_error < 1e-5
        np.testing.assert_allclose(r.weights.to_numpy(), bench.to_numpy(), atol=1e-5)
        assert r.binding["composite"] is False

    @given(seed=st.integers(0, 10_000), n=st.integers(3, 14), frac=st.floats(0.05, 0.95),
           unrated=st.sampled_from(["zero", "exclude", "ignore"]), cap=st.sampled_from([1.0, 0.4]),
           with_waci=st.booleans())
    def test_every_constraint_holds_and_matches_slsqp(self, seed, n, frac, unrated, cap, with_waci):
        bench, comp, cov, ci = synthetic_problem(n, seed)
        if comp.notna().sum() < 2:
            comp.iloc[:2] = [30.0, 70.0]
        cap = max(cap, 1.0 / n + 0.01)
        rated = comp.notna()
        c0 = comp.fillna(0.0)
        # a target between the benchmark and (close to) the best achievable
        order = c0.sort_values(ascending=False)
        best, left = 0.0, 1.0
        for v in order.to_numpy():
            take = min(cap, left)
            best += take * v
            left -= take
        if unrated == "ignore":
            from esglib.portfolio._optimise import _max_rated_composite

            base = float((bench[rated] * comp[rated]).sum() / bench[rated].sum())
            n_ = len(comp)
            top = _max_rated_composite(comp, rated.to_numpy(), np.zeros(n_), np.full(n_, cap))
        else:
            base = float((bench * c0).sum())
            top = best
        base = min(base, top)  # capped weights may put the benchmark itself out of reach
        target = base + frac * (top - base) * 0.95
        max_waci = None
        if with_waci:
            k = ci.reindex(bench.index)
            max_waci = float(k.max())  # loose cap: always satisfiable
        kw = {"carbon_intensity": ci, "max_waci": max_waci, "bounds": (0.0, cap), "unrated": unrated}
        try:
            r = optimise(bench, comp, cov, target=target, **kw)
        except InfeasibleError:
            assert unrated == "exclude"  # excluding unrated names can make a target unreachable
            return
        assert_feasible(r, comp, ci, (0.0, cap), target, max_waci, unrated)
        r2 = optimise(bench, comp, cov, target=target, method="slsqp", **kw)
        assert r.tracking_error <= r2.tracking_error * (1 + 1e-4) + 1e-7
        r3 = optimise(bench, comp, cov, target=target, method="interior-point", **kw)
        assert r.tracking_error == pytest.approx(r3.tracking_error, rel=1e-4, abs=1e-7)

    def test_waci_cap_binds(self):
        bench, comp, cov, ci = synthetic_problem(20, 5)
        bw = float((bench * ci).sum())
        r = optimise(bench, comp, cov, target=0, carbon_intensity=ci, max_waci=0.5 * bw)
        assert r.waci == pytest.approx(0.5 * bw, rel=1e-6)
        assert r.binding["waci"] is True
        assert r.benchmark_waci == pytest.approx(bw)

    def test_500_assets(self):
        bench, comp, cov, ci = synthetic_problem(500, 7, t=750)
        bc = float((bench * comp.fillna(0)).sum())
        r = optimise(bench, comp, cov, target=bc + 10, bounds=(0.0, 0.05), carbon_intensity=ci)
        assert_feasible(r, comp, ci, (0.0, 0.05), bc + 10)
        assert r.message.startswith(("converged", "optimal"))

    def test_ignore_rule_best_accounts_for_bounds(self):
        # rated 30 and 70, one unrated name; caps of 0.4 force 0.2 into the 30: best rated composite is
        # (0.4 x 70 + 0.2 x 30) / 0.6 = 56.67, not 70
        cov = pd.DataFrame(np.diag([0.04, 0.05, 0.06]), index=list("ABC"), columns=list("ABC"))
        comp = pd.Series({"A": 30.0, "B": 70.0, "C": np.nan})
        bench = pd.Series({"A": 0.2, "B": 0.5, "C": 0.3})
        with pytest.raises(InfeasibleError, match="is 56.67"):
            optimise(bench, comp, cov, target=60, bounds=(0.0, 0.4), unrated="ignore")
        r = optimise(bench, comp, cov, target=56, bounds=(0.0, 0.4), unrated="ignore")
        assert r.composite_rated >= 56 - 1e-6

    def test_infeasible_target_names_the_best(self):
        bench, comp, cov, _ = synthetic_problem(10, 1)
        best = float(comp.max())
        with pytest.raises(InfeasibleError, match=r"`target` composite 99 is infeasible: the highest achievable "
                                                  rf"composite under the bounds is {best:.2f}"):
            optimise(bench, comp, cov, target=99)

    def test_infeasible_waci_cap(self):
        bench, comp, cov, ci = synthetic_problem(10, 1)
        with pytest.raises(InfeasibleError, match=r"`max_waci` 0\.001 .* cannot be met"):
            optimise(bench, comp, cov, target=0, carbon_intensity=ci, max_waci=0.001)

    def test_bad_arguments(self):
        bench, comp, cov, ci = synthetic_problem(5, 2)
        with pytest.raises(ConfigError, match="lower must be >= 0"):
            optimise(bench, comp, cov, target=10, bounds=(-0.1, 1.0))
        with pytest.raises(InfeasibleError, match="upper bounds sum to"):
            optimise(bench, comp, cov, target=10, bounds=(0.0, 0.1))
        with pytest.raises(ConfigError, match="without a covariance row"):
            optimise(pd.Series({"NOPE": 1.0}), comp, cov, target=10)
        with pytest.raises(ConfigError, match="`max_waci` needs `carbon_intensity`"):
            optimise(bench, comp, cov, target=10, max_waci=5)
        with pytest.raises(ConfigError, match="`unrated` must be"):
            optimise(bench, comp, cov, target=10, unrated="maybe")
        with pytest.raises(ConfigError, match="`method` must be"):
            optimise(bench, comp, cov, target=10, method="cvx")

    def test_cash_is_dropped_from_the_benchmark(self):
        bench, comp, cov, _ = synthetic_problem(5, 3)
        with_cash = pd.concat([bench * 0.9, pd.Series({"CASH": 0.1})])
        a = optimise(bench, comp, cov, target=0)
        b = optimise(with_cash, comp, cov, target=0)
        pd.testing.assert_series_equal(a.weights, b.weights)

    def test_inputs_not_modified(self):
        bench, comp, cov, ci = synthetic_problem(8, 4)
        copies = [x.copy() for x in (bench, comp, cov, ci)]
        optimise(bench, comp, cov, target=20, carbon_intensity=ci)
        for x, y in zip((bench, comp, cov, ci), copies, strict=True):
            assert x.equals(y)

    def test_to_dict(self):
        import json

        bench, comp, cov, _ = synthetic_problem(6, 4)
        d = optimise(bench, comp, cov, target=20).to_dict()
        json.dumps(d)
        assert sum(d["weights"].values()) == pytest.approx(1.0, abs=1e-5)


class TestTradeoff:
    def test_curve_is_monotone_and_plottable(self):
        bench, comp, cov, _ = synthetic_problem(25, 9)
        curve = tradeoff_curve(bench, comp, cov, n=6, bounds=(0.0, 0.3))
        assert list(curve.columns[:3]) == ["composite_target", "feasible", "tracking_error"]
        assert curve["feasible"].all()
        te = curve["tracking_error"].to_numpy()
        assert te[0] < 1e-5
        assert np.all(np.diff(te) >= -1e-7)
        assert (curve["composite"] >= curve["composite_target"] - 1e-6).all()

    def test_infeasible_targets_are_flagged_not_raised(self):
        bench, comp, cov, _ = synthetic_problem(8, 2)
        curve = tradeoff_curve(bench, comp, cov, targets=[10, 99.9])
        assert curve["feasible"].tolist() == [True, False]
        assert math.isnan(curve["tracking_error"].iloc[1])
