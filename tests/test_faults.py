"""Faults: failing, non-finite and overlong evaluations, a strategy that raises,
a driver killed with SIGKILL, two drivers on one results folder, Ctrl-C."""

import contextlib
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from bench.cli import main
from bench.deadline import TrialTimeout, deadline
from bench.store import read_metadata

TIMING = ["t_ask", "t_eval", "t_tell"]
ROOT = Path(__file__).resolve().parent.parent

FAULTS = '''
"""Fault injection: an objective that raises, returns NaN or inf, or sleeps past
the timeout, by region of x (for seeds >= 1: seed 0 is the signature's, kept clean);
and a strategy that raises at its fourth ask."""
import math
import time

import numpy as np

from bench import Evaluation, Float, Objective, Space, Strategy


def fault(x):
    if x < 0.15:
        return "failed-raise"
    if x < 0.30:
        return "failed-nan"
    if x < 0.40:
        return "timeout"
    if x < 0.45:
        return "failed-inf"
    return "ok"


class Faulty(Objective):
    name = "faulty"

    def __init__(self):
        self.space = Space({"x": Float(0.0, 1.0)})
        self.optimum = None

    def evaluate(self, config, fidelity=None, *, seed):
        x = config["x"]
        kind = fault(x) if seed >= 1 else "ok"
        if kind == "failed-raise":
            raise RuntimeError(f"injected failure at x={x:.3f}")
        if kind == "failed-nan":
            return Evaluation(math.nan)
        if kind == "failed-inf":
            return Evaluation(math.inf)
        if kind == "timeout":
            time.sleep(60)
        return Evaluation((x - 0.7) ** 2)


class Raising(Strategy):
    """Random search that raises at its fourth ask."""
    name = "raising"

    def __init__(self, space, *, seed, budget, fidelity=None):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        self.rng = np.random.default_rng(seed)

    def ask(self):
        if self.suggested == 3:
            raise RuntimeError("the strategy broke at its fourth ask")
        return self.suggest(self.space.sample(self.rng))

    def tell(self, suggestion, value):
        pass
'''


def run_file(folder: Path, seed: int) -> Path:
    """The one run file of ``seed`` in ``folder``, however the store names it
    (``seed=K.parquet`` or ``seed=K-HASH.parquet``)."""
    (path,) = folder.glob(f"seed={seed}[.-]*parquet")
    return path


def expected_status(x: float) -> str:
    if 0.30 <= x < 0.40:
        return "timeout"
    if x < 0.30 or 0.40 <= x < 0.45:
        return "failed"
    return "ok"


def test_a_suite_with_every_fault_completes_with_exactly_the_expected_statuses(tmp_path, caplog):
    plugin = tmp_path / "faults.py"
    plugin.write_text(FAULTS)
    suite = tmp_path / "faults.toml"
    suite.write_text(
        'strategies = ["random", "raising"]\nobjectives = ["faulty"]\n'
        "seeds = [1, 2]\nbudget = 14\ntimeout = 0.4\n"
    )
    started = time.monotonic()
    args = ["run", str(suite), "--results", str(tmp_path / "r"), "--plugin", str(plugin)]
    assert main([*args, "--jobs", "2"]) == 1
    assert time.monotonic() - started < 40, "a sleeping evaluation was not interrupted"
    runs = tmp_path / "r" / "faults" / "runs" / "faulty"

    seen = set()
    for seed in (1, 2):
        path = run_file(runs / "random", seed)
        rows = pd.read_parquet(path)
        meta = read_metadata(path)
        assert meta["error"] is None and len(rows) == 14
        assert rows["cost"].sum() == pytest.approx(14.0)
        assert rows["status"].tolist() == [expected_status(x) for x in rows["param_x"]]
        assert rows.loc[rows["status"] != "ok", "value"].isna().all()
        assert rows.loc[rows["status"] == "timeout", "t_eval"].between(0.3, 5).all()
        for trial, status in enumerate(rows["status"]):
            if status != "ok":
                assert str(trial) in meta["errors"]
        seen |= set(rows["status"])
    assert {"ok", "failed", "timeout"} <= seen

    for seed in (1, 2):
        path = run_file(runs / "raising", seed)
        meta = read_metadata(path)
        assert "RuntimeError: the strategy broke at its fourth ask" in meta["error"]
        assert "Traceback (most recent call last)" in meta["error"]
        assert len(pd.read_parquet(path)) == 3
    assert "errored runs (stored with their traceback; retried by the next run)" in caplog.text
    assert "faulty / raising / seed=1: RuntimeError: the strategy broke" in caplog.text
    manifest = json.loads((tmp_path / "r" / "faults" / "manifest.json").read_text())
    assert manifest["last_run"]["status"] == "errored"
    assert sorted(manifest["last_run"]["errored"]) == [
        "faulty / raising / seed=1",
        "faulty / raising / seed=2",
    ]


def test_deadline_interrupts_the_main_thread_with_a_timer_signal():
    started = time.monotonic()
    with pytest.raises(TrialTimeout), deadline(0.2):
        time.sleep(30)
    assert time.monotonic() - started < 5
    with deadline(5.0):
        time.sleep(0.01)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_deadline_interrupts_a_worker_thread_between_bytecodes():
    outcome = {}

    def work():
        started = time.monotonic()
        try:
            with deadline(0.2):
                while time.monotonic() - started < 30:
                    sum(range(1000))
            outcome["result"] = "finished"
        except TrialTimeout:
            outcome["result"] = "timeout"
        outcome["seconds"] = time.monotonic() - started
        # nothing left pending: a later block in this thread runs to its end
        with deadline(5.0):
            time.sleep(0.05)
        outcome["after"] = "clean"

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(40)
    assert outcome == {
        "result": "timeout",
        "seconds": pytest.approx(0.2, abs=2.0),
        "after": "clean",
    }


def test_an_objective_cannot_swallow_the_timeout():
    careless = contextlib.suppress(Exception)  # what an objective's broad except does
    with pytest.raises(TrialTimeout), deadline(0.1), careless:
        time.sleep(30)


# --- processes killed, doubled, interrupted ---------------------------------------

SLOW_SUITE = """
strategies = ["random", "tpe"]
objectives = ["branin", "hartmann6"]
seeds = 4
budget = 60
"""


def bench_command(suite: Path, results: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "bench", "run", str(suite), "--results", str(results),
            "--jobs", str(jobs)]  # fmt: skip


def start(command: list[str]) -> subprocess.Popen:
    """``command`` in its own session, with Ctrl-C's default handling: a shell that
    starts a job in the background (``ci &``) makes it ignore SIGINT, and an
    ignored signal stays ignored in every process it starts."""
    return subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=_default_sigint,
    )  # fmt: skip


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stored(results: Path) -> list[Path]:
    return sorted((results / "slow" / "runs").rglob("*.parquet"))


def wait_for_files(
    results: Path, count: int, process: subprocess.Popen, limit: float = 120
) -> None:
    deadline_at = time.monotonic() + limit
    while len(stored(results)) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline_at, "runs did not complete in time"
        time.sleep(0.02)


def values(results: Path) -> pd.DataFrame:
    frames = [pd.read_parquet(p).drop(columns=TIMING) for p in stored(results)]
    return (
        pd.concat(frames)
        .sort_values(["objective", "strategy", "seed", "trial"])
        .reset_index(drop=True)
    )


@pytest.fixture(scope="module")
def slow_suite(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slow")
    suite = folder / "slow.toml"
    suite.write_text(SLOW_SUITE)
    reference = folder / "reference"
    done = subprocess.run(
        bench_command(suite, reference, 2), cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert len(stored(reference)) == 16
    return suite, values(reference)


def test_a_suite_killed_with_sigkill_resumes_to_the_same_values(tmp_path, slow_suite):
    suite, reference = slow_suite
    results = tmp_path / "r"
    process = start(bench_command(suite, results, 2))
    wait_for_files(results, 3, process)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = {p: p.stat().st_mtime_ns for p in stored(results)}
    assert 3 <= len(before) < 16, "the suite finished before it could be killed"
    for path in before:
        pd.read_parquet(path)  # every visible file is whole

    rerun = subprocess.run(
        bench_command(suite, results, 2), cwd=ROOT, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(before)} stored, {16 - len(before)} to run" in rerun.stderr
    assert {p: p.stat().st_mtime_ns for p in before} == before, "a completed run was recomputed"
    assert not list((results / "slow" / "runs").rglob(".*.tmp"))
    pd.testing.assert_frame_equal(values(results), reference)


def grandchildren(pid: int) -> list[int]:
    """Processes whose parent is a child of ``pid``: the pool's workers, forked by
    the fork server that the driver started."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    children = {child for child, parent in parents.items() if parent == pid}
    return sorted(child for child, parent in parents.items() if parent in children)


def test_a_worker_killed_with_sigkill_is_replaced_and_its_runs_retried(tmp_path, slow_suite):
    suite, reference = slow_suite
    results = tmp_path / "r"
    process = start(bench_command(suite, results, 2))
    wait_for_files(results, 2, process)
    workers = grandchildren(process.pid)
    assert workers, "no worker process found"
    os.kill(workers[0], signal.SIGKILL)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert "complete: " in err
    assert len(stored(results)) == 16
    pd.testing.assert_frame_equal(values(results), reference)


def test_two_drivers_on_one_results_folder_store_every_run_once(tmp_path, slow_suite):
    suite, reference = slow_suite
    results = tmp_path / "r"
    first, second = (start(bench_command(suite, results, 1)) for _ in range(2))
    outputs = [p.communicate(timeout=300) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outputs
    ran = [int(re.search(r"complete: (\d+) runs ran", err).group(1)) for _, err in outputs]
    assert sum(ran) == 16, ran
    assert min(ran) > 0, "the drivers did not overlap; the test proves nothing"
    pd.testing.assert_frame_equal(values(results), reference)


def test_ctrl_c_stops_cleanly_keeps_completed_runs_and_says_how_to_resume(tmp_path, slow_suite):
    suite, reference = slow_suite
    results = tmp_path / "r"
    process = start(bench_command(suite, results, 2))
    wait_for_files(results, 2, process)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err, err
    assert "run the same command again to resume: python -m bench run" in err
    kept = stored(results)
    assert 2 <= len(kept) < 16
    manifest = json.loads((results / "slow" / "manifest.json").read_text())
    assert manifest["last_run"]["status"] == "interrupted"
    rerun = subprocess.run(
        bench_command(suite, results, 2), cwd=ROOT, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    pd.testing.assert_frame_equal(values(results), reference)
    assert not math.isnan(reference["best"].iloc[-1])


def test_ctrl_c_in_process_keeps_the_run_that_finished_before_it(tmp_path, monkeypatch):
    import bench.execute as execute_module
    from bench.execute import Interrupted, execute
    from bench.registry import default_registry
    from bench.suite import load_suite, plan

    suite = tmp_path / "three.toml"
    suite.write_text('strategies = ["random"]\nobjectives = ["branin"]\nseeds = 3\nbudget = 4\n')
    specs, _ = plan(load_suite(suite), default_registry())
    real, calls = execute_module.compute, []

    def interrupted_on_the_second_run(spec, plugins=()):
        calls.append(spec.seed)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(spec, plugins)

    monkeypatch.setattr(execute_module, "compute", interrupted_on_the_second_run)
    with pytest.raises(Interrupted) as interrupt:
        execute(specs, tmp_path / "r", jobs=1, in_process=True)
    assert [o.spec.seed for o in interrupt.value.outcomes] == [0]
    (stored_run,) = (tmp_path / "r" / "runs").rglob("*.parquet")
    assert stored_run == run_file(stored_run.parent, 0)
