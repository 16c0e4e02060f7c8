"""The harness benchmarks' published text (benchmarks/perf_*.py): each renders its
Markdown from the measured rows alone, with the goals' verdicts computed from the
numbers, and each README block has a make target that writes it."""

from __future__ import annotations

import argparse
import importlib
import re
from pathlib import Path
from types import ModuleType

import pytest

from bench.publish import HARNESS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def perf(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    names = ("perf_loop", "perf_wrappers", "perf_objectives", "perf_scale")
    return {name: importlib.import_module(name) for name in names}


def test_every_harness_block_has_a_make_target_writing_it():
    makefile = (ROOT / "Makefile").read_text()
    for name in HARNESS:
        target = re.search(rf"^{re.escape(name)}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
        assert target, name
        assert f"--out results/published/{name}.md" in target.group(1), name


def test_perf_loop_verdicts_come_from_the_numbers(perf):
    args = argparse.Namespace(trials=1000, repeats=1)
    run = {"wall": 0.03, "overhead": 0.01, "random": 0.01, "evaluate": 0.01, "frame": 0.001}
    text = perf["perf_loop"].report([0.01], [run], args)
    assert text.startswith("`make perf-loop`: random search on Branin, 1000 trials")
    assert "| tunebench run, whole | 0.0300 | 3.00x the bare loop |" in text
    assert "loop overhead <= 0.02 ms per trial: met;" in text
    slow = run | {"overhead": 0.025}
    text = perf["perf_loop"].report([0.01], [slow], args)
    assert "loop overhead <= 0.02 ms per trial: missed by 0.0050 ms;" in text


def test_perf_wrappers_names_each_ratio_over_the_goal(perf):
    args = argparse.Namespace(trials=100, repeats=3)
    rows = {"tpe": [(1.0, 1.05, True)], "gp": [(1.0, 1.2, True), (1.0, 1.3, False)]}
    text = perf["perf_wrappers"].report(rows, args)
    assert "| `gp` | optuna ask/tell | 10 | 12.5 | 1.250 | NO | 2 |" in text
    assert "<= 1.10: missed by `gp` (1.250)." in text
    assert "different configurations: 1 (expected 0)" in text
    text = perf["perf_wrappers"].report({"tpe": rows["tpe"]}, args)
    assert "<= 1.10: met (worst `tpe`, 1.050)." in text


def test_perf_objectives_renders_the_kinds_it_measured(perf):
    args = argparse.Namespace(repeats=10, batch=100)
    rows = {
        "synthetic": [
            {"name": "branin", "evaluate_ms": 0.01, "batch_ms": 1e-5},
            {"name": "mixed", "evaluate_ms": 0.02, "batch_ms": None},
        ],
        "trained": [],
        "recorded": [
            {
                "name": "tabular-mlp-sgd",
                "evaluate_us": 2.0,
                "batch_us": None,
                "real": "mlp-sgd[dataset=digits]",
                "real_s": 0.2,
                "diverged": 1,
            }
        ],
    }
    text = perf["perf_objectives"].report(rows, args)
    assert text.startswith("`make perf-objectives`: 10 `evaluate` calls")
    assert "| `mixed` | 0.0200 | - |" in text
    assert "0.0100 to 0.0200 ms per `evaluate`, at most 0.000010 ms per point" in text
    assert "| trained objective" not in text
    assert "| 0.200 | 100,000x | 1 of 10 |" in text


def test_perf_scale_verdicts_come_from_the_numbers(perf):
    args = argparse.Namespace(workers=2, seeds=8, budget=15.0)
    timings = {"--jobs 1": (100.0, 98.0), "--jobs 2": (52.0, 50.0), "dask, 2 workers": (62.0, 60)}
    trial_time = {"--jobs 1": 96.0, "--jobs 2": 97.0, "dask, 2 workers": 99.0}
    text = perf["perf_scale"].report(timings, trial_time, 32, 900, args)
    assert "x 8 seeds, budget 15: 32 runs, 900 trials;" in text
    assert "| `--jobs 2` | 52.0 | 1.92x | 1.08 | 50.0 | 1.04 | 1.01 |" in text
    assert "speedup >= 1.8x for `--jobs 2`: met (1.92x)" in text
    assert ">= 1.7x for Dask: missed by 0.09x (1.61x)" in text
    assert "wall / lower bound <= 1.15: missed by `dask, 2 workers` (1.29)." in text
