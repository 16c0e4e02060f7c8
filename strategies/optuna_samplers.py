"""optuna's samplers behind the Strategy interface, through ask/tell.

Each strategy owns one in-memory study with a fixed name (optuna derives some
choices from the study name) and a sampler seeded by the run's seed. The
optuna ``Trial`` travels as the suggestion's token. With several workers the
pending suggestions are the study's RUNNING trials, which the samplers see as
optuna intends: TPE's constant liar (the option ``constant_liar``, set
explicitly because its default changed between optuna 4 and 5), GPSampler's
conditioning on running trials, CMA-ES and NSGA-II generations, QMC's next
Sobol points.
"""

from __future__ import annotations

import abc
import importlib.util
import math
import warnings

import optuna
from optuna.exceptions import ExperimentalWarning
from optuna.samplers import BaseSampler
from optuna.trial import TrialState

from bench import Budget, Categorical, Fidelity, Space, Strategy, Suggestion
from bench.strategy import StrategyUnavailable
from strategies._options import choice, flag, integer, number
from strategies._optuna_space import distributions, to_config

optuna.logging.set_verbosity(optuna.logging.WARNING)


class _OptunaStrategy(Strategy):
    """An optuna sampler driven by ask/tell; subclasses build the sampler."""

    parallel = True

    def __init__(
        self, space: Space, *, seed: int, budget: Budget, fidelity: Fidelity | None = None
    ):
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)
        self._distributions = distributions(space)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            sampler = self.make_sampler(seed)
        self.study = optuna.create_study(
            direction="minimize", sampler=sampler, study_name=f"tunebench-{self.name}-{seed}"
        )
        self._completed = 0
        self._start_up = 0

    def start_up_size(self) -> int | None:
        """How many completed trials the sampler needs before it models them
        (``None``: it never does)."""
        return None

    @property
    def initial_design(self) -> int | None:
        """Trials asked while fewer completed trials than ``start_up_size`` existed
        (failed trials do not count towards optuna's start-up); while the
        start-up is not over, at least ``start_up_size``."""
        size = self.start_up_size()
        if size is None:
            return None
        return self._start_up if self._completed >= size else max(self._start_up, size)

    @abc.abstractmethod
    def make_sampler(self, seed: int) -> BaseSampler:
        """The optuna sampler this strategy wraps, seeded with ``seed``."""

    def ask(self) -> Suggestion:
        size = self.start_up_size()
        if size is not None and self._completed < size:
            self._start_up += 1
        trial = self.study.ask(self._distributions)
        return self.suggest(to_config(self.space, trial.params), token=trial)

    def tell(self, suggestion: Suggestion, value: float | None) -> None:
        if value is None:
            self.study.tell(suggestion.token, state=TrialState.FAIL)
        else:
            self.study.tell(suggestion.token, value)
            self._completed += 1


class TPE(_OptunaStrategy):
    """Tree-structured Parzen estimator, optuna's TPESampler (Bergstra et al. 2011; optuna 5 defaults).

    ``constant_liar`` (default True, optuna 5's default) makes pending trials
    count as bad results; it changes nothing while no trial is pending.
    """

    name = "tpe"
    model_based = True

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        multivariate: bool | None = None,
        constant_liar: bool = True,
    ):
        integer("tpe", "n_startup_trials", n_startup_trials, 0)
        integer("tpe", "n_ei_candidates", n_ei_candidates, 1)
        if multivariate is not None:
            flag("tpe", "multivariate", multivariate)
        flag("tpe", "constant_liar", constant_liar)
        self.options = dict(
            n_startup_trials=n_startup_trials,
            n_ei_candidates=n_ei_candidates,
            multivariate=multivariate,
            constant_liar=constant_liar,
        )
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)

    def make_sampler(self, seed: int) -> BaseSampler:
        return optuna.samplers.TPESampler(seed=seed, **self.options)

    def start_up_size(self) -> int:
        return self.options["n_startup_trials"]


class GP(_OptunaStrategy):
    """Gaussian-process Bayesian optimisation, optuna's GPSampler (log EI, Matern 5/2 kernel)."""

    name = "gp"
    model_based = True
    requires = ("torch",)

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        n_startup_trials: int = 10,
        deterministic_objective: bool = False,
    ):
        integer("gp", "n_startup_trials", n_startup_trials, 0)
        flag("gp", "deterministic_objective", deterministic_objective)
        self.options = dict(
            n_startup_trials=n_startup_trials, deterministic_objective=deterministic_objective
        )
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)

    @classmethod
    def check_available(cls, fidelity: Fidelity | None = None) -> None:
        if importlib.util.find_spec("torch") is None:
            raise StrategyUnavailable(
                "strategy 'gp' needs torch (optuna's GPSampler fits its model with it): install "
                "the CPU build with `pip install -c constraints.txt -e '.[gp]'` (torch==2.13.0); "
                "a plain `pip install torch` downloads a multi-GB CUDA build"
            )
        super().check_available(fidelity)

    def make_sampler(self, seed: int) -> BaseSampler:
        return optuna.samplers.GPSampler(seed=seed, **self.options)

    def start_up_size(self) -> int:
        return self.options["n_startup_trials"]


class CmaEs(_OptunaStrategy):
    """CMA-ES evolution strategy, optuna's CmaEsSampler (Hansen 2016); categoricals sampled at random."""

    name = "cmaes"

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        sigma0: float | None = None,
        popsize: int | None = None,
        restart_strategy: str | None = None,
    ):
        if sigma0 is not None:
            number("cmaes", "sigma0", sigma0, 0.0)
        if popsize is not None:
            integer("cmaes", "popsize", popsize, 2)
        if restart_strategy is not None:
            _check_restart_strategy(restart_strategy)
        self.options = dict(sigma0=sigma0, popsize=popsize, restart_strategy=restart_strategy)
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)

    def make_sampler(self, seed: int) -> BaseSampler:
        return optuna.samplers.CmaEsSampler(
            seed=seed, warn_independent_sampling=False, **self.options
        )

    def start_up_size(self) -> int:
        """optuna's one independent start-up trial, then CMA's first generation,
        drawn around the centre before any value is known (popsize
        4 + floor(3 ln d) over the numeric dimensions, Hansen 2016)."""
        numeric = sum(not isinstance(dim, Categorical) for dim in self.space.values())
        popsize = self.options["popsize"] or 4 + math.floor(3 * math.log(max(numeric, 1)))
        return 1 + popsize


class NSGA2(_OptunaStrategy):
    """NSGA-II genetic algorithm, optuna's NSGAIISampler on a single objective (Deb et al. 2002)."""

    name = "nsga2"

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        population_size: int = 50,
        crossover_prob: float = 0.9,
        mutation_prob: float | None = None,
    ):
        self.options = dict(
            population_size=population_size,
            crossover_prob=crossover_prob,
            mutation_prob=mutation_prob,
        )
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)

    def make_sampler(self, seed: int) -> BaseSampler:
        return optuna.samplers.NSGAIISampler(seed=seed, **self.options)

    def start_up_size(self) -> int:
        """The first generation: ``population_size`` random configurations."""
        return self.options["population_size"]


class QMC(_OptunaStrategy):
    """Quasi-random Sobol sequence, optuna's QMCSampler, scrambled by the seed (space-filling baseline)."""

    name = "qmc"

    def __init__(
        self,
        space: Space,
        *,
        seed: int,
        budget: Budget,
        fidelity: Fidelity | None = None,
        qmc_type: str = "sobol",
        scramble: bool = True,
    ):
        flag("qmc", "scramble", scramble)
        self.options = dict(qmc_type=qmc_type, scramble=scramble)
        super().__init__(space, seed=seed, budget=budget, fidelity=fidelity)

    def make_sampler(self, seed: int) -> BaseSampler:
        return optuna.samplers.QMCSampler(seed=seed, **self.options)


def _check_restart_strategy(value: object) -> None:
    """Refuse a CMA-ES restart strategy optuna does not know, or would ignore."""
    choice("cmaes", "restart_strategy", value, ("ipop", "bipop"))
    if tuple(int(part) for part in optuna.__version__.split(".")[:2]) >= (4, 4):
        raise ValueError(
            f"cmaes: restart_strategy={value!r} would be ignored: optuna {optuna.__version__} "
            "runs CMA-ES without restarts (restart_strategy falls back to None since optuna "
            "4.4); leave the option out"
        )
