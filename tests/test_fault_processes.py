"""Faults that end or orphan processes, with real processes: an objective that
exits or hangs while computing its signature, one that ends its worker, a
worker killed with SIGKILL beside healthy runs, a driver killed with SIGKILL,
an unreachable Dask scheduler, and a run that cannot be stored."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent

PLUGIN = '''
"""Process faults by seed. Seed 0 (the signature's) is clean except for the
signature-* objectives, which fail only there."""
import errno
import os
import signal
import time

import bench.store
from bench import Evaluation, Float, Objective, Space


class _Quadratic(Objective):
    def __init__(self):
        self.space = Space({"x": Float(0.0, 1.0)})
        self.optimum = None

    def evaluate(self, config, fidelity=None, *, seed):
        self.fault(seed)
        return Evaluation((config["x"] - 0.5) ** 2)

    def fault(self, seed):
        pass


class Fast(_Quadratic):
    """No fault."""
    name = "fast"


class Slow(_Quadratic):
    """0.05 s per evaluation."""
    name = "slow"

    def fault(self, seed):
        if seed >= 1:
            time.sleep(0.05)


class Exits(_Quadratic):
    """Ends its process with os._exit(3) at seed 1."""
    name = "exits"

    def fault(self, seed):
        if seed == 1:
            os._exit(3)


class Killed(_Quadratic):
    """Kills its process with SIGKILL at seed 1; 0.05 s per evaluation otherwise."""
    name = "killed"

    def fault(self, seed):
        if seed == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.05)


class SignatureExits(_Quadratic):
    name = "signature-exits"

    def fault(self, seed):
        if seed == 0:
            os._exit(3)


class SignatureHangs(_Quadratic):
    name = "signature-hangs"

    def fault(self, seed):
        if seed == 0:
            time.sleep(3600)


class SignatureRaises(_Quadratic):
    name = "signature-raises"

    def signature(self):
        raise ValueError("no signature here")


_write = bench.store.Store.write


def _write_or_fail(self, trace, spec):
    if os.environ.get("FAIL_WRITE_OF_SEED") == str(spec.seed):
        raise OSError(errno.ENOSPC, "No space left on device (injected)")
    return _write(self, trace, spec)


bench.store.Store.write = _write_or_fail
'''


@pytest.fixture
def plugin(tmp_path) -> str:
    path = tmp_path / "process_faults.py"
    path.write_text(PLUGIN)
    return str(path)


def start(command: list[str], log: Path | None = None, **env: str) -> subprocess.Popen:
    """``command`` in a session of its own; its output to ``log`` if given (a pipe
    would keep ``communicate`` waiting on orphans that hold it)."""
    options = dict(cwd=ROOT, text=True, start_new_session=True, env={**os.environ, **env})
    if log is None:
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options)
    with open(log, "w") as output:
        return subprocess.Popen(command, stdout=output, stderr=output, **options)


def finish(process: subprocess.Popen, limit: float) -> str:
    """``process``'s stderr once it ends; fails (killing its session) after ``limit`` s."""
    try:
        _, err = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, err = process.communicate()
        pytest.fail(f"the process did not end within {limit:g} s:\n{err}")
    return err


def bench_run(
    tmp_path: Path, plugin: str, suite: str, *args: str, log: Path | None = None, **env: str
) -> subprocess.Popen:
    path = tmp_path / "suite.toml"
    path.write_text(suite)
    return start(
        [sys.executable, "-m", "bench", "run", str(path), "--results", str(tmp_path / "r"),
         "--plugin", plugin, *args],
        log, **env,
    )  # fmt: skip


def stored_seeds(tmp_path: Path, objective: str, errored: bool = False) -> list[int]:
    """Seeds stored for ``objective``: completed runs, or (``errored``) runs
    stored with an error and no trial."""
    from bench.store import read_metadata

    files = (tmp_path / "r" / "suite" / "runs" / objective).rglob("seed=*.parquet")
    return sorted(
        int(re.match(r"seed=(\d+)", p.name).group(1))
        for p in files
        if bool(read_metadata(p)["error"]) == errored
    )


def errored_runs(err: str) -> list[str]:
    """The run keys the CLI lists under 'errored runs'."""
    _, _, listed = err.partition("errored runs (")
    return sorted(re.findall(r"^  (\S+ / \S+ / seed=\d+):", listed, flags=re.M))


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    def running(process: psutil.Process) -> bool:
        try:
            return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    return [p for p in processes if running(p)]


def wait_until_gone(processes: list[psutil.Process], limit: float) -> list[psutil.Process]:
    deadline = time.monotonic() + limit
    while alive(processes) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive(processes)


def descendants(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def new_workers(before: set[psutil.Process]) -> list[psutil.Process]:
    """Descendants of this process not in ``before``, but for the fork server and
    resource tracker (they serve this whole test session)."""
    helpers = re.compile(r"forkserver import main|resource_tracker import main")
    found = []
    for process in set(descendants(psutil.Process())) - before:
        try:
            if process.ppid() != os.getpid() or not helpers.search(" ".join(process.cmdline())):
                found.append(process)
        except psutil.NoSuchProcess:
            continue
    return found


# --- 1. signatures in a child process ------------------------------------------


def test_signatures_computed_in_a_child_equal_the_in_process_ones(plugin):
    from bench.registry import default_registry
    from bench.signatures import objective_signatures

    registry = default_registry((plugin,))
    objectives = {name: registry.objective(name)[1] for name in ("branin", "fast")}
    wanted = {name: (name, o.space.describe()) for name, o in objectives.items()}
    got = objective_signatures(wanted, (plugin,), timeout=30)
    assert got == {name: o.signature() for name, o in objectives.items()}


def test_a_restricted_space_is_rebuilt_in_the_child(plugin):
    from bench.registry import default_registry
    from bench.signatures import objective_signatures
    from bench.space import Float, Space

    narrow = (
        default_registry((plugin,)).objective("fast")[1].restricted(Space({"x": Float(0.4, 0.6)}))
    )
    got = objective_signatures({"fast": ("fast", narrow.space.describe())}, (plugin,), 30)
    assert got == {"fast": narrow.signature()}


@pytest.mark.parametrize(
    ("objective", "timeout", "message"),
    [
        ("signature-exits", 30,
         "objective 'signature-exits' exited the process (exit code 3) while computing its signature"),
        ("signature-hangs", 0.5,
         "objective 'signature-hangs' did not return its signature within 0.5 s"),
        ("signature-raises", 30,
         "objective 'signature-raises' raised while computing its signature"),
    ],
)  # fmt: skip
def test_a_signature_that_ends_hangs_or_raises_is_named(plugin, objective, timeout, message):
    from bench.registry import default_registry
    from bench.signatures import SignatureError, objective_signatures

    description = default_registry((plugin,)).objective("fast")[1].space.describe()
    wanted = {"fast": ("fast", description), objective: (objective, description)}
    before = set(descendants(psutil.Process()))
    started = time.monotonic()
    with pytest.raises(SignatureError) as raised:
        objective_signatures(wanted, (plugin,), timeout=timeout)
    assert time.monotonic() - started < timeout + 10
    assert message in str(raised.value)
    if objective == "signature-raises":
        assert "ValueError: no signature here" in str(raised.value)
    assert not wait_until_gone(new_workers(before), 5), "the signature process was left running"


def test_a_hanging_signature_neither_hangs_its_caller_nor_outlives_it(plugin):
    script = (
        "import sys\n"
        "from bench.registry import default_registry\n"
        "from bench.signatures import SignatureError, objective_signatures\n"
        f"plugins = ({plugin!r},)\n"
        "space = default_registry(plugins).objective('signature-hangs')[1].space.describe()\n"
        "try:\n"
        "    objective_signatures({'signature-hangs': ('signature-hangs', space)}, plugins, 0.5)\n"
        "except SignatureError as exc:\n"
        "    sys.exit(str(exc))\n"
    )
    process = start([sys.executable, "-c", script])
    tree = psutil.Process(process.pid)
    seen: set[psutil.Process] = set()
    deadline = time.monotonic() + 30
    while process.poll() is None and time.monotonic() < deadline:
        seen |= set(descendants(tree))
        time.sleep(0.05)
    err = finish(process, 1)
    assert process.returncode == 1, err
    assert "did not return its signature within 0.5 s" in err
    assert seen, "no child process was seen: the signature ran in the caller"
    assert not wait_until_gone(list(seen), 5), "processes outlived their caller"


# --- 2. --jobs 1 runs in a worker process ------------------------------------------


def test_jobs_1_an_objective_that_exits_its_process_errors_only_its_run(tmp_path, plugin):
    suite = 'strategies = ["random"]\nobjectives = ["exits"]\nseeds = [1, 2]\nbudget = 3\n'
    process = bench_run(tmp_path, plugin, suite, "--jobs", "1")
    err = finish(process, 60)
    assert process.returncode == 1, err
    assert errored_runs(err) == ["exits / random / seed=1"], err
    assert "exits / random / seed=1: the worker process running it died twice (exit code 3)" in err
    assert stored_seeds(tmp_path, "exits") == [2]
    assert stored_seeds(tmp_path, "exits", errored=True) == [1]


def test_in_process_execution_stays_available_for_debuggers(tmp_path, plugin):
    from bench.execute import execute
    from bench.registry import default_registry
    from bench.suite import load_suite, plan

    suite = tmp_path / "suite.toml"
    suite.write_text('strategies = ["random"]\nobjectives = ["fast"]\nseeds = [1, 2]\nbudget = 3\n')
    specs, _ = plan(load_suite(suite), default_registry((plugin,)))
    before = set(psutil.Process().children(recursive=True))
    outcomes = execute(specs, tmp_path / "r", jobs=1, plugins=(plugin,), in_process=True)
    assert [o.error for o in outcomes] == [None, None]
    assert set(psutil.Process().children(recursive=True)) <= before


# --- 3. a dead worker is charged its own run only -----------------------------


def test_a_killed_worker_charges_its_own_run_and_spares_the_runs_beside_it(tmp_path, plugin):
    suite = 'strategies = ["random"]\nobjectives = ["killed"]\nseeds = [1, 2, 3]\nbudget = 20\n'
    process = bench_run(tmp_path, plugin, suite, "--jobs", "2")
    err = finish(process, 60)
    assert process.returncode == 1, err
    assert errored_runs(err) == ["killed / random / seed=1"], err
    assert (
        "killed / random / seed=1: the worker process running it died twice (signal 9 (SIGKILL))"
        in err
    )
    deaths = re.findall(r"worker process \(pid \d+\) running (.+?) died", err)
    assert deaths == ["killed / random / seed=1"] * 2, err
    assert stored_seeds(tmp_path, "killed") == [2, 3]
    assert stored_seeds(tmp_path, "killed", errored=True) == [1]


# --- 4. no orphans when the driver is killed ----------------------------------


def test_a_driver_killed_with_sigkill_leaves_no_process_behind(tmp_path, plugin):
    suite = 'strategies = ["random"]\nobjectives = ["slow"]\nseeds = [1, 2, 3, 4]\nbudget = 400\n'
    log = tmp_path / "driver.log"
    process = bench_run(tmp_path, plugin, suite, "--jobs", "2", log=log)
    driver = psutil.Process(process.pid)
    claims = tmp_path / "r" / "suite" / "runs"
    tree: list[psutil.Process] = []
    deadline = time.monotonic() + 60
    try:
        while len(list(claims.rglob(".*.lock"))) < 2 or len(tree) < 4:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the pool's workers did not start"
            time.sleep(0.05)
            tree = descendants(driver)
        time.sleep(0.2)
        tree = descendants(driver)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        left = wait_until_gone(tree, 5)
        assert not left, [" ".join(p.cmdline())[:100] for p in left]
    finally:
        for orphan in alive(tree):
            orphan.kill()


# --- 5. an unreachable Dask scheduler ----------------------------------------------


def test_an_unreachable_dask_scheduler_is_a_clear_error_within_seconds(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    import bench.execute
    from bench.execute import ExecutorUnavailable, execute
    from bench.registry import default_registry
    from bench.suite import load_suite, plan

    suite = tmp_path / "suite.toml"
    suite.write_text('strategies = ["random"]\nobjectives = ["branin"]\nseeds = 1\nbudget = 3\n')
    specs, _ = plan(load_suite(suite), default_registry())
    monkeypatch.setattr(bench.execute, "DASK_CONNECT_TIMEOUT", 1.0)
    started = time.monotonic()
    with pytest.raises(ExecutorUnavailable) as raised:
        execute(specs, tmp_path / "r", executor="dask", address="tcp://127.0.0.1:1")
    assert time.monotonic() - started < 10
    assert str(raised.value).startswith(
        "cannot reach the Dask scheduler at tcp://127.0.0.1:1 within 1 s: "
    )
    assert not list((tmp_path / "r").rglob("*.parquet"))


# --- 6. a run that cannot be stored -------------------------------------------------


def test_a_run_that_cannot_be_stored_is_errored_and_the_others_are_stored(tmp_path, plugin):
    suite = 'strategies = ["random"]\nobjectives = ["fast"]\nseeds = [1, 2, 3]\nbudget = 3\n'
    process = bench_run(tmp_path, plugin, suite, "--jobs", "2", FAIL_WRITE_OF_SEED="1")
    err = finish(process, 60)
    assert process.returncode == 1, err
    assert errored_runs(err) == ["fast / random / seed=1"], err
    assert "OSError: [Errno 28] No space left on device (injected)" in err
    assert stored_seeds(tmp_path, "fast") == [2, 3]
