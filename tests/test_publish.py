"""The README's generated claims: computed from stored runs, never typed.

The repository's own README is checked against its published claims file on
every test run, so a hand edit of a generated block fails here."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.cli import main
from bench.publish import (
    CLAIMS,
    HARNESS,
    PublishError,
    check,
    first_incumbent,
    grid_shapes,
    publish,
    render_blocks,
    rewrite,
)
from bench.report import write_report
from bench.report.lessons_report import SUITES as LESSON_SUITES
from bench.runner import run_suite

ROOT = Path(__file__).resolve().parents[1]

LESSONS = [
    {
        "number": 1,
        "title": "Random beats grid",
        "claim": "random is lower",
        "cases": [
            {
                "case": "branin, 25 trials, grid",
                "holds": "supported",
                "effect": 0.5,
                "ci_low": 0.25,
                "ci_high": 0.75,
                "p": 0.004,
                "p_raw": 0.002,
                "pairs": 20,
                "unit": "decades of regret",
            }
        ],
        "notes": ["a note the code wrote"],
        "table": [],
    }
]


def test_the_readme_says_what_the_published_claims_say():
    claims = json.loads((ROOT / "results" / "published" / CLAIMS).read_text())
    assert check((ROOT / "README.md").read_text(), claims) == []


def test_a_hand_edit_of_a_generated_block_is_caught():
    claims = json.loads((ROOT / "results" / "published" / CLAIMS).read_text())
    text = (ROOT / "README.md").read_text()
    block = render_blocks(claims)["lessons"]
    edited = text.replace(block, block.replace("supported", "Supported", 1))
    assert edited != text
    assert check(edited, claims) == [
        "block 'lessons' differs from what claims.json renders (run `make publish`)"
    ]


def test_rewrite_replaces_only_block_bodies():
    text = "a\n<!-- generated:x -->\nold\n<!-- /generated:x -->\nb\n"
    assert (
        rewrite(text, {"x": "new\n"}) == "a\n<!-- generated:x -->\nnew\n<!-- /generated:x -->\nb\n"
    )
    with pytest.raises(PublishError, match="nothing renders: x"):
        rewrite(text, {})


def test_lesson_lines_by_hand():
    from bench.publish_text import lesson_list

    assert lesson_list(LESSONS) == (
        "1. **Random beats grid**: 1 supported (of 1 case).\n"
        "   - branin, 25 trials, grid: supported, 0.5 decades of regret [95% CI 0.25, 0.75], "
        "Holm-adjusted p = 0.004 (unadjusted 0.002), 20 pairs\n"
        "   - a note the code wrote\n"
    )


def _rows(strategy, seed, fidelities, bests, costs, params):
    return pd.DataFrame(
        {
            "strategy": strategy,
            "objective": "f",
            "seed": seed,
            "fidelity": fidelities,
            "cost": costs,
            "best": bests,
            "cum_cost": np.cumsum(costs),
            **params,
        }
    )


def test_first_incumbent_is_the_budget_of_the_first_full_fidelity_result():
    """Two runs: the first full evaluation ends at cum_cost 2 and at 3 -> median 2.5."""
    inf, half = np.inf, 0.5
    runs = pd.concat(
        [
            _rows("hb", 0, [9, 9, 27, 27], [inf, inf, 0.6, 0.5], [half, half, 1, 1], {}),
            _rows("hb", 1, [9] * 4 + [27], [inf] * 4 + [0.4], [half] * 4 + [1], {}),
            _rows("rs", 0, [np.nan, np.nan], [0.9, 0.8], [1, 1], {}),
        ]
    )
    assert first_incumbent(runs) == {"hb": 2.5}


def test_grid_shapes_count_distinct_values_of_seed_zero():
    params = {"param_a": [0.1, 0.1, 0.2, 0.2, 0.3, 0.3], "param_b": [1, 2, 1, 2, 1, 2]}
    runs = _rows("grid", 0, [np.nan] * 6, [1.0] * 6, [1] * 6, params)
    assert grid_shapes(runs) == {"grid": {"f": "3 x 2"}}


def _suite(folder: Path, name: str, strategies: list[str], objective: str) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        f"strategies = {json.dumps(strategies)}\nobjectives = [{json.dumps(objective)}]\n"
        "seeds = 3\nbudget = 8\n"
    )
    return path


def test_publish_from_stored_runs_then_check(tmp_path):
    results = tmp_path / "results"
    for name, strategies, objective in (
        ("default", ["random", "hyperband", "grid"], "branin-mf"),
        ("random-vs-grid", ["random", "grid", "grid[placement=bounds]"], "forrester-1of2"),
    ):
        run_suite(_suite(tmp_path, name, strategies, objective), results, in_process=True)
        write_report(results / name)
    for suite in LESSON_SUITES:
        name = _suite(tmp_path, suite, ["random"], "branin")
        run_suite(name, results, in_process=True)
    (results / "lessons").mkdir()
    (results / "lessons" / CLAIMS).write_text(json.dumps(LESSONS))
    readme = tmp_path / "README.md"
    readme.write_text(
        "".join(
            f"<!-- generated:{n} -->\n<!-- /generated:{n} -->\n"
            for n in ("default-caption", "random-vs-grid-caption", "lessons", *HARNESS)
        )
    )
    publish(results, readme, results / "published")
    claims = json.loads((results / "published" / CLAIMS).read_text())
    text = readme.read_text()
    assert check(text, claims) == []
    assert claims["default"]["first_incumbent"]["hyperband"] >= 1
    assert claims["default"]["grids"]["grid"]["branin-mf"] == "4 x 2"
    assert "`random` vs `grid[placement=bounds]`" in text
    assert (results / "published" / "default-best-vs-budget.png").stat().st_size > 1000
    assert "(not measured yet: run `make tamper`, then `make publish`)" in text
    assert main(["publish", "--results", str(results), "--readme", str(readme), "--check"]) == 0
    readme.write_text(text.replace("supported", "contradicted"))
    assert main(["publish", "--results", str(results), "--readme", str(readme), "--check"]) == 1
    # a suite with a planned run missing (deleted, stale, errored) is refused, loudly
    next((results / "default" / "runs").rglob("*.parquet")).unlink()
    with pytest.raises(PublishError, match=r"1 planned run\(s\) have no usable stored result"):
        publish(results, readme, results / "published")


def test_publish_without_results_says_what_to_run(tmp_path, caplog):
    assert main(["publish", "--results", str(tmp_path), "--readme", str(tmp_path / "R.md")]) == 2
    assert "run `make bench`" in caplog.text


def test_the_install_size_block_keeps_the_largest_wheels_and_the_totals():
    from bench.publish_text import INSTALL_ROWS, command_output

    rows = [f"| p{i} | 1 | `p{i}.whl` | {100 - i} | - |  |" for i in range(INSTALL_ROWS + 3)]
    table = ["| package | version | before: wheel | MB | after: wheel | MB |", "| --- " * 6 + "|"]
    total = "| **total** | | 13 wheels | **x** | 0 wheels | **0** |"
    text = "\n".join(["intro", "", *table, *rows, total, "", "Before: x."]) + "\n"
    shown = command_output("install-size", text).splitlines()
    assert shown[:4] == ["intro", "", *table]
    assert shown[4 : 4 + INSTALL_ROWS] == rows[:INSTALL_ROWS]
    assert shown[4 + INSTALL_ROWS].startswith("| ... 3 smaller wheels |")
    assert shown[-3:] == [total, "", "Before: x."]
    assert command_output("tamper", text) == text
