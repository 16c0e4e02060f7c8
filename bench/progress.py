"""Progress of a suite: a bar on a terminal, plain log lines elsewhere (CI)."""

from __future__ import annotations

import logging
import sys
import time

from tqdm import tqdm

log = logging.getLogger("bench")


class Progress:
    """Runs (or other ``unit``s of work) done out of ``total``, failures and ETA."""

    def __init__(self, total: int, *, interactive: bool | None = None, unit: str = "run"):
        self.total = total
        self.unit = unit
        self.done = 0
        self.failed_trials = 0
        self.errored = 0
        self.started = time.monotonic()
        interactive = sys.stderr.isatty() if interactive is None else interactive
        self._bar = tqdm(total=total, unit=unit, dynamic_ncols=True) if interactive else None
        self._every = max(1, total // 10)

    def update(self, failed_trials: int = 0, errored: bool = False) -> None:
        self.done += 1
        self.failed_trials += failed_trials
        self.errored += int(errored)
        if self._bar is not None:
            self._bar.set_postfix(
                failed_trials=self.failed_trials, errored=self.errored, refresh=False
            )
            self._bar.update(1)
        elif self.done % self._every == 0 or self.done == self.total:
            elapsed = time.monotonic() - self.started
            eta = elapsed / self.done * (self.total - self.done)
            failures = (
                f" ({self.failed_trials} failed trials, {self.errored} errored runs)"
                if self.unit == "run"
                else ""
            )
            log.info(
                "%d/%d %ss%s, %.0fs elapsed, ETA %.0fs",
                self.done, self.total, self.unit, failures, elapsed, eta,
            )  # fmt: skip

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
