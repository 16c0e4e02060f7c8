"""The report on degenerate stored data: objectives whose every trial failed, runs
without trials, suites whose every run errored or was left out, optima the runs
contradict, one seed, one strategy, one trial. It must write a page that says
what is missing, in words, and draw only what has data."""

import html
import json
import logging
import math
import re

import numpy as np
import pandas as pd
import pytest

from bench.report import figures, write_report
from bench.report.metrics import add_regret, incumbent_curves, references
from bench.report.stored import LeftOut, Stored


@pytest.fixture(autouse=True)
def png_only(monkeypatch):
    """SVG output is the slow half of every figure and adds nothing to these checks."""
    monkeypatch.setattr(figures, "FORMATS", ("png",))


def trace(objective, strategy, seed, values, test=None, extra=None):
    """One run of full-fidelity trials (cost 1 each) as ``bench.loop`` stores it: a
    NaN value is a failed trial; ``test`` is each trial's test (noiseless) value;
    ``extra`` maps more column names to per-trial values."""
    n = len(values)
    test = [math.nan] * n if test is None else test
    best, incumbent, best_row, incumbent_row = math.inf, math.nan, [], []
    for value, t in zip(values, test):
        if not math.isnan(value) and value < best:
            best, incumbent = value, t
        best_row.append(best if best < math.inf else math.nan)
        incumbent_row.append(incumbent)
    return pd.DataFrame(
        {
            "suite": "faults",
            "objective": objective,
            "strategy": strategy,
            "seed": seed,
            "trial": np.arange(n),
            "config": [json.dumps({"x": i}) for i in range(n)],
            "param_x": np.arange(n, dtype=float),
            **(extra or {}),
            "fidelity": [math.nan] * n,
            "cost": [1.0] * n,
            "cum_cost": np.arange(1, n + 1, dtype=float),
            "value": [float(v) for v in values],
            "status": ["failed" if math.isnan(v) else "ok" for v in values],
            "best": best_row,
            "incumbent_test": [float(t) for t in incumbent_row],
            "t_ask": [0.001] * n,
            "t_eval": [0.01] * n,
            "t_tell": [0.002] * n,
        }
    )


def healthy(objective="good", strategies=("random", "tpe"), seeds=3, trials=4):
    """Runs with distinct, successful values."""
    return [
        trace(objective, s, seed, [10.0 - k - 0.5 * seed - 0.25 * i for k in range(trials)])
        for i, s in enumerate(strategies)
        for seed in range(seeds)
    ]


def failed(objective, strategies=("random", "tpe"), seeds=3, trials=4):
    return [
        trace(objective, s, seed, [math.nan] * trials) for s in strategies for seed in range(seeds)
    ]


def stored(frames, optima, **kwargs):
    runs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return Stored(runs=runs, optima=optima, manifest={"suite": "faults"}, **kwargs)


def report(tmp_path, data):
    written = write_report(tmp_path, stored=data)
    out = tmp_path / "report"
    for name in ("index.html", "report.md"):
        assert (out / name).is_file() and out / name in written
    return (
        written,
        (out / "index.html").read_text(),
        (out / "report.md").read_text(),
    )


def text_of(page):
    """The page's text with tags dropped and entities of quotes unescaped."""
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<img[^>]*>", "", page)))


def pngs(written):
    return sorted(p.name for p in written if p.suffix == ".png")


# --- 1. objectives, runs and suites without a successful trial ---------------------


@pytest.mark.parametrize("optimum", [None, 0.0])
def test_an_objective_whose_every_trial_failed_is_named_and_the_others_reported(tmp_path, optimum):
    data = stored([*healthy("good"), *failed("broken")], {"good": 0.0, "broken": optimum})
    written, page, markdown = report(tmp_path, data)
    words = text_of(page)
    assert "broken: no successful trial" in words
    assert "broken: no successful trial" in markdown
    summary = pd.read_csv(tmp_path / "report" / "summary.csv")
    assert set(summary["objective"]) == {"good"}
    assert "best_vs_budget.png" in pngs(written) and "final_regret.png" in pngs(written)
    assert "good (budget 4, 3 seeds)" in words


@pytest.mark.parametrize(
    "runs",
    [
        pd.DataFrame(),
        trace("f", "random", 0, []),
    ],
    ids=["no columns", "trial columns"],
)
def test_runs_without_any_trial_give_a_page_that_says_so(tmp_path, runs):
    data = Stored(runs=runs, optima={"f": 0.0}, manifest={"suite": "faults"})
    written, page, markdown = report(tmp_path, data)
    for text in (text_of(page), markdown):
        assert "No run is usable" in text
        assert "no trial" in text
    assert pngs(written) == []
    assert "data:image" not in page
    assert pd.read_csv(tmp_path / "report" / "summary.csv").empty


ERRORED = (
    LeftOut("f / random / seed=0", "errored: ValueError: boom", "runs/f/random/seed=0.parquet"),
    LeftOut("f / tpe / seed=0", "errored: RuntimeError: <bad> & worse"),
    LeftOut("f / tpe / seed=1", "stale: module strategies/tpe.py changed"),
)


@pytest.mark.parametrize("columns", [False, True], ids=["no columns", "trial columns"])
def test_a_suite_whose_every_run_errored_says_why_nothing_is_shown(tmp_path, columns, caplog):
    runs = trace("f", "random", 0, []) if columns else pd.DataFrame()
    data = Stored(
        runs=runs,
        optima={},
        manifest={"suite": "faults"},
        errored=tuple(x.key for x in ERRORED[:2]),
        left_out=ERRORED,
    )
    with caplog.at_level(logging.WARNING, logger="bench"):
        written, page, markdown = report(tmp_path, data)
    words = text_of(page)
    assert "No run is usable" in words and "No run is usable" in markdown
    assert "3 stored runs left out: 2 errored, 1 stale" in words
    for left in ERRORED:
        assert left.key in words and left.reason in words
    assert "<bad>" not in page and "&lt;bad&gt; &amp; worse" in page
    assert pngs(written) == []
    assert "3 stored runs left out: 2 errored, 1 stale" in caplog.text


# --- 2. the runs left out -------------------------------------------------------------


def section(page, title):
    """The HTML of one section of the page."""
    start = page.index(f"<h2>{title}</h2>")
    return page[start : page.index("</section>", start)]


def test_left_out_runs_are_listed_counted_in_the_summary_and_logged(tmp_path, caplog):
    left = (
        *(
            LeftOut(f"good / tpe / seed={k}", "stale: module strategies/tpe.py changed")
            for k in (0, 1, 2)
        ),
        LeftOut("good / gp / seed=0", "errored: ValueError: boom", "runs/good/gp/seed=0.parquet"),
    )
    data = stored(healthy("good"), {"good": 0.0}, errored=(left[-1].key,), left_out=left)
    with caplog.at_level(logging.WARNING, logger="bench"):
        _, page, markdown = report(tmp_path, data)
    line = "4 stored runs left out: 3 stale, 1 errored"
    assert line in text_of(section(page, "Summary"))
    assert line in markdown.split("## Suite")[0]
    listed = text_of(section(page, "Left out"))
    assert "## Left out" in markdown
    for run in left:
        assert f"{run.key}: {run.reason}" in listed
    assert line in caplog.text
    assert any(r.levelno == logging.WARNING and line in r.getMessage() for r in caplog.records)
    assert set(pd.read_csv(tmp_path / "report" / "summary.csv")["strategy"]) == {"random", "tpe"}


def test_a_long_left_out_list_is_grouped_by_reason_with_counts(tmp_path):
    left = (
        *(LeftOut(f"good / a / seed={k}", "stale: module a.py changed") for k in range(25)),
        *(LeftOut(f"good / b / seed={k}", "stale: module b.py changed") for k in range(15)),
        LeftOut("good / c / seed=0", "errored: KeyError: x"),
        LeftOut("good / c / seed=1", "errored: ValueError: y"),
    )
    data = stored(healthy("good"), {"good": 0.0}, left_out=left)
    _, page, markdown = report(tmp_path, data)
    assert "42 stored runs left out: 40 stale, 2 errored" in text_of(section(page, "Summary"))
    listed = text_of(section(page, "Left out"))
    assert "stale: module a.py changed (25 runs):" in listed
    assert "stale: module b.py changed (15 runs):" in listed
    assert "errored: KeyError: x (1 run): good / c / seed=0" in listed
    for run in left:
        assert run.key in listed
    assert "stale: module a.py changed (25 runs):" in markdown


# --- 3. an optimum the runs contradict -------------------------------------------------


def test_values_below_the_known_optimum_reject_it_instead_of_giving_negative_regret(caplog):
    runs = pd.concat(
        [
            trace("f", "random", 0, [3.0, 2.0, 1.5]),
            trace("f", "random", 1, [4.0, 0.5, 2.0]),  # 0.5 is below the optimum 1.0
            trace("f", "tpe", 0, [2.5, 1.2, 1.1]),
        ],
        ignore_index=True,
    )
    with caplog.at_level(logging.WARNING, logger="bench"):
        ref = references(runs, {"f": 1.0})["f"]
    assert ref.kind == "normalised regret" and ref.optimum is None
    assert ref.rejected_optimum == 1.0 and ref.lowest == 0.5
    assert ref.f_best == 0.5
    assert "f" in caplog.text and "1.0" in caplog.text and "0.5" in caplog.text
    assert "below" in caplog.text
    regret = add_regret(incumbent_curves(runs), {"f": ref})["regret"]
    assert (regret.dropna() >= 0).all() and regret.notna().all()


def test_a_value_a_rounding_error_below_the_optimum_keeps_it_and_gives_zero_regret(caplog):
    optimum = -1.031628453489877
    runs = trace("f", "a", 0, [0.0, optimum * (1 + 1e-13)])
    with caplog.at_level(logging.WARNING, logger="bench"):
        ref = references(runs, {"f": optimum})["f"]
    assert ref.kind == "regret" and ref.optimum == optimum and ref.rejected_optimum is None
    assert caplog.text == ""
    regret = add_regret(incumbent_curves(runs), {"f": ref})["regret"]
    assert regret.tolist() == [pytest.approx(-optimum), 0.0]


def test_noisy_values_below_the_optimum_keep_it_when_regret_is_judged_on_noiseless_values():
    # the observed (noisy) 0.9 is below the optimum 1.0, but regret is read off the
    # incumbent's noiseless value, which is above it
    runs = trace("noisy", "a", 0, [2.0, 0.9], test=[2.1, 1.3])
    ref = references(runs, {"noisy": 1.0})["noisy"]
    assert ref.kind == "regret" and ref.judged_on == "incumbent_test"
    below = trace("noisy", "a", 0, [2.0, 0.9], test=[2.1, 0.95])
    ref = references(below, {"noisy": 1.0})["noisy"]
    assert ref.kind == "normalised regret" and ref.lowest == 0.95


def test_the_page_names_a_rejected_optimum_with_the_lowest_value_seen(tmp_path, caplog):
    frames = healthy("good")  # lowest value 10 - 3 - 1 - 0.25 = 5.75
    data = stored(frames, {"good": 6.0})
    with caplog.at_level(logging.WARNING, logger="bench"):
        _, page, markdown = report(tmp_path, data)
    summary = text_of(section(page, "Summary"))
    assert "good" in summary and "optimum 6.0" in summary and "lowest value seen 5.75" in summary
    assert "optimum 6.0" in markdown and "lowest value seen 5.75" in markdown
    table = pd.read_csv(tmp_path / "report" / "summary.csv")
    assert (table["regret_kind"] == "normalised regret").all()
    assert (table["median_regret"] >= 0).all()
    assert "optimum 6.0" in caplog.text


# --- 4. one seed, one strategy, one trial, no test values ------------------------------


def mlp(test):
    """MLP-like runs: parameter columns all missing, test values optional."""
    return [
        trace(
            "mlp",
            s,
            seed,
            [0.5 - 0.1 * k - 0.01 * seed for k in range(3)],
            test=[0.6 - 0.1 * k for k in range(3)] if test and s == "random" else None,
            extra={"param_lr": [math.nan] * 3, "param_width": [math.nan] * 3},
        )
        for s in ("random", "tpe")
        for seed in range(3)
    ]


CASES = {
    "mlp without test values": (mlp(test=False), {"mlp": None}, 2),
    "mlp with test values for one strategy only": (mlp(test=True), {"mlp": None}, 2),
    "single seed": (healthy("f", seeds=1), {"f": 0.0}, 2),
    "single strategy": (healthy("f", strategies=("tpe",)), {"f": 0.0}, 1),
    "single strategy without optimum": (healthy("f", strategies=("tpe",)), {"f": None}, 1),
    "one trial per run": (healthy("f", trials=1), {"f": 0.0}, 2),
    "one of everything": (healthy("f", ("tpe",), seeds=1, trials=1), {"f": None}, 1),
    "no incumbent_test column": (
        [f.drop(columns="incumbent_test") for f in healthy("f")],
        {"f": 0.0},
        2,
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_the_report_of_a_thin_suite_is_written(tmp_path, case):
    frames, optima, strategies = CASES[case]
    written, page, _ = report(tmp_path, stored(frames, optima))
    table = pd.read_csv(tmp_path / "report" / "summary.csv")
    assert len(table) == strategies
    assert (table["median_regret"] >= 0).all()
    assert "best_vs_budget.png" in pngs(written)
    words = text_of(page)
    assert "No run is usable" not in words
    assert not re.search(r"\bnan\b", words, re.IGNORECASE)
    assert "n/a" not in words and " 1 seeds" not in words


def test_a_single_seed_reads_in_the_singular_and_claims_no_interval(tmp_path):
    _, page, _ = report(tmp_path, stored(healthy("f", seeds=1), {"f": 0.0}))
    summary = text_of(section(page, "Summary"))
    assert (
        "f (budget 4, 1 seed): tpe has the lowest median regret, 6.75 (a single seed: no interval)"
        in (summary)
    )
    assert (
        "With 1 paired seed and 1 comparison the smallest possible Holm-adjusted p-value is 1"
        in summary
    )


def test_curves_of_a_single_budget_point_are_drawn_as_markers(tmp_path, monkeypatch):
    drawn, save = [], figures.save

    def keep(fig, path):
        drawn.append((path.name, [line for ax in fig.axes for line in ax.get_lines()]))
        return save(fig, path)

    monkeypatch.setattr(figures, "save", keep)
    report(tmp_path, stored(healthy("f", trials=1), {"f": 0.0}))
    lines = dict(drawn)
    for name in ("best_vs_budget", "best_vs_time", "rank_vs_budget", "overhead"):
        single = [line for line in lines[name] if len(line.get_xdata()) == 1]
        assert single, name
        assert all(line.get_marker() not in (None, "", "None") for line in single), name
