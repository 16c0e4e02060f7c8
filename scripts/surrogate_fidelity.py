"""How faithful the surrogate MLPs are (``make surrogate-fidelity``).

From the shipped table of learning curves, per objective: the surrogate is
fitted on four fifths of the design and compared with the recorded trainings
of the fifth it never saw (every fifth design point). From the stored runs of
the ``surrogate-check`` suite: six searchers ranked on the real ``mlp-sgd`` and
on ``surrogate-mlp-sgd`` with the same seeds and budget. Also the measured
choice of model: five-fold cross-validated rank correlations of the
candidates on the digits objectives. Prints Markdown (``--out`` also writes
it, for ``make publish``).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import kendalltau, spearmanr
from sklearn.ensemble import (
    ExtraTreesRegressor,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
)
from sklearn.model_selection import KFold
from sklearn.neighbors import KNeighborsRegressor

from bench.report.stored import load
from objectives.mlp import DATASETS, EPOCHS, MLPSGD, MLPAdam
from objectives.surrogate import OFFSET, design_points, fit, holdout
from objectives.tabular import Curves, shipped_table

SOURCES = {"mlp-sgd": MLPSGD, "mlp-adam": MLPAdam}
CHECKED_EPOCHS = (3, 9, 27)
LOW = (1, 3)
RANKED = ("random", "grid", "tpe", "gp", "hyperband", "bohb")
#: Distinct noise draws of the surrogate: 3 recorded seeds x 8 neighbours.
NOISE_DRAWS = 24


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    keep = np.isfinite(a) & np.isfinite(b)
    return float(spearmanr(a[keep], b[keep]).statistic)


def _recorded_mean(values: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=1)


def held_out(source: str, dataset: str) -> dict[str, float]:
    """The held-out fidelity figures of one objective's surrogate."""
    space = SOURCES[source](dataset).space
    curves = Curves(shipped_table(), f"{source}[dataset={dataset}]", space)
    fit_on, held = holdout(curves.configs)
    surrogate = fit(curves, space, fit_on)
    u = design_points(curves, space)[held]
    mean = np.exp(surrogate.mean.predict(u)[:, : EPOCHS.high]) - OFFSET
    recorded = _recorded_mean(curves.validation[held])
    row = {f"rho@{e}": _spearman(mean[:, e - 1], recorded[:, e - 1]) for e in CHECKED_EPOCHS}
    single = curves.validation[held, 0]
    outputs, sources, _ = surrogate.curves(u, 0)
    predicted = np.exp(outputs[:, : EPOCHS.high]) - OFFSET
    predicted[surrogate.diverged_at[sources, 0] <= EPOCHS.high] = np.nan
    for low in LOW:
        row[f"recorded {low}v27"] = _spearman(single[:, low - 1], single[:, -1])
        row[f"surrogate {low}v27"] = _spearman(predicted[:, low - 1], predicted[:, -1])
    row["sd recorded"] = pooled_sd(curves.validation[held, :, -1])
    row["sd surrogate"] = pooled_sd(noise_draws(surrogate, u, NOISE_DRAWS))
    row["held out"] = len(held)
    return row


def pooled_sd(values: np.ndarray) -> float:
    """sqrt of the mean over configurations (rows) of the unbiased variance over
    seeds (columns, NaN: diverged): unbiased whatever the number of seeds, so
    three recorded seeds compare with 24 surrogate draws."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return float(np.sqrt(np.nanmean(np.nanvar(values, axis=1, ddof=1))))


def noise_draws(surrogate, u: np.ndarray, seeds: int) -> np.ndarray:
    """(points, seeds) validation errors at 27 epochs as ``evaluate`` answers them:
    clipped to [0, 1], NaN where the query would fail as diverged."""
    columns = []
    for seed in range(seeds):
        outputs, sources, recorded = surrogate.curves(u, seed)
        value = np.clip(np.exp(outputs[:, EPOCHS.high - 1]) - OFFSET, 0.0, 1.0)
        value[surrogate.diverged_at[sources, recorded] <= EPOCHS.high] = np.nan
        columns.append(value)
    return np.stack(columns, axis=1)


def fidelity_table() -> pd.DataFrame:
    """The held-out figures of every recorded objective, one row each."""
    rows = []
    for source in SOURCES:
        for dataset in DATASETS:
            rows.append({"objective": f"{source}[dataset={dataset}]", **held_out(source, dataset)})
    return pd.DataFrame(rows)


def goals(fidelity: pd.DataFrame) -> list[str]:
    """Which objectives meet the targets the surrogate was built to: rho@27 >= 0.9,
    and each low-to-full correlation within 0.05 of the recorded one."""
    lines = []
    met = fidelity[fidelity["rho@27"] >= 0.9]["objective"]
    lines.append(f"- rho@27 >= 0.9 on {len(met)} of {len(fidelity)}: {_names(met)}.")
    for low in LOW:
        gap = (fidelity[f"surrogate {low}v27"] - fidelity[f"recorded {low}v27"]).abs()
        close = fidelity[gap <= 0.05]["objective"]
        lines.append(
            f"- {low}v27 within 0.05 of the recorded value on {len(close)} of {len(fidelity)}: "
            f"{_names(close)} (largest gap {gap.max():.3f})."
        )
    return lines


def _names(objectives: pd.Series) -> str:
    return ", ".join(objectives) if len(objectives) else "none"


CANDIDATES = {
    "extra trees (300)": lambda: ExtraTreesRegressor(300, random_state=0, n_jobs=1),
    "random forest (300)": lambda: RandomForestRegressor(300, random_state=0, n_jobs=1),
    "gradient boosting": lambda: HistGradientBoostingRegressor(
        max_iter=300, learning_rate=0.05, random_state=0
    ),
    "5 nearest neighbours": lambda: KNeighborsRegressor(5, weights="distance"),
}


def model_comparison(source: str, dataset: str = "digits") -> pd.DataFrame:
    """Five-fold cross-validated Spearman correlation of each candidate's prediction
    with the recorded mean validation error, at each checked epoch."""
    space = SOURCES[source](dataset).space
    curves = Curves(shipped_table(), f"{source}[dataset={dataset}]", space)
    points = design_points(curves, space)
    recorded = _recorded_mean(curves.validation)
    folds = list(KFold(5, shuffle=True, random_state=0).split(points))
    scores: dict[str, dict[int, list[float]]] = {}
    for name, make in CANDIDATES.items():
        for train, test in folds:
            for e in CHECKED_EPOCHS:
                known = recorded[train, e - 1]
                # a configuration diverged with every seed counts as the worst of the fold
                target = np.log(np.where(np.isnan(known), np.nanmax(known), known) + OFFSET)
                model = make().fit(points[train], target)
                scores.setdefault(name, {}).setdefault(e, []).append(
                    _spearman(model.predict(points[test]), recorded[test, e - 1]))  # fmt: skip
    for train, test in folds:
        surrogate = fit(curves, space, train)
        mean = surrogate.mean.predict(points[test])
        for e in CHECKED_EPOCHS:
            scores.setdefault("GP, one kernel (chosen)", {}).setdefault(e, []).append(
                _spearman(mean[:, e - 1], recorded[test, e - 1]))  # fmt: skip
    return pd.DataFrame(
        [
            {"model": name, **{f"rho@{e}": np.mean(v) for e, v in by.items()}}
            for name, by in scores.items()
        ]
    )


def rankings(results: Path) -> tuple[pd.DataFrame, float, float, int]:
    """Mean rank over seeds of each searcher's final best validation error, on the
    real and on the surrogate objective; Kendall's tau between them and its p-value."""
    stored = load(results / "surrogate-check")
    runs = stored.runs.sort_values(["objective", "strategy", "seed", "trial"])
    final = runs.groupby(["objective", "strategy", "seed"])["best"].last().unstack("strategy")
    final = final[[s for s in RANKED if s in final.columns]]
    ranks = final.rank(axis=1).groupby(level="objective").mean().T
    real, surrogate = ranks["mlp-sgd"], ranks["surrogate-mlp-sgd"]
    tau = kendalltau(real, surrogate)
    seeds = int(final.index.get_level_values("seed").nunique())
    table = pd.DataFrame(
        {"mean rank, real mlp-sgd": real, "mean rank, surrogate-mlp-sgd": surrogate}
    )
    return (
        table.sort_values("mean rank, real mlp-sgd"),
        float(tau.statistic),
        float(tau.pvalue),
        seeds,
    )


def _markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    cells = frame.map(lambda v: f"{v:.{digits}f}" if isinstance(v, float) else str(v))
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + " --- |" * len(frame.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells.astype(str).to_numpy()]
    return "\n".join(lines)


def render(results: Path) -> str:
    """The Markdown ``make surrogate-fidelity`` prints."""
    table = shipped_table()
    design = table.meta["design"]
    parts = [
        f"Table: {design['configs']} scrambled Sobol configurations x {len(table.meta['seeds'])} "
        f"seeds x {EPOCHS.high} epochs for each of {len(table.meta['objectives'])} objectives "
        f"({len(table.rows)} rows, {table.meta['worker_seconds'] / 60:.0f} worker-minutes of "
        "training and evaluation).",
        "",
        "Held out (every fifth design point; the surrogate is fitted on the rest). "
        "rho@r: Spearman correlation of the surrogate's mean with the recorded mean "
        "validation error after r epochs. 1v27 and 3v27: Spearman correlation between "
        "epoch 1 (or 3) and epoch 27 of single trainings (seed 0), recorded and surrogate. "
        "sd: seed-to-seed standard deviation of the validation error at 27 epochs, pooled "
        f"over the held-out configurations (recorded: {len(table.meta['seeds'])} seeds; "
        f"surrogate: its {NOISE_DRAWS} distinct noise draws, seeds 0..{NOISE_DRAWS - 1}, as "
        "evaluate answers them); an unbiased estimate for either number of seeds.",
        "",
        _markdown(fidelity := fidelity_table()),
        "",
        *goals(fidelity),
    ]
    for source in SOURCES:
        models = model_comparison(source)
        best = models.set_index("model").mean(axis=1).idxmax()
        parts += ["", f"Choice of model, {source} on digits (five-fold cross-validation, "
                  f"rho@r as above; best mean rho: {best}):", "", _markdown(models)]  # fmt: skip
    ranks, tau, p, seeds = rankings(results)
    parts += [
        "",
        f"Searchers ranked on real training and on the surrogate (surrogate-check suite: "
        f"{seeds} seeds, the same for both; mean rank of the final best validation error, "
        f"1 = best): Kendall's tau = {tau:.2f} (p = {p:.2g}).",
        "",
        _markdown(ranks.reset_index(names="searcher"), 2),
    ]
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print (and with ``--out`` write) the fidelity figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--out", type=Path, help="also write the Markdown here")
    args = parser.parse_args(argv)
    text = render(args.results)
    sys.stdout.write(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
