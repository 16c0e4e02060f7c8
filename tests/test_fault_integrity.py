"""Fault injection on stored results (issue "Numbers you can trust"): every
path by which a stored run could be silently wrong, stale or lost. Real
processes, real files: runs are made with ``python -m bench`` (in-process or as
a subprocess), then narrowed, edited, damaged, raced; each test asserts that
nothing is overwritten and that every unusable run is recomputed or named."""

from __future__ import annotations

import ast
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from bench.cli import main
from bench.report.stored import load
from bench.store import CorruptRun, read_run

ROOT = Path(__file__).resolve().parent.parent
SUITE = """
strategies = ["random", "tpe"]
objectives = ["branin"]
seeds = 2
budget = 6
"""


def write_suite(folder: Path, text: str = SUITE, name: str = "tiny.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def run(suite: Path, results: Path, *extra: str) -> int:
    return main(["run", str(suite), "--results", str(results), "--in-process", *extra])


def snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted((folder / "runs").rglob("*.parquet"))}


def assert_untouched(before: dict[Path, bytes]) -> None:
    for path, content in before.items():
        assert path.read_bytes() == content, f"{path} was overwritten"


def reasons(folder: Path) -> list[str]:
    return [left.reason for left in load(folder).left_out]


# --- 1. overwrites ------------------------------------------------------------------


def test_narrowing_the_budget_keeps_the_wider_runs_and_the_report_shows_them(tmp_path):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    assert run(suite, results) == 0
    before = snapshot(results / "tiny")
    assert len(before) == 4
    assert run(suite, results, "--budget", "3") == 0
    assert len(snapshot(results / "tiny")) == 8
    assert_untouched(before)
    stored = load(results / "tiny")
    assert stored.runs.groupby(["strategy", "seed"]).ngroups == 4
    assert stored.runs["cum_cost"].max() == 6
    assert sorted(reasons(results / "tiny")) == ["narrowed: budget 3 is not the suite's 6 (a run of a narrowed command)"] * 4  # fmt: skip


def test_a_new_timeout_or_space_table_writes_new_runs_beside_the_old(tmp_path):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    assert run(suite, results) == 0
    first = snapshot(results / "tiny")
    assert run(suite, results, "--timeout", "30") == 0
    write_suite(tmp_path, SUITE + "\n[space.branin]\nx1 = { low = -5.0, high = 0.0 }\n")
    assert run(suite, results) == 0
    assert len(snapshot(results / "tiny")) == 12
    assert_untouched(first)
    kept = load(results / "tiny").runs
    assert kept["param_x1"].max() <= 0.0 and len(kept.groupby(["strategy", "seed"])) == 4


def test_two_suite_files_of_one_name_never_share_a_results_folder_silently(tmp_path, caplog):
    results = tmp_path / "r"
    first = write_suite(tmp_path / "a")
    other = write_suite(tmp_path / "b", SUITE.replace("budget = 6", "budget = 7"))
    assert run(first, results) == 0
    before = snapshot(results / "tiny")
    caplog.clear()
    assert run(other, results) == 2
    assert "holds the results of suite file" in caplog.text and str(tmp_path / "a") in caplog.text
    assert_untouched(before)
    assert len(snapshot(results / "tiny")) == 4
    moved = write_suite(tmp_path / "c")  # the same suite, moved: its runs are reused
    caplog.clear()
    assert run(moved, results) == 0
    assert "4 stored, 0 to run" in caplog.text


@pytest.mark.parametrize("name", ["...toml", "..toml", ".hidden.toml"])
def test_a_suite_file_named_with_dots_writes_inside_results_only(tmp_path, name):
    suite = write_suite(tmp_path / "suites", SUITE.replace("seeds = 2", "seeds = 1"), name)
    results = tmp_path / "deep" / "r"
    before = set(tmp_path.rglob("*"))
    assert run(suite, results) == 0
    created = [p for p in set(tmp_path.rglob("*")) - before if p.is_file()]
    assert created
    assert all(results.resolve() in p.resolve().parents for p in created), created


# --- 2. stale reuse after code or library changes -----------------------------------


def copy_code(target: Path) -> Path:
    for package in ("bench", "strategies", "objectives"):
        shutil.copytree(
            ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return target


def bench_in(pythonpath: str | Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m bench ARGS`` in a fresh process importing from ``pythonpath``."""
    environment = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=str(pythonpath).split(os.pathsep)[-1],
        env=environment, capture_output=True, text=True, timeout=240,
    )  # fmt: skip


def test_editing_a_module_the_strategy_imports_or_a_harness_module_recomputes(tmp_path):
    code = copy_code(tmp_path / "code")
    suite = write_suite(tmp_path, SUITE.replace("seeds = 2", "seeds = 1"))
    results = tmp_path / "r"
    args = ("run", str(suite), "--results", str(results), "--jobs", "1")
    done = bench_in(code, *args)
    assert done.returncode == 0, done.stderr
    before = snapshot(results / "tiny")

    with (code / "strategies" / "_optuna_space.py").open("a") as handle:
        handle.write("\n# an edit of a helper only tpe imports\n")
    done = bench_in(code, *args)
    assert done.returncode == 0, done.stderr
    assert "1 stored, 1 to run" in done.stderr
    assert "module strategies._optuna_space changed" in done.stderr
    assert_untouched(before)

    with (code / "bench" / "budget.py").open("a") as handle:
        handle.write("\n# an edit of a harness module on the trial path\n")
    done = bench_in(code, *args)
    assert done.returncode == 0, done.stderr
    assert "0 stored, 2 to run" in done.stderr and "module bench.budget changed" in done.stderr
    assert len(snapshot(results / "tiny")) == 2 + 1 + 2

    with (code / "bench" / "space.py").open("a") as handle:
        handle.write("\n# edited after the last run: the report must not use the runs\n")
    check = (
        "from bench.report.stored import load; print([x.reason for x in load('r/tiny').left_out])"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(code)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    reasons_now = ast.literal_eval(done.stdout)
    assert len(reasons_now) == 5 and all(
        r.startswith("stale: ") and "module bench.space changed" in r for r in reasons_now
    ), reasons_now


FAKE_LIBRARY_PLUGIN = '''
import numpy as np
import tbfakelib

from bench import Strategy


class UsesLibrary(Strategy):
    """Random search through a library whose version the test changes."""

    name = "uses-library"

    def __init__(self, space, *, seed, budget, fidelity=None):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        self.rng = np.random.default_rng(seed)

    def ask(self):
        return self.suggest(self.space.sample(self.rng))

    def tell(self, suggestion, value):
        pass
'''


def install_fake_library(site: Path, version: str) -> None:
    for old in site.glob("tbfakelib-*.dist-info"):
        shutil.rmtree(old)
    (site / "tbfakelib").mkdir(parents=True, exist_ok=True)
    (site / "tbfakelib" / "__init__.py").write_text("")
    info = site / f"tbfakelib-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: tbfakelib\nVersion: {version}\n")
    (info / "top_level.txt").write_text("tbfakelib\n")


def test_a_library_upgrade_within_its_range_makes_the_runs_stale(tmp_path):
    site = tmp_path / "site-packages"
    install_fake_library(site, "1.0")
    plugin = tmp_path / "uses_library.py"
    plugin.write_text(FAKE_LIBRARY_PLUGIN)
    suite = write_suite(tmp_path, SUITE.replace('"random", "tpe"', '"uses-library"'))
    args = ("run", str(suite), "--results", str(tmp_path / "r"), "--plugin", str(plugin))
    pythonpath = os.pathsep.join([str(site), str(ROOT)])
    done = bench_in(pythonpath, *args, "--jobs", "1")
    assert done.returncode == 0, done.stderr
    install_fake_library(site, "1.1")
    done = bench_in(pythonpath, *args, "--jobs", "1")
    assert done.returncode == 0, done.stderr
    assert "0 stored, 2 to run" in done.stderr and "tbfakelib 1.0 -> 1.1" in done.stderr


# --- 3. the optimum, and 16. drift ---------------------------------------------------

MOVING_OBJECTIVE = '''
import ast
import json
from pathlib import Path

from bench import Evaluation, Float, Objective, Space

DATA = Path(__file__).with_name("moving.json")


class Moving(Objective):
    """A parabola whose optimum and shift come from a data file beside it."""

    name = "moving"

    def __init__(self):
        self.space = Space({"x": Float(-1.0, 1.0)})
        self.optimum = json.loads(DATA.read_text())["optimum"]
        self.minimisers = ({"x": 0.0},)

    def evaluate(self, config, fidelity=None, *, seed):
        return Evaluation(config["x"] ** 2 + json.loads(DATA.read_text())["shift"])
'''
MOVING_SUITE = """
strategies = ["random"]
objectives = ["moving"]
seeds = 2
budget = 5
"""


def set_moving(folder: Path, optimum: float = 0.0, shift: float = 0.0) -> None:
    (folder / "moving.json").write_text(json.dumps({"optimum": optimum, "shift": shift}))


@pytest.fixture
def moving(tmp_path):
    plugin = tmp_path / "moving.py"
    plugin.write_text(MOVING_OBJECTIVE)
    set_moving(tmp_path)
    suite = write_suite(tmp_path, MOVING_SUITE, "moving.toml")
    results = tmp_path / "r"
    assert run(suite, results, "--plugin", str(plugin)) == 0
    return suite, results, plugin


def test_a_moved_optimum_makes_the_runs_stale_for_report_and_run(moving, caplog):
    suite, results, plugin = moving
    before = snapshot(results / "moving")
    set_moving(plugin.parent, optimum=-1.0)
    stored = load(results / "moving")
    assert len(stored.runs) == 0
    assert all("optimum 0.0 -> -1.0" in reason for reason in reasons(results / "moving"))
    caplog.clear()
    assert run(suite, results, "--plugin", str(plugin)) == 0
    assert "0 stored, 2 to run" in caplog.text and "optimum 0.0 -> -1.0" in caplog.text
    assert_untouched(before)
    assert load(results / "moving").optima["moving"] == -1.0


def test_an_objective_whose_values_drift_has_its_runs_recomputed_not_refused(moving, caplog):
    suite, results, plugin = moving
    before = snapshot(results / "moving")
    set_moving(plugin.parent, shift=0.5)
    caplog.clear()
    assert run(suite, results, "--plugin", str(plugin)) == 0
    assert "its signature changed" in caplog.text and "0 stored, 2 to run" in caplog.text
    assert_untouched(before)
    assert load(results / "moving").runs["value"].min() >= 0.5


# --- 5. corruption --------------------------------------------------------------------


def flip_a_data_byte(path: Path) -> None:
    """Flip one byte inside the first column chunk's data pages: the footer
    (schema, metadata, checksum) stays intact and readable."""
    meta = pq.read_metadata(path)
    column = meta.row_group(0).column(meta.schema.names.index("value"))
    offset = column.data_page_offset + column.total_compressed_size - 2
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    pq.read_metadata(path)


def test_a_damaged_data_page_is_named_by_report_and_recomputed_by_run(tmp_path, caplog):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    assert run(suite, results) == 0
    folder = results / "tiny"
    victim = sorted((folder / "runs").rglob("*.parquet"))[0]
    original = pd.read_parquet(victim)
    flip_a_data_byte(victim)
    with pytest.raises(CorruptRun, match=str(victim)):
        read_run(victim)
    caplog.clear()
    assert main(["report", str(folder)]) == 0
    assert victim.name in caplog.text
    damaged = [left for left in load(folder).left_out if left.path == str(victim)]
    assert len(damaged) == 1 and damaged[0].reason.startswith("damaged")
    caplog.clear()
    assert run(suite, results) == 0
    assert "3 stored, 1 to run (1 damaged files, recomputed)" in caplog.text
    again = pd.read_parquet(victim)
    columns = [c for c in original.columns if not c.startswith("t_")]
    pd.testing.assert_frame_equal(again[columns], original[columns])


def test_values_rewritten_with_their_metadata_kept_fail_the_checksum(tmp_path):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    assert run(suite, results) == 0
    victim = sorted((results / "tiny" / "runs").rglob("*.parquet"))[0]
    table = pq.read_table(victim)
    frame = table.to_pandas()
    frame.loc[0, "value"] = -1e9
    import pyarrow as pa

    edited = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(
        table.schema.metadata
    )
    pq.write_table(edited, victim)
    with pytest.raises(CorruptRun, match="checksum mismatch"):
        read_run(victim)
    assert load(results / "tiny").runs["value"].min() > -1e9


def test_a_truncated_run_file_is_named_by_report(tmp_path, caplog):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    assert run(suite, results) == 0
    victim = sorted((results / "tiny" / "runs").rglob("*.parquet"))[-1]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    caplog.clear()
    assert main(["report", str(results / "tiny")]) == 0
    assert victim.name in caplog.text


# --- 7. silent shrinking ----------------------------------------------------------------


def test_a_narrowing_command_that_runs_nothing_does_not_narrow_the_report(tmp_path):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    assert run(suite, results) == 0
    assert run(suite, results, "--strategies", "random", "--seeds", "1") == 0
    stored = load(results / "tiny")
    assert stored.runs.groupby(["strategy", "seed"]).ngroups == 4 and not stored.left_out


PLUGIN = '''
import numpy as np

from bench import Exhausted, Strategy


class {cls}(Strategy):
    """Random search under another name{note}."""

    name = "{name}"

    def __init__(self, space, *, seed, budget, fidelity=None):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        self.rng = np.random.default_rng(seed)

    def ask(self):
        if {exhausted}:
            raise Exhausted
        return self.suggest(self.space.sample(self.rng))

    def tell(self, suggestion, value):
        pass
'''


def plugin_file(folder: Path, name: str, exhausted: bool = False) -> Path:
    path = folder / f"{name.replace('-', '_')}.py"
    cls = "".join(part.title() for part in name.split("-"))
    path.write_text(PLUGIN.format(cls=cls, name=name, note="", exhausted=exhausted))
    return path


def test_plugins_raced_one_command_at_a_time_all_stay_in_the_report(tmp_path):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    for name in ("mine-a", "mine-b"):
        plugin = plugin_file(tmp_path, name)
        assert run(suite, results, "--plugin", str(plugin), "--strategies", f"random,{name}") == 0
    stored = load(results / "tiny")
    assert set(stored.runs["strategy"]) == {"random", "mine-a", "mine-b"}
    assert not stored.left_out


def test_a_run_with_zero_trials_is_named_not_dropped(tmp_path):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    plugin = plugin_file(tmp_path, "gives-up", exhausted=True)
    assert run(suite, results, "--plugin", str(plugin), "--strategies", "random,gives-up") == 0
    left = load(results / "tiny").left_out
    assert [lo.key for lo in left] == ["branin / gives-up / seed=0", "branin / gives-up / seed=1"]
    assert all(lo.reason.startswith("no trials") for lo in left)


# --- 13. clear messages -----------------------------------------------------------------


def test_results_pointing_at_a_file_is_a_clear_error(tmp_path, caplog):
    suite, target = write_suite(tmp_path), tmp_path / "a-file"
    target.write_text("")
    assert run(suite, target) == 2
    assert f"--results {target}: is a file" in caplog.text


def test_an_unwritable_results_folder_is_a_clear_error(tmp_path, caplog):
    suite = write_suite(tmp_path)
    assert run(suite, Path("/proc/tunebench-results")) == 2
    assert "cannot write results to /proc/tunebench-results/tiny" in caplog.text


def test_a_corrupt_manifest_is_a_clear_error_for_run_and_report(tmp_path, caplog):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    assert run(suite, results) == 0
    manifest = results / "tiny" / "manifest.json"
    manifest.write_text('{"suite": "tiny",')
    before = snapshot(results / "tiny")
    caplog.clear()
    assert run(suite, results) == 2
    assert f"{manifest}: not valid JSON" in caplog.text and "move it away" in caplog.text
    caplog.clear()
    assert main(["report", str(results / "tiny")]) == 2
    assert f"{manifest}: not valid JSON" in caplog.text
    assert_untouched(before)


@pytest.mark.parametrize("seeds", ["0-99999999", "100000000"])
def test_huge_seed_ranges_are_refused_at_once(tmp_path, seeds, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "quick", "--results", str(tmp_path), "--seeds", seeds])
    assert exit_.value.code == 2
    assert "at most 10000 seeds" in capsys.readouterr().err


# --- 16. the manifest and file modes ------------------------------------------------------


def test_a_temporary_manifest_left_by_a_killed_write_is_removed(tmp_path):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    assert run(suite, results) == 0
    leftover = results / "tiny" / ".manifest.abc123.tmp"
    leftover.write_text("{")
    assert run(suite, results) == 0
    assert not leftover.exists()


def test_files_get_the_mode_of_the_umask(tmp_path):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    previous = os.umask(0o022)
    try:
        assert run(suite, results) == 0
    finally:
        os.umask(previous)
    made = [*sorted((results / "tiny" / "runs").rglob("*.parquet")), results / "tiny" / "manifest.json"]  # fmt: skip
    assert {stat.S_IMODE(p.stat().st_mode) for p in made} == {0o644}


def test_two_drivers_at_once_keep_both_history_entries(tmp_path):
    suite = write_suite(tmp_path, SUITE.replace("seeds = 2", "seeds = 6"))
    results = tmp_path / "r"
    command = [sys.executable, "-m", "bench", "run", str(suite), "--results", str(results), "--jobs", "1"]  # fmt: skip
    drivers = [subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True) for _ in range(2)]  # fmt: skip
    for driver in drivers:
        assert driver.wait(timeout=240) == 0, driver.stderr.read()
    manifest = json.loads((results / "tiny" / "manifest.json").read_text())
    entries = manifest["history"]
    assert len(entries) == 2 and {e["status"] for e in entries} == {"complete"}
    assert sum(e["ran"] for e in entries) == 12
    assert len(snapshot(results / "tiny")) == 12


def test_an_old_layout_run_file_is_named_not_used(tmp_path):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    assert run(suite, results) == 0
    source = sorted((results / "tiny" / "runs" / "branin" / "random").glob("*.parquet"))[0]
    old = source.parent / "seed=0.parquet"
    table = pq.read_table(source)
    meta = json.loads(table.schema.metadata[b"tunebench"])
    del meta["checksum"]
    pq.write_table(table.replace_schema_metadata({b"tunebench": json.dumps(meta).encode()}), old)
    stored = load(results / "tiny")
    assert stored.runs.groupby(["strategy", "seed"]).ngroups == 4
    assert [lo.path for lo in stored.left_out] == [str(old)]
    assert "older tunebench" in stored.left_out[0].reason


def test_the_plain_command_of_the_readme_reads_back(tmp_path):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    assert run(suite, results) == 0
    rows = pd.read_parquet(results / "tiny" / "runs")
    assert set(rows["strategy"]) == {"random", "tpe"} and len(rows) == 4 * 6


def test_a_worker_whose_code_differs_from_the_plan_refuses_the_run(tmp_path):
    from dataclasses import replace

    from bench.execute import execute
    from bench.registry import default_registry
    from bench.suite import load_suite, plan

    specs, _ = plan(load_suite(write_suite(tmp_path)), default_registry())
    spec = specs[0].with_signature([0.0] * 5)
    code = {**spec.code, "modules": {**spec.code["modules"], "bench.space": "another checkout"}}
    outcomes = execute([replace(spec, code=code)], tmp_path / "r", in_process=True)
    assert len(outcomes) == 1 and "module bench.space changed" in outcomes[0].error
    assert "this worker's code is not the code the run was planned with" in outcomes[0].error


def test_a_deleted_run_is_named_as_missing_by_the_report(tmp_path, caplog):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    assert run(suite, results) == 0
    sorted((results / "tiny" / "runs" / "branin" / "tpe").glob("seed=1-*.parquet"))[0].unlink()
    assert load(results / "tiny").missing == ("branin / tpe / seed=1",)
    caplog.clear()
    assert main(["report", str(results / "tiny")]) == 0
    assert "1 run of the suite's plan has no usable stored result" in caplog.text
    assert "branin / tpe / seed=1" in (results / "tiny" / "report" / "report.md").read_text()


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_a_job_count_below_one_is_refused_at_once(tmp_path, jobs, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "quick", "--results", str(tmp_path), "--jobs", jobs])
    assert exit_.value.code == 2
    assert f"expected a whole number of at least 1, got '{jobs}'" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


# --- found by an adversarial review ------------------------------------------------------


def test_a_module_edited_after_import_is_refused_in_the_same_process(tmp_path):
    from bench.runner import run_suite
    from bench.suite import SuiteError

    plugin = plugin_file(tmp_path, "edited-later")
    suite, results = write_suite(tmp_path), tmp_path / "r"
    strategies = ["random", "edited-later"]
    run_suite(suite, results, strategies=strategies, plugins=[plugin], in_process=True)
    plugin.write_text(plugin.read_text().replace("Random search", "Edited search"))
    with pytest.raises(SuiteError, match="changed on disk after this Python process imported"):
        run_suite(suite, results, strategies=strategies, plugins=[plugin], in_process=True)


def test_dynamic_imports_and_lazy_libraries_are_in_the_fingerprint(tmp_path, monkeypatch):
    from bench.fingerprint import fingerprint
    from bench.registry import Registry

    (tmp_path / "tb_helper_dyn.py").write_text("OFFSET = 0\n")
    plugin = tmp_path / "dyn.py"
    plugin.write_text(
        PLUGIN.format(cls="Dyn", name="dyn", note="", exhausted=False)
        + '\nimport importlib\nhelper = importlib.import_module("tb_helper_dyn")\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry.discover([plugin])
    modules = fingerprint(registry.strategy("dyn")[1]).modules
    assert "tb_helper_dyn" in modules
    libraries = fingerprint(registry.strategy("cmaes")[1]).libraries
    assert {"optuna", "cmaes", "scipy"} <= set(libraries)


def test_a_copied_run_file_is_left_out_not_counted_twice(tmp_path):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    assert run(suite, results) == 0
    source = sorted((results / "tiny" / "runs").rglob("*.parquet"))[0]
    copy = source.with_name(source.stem + " (copy).parquet")
    shutil.copy(source, copy)
    stored = load(results / "tiny")
    assert len(stored.runs) == 4 * 6
    assert [(lo.path, lo.reason.split(":")[0]) for lo in stored.left_out] == [
        (str(copy), "misplaced")
    ]


@pytest.mark.parametrize(
    "edit",
    [
        {"suite_toml": 5},
        {"history": [1, "a"]},
        {"plugins": "abc"},
        {"signatures": {"branin": {"signature": ["a"], "code": "x"}}},
    ],
)
def test_a_manifest_of_the_wrong_shape_is_a_clear_error(tmp_path, edit, caplog):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    assert run(suite, results) == 0
    path = results / "tiny" / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **edit}))
    caplog.clear()
    assert run(suite, results) == 2
    assert main(["report", str(results / "tiny")]) == 2
    key = next(iter(edit))
    assert f"{path}: key '{key}" in caplog.text


@pytest.mark.parametrize("address", ["foo", "tcp://[::1", "inproc://x"])
def test_a_malformed_dask_address_is_refused_before_anything_is_written(tmp_path, address, caplog):
    suite = write_suite(tmp_path)
    args = ["run", str(suite), "--results", str(tmp_path / "r"), "--executor", "dask"]
    assert main([*args, "--address", address]) == 2
    assert "expected a Dask scheduler address such as tcp://HOST:8786" in caplog.text
    assert not (tmp_path / "r").exists()


def test_a_command_that_fails_after_it_started_marks_its_history_entry(tmp_path, monkeypatch):
    import bench.execute

    def unreachable(*args, **kwargs):
        raise bench.execute.ExecutorUnavailable("cannot reach the Dask scheduler")

    monkeypatch.setattr(bench.execute.DaskCluster, "__init__", unreachable)
    suite, results = write_suite(tmp_path), tmp_path / "r"
    args = ["--executor", "dask", "--address", "tcp://127.0.0.1:1"]
    assert main(["run", str(suite), "--results", str(results), *args]) == 2
    entry = json.loads((results / "tiny" / "manifest.json").read_text())["last_run"]
    assert entry["status"].startswith("failed: ExecutorUnavailable: cannot reach")


def test_a_plugin_whose_names_collide_with_a_recorded_one_is_refused(tmp_path, caplog):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first, second = plugin_file(tmp_path / "one", "mine"), plugin_file(tmp_path / "two", "mine")
    assert run(suite, results, "--plugin", str(first), "--strategies", "random,mine") == 0
    caplog.clear()
    assert run(suite, results, "--plugin", str(second), "--strategies", "random,mine") == 2
    assert "duplicate strategy name 'mine'" in caplog.text
    assert set(load(results / "tiny").runs["strategy"]) == {"random", "mine"}


def test_the_identity_check_runs_under_the_manifest_lock(tmp_path):
    from bench import manifest
    from bench.suite import SuiteError

    manifest.update(tmp_path, lambda m: m.update(identity="suite file /elsewhere/tiny.toml"))

    def refuse(recorded):
        raise SuiteError(f"holds {recorded['identity']}")

    with pytest.raises(SuiteError, match=r"/elsewhere/tiny\.toml"):
        manifest.begin(tmp_path, definition={}, plan={}, signatures={}, environment={},
                       command="", plugins=[], check=refuse)  # fmt: skip
    assert "history" not in json.loads((tmp_path / "manifest.json").read_text())


@pytest.mark.parametrize(
    "option,expected",
    [
        ("--objectives=ackley[dims=100000000]", "must be at most 1,000"),
        ("--strategies=tpe[n_ei_candidates=1000000000]", "must be at most 100,000"),
    ],
)
def test_absurd_counts_in_options_are_refused_before_anything_runs(
    tmp_path, option, expected, caplog
):
    suite = write_suite(tmp_path)
    assert run(suite, tmp_path / "r", option) == 2
    assert expected in caplog.text
    assert not (tmp_path / "r").exists()


def test_an_option_at_its_default_is_the_same_strategy_in_every_command(tmp_path):
    suite, results = write_suite(tmp_path), tmp_path / "r"
    assert run(suite, results) == 0
    before = snapshot(results / "tiny")
    assert run(suite, results, "--strategies", "tpe[n_startup_trials=10]") == 0
    assert snapshot(results / "tiny") == before
    assert set(load(results / "tiny").runs["strategy"]) == {"random", "tpe"}


def test_the_harness_on_the_trial_path_is_fingerprinted_whatever_the_classes_import():
    from bench.fingerprint import fingerprint

    modules = fingerprint(int).modules  # a class with no source imports nothing
    assert {"bench.loop", "bench.budget", "bench.space", "bench.deadline"} <= set(modules)
