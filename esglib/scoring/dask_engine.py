"""The Dask engine: the same scoring as the pandas engine, with its work spread over a ``dask.distributed`` cluster.

Dask is imported only here, and only when this engine runs, so ``import esglib`` stays fast and dask stays an
optional requirement.

How the work is split (results equal the pandas engine's: composite within 1e-9, identical ratings):

1. **Per-row work maps over partitions.** Each input file (a CSV, or each part of a partitioned Parquet dataset)
   is one partition: a task reads it and runs the same vectorised validation as the pandas engine (units,
   bounds, duplicates, sources), so a bad row gets the same located message.
2. **Per-peer-group work goes through a shuffle.** The validated rows are shuffled on their peer group
   (``DataFrame.shuffle``), and each peer group is scored by the pandas engine in its own task: percentiles,
   reference scores, pillars, coverage and flags depend only on the companies of that group.
3. **The small per-company result is gathered** and ranked over the whole universe exactly as the pandas engine
   ranks it.

Where the scoring compares across groups (``peer_relative=False``, or a scoring whose small peer groups fall back
to the whole universe), every company goes to one task.

Point it at a real cluster with its scheduler address (``tcp://host:8786``): see the README section "Scaling out
on Dask".
"""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

import esglib.scoring._score as _score_module
from esglib.errors import ConfigError, DataValidationError, Problem
from esglib.inputs import Table, load_disclosures, validate_disclosures
from esglib.inputs._readers import _finish
from esglib.scoring._config import ScoreConfig
from esglib.scoring._score import register_engine
from esglib.scoring._score import score as _score_pandas
from esglib.scoring._sensitivity import _column_quantiles, _draw_composites, _draws, _empty, _result

__all__ = ["score_dask", "sensitivity_dask", "dask_client", "input_files"]

PARQUET_SUFFIXES = (".parquet", ".pq")


def input_files(source: str | os.PathLike[str]) -> list[Path]:
    """List the files behind ``--disclosures``: one file, a folder (its ``*.parquet`` / ``*.csv`` parts) or a glob.

    Raises
    ------
    DataValidationError
        When nothing matches.
    """
    text = str(source)
    p = Path(text)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in (*PARQUET_SUFFIXES, ".csv"))
    elif any(ch in text for ch in "*?["):
        files = sorted(Path(f) for f in glob.glob(text, recursive=True) if Path(f).is_file())
    else:
        files = [p]
    if not files:
        raise DataValidationError([Problem(text, None, None, "no CSV or Parquet files match this path or pattern")])
    return files


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, n_workers: int | None = None, processes: bool = True,
                threads_per_worker: int = 1, memory_limit: str | None = "auto") -> Iterator[object]:
    """Give a ``distributed.Client``: connected to ``scheduler`` if given, else to a local cluster closed on exit.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://10.0.0.5:8786``); its cluster is used and left running.
    n_workers, processes, threads_per_worker, memory_limit
        Shape of the local cluster when no address is given (default: one worker process per core, one thread
        each; bound to 127.0.0.1, no dashboard).
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is an optional requirement
        raise ConfigError("the dask engine needs `dask[distributed]`: pip install 'dask[distributed]'") from exc
    if scheduler:
        client = Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)  # (a run's start-up and shutdown chatter)
    n = n_workers or max(1, min(os.cpu_count() or 1, 4))
    # TCP on the loopback address even with in-process workers (the in-memory transport looks up this machine's
    # public address, a network call)
    where = {"host": "127.0.0.1"} if processes else {"host": "127.0.0.1", "protocol": "tcp"}
    cluster = LocalCluster(n_workers=n, threads_per_worker=threads_per_worker, processes=processes,
                           dashboard_address=None, memory_limit=memory_limit, **where)
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


# ------------------------------------------------------------------------------------------------ tasks
def _read_part(path: str, companies: pd.DataFrame, max_rows: int | None) -> pd.DataFrame:
    """Read and validate one input file (task on a worker): the pandas engine's vectorised validation."""
    if Path(path).suffix.lower() in PARQUET_SUFFIXES:
        frame = pd.read_parquet(path)
        frame = frame.astype(str).where(frame.notna(), "")
        table = _finish(frame, path, None, 1)
        return validate_disclosures(Table(table.frame, path, None, 1, table.original_columns), companies)
    return load_disclosures(path, companies, max_rows=max_rows)


#: Columns of a validated disclosures frame that no score, rating, coverage or flag reads (the scoring reads the
#: figure's identity, value, unit, basis, scope note, quality, editions and dates).
_NOT_SCORED = ("quote", "source_title", "source_url", "reported_value", "reported_unit", "reported_metric",
               "retrieved_from", "source_file", "company")


def _group_key(companies: pd.DataFrame, config) -> pd.Series:
    """Peer-group key per ticker: the peer group, or one key for all when scoring compares across groups.

    The scoring module states whether a peer group's scores depend only on its own companies
    (``PEER_GROUPS_INDEPENDENT``); where it does not (e.g. a small group falling back to the whole universe), or
    with ``peer_relative=False``, every company is scored in one task so that the answer stays the same.
    """
    if not getattr(config, "peer_relative", True) or not getattr(_score_module, "PEER_GROUPS_INDEPENDENT", False):
        return pd.Series("universe", index=companies["ticker"])
    return companies.set_index("ticker")["peer_group"].astype(str)


# ------------------------------------------------------------------------------------------------ engine
def score_dask(disclosures: str | os.PathLike[str] | pd.DataFrame | None = None, config=None,
               year: int | None = None, *, companies: pd.DataFrame | None = None, as_of=None,
               scheduler: str | None = None, client=None, max_rows: int | None = None,
               npartitions: int | None = None, **score_options) -> pd.DataFrame:
    """Score every company on a Dask cluster; the same result as :func:`esglib.scoring.score`.

    Parameters
    ----------
    disclosures : path, glob, folder or DataFrame
        A disclosures CSV, a glob of CSV files, a folder of Parquet (or CSV) parts, or an already validated
        frame (required).
    config, year, companies, as_of
        As for :func:`esglib.scoring.score`.
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler; without one a local cluster is started and closed.
    client : distributed.Client, optional
        Use this client (takes precedence over ``scheduler``).
    max_rows : int, optional
        Row limit per CSV file (default :data:`esglib.inputs.MAX_ROWS`).
    npartitions : int, optional
        Partitions of the shuffled frame (default: the number of peer groups).
    **score_options
        Passed on to the pandas engine for each peer group (e.g. ``fx`` rates where the scoring takes them).

    Returns
    -------
    DataFrame
        Exactly the columns, order and values of :func:`esglib.scoring.score`.
    """
    cfg = config or ScoreConfig()
    if companies is None:
        raise ConfigError("`companies` is required: pass a frame (esglib.bundled.companies() gives the bundled one)")
    if disclosures is None:
        raise ConfigError("`disclosures` is required: a CSV path, a glob, a folder of Parquet parts or a frame")
    if client is None:
        with dask_client(scheduler) as c:
            return _score_on(c, disclosures, cfg, year, companies, as_of, max_rows, npartitions, score_options)
    return _score_on(client, disclosures, cfg, year, companies, as_of, max_rows, npartitions, score_options)


def _score_on(client, disclosures, cfg, year, companies, as_of, max_rows, npartitions, score_options
              ) -> pd.DataFrame:
    import dask.dataframe as dd
    from dask import delayed

    key = _group_key(companies, cfg)
    comp = companies.assign(_peer=companies["ticker"].map(key).to_numpy())
    if isinstance(disclosures, pd.DataFrame):
        ddf = dd.from_pandas(disclosures, npartitions=max(1, min(len(disclosures) // 50_000, 64)) or 1)
        meta = disclosures.iloc[:0]
    else:
        files = input_files(disclosures)
        comp_future = client.scatter(companies, broadcast=True)
        futures = [client.submit(_read_part, str(f), comp_future, max_rows, pure=False) for f in files]
        meta = futures[0].result().iloc[:0]  # fails fast with the first file's problems, as the pandas engine
        ddf = dd.from_delayed(futures, meta=meta, verify_meta=False)
    seq_meta = meta.assign(_seq=pd.Series(dtype="int64"), _peer=pd.Series(dtype=object))
    mapping = key.to_dict()

    def _tag(df: pd.DataFrame, partition_info=None) -> pd.DataFrame:
        i = (partition_info or {}).get("number", 0)
        return df.assign(_seq=(np.int64(i) << 40) + np.arange(len(df), dtype=np.int64),
                         _peer=df["ticker"].map(mapping).astype(object))

    tagged = ddf.map_partitions(_tag, meta=seq_meta)
    light = [c for c in tagged.columns if c in _NOT_SCORED]
    if light:  # long text columns that never enter a score do not travel through the shuffle
        tagged = tagged.drop(columns=light)
        seq_meta = seq_meta.drop(columns=light)
    if as_of is None:
        as_of = _default_as_of(tagged)
    groups = sorted(set(key.to_numpy()))
    n = npartitions or max(1, len(groups))
    shuffled = tagged.shuffle("_peer", npartitions=n, shuffle_method="tasks")
    comp_f = client.scatter(comp, broadcast=True)
    pieces = shuffled.to_delayed()
    tasks = [delayed(_score_groups_in)(p, comp_f, cfg, year, as_of, score_options=score_options) for p in pieces]
    results = client.compute(tasks, sync=True)
    frames = [r for r in results if len(r)]
    done = set().union(*(set(r["peer_group_key"].unique()) for r in frames)) if frames else set()
    missing = [g for g in groups if g not in done]  # groups without any disclosure still get their rows
    if missing:
        frames.append(_score_groups_in(seq_meta, comp, cfg, year, as_of, empty_groups=missing,
                                       score_options=score_options))
    out = pd.concat(frames, ignore_index=True).drop(columns="peer_group_key")
    out = _rank_like_pandas(out, companies)
    out.attrs.update({"config": cfg, "year": year, "as_of": None if as_of is None else str(pd.Timestamp(as_of).date()),
                      "engine": "dask"})
    return out


def _score_groups_in(part: pd.DataFrame, comp: pd.DataFrame, cfg, year, as_of, empty_groups=None,
                     score_options=None) -> pd.DataFrame:
    """Score every group present in one shuffled partition (a partition may hold several groups)."""
    out = []
    names = empty_groups if empty_groups is not None else list(pd.unique(part["_peer"]))
    for g in names:
        rows = part[part["_peer"] == g]
        uni = comp[comp["_peer"] == g].drop(columns="_peer")
        d = rows.sort_values("_seq", kind="stable").drop(columns=["_seq", "_peer"]).reset_index(drop=True)
        s = _score_pandas(d, cfg, year, companies=uni, as_of=as_of, **(score_options or {})).reset_index()
        out.append(s.assign(peer_group_key=g))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def _default_as_of(tagged):
    """Compute once, over all partitions, the as-of date the pandas engine would default to (or None)."""
    default_as_of = getattr(_score_module, "default_as_of", None)  # (where the scoring defaults as_of from data)
    if default_as_of is None:
        return None
    if "published_on" not in tagged.columns:
        return default_as_of(None)
    latest = tagged[["published_on"]].map_partitions(_latest_published, meta=pd.Series(dtype="datetime64[ns]"))
    latest = pd.to_datetime(latest.compute(), errors="coerce").max()
    return default_as_of(pd.DataFrame({"published_on": [latest]}))


def _latest_published(df: pd.DataFrame) -> pd.Series:
    """Latest ``published_on`` of one partition (task), as a one-element series."""
    dates = pd.to_datetime(df["published_on"].astype(str).replace({"": None, "NaT": None}), errors="coerce")
    return pd.Series([dates.max()], dtype="datetime64[ns]")


def _rank_like_pandas(out: pd.DataFrame, companies: pd.DataFrame) -> pd.DataFrame:
    """Rank over the whole universe and order rows exactly as the pandas engine does."""
    tickers = companies.drop_duplicates("ticker")["ticker"]
    out = out.set_index("ticker").reindex(tickers.to_numpy())
    out.index.name = "ticker"
    out["rank"] = out["composite"].rank(ascending=False, method="min").astype("Int64")
    out = out.sort_values(["composite", "composite_indicative", "coverage"], ascending=False, na_position="last",
                          kind="stable")
    return out


# ------------------------------------------------------------------------------------------------ sensitivity
def _chunk_ranks(W: np.ndarray, X: np.ndarray, geometric: bool, M: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Ranks (method "min", 1 = best) and composites of every company under each draw of one chunk (task)."""
    C = _draw_composites(W, X, geometric, mask=M)
    CT = _draw_composites(W, X, geometric, transposed=True, mask=M)
    order = np.argsort(-C.astype("float64"), axis=1, kind="stable")
    srt = np.take_along_axis(C, order, axis=1)
    m = C.shape[1]
    rank = np.where(np.diff(srt, axis=1, prepend=np.nan) != 0, np.arange(1, m + 1), 0)
    np.maximum.accumulate(rank, axis=1, out=rank)
    R = np.empty_like(rank)
    np.put_along_axis(R, order, rank, axis=1)
    return R.astype(np.int32), CT


def sensitivity_dask(scores: pd.DataFrame | None = None, n: int = 10_000, concentration: float = 50.0,
                     config=None, seed: int | None = 0, quantiles: tuple[float, float] = (0.05, 0.95), *,
                     scheduler: str | None = None, client=None, chunk: int = 2048) -> pd.DataFrame:
    """:func:`esglib.scoring.sensitivity` with its weight draws ranked on a Dask cluster.

    The draws are made on the client with the same generator (so the same seed gives the same draws), sent in
    chunks of ``chunk`` draws, and each chunk is scored and ranked on a worker; the client takes the quantiles.
    The result equals the local one (same ranks; composites to float32 rounding).
    """
    if client is None:
        with dask_client(scheduler) as c:
            return sensitivity_dask(scores, n, concentration, config, seed, quantiles, client=c, chunk=chunk)
    if scores is None:
        raise ConfigError("`scores` is required: pass the output of esglib.scoring.score")
    draws = _draws(scores, n, concentration, config, seed)
    if draws is None:
        return _empty()
    rated, W, X, M, geometric = draws
    x_f = client.scatter(X, broadcast=True)
    m_f = client.scatter(M, broadcast=True) if M is not None else None
    futures = [client.submit(_chunk_ranks, W[s:s + chunk], x_f, geometric, m_f, pure=False)
               for s in range(0, int(n), chunk)]
    results = client.gather(futures)
    R = np.concatenate([r for r, _ in results], axis=0)
    CT = np.concatenate([c for _, c in results], axis=1)
    lo_q, hi_q = quantiles
    ks = np.floor((int(n) - 1) * np.asarray((lo_q, 0.5, hi_q), dtype="float64")).astype(np.intp)
    R.sort(axis=0)
    return _result(rated, tuple(R[k] for k in ks), tuple(_column_quantiles(CT, (lo_q, hi_q))),
                   {"n": int(n), "concentration": concentration, "quantiles": quantiles, "engine": "dask"})


register_engine("dask", score_dask)
