"""The runs a results folder holds as they were recorded, for ``bench compare``.

The report keeps only the runs today's code would produce (``bench.report.stored``);
a comparison of two versions of a library, or of two commits, must read each
folder as its own version wrote it. So every intact run file (checksum
verified) that did not error is a candidate, judged on its own spec, never
against today's code. Where one run (objective, strategy, seed) has several
stored specs, the one the suite's definition plans (its budget and timeout)
is preferred, then the one of the latest ``run`` command that planned it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from bench import manifest as manifest_file
from bench.spec import run_label
from bench.store import CorruptRun, Store, read_run

RunKey = tuple[str, str, int]
"""(objective, strategy as reports name it, seed)."""

#: The trial columns a comparison reads.
COLUMNS = (
    "objective",
    "seed",
    "trial",
    "fidelity",
    "cost",
    "cum_cost",
    "value",
    "status",
    "best",
    "incumbent_test",
)


class RecordedError(ValueError):
    """A results folder that cannot be read as recorded runs."""


@dataclass(frozen=True)
class Recorded:
    """The runs of one results folder: their trial rows (``strategy`` holds the
    run label, "tpe ×4" for 4 workers), the stored spec of each run (JSON form),
    the runs left out with the reason (errored), and notes in words (damaged
    files, runs with several stored specs)."""

    folder: Path
    runs: pd.DataFrame
    specs: Mapping[RunKey, dict[str, Any]]
    left_out: Mapping[RunKey, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def strategies(self) -> list[str]:
        return sorted({strategy for _, strategy, _ in self.specs})

    def only(self, strategy: str, seeds: Iterable[int] | None = None) -> Recorded:
        """The runs of ``strategy`` (and of ``seeds``, if given) alone."""
        wanted = None if seeds is None else set(seeds)

        def keep(key: RunKey) -> bool:
            return key[1] == strategy and (wanted is None or key[2] in wanted)

        mask = self.runs["strategy"] == strategy
        if wanted is not None:
            mask &= self.runs["seed"].isin(wanted)
        return replace(
            self,
            runs=self.runs[mask].reset_index(drop=True),
            specs={k: v for k, v in self.specs.items() if keep(k)},
            left_out={k: v for k, v in self.left_out.items() if keep(k)},
        )


@dataclass(frozen=True)
class _Candidate:
    path: Path
    table: pa.Table
    spec: dict[str, Any]
    spec_hash: str


def read(folder: str | Path) -> Recorded:
    """The recorded runs of the results folder ``folder``; ``RecordedError`` if
    it is missing or holds no run file."""
    folder = Path(folder)
    store = Store(folder)
    if not folder.is_dir():
        raise RecordedError(f"no results folder {folder}")
    if not any(True for _ in store.files()):
        raise RecordedError(
            f"{folder} holds no stored runs (nothing under {store.runs}); "
            "`python -m bench run SUITE` stores them"
        )
    manifest = manifest_file.read(folder) or {}
    candidates: dict[RunKey, list[_Candidate]] = {}
    left_out: dict[RunKey, str] = {}
    notes: list[str] = []
    for path in store.files():
        try:
            table, meta = read_run(path)
        except CorruptRun as exc:
            notes.append(f"damaged, not used: {path.relative_to(folder)} ({exc.reason})")
            continue
        key = _run_key(meta["spec"])
        if meta.get("error"):
            left_out[key] = "errored: " + _last_line(meta["error"])
            continue
        candidates.setdefault(key, []).append(
            _Candidate(path, table, meta["spec"], str(meta.get("spec_hash")))
        )
    chosen = {key: _latest(found, manifest) for key, found in candidates.items()}
    several = sum(len(found) > 1 for found in candidates.values())
    if several:
        notes.append(
            f"{several} run(s) of {folder} have several stored specs (another budget, "
            "older code); the suite's and latest one of each is used"
        )
    left_out = {k: v for k, v in left_out.items() if k not in chosen}
    specs = {key: c.spec for key, c in sorted(chosen.items())}
    return Recorded(folder, _frame(chosen), specs, left_out, tuple(notes))


def _latest(found: list[_Candidate], manifest: Mapping[str, Any]) -> _Candidate:
    """The candidate the suite's definition plans, from the latest run command."""
    planned = [
        c
        for c in found
        if c.spec.get("budget") == manifest.get("budget")
        and c.spec.get("timeout") == manifest.get("timeout")
    ]
    order = _history_order(manifest)
    return max(
        planned or found,
        key=lambda c: (order.get(c.spec_hash, -1), c.path.stat().st_mtime_ns),
    )


def _history_order(manifest: Mapping[str, Any]) -> dict[str, int]:
    """Spec hash -> index of the latest ``run`` command (manifest history) that planned it."""
    order: dict[str, int] = {}
    for index, entry in enumerate(manifest.get("history", [])):
        for spec_hash in entry.get("spec_hashes", []):
            order[spec_hash] = index
    return order


def _frame(chosen: Mapping[RunKey, _Candidate]) -> pd.DataFrame:
    """The chosen runs' trial rows, ``strategy`` holding each run's label."""
    if not chosen:
        return pd.DataFrame(columns=[*COLUMNS, "strategy"])
    ordered = sorted(chosen.items())
    tables = [
        c.table.select([name for name in COLUMNS if name in c.table.column_names])
        for _, c in ordered
    ]
    frame = pa.concat_tables(tables, promote_options="default").to_pandas()
    frame["strategy"] = np.repeat(
        [label for (_, label, _), _ in ordered], [t.num_rows for t in tables]
    )
    if "incumbent_test" not in frame:
        frame["incumbent_test"] = np.nan
    return frame


def _run_key(spec: Mapping[str, Any]) -> RunKey:
    return spec["objective"], run_label(spec["strategy"], spec.get("workers", 1)), spec["seed"]


def _last_line(text: str) -> str:
    lines = [line for line in str(text).strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
