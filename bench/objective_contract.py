"""The contract every objective must meet, as a reusable pytest mixin.

A plugin tests its objective with one fixture::

    from bench.objective_contract import ObjectiveContract

    class TestMyObjective(ObjectiveContract):
        @pytest.fixture
        def objective(self):
            return MyObjective()       # or a registered variant: "my-objective[noise=0.1]"

``python -m bench check-objective`` runs the same checks as a readable list.
The checks call ``evaluate`` directly, not through the loop, so that each
failure names the configuration, fidelity and seed at fault. Where an
evaluation reports ``extras["test"]`` (a noisy function's noiseless value),
the optimum is judged on it, as the report judges an incumbent.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pytest
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from bench.objective import Evaluation, Fidelity, Objective
from bench.registry import default_registry
from bench.space import Config, Float, Space, Value
from bench.variant import is_kebab

#: Separates the contract's sampling stream from an objective's own use of a seed.
_STREAM = 0x636F6E7472616374
#: The most problems one failure lists.
_SHOWN = 3


def as_objective(objective: Objective | type[Objective] | str) -> Objective:
    """The instance a contract fixture means: an instance, a class built with no
    arguments, or a registered variant name built by the registry."""
    if isinstance(objective, str):
        return default_registry().objective(objective)[1]
    if isinstance(objective, type):
        return objective()
    return objective


def probe_configs(space: Space, samples: int) -> list[Config]:
    """The lower corner, the upper corner and the centre of ``space``'s unit cube,
    then ``samples`` configurations drawn with a fixed generator."""
    rng = np.random.default_rng(_STREAM)
    d = len(space)
    fixed = [space.from_unit(np.full(d, u)) for u in (0.0, 1.0, 0.5)]
    return fixed + [space.sample(rng) for _ in range(samples)]


def lower_levels(fidelity: Fidelity | None) -> list[float]:
    """The fidelities below full a multi-fidelity searcher uses: ``low`` and one
    intermediate rung (``high / eta**k`` halfway down), in increasing order."""
    if fidelity is None:
        return []
    steps = math.floor(math.log(fidelity.high / fidelity.low) / math.log(fidelity.eta) + 1e-9)
    middle = fidelity.high / fidelity.eta ** max(1, (steps + 1) // 2)
    if not fidelity.low < middle < fidelity.high:
        middle = math.sqrt(fidelity.low * fidelity.high)
    return [fidelity.low, middle]


def _call(config: Mapping[str, Value], level: float | None, seed: int) -> str:
    """``evaluate(...)`` as a failure message names it."""
    return f"evaluate({dict(config)!r}, fidelity={level!r}, seed={seed})"


def judged(evaluation: Evaluation) -> float:
    """The value an optimum is judged against: ``extras["test"]`` where the
    objective reports one, else ``value``."""
    extras = evaluation.extras or {}
    return float(extras["test"]) if "test" in extras else float(evaluation.value)


def _problem(
    objective: Objective, config: Config, level: float | None, seed: int
) -> tuple[str, str] | None:
    """What is wrong with one evaluation, as (kind, message): ``"raised"`` for an
    exception, ``"invalid"`` for a result that is not an ``Evaluation`` with a
    finite real value; None if nothing is."""
    where = _call(config, level, seed)
    try:
        evaluation = objective.evaluate(dict(config), level, seed=seed)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        return "raised", f"{where} raised {type(exc).__name__}: {first}"
    if not isinstance(evaluation, Evaluation):
        return "invalid", f"{where} returned {evaluation!r}; expected an Evaluation(value, ...)"
    value = evaluation.value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        kind = type(value).__name__
        return "invalid", f"{where} returned value {value!r} of type {kind}; expected a float"
    if not math.isfinite(value):
        return "invalid", f"{where} returned value {value!r}; expected a finite float"
    return None


def _token(objective: Objective, config: Config, level: float | None, seed: int) -> str:
    """One evaluation's value as ``repr`` writes it (distinct for any two floats
    that differ in a bit, -0.0 included), or what it raised."""
    try:
        return repr(float(objective.evaluate(dict(config), level, seed=seed).value))
    except Exception as exc:
        return f"raised {type(exc).__name__}: {exc}"


def _fail(header: str, problems: list[str], advice: str = "") -> None:
    """Raise the assertion a check reports: a header, the first problems, advice."""
    lines = [header, *problems[:_SHOWN]]
    if len(problems) > _SHOWN:
        lines.append(f"... and {len(problems) - _SHOWN} more")
    raise AssertionError("\n".join(lines + ([advice] if advice else [])))


@dataclass(frozen=True)
class Found:
    """The lowest judged value a search met, where, and how."""

    value: float
    config: Config
    how: str


def unit_value(objective: Objective, seed: int) -> Callable[[np.ndarray], float]:
    """The judged full-fidelity value at a point of the unit cube (inf where the
    evaluation fails: finiteness is another check's business)."""

    def value(u: np.ndarray) -> float:
        try:
            v = judged(objective.evaluate(objective.space.from_unit(u), None, seed=seed))
        except Exception:
            return math.inf
        return v if math.isfinite(v) else math.inf

    return value


def local_search(
    f: Callable[[np.ndarray], float], start: np.ndarray, free: list[int], evaluations: int
) -> tuple[float, np.ndarray]:
    """The lowest value Nelder-Mead meets from ``start`` moving only the ``free``
    coordinates inside [0, 1] (integer and categorical ones stay where they are)."""
    best = [f(start), start]
    if not free:
        return best[0], best[1]

    def moved(z: np.ndarray) -> float:
        u = start.copy()
        u[free] = np.clip(z, 0.0, 1.0)
        v = f(u)
        if v < best[0]:
            best[:] = [v, u]
        return v if math.isfinite(v) else 1e300

    options = {"maxfev": evaluations, "xatol": 1e-12, "fatol": 0.0}
    bounds = [(0.0, 1.0)] * len(free)
    minimize(moved, start[free], method="Nelder-Mead", bounds=bounds, options=options)
    return best[0], best[1]


def search_lowest(
    objective: Objective, seed: int, samples: int, starts: int, evaluations: int
) -> Found:
    """The lowest judged value random sampling (``samples`` points) and local
    searches from the best ``starts`` of them find on the instance of ``seed``."""
    f = unit_value(objective, seed)
    space = objective.space
    points = np.random.default_rng([_STREAM, seed]).random((samples, len(space)))
    values = np.array([f(u) for u in points])
    first = int(np.argmin(values))
    lowest = Found(float(values[first]), space.from_unit(points[first]), "random sampling")
    free = [i for i, dim in enumerate(space.values()) if isinstance(dim, Float)]
    for index in np.argsort(values, kind="stable")[:starts]:
        value, u = local_search(f, points[index], free, evaluations)
        if value < lowest.value:
            lowest = Found(value, space.from_unit(u), "a local search (Nelder-Mead)")
    return lowest


def minimiser_points(objective: Objective, seeds: tuple[int, ...]) -> list[tuple[int, Config]]:
    """(seed, configuration) pairs where the objective says it attains ``optimum``:
    ``minimiser(seed)`` where it defines one (its minimiser moves with the seed),
    else every declared minimiser at every seed."""
    per_seed = getattr(objective, "minimiser", None)
    if callable(per_seed):
        return [(seed, dict(per_seed(seed))) for seed in seeds]
    return [(seed, dict(m)) for m in objective.minimisers for seed in seeds]


class ObjectiveContract:
    """Checks every objective must pass. Provide the ``objective`` fixture: an
    ``Objective`` instance or class, or a registered variant name."""

    #: Configurations drawn for the value checks, besides both corners and the centre.
    samples: int = 20
    #: Seeds the checks evaluate at.
    seeds: tuple[int, ...] = (0, 1)
    #: The hunt for a value below ``optimum``, per seed: random configurations,
    #: local searches from the best of them, evaluations per local search.
    search_samples: int = 300
    search_starts: int = 5
    search_evaluations: int = 400
    #: How far a value may stray from ``optimum`` (float rounding), times max(1, |optimum|).
    optimum_tolerance: float = 1e-9

    @pytest.fixture(autouse=True)
    def _one_blas_thread(self) -> Iterator[None]:
        """One BLAS thread per check, as in check-objective and the pool's workers."""
        with threadpool_limits(1):
            yield

    @pytest.fixture
    def objective(self) -> Objective | type[Objective] | str:
        raise NotImplementedError("define an `objective` fixture returning an instance or a name")

    @pytest.fixture
    def may_fail(self) -> bool:
        """Override to return True for an objective that raises at some
        configurations by design (a network that diverges): the loop records a
        failed trial. Returned values must still be finite floats."""
        return False

    @pytest.fixture
    def measures_cost(self) -> bool:
        """Override to return True for an objective whose ``Evaluation.cost`` is
        measured (seconds, ...) rather than ``self.cost(fidelity)``: a stated cost
        then only has to be positive and finite."""
        return False

    def _levels(self, objective: Objective) -> list[float | None]:
        return [None, *lower_levels(objective.fidelity)]

    def _tolerance(self, optimum: float) -> float:
        return self.optimum_tolerance * max(1.0, abs(optimum))

    def test_has_a_registry_name_docstring_and_space(self, objective):
        obj = as_objective(objective)
        cls = type(obj)
        name = cls.__dict__.get("name")
        assert isinstance(name, str) and is_kebab(name), (
            f"class {cls.__name__} needs its own `name`, a kebab-case registry key "
            f'(name = "my-objective"), got {name!r}'
        )
        assert cls.describe(), (
            f"give class {cls.__name__} a docstring: its first line is what "
            "`python -m bench list objectives` shows"
        )
        assert isinstance(obj.space, Space) and len(obj.space) > 0, (
            f"`space` must be a bench.Space with at least one parameter, got {obj.space!r}"
        )
        assert obj.fidelity is None or isinstance(obj.fidelity, Fidelity), (
            f"`fidelity` must be None or a bench.Fidelity, got {obj.fidelity!r}"
        )

    def test_values_are_finite_at_sampled_configurations(self, objective, may_fail):
        obj = as_objective(objective)
        configs = probe_configs(obj.space, self.samples)
        calls = [(c, level) for level in self._levels(obj) for c in configs]
        found = [p for c, level in calls if (p := _problem(obj, c, level, self.seeds[0]))]
        raised = sum(kind == "raised" for kind, _ in found)
        problems = [text for kind, text in found if kind == "invalid" or not may_fail]
        if may_fail and raised == len(calls):
            problems.insert(0, "every evaluation raised (--may-fail allows some, not all)")
        if problems:
            advice = "every such evaluation is a failed trial in every run that meets it"
            if raised and not may_fail:
                advice += (
                    "; where configurations fail by design (a network that diverges), "
                    "raise and check with --may-fail"
                )
            _fail(
                f"{len(problems)} of {len(calls)} evaluations (corners, centre and "
                f"{self.samples} seeded samples, at fidelities {self._levels(obj)}) "
                "gave no finite float:",
                problems,
                advice,
            )

    def test_same_seed_gives_the_same_value(self, objective):
        obj = as_objective(objective)
        configs = probe_configs(obj.space, 2)
        levels = self._levels(obj)[:2]
        calls = [(c, lv, s) for s in self.seeds for lv in levels for c in configs]
        first = [_token(obj, *c) for c in calls]
        second = [_token(obj, *c) for c in reversed(calls)][::-1]
        problems = [
            f"{_call(*c)} gave {a} then {b}" for c, a, b in zip(calls, first, second) if a != b
        ]
        if problems:
            _fail(
                f"not deterministic: {len(problems)} of {len(calls)} evaluations changed "
                "when repeated after the others:",
                problems,
                "draw every random number from a generator seeded with `seed` "
                "(np.random.default_rng(seed)), never the global numpy/random state "
                "or the clock, and keep no state between calls",
            )

    def test_cost_grows_with_fidelity_and_is_1_at_full(self, objective):
        obj = as_objective(objective)
        full = obj.cost(None)
        assert full == 1.0, (
            f"cost(None) = {full!r}: a full evaluation must cost exactly 1 "
            "(budgets count full-evaluation equivalents)"
        )
        fidelity = obj.fidelity
        if fidelity is None:
            pytest.skip("no fidelity: every evaluation costs cost(None) = 1")
        levels = sorted(
            {*np.linspace(fidelity.low, fidelity.high, 10).tolist(), *lower_levels(fidelity)}
        )
        costs = [obj.cost(level) for level in levels]
        bad = [f"cost({lv!r}) = {c!r}" for lv, c in zip(levels, costs) if not _positive(c)]
        assert not bad, f"costs must be positive finite numbers: {', '.join(bad[:_SHOWN])}"
        for (a, ca), (b, cb) in zip(zip(levels, costs), zip(levels[1:], costs[1:])):
            assert cb >= ca, (
                f"cost falls as fidelity rises: cost({a!r}) = {ca!r} > cost({b!r}) = {cb!r}; "
                "a higher fidelity must never cost less"
            )
        assert costs[-1] == 1.0, (
            f"cost({fidelity.high!r}) = {costs[-1]!r}: full fidelity must cost 1, like cost(None)"
        )
        assert costs[0] < 1.0, (
            f"cost({fidelity.low!r}) = {costs[0]!r}: the lowest fidelity costs as much as a "
            "full evaluation, so multi-fidelity searchers save nothing (the default "
            "Objective.cost charges fidelity / high)"
        )

    def test_stated_costs_agree_with_the_cost_model(self, objective, measures_cost):
        obj = as_objective(objective)
        levels = self._levels(obj) + ([obj.fidelity.high] if obj.fidelity else [])
        seed, problems = self.seeds[0], []
        for level in levels:
            for config in probe_configs(obj.space, 0):
                stated, planned = _stated_cost(obj, config, level, seed), obj.cost(level)
                if stated is None:
                    continue
                if not _positive(stated):
                    problems.append(f"{_call(config, level, seed)} states cost={stated!r}")
                elif not measures_cost and not math.isclose(stated, planned, rel_tol=1e-9):
                    problems.append(
                        f"{_call(config, level, seed)} states cost={stated!r}, "
                        f"but cost({level!r}) = {planned!r}"
                    )
        if problems:
            _fail(
                "stated costs disagree with the cost model (the loop charges a stated cost "
                "as it is: a stated 1.0 makes each of Hyperband's cheapest trials cost a "
                "full evaluation):",
                problems,
                "leave `cost` out of the Evaluation (the loop then charges "
                "self.cost(fidelity)), or override `cost(fidelity)`; a cost the objective "
                "measures itself: check-objective --measures-cost",
            )

    def test_nothing_undercuts_the_optimum(self, objective):
        obj = as_objective(objective)
        optimum = _optimum(obj)
        tolerance = self._tolerance(optimum)
        for seed in self.seeds:
            found = search_lowest(
                obj, seed, self.search_samples, self.search_starts, self.search_evaluations
            )
            assert found.value >= optimum - tolerance, (
                f"{found.how} found {found.value!r} at {found.config!r} (seed {seed}), "
                f"below the stated optimum {optimum!r} by {optimum - found.value:.3g}\n"
                "the optimum is too high (a rounded literature figure?): set it to the value "
                "at the minimiser, to full double precision (optimum = f(minimiser))"
            )

    def test_minimisers_attain_the_optimum(self, objective):
        obj = as_objective(objective)
        optimum = _optimum(obj)
        points = minimiser_points(obj, self.seeds)
        if not points:
            pytest.skip(
                "no minimiser declared: set `minimisers` (or define minimiser(seed) where it "
                "moves with the seed) so the optimum is checked where it is attained"
            )
        tolerance = self._tolerance(optimum)
        problems = []
        for seed, config in points:
            if not obj.space.contains(config):
                problems.append(f"minimiser {config!r} is not a configuration inside the space")
                continue
            try:
                value = judged(obj.evaluate(dict(config), None, seed=seed))
            except Exception as exc:
                problems.append(f"{_call(config, None, seed)} raised {type(exc).__name__}: {exc}")
                continue
            if not abs(value - optimum) <= tolerance:
                problems.append(
                    f"{_call(config, None, seed)} = {value!r}, off by {value - optimum:.3g}"
                )
        if problems:
            _fail(
                f"a declared minimiser does not attain the stated optimum {optimum!r} "
                f"(tolerance {tolerance:.3g}):",
                problems,
                "compute the optimum at the minimiser to full double precision; where "
                "the minimiser moves with the seed, define minimiser(seed)",
            )

    def test_signature_is_stable_and_finite(self, objective):
        obj = as_objective(objective)
        first, second = obj.signature(), obj.signature()
        configs = obj.signature_configs()
        bad = [f"{configs[i]!r}: {v!r}" for i, v in enumerate(first) if not math.isfinite(v)]
        assert not bad, (
            "signature() (seed 0, full fidelity) has no finite value at "
            + "; ".join(bad[:_SHOWN])
            + "\nstored runs are matched to the code by these values"
        )
        assert list(map(repr, first)) == list(map(repr, second)), (
            f"signature() gave {first} then {second}: it must not change between calls "
            "(stored runs would look stale)"
        )


def _finite(number: object) -> bool:
    return (
        isinstance(number, numbers.Real)
        and not isinstance(number, (bool, np.bool_))
        and math.isfinite(number)
    )


def _positive(number: object) -> bool:
    return _finite(number) and number > 0  # type: ignore[operator]


def _stated_cost(obj: Objective, config: Config, level: float | None, seed: int) -> object:
    """The cost ``evaluate`` states (None if it states none or does not return an
    ``Evaluation``: that is the value check's business)."""
    try:
        evaluation = obj.evaluate(dict(config), level, seed=seed)
    except Exception:
        return None
    return evaluation.cost if isinstance(evaluation, Evaluation) else None


def _optimum(obj: Objective) -> float:
    """The stated optimum; skips the check where none is known."""
    optimum = obj.optimum
    if optimum is None:
        pytest.skip("no known optimum (optimum = None): regret is normalised instead")
    assert _finite(optimum), f"optimum must be a finite float or None, got {optimum!r}"
    return float(optimum)
