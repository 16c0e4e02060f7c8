"""Atomic Parquet runs, spec hashes, resume states, reading the tree back."""

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from bench import run
from bench.spec import RunSpec
from bench.store import Store, read_metadata


def spec(**changes):
    fields = dict(
        suite="t",
        strategy="random",
        objective="branin",
        seed=0,
        budget=5.0,
        space={"x": {"type": "float"}},
        strategy_source="a",
        objective_source="b",
    )
    return RunSpec(**{**fields, **changes})


def test_a_written_run_is_stored_with_its_spec(tmp_path):
    store = Store(tmp_path)
    s = spec()
    path = store.write(run("random", "branin", 0, 5, suite="t"), s)
    assert path == tmp_path / "runs" / "branin" / "random" / "seed=0.parquet"
    assert read_metadata(path)["spec_hash"] == s.hash
    assert store.state(s) == "stored"
    assert [p.name for p in path.parent.iterdir()] == ["seed=0.parquet"]


@pytest.mark.parametrize(
    "field,value",
    [
        ("budget", 6.0),
        ("seed", 1),
        ("strategy_source", "edited"),
        ("objective_source", "edited"),
        ("space", {"x": {"type": "int"}}),
    ],
)
def test_any_change_of_spec_or_source_makes_a_stored_run_stale(tmp_path, field, value):
    store = Store(tmp_path)
    store.write(run("random", "branin", 0, 5), spec())
    changed = spec(**{field: value})
    expected = "missing" if field == "seed" else "stale"
    assert store.state(changed) == expected


def test_the_suite_name_is_not_part_of_the_hash():
    assert spec(suite="a").hash == spec(suite="b").hash


def test_a_crash_while_writing_leaves_no_file(tmp_path, monkeypatch):
    store = Store(tmp_path)

    def crash(table, where, **kwargs):
        where.write(b"PAR1 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(pq, "write_table", crash)
    with pytest.raises(KeyboardInterrupt):
        store.write(run("random", "branin", 0, 5), spec())
    assert list((tmp_path / "runs").rglob("*")) == [
        tmp_path / "runs" / "branin",
        tmp_path / "runs" / "branin" / "random",
    ]
    assert store.state(spec()) == "missing"


def test_a_corrupt_file_in_place_counts_as_stale(tmp_path):
    store = Store(tmp_path)
    path = store.path(spec())
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not parquet")
    assert store.state(spec()) == "stale"


def test_failure_reasons_and_optimum_travel_in_the_metadata(tmp_path):
    trace = run("random", "branin", 0, 3)
    trace.errors[1] = "ValueError: boom"
    path = Store(tmp_path).write(trace, spec())
    meta = read_metadata(path)
    assert meta["errors"] == {"1": "ValueError: boom"}
    assert meta["optimum"] == pytest.approx(0.397887357729738)
    assert meta["spec"] == spec().to_json()


def test_the_tree_reads_back_whole_and_per_objective(tmp_path):
    store = Store(tmp_path)
    store.write(run("random[scale=linear]", "branin", 0, 4), spec(strategy="random[scale=linear]"))
    store.write(run("random", "hartmann6", 0, 3), spec(objective="hartmann6"))
    whole = store.read_runs()
    assert len(whole) == 7
    assert {"param_x1", "param_x6"} <= set(whole.columns)
    assert whole.loc[whole["objective"] == "hartmann6", "param_x6"].notna().all()
    branin = pd.read_parquet(tmp_path / "runs" / "branin")
    assert branin["strategy"].unique().tolist() == ["random[scale=linear]"]
    assert "random[scale" not in branin.columns
    assert len(pd.read_parquet(tmp_path / "runs")) == 7


def test_the_manifest_is_replaced_atomically(tmp_path):
    store = Store(tmp_path)
    store.write_manifest({"a": 1})
    store.write_manifest({"a": 2})
    assert json.loads((tmp_path / "manifest.json").read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]
