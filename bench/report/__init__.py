"""The report: figures and tables from stored runs only (never reruns)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from bench.report.figures import best_vs_budget, palette
from bench.report.metrics import add_regret, final_table, incumbent_curves
from bench.store import Store, path_segment, read_metadata

log = logging.getLogger("bench")


def load(root: str | Path) -> tuple[pd.DataFrame, dict[str, float | None]]:
    """Stored trial rows of a suite folder and each objective's optimum.

    Where the suite has a manifest, only runs of its last definition (the
    strategies, objectives, seeds and budget of the last ``run``) are kept, so
    runs left over from an earlier definition never mix into the medians.
    """
    store = Store(root)
    manifest = store.read_manifest()
    keep, optima, left_out = [], {}, 0
    for path in store.files():
        spec = read_metadata(path)
        if manifest is None or _in_definition(spec["spec"], manifest):
            keep.append(path)
            optima[spec["spec"]["objective"]] = spec.get("optimum")
        else:
            left_out += 1
    if left_out:
        log.info(
            "left out %d stored runs outside the suite's last definition (see manifest.json)",
            left_out,
        )
    if not keep:
        raise FileNotFoundError(f"no stored runs of the suite's last definition under {store.runs}")
    runs = store.read_runs(keep)
    return runs, optima


def _in_definition(spec: dict, manifest: dict) -> bool:
    return (
        spec["strategy"] in manifest["strategies"]
        and spec["objective"] in manifest["objectives"]
        and spec["seed"] in manifest["seeds"]
        and spec["budget"] == manifest["budget"]
    )


def write_report(root: str | Path) -> list[Path]:
    """Write ``report/figures/<objective>.png|svg``, ``report/summary.csv`` and
    ``report/report.md`` under ``root``; return the files written."""
    root = Path(root)
    out = root / "report"
    runs, optima = load(root)
    curves = add_regret(incumbent_curves(runs), runs, optima)
    colours = palette(curves["strategy"].unique())
    written: list[Path] = []
    figures: dict[str, Path] = {}
    for objective in sorted(curves["objective"].unique()):
        files = best_vs_budget(
            curves, objective, colours, out / "figures" / path_segment(objective)
        )
        written += files
        figures[objective] = files[0]
    table = final_table(curves)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "summary.csv", index=False, float_format="%.6g")
    written.append(out / "summary.csv")
    written.append(_markdown(root, table, figures, out / "report.md"))
    return written


def _markdown(root: Path, table: pd.DataFrame, figures: dict[str, Path], path: Path) -> Path:
    lines = [f"# tunebench report: {root.name}", ""]
    for objective, group in table.groupby("objective", sort=True):
        lines += [
            f"## {objective}",
            "",
            f"![{objective}]({figures[objective].relative_to(path.parent)})",
            "",
        ]
        kind = group["regret_kind"].iloc[0]
        lines += [
            f"| strategy | seeds | median {kind} [q25, q75] | mean rank |",
            "| --- | ---: | ---: | ---: |",
        ]
        for row in group.sort_values("mean_rank").itertuples():
            lines.append(
                f"| {row.strategy} | {row.seeds} | {row.median_regret:.3g} "
                f"[{row.q25_regret:.3g}, {row.q75_regret:.3g}] | {row.mean_rank:.2f} |"
            )
        lines.append("")
    path.write_text("\n".join(lines))
    return path
