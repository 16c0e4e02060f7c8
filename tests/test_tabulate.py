"""Recording learning curves (``bench tabulate``) and reading the table back
(``bench.curves``): every epoch of a curve is the real objective's value, a
killed job resumes with only the missing blocks, two drivers never share a
folder, and a missing, tampered or stale table is refused with the file named
and how to build it."""

import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench.cli import main
from bench.curves import KEY, TableError, read_table, rows_sha256
from bench.tabulate import TabulateError, code_of, plan, tabulate
from objectives.mlp import MLPSGD

ROOT = Path(__file__).resolve().parent.parent
WINE = "mlp-sgd[dataset=wine]"


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """4 design points x 2 seeds of mlp-sgd on wine, in blocks of 2."""
    where = tmp_path_factory.mktemp("table")
    tabulate([WINE], where / "t.parquet", work=where / "work", configs=4, seeds=2, block=2)
    return where / "t.parquet"


def test_a_table_holds_every_epoch_of_every_configuration_and_seed(small):
    table = read_table(small, code={WINE: MLPSGD})
    rows = table.rows
    assert len(rows) == 4 * 2 * 27
    assert sorted(rows["config_id"].unique()) == [0, 1, 2, 3]
    assert (
        rows.groupby(["config_id", "seed"])["epoch"]
        .apply(list)
        .map(lambda epochs: epochs == list(range(1, 28)))
        .all()
    )
    assert table.meta["design"]["configs"] == 4 and table.meta["seeds"] == [0, 1]
    assert table.meta["worker_seconds"] > 0


@pytest.mark.parametrize("config_id, seed, epochs", [(0, 0, 1), (1, 1, 9), (3, 0, 27)])
def test_each_recorded_epoch_is_what_the_objective_answers_for_that_many_epochs(
    small, config_id, seed, epochs
):
    rows = read_table(small).rows
    row = rows[(rows.config_id == config_id) & (rows.seed == seed) & (rows.epoch == epochs)]
    objective = MLPSGD("wine")
    config = {
        name: (int if name in ("hidden_units", "layers", "batch_size") else float)(
            row[f"param_{name}"].item()
        )
        for name in objective.space.names
    }
    real = objective.evaluate(config, epochs, seed=seed)
    assert row["validation"].item() == real.value
    assert row["test"].item() == real.extras["test"]


def test_tabulating_again_computes_nothing_and_gives_the_same_rows(small, tmp_path):
    work = small.parent / "work"
    again = tabulate([WINE], tmp_path / "t.parquet", work=work, configs=4, seeds=2, block=2)
    assert (again.stored, again.computed) == (4, 0)
    assert read_table(tmp_path / "t.parquet").meta["rows_sha256"] == rows_sha256(
        read_table(small).rows
    )


class Job:
    """``python -m bench tabulate`` on wine in blocks of one configuration, in a
    session of its own, started and then waited on until ``count`` blocks are kept."""

    def __init__(self, tmp_path: Path, configs: int, count: int):
        self.out, self.blocks = tmp_path / "t.parquet", tmp_path / "work" / "blocks" / WINE
        self.configs = configs
        self.command = [
            sys.executable, "-m", "bench", "tabulate", "--objectives", WINE,
            "--configs", str(configs), "--seeds", "1", "--block", "1", "--jobs", "1",
            "--out", str(self.out), "--work", str(tmp_path / "work"),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, start_new_session=True, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 120
        while self.kept() < count:
            assert self.process.poll() is None, self.process.stderr.read()
            assert time.monotonic() < deadline, f"{count} blocks not stored within 120 s"
            time.sleep(0.05)

    def kept(self) -> int:
        return len(list(self.blocks.glob("*.parquet")))

    def resume(self) -> str:
        """Rerun the same command; check it computes only the blocks not kept."""
        kept = self.kept()
        again = subprocess.run(self.command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        assert f"{kept} stored, {self.configs - kept} to compute" in again.stderr
        return again.stderr


def test_a_killed_job_resumes_computing_only_the_missing_blocks(tmp_path):
    job = Job(tmp_path, configs=32, count=5)
    os.killpg(job.process.pid, signal.SIGKILL)
    job.process.wait()
    job.process.stderr.close()
    assert 5 <= job.kept() < 32 and not job.out.exists()
    job.resume()
    out = job.out
    whole = tabulate([WINE], tmp_path / "whole.parquet", work=tmp_path / "w2", configs=32, seeds=1)
    resumed_rows, whole_rows = read_table(out).rows, read_table(whole.out).rows
    # every column but the measured training seconds is a function of the seed
    pd.testing.assert_frame_equal(
        resumed_rows.drop(columns="seconds"), whole_rows.drop(columns="seconds"), check_exact=True
    )


def test_a_second_driver_on_the_same_folder_is_refused(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    with open(work / ".lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("pid 12345")
        held.flush()
        with pytest.raises(TabulateError, match=r"another tabulate \(pid 12345\) is writing"):
            tabulate([WINE], tmp_path / "t.parquet", work=work, configs=2, seeds=1)


def test_an_objective_without_curves_cannot_be_tabulated():
    with pytest.raises(TabulateError, match="'branin' has no curve"):
        code_of(["branin"])


def test_blocks_of_other_code_are_never_read(small, monkeypatch):
    import bench.tabulate

    here = plan(code_of([WINE]), 4, 2, 2)
    monkeypatch.setattr(bench.tabulate, "curve_code", lambda target: {"modules": {"x": "y"}})
    other = plan(code_of([WINE]), 4, 2, 2)
    assert {b.path(small.parent) for b in here}.isdisjoint({b.path(small.parent) for b in other})


def test_a_missing_table_names_the_file_and_how_to_build_it(tmp_path):
    with pytest.raises(TableError, match=r"nothing\.parquet: no table .* `make tabulate`"):
        read_table(tmp_path / "nothing.parquet")


def test_a_file_that_is_not_parquet_is_refused(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not a table")
    with pytest.raises(TableError, match=r"bad\.parquet: not a readable Parquet file"):
        read_table(bad)


def _rewrite(source: Path, target: Path, *, rows=None, meta=None) -> Path:
    table = pq.read_table(source)
    old = json.loads(table.schema.metadata[KEY])
    frame = table.to_pandas() if rows is None else rows(table.to_pandas())
    new = pa.Table.from_pandas(frame, preserve_index=False)
    new_meta = old if meta is None else meta(old)
    new = new.replace_schema_metadata({**new.schema.metadata, KEY: json.dumps(new_meta).encode()})
    pq.write_table(new, target)
    return target


def test_a_table_whose_rows_were_edited_is_refused(small, tmp_path):
    def better(frame):
        frame.loc[0, "validation"] = 0.0
        return frame

    edited = _rewrite(small, tmp_path / "edited.parquet", rows=better)
    with pytest.raises(TableError, match=r"edited\.parquet: its rows do not match the hash"):
        read_table(edited)


def test_a_table_built_by_other_code_is_refused_with_what_changed(small, tmp_path):
    def older(meta):
        meta["code"][WINE]["modules"]["objectives.mlp"] = "0" * 64
        return meta

    stale = _rewrite(small, tmp_path / "stale.parquet", meta=older)
    read_table(stale)  # the rows are intact; only the code check refuses it
    with pytest.raises(
        TableError, match=r"stale\.parquet: the curves of .* other code .*module objectives\.mlp"
    ):
        read_table(stale, code={WINE: MLPSGD})


def test_the_command_says_what_it_wrote(tmp_path, caplog):
    code = main([
        "tabulate", "--objectives", WINE, "--configs", "2", "--seeds", "1", "--jobs", "1",
        "--out", str(tmp_path / "t.parquet"), "--work", str(tmp_path / "w"),
    ])  # fmt: skip
    assert code == 0
    assert "t.parquet: 1 blocks (0 were stored, 1 computed)" in caplog.text
    assert main(["tabulate", "--objectives", "branin", "--out", str(tmp_path / "b.parquet")]) == 2


def test_a_killed_worker_stops_the_job_with_its_block_named_and_keeps_the_rest(tmp_path):
    job = Job(tmp_path, configs=64, count=3)
    workers = [p for c in psutil.Process(job.process.pid).children() for p in c.children()]
    assert workers, "no worker process found under the driver"
    for worker in workers:
        worker.kill()
    _, err = job.process.communicate(timeout=120)
    assert job.process.returncode == 2, err
    assert re.search(r"block mlp-sgd\[dataset=wine\] seed 0 configs \d+\.\.\d+ failed: the worker "
                     r"process \(pid \d+\) .* died \(signal 9", err), err  # fmt: skip
    assert "the blocks finished are kept under" in err and not job.out.exists()
    job.resume()


@pytest.mark.parametrize(
    "objectives, configs, message",
    [
        ([], 4, "no objective named"),
        ([WINE, WINE], 4, r"mlp-sgd\[dataset=wine\] named twice"),
        ([WINE], 6, "--configs 6: a power of two is needed"),
    ],
)
def test_a_job_that_cannot_be_planned_is_refused(objectives, configs, message):
    with pytest.raises(TabulateError, match=message):
        plan(code_of(objectives), configs, 1)


def test_metadata_that_is_not_json_is_refused(small, tmp_path):
    table = pq.read_table(small)
    broken = tmp_path / "broken.parquet"
    pq.write_table(table.replace_schema_metadata({KEY: b"{not json"}), broken)
    with pytest.raises(TableError, match=r"broken\.parquet: its metadata is not JSON"):
        read_table(broken)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda rows: rows.drop(index=5), "exactly once"),
        (lambda rows: pd.concat([rows, rows.iloc[[7]]]), "exactly once"),
        (lambda rows: rows.drop(columns="param_alpha"), "no column param_alpha"),
    ],
)
def test_curves_with_a_hole_a_duplicate_or_a_parameter_missing_are_refused(small, damage, message):
    from bench.curves import CurveTable
    from objectives.tabular import Curves

    table = read_table(small)
    damaged = CurveTable(damage(table.rows), table.meta, table.path)
    with pytest.raises(TableError, match=rf"t\.parquet: .*{message}"):
        Curves(damaged, WINE, MLPSGD("wine").space)
