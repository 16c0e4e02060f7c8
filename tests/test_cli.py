"""End to end through ``python -m bench``: run, resume, reproduce, report."""

import json
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from bench.cli import main, parse_seeds
from bench.store import read_metadata

SUITE = """
description = "test suite"
strategies = ["random", "grid"]
objectives = ["branin", "forrester-1of2"]
seeds = 2
budget = 9
"""
TIMING = ["t_ask", "t_eval", "t_tell"]


@pytest.fixture
def suite(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(SUITE)
    return path


def rows(results):
    frame = pd.concat(
        [pd.read_parquet(p) for p in sorted((results / "tiny" / "runs").rglob("*.parquet"))]
    )
    return frame.drop(columns=TIMING).reset_index(drop=True)


def test_run_stores_every_run_and_a_manifest(tmp_path, suite):
    assert main(["run", str(suite), "--results", str(tmp_path / "r"), "--jobs", "2"]) == 0
    files = sorted((tmp_path / "r" / "tiny" / "runs").rglob("*.parquet"))
    assert len(files) == 8
    manifest = json.loads((tmp_path / "r" / "tiny" / "manifest.json").read_text())
    assert manifest["suite_toml"] == SUITE
    assert manifest["environment"]["packages"]["numpy"]
    assert manifest["environment"]["python"].startswith("3.")
    assert manifest["last_run"]["status"] == "complete" and manifest["last_run"]["ran"] == 8
    assert len(manifest["signatures"]["branin"]["signature"]) == 5


def test_a_second_run_resumes_and_reruns_nothing(tmp_path, suite, caplog):
    results = tmp_path / "r"
    assert main(["run", str(suite), "--results", str(results), "--jobs", "1"]) == 0
    stamps = {p: p.stat().st_mtime_ns for p in (results / "tiny" / "runs").rglob("*.parquet")}
    caplog.clear()
    assert main(["run", str(suite), "--results", str(results), "--jobs", "2"]) == 0
    assert "8 stored, 0 to run" in caplog.text
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_parallel_and_in_process_runs_store_identical_values(tmp_path, suite):
    assert main(["run", str(suite), "--results", str(tmp_path / "a"), "--jobs", "1"]) == 0
    assert main(["run", str(suite), "--results", str(tmp_path / "b"), "--jobs", "2"]) == 0
    pd.testing.assert_frame_equal(rows(tmp_path / "a"), rows(tmp_path / "b"))


def test_narrowing_reruns_only_what_changed(tmp_path, suite, caplog):
    results = tmp_path / "r"
    assert main(["run", str(suite), "--results", str(results), "--jobs", "1"]) == 0
    caplog.clear()
    args = ["run", str(suite), "--results", str(results), "--jobs", "1"]
    assert main([*args, "--strategies", "random", "--seeds", "1", "--budget", "4"]) == 0
    assert (
        "2 runs (1 strategies x 2 objectives x 1 seeds, budget 4): 0 stored, 2 to run (2 stale"
        in caplog.text
    )
    files = sorted((results / "tiny" / "runs" / "branin" / "random").glob("seed=0-*.parquet"))
    assert sorted(len(pd.read_parquet(p)) for p in files) == [4, 9]


def test_a_bad_suite_stops_before_anything_runs(tmp_path, caplog):
    bad = tmp_path / "bad.toml"
    bad.write_text(SUITE.replace("budget = 9", "budget = -1"))
    assert main(["run", str(bad), "--results", str(tmp_path / "r")]) == 2
    assert f"suite file {bad}, key 'budget'" in caplog.text
    bad.write_text(SUITE.replace('"grid"', '"gird"'))
    assert main(["run", str(bad), "--results", str(tmp_path / "r")]) == 2
    assert "did you mean 'grid'?" in caplog.text
    assert not (tmp_path / "r").exists()


def test_an_unknown_suite_name_gets_a_did_you_mean(caplog):
    assert main(["run", "quikc"]) == 2
    assert "no suite named 'quikc'; did you mean 'quick'?" in caplog.text


def test_the_manifests_copy_of_a_signature_does_not_decide_what_is_stored(tmp_path, suite, caplog):
    results = tmp_path / "r"
    assert main(["run", str(suite), "--results", str(results), "--jobs", "1"]) == 0
    manifest_path = results / "tiny" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["signatures"]["branin"]["signature"][0] += 1e-3
    manifest_path.write_text(json.dumps(manifest))
    caplog.clear()
    assert main(["run", str(suite), "--results", str(results), "--jobs", "1"]) == 0
    assert "8 stored, 0 to run" in caplog.text


def test_an_errored_run_is_reported_the_others_are_stored_and_the_exit_status_is_1(
    tmp_path, caplog
):
    plugin = tmp_path / "crashy.py"
    plugin.write_text(
        textwrap.dedent('''
        from bench import Strategy

        class Crashy(Strategy):
            """Crashes at its third ask."""
            name = "crashy"
            def ask(self):
                if self.suggested == 2:
                    raise RuntimeError("crashy gave up")
                return self.suggest(self.space.from_unit([0.5] * len(self.space)))
            def tell(self, suggestion, value):
                pass
    ''')
    )
    suite = tmp_path / "tiny.toml"
    suite.write_text(SUITE.replace('"grid"', '"crashy"'))
    args = ["run", str(suite), "--results", str(tmp_path / "r"), "--plugin", str(plugin)]
    assert main([*args, "--jobs", "2"]) == 1
    assert "crashy gave up" in caplog.text
    assert "errored runs (stored with their traceback; retried by the next run)" in caplog.text
    files = sorted((tmp_path / "r" / "tiny" / "runs").rglob("*.parquet"))
    assert len(files) == 8
    crashed = [read_metadata(p) for p in files if "crashy" in str(p)]
    assert len(crashed) == 4
    for meta in crashed:
        assert "RuntimeError: crashy gave up" in meta["error"]
        assert 'raise RuntimeError("crashy gave up")' in meta["error"]
    assert all(len(pd.read_parquet(p)) == 2 for p in files if "crashy" in str(p))
    manifest = json.loads((tmp_path / "r" / "tiny" / "manifest.json").read_text())
    assert manifest["last_run"]["status"] == "errored" and len(manifest["last_run"]["errored"]) == 4
    caplog.clear()
    assert main([*args, "--jobs", "1"]) == 1
    assert "4 stored, 4 to run" in caplog.text


def test_report_writes_figures_and_a_summary_from_stored_runs(tmp_path, suite):
    results = tmp_path / "r"
    assert main(["run", str(suite), "--results", str(results), "--jobs", "1"]) == 0
    assert main(["report", str(results / "tiny")]) == 0
    report = results / "tiny" / "report"
    for name in ("best_vs_budget", "best_vs_time", "rank_vs_budget", "final_regret", "overhead"):
        assert (report / "figures" / f"{name}.png").stat().st_size > 10_000
        assert (report / "figures" / f"{name}.svg").exists()
    summary = pd.read_csv(report / "summary.csv")
    assert len(summary) == 4 and set(summary["seeds"]) == {2}
    markdown = (report / "report.md").read_text()
    assert "![Best found against budget](figures/best_vs_budget.png)" in markdown
    assert "forrester-1of2 (budget 9, 2 seeds)" in markdown
    # best vs budget, vs wall time, rank, final regret, overhead, data profile, CD diagrams
    assert (report / "index.html").read_text().count("data:image/png;base64,") == 7


def test_report_without_runs_says_what_to_do(tmp_path, caplog):
    assert main(["report", str(tmp_path)]) == 2
    assert "no stored runs" in caplog.text


def test_list_shows_strategies_objectives_and_suites():
    out = subprocess.run(
        [sys.executable, "-m", "bench", "list"], capture_output=True, text=True, check=True
    ).stdout
    assert "random " in out and "grid " in out and "branin " in out and "quick " in out


@pytest.mark.parametrize("text,seeds", [("3", [0, 1, 2]), ("2-4", [2, 3, 4]), ("0,5", [0, 5])])
def test_seed_arguments(text, seeds):
    assert parse_seeds(text) == seeds


ISSUE_STRATEGIES = [
    "grid",
    "random",
    "coarse-to-fine",
    "tpe",
    "tpe-hyperopt",
    "gp",
    "gp-skopt",
    "rf-skopt",
    "genetic",
    "nsga2",
    "cmaes",
    "qmc",
    "hyperband",
    "bohb",
]


def test_list_describes_every_strategy_in_one_line():
    out = subprocess.run(
        [sys.executable, "-m", "bench", "list", "strategies"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = {line.split()[0]: line for line in out.splitlines()[1:] if line.startswith("  ")}
    for name in ISSUE_STRATEGIES:
        assert name in lines and len(lines[name].split()) > 3, name


def test_strategies_with_options_run_from_a_suite_file(tmp_path):
    suite = tmp_path / "tiny.toml"
    suite.write_text(
        SUITE.replace(
            '["random", "grid"]',
            '["coarse-to-fine[zoom=0.25,stages=2]", "tpe[n_startup_trials=4]", '
            '"genetic[population=4,tournament=2]"]',
        ).replace("seeds = 2", "seeds = 1")
    )
    assert main(["run", str(suite), "--results", str(tmp_path / "r"), "--jobs", "1"]) == 0
    frame = rows(tmp_path / "r")
    assert sorted(frame["strategy"].unique()) == [
        "coarse-to-fine[stages=2,zoom=0.25]",
        "genetic[population=4,tournament=2]",
        "tpe[n_startup_trials=4]",
    ]
    assert list(
        (tmp_path / "r/tiny/runs/branin/tpe[n_startup_trials%3D4]").glob("seed=0-*.parquet")
    )


def test_report_refuses_plugin_and_says_where_plugins_come_from(tmp_path, caplog):
    assert main(["report", str(tmp_path), "--plugin", "x.py"]) == 2
    assert (
        "report takes no --plugin: it loads the plugin files the folder's manifest" in caplog.text
    )


def test_the_reports_last_run_line_shows_the_command_typed(tmp_path, suite):
    """``python -m bench run ...`` as typed, not the path of bench/__main__.py."""
    typed = ["run", "tiny.toml", "--results", "r", "--seeds", "1", "--strategies", "random"]
    for args in (typed, ["report", "r/tiny"]):
        done = subprocess.run(
            [sys.executable, "-m", "bench", *args], cwd=suite.parent, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    markdown = (tmp_path / "r" / "tiny" / "report" / "report.md").read_text()
    line = next(line for line in markdown.splitlines() if "last run:" in line)
    assert f"last run: python -m bench {' '.join(typed)} (started" in line, line
    assert "__main__" not in markdown
