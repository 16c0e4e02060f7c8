"""The tuning folklore, measured: eight claims, each with its numbers and a
verdict computed from stored runs (``bench.report.verdict``), never by hand.

Each lesson reads the runs of one of the ``lessons-*`` suites (lesson 8: the
``parallel`` suite) and returns a ``Lesson``: the claim, the tidy frame its
figure is drawn from, its verdicts, and a table. If the data disagree with the
folklore, the verdict says so.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bench.report.metrics import (
    BASELINE,
    FLOORS,
    add_regret,
    final_rows,
    full_fidelity,
    incumbent_curves,
    references,
)
from bench.report.parallel import incumbent_at, run_frames
from bench.report.stored import Stored
from bench.report.verdict import Verdict, paired_verdict
from bench.space import space_from_description
from bench.spec import run_label

#: Budgets (full-evaluation equivalents) at which lesson 5 reads the advantage.
GROWTH_BUDGETS = (10, 25, 50, 100)


@dataclass
class Lesson:
    number: int
    title: str
    claim: str
    verdicts: list[tuple[str, Verdict]] = field(default_factory=list)
    data: pd.DataFrame = field(default_factory=pd.DataFrame)
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)


def _curves(stored: Stored) -> pd.DataFrame:
    refs = references(stored.runs, stored.optima, stored.samples)
    return add_regret(incumbent_curves(stored.runs, "budget"), refs)


def _final(stored: Stored, column: str = "regret") -> pd.DataFrame:
    """(objective, seed) x strategy of ``column`` at the final budget."""
    final = final_rows(_curves(stored))
    return final.pivot_table(index=["objective", "seed"], columns="strategy", values=column)


#: Lesson 1's grids: the cell-centre placement (``grid``) and the bounds
#: placement (``grid[placement=bounds]``), each against random search.
GRIDS = ("grid", "grid[placement=bounds]")

#: Lesson 2's cases: the variant of random search that samples one kind of
#: dimension on a linear scale, every other dimension unchanged.
LINEAR = {
    "learning rate": "random[dims=learning_rate_init,scale=linear]",
    "1-beta (log1m dimensions)": "random[dims=log1m,scale=linear]",
}


def random_vs_grid(by_budget: Mapping[int, Stored]) -> Lesson:
    """Lesson 1 from the ``lessons-grid-<budget>`` suites, for each grid placement."""
    lesson = Lesson(
        1,
        "Random search beats grid search when few hyperparameters matter",
        "random search finds a lower regret than grid search with the same number of trials",
    )
    rows = []
    for budget, stored in sorted(by_budget.items()):
        final = _final(stored)
        grids = [g for g in GRIDS if g in final.columns]
        for objective, group in final.groupby(level="objective"):
            for grid in grids:
                verdict = paired_verdict(
                    lesson.claim, group["random"], group[grid], unit="decades of regret", log=True
                )
                lesson.verdicts.append((f"{objective}, {budget} trials, {grid}", verdict))
            for strategy in ("random", *grids):
                for seed, value in group[strategy].droplevel("objective").items():
                    rows.append((objective, budget, strategy, seed, value))
    lesson.data = pd.DataFrame(rows, columns=["objective", "budget", "strategy", "seed", "regret"])
    return lesson


def log_vs_linear(stored: Stored) -> Lesson:
    """Lesson 2 from ``lessons-mlp``: random search with every dimension on its
    own scale vs the same with only the learning rate, or only the log1m
    (1-beta) dimensions, on a linear scale."""
    lesson = Lesson(
        2,
        "Sample the learning rate on a log scale and momentum as 1-beta on a log scale",
        "random search with the dimension on its log (or log1m) scale reaches a lower "
        "validation error than with that dimension alone on a linear scale",
    )
    final = _final(stored, "best")
    present = {case: v for case, v in LINEAR.items() if v in final.columns}
    for objective, group in final.groupby(level="objective"):
        for case, linear in present.items():
            verdict = paired_verdict(
                lesson.claim, group["random"], group[linear], unit="validation error"
            )
            lesson.verdicts.append((f"{objective}, {case}", verdict))
    curves = _curves(stored)
    lesson.data = curves[curves["strategy"].isin(["random", *present.values()])]
    return lesson


def coarse_to_fine(stored: Stored) -> Lesson:
    """Lesson 3 from ``lessons-synthetic``: coarse-to-fine at three zoom factors."""
    lesson = Lesson(
        3,
        "Coarse-to-fine improves on random search at the same budget, depending on the zoom",
        "coarse-to-fine finds a lower regret than random search with the same budget",
    )
    final = _final(stored)
    zooms = [s for s in final.columns if s.startswith("coarse-to-fine")]
    rows = []
    for objective, group in final.groupby(level="objective"):
        for strategy in zooms:
            verdict = paired_verdict(
                lesson.claim, group[strategy], group["random"], unit="decades of regret", log=True
            )
            lesson.verdicts.append((f"{objective}, {strategy}", verdict))
            rows.append(
                (objective, _zoom(strategy), verdict.effect, verdict.ci_low, verdict.ci_high)
            )
    lesson.data = pd.DataFrame(rows, columns=["objective", "zoom", "effect", "ci_low", "ci_high"])
    return lesson


def _zoom(strategy: str) -> float:
    if "zoom=" not in strategy:
        return 0.5
    return float(strategy.split("zoom=")[1].split(",")[0].rstrip("]"))


def at_budget(curves: pd.DataFrame, budget: float) -> pd.DataFrame:
    """The rows of incumbent curves at the first grid point at or after ``budget``
    (the last point if the grid ends before): the grid may be resampled, so an
    exact budget need not be on it."""
    grid = np.sort(curves["budget"].unique())
    point = grid[min(np.searchsorted(grid, budget - 1e-9), len(grid) - 1)]
    return curves[curves["budget"] == point]


def budget_to_reach(curves: pd.DataFrame, target: float) -> float:
    """The budget at which one run's incumbent first reaches ``target`` (inf if never)."""
    reached = curves.loc[curves["best"] <= target, "budget"]
    return float(reached.min()) if len(reached) else np.inf


def hyperband_compute(stored: Stored) -> Lesson:
    """Lesson 4 from ``lessons-mlp``: the budget each needs to reach random search's
    median final validation error (and a looser target: its median at a third)."""
    lesson = Lesson(
        4,
        "Hyperband reaches random search's validation error with a fraction of the compute",
        "Hyperband needs less budget than random search to reach the target",
    )
    curves = _curves(stored)
    rows = []
    budget = curves["budget"].max()
    for objective, group in curves.groupby("objective"):
        random = group[group["strategy"] == "random"]
        at_end = random[random["budget"] == random["budget"].max()]["best"].median()
        third = at_budget(random, budget / 3)["best"].median()
        for label, target in (
            ("final median of random", at_end),
            ("median of random at a third", third),
        ):
            needs = {
                strategy: group[group["strategy"] == strategy]
                .groupby("seed")
                .apply(budget_to_reach, target, include_groups=False)
                for strategy in ("random", "hyperband")
            }
            capped = {s: v.replace(np.inf, 2 * budget) for s, v in needs.items()}
            verdict = paired_verdict(
                lesson.claim,
                capped["hyperband"],
                capped["random"],
                unit="decades of budget",
                log=True,
            )
            lesson.verdicts.append((f"{objective}, target {target:.4f} ({label})", verdict))
            rows.append(
                {
                    "objective": objective,
                    "target": f"{target:.4f} ({label})",
                    "random: median budget": _budget_text(needs["random"], budget),
                    "hyperband: median budget": _budget_text(needs["hyperband"], budget),
                    "hyperband / random": f"{10**-verdict.effect:.2f}",
                }
            )
    lesson.table = pd.DataFrame(rows)
    lesson.data = curves.query("strategy in ['random', 'hyperband']")
    lesson.notes.append(
        "A run that never reaches a target counts as needing twice the suite's budget."
    )
    return lesson


def _budget_text(needs: pd.Series, budget: float) -> str:
    median = float(np.median(needs))
    reached = int(np.isfinite(needs).sum())
    text = f"{median:.3g}" if np.isfinite(median) else f"> {budget:g}"
    return f"{text} ({reached}/{len(needs)} reach it)"


def model_based_growth(stored: Stored, mlp: Stored | None = None) -> Lesson:
    """Lesson 5 from ``lessons-synthetic`` (and the MLP evaluation times of
    ``lessons-mlp``): the advantage of TPE and GP over random search at growing
    budgets, and the trial at which their optimizer time per trial exceeds an
    evaluation."""
    lesson = Lesson(
        5,
        "Model-based search beats random search more as the budget grows",
        "the model-based searcher's advantage over random search grows with the budget",
    )
    curves = _curves(stored)
    rows = []
    for objective, group in curves.groupby("objective"):
        for model in ("tpe", "gp"):
            advantage = {}
            for budget in GROWTH_BUDGETS:
                at = at_budget(group, budget).pivot(
                    index="seed", columns="strategy", values="regret"
                )
                effect = np.log10(at["random"].clip(lower=1e-12)) - np.log10(
                    at[model].clip(lower=1e-12)
                )
                advantage[budget] = effect
                rows.append(
                    (
                        objective,
                        model,
                        budget,
                        float(effect.median()),
                        float(effect.quantile(0.25)),
                        float(effect.quantile(0.75)),
                    )
                )
            first, last = GROWTH_BUDGETS[1], GROWTH_BUDGETS[-1]
            verdict = paired_verdict(
                lesson.claim, -advantage[last], -advantage[first], unit="decades of regret"
            )
            lesson.verdicts.append((f"{objective}, {model}: {first} vs {last} trials", verdict))
    lesson.data = pd.DataFrame(
        rows, columns=["objective", "strategy", "budget", "advantage", "q25", "q75"]
    )
    overhead = stored.runs[stored.runs["strategy"].isin(["tpe", "gp"])]
    per_trial = (
        overhead.assign(ms=(overhead["t_ask"] + overhead["t_tell"]) * 1e3)
        .groupby(["strategy", "trial"])["ms"]
        .median()
        .reset_index()
    )
    synthetic_ms = float(stored.runs["t_eval"].median() * 1e3)
    lesson.notes.append(f"median evaluation time of the synthetic functions: {synthetic_ms:.3g} ms")
    table = []
    mlp_ms = np.nan
    if mlp is not None:
        full = mlp.runs[(mlp.runs["status"] == "ok") & full_fidelity(mlp.runs)]
        mlp_ms = float(full["t_eval"].median() * 1e3)
        lesson.notes.append(f"median full evaluation time of the MLPs: {mlp_ms:.4g} ms")
    for strategy, rows_ in per_trial.groupby("strategy"):
        over_synthetic = rows_.loc[rows_["ms"] > synthetic_ms, "trial"]
        over_mlp = rows_.loc[rows_["ms"] > 0.1 * mlp_ms, "trial"] if np.isfinite(mlp_ms) else []
        table.append(
            {
                "strategy": strategy,
                "ask + tell at the last trial (ms)": f"{rows_['ms'].iloc[-1]:.3g}",
                "first trial costing more than a synthetic evaluation": _first(over_synthetic),
                "first trial costing more than 10% of an MLP evaluation": _first(over_mlp),
            }
        )
    lesson.table = pd.DataFrame(table)
    return lesson


def _first(trials) -> str:
    return str(int(trials.iloc[0]) + 1) if len(trials) else "none"


def importance(stored: Stored, *, resamples: int = 10, seed: int = 0) -> Lesson:
    """Lesson 6 from ``lessons-mlp``: optuna's fANOVA importance on every
    successful full-fidelity evaluation of every strategy, in each dimension's
    unit-cube coordinate (its log / log1m scale), with a bootstrap over runs.
    The fits (seeded, so the result does not depend on the order) run one per core."""
    import optuna

    lesson = Lesson(
        6,
        "The learning rate matters most",
        "the learning rate is the most important hyperparameter",
    )
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rows, firsts = [], []
    rng = np.random.default_rng(seed)
    context = multiprocessing.get_context("forkserver")
    for objective, runs in stored.runs.groupby("objective"):
        space = space_from_description(stored.manifest["signatures"][objective]["space"])
        ok = runs[(runs["status"] == "ok") & full_fidelity(runs)]
        keys = ok[["strategy", "seed"]].drop_duplicates().to_numpy()
        draws = [keys[rng.integers(0, len(keys), len(keys))] for _ in range(resamples)]
        samples = [ok] + [
            pd.concat([ok[(ok["strategy"] == s) & (ok["seed"] == k)] for s, k in draw])
            for draw in draws
        ]
        with ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=context) as pool:
            fits = list(pool.map(_fanova, samples, [space] * len(samples), [seed] * len(samples)))
        rows += [(objective, name, value) for name, value in fits[0].items()]
        first = [max(scores, key=scores.get) for scores in fits[1:]]
        share = first.count("learning_rate_init") / len(first)
        firsts.append((objective, share))
        top = max((r for r in rows if r[0] == objective), key=lambda r: r[2])[1]
        lesson.notes.append(
            f"{objective}: {len(ok)} evaluations; most important: {top}; the learning rate "
            f"ranks first in {share:.0%} of {resamples} bootstrap resamples of the runs"
        )
    lesson.data = pd.DataFrame(rows, columns=["objective", "parameter", "importance"])
    lesson.table = (
        lesson.data.pivot(index="parameter", columns="objective", values="importance")
        .sort_values(lesson.data["objective"].iloc[0], ascending=False)
        .map("{:.3f}".format)
        .reset_index()
    )
    lesson.verdicts = [
        (objective, _share_verdict(lesson.claim, share, resamples)) for objective, share in firsts
    ]
    return lesson


def _share_verdict(claim: str, share: float, resamples: int) -> Verdict:
    holds = "supported" if share >= 0.9 else "contradicted" if share <= 0.1 else "inconclusive"
    return Verdict(claim, share, share, share, np.nan, resamples, "share of resamples", holds)


def _fanova(sample: pd.DataFrame, space, seed: int) -> dict[str, float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    from optuna.distributions import FloatDistribution
    from optuna.importance import FanovaImportanceEvaluator

    names = space.names
    study = optuna.create_study()
    distributions = {name: FloatDistribution(0.0, 1.0) for name in names}
    trials = []
    for config, value in zip(sample["config"], sample["value"]):
        unit = space.to_unit(json.loads(config))
        trials.append(
            optuna.trial.create_trial(
                params={n: float(u) for n, u in zip(names, unit)},
                distributions=distributions,
                value=float(value),
            )
        )
    study.add_trials(trials)
    return optuna.importance.get_param_importances(
        study, evaluator=FanovaImportanceEvaluator(seed=seed), normalize=True
    )


def optimism(stored: Stored) -> Lesson:
    """Lesson 7 from ``lessons-mlp``: incumbent's test error minus its validation
    error, and how it changes with the number of trials."""
    lesson = Lesson(
        7,
        "Validation error is optimistic, more so after more trials",
        "the incumbent's test error exceeds its validation error",
    )
    curves = _curves(stored)
    curves = curves[curves["strategy"] == "random"].assign(
        optimism=lambda f: f["incumbent_test"] - f["best"]
    )
    budget = curves["budget"].max()
    early = round(budget / 6)
    for objective, group in curves.groupby("objective"):
        final = group[group["budget"] == budget].set_index("seed")
        lesson.verdicts.append(
            (
                f"{objective}, after {budget:g} trials",
                paired_verdict(lesson.claim, final["best"], final["incumbent_test"], unit="error"),
            )
        )
        start = at_budget(group, early).set_index("seed")
        lesson.verdicts.append(
            (
                f"{objective}, growth from {early:g} to {budget:g} trials",
                paired_verdict(
                    "the optimism grows with the number of trials",
                    start["optimism"],
                    final["optimism"],
                    unit="error",
                ),
            )
        )
    lesson.data = curves[["objective", "seed", "budget", "optimism"]]
    return lesson


#: Lesson 8's model-based searchers, each raced against random search run with
#: as many workers (those the stored runs hold).
MODEL_BASED = ("tpe", "tpe-hyperopt", "bohb")
#: Lesson 8's asynchronous and synchronous Hyperband, raced with the most workers.
ASYNC, SYNC = "asha", "hyperband"


def _floored_final(stored: Stored) -> pd.DataFrame:
    """(objective, seed) x strategy label of the final regret (normalised regret
    where the optimum is unknown), read at the report's floors (``FLOORS``)."""
    final = final_rows(_curves(stored))
    floor = final["regret_kind"].map(FLOORS)
    final = final.assign(regret=final["regret"].clip(lower=floor))
    return final.pivot_table(index=["objective", "seed"], columns="strategy", values="regret")


def _decades(loser: pd.Series, winner: pd.Series) -> pd.Series:
    """log10(loser / winner) per pair: how many decades of regret the winner wins by."""
    return np.log10(loser) - np.log10(winner)


def panda_vs_caviar(stored: Stored) -> Lesson:
    """Lesson 8 from the ``parallel`` suite: (a) each model-based searcher against
    random search with the same number W of simulated workers, at the final
    budget, for every W; (b) ASHA against synchronous Hyperband with the most
    workers, at the same simulated time. Pairs are (objective, seed); effects
    are decades of regret."""
    lesson = Lesson(
        8,
        "Panda or caviar: with many parallel workers, model-based search keeps its edge "
        "and asynchronous Hyperband beats synchronous",
        "a model-based searcher keeps its advantage over random search as simulated "
        "workers are added, and ASHA finds better values than synchronous Hyperband "
        "in the same simulated time with many workers",
    )
    final = _floored_final(stored)
    workers = sorted(int(w) for w in stored.runs["workers"].fillna(1).unique())
    rows, table = [], []
    for model in [m for m in MODEL_BASED if m in final.columns]:
        claim = f"{model} ends with a lower regret than random search with as many workers"
        for w in workers:
            winner, loser = run_label(model, w), run_label(BASELINE, w)
            if winner not in final.columns or loser not in final.columns:
                continue
            verdict = paired_verdict(
                claim, final[winner], final[loser], unit="decades of regret", log=True
            )
            lesson.verdicts.append((f"{model} vs random, {_workers(w)}", verdict))
            effect = _decades(final[loser], final[winner]).dropna()
            rows += [(f"{model} vs random", model, w, o, k, e) for (o, k), e in effect.items()]
            table += _rows_of(f"{model} vs random", w, "final budget", final[winner], final[loser])
    asha = _asha_vs_hyperband(stored, max(workers))
    if asha is not None:
        verdict, effects, part, stand_ins = asha
        lesson.verdicts.append((f"asha vs hyperband, {_workers(max(workers))}", verdict))
        rows += effects
        table += part
        lesson.notes.append(_asha_note(max(workers), stand_ins))
    lesson.notes.append(_measure_note(stored))
    columns = ["comparison", "strategy", "workers", "objective", "seed", "effect"]
    lesson.data = pd.DataFrame(rows, columns=columns)
    lesson.table = pd.DataFrame(table)
    return lesson


def _workers(w: int) -> str:
    return f"{w} worker{'s' if w != 1 else ''}"


def _rows_of(
    comparison: str, w: int, at: str, winner: pd.Series, loser: pd.Series, times=None
) -> list[dict]:
    """Lesson 8's table rows of one comparison: per objective, the medians over
    seeds of both sides' regret, of the advantage (decades) and of the common
    time (if ``times``), and how many seeds the searcher wins."""
    out = []
    pairs = pd.concat([winner.rename("w"), loser.rename("l")], axis=1).dropna()
    for objective, group in pairs.groupby(level="objective"):
        effect = _decades(group["l"], group["w"])
        at_text = at if times is None else f"{at} (median {times.loc[objective].median():.3g} s)"
        out.append(
            {
                "comparison": comparison,
                "workers": w,
                "objective": objective,
                "measured at": at_text,
                "median regret: searcher": f"{group['w'].median():.3g}",
                "median regret: baseline": f"{group['l'].median():.3g}",
                "median advantage (decades)": f"{effect.median():+.3g}",
                "searcher lower in": f"{int((effect > 0).sum())}/{len(effect)} seeds"
                + (f" ({int((effect == 0).sum())} ties)" if (effect == 0).any() else ""),
            }
        )
    return out


def _asha_vs_hyperband(stored: Stored, w: int):
    """Lesson 8 (b): the verdict on ASHA against synchronous Hyperband with ``w``
    workers at a common simulated time per (objective, seed): the earlier of the
    two runs' end times, when neither has run out of budget before. A run with no
    full-fidelity result by then counts as the worst regret either searcher's
    runs on that objective ever held. Returns (verdict, figure rows, table rows,
    number of such stand-ins), or None without runs of both."""
    frames = run_frames(stored.runs)
    refs = references(stored.runs, stored.optima, stored.samples)
    values: dict[str, dict[tuple[str, int], float]] = {ASYNC: {}, SYNC: {}}
    times, stand_ins = {}, 0
    for (objective, strategy, workers, seed), rows in frames.items():
        other = frames.get((objective, SYNC, workers, seed))
        if strategy != ASYNC or workers != w or other is None:
            continue
        ref, floor = refs[objective], FLOORS[refs[objective].kind]
        when = min(rows["t_end"].iloc[-1], other["t_end"].iloc[-1])
        both = pd.concat([rows, other])
        worst = ref.regret(both["best"], _test(both)).max()
        for name, run in ((ASYNC, rows), (SYNC, other)):
            now = incumbent_at(run, when).to_frame().T
            regret = float(ref.regret(now["best"].astype(float), _test(now)).iloc[0])
            stand_ins += int(np.isnan(regret))
            values[name][objective, seed] = max(worst if np.isnan(regret) else regret, floor)
        times[objective, seed] = when
    if not times:
        return None
    index = pd.MultiIndex.from_tuples(sorted(times), names=["objective", "seed"])
    asha, hyperband = (pd.Series(values[n]).reindex(index) for n in (ASYNC, SYNC))
    claim = f"asha has a lower regret than hyperband at the same simulated time with {w} workers"
    verdict = paired_verdict(claim, asha, hyperband, unit="decades of regret", log=True)
    effect = _decades(hyperband, asha)
    rows = [("asha vs hyperband", ASYNC, w, o, k, e) for (o, k), e in effect.items()]
    table = _rows_of(
        "asha vs hyperband",
        w,
        "same simulated time",
        asha,
        hyperband,
        pd.Series(times).reindex(index),
    )
    return verdict, rows, table, stand_ins


def _test(rows: pd.DataFrame) -> pd.Series:
    """The rows' incumbent test values (NaN where the runs record none)."""
    if "incumbent_test" not in rows:
        return pd.Series(np.nan, index=rows.index)
    return rows["incumbent_test"].astype(float)


def _asha_note(w: int, stand_ins: int) -> str:
    return (
        f"asha vs hyperband with {w} workers is measured at the same simulated time: for each "
        "objective and seed, the earlier of the two runs' end times, so neither has run out "
        "of budget before it (the synchronous one waits for each rung's slowest evaluation, "
        "the asynchronous one does not); the effect is log10(hyperband's regret / asha's) "
        f"then. {stand_ins} run(s) had no full-fidelity result by that time and count as "
        "the worst regret either searcher held on that objective."
    )


def _measure_note(stored: Stored) -> str:
    budget = stored.manifest.get("budget", stored.runs["cum_cost"].max())
    return (
        "model-based vs random: each run's final regret (normalised regret where the optimum "
        f"is unknown, as the report measures it) at the suite's budget of {budget:g} full "
        "evaluations, with the same number of workers on both sides; the effect is "
        "log10(random's regret / the model's), paired by objective and seed. Regret below "
        "1e-12 (normalised regret below 1e-4) is read at that floor."
    )


def panda_vs_caviar_summary(verdicts: list[tuple[str, Verdict]]) -> list[str]:
    """Lesson 8's conclusions in words, from its (Holm-adjusted) verdicts: per
    model, how its case against random search fares at each worker count (in
    the order the cases come, fewest workers first), then the ASHA case."""
    by_model: dict[str, list[tuple[str, str]]] = {}
    others = []
    for case, v in verdicts:
        name, _, rest = case.partition(" vs ")
        if rest.startswith(f"{BASELINE}, "):
            by_model.setdefault(name, []).append((rest.split(", ")[1], v.holds))
        else:
            others.append(f"{case}, at the same simulated time: {v.holds}.")
    out = []
    for model, cases in by_model.items():
        (fewest, first), (most, last) = cases[0], cases[-1]
        if first == "supported" and last == "supported":
            end = f"it keeps its advantage with {most}"
        elif first == "supported":
            end = f"its advantage with {fewest} is not shown with {most} ({last})"
        else:
            end = f"with {fewest} it shows no advantage to keep ({first})"
        told = ", ".join(f"{holds} with {w}" for w, holds in cases)
        out.append(f"{model} against random search: {told}; {end}.")
    return out + others


__all__ = [
    "Lesson",
    "budget_to_reach",
    "coarse_to_fine",
    "hyperband_compute",
    "importance",
    "log_vs_linear",
    "model_based_growth",
    "optimism",
    "panda_vs_caviar",
    "panda_vs_caviar_summary",
    "random_vs_grid",
]
