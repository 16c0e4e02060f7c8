"""The budget: full-evaluation equivalents, spent by the loop."""

from __future__ import annotations

import math

#: Slack for float sums of fractional costs (27 evaluations at 1/27 make 1).
TOLERANCE = 1e-9


class Budget:
    """``evaluations`` full-evaluation equivalents.

    A full-fidelity evaluation costs 1.0, one at fidelity ``r`` costs
    ``r / fidelity.high``. Only the loop calls ``spend``; a strategy may read
    ``remaining`` (the loop, not the strategy, ends a run when it is spent).
    """

    __slots__ = ("_compensation", "_spent", "_sum", "evaluations")

    def __init__(self, evaluations: float):
        if isinstance(evaluations, bool) or not isinstance(evaluations, (int, float)):
            raise ValueError(f"Budget: evaluations must be a number, got {evaluations!r}")
        if not math.isfinite(evaluations) or evaluations <= 0:
            raise ValueError(f"Budget: evaluations must be a positive number, got {evaluations!r}")
        self.evaluations = float(evaluations)
        self._sum = 0.0
        self._compensation = 0.0
        self._spent = 0.0

    def __repr__(self) -> str:
        return f"Budget(evaluations={self.evaluations:g}, spent={self.spent:g})"

    def fresh(self) -> Budget:
        """An unspent budget of the same size."""
        return Budget(self.evaluations)

    @property
    def spent(self) -> float:
        return self._spent

    @property
    def remaining(self) -> float:
        return max(self.evaluations - self.spent, 0.0)

    @property
    def exhausted(self) -> bool:
        return self.exhausted_with(0.0)

    def exhausted_with(self, pending: float) -> bool:
        """Whether nothing is left once evaluations still running, planned to
        cost ``pending`` in all, are charged."""
        return self._spent + pending >= self.evaluations - TOLERANCE

    def affords(self, cost: float, pending: float = 0.0) -> bool:
        """Whether an evaluation costing ``cost`` fits in what is left once
        evaluations still running (``pending`` in all) are charged."""
        return cost + pending <= self.evaluations - self._spent + TOLERANCE

    def spend(self, cost: float) -> float:
        """Charge ``cost`` and return the cumulative amount spent.

        Neumaier-compensated, so 27 charges of 1/27 sum to 1 without drift (the
        sum and every cost are >= 0: the larger in magnitude is the larger)."""
        if not cost >= 0:
            raise ValueError(f"Budget.spend: cost must be >= 0, got {cost!r}")
        total = self._sum + cost
        if self._sum >= cost:
            self._compensation += (self._sum - total) + cost
        else:
            self._compensation += (cost - total) + self._sum
        self._sum = total
        self._spent = total + self._compensation
        return self._spent
