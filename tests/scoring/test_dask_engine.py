"""The Dask engine gives the pandas engine's answer (composite within 1e-9, identical ratings).

Runs on a small in-process LocalCluster (one worker, two threads, no sockets), closed at the end of the module.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("distributed")

from esglib.app.cli import main  # noqa: E402
from esglib.errors import DataValidationError  # noqa: E402
from esglib.inputs import DATA_DIR, load_companies, load_disclosures  # noqa: E402
from esglib.scoring import ScoreConfig, score, sensitivity  # noqa: E402
from esglib.scoring.dask_engine import dask_client, input_files, score_dask, sensitivity_dask  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with dask_client(n_workers=1, processes=False, threads_per_worker=2, memory_limit=None) as c:
        yield c


@pytest.fixture(scope="module")
def companies():
    return load_companies(DATA_DIR / "companies.csv")


@pytest.fixture(scope="module")
def reference(companies):
    return score(load_disclosures(DATA_DIR / "disclosures.csv", companies), companies=companies)


def assert_same_scores(ref: pd.DataFrame, got: pd.DataFrame) -> None:
    assert list(got.index) == list(ref.index)
    assert list(got.columns) == list(ref.columns)
    np.testing.assert_allclose(got["composite"].to_numpy(float), ref["composite"].to_numpy(float), rtol=0,
                               atol=1e-9, equal_nan=True)
    assert got["rating"].astype(str).tolist() == ref["rating"].astype(str).tolist()
    pd.testing.assert_frame_equal(got, ref, check_dtype=False, atol=1e-9, rtol=0)


def test_bundled_csv_scores_as_the_pandas_engine(client, companies, reference):
    assert_same_scores(reference, score_dask(DATA_DIR / "disclosures.csv", companies=companies, client=client))
    via_score = score(DATA_DIR / "disclosures.csv", companies=companies, engine="dask", client=client)
    assert_same_scores(reference, via_score)


def test_config_variants_score_as_the_pandas_engine(client, companies):
    d = load_disclosures(DATA_DIR / "disclosures.csv", companies)
    for cfg in (ScoreConfig(aggregation="geometric"), ScoreConfig(peer_relative=False),
                ScoreConfig(normalisation="minmax")):
        assert_same_scores(score(d, cfg, companies=companies), score_dask(d, cfg, companies=companies, client=client))


def test_partitioned_parquet_and_csv_glob(client, companies, reference, tmp_path):
    raw = pd.read_csv(DATA_DIR / "disclosures.csv", dtype=str, keep_default_na=False)
    parts = np.array_split(np.arange(len(raw)), 3)
    folder = tmp_path / "parquet"
    folder.mkdir()
    for i, rows in enumerate(parts):
        raw.iloc[rows].to_parquet(folder / f"part-{i:03d}.parquet", index=False)
        raw.iloc[rows].to_csv(tmp_path / f"disclosures-{i}.csv", index=False)
    assert len(input_files(folder)) == 3
    assert_same_scores(reference, score_dask(folder, companies=companies, client=client))
    assert_same_scores(reference, score_dask(str(tmp_path / "disclosures-*.csv"), companies=companies,
                                             client=client))


def test_bad_row_in_a_part_is_located(client, companies, tmp_path):
    raw = pd.read_csv(DATA_DIR / "disclosures.csv", dtype=str, keep_default_na=False).head(20)
    raw.loc[4, "value"] = "1,234"
    raw.to_parquet(tmp_path / "part-000.parquet", index=False)
    with pytest.raises(DataValidationError) as err:
        score_dask(tmp_path, companies=companies, client=client)
    (p,) = err.value.problems
    assert p.file.endswith("part-000.parquet") and p.column == "value" and p.value == "1,234"
    assert p.rule.startswith("value is not a plain number")


def test_nothing_matches_is_an_error(client, companies, tmp_path):
    with pytest.raises(DataValidationError, match="no CSV or Parquet files match"):
        score_dask(str(tmp_path / "nothing-*.csv"), companies=companies, client=client)


def test_sensitivity_draws_on_the_cluster_equal_local(client, reference):
    local = sensitivity(reference, n=500, seed=3)
    remote = sensitivity_dask(reference, n=500, seed=3, client=client, chunk=120)
    pd.testing.assert_frame_equal(local, remote, check_dtype=False)


def test_sensitivity_on_the_cluster_rescales_a_missing_pillar_like_the_local_one(client, reference):
    # a rated company whose energy pillar has no scorable KPI (NaN): both engines leave it out and rescale the rest
    scores = reference.copy()
    rated = scores.index[scores["composite"].notna()]
    assert len(rated) >= 2
    scores.loc[rated[0], "energy"] = np.nan
    local = sensitivity(scores, n=300, seed=5)
    remote = sensitivity_dask(scores, n=300, seed=5, client=client, chunk=70)
    pd.testing.assert_frame_equal(local, remote, check_dtype=False)
    unmasked = sensitivity(reference, n=300, seed=5)
    assert not local["composite_low"].equals(unmasked["composite_low"])  # the mask changed the answer


def test_cli_engine_dask_with_scheduler(client, companies, tmp_path, capsys):
    from esglib.inputs import load_fx_rates

    # the command line converts reported-currency revenue with the bundled FX table, as `esglib score` does
    reference = score(load_disclosures(DATA_DIR / "disclosures.csv", companies), companies=companies,
                      fx=load_fx_rates(DATA_DIR / "fx_rates.csv"))
    out = tmp_path / "scores.csv"
    code = main(["score", "--engine", "dask", "--scheduler", client.scheduler.address, "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    got = pd.read_csv(out, index_col="ticker")
    assert list(got.index) == list(reference.index)
    np.testing.assert_allclose(got["composite"].to_numpy(float), reference["composite"].to_numpy(float), atol=1e-9,
                               equal_nan=True)


def test_scheduler_needs_the_dask_engine(capsys):
    assert main(["score", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "--scheduler needs --engine dask" in capsys.readouterr().err


def test_import_esglib_does_not_import_dask():
    code = "import sys, esglib, esglib.scoring; assert 'dask' not in sys.modules and 'distributed' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
