"""Hyperband (Li et al. 2018) and BOHB (Falkner, Klein & Hutter 2018).

Both run the same schedule of successive-halving brackets over the
objective's fidelity; they differ only in where a bracket's new
configurations come from: uniform sampling for Hyperband, a TPE model of
past results (optuna's ``TPESampler``) for BOHB.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import optuna
from optuna.distributions import BaseDistribution

from bench import Budget, Fidelity, Space, Strategy, Suggestion
from bench.space import Config
from strategies._options import number
from strategies._optuna_space import distributions, to_config, to_params

#: Slack for float error in the schedule's logarithms, ceilings and floors.
_EPS = 1e-9


def hyperband_schedule(
    fidelity: Fidelity, eta: float | None = None
) -> list[list[tuple[int, float]]]:
    """Hyperband's brackets s = s_max..0, each as the (n_i, r_i) of its rungs.

    s_max = floor(log_eta(high / low)); bracket s starts
    n = ceil((s_max + 1) / (s + 1) * eta^s) configurations at r = high * eta^-s,
    and rung i evaluates n_i = max(1, floor(n * eta^-i)) of them at r * eta^i,
    up to ``high``. ``eta`` defaults to the fidelity's. Each r_i is clipped into
    [low, high], and is an int when ``low`` and ``high`` are ints and r_i is
    within 1e-9 of an integer: it is the value a suggestion carries.
    """
    eta = fidelity.eta if eta is None else eta
    if isinstance(eta, bool) or not isinstance(eta, (int, float)) or not eta > 1:
        raise ValueError(f"hyperband: eta must be a number > 1, got {eta!r}")
    s_max = math.floor(math.log(fidelity.high / fidelity.low) / math.log(eta) + _EPS)
    schedule = []
    for s in range(s_max, -1, -1):
        n = math.ceil((s_max + 1) / (s + 1) * eta**s - _EPS)
        schedule.append(
            [
                (
                    max(1, math.floor(n / eta**i + _EPS)),
                    _level(fidelity, fidelity.high / eta ** (s - i)),
                )
                for i in range(s + 1)
            ]
        )
    return schedule


def _level(fidelity: Fidelity, r: float) -> float:
    r = min(max(r, fidelity.low), fidelity.high)
    integral = all(
        isinstance(bound, int) and not isinstance(bound, bool)
        for bound in (fidelity.low, fidelity.high)
    )
    if integral and abs(r - round(r)) <= _EPS:
        return round(r)
    return r


class _Bracket:
    """One successive-halving run over ``rungs``, its (n_i, r_i) schedule.

    A rung is promoted once every one of its evaluations has been told: the
    best n_{i+1} by value go on; failed evaluations (None) never do.
    """

    def __init__(self, s: int, rungs: list[tuple[int, float]]):
        self.s = s
        self.rungs = rungs
        self.rung = 0
        self.size = rungs[0][0]
        self.configs: list[Config] = []
        self.values: dict[int, float | None] = {}
        self.asked = 0

    def __repr__(self) -> str:
        return f"_Bracket(s={self.s}, rung={self.rung})"

    @property
    def level(self) -> float:
        return self.rungs[self.rung][1]

    @property
    def done(self) -> bool:
        return self.rung == len(self.rungs)

    def has_slot(self) -> bool:
        return not self.done and self.asked < self.size

    def take(self, draw: Callable[[], Config]) -> RungSlot:
        """The next slot of the current rung; the first rung's configurations
        are drawn lazily, when asked for."""
        if self.asked == len(self.configs):
            self.configs.append(draw())
        self.asked += 1
        return RungSlot(self, self.rung, self.asked - 1)

    def record(self, slot: RungSlot, value: float | None) -> None:
        if slot.rung != self.rung or slot.index >= self.asked or slot.index in self.values:
            raise ValueError(f"{slot!r} was told twice or out of turn")
        self.values[slot.index] = value
        if len(self.values) == self.size:
            self._promote()

    def _promote(self) -> None:
        self.rung += 1
        if self.done:
            return
        ok = [i for i in range(self.size) if self.values[i] is not None]
        ranked = sorted(ok, key=self.values.__getitem__)[: self.rungs[self.rung][0]]
        self.configs = [self.configs[i] for i in ranked]
        self.values, self.asked, self.size = {}, 0, len(self.configs)
        if not self.configs:
            self.rung = len(self.rungs)


@dataclass(frozen=True)
class RungSlot:
    """A suggestion's token: its position in a bracket's rung."""

    bracket: _Bracket = field(compare=False)
    rung: int
    index: int


class Hyperband(Strategy):
    """Hyperband: successive halving over brackets of random configurations (Li et al. 2018).

    Runs the brackets of ``hyperband_schedule`` one after the other (s_max..0,
    then again) until the loop stops it; each suggestion carries its rung's
    fidelity, and its cost is fidelity / high. Synchronous: a rung is
    promoted only when all its evaluations have been told. An ``ask`` that
    the running brackets cannot serve (evaluations still out) opens the next
    bracket. Options: ``eta``, the halving rate (default: the fidelity's).
    """

    name = "hyperband"
    needs_fidelity = True

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        eta: float | None = None,
    ):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        assert fidelity is not None
        self.schedule = hyperband_schedule(fidelity, eta)
        self._rng = np.random.default_rng(seed)
        self._running: list[_Bracket] = []
        self._opened = 0

    def new_config(self) -> Config:
        """A configuration for a bracket's first rung: uniform on the space's scales."""
        return self.space.sample(self._rng)

    def observe(self, suggestion: Suggestion, value: float) -> None:
        """A successful evaluation (a hook for model-based subclasses)."""

    def ask(self) -> Suggestion:
        bracket = next((b for b in self._running if b.has_slot()), None)
        if bracket is None:
            rungs = self.schedule[self._opened % len(self.schedule)]
            bracket = _Bracket(len(rungs) - 1, rungs)
            self._running.append(bracket)
            self._opened += 1
        slot = bracket.take(self.new_config)
        return self.suggest(dict(bracket.configs[slot.index]), bracket.level, slot)

    def tell(self, suggestion: Suggestion, value: float | None) -> None:
        if value is not None and math.isfinite(value):
            self.observe(suggestion, value)
        else:
            value = None
        bracket = suggestion.token.bracket
        bracket.record(suggestion.token, value)
        if bracket.done:
            self._running.remove(bracket)


class BOHB(Hyperband):
    """BOHB: Hyperband whose new configurations come from a TPE model (Falkner et al. 2018).

    Every successful evaluation is added to an in-memory optuna study of its
    fidelity level. A new configuration is drawn by optuna's ``TPESampler``
    from the study of the largest level with at least ``min_points_in_model``
    observations (default: dimensions + 1); with probability
    ``random_fraction`` (default 1/3), or while no level has enough, it is
    sampled uniformly as Hyperband does. Options: ``eta``,
    ``min_points_in_model``, ``random_fraction``.
    """

    name = "bohb"

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        eta: float | None = None,
        min_points_in_model: int | None = None,
        random_fraction: float = 1 / 3,
    ):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity, eta=eta)
        if min_points_in_model is None:
            min_points_in_model = len(space) + 1
        if isinstance(min_points_in_model, bool) or not isinstance(min_points_in_model, int):
            raise ValueError(
                f"bohb: min_points_in_model must be an integer, got {min_points_in_model!r}"
            )
        if min_points_in_model < 1:
            raise ValueError(f"bohb: min_points_in_model must be >= 1, got {min_points_in_model}")
        number("bohb", "random_fraction", random_fraction, 0.0, 1.0, closed=(True, True))
        self.min_points_in_model = min_points_in_model
        self.random_fraction = random_fraction
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        levels = sorted({r for rungs in self.schedule for _, r in rungs}, reverse=True)
        coin, *seeds = np.random.SeedSequence(seed).spawn(len(levels) + 1)
        self._coin = np.random.default_rng(coin)
        optuna_space = distributions(space)
        self._models = {
            level: _TPEModel(space, optuna_space, f"bohb-{level}", int(s.generate_state(1)[0]))
            for level, s in zip(levels, seeds)
        }

    def new_config(self) -> Config:
        model = next((m for m in self._models.values() if m.size >= self.min_points_in_model), None)
        if model is None or self._coin.random() < self.random_fraction:
            return super().new_config()
        return model.draw()

    def observe(self, suggestion: Suggestion, value: float) -> None:
        self._models[suggestion.fidelity].add(suggestion.config, value)


class _TPEModel:
    """One fidelity level's observations in an in-memory optuna study, and
    TPE draws from it (each drawn trial is discarded as failed, which TPE
    ignores)."""

    def __init__(
        self,
        space: Space,
        distributions: dict[str, BaseDistribution],
        study_name: str,
        seed: int,
    ):
        self.space = space
        self.distributions = distributions
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=0, multivariate=True)
        self.study = optuna.create_study(
            direction="minimize", sampler=sampler, study_name=study_name
        )
        self.size = 0

    def add(self, config: Config, value: float) -> None:
        trial = optuna.trial.create_trial(
            params=to_params(self.space, config), distributions=self.distributions, value=value
        )
        self.study.add_trial(trial)
        self.size += 1

    def draw(self) -> Config:
        trial = self.study.ask(self.distributions)
        params = trial.params
        self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        return to_config(self.space, params)
