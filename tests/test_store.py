"""Atomic Parquet runs, spec hashes, resume states, checksums, reading the tree back."""

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from bench import manifest, run
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
        code={"modules": {"strategies.random_search": "a"}, "libraries": {}, "python": "3"},
        optimum=0.397887357729738,
        signature=(1.0, 2.0, None, 4.0, 5.0),
    )
    return RunSpec(**{**fields, **changes})


def test_a_written_run_is_stored_with_its_spec(tmp_path):
    store = Store(tmp_path)
    s = spec()
    path = store.write(run("random", "branin", 0, 5, suite="t"), s)
    name = f"seed=0-{s.hash[:16]}.parquet"
    assert path == tmp_path / "runs" / "branin" / "random" / name
    assert read_metadata(path)["spec_hash"] == s.hash
    assert store.state(s) == "stored"
    assert [p.name for p in path.parent.iterdir()] == [name]


@pytest.mark.parametrize(
    "field,value",
    [
        ("budget", 6.0),
        ("seed", 1),
        ("timeout", 30.0),
        ("code", {"modules": {"strategies.random_search": "edited"}, "libraries": {}}),
        ("code", {"modules": {"strategies.random_search": "a"}, "libraries": {"numpy": "9"}}),
        ("space", {"x": {"type": "int"}}),
        ("optimum", 0.0),
        ("signature", (1.0, 2.0, None, 4.0, 5.5)),
    ],
)
def test_any_change_of_spec_code_or_optimum_gives_another_file(tmp_path, field, value):
    store = Store(tmp_path)
    original = store.write(run("random", "branin", 0, 5), spec())
    changed = spec(**{field: value})
    assert changed.hash != spec().hash
    assert store.path(changed) != original
    assert store.state(changed) == "missing"
    assert store.others(changed) == ([] if field == "seed" else [original])


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


def test_a_corrupt_file_in_place_counts_as_corrupt(tmp_path):
    store = Store(tmp_path)
    path = store.path(spec())
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not parquet")
    assert store.state(spec()) == "corrupt"


def test_a_signature_is_rounded_to_ten_digits_before_it_is_hashed():
    close = spec().with_signature([1.0 + 1e-13, 2.0, float("nan"), 4.0, 5.0])
    assert close.signature == spec().signature and close.hash == spec().hash
    far = spec().with_signature([1.0 + 1e-8, 2.0, float("nan"), 4.0, 5.0])
    assert far.hash != spec().hash


def test_failure_reasons_and_optimum_travel_in_the_metadata(tmp_path):
    trace = run("random", "branin", 0, 3)
    trace.errors[1] = "ValueError: boom"
    path = Store(tmp_path).write(trace, spec())
    meta = read_metadata(path)
    assert meta["errors"] == {"1": "ValueError: boom"}
    assert meta["optimum"] == pytest.approx(0.397887357729738)
    assert meta["spec"] == spec().to_json()
    assert RunSpec.from_json(meta["spec"]) == spec()


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


def test_the_manifest_is_replaced_atomically_under_its_lock(tmp_path):
    manifest.update(tmp_path, lambda m: m.update(a=1))
    manifest.update(tmp_path, lambda m: m.update(b=2))
    assert json.loads((tmp_path / "manifest.json").read_text()) == {"a": 1, "b": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".manifest.lock", "manifest.json"]
