"""Runs with simulated workers in the report: incumbent against simulated time, time
to target, speed-up, the report's workers section and lesson 8, on hand-made runs
whose answers are worked out by hand, and on a tiny suite run end to end."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_anytime import HEADINGS

from bench.report import parallel, write_report
from bench.report.lesson_figures import draw
from bench.report.lessons import panda_vs_caviar, panda_vs_caviar_summary
from bench.report.metrics import time_grid
from bench.report.stored import Stored, load
from bench.report.verdict import Verdict
from bench.runner import run_suite
from bench.spec import run_label

NAN = math.nan


def run_rows(strategy, workers, seed, ends, best, objective="f"):
    """One run's rows in completion order: trial i ended at simulated ``ends[i]``
    with incumbent ``best[i]`` (NaN: no full-fidelity result yet); every trial
    costs 1. ``strategy`` is the base name; the frame names it as reports do."""
    n = len(ends)
    return pd.DataFrame(
        {
            "objective": objective,
            "strategy": run_label(strategy, workers),
            "seed": seed,
            "workers": workers,
            "trial": np.arange(n),
            "config": ["{}"] * n,
            "fidelity": NAN,
            "cost": 1.0,
            "cum_cost": np.arange(1, n + 1, dtype=float),
            "value": [1.0 if math.isnan(b) else b for b in best],
            "status": "ok",
            "best": [float(b) for b in best],
            "incumbent_test": NAN,
            "t_ask": 0.0,
            "t_eval": 0.0,
            "t_tell": 0.0,
            "t_end": [float(t) for t in ends],
        }
    )


def runs_of(*frames):
    return pd.concat(frames, ignore_index=True)


# --- incumbent against simulated time ---------------------------------------------


def test_simulated_curves_read_each_runs_incumbent_at_its_end_times():
    runs = runs_of(
        run_rows("tpe", 1, 0, [1, 2, 3], [NAN, 5, 3]),
        run_rows("tpe", 4, 0, [0.5, 0.5, 1], [7, 6, 2]),
    )
    curves = parallel.simulated_curves(runs)
    assert set(curves["strategy"]) == {"tpe"}  # "tpe ×4" is tpe with 4 workers
    one = curves[curves["workers"] == 1]
    assert np.allclose(one["time"], np.geomspace(1, 3, 200))  # the grid of W = 1's end times
    at = dict(zip(one["time"], one["best"]))
    assert math.isnan(at[1.0])  # first full-fidelity result at 2 s
    assert [v for t, v in at.items() if 2 <= t < 3] and all(
        v == 5 for t, v in at.items() if 2 <= t < 3
    )
    assert at[one["time"].max()] == 3
    four = curves[curves["workers"] == 4].sort_values("time")
    assert np.allclose(four["time"], time_grid(np.array([0.5, 0.5, 1.0])))
    assert four["best"].iloc[0] == 6  # two trials ended at 0.5 s: the later row counts
    assert four["best"].iloc[-1] == 2


def test_incumbent_at_is_the_last_row_ended_by_then():
    rows = run_rows("random", 4, 0, [1, 1, 2.5], [4, 3, 1])
    assert math.isnan(parallel.incumbent_at(rows, 0.99)["best"])
    assert parallel.incumbent_at(rows, 1.0)["best"] == 3
    assert parallel.incumbent_at(rows, 2.49)["best"] == 3
    assert parallel.incumbent_at(rows, 2.5)["best"] == 1


def test_quantiles_over_seeds_count_a_missing_result_as_worst():
    values = np.array([[1.0, NAN], [3.0, 2.0], [5.0, 4.0]])
    assert np.allclose(parallel._quantile_rows(values, 0.5), [3.0, 4.0])
    upper = parallel._quantile_rows(values, 0.75)  # column 2: between 4 and "infinite"
    assert upper[0] == pytest.approx(4.0) and math.isnan(upper[1])
    assert np.allclose(parallel._quantile_rows(values, 0.25), [2.0, 3.0])


# --- time to target and speed-up ----------------------------------------------------


def test_time_to_reach_is_the_first_end_time_at_or_below_the_target():
    ends, best = np.array([0.5, 1.0, 2.0]), np.array([NAN, 4.0, 2.0])
    assert parallel.time_to_reach(ends, best, 3.0) == 2.0
    assert parallel.time_to_reach(ends, best, 4.0) == 1.0
    assert parallel.time_to_reach(ends, best, 1.0) == math.inf


def test_targets_are_quantiles_of_one_worker_random_searchs_finals():
    runs = runs_of(
        *(run_rows("random", 1, k, [1, 2], [9, final]) for k, final in enumerate([1, 2, 3, 4])),
        run_rows("random", 4, 0, [1], [0.5]),  # with 4 workers: not a target's source
        run_rows("tpe", 1, 0, [1], [0.1]),
    )
    targets = parallel.random_targets(runs)
    assert targets["objective"].tolist() == ["f", "f"]
    assert targets["quantile"].tolist() == [0.5, 0.75]
    assert targets["target"].tolist() == pytest.approx([2.5, 3.25])  # linear interpolation


def test_times_to_target_per_run_and_target():
    runs = runs_of(
        run_rows("random", 1, 0, [1, 2, 3], [6, 4, 2]),
        run_rows("tpe", 4, 1, [0.5, 0.5, 1.5], [NAN, 3, 1]),
    )
    targets = pd.DataFrame({"objective": ["f", "f"], "quantile": [0.5, 0.75], "target": [2, 5]})
    times = parallel.times_to_target(runs, targets).set_index(["strategy", "workers", "quantile"])
    assert times.loc[("random", 1, 0.5), "time"] == 3.0
    assert times.loc[("random", 1, 0.75), "time"] == 2.0
    assert times.loc[("tpe", 4, 0.5), "time"] == 1.5
    assert times.loc[("tpe", 4, 0.75), "time"] == 0.5


def _times(strategy, workers, seconds):
    return pd.DataFrame(
        {
            "objective": "f",
            "quantile": 0.5,
            "target": 1.0,
            "strategy": strategy,
            "workers": workers,
            "seed": range(len(seconds)),
            "time": seconds,
        }
    )


def test_target_table_medians_count_unreached_as_infinite_and_speedup_is_a_ratio():
    inf = math.inf
    times = pd.concat(
        [
            _times("tpe", 1, [2, 4, inf]),  # median 4 (2 of 3 reach it)
            _times("tpe", 4, [1, 1.5, 2]),  # median 1.5: speed-up 4 / 1.5
            _times("tpe", 16, [inf, inf, 1]),  # median inf: speed-up 0
            _times("random", 1, [inf, inf, 3]),  # median inf
            _times("random", 4, [1, 2, 3]),  # median 2: speed-up inf / 2 = inf
            _times("random", 16, [inf, inf, inf]),  # inf / inf: undefined
        ]
    )
    table = parallel.target_table(times)
    assert list(table.columns) == list(parallel.TARGET_COLUMNS)
    table = table.set_index(["strategy", "workers"])
    assert table.loc[("tpe", 1), ["runs", "reached", "median_time", "speedup"]].tolist() == [
        3,
        2,
        4.0,
        1.0,
    ]
    assert table.loc[("tpe", 4), "speedup"] == pytest.approx(4 / 1.5)
    assert table.loc[("tpe", 16), "median_time"] == math.inf
    assert table.loc[("tpe", 16), "speedup"] == 0.0
    assert table.loc[("tpe", 16), "reached"] == 1
    assert math.isnan(table.loc[("random", 1), "speedup"])
    assert table.loc[("random", 4), "speedup"] == math.inf
    assert math.isnan(table.loc[("random", 16), "speedup"])
    assert table.loc[("random", 16), "reached"] == 0


def test_base_name_and_has_workers():
    assert parallel.base_name("tpe ×4", 4) == "tpe"
    assert parallel.base_name("tpe", 1) == "tpe"
    assert parallel.has_workers(run_rows("tpe", 4, 0, [1], [1]))
    assert not parallel.has_workers(run_rows("tpe", 1, 0, [1], [1]))
    assert not parallel.has_workers(pd.DataFrame({"strategy": ["tpe"]}))


# --- lesson 8 -----------------------------------------------------------------------


def _lesson_runs(seeds=6):
    """Optimum 0, so regret = best. Random ends at regret 1 with 1 and 4 workers;
    tpe at 0.1 with one worker (1 decade better) and at 1 with four (a tie).
    asha x4 ends at 5 s, hyperband x4 at 3 s: at 3 s asha holds 0.01 and
    hyperband 0.1 (1 decade). Seed 0's asha ends at 2 s, when hyperband has no
    full-fidelity result yet: it counts as the worst regret either run held (0.5)."""
    frames = []
    for k in range(seeds):
        frames += [
            run_rows("random", 1, k, [1, 2], [3, 1]),
            run_rows("random", 4, k, [1, 1], [3, 1]),
            run_rows("tpe", 1, k, [1, 2], [3, 0.1]),
            run_rows("tpe", 4, k, [1, 1], [3, 1]),
            run_rows(
                "asha", 4, k, [1, 2] if k == 0 else [1, 2, 5], [0.5, 0.01, 0.001][: 2 + (k > 0)]
            ),
            run_rows("hyperband", 4, k, [1, 3], [NAN if k == 0 else 1.0, 0.1]),
        ]
    return Stored(runs=runs_of(*frames), optima={"f": 0.0}, manifest={"budget": 2})


def test_panda_vs_caviar_on_hand_made_runs(tmp_path):
    lesson = panda_vs_caviar(_lesson_runs())
    verdicts = dict(lesson.verdicts)
    assert list(verdicts) == [
        "tpe vs random, 1 worker",
        "tpe vs random, 4 workers",
        "asha vs hyperband, 4 workers",
    ]
    one = verdicts["tpe vs random, 1 worker"]
    assert (one.effect, one.pairs, one.holds) == (pytest.approx(1.0), 6, "supported")
    assert verdicts["tpe vs random, 4 workers"].effect == 0.0
    assert verdicts["tpe vs random, 4 workers"].holds == "inconclusive"
    asha = verdicts["asha vs hyperband, 4 workers"]
    assert asha.effect == pytest.approx(1.0) and asha.pairs == 6
    effects = lesson.data.set_index(["comparison", "workers", "seed"])["effect"]
    assert effects[("asha vs hyperband", 4, 0)] == pytest.approx(math.log10(0.5 / 0.01))
    assert effects[("asha vs hyperband", 4, 3)] == pytest.approx(1.0)
    assert effects[("tpe vs random", 1, 2)] == pytest.approx(1.0)
    assert any("1 run(s) had no full-fidelity result" in note for note in lesson.notes)
    row = lesson.table[lesson.table["comparison"] == "asha vs hyperband"].iloc[0]
    assert row["measured at"] == "same simulated time (median 3 s)"
    assert row["searcher lower in"] == "6/6 seeds"
    assert draw(lesson, tmp_path / "lesson8")[0].stat().st_size > 1000


def _verdict(holds):
    return Verdict("c", 0.1, 0.0, 0.2, 0.01, 10, "decades of regret", holds)


def test_panda_vs_caviar_summary_says_what_the_verdicts_say():
    verdicts = [
        ("tpe vs random, 1 worker", _verdict("supported")),
        ("tpe vs random, 16 workers", _verdict("inconclusive")),
        ("bohb vs random, 1 worker", _verdict("supported")),
        ("bohb vs random, 16 workers", _verdict("supported")),
        ("tpe-hyperopt vs random, 1 worker", _verdict("contradicted")),
        ("asha vs hyperband, 16 workers", _verdict("supported")),
    ]
    assert panda_vs_caviar_summary(verdicts) == [
        "tpe against random search: supported with 1 worker, inconclusive with 16 workers; "
        "its advantage with 1 worker is not shown with 16 workers (inconclusive).",
        "bohb against random search: supported with 1 worker, supported with 16 workers; "
        "it keeps its advantage with 16 workers.",
        "tpe-hyperopt against random search: contradicted with 1 worker; "
        "with 1 worker it shows no advantage to keep (contradicted).",
        "asha vs hyperband, 16 workers, at the same simulated time: supported.",
    ]


# --- the report ---------------------------------------------------------------------

#: A synthetic suite's report has every section but the MLPs' validation-vs-test one.
WITHOUT_WORKERS = [heading for heading in HEADINGS if heading != "Validation against test"]


def _headings(markdown: str) -> list[str]:
    return [line[3:] for line in markdown.splitlines() if line.startswith("## ")]


def test_a_suite_without_workers_has_no_workers_section(tmp_path):
    suite = tmp_path / "serial.toml"
    suite.write_text('strategies = ["random"]\nobjectives = ["branin"]\nseeds = 2\nbudget = 4\n')
    run_suite(suite, tmp_path / "results", in_process=True, progress=False)
    root = tmp_path / "results" / "serial"
    # files an earlier report of another definition might have left: removed
    (root / "report" / "figures").mkdir(parents=True)
    (root / "report" / "time_to_target.csv").write_text("x\n")
    (root / "report" / "figures" / "workers_speedup.png").write_bytes(b"x")
    written = write_report(root)
    assert _headings((root / "report" / "report.md").read_text()) == WITHOUT_WORKERS
    assert not any("workers" in p.name or "time_to_target" in p.name for p in written)
    assert not (root / "report" / "time_to_target.csv").exists()
    assert not list((root / "report" / "figures").glob("workers_*"))


def test_a_tiny_parallel_suite_reports_its_workers_section(tmp_path):
    suite = tmp_path / "tiny-par.toml"
    suite.write_text(
        'strategies = ["random", "asha"]\nobjectives = ["branin-mf"]\nseeds = 3\n'
        "budget = 6\nworkers = [1, 4]\n"
    )
    outcome = run_suite(suite, tmp_path / "results", in_process=True, progress=False)
    assert outcome.status == "complete"
    root = tmp_path / "results" / "tiny-par"
    stored = load(root)
    assert sorted(stored.runs["strategy"].unique()) == ["asha", "asha ×4", "random", "random ×4"]
    write_report(root, stored)
    out = root / "report"
    markdown = (out / "report.md").read_text()
    headings = _headings(markdown)
    section = "Workers: best found against simulated time"
    assert headings.index(section) == headings.index("Best found against wall time") + 1
    for name in ("workers_best_vs_time", "workers_speedup"):
        assert f"](figures/{name}.png)" in markdown
        assert (out / "figures" / f"{name}.png").stat().st_size > 1000
    assert section in (out / "index.html").read_text()
    table = pd.read_csv(out / "time_to_target.csv")
    assert list(table.columns) == list(parallel.TARGET_COLUMNS)
    assert len(table) == 2 * 2 * len(parallel.TARGET_QUANTILES)  # strategies x W x targets
    one = table[table["workers"] == 1]
    assert (one["speedup"].dropna() == 1.0).all()
    assert (table["reached"] <= table["runs"]).all() and (table["runs"] == 3).all()
    # the one-worker random runs reach the targets taken from their own finals: a
    # quantile q of 3 values (linear interpolation) is at or above floor(2q) + 1 of them
    random_one = table[(table["strategy"] == "random") & (table["workers"] == 1)]
    assert (random_one["reached"] >= np.floor(2 * random_one["quantile"]) + 1).all()
