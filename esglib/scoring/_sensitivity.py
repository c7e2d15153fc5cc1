"""Rank sensitivity to the pillar weights (Dirichlet draws around the chosen weights)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from esglib.errors import ConfigError
from esglib.scoring._config import PILLARS, ScoreConfig

__all__ = ['sensitivity']


def sensitivity(scores: pd.DataFrame, n: int = 10_000, concentration: float = 50.0,
                config: ScoreConfig | None = None, seed: int | None = 0, quantiles: tuple[float, float] = (0.05, 0.95)
                ) -> pd.DataFrame:
    """Monte-Carlo weight sensitivity: each company's rank interval under random pillar weights.

    Weights are drawn from a Dirichlet distribution centred on the configured pillar weights
    (``alpha = concentration * w``; larger ``concentration`` = draws closer to the defaults). Fully vectorised.

    Parameters
    ----------
    scores : DataFrame, optional
        Output of :func:`score` (default: score the bundled data). Only companies with a composite are ranked.
    n : int
        Number of weight draws.
    concentration : float
        Dirichlet concentration (> 0).
    config : ScoreConfig, optional
        Centre weights and aggregation (default: ``scores.attrs["config"]`` or ``ScoreConfig()``).
    seed : int or None
        Random seed (reproducible by default).
    quantiles : (float, float)
        Lower and upper quantile of the rank interval (default 5th-95th percentile).

    Returns
    -------
    DataFrame
        Rated companies (index ``ticker``): ``rank`` (base), ``rank_low``, ``rank_median``, ``rank_high``,
        ``composite_low``, ``composite_high`` and ``rank_range`` (high - low); sorted by base rank.
    """
    draws = _draws(scores, n, concentration, config, seed)
    if draws is None:
        return _empty()
    rated, W, X, M, geometric = draws
    lo_q, hi_q = quantiles
    ranks_lo, ranks_med, ranks_hi = _rank_quantiles(_draw_composites(W, X, geometric, mask=M), (lo_q, 0.5, hi_q))
    comp_lo, comp_hi = _column_quantiles(_draw_composites(W, X, geometric, transposed=True, mask=M), (lo_q, hi_q))
    return _result(rated, (ranks_lo, ranks_med, ranks_hi), (comp_lo, comp_hi),
                   {"n": int(n), "concentration": concentration, "quantiles": quantiles})


def _draws(scores: pd.DataFrame, n: int, concentration: float, config, seed
           ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray | None, bool] | None:
    """The rated companies and the weight draws, shared by the local and the Dask engine.

    Returns ``(rated, W, X, M, geometric)``: ``W`` draws x pillars, ``X`` companies x pillars (log scores when
    geometric, 0 where a pillar is NaN), ``M`` the present-pillar mask (None when every pillar is present); None
    when no company is rated.
    """
    cfg = config or scores.attrs.get("config") or ScoreConfig()
    if int(n) < 1:
        raise ConfigError(f"`n` must be >= 1, got {n!r}")
    if not concentration > 0:
        raise ConfigError(f"`concentration` must be > 0, got {concentration!r}")
    rated = scores[scores["composite"].notna()]
    if len(rated) == 0:
        return None
    P = rated[list(PILLARS)].to_numpy(dtype="float64")
    rng = np.random.default_rng(seed)
    w0 = cfg.weights.to_numpy()
    active = w0 > 0
    W = np.zeros((int(n), len(PILLARS)))
    W[:, active] = rng.dirichlet(concentration * w0[active] / w0[active].sum(), size=int(n))
    geometric = cfg.aggregation == "geometric"
    X = np.log(np.clip(P, cfg.geometric_floor, None)) if geometric else P
    M = np.isfinite(X).astype("float64")  # a pillar without a scorable KPI (NaN) is left out and the rest
    X = np.nan_to_num(X, nan=0.0)         # rescaled, as in `aggregate`
    return rated, W, X, (None if M.all() else M), geometric


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["rank", "rank_low", "rank_median", "rank_high", "composite_low", "composite_high",
                                 "rank_range"])


def _result(rated: pd.DataFrame, ranks: tuple[np.ndarray, ...], composites: tuple[np.ndarray, np.ndarray],
            attrs: dict) -> pd.DataFrame:
    """The sensitivity frame from the rank and composite quantiles (both engines)."""
    ranks_lo, ranks_med, ranks_hi = ranks
    comp_lo, comp_hi = composites
    base_rank = rated["composite"].rank(ascending=False, method="min").to_numpy()
    out = pd.DataFrame({"rank": base_rank.astype(int), "rank_low": ranks_lo.astype(int),
                        "rank_median": ranks_med.astype(int), "rank_high": ranks_hi.astype(int),
                        "composite_low": comp_lo, "composite_high": comp_hi}, index=rated.index)
    out["rank_range"] = out["rank_high"] - out["rank_low"]
    out.attrs.update(attrs)
    return out.sort_values("rank", kind="stable")


# ------------------------------------------------------------------------------------------------ sensitivity internals
_DRAW_CHUNK = 2048
#: Most companies whose (company, rank) codes fit 32 bits: m * (m + 1) < 2**32.
_MAX_PACKED_COMPANIES = 65_535
#: Largest companies x ranks count table (int64; 2**25 cells = 256 MiB, about 5,800 companies) built instead of
#: sorting every (company, rank) code.
_MAX_HISTOGRAM_CELLS = 2**25
#: Threads ranking chunks of draws at once (each holds one chunk's sort keys: 2,048 draws x companies x 8 bytes).
_MAX_THREADS = 4


def _draw_composites(W: np.ndarray, X: np.ndarray, geometric: bool, transposed: bool = False,
                     mask: np.ndarray | None = None) -> np.ndarray:
    """Composite of every company under every weight draw, float32: draws x companies (or transposed).

    ``mask`` (companies x pillars, 1 = pillar present) rescales the weights over the present pillars.
    """
    C = (X.astype("float32") @ W.T.astype("float32")) if transposed else (W.astype("float32") @ X.T.astype("float32"))
    if mask is not None:
        D = (mask.astype("float32") @ W.T.astype("float32")) if transposed else (
            W.astype("float32") @ mask.T.astype("float32"))
        with np.errstate(invalid="ignore", divide="ignore"):
            C = np.where(D > 0, C / np.where(D > 0, D, 1), 0).astype("float32")
    if geometric:
        C = np.exp(C)
    C += np.float32(0.0)  # -0.0 -> +0.0: equal values must get equal sort keys
    return C


def _descending_keys(c: np.ndarray, out: np.ndarray) -> None:
    """Write uint32 keys whose ascending order is the descending order of the float32 values ``c``."""
    u = c.view(np.uint32)
    if c.size and c.min() >= 0:  # the usual case: non-negative floats sort like their bit patterns
        np.invert(u, out=out)
        return
    negative = (u >> np.uint32(31)).astype(bool)
    np.invert(np.where(negative, ~u, u | np.uint32(0x80000000)), out=out)


def _rank_quantiles(C: np.ndarray, qs: tuple[float, ...], max_packed: int = _MAX_PACKED_COMPANIES
                    ) -> list[np.ndarray]:
    """Per column of ``C`` (n draws x m companies): quantiles (method "lower") of its rank over the draws.

    Rank 1 is the highest composite; equal composites share the best rank (``method="min"``, like the base rank
    of :func:`score`). Each draw is ranked by sorting packed 64-bit (value, company) keys, several times faster
    than ``argsort``; then (company, rank) codes are sorted once, which puts each company's n ranks in order.
    Above ``max_packed`` companies the codes no longer fit 32 bits and a plain ``argsort`` is used instead.
    """
    n, m = C.shape
    ks = np.floor((n - 1) * np.asarray(qs, dtype="float64")).astype(np.intp)  # numpy's "lower" order statistic
    if m == 0:
        return [np.zeros(0, dtype=np.int64) for _ in ks]
    if m > max_packed:  # (company, rank) codes no longer fit 32 bits: plain argsort
        order = np.argsort(-C.astype("float64"), axis=1, kind="stable")
        srt = np.take_along_axis(C, order, axis=1)
        rank = np.where(np.diff(srt, axis=1, prepend=np.nan) != 0, np.arange(1, m + 1), 0)
        np.maximum.accumulate(rank, axis=1, out=rank)
        R = np.empty_like(rank)
        np.put_along_axis(R, order, rank, axis=1)
        R.sort(axis=0)
        return [R[k] for k in ks]
    stride = np.uint32(m + 1)
    base = np.arange(m, dtype=np.uint32) * stride  # company j's codes are j*(m+1) + rank
    pos = np.arange(1, m + 1, dtype=np.uint32)
    codes = np.empty((n, m), dtype=np.uint32)

    def rank_chunk(s: int) -> None:  # draws s..s+chunk: independent of every other chunk (numpy sorts release the GIL)
        c = C[s:s + _DRAW_CHUNK]
        k = np.empty((len(c), m), dtype=np.uint64)
        halves = k.view(np.uint32).reshape(len(c), m, 2)  # little-endian: [..., 0] low word, [..., 1] high word
        if np.little_endian:
            _descending_keys(c, halves[..., 1])
            halves[..., 0] = base
        else:  # pragma: no cover - big-endian machines
            _descending_keys(c, halves[..., 0])
            halves[..., 1] = base
        k.sort(axis=1)
        lo, hi = (halves[..., 0], halves[..., 1]) if np.little_endian else (halves[..., 1], halves[..., 0])
        out = codes[s:s + _DRAW_CHUNK]
        np.add(lo, pos, out=out)
        tie = hi[:, 1:] == hi[:, :-1]  # same composite as the company ranked just above
        rows = np.flatnonzero(tie.any(axis=1))
        if len(rows):
            rank = np.broadcast_to(pos, (len(rows), m)).copy()
            rank[:, 1:][tie[rows]] = 0
            np.maximum.accumulate(rank, axis=1, out=rank)
            out[rows] = lo[rows] + rank

    starts = range(0, n, _DRAW_CHUNK)
    workers = min(len(starts), os.cpu_count() or 1, _MAX_THREADS)
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(rank_chunk, starts))
    else:
        for s in starts:
            rank_chunk(s)
    if m * (m + 1) <= _MAX_HISTOGRAM_CELLS:
        # counting, not sorting: how often each company took each rank (one pass), then each quantile is the first
        # rank whose running count passes k
        counts = np.bincount(codes.ravel(), minlength=m * (m + 1)).reshape(m, m + 1)
        running = np.cumsum(counts, axis=1)
        return [np.argmax(running > k, axis=1).astype(np.int64) for k in ks]
    flat = codes.ravel()
    flat.sort()  # company-major: company j's n codes are flat[j*n:(j+1)*n], in rank order
    per_company = flat.reshape(m, n)
    return [(per_company[:, k] - base).astype(np.int64) for k in ks]


def _column_quantiles(CT: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """``np.quantile(CT, q, axis=1)`` (linear method) per q, for companies x draws ``CT``.

    Only the order statistics the quantiles need are placed (``np.partition``, linear time), not the whole row.
    """
    n = CT.shape[1]
    steps = []
    for q in qs:
        virtual = (n - 1) * np.float64(q)
        prev = int(np.floor(virtual))
        nxt = prev + 1
        if virtual >= n - 1:
            prev = nxt = n - 1
        elif virtual < 0:
            prev = nxt = 0
        steps.append((virtual, prev, nxt))
    srt = np.partition(CT, sorted({i for _, p, x in steps for i in (p, x)}), axis=1) if n else CT
    out = []
    for virtual, prev, nxt in steps:  # numpy's linear interpolation, step by step, so that results are identical
        gamma = virtual - np.float64(prev)
        a, b = srt[:, prev], srt[:, nxt]
        diff = b - a
        res = np.add(a, diff * gamma)
        if gamma >= 0.5:
            res = np.subtract(b, diff * (1 - gamma), dtype=res.dtype)
        out.append(res)
    return out
