"""Progress of a suite: a bar on a terminal, plain log lines elsewhere (CI),
and an ETA estimated from finished runs like the ones left."""

from __future__ import annotations

import logging
import math
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from tqdm import tqdm

log = logging.getLogger("bench")

#: The bar without tqdm's own remaining-time guess (a mean rate over runs that
#: differ by orders of magnitude); the ETA is in the postfix instead.
BAR_FORMAT = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]"


@dataclass(frozen=True)
class Estimate:
    """Seconds left for the units whose kind has finished units (``seconds``,
    with ``parallel`` of them at a time), and how many units left are of a kind
    none of which has finished yet (``untimed``, in ``untimed_kinds`` kinds)."""

    seconds: float
    untimed: int
    untimed_kinds: int

    def __str__(self) -> str:
        if not self.untimed:
            return f"ETA {_duration(self.seconds)}"
        kinds = f"{self.untimed_kinds} kind{'s' if self.untimed_kinds != 1 else ''}"
        known = f"; the others {_duration(self.seconds)}" if self.seconds else ""
        return f"ETA not known yet: {self.untimed} left of {kinds} with no finished run{known}"


def estimate(
    finished: dict[Hashable, list[float]], left: Counter[Hashable], parallel: int = 1
) -> Estimate:
    """The time left: each unit left takes the median seconds of the finished
    units of its kind (a run's strategy, objective, budget and workers), and
    ``parallel`` units run at a time. Kinds with no finished unit are counted,
    never guessed."""
    seconds, untimed, kinds = 0.0, 0, 0
    for kind, count in left.items():
        if count <= 0:
            continue
        if finished.get(kind):
            seconds += statistics.median(finished[kind]) * count
        else:
            untimed, kinds = untimed + count, kinds + 1
    return Estimate(seconds / max(1, parallel), untimed, kinds)


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "unknown"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Progress:
    """Runs (or other ``unit``s of work) done out of ``total``, failures and an
    ETA. ``kinds`` (one per planned unit, e.g. a run's strategy, objective,
    budget and workers) lets the ETA take each unit left from finished units of
    its own kind; without it every unit is of one kind. ``parallel``: units
    that run at a time."""

    def __init__(
        self,
        total: int,
        *,
        interactive: bool | None = None,
        unit: str = "run",
        kinds: Sequence[Hashable] | None = None,
        parallel: int = 1,
    ):
        self.total = total
        self.unit = unit
        self.done = 0
        self.failed_trials = 0
        self.errored = 0
        self.started = time.monotonic()
        self.parallel = parallel
        self.left: Counter[Hashable] = Counter(kinds if kinds is not None else [None] * total)
        self.finished: dict[Hashable, list[float]] = defaultdict(list)
        self._last = self.started
        interactive = sys.stderr.isatty() if interactive is None else interactive
        self._bar = (
            tqdm(total=total, unit=unit, dynamic_ncols=True, bar_format=BAR_FORMAT)
            if interactive
            else None
        )
        self._every = max(1, total // 10)

    def update(
        self,
        failed_trials: int = 0,
        errored: bool = False,
        *,
        kind: Hashable = None,
        seconds: float | None = None,
    ) -> None:
        """One more unit done, of ``kind``; ``seconds`` it took (default: since the
        last update; NaN: not a timing to estimate from, e.g. a run that failed)."""
        now = time.monotonic()
        self.done += 1
        self.failed_trials += failed_trials
        self.errored += int(errored)
        self.left[kind] -= 1
        seconds = now - self._last if seconds is None else seconds
        if math.isfinite(seconds):
            self.finished[kind].append(seconds)
        self._last = now
        if self._bar is not None:
            eta = estimate(self.finished, self.left, self.parallel)
            self._bar.set_postfix_str(
                f"{self.failed_trials} failed trials, {self.errored} errored, {eta}", refresh=False
            )
            self._bar.update(1)
        elif self.done % self._every == 0 or self.done == self.total:
            eta = estimate(self.finished, self.left, self.parallel)
            failures = (
                f" ({self.failed_trials} failed trials, {self.errored} errored runs)"
                if self.unit == "run"
                else ""
            )
            log.info(
                "%d/%d %ss%s, %.0fs elapsed, %s",
                self.done, self.total, self.unit, failures, now - self.started, eta,
            )  # fmt: skip

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
