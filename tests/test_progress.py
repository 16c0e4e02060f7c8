"""The ETA: each run left is timed by finished runs of its own kind, never by a
mean over runs that differ by orders of magnitude; kinds with no finished run
are said to be unknown."""

import logging
import math
import re
from collections import Counter

from bench.progress import Estimate, Progress, _duration, estimate
from bench.runner import run_suite


def test_each_kind_left_takes_the_median_of_its_finished_runs():
    finished = {"random": [1.0, 1.0, 4.0], "gp": [100.0]}
    left = Counter({"random": 10, "gp": 3})
    assert estimate(finished, left) == Estimate(10 * 1.0 + 3 * 100.0, 0, 0)
    assert estimate(finished, left, parallel=2).seconds == (10 + 300) / 2


def test_a_kind_with_no_finished_run_is_counted_not_guessed():
    result = estimate({"random": [2.0]}, Counter({"random": 5, "gp": 4, "tpe": 1}))
    assert result == Estimate(10.0, 5, 2)
    assert (
        str(result) == "ETA not known yet: 5 left of 2 kinds with no finished run; the others 10s"
    )
    assert str(Estimate(0.0, 3, 1)) == "ETA not known yet: 3 left of 1 kind with no finished run"
    assert str(Estimate(600.0, 0, 0)) == "ETA 10 min"


def test_the_logged_eta_follows_the_kinds_left(caplog):
    """Cheap runs first, then one slow run finished: the ETA for the slow runs
    left comes from the slow run, not from the mean rate so far (which said
    'ETA 60 s' for a suite that took 288 s more)."""
    kinds = ["random"] * 9 + ["gp"] * 2
    progress = Progress(len(kinds), interactive=False, kinds=kinds)
    caplog.set_level(logging.INFO, logger="bench")
    for _ in range(9):
        progress.update(kind="random", seconds=1.0)
    assert (
        caplog.records[-1]
        .getMessage()
        .endswith("ETA not known yet: 2 left of 1 kind with no finished run")
    )
    progress.update(kind="gp", seconds=300.0)
    assert caplog.records[-1].getMessage().endswith("ETA 5 min")
    progress.update(kind="gp", seconds=math.nan, errored=True)
    assert caplog.records[-1].getMessage().endswith("ETA 0s")
    assert progress.finished["gp"] == [300.0]


def progress_lines(tmp_path, caplog, strategies: str, seeds: int) -> list[str]:
    """The progress lines a suite of ``strategies`` on branin logs, one per run."""
    suite = tmp_path / "kinds.toml"
    suite.write_text(
        f'strategies = {strategies}\nobjectives = ["branin"]\nseeds = {seeds}\nbudget = 4\n'
    )
    caplog.set_level(logging.INFO, logger="bench")
    run_suite(suite, tmp_path / "results", in_process=True, progress=False)
    return [r.getMessage() for r in caplog.records if re.match(r"\d+/\d+ runs", r.getMessage())]


def test_a_suite_tells_the_progress_each_runs_kind(tmp_path, caplog):
    lines = progress_lines(tmp_path, caplog, '["random", "tpe"]', 2)
    assert lines[-1].startswith("4/4 runs") and lines[-1].endswith("ETA 0s"), lines


def test_runs_go_in_rounds_so_every_kind_is_timed_early(tmp_path, caplog):
    """Seeds of one kind are not run back to back: after the first run of each
    kind, the ETA is known (plan order would leave it unknown until the last
    kind starts)."""
    lines = progress_lines(tmp_path, caplog, '["random", "grid"]', 3)
    assert lines[0].startswith("1/6 runs") and "1 kind with no finished run" in lines[0], lines
    assert lines[1].startswith("2/6 runs") and "ETA not known" not in lines[1], lines


def test_a_kind_with_nothing_left_is_not_counted():
    assert estimate({}, Counter({"done": 0, "gp": 2})) == Estimate(0.0, 2, 1)


def test_durations_are_said_in_seconds_minutes_or_hours():
    assert [_duration(s) for s in (math.inf, 119, 120, 7199, 7200)] == [
        "unknown",
        "119s",
        "2 min",
        "120 min",
        "2.0 h",
    ]


def test_without_kinds_every_unit_left_is_timed_by_the_finished_ones(caplog):
    progress = Progress(25, interactive=False)
    caplog.set_level(logging.INFO, logger="bench")
    progress.update(failed_trials=2, seconds=10.0)
    assert estimate(progress.finished, progress.left).seconds == 24 * 10.0
    progress.update(failed_trials=3)
    assert progress.failed_trials == 5
    assert 0 <= progress.finished[None][1] < 60
    for _ in range(23):
        progress.update(seconds=1.0)
    assert caplog.records[-1].getMessage().startswith("25/25 runs (5 failed trials")


def test_interactive_draws_a_bar_on_stderr_whatever_stderr_is(caplog, capsys):
    """``interactive=True`` forces the bar (a terminal under a pager, say), and
    ``interactive=False`` the log lines, whether or not stderr is a terminal."""
    caplog.set_level(logging.INFO, logger="bench")
    shown = Progress(2, interactive=True)
    shown.update(seconds=1.0)
    shown.update(seconds=1.0)
    shown.close()
    assert "2/2" in capsys.readouterr().err
    assert not [r for r in caplog.records if "runs" in r.getMessage()]
    logged = Progress(2, interactive=False)
    logged.update(seconds=1.0)
    logged.update(seconds=1.0)
    logged.close()
    assert "2/2" not in capsys.readouterr().err
    assert caplog.records[-1].getMessage().startswith("2/2 runs")
