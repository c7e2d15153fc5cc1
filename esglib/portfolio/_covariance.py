"""Covariance estimates for the optimiser (sample, Ledoit-Wolf shrinkage)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from esglib.errors import ConfigError

__all__ = ['covariance', 'ledoit_wolf']


# ------------------------------------------------------------------------------------------------ covariance
def ledoit_wolf(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Ledoit-Wolf (2004) shrinkage covariance of a complete observation matrix.

    Parameters
    ----------
    x : ndarray of shape (n_observations, n_assets)
        Returns without NaN.

    Returns
    -------
    cov : ndarray of shape (n_assets, n_assets)
        ``delta x mu x I + (1 - delta) x S`` with ``S`` the (1/T) sample covariance and ``mu = trace(S)/N``.
    delta : float
        Shrinkage intensity in [0, 1]: ``min(b2, d2) / d2`` with ``d2 = ||S - mu I||^2 / N`` and
        ``b2 = (sum_t ||x_t x_t'||^2 - T ||S||^2) / (T^2 N)`` (Frobenius norms), as in Ledoit & Wolf,
        "A well-conditioned estimator for large-dimensional covariance matrices", JMVA 2004.
    """
    x = np.asarray(x, dtype="float64")
    t, n = x.shape
    xc = x - x.mean(axis=0)
    s = xc.T @ xc / t
    mu = np.trace(s) / n
    s2 = float(np.sum(s * s))
    d2 = (s2 - 2 * mu * np.trace(s) + n * mu * mu) / n  # ||S - mu I||^2 / N
    row4 = float(np.sum(np.sum(xc * xc, axis=1) ** 2))
    b2 = max((row4 - t * s2) / (t * t * n), 0.0)
    delta = 0.0 if d2 <= 0 else min(b2, d2) / d2
    cov = (1 - delta) * s
    cov[np.diag_indices(n)] += delta * mu
    return cov, float(delta)


def covariance(returns: pd.DataFrame, method: str = "ledoit_wolf", periods_per_year: int = 252,
               min_periods: int = 60) -> pd.DataFrame:
    """Annualised covariance of asset returns.

    Parameters
    ----------
    returns : DataFrame of shape (n_periods, n_assets)
        Simple returns per period (DatetimeIndex x tickers). Not modified.
    method : {"ledoit_wolf", "sample"}
        Ledoit-Wolf shrinkage towards a scaled identity (default) or the sample covariance (ddof=1).
    periods_per_year : int
        252 for daily, 52 weekly, 12 monthly returns.
    min_periods : int
        Every asset needs at least this many returns.

    Returns
    -------
    DataFrame of shape (n_assets, n_assets)
        Annualised covariance (squared return per year); ``attrs["shrinkage"]`` holds the Ledoit-Wolf
        intensity (0 for ``"sample"``), ``attrs["n_periods"]`` the rows used.

    Raises
    ------
    ConfigError
        Unknown method, or assets with fewer than ``min_periods`` returns (named).

    Notes
    -----
    Missing returns (an asset listed later than the others) are replaced by the asset's mean return, which
    leaves its mean unchanged and shrinks its co-movements towards zero; assets with too little history are
    refused rather than guessed.
    """
    if method not in ("ledoit_wolf", "sample"):
        raise ConfigError(f"`method` must be 'ledoit_wolf' or 'sample', got {method!r}")
    r = returns.astype("float64")
    n_obs = r.notna().sum()
    short = n_obs[n_obs < min_periods]
    if len(short):
        raise ConfigError(f"`returns` has fewer than {min_periods} observations for "
                          + ", ".join(f"{t} ({int(k)})" for t, k in short.head(10).items())
                          + (" ..." if len(short) > 10 else "") + "; drop them or lower `min_periods`")
    r = r.loc[r.notna().any(axis=1)]
    x = r.fillna(r.mean()).to_numpy()
    if method == "sample":
        cov = np.cov(x, rowvar=False, ddof=1).reshape(x.shape[1], x.shape[1])
        delta = 0.0
    else:
        cov, delta = ledoit_wolf(x)
    out = pd.DataFrame(cov * periods_per_year, index=r.columns, columns=r.columns)
    out.attrs.update({"shrinkage": delta, "n_periods": int(len(r)), "method": method,
                      "periods_per_year": periods_per_year})
    return out
