"""The Dask executor on a real cluster: a scheduler and two workers started as
subprocesses on 127.0.0.1, torn down after."""

import pandas as pd
import pytest

from bench.cli import main
from bench.cluster import loopback_cluster

pytest.importorskip("distributed")

SUITE = """
strategies = ["random", "tpe", "hyperband"]
objectives = ["branin-mf", "hartmann6-mf"]
seeds = 3
budget = 12
"""
TIMING = ["t_ask", "t_eval", "t_tell"]


@pytest.fixture(scope="module")
def address():
    with loopback_cluster(2) as address:
        yield address


def values(results):
    files = sorted((results / "tiny" / "runs").rglob("*.parquet"))
    frames = [pd.read_parquet(p).drop(columns=TIMING) for p in files]
    return (
        pd.concat(frames)
        .sort_values(["objective", "strategy", "seed", "trial"])
        .reset_index(drop=True)
    )


def test_a_dask_cluster_stores_the_same_values_as_the_local_pool(tmp_path, address, caplog):
    suite = tmp_path / "tiny.toml"
    suite.write_text(SUITE)
    dask_results, local_results = tmp_path / "dask", tmp_path / "local"
    assert main(["run", str(suite), "--results", str(dask_results), "--executor", "dask",
                 "--address", address]) == 0  # fmt: skip
    assert "complete: 18 runs ran" in caplog.text
    assert main(["run", str(suite), "--results", str(local_results), "--jobs", "2"]) == 0
    local = values(local_results)
    assert len(local) > 18 * 12
    pd.testing.assert_frame_equal(values(dask_results), local)

    caplog.clear()
    assert main(["run", str(suite), "--results", str(dask_results), "--executor", "dask",
                 "--address", address]) == 0  # fmt: skip
    assert "18 stored, 0 to run" in caplog.text


def test_dask_without_an_address_is_a_usage_error(tmp_path, caplog):
    suite = tmp_path / "tiny.toml"
    suite.write_text(SUITE)
    assert main(["run", str(suite), "--results", str(tmp_path), "--executor", "dask"]) == 2
    assert "--executor dask needs --address" in caplog.text


def test_tabulate_on_a_dask_cluster_records_the_curves_the_local_pool_records(tmp_path, address):
    from bench.curves import read_table

    common = ["tabulate", "--objectives", "mlp-adam[dataset=wine]", "--configs", "4",
              "--seeds", "1", "--block", "2"]  # fmt: skip
    assert main([*common, "--executor", "dask", "--address", address,
                 "--out", str(tmp_path / "dask.parquet"), "--work", str(tmp_path / "d")]) == 0  # fmt: skip
    assert main([*common, "--jobs", "2",
                 "--out", str(tmp_path / "local.parquet"), "--work", str(tmp_path / "l")]) == 0  # fmt: skip
    dask, local = (read_table(tmp_path / f"{n}.parquet").rows for n in ("dask", "local"))
    assert len(dask) == 4 * 27
    pd.testing.assert_frame_equal(
        dask.drop(columns="seconds"), local.drop(columns="seconds"), check_exact=True
    )
