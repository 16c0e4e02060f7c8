"""What a report is made from: the stored runs a suite folder holds, checked
and filtered, with each objective's optimum and the manifest."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from bench.store import Store, runs_frame

log = logging.getLogger("bench")


@dataclass(frozen=True)
class LeftOut:
    """A stored run file the report does not use, and why (in words a reader
    can act on: "errored: ...", "stale: module bench/space.py changed", ...)."""

    key: str
    reason: str
    path: str = ""


@dataclass(frozen=True)
class Stored:
    """What a report is made from: the trial rows of the runs compatible with
    the suite's current definition (possibly none: zero rows), each objective's
    optimum, the manifest (``{}`` if there is none), the keys of errored runs and
    every stored run left out with its reason (errored ones included)."""

    runs: pd.DataFrame
    optima: dict[str, float | None]
    manifest: dict[str, Any]
    errored: tuple[str, ...] = ()
    left_out: tuple[LeftOut, ...] = ()

    @property
    def samples(self) -> dict[str, list[float]]:
        """Each objective's values at its five seeded signature configurations."""
        return {
            name: entry["signature"]
            for name, entry in self.manifest.get("signatures", {}).items()
            if entry.get("signature")
        }


def load(root: str | Path) -> Stored:
    """Stored trial rows of a suite folder, each objective's optimum and the manifest.

    Errored runs (stored with the traceback of a strategy that raised) are left
    out and named in ``errored``. Where the suite has a manifest, only runs of
    its last plan are kept (their spec hashes are in the manifest), so runs left
    over from an earlier definition or from edited code never mix into the
    medians.
    """
    store = Store(root)
    manifest = store.read_manifest()
    keep, optima, left_out, errored = [], {}, 0, []
    for table, meta in store.read():
        spec = meta["spec"]
        if meta.get("error"):
            errored.append(f"{spec['objective']} / {spec['strategy']} / seed={spec['seed']}")
        elif manifest is None or _in_definition(meta, manifest):
            keep.append(table)
            optima[meta["spec"]["objective"]] = meta.get("optimum")
        else:
            left_out += 1
    if left_out:
        log.info(
            "left out %d stored runs outside the suite's last definition (see manifest.json)",
            left_out,
        )
    if not keep:
        raise FileNotFoundError(f"no stored runs of the suite's last definition under {store.runs}")
    if errored:
        log.warning(
            "left out %d errored runs (their strategy raised; see each file's metadata): %s",
            len(errored),
            ", ".join(errored),
        )
    return Stored(runs_frame(keep, store.runs), optima, manifest or {}, tuple(errored))


def _in_definition(meta: dict, manifest: dict) -> bool:
    """Whether a run file belongs to the suite's last plan: its spec hash is one
    the last ``run`` planned (same code, options, space, seed, budget, timeout);
    manifests written before hashes were recorded fall back to names, seeds
    and budget."""
    if "spec_hashes" in manifest:
        return meta["spec_hash"] in manifest["spec_hashes"]
    spec = meta["spec"]
    return (
        spec["strategy"] in manifest["strategies"]
        and spec["objective"] in manifest["objectives"]
        and spec["seed"] in manifest["seeds"]
        and spec["budget"] == manifest["budget"]
    )
