"""Tracking-error-minimising optimisation with score and carbon constraints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from esglib.errors import ConfigError
from esglib.portfolio._errors import InfeasibleError, OptimisationError

__all__ = ['OptimiseResult', 'optimise', 'tradeoff_curve', 'METHODS']


# ------------------------------------------------------------------------------------------------ optimiser
@dataclass(frozen=True, eq=False)
class OptimiseResult:
    """Solution of :func:`optimise`.

    Attributes
    ----------
    weights : Series
        Optimal weights by ticker (sum 1, >= 0), over the covariance's assets.
    benchmark : Series
        Benchmark weights used (same index, sum 1).
    tracking_error : float
        Ex-ante tracking error, annualised (fraction: 0.02 = 2 % a year).
    composite, benchmark_composite : float
        Portfolio composite as constrained (unrated rule applied).
    composite_rated : float
        Composite over rated weight only (as in :func:`esglib.portfolio.portfolio_summary`).
    waci, benchmark_waci : float
        tCO2e / USD m revenue over holdings with data (NaN without intensities).
    active_share : float
        ``0.5 x sum |w - b|``.
    target, max_waci : float
        Constraints asked for (NaN when not set).
    binding : dict
        Which inequality constraints are active at the solution.
    n_holdings : int
        Weights above 1e-6.
    iterations : int
    message : str
    """

    weights: pd.Series
    benchmark: pd.Series = field(repr=False)
    tracking_error: float
    composite: float
    composite_rated: float
    benchmark_composite: float
    waci: float
    benchmark_waci: float
    active_share: float
    target: float
    max_waci: float
    binding: dict[str, bool]
    n_holdings: int
    iterations: int
    message: str

    def to_dict(self) -> dict:
        """JSON-ready summary (weights above 1e-6 only)."""
        def f(x):
            return None if x is None or not np.isfinite(x) else float(x)

        return {"tracking_error": f(self.tracking_error), "composite": f(self.composite),
                "composite_rated": f(self.composite_rated), "benchmark_composite": f(self.benchmark_composite),
                "waci": f(self.waci), "benchmark_waci": f(self.benchmark_waci),
                "active_share": f(self.active_share), "target": f(self.target), "max_waci": f(self.max_waci),
                "binding": dict(self.binding), "n_holdings": self.n_holdings, "iterations": self.iterations,
                "message": self.message,
                "weights": {str(k): float(v) for k, v in self.weights[self.weights > 1e-6].items()}}


def _composite_vector(scores: pd.DataFrame | pd.Series, assets: pd.Index) -> pd.Series:
    if isinstance(scores, pd.DataFrame):
        if "composite" not in scores.columns:
            raise ConfigError("`scores` frame needs a 'composite' column (output of esglib.scoring.score)")
        c = scores["composite"]
    else:
        c = scores
    c = pd.to_numeric(c, errors="coerce").astype("float64")
    c.index = [str(t).upper() for t in c.index]
    return c.reindex(assets)


def _bounds(bounds, assets: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    n = len(assets)
    if isinstance(bounds, tuple) and len(bounds) == 2:
        lo, hi = bounds
    else:
        raise ConfigError(f"`bounds` must be a (lower, upper) pair of numbers or Series, got {bounds!r}")

    def arr(v, default):
        if isinstance(v, pd.Series):
            v = v.copy()
            v.index = [str(t).upper() for t in v.index]
            return v.reindex(assets).fillna(default).to_numpy(dtype="float64")
        return np.full(n, float(default if v is None else v))

    lo_a, hi_a = arr(lo, 0.0), arr(hi, 1.0)
    if (lo_a < 0).any():
        raise ConfigError(f"`bounds` lower must be >= 0 (long only), got min {lo_a.min():g}")
    if (hi_a < lo_a).any() or not np.isfinite(hi_a).all():
        raise ConfigError("`bounds` upper must be finite and >= lower for every asset")
    if lo_a.sum() > 1 + 1e-12:
        raise InfeasibleError(f"`bounds`: lower bounds sum to {lo_a.sum():.4f} > 1 (fully invested)")
    if hi_a.sum() < 1 - 1e-12:
        raise InfeasibleError(f"`bounds`: upper bounds sum to {hi_a.sum():.4f} < 1 (fully invested)")
    return lo_a, np.minimum(hi_a, 1.0)


def _lp_extreme(obj: np.ndarray, lo, hi, a_ub=None, b_ub=None) -> tuple[float, np.ndarray | None]:
    """Minimise obj'w over the simplex with bounds and optional A_ub w <= b_ub; (value, w) or (nan, None)."""
    from scipy.optimize import linprog

    n = len(obj)
    res = linprog(obj, A_ub=a_ub, b_ub=b_ub, A_eq=np.ones((1, n)), b_eq=[1.0], bounds=list(zip(lo, hi, strict=True)),
                  method="highs")
    if res.status != 0:
        return np.nan, None
    return float(res.fun), res.x


def _max_rated_composite(c: pd.Series, rated: np.ndarray, lo, hi, a_ub=None, b_ub=None) -> float:
    """Highest composite over *rated* weight (``sum_r w c / sum_r w``) under the bounds: bisection on LPs."""
    cv = c.to_numpy()
    reach = cv[rated & (hi > 0)]
    if not reach.size:
        return np.nan
    lo_t, hi_t = float(np.nanmin(reach)), float(np.nanmax(reach))

    def ok(t: float) -> bool:
        val, _ = _lp_extreme(-np.where(rated, np.nan_to_num(cv) - t, 0.0), lo, hi, a_ub, b_ub)
        return np.isfinite(val) and -val >= -1e-12

    if not ok(lo_t):
        return np.nan
    for _ in range(60):
        mid = 0.5 * (lo_t + hi_t)
        lo_t, hi_t = (mid, hi_t) if ok(mid) else (lo_t, mid)
        if hi_t - lo_t < 1e-9:
            break
    return lo_t


def _prepare(benchmark, scores, cov, carbon_intensity, bounds, unrated):
    if unrated not in ("zero", "exclude", "ignore"):
        raise ConfigError(f"`unrated` must be 'zero', 'exclude' or 'ignore', got {unrated!r}")
    if not isinstance(cov, pd.DataFrame) or list(cov.index) != list(cov.columns):
        raise ConfigError("`cov` must be a square DataFrame with the same tickers as index and columns")
    assets = pd.Index([str(t).upper() for t in cov.index])
    b = benchmark.copy() if isinstance(benchmark, pd.Series) else pd.Series(dict(benchmark))
    b = pd.to_numeric(b, errors="coerce").astype("float64")
    b.index = [str(t).upper() for t in b.index]
    b = b.groupby(level=0).sum().drop("CASH", errors="ignore")
    missing = [t for t in b.index if t not in assets and b[t] != 0]
    if missing:
        raise ConfigError(f"`benchmark` has tickers without a covariance row (no price history?): {missing}")
    if not np.isfinite(b.to_numpy()).all() or (b < 0).any() or b.sum() <= 0:
        raise ConfigError("`benchmark` weights must be finite, >= 0 and sum to a positive number")
    b = b.reindex(assets).fillna(0.0)
    b = b / b.sum()
    sigma = cov.to_numpy(dtype="float64")
    if not np.isfinite(sigma).all():
        raise ConfigError("`cov` contains NaN or infinite values")
    sigma = (sigma + sigma.T) / 2
    c = _composite_vector(scores, assets)
    rated = c.notna().to_numpy()
    lo, hi = _bounds(bounds, assets)
    if unrated == "exclude":
        hi = np.where(rated, hi, 0.0)
        lo = np.where(rated, lo, 0.0)
        if hi.sum() < 1 - 1e-12:
            raise InfeasibleError("with `unrated='exclude'` the rated assets' upper bounds sum to "
                                  f"{hi.sum():.4f} < 1")
    k = None
    if carbon_intensity is not None:
        k = carbon_intensity.copy() if isinstance(carbon_intensity, pd.Series) else pd.Series(dict(carbon_intensity))
        k = pd.to_numeric(k, errors="coerce").astype("float64")
        k.index = [str(t).upper() for t in k.index]
        k = k.reindex(assets)
    return assets, b, sigma, c, rated, lo, hi, k


def _stats(w: np.ndarray, c: pd.Series, rated: np.ndarray, k: pd.Series | None, unrated: str):
    cv = c.fillna(0.0).to_numpy()
    comp = float(w @ cv)
    rw = float(w[rated].sum())
    comp_rated = float(w[rated] @ c.to_numpy()[rated] / rw) if rw > 1e-12 else np.nan
    if unrated == "ignore":
        comp = comp_rated
    waci = np.nan
    if k is not None:
        has = k.notna().to_numpy()
        hw = float(w[has].sum())
        waci = float(w[has] @ k.to_numpy()[has] / hw) if hw > 1e-12 else np.nan
    return comp, comp_rated, waci


def _ipm_direction(ctx: tuple, rc_l: np.ndarray, rc_u: np.ndarray, rc_g: np.ndarray) -> tuple:
    """Newton direction of the interior-point KKT system for complementarity targets ``rc_*``."""
    from scipy.linalg import cho_solve

    cf, kinv_1, schur, Gf, W, r_d, r_p, r_g, s_l, s_u, s_g, z_l, z_u, z_g, ones = ctx
    r1 = -r_d + rc_l / s_l - rc_u / s_u
    r3 = -r_g + rc_g / z_g
    k_rhs = cho_solve(cf, r1 + Gf.T @ (W * r3), check_finite=False)
    dy = (-r_p - ones @ k_rhs) / schur
    dw = k_rhs + kinv_1 * dy
    dz_l = (rc_l - z_l * dw) / s_l
    dz_u = (rc_u + z_u * dw) / s_u
    dz_g = W * (r3 - Gf @ dw)
    ds_g = (rc_g - s_g * dz_g) / z_g
    return dw, dy, dz_l, dz_u, dz_g, ds_g


def _ipm_step(point: tuple, direction: tuple, frac: float = 1.0) -> float:
    """Largest step in (0, 1] keeping every slack and dual positive (times ``frac``)."""
    a = 1.0
    for v, dv in zip(point, direction, strict=True):
        neg = dv < 0
        if neg.any():
            a = min(a, frac * float(np.min(-v[neg] / dv[neg])))
    return a


def _qp_interior_point(Q: np.ndarray, q: np.ndarray, G: np.ndarray, h: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                       maxiter: int = 200, tol: float = 1e-12) -> tuple[np.ndarray, int, str]:
    """Solve ``min 1/2 w'Qw + q'w  s.t.  sum(w) = 1, G w >= h, lo <= w <= hi`` (Q positive definite).

    Primal-dual interior-point method with Mehrotra predictor-corrector: each iteration solves the Newton
    system of the KKT conditions (the exact gradient ``Qw + q`` and Hessian ``Q``) by one Cholesky
    factorisation of ``Q + D + G' W G`` (n x n) and a Schur complement for the budget constraint. Variables
    with ``lo == hi`` are fixed and removed first.

    Returns
    -------
    (w, iterations, message)
    """
    from scipy.linalg import cho_factor, cho_solve

    fixed = (hi - lo) <= 1e-12
    w_all = np.where(fixed, lo, 0.0)
    free = ~fixed
    if not free.any():
        return w_all, 0, "every weight fixed by its bounds"
    Qf = Q[np.ix_(free, free)]
    qf = q[free] + Q[np.ix_(free, fixed)] @ lo[fixed]
    Gf = G[:, free]
    hf = h - G[:, fixed] @ lo[fixed]
    budget = 1.0 - lo[fixed].sum()
    lo_f, hi_f = lo[free], hi[free]
    n, m = int(free.sum()), len(hf)
    room = float((hi_f - lo_f).sum())
    theta = (budget - lo_f.sum()) / room
    if theta >= 1 - 1e-12 or theta <= 1e-12:  # the budget pins every free weight to a bound
        w_all[free] = hi_f if theta >= 1 - 1e-12 else lo_f
        return w_all, 0, "weights pinned by the bounds"
    w = lo_f + theta * (hi_f - lo_f)
    s_l, s_u = w - lo_f, hi_f - w
    s_g = np.maximum(Gf @ w - hf, 1.0)
    z_l, z_u, z_g = 1.0 / s_l, 1.0 / s_u, 1.0 / s_g
    y = 0.0
    ones = np.ones(n)
    scale_d = 1.0 + np.abs(qf).max()
    msg = "maximum iterations reached"
    it = 0
    for it in range(1, maxiter + 1):  # noqa: B007
        s_l, s_u = w - lo_f, hi_f - w
        r_d = Qf @ w + qf - ones * y - Gf.T @ z_g - z_l + z_u
        r_p = w.sum() - budget
        r_g = Gf @ w - hf - s_g
        mu = (z_l @ s_l + z_u @ s_u + z_g @ s_g) / (2 * n + m)
        primal = max(abs(r_p), float(np.abs(r_g).max()) if m else 0.0)
        if mu < tol and primal < 1e-10 and np.abs(r_d).max() / scale_d < 1e-8:
            msg = "converged"
            break
        if mu < 1e-15 or not np.isfinite(mu):  # as far as floating point goes
            msg = "converged (limit of precision)" if primal < 1e-8 else "stalled"
            break
        W = z_g / s_g
        K = Qf + np.diag(z_l / s_l + z_u / s_u) + (Gf.T * W) @ Gf
        try:
            cf = cho_factor(K, lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            K[np.diag_indices(n)] += 1e-12 * np.abs(np.diag(K)).max()
            cf = cho_factor(K, lower=True, check_finite=False)
        kinv_1 = cho_solve(cf, ones, check_finite=False)
        schur = ones @ kinv_1

        ctx = (cf, kinv_1, schur, Gf, W, r_d, r_p, r_g, s_l, s_u, s_g, z_l, z_u, z_g, ones)
        point = (s_l, s_u, s_g, z_l, z_u, z_g)

        # predictor (affine scaling)
        dw, dy, dz_l, dz_u, dz_g, ds_g = _ipm_direction(ctx, -z_l * s_l, -z_u * s_u, -z_g * s_g)
        a_aff = _ipm_step(point, (dw, -dw, ds_g, dz_l, dz_u, dz_g))
        mu_aff = ((z_l + a_aff * dz_l) @ (s_l + a_aff * dw) + (z_u + a_aff * dz_u) @ (s_u - a_aff * dw)
                  + (z_g + a_aff * dz_g) @ (s_g + a_aff * ds_g)) / (2 * n + m)
        sigma = min(1.0, (mu_aff / mu) ** 3) if mu > 0 else 0.0
        # corrector
        rc_l = sigma * mu - z_l * s_l - dz_l * dw
        rc_u = sigma * mu - z_u * s_u + dz_u * dw
        rc_g = sigma * mu - z_g * s_g - dz_g * ds_g
        dw, dy, dz_l, dz_u, dz_g, ds_g = _ipm_direction(ctx, rc_l, rc_u, rc_g)
        a = _ipm_step(point, (dw, -dw, ds_g, dz_l, dz_u, dz_g), 0.995)
        if not (np.isfinite(a) and np.all(np.isfinite(dw)) and np.isfinite(dy)):
            msg = "stopped: numerical breakdown"
            break
        w = w + a * dw
        y = y + a * dy
        z_l, z_u, z_g, s_g = z_l + a * dz_l, z_u + a * dz_u, z_g + a * dz_g, s_g + a * ds_g
        # keep w strictly inside the box despite rounding
        w = np.clip(w, lo_f + 1e-300, hi_f - 1e-300)
    w_all[free] = w
    return w_all, it, msg


#: Solvers accepted by :func:`optimise`.
METHODS = ("cvxpy", "interior-point", "slsqp")


def _solve_cvxpy(Q: np.ndarray, b: np.ndarray, G: np.ndarray, h: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 maxiter: int) -> tuple[np.ndarray, int, str]:
    """Min (w-b)' Q (w-b) s.t. sum w = 1, G w >= h, lo <= w <= hi with cvxpy + Clarabel (cvxpy imported here)."""
    import cvxpy as cp

    n = len(b)
    w = cp.Variable(n)
    # a plain QP: (w - b)' Q (w - b) with Q declared PSD (a covariance), handed to Clarabel as a quadratic
    # objective rather than as a second-order cone through a Cholesky factor (same answer, less work)
    problem = cp.Problem(cp.Minimize(cp.quad_form(w - b, cp.psd_wrap(0.5 * (Q + Q.T)))),
                         [cp.sum(w) == 1, G @ w >= h, w >= lo, w <= hi])
    try:
        problem.solve(solver=cp.CLARABEL, max_iter=int(maxiter), tol_gap_abs=1e-12, tol_gap_rel=1e-12,
                      tol_feas=1e-12)
    except cp.error.SolverError as exc:
        raise OptimisationError(f"the cvxpy/Clarabel solver failed: {exc}") from None
    if w.value is None or problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise OptimisationError(f"the cvxpy/Clarabel solver found no solution (status {problem.status})")
    stats = problem.solver_stats
    return np.asarray(w.value, dtype="float64"), int(getattr(stats, "num_iters", 0) or 0), str(problem.status)


def optimise(benchmark: pd.Series, scores: pd.DataFrame | pd.Series, cov: pd.DataFrame, *, target: float,
             carbon_intensity: pd.Series | None = None, max_waci: float | None = None,
             bounds: tuple = (0.0, 1.0), unrated: str = "zero", method: str = "interior-point",
             maxiter: int = 500, tol: float = 1e-6) -> OptimiseResult:
    """Minimise ex-ante tracking error to a benchmark subject to a composite target (and a WACI cap).

    Parameters
    ----------
    benchmark : Series
        Benchmark weights by ticker (normalised; ``CASH`` is dropped). Every ticker needs a row in ``cov``.
    scores : DataFrame or Series
        :func:`esglib.scoring.score` output or a composite Series by ticker (0-100, NaN = unrated).
    cov : DataFrame of shape (n_assets, n_assets)
        Annualised covariance (:func:`covariance`); its index is the investable universe.
    target : float
        Minimum portfolio composite (0-100) under the ``unrated`` rule.
    carbon_intensity : Series, optional
        tCO2e per USD m revenue by ticker (e.g. ``esglib.portfolio.company_footprint(...)["carbon_intensity"]``);
        needed for ``max_waci`` and for reporting WACI.
    max_waci : float, optional
        Cap on the WACI over holdings with an intensity (tCO2e / USD m revenue).
    bounds : (lower, upper)
        Per-asset weight bounds: numbers or Series by ticker (missing = 0 and 1). Long only: lower >= 0.
    unrated : {"zero", "exclude", "ignore"}
        Treatment of assets without a composite (module docstring).
    method : {"cvxpy", "interior-point", "slsqp"}
        ``interior-point`` (default): esglib's own primal-dual QP solver on the exact KKT system (analytic
        gradient and Hessian), the fastest here (about 0.05-0.3 s for 500 assets with one BLAS thread).
        ``cvxpy``: the same QP handed to cvxpy's Clarabel solver as a plain quadratic objective (a maintained
        solver, kept as a cross-check; about 0.3-1 s for 500 assets). ``slsqp``: :func:`scipy.optimize.minimize`
        with SLSQP and analytic gradients (same optimum; practical up to about 150 assets, since SLSQP's dense
        subproblem grows with the cube of the number of assets and bounds).
    maxiter : int
        Iteration limit.
    tol : float
        Constraint tolerance used to accept the solution.

    Returns
    -------
    OptimiseResult

    Raises
    ------
    InfeasibleError
        The target (or the WACI cap) cannot be met under the bounds: the message gives the best achievable.
    OptimisationError
        SLSQP stopped without a solution within ``tol`` of every constraint.
    ConfigError
        Bad arguments (unknown tickers, negative bounds, ...).
    """
    if method not in METHODS:
        raise ConfigError(f"`method` must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
    if not np.isfinite(target):
        raise ConfigError(f"`target` must be a finite composite score 0-100, got {target!r}")
    if max_waci is not None and (carbon_intensity is None or not np.isfinite(max_waci) or max_waci < 0):
        raise ConfigError("`max_waci` needs `carbon_intensity` and must be a number >= 0, got "
                          f"{max_waci!r}")
    assets, b, sigma, c, rated, lo, hi, k = _prepare(benchmark, scores, cov, carbon_intensity, bounds, unrated)
    n = len(assets)
    bv = b.to_numpy()
    # linear constraints as G w >= h
    if unrated == "ignore":
        g_comp = np.where(rated, c.fillna(0.0).to_numpy() - target, 0.0)
        h_comp = 0.0
    else:
        g_comp = c.fillna(0.0).to_numpy()
        h_comp = float(target)
    rows_g, rows_h, names = [g_comp], [h_comp], ["composite"]
    if max_waci is not None:
        has = k.notna().to_numpy()
        if not has.any():
            raise InfeasibleError("`max_waci` is set but no asset has a carbon intensity")
        rows_g.append(-np.where(has, k.fillna(0.0).to_numpy() - max_waci, 0.0))
        rows_h.append(0.0)
        names.append("waci")
    G, H = np.vstack(rows_g), np.asarray(rows_h)

    # feasibility (LP): best composite under bounds and the WACI cap
    a_ub = -G[1:] if len(G) > 1 else None
    b_ub = -H[1:] if len(G) > 1 else None
    best, _ = _lp_extreme(-G[0], lo, hi, a_ub, b_ub)
    if not np.isfinite(best):
        low, _ = _lp_extreme(np.where(k.notna().to_numpy(), k.fillna(0).to_numpy(), 0.0), lo, hi)
        raise InfeasibleError(f"`max_waci` {max_waci:g} tCO2e/USD m cannot be met under the bounds"
                              + (f" (the lowest achievable weighted intensity is about {low:.4g})"
                                 if np.isfinite(low) else ""))
    if -best < H[0] - 1e-9:
        if unrated == "ignore":
            shown = _max_rated_composite(c, rated, lo, hi, a_ub, b_ub)
        else:
            shown = -best
        raise InfeasibleError(
            f"`target` composite {target:g} is infeasible: the highest achievable composite under the bounds"
            + (" and WACI cap" if max_waci is not None else "") + f" is {shown:.2f} (unrated rule {unrated!r})")

    def fun(w):
        a = w - bv
        sa = sigma @ a
        return float(a @ sa), 2.0 * sa

    # rows of G scaled to unit size so one tolerance fits every constraint
    scale_c = np.maximum(np.abs(G).max(axis=1), 1.0)
    Gs, Hs = G / scale_c[:, None], H / scale_c
    scale = 1.0 / max(float(np.trace(sigma)) / n, 1e-12)  # objective of order one for the solvers' tolerances
    if method == "cvxpy":
        w, nit, msg = _solve_cvxpy(scale * sigma, bv, Gs, Hs, lo, hi, maxiter)
    elif method == "interior-point":
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # breakdowns are caught below
            w, nit, msg = _qp_interior_point(2 * scale * sigma, -2 * scale * (sigma @ bv), Gs, Hs, lo, hi,
                                             maxiter=maxiter)
    else:
        from scipy.optimize import minimize

        w0 = np.clip(bv, lo, hi)
        w0 = w0 / w0.sum() if w0.sum() > 0 else np.full(n, 1.0 / n)
        cons = [{"type": "eq", "fun": lambda w: np.array([w.sum() - 1.0]), "jac": lambda w: np.ones((1, n))},
                {"type": "ineq", "fun": lambda w: Gs @ w - Hs, "jac": lambda w: Gs}]
        res = minimize(lambda w: tuple(v * scale for v in fun(w)), w0, jac=True, method="SLSQP",
                       bounds=list(zip(lo, hi, strict=True)), constraints=cons,
                       options={"maxiter": maxiter, "ftol": 1e-14})
        w, nit, msg = res.x, int(res.nit), str(res.message)
    w = np.clip(w, lo, hi)
    w = w / w.sum()
    slack = Gs @ w - Hs
    if not (np.all(slack >= -tol) and abs(w.sum() - 1) < 1e-9):
        raise OptimisationError(f"the {method} solver did not meet the constraints ({msg}; worst scaled slack "
                                f"{slack.min():.3g}); try looser bounds or a lower target")
    te = float(np.sqrt(max(fun(w)[0], 0.0)))
    comp, comp_rated, waci = _stats(w, c, rated, k, unrated)
    bcomp, _, bwaci = _stats(bv, c, rated, k, unrated)
    binding = {nm: bool(abs(sl) <= 1e-6) for nm, sl in zip(names, slack, strict=True)}
    ws = pd.Series(w, index=assets, name="weight")
    return OptimiseResult(
        weights=ws, benchmark=pd.Series(bv, index=assets, name="benchmark"), tracking_error=te, composite=comp,
        composite_rated=comp_rated, benchmark_composite=bcomp, waci=waci, benchmark_waci=bwaci,
        active_share=float(0.5 * np.abs(w - bv).sum()), target=float(target),
        max_waci=float(max_waci) if max_waci is not None else np.nan, binding=binding,
        n_holdings=int((w > 1e-6).sum()), iterations=int(nit), message=msg)


def tradeoff_curve(benchmark: pd.Series, scores: pd.DataFrame | pd.Series, cov: pd.DataFrame,
                   targets: Sequence[float] | None = None, n: int = 11, **kwargs) -> pd.DataFrame:
    """Tracking error against the composite target: what each extra point of score costs.

    Parameters
    ----------
    benchmark, scores, cov
        As for :func:`optimise`.
    targets : sequence of float, optional
        Composite targets. Default: ``n`` points from the benchmark's composite to the highest achievable.
    n : int
        Number of default targets (>= 2).
    **kwargs
        Passed to :func:`optimise` (``carbon_intensity, max_waci, bounds, unrated``).

    Returns
    -------
    DataFrame
        One row per target: ``composite_target, feasible, tracking_error`` (annualised fraction; NaN when
        infeasible), ``composite, composite_rated, waci, active_share, n_holdings``.
    """
    unrated = kwargs.get("unrated", "zero")
    if targets is None:
        if int(n) < 2:
            raise ConfigError(f"`n` must be >= 2, got {n!r}")
        assets, b, _, c, rated, lo, hi, k = _prepare(benchmark, scores, cov, kwargs.get("carbon_intensity"),
                                                     kwargs.get("bounds", (0.0, 1.0)), unrated)
        start, _, _ = _stats(b.to_numpy(), c, rated, k, unrated)
        if unrated == "ignore":
            top = _max_rated_composite(c, rated, lo, hi)
        else:
            best, _ = _lp_extreme(-c.fillna(0.0).to_numpy(), lo, hi)
            top = -best
        start = 0.0 if not np.isfinite(start) else start
        targets = list(np.linspace(start, top - 1e-6 * max(abs(top), 1.0), int(n)))
    rows = []
    for t in targets:
        try:
            r = optimise(benchmark, scores, cov, target=float(t), **kwargs)
        except InfeasibleError:
            rows.append({"composite_target": float(t), "feasible": False, "tracking_error": np.nan,
                         "composite": np.nan, "composite_rated": np.nan, "waci": np.nan, "active_share": np.nan,
                         "n_holdings": 0})
            continue
        rows.append({"composite_target": float(t), "feasible": True, "tracking_error": r.tracking_error,
                     "composite": r.composite, "composite_rated": r.composite_rated, "waci": r.waci,
                     "active_share": r.active_share, "n_holdings": r.n_holdings})
    return pd.DataFrame(rows)
