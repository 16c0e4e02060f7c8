"""``bench compare``: pairing by seed, Holm over every cell, verdicts, refusals of
runs that are not comparable, and the command's exit status, on hand-made runs
whose answers are worked out by hand and on a tiny suite run end to end."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.cli import main
from bench.compare import (
    CompareError,
    Incomparable,
    compare,
    compare_folders,
    exit_status,
    strategy_pairs,
)
from bench.compare_output import markdown, write
from bench.recorded import Recorded, read
from bench.runner import run_suite

NAN = math.nan
SIGNATURE = [8.875, 62.68, 53.0, 23.48, 59.36]
SPACE = {"x": {"type": "float", "low": 0.0, "high": 1.0, "scale": "linear"}}


def run_rows(objective: str, strategy: str, seed: int, best: list[float]) -> pd.DataFrame:
    """One run, one trial per unit of budget; ``best[i]`` is the incumbent after
    trial i (NaN: no full-fidelity result yet, the trial failed)."""
    n = len(best)
    failed = np.isnan(best)
    return pd.DataFrame(
        {
            "objective": objective,
            "strategy": strategy,
            "seed": seed,
            "trial": np.arange(n),
            "fidelity": NAN,
            "cost": 1.0,
            "cum_cost": np.arange(1, n + 1, dtype=float),
            "value": np.where(failed, NAN, best),
            "status": np.where(failed, "failed", "ok"),
            "best": np.asarray(best, dtype=float),
            "incumbent_test": NAN,
        }
    )


def recorded(runs: dict, folder: str = "A", **spec: object) -> Recorded:
    """Hand-made stored runs: ``runs`` maps (objective, strategy, seed) to the
    incumbent after each trial; every spec has the fields ``spec`` overrides."""
    frames, specs = [], {}
    for (objective, strategy, seed), best in runs.items():
        frames.append(run_rows(objective, strategy, seed, best))
        specs[objective, strategy, seed] = {
            "objective": objective,
            "strategy": strategy,
            "seed": seed,
            "workers": 1,
            "budget": float(len(best)),
            "timeout": None,
            "optimum": 0.0,
            "signature": SIGNATURE,
            "space": SPACE,
            **spec,
        }
    return Recorded(Path(folder), pd.concat(frames, ignore_index=True), specs)


def constant(regrets: dict[int, float], objective="f", strategy="s", budget=4) -> dict:
    """Runs whose incumbent is ``regrets[seed]`` from the first trial on."""
    return {(objective, strategy, seed): [r] * budget for seed, r in regrets.items()}


def by_fraction(comparison, objective="f"):
    return {c.fraction: c for c in comparison.cells if c.objective == objective}


# --- pairing, the test and Holm, against hand computations ------------------------


def test_runs_are_paired_by_seed_whatever_order_they_are_stored_in():
    seeds = [3, 7, 1, 9, 0, 5, 2, 8]
    a = recorded(constant({s: 10.0**-s for s in seeds}))
    # B's rows in another seed order; each seed's regret exactly twice A's
    b = recorded(constant({s: 2 * 10.0**-s for s in sorted(seeds)}), folder="B")
    cells = compare(a, b, [("s", "s")], checkpoints=[1.0]).cells
    (cell,) = cells
    assert cell.pairs == 8
    # all 8 paired differences positive: the exact two-sided p is 2 / 2**8
    assert cell.p_value == pytest.approx(2 / 2**8)
    assert cell.effect == pytest.approx(math.log10(2))
    assert (cell.ci_low, cell.ci_high) == pytest.approx((math.log10(2), math.log10(2)))
    assert cell.median_a == pytest.approx(np.median([10.0**-s for s in seeds]))
    assert cell.verdict == "worse"  # one cell: Holm changes nothing


def test_holm_adjusts_over_every_objective_and_checkpoint_cell():
    base = {s: float(s + 1) for s in range(8)}
    a = recorded({**constant(base, "f"), **constant(base, "g")})
    worse_f = {s: r * 3 for s, r in base.items()}
    # g: seeds 0-5 worse, 6-7 better; signed ranks 1..8 by |difference|
    g = {s: (r + 0.5 if s < 6 else r - 0.5 * (s - 4)) for s, r in base.items()}
    b = recorded({**constant(worse_f, "f"), **constant(g, "g")}, folder="B")
    comparison = compare(a, b, [("s", "s")], checkpoints=[0.5, 1.0])
    cells = {(c.objective, c.fraction): c for c in comparison.cells}
    p_f = 2 / 2**8
    # g: differences +0.5 x6, -0.5 (seed 6), -1.0 (seed 7): |d| ranks with ties,
    # the normal approximation scipy uses with ties; only its value matters here
    p_g = cells["g", 1.0].p_value
    assert 0.05 < p_g < 1
    raw = [p_f, p_f, p_g, p_g]
    order = np.argsort(raw, kind="stable")
    by_hand = np.empty(4)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (4 - rank) * raw[index]))
        by_hand[index] = running
    found = [cells[k].p_holm for k in (("f", 0.5), ("f", 1.0), ("g", 0.5), ("g", 1.0))]
    assert found == pytest.approx(list(by_hand))
    assert by_hand[0] == pytest.approx(4 * p_f)  # 0.031: still below 0.05
    assert [cells["f", f].verdict for f in (0.5, 1.0)] == ["worse", "worse"]
    assert [cells["g", f].verdict for f in (0.5, 1.0)] == ["same", "same"]
    assert comparison.summary == "2 worse, 0 better, 2 same"


def test_a_raw_p_below_alpha_is_not_flagged_once_holm_counts_every_cell():
    base = {s: float(s + 1) for s in range(8)}
    a = recorded({**constant(base, "f"), **constant(base, "g")})
    b = recorded({**constant({s: 3 * r for s, r in base.items()}, "f"), **constant(base, "g")}, "B")
    comparison = compare(a, b, [("s", "s")], checkpoints=[0.25, 0.5, 0.75, 1.0])
    f = by_fraction(comparison, "f")
    assert all(c.p_value == pytest.approx(2 / 2**8) for c in f.values())  # 0.0078 < 0.05
    # 8 cells: Holm gives 8 x 0.0078 = 0.0625 for the smallest, so nothing is flagged
    assert all(c.p_holm == pytest.approx(8 * 2 / 2**8) for c in f.values())
    assert comparison.summary == "0 worse, 0 better, 8 same"


def test_a_clearly_better_b_is_better_and_an_identical_b_is_the_same_everywhere():
    regrets = {s: 0.5 + s for s in range(10)}
    a = recorded(constant(regrets, budget=10))
    better = recorded(constant({s: r / 10 for s, r in regrets.items()}, budget=10), "B")
    found = compare(a, better, [("s", "s")])
    assert [c.verdict for c in found.cells] == ["better"] * 4
    assert all(c.effect == pytest.approx(-1.0) for c in found.cells)  # one decade lower
    same = compare(a, recorded(constant(regrets, budget=10), "B"), [("s", "s")])
    assert [c.verdict for c in same.cells] == ["same"] * 4
    assert all(c.p_value == 1.0 and c.effect == 0.0 for c in same.cells)


def test_incumbents_are_read_at_each_checkpoint_of_the_budget():
    # budget 20, B's regret 8 for nine trials then 1: 8 at 10% and 25%, 1 from 50% on
    a = recorded({("f", "s", s): [8.0] * 20 for s in range(6)})
    b = recorded({("f", "s", s): [8.0] * 9 + [1.0] * 11 for s in range(6)}, "B")
    cells = by_fraction(compare(a, b, [("s", "s")]))
    assert [cells[f].median_b for f in (0.1, 0.25, 0.5, 1.0)] == [8.0, 8.0, 1.0, 1.0]
    assert [cells[f].budget for f in (0.1, 0.25, 0.5, 1.0)] == [2.0, 5.0, 10.0, 20.0]
    assert cells[0.25].effect == 0.0
    assert cells[0.5].effect == pytest.approx(-math.log10(8))


def test_a_run_without_an_incumbent_yet_counts_as_worse_than_any_result():
    a = recorded({("f", "s", s): [5.0] * 10 for s in range(8)})
    late = recorded({("f", "s", s): [NAN] * 3 + [5.0] * 7 for s in range(8)}, "B")
    cells = by_fraction(compare(a, late, [("s", "s")], checkpoints=[0.1, 1.0]))
    assert cells[0.1].pairs == 8
    assert cells[0.1].median_b == math.inf
    assert cells[0.1].p_value == pytest.approx(2 / 2**8)
    assert cells[0.1].verdict == "worse"
    assert cells[1.0].verdict == "same"


def test_without_a_known_optimum_the_value_is_compared_in_its_own_units():
    a = recorded(constant({s: -2.0 - s for s in range(6)}), optimum=None)
    b = recorded(constant({s: -1.5 - s for s in range(6)}), "B", optimum=None)
    (cell,) = compare(a, b, [("s", "s")], checkpoints=[1.0]).cells
    assert cell.kind == "value"
    assert cell.effect == pytest.approx(0.5)
    assert cell.median_a == pytest.approx(np.median([-2.0 - s for s in range(6)]))


def test_too_few_seeds_for_any_cell_to_reach_alpha_is_said():
    a = recorded(constant({s: 1.0 for s in range(5)}))
    b = recorded(constant({s: 2.0 for s in range(5)}), "B")
    comparison = compare(a, b, [("s", "s")])
    assert comparison.count("worse") == 0
    assert any(
        "no cell of 4 can reach" in note and "cannot tell" in note for note in comparison.notes
    )


def test_a_single_worse_or_better_cell_sets_the_exit_status():
    a = recorded(constant({s: 1.0 + s for s in range(8)}))
    b = recorded(constant({s: 3.0 + s for s in range(8)}), "B")
    worse = compare(a, b, [("s", "s")], checkpoints=[1.0])
    assert worse.summary == "1 worse, 0 better, 0 same"
    assert [exit_status(worse, f) for f in ("worse", "any", "never")] == [1, 1, 0]
    better = compare(b, a, [("s", "s")], checkpoints=[1.0])
    assert better.summary == "0 worse, 1 better, 0 same"
    assert [exit_status(better, f) for f in ("worse", "any", "never")] == [0, 1, 0]


# --- refusals ------------------------------------------------------------------


def refusal(a: Recorded, b: Recorded) -> str:
    with pytest.raises(Incomparable) as caught:
        compare(a, b, [("s", "s")])
    return str(caught.value)


def test_a_different_budget_is_refused_naming_the_objective_and_both_budgets():
    message = refusal(
        recorded(constant({0: 1.0}, budget=4)), recorded(constant({0: 1.0}), "B", budget=8.0)
    )
    assert "objective f: budget 4 in A, 8 in B" in message


def test_different_seeds_are_refused_naming_the_seeds_on_each_side_and_why_they_are_missing():
    a = recorded(constant({0: 1.0, 1: 1.0, 2: 1.0}))
    b = recorded(constant({0: 1.0, 3: 1.0}), "B")
    b = Recorded(b.folder, b.runs, b.specs, left_out={("f", "s", 1): "errored: ValueError: boom"})
    message = refusal(a, b)
    assert "objective f, s: seeds differ: seeds 1, 2 in A only; seed 3 in B only" in message
    assert "B seed 1 errored: ValueError: boom" in message


def test_a_long_list_of_seeds_on_one_side_only_shows_its_first_eight():
    b = recorded(constant({0: 1.0}), "B")
    eight = refusal(recorded(constant({s: 1.0 for s in range(9)})), b)
    assert "seeds differ: seeds 1, 2, 3, 4, 5, 6, 7, 8 in A only" in eight
    nine = refusal(recorded(constant({s: 1.0 for s in range(10)})), b)
    assert "seeds differ: seeds 1, 2, 3, 4, 5, 6, 7, 8, ... in A only" in nine


def test_another_objective_signature_is_refused_naming_the_first_value_that_differs():
    drifted = [*SIGNATURE[:2], 54.0, *SIGNATURE[3:]]
    message = refusal(
        recorded(constant({0: 1.0})), recorded(constant({0: 1.0}), "B", signature=drifted)
    )
    assert "objective f: its signature" in message
    assert "value 3 is 53.0 in A, 54.0 in B" in message


def test_other_optima_objectives_and_runs_mixed_within_a_side_are_refused():
    assert "optimum 0.0 in A, 1.5 in B" in refusal(
        recorded(constant({0: 1.0})), recorded(constant({0: 1.0}), "B", optimum=1.5)
    )
    both = recorded({**constant({0: 1.0}, "f"), **constant({0: 1.0}, "g")})
    assert "objective g: runs in A only" in refusal(both, recorded(constant({0: 1.0}), "B"))
    mixed = recorded({**constant({0: 1.0}), **constant({1: 1.0}, budget=6)})
    assert "mixes runs of 2 budgets: 4, 6" in refusal(mixed, mixed)


# --- labels and checkpoints ----------------------------------------------------


def test_an_unknown_strategy_gets_a_did_you_mean(tmp_path):
    runs = recorded({**constant({0: 1.0}, strategy="random"), **constant({0: 1.0}, strategy="tpe")})
    with pytest.raises(CompareError, match=r"no runs of strategy 'randon'.*did you mean 'random'"):
        strategy_pairs(runs, runs, ["randon", "tpe"], one_folder=True)


def test_checkpoints_outside_the_budget_are_refused():
    a = recorded(constant({0: 1.0}))
    with pytest.raises(CompareError, match=r"fractions of the budget in \(0, 1\]"):
        compare(a, a, [("s", "s")], checkpoints=[0.0, 1.5])


# --- end to end: a tiny suite stored by run_suite, and the command line ------------

CORNER = '''
from bench import Strategy


class Corner(Strategy):
    """Always the space's lower corner: any other searcher beats it."""

    name = "corner"

    def ask(self):
        return self.suggest({name: dim.low for name, dim in self.space.items()})

    def tell(self, suggestion, value):
        pass
'''


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Path:
    """One folder: random and a hopeless plugin on Branin, 8 seeds, budget 8;
    beside two of random's runs, runs of a narrowed budget (the latest command)."""
    root = tmp_path_factory.mktemp("compare")
    plugin = root / "corner.py"
    plugin.write_text(CORNER)
    suite = root / "tiny.toml"
    suite.write_text(
        'strategies = ["random", "corner"]\nobjectives = ["branin"]\nseeds = 8\nbudget = 8\n'
    )
    for narrowed in ({}, {"strategies": ["random"], "seeds": [0, 1], "budget": 6}):
        outcome = run_suite(
            suite, root / "results", plugins=[plugin], in_process=True, progress=False, **narrowed
        )
        assert outcome.status == "complete"
    return root / "results" / "tiny"


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bench", "compare", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_exit_status_follows_fail_on_worse(stored, tmp_path, capsys):
    worse = bench(
        stored,
        "--strategies",
        "random,corner",
        "--checkpoints",
        "0.5,1",
        "--fail-on",
        "worse",
        "--out",
        tmp_path / "w",
    )
    assert worse.returncode == 1, worse.stderr
    assert "| branin | 100% (8) | 8 |" in worse.stdout
    assert "**2 worse, 0 better, 0 same**" in worse.stdout
    assert (tmp_path / "w" / "compare.md").read_text() == worse.stdout
    assert (tmp_path / "w" / "compare.png").stat().st_size > 0
    swapped = ["--strategies", "corner,random", "--checkpoints", "0.5,1", "--fail-on", "worse"]
    assert main(["compare", str(stored), *swapped, "--out", str(tmp_path / "b")]) == 0
    assert "**0 worse, 2 better, 0 same**" in capsys.readouterr().out


def test_two_identical_folders_compare_the_same_everywhere_and_any_difference_fails_fail_on_any(
    stored, tmp_path, capsys
):
    copy = tmp_path / "copy"
    shutil.copytree(stored, copy)
    status = main(
        ["compare", str(stored), str(copy), "--fail-on", "any", "--out", str(tmp_path / "o")]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "**0 worse, 0 better, 8 same**" in out  # 2 strategies x 4 checkpoints
    comparison = compare_folders(stored, strategies=["random", "corner"], checkpoints=[1.0])
    assert exit_status(comparison, "any") == 1
    assert exit_status(comparison, "never") == 0


def test_a_folder_missing_a_run_is_refused_with_exit_2_naming_the_seed(stored, tmp_path, caplog):
    copy = tmp_path / "copy"
    shutil.copytree(stored, copy)
    next((copy / "runs" / "branin" / "random").glob("seed=3-*.parquet")).unlink()
    status = main(["compare", str(stored), str(copy), "--out", str(tmp_path / "o")])
    assert status == 2
    assert "objective branin, random: seeds differ: seed 3 in A only" in caplog.text


def test_a_missing_folder_and_an_unknown_strategy_exit_2(stored, tmp_path, caplog):
    assert main(["compare", str(tmp_path / "nowhere"), str(stored)]) == 2
    assert "no results folder" in caplog.text
    assert main(["compare", str(stored), "--strategies", "random,coner"]) == 2
    assert "did you mean 'corner'" in caplog.text
    assert main(["compare", str(stored)]) == 2
    assert "name the two strategies" in caplog.text


def test_the_markdown_and_the_figure_are_written(tmp_path):
    a = recorded(constant({s: 1.0 + s for s in range(8)}))
    b = recorded(constant({s: 3.0 + s for s in range(8)}), "B")
    comparison = compare(a, b, [("s", "s")], checkpoints=[1.0])
    text = markdown(comparison)
    assert (
        "| objective | checkpoint | n | median A | median B | effect [95% CI] | p | Holm p | verdict |"
        in text
    )
    assert "| f | 100% (4) | 8 | 4.5 | 6.5 |" in text
    assert "**1 worse, 0 better, 0 same**" in text
    written = write(comparison, tmp_path)
    assert [p.name for p in written] == ["compare.md", "compare.png", "compare.svg"]


def test_read_prefers_the_suites_spec_of_a_run_stored_with_several(stored):
    runs = read(stored)
    assert runs.strategies == ["corner", "random"]
    assert len(runs.specs) == 16 and not runs.left_out
    assert {spec["budget"] for spec in runs.specs.values()} == {8.0}
    assert runs.runs.groupby(["strategy", "seed"])["cum_cost"].max().eq(8.0).all()
    assert any("2 run(s)" in note and "several stored specs" in note for note in runs.notes)


def test_a_damaged_run_file_is_named_when_its_seed_is_missing(stored, tmp_path, caplog):
    copy = tmp_path / "copy"
    shutil.copytree(stored, copy)
    damaged = next((copy / "runs" / "branin" / "random").glob("seed=3-*.parquet"))
    damaged.write_bytes(damaged.read_bytes()[:500])
    status = main(["compare", str(stored), str(copy), "--out", str(tmp_path / "o")])
    assert status == 2
    assert "objective branin, random: seeds differ: seed 3 in A only" in caplog.text
    assert f"note: damaged, not used: runs/branin/random/{damaged.name}" in caplog.text
