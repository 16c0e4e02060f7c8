"""Recording learning curves: ``python -m bench tabulate``.

Every objective named is trained once per (design point, seed) for its full
fidelity by its ``curve(config, *, seed)`` method, which returns one dict per
epoch (``bench.curves.COLUMNS`` without ``objective``/``config_id``/``seed``).
The design is scrambled Sobol points of the unit cube mapped through the
space's scales (``Space.from_unit``).

The job is cut into blocks (one objective, one seed, ``BLOCK`` consecutive
design points), computed on the suites' executors (``bench.execute``: a
local process pool or a Dask cluster). The driver writes each finished block
atomically under ``<work>/blocks/``, in a file named by the hash of the code
that computed it, so a killed job loses only the blocks in flight and a rerun
computes only the missing ones; blocks computed by other code are never read.
When every block is stored, the table is written atomically to ``out``. One
driver at a time: a second one on the same work folder is refused.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from threadpoolctl import threadpool_limits

from bench.curves import curve_code, read_table, unit_points, write_table
from bench.environment import environment
from bench.execute import ExecutorName, backend_for
from bench.progress import Progress
from bench.registry import default_registry

#: Design points per block (a task of the executor).
BLOCK = 16
#: The seed of the scrambled Sobol design.
DESIGN_SEED = 20261202

log = logging.getLogger(__name__)


class TabulateError(RuntimeError):
    """The job cannot start or finish (an objective without curves, a busy folder)."""


@dataclass(frozen=True)
class Block:
    """One task: ``objective``'s curves at design points ``start..stop-1`` for ``seed``."""

    objective: str
    seed: int
    start: int
    stop: int
    configs: int
    code_hash: str

    @property
    def label(self) -> str:
        """The block in words, for progress and errors."""
        return f"{self.objective} seed {self.seed} configs {self.start}..{self.stop - 1}"

    def path(self, work: Path) -> Path:
        """Where the finished block is kept under ``work``."""
        name = f"seed={self.seed}-configs={self.start:05d}-{self.stop - 1:05d}-{self.code_hash}"
        return work / "blocks" / self.objective / f"{name}.parquet"


def code_of(objectives: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The code each objective's curves depend on (``bench.curves.curve_code``).
    Raises ``TabulateError`` for an empty or repeated list, or an objective
    that cannot record curves."""
    if not objectives:
        raise TabulateError("--objectives: no objective named")
    repeated = sorted({name for name in objectives if list(objectives).count(name) > 1})
    if repeated:
        raise TabulateError(f"--objectives: {', '.join(repeated)} named twice")
    registry = default_registry()
    codes = {}
    for name in objectives:
        objective = registry.objective(name)[1]
        if not callable(getattr(objective, "curve", None)):
            raise TabulateError(
                f"objective {name!r} has no curve(config, *, seed) method: "
                "only objectives that train epoch by epoch can be tabulated"
            )
        codes[name] = curve_code(type(objective))
    return codes


def _code_hash(code: dict[str, Any], configs: int) -> str:
    text = json.dumps(code, sort_keys=True)
    return hashlib.sha256(f"{text}{configs}{DESIGN_SEED}".encode()).hexdigest()[:16]


def plan(
    codes: dict[str, dict[str, Any]], configs: int, seeds: int, block: int = BLOCK
) -> list[Block]:
    """Every block of the job (``block`` design points each) for the objectives of
    ``codes`` (``code_of``), objectives first, then seeds, then design order; each
    block named by the hash of its objective's code."""
    if configs < 1 or configs & (configs - 1):
        raise TabulateError(
            f"--configs {configs}: a power of two is needed (a scrambled Sobol design "
            "keeps its balance only at powers of two), e.g. 256, 512 or 1024"
        )
    if seeds < 1:
        raise TabulateError(f"--seeds must be >= 1, got {seeds}")
    blocks = []
    for name, code in codes.items():
        code_hash = _code_hash(code, configs)
        for seed in range(seeds):
            for start in range(0, configs, block):
                stop = min(configs, start + block)
                blocks.append(Block(name, seed, start, stop, configs, code_hash))
    return blocks


def compute_block(block: Block) -> tuple[pd.DataFrame, float]:
    """The curves of ``block`` (one BLAS thread), one row per configuration and
    epoch, and the seconds it took. Raises ``TabulateError`` if this process's
    code is not the code the block was planned with (an edit since, a Dask
    worker with another checkout)."""
    started = time.perf_counter()
    objective = default_registry().objective(block.objective)[1]
    if _code_hash(curve_code(type(objective)), block.configs) != block.code_hash:
        raise TabulateError(
            f"{block.label}: this worker's code differs from the code the job was planned "
            "with (edited since?); rerun tabulate, with the same code on every worker"
        )
    points = unit_points(len(objective.space), block.configs, DESIGN_SEED)
    frames = []
    with threadpool_limits(1):
        for index in range(block.start, block.stop):
            config = objective.space.from_unit(points[index])
            curve = pd.DataFrame(objective.curve(config, seed=block.seed))
            curve.insert(0, "objective", block.objective)
            curve.insert(1, "config_id", index)
            curve.insert(2, "seed", block.seed)
            for name, value in config.items():
                curve[f"param_{name}"] = float(value)
            frames.append(curve)
    rows = pd.concat(frames, ignore_index=True)
    rows["diverged"] = rows["diverged"].astype("string")
    return rows, time.perf_counter() - started


@dataclass(frozen=True)
class Tabulated:
    """What ``tabulate`` did: blocks found stored and computed, the table written."""

    blocks: int
    stored: int
    computed: int
    out: Path
    seconds: float


def tabulate(
    objectives: Sequence[str],
    out: str | Path,
    *,
    work: str | Path,
    configs: int = 512,
    seeds: int = 3,
    block: int = BLOCK,
    jobs: int = 1,
    executor: ExecutorName = "local",
    address: str | None = None,
    interactive: bool | None = None,
) -> Tabulated:
    """Compute every block of the job not stored under ``work``, then write the
    table to ``out``. Ctrl-C (or a kill) loses only the blocks in flight."""
    work = Path(work)
    started = time.monotonic()
    codes = code_of(objectives)
    blocks = plan(codes, configs, seeds, block)
    with _only_driver(work):
        todo = [block for block in blocks if not block.path(work).is_file()]
        log.info(
            "%d blocks of curves under %s: %d stored, %d to compute",
            len(blocks), work, len(blocks) - len(todo), len(todo),
        )  # fmt: skip
        _compute(
            todo,
            work,
            jobs,
            executor,
            address,
            Progress(len(todo), interactive=interactive, unit="block"),
        )
        parts = [read_table(block.path(work)) for block in blocks]
    rows = pd.concat([part.rows for part in parts], ignore_index=True)
    rows = rows.sort_values(["objective", "config_id", "seed", "epoch"], kind="stable")
    meta = {
        "design": {"kind": "scrambled Sobol", "seed": DESIGN_SEED, "configs": configs},
        "seeds": list(range(seeds)),
        "objectives": {name: _describe(name) for name in objectives},
        "code": codes,  # as planned: every block's worker checked it computed with it
        "worker_seconds": sum(part.meta["seconds"] for part in parts),
        "environment": environment(),
    }
    written = write_table(rows, meta, out)
    return Tabulated(
        len(blocks), len(blocks) - len(todo), len(todo), written, time.monotonic() - started
    )


def _describe(name: str) -> dict[str, Any]:
    return {"space": default_registry().objective(name)[1].space.describe()}


def _compute(
    todo: Sequence[Block],
    work: Path,
    jobs: int,
    executor: ExecutorName,
    address: str | None,
    progress: Progress,
) -> None:
    """Compute ``todo`` on the executor, writing each block as it finishes; at most
    two blocks per worker in flight."""
    if not todo:
        progress.close()
        return
    backend = backend_for(executor, min(jobs, len(todo)), address)
    queue = list(reversed(todo))
    in_flight: dict[Any, Block] = {}
    try:
        while queue or in_flight:
            while queue and len(in_flight) < 2 * backend.workers:
                block = queue.pop()
                in_flight[backend.submit(compute_block, (block,), block.label)] = block
            for future in backend.wait(list(in_flight)):
                block = in_flight.pop(future)
                try:
                    rows, seconds = future.result()
                except Exception as exc:
                    raise TabulateError(
                        f"block {block.label} failed: {exc}\nthe blocks finished are kept "
                        f"under {work}; rerun to compute the rest"
                    ) from exc
                write_table(rows, {"block": asdict(block), "seconds": seconds}, block.path(work))
                progress.update()
    except BaseException:
        backend.abort(list(in_flight))
        raise
    finally:
        progress.close()
    backend.close()


@contextmanager
def _only_driver(work: Path) -> Iterator[None]:
    """Hold ``work``'s lock for the job; refuse if another driver holds it."""
    work.mkdir(parents=True, exist_ok=True)
    lock = work / ".lock"
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise TabulateError(
                f"{work}: another tabulate ({holder}) is writing there; wait for it to "
                "finish, or give this one another --work folder"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
