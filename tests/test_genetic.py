"""The genetic algorithm: generations, selection, variation and elitism."""

import math

import numpy as np
import pytest

from bench import Budget, Categorical, Evaluation, Float, Int, Objective, Space, Wait, run
from bench.testing import median_final_best
from strategies.genetic import Genetic, reflect

MIXED = Space(
    {
        "lr": Float(1e-4, 1.0, "log"),
        "beta": Float(0.5, 0.999, "log1m"),
        "x": Float(-2.0, 3.0),
        "units": Int(8, 512, "log"),
        "layers": Int(1, 4),
        "act": Categorical(("relu", "tanh", "gelu")),
        "width": Categorical((16, 32, 64)),
    }
)
LINE = Space({"x": Float(0.0, 1.0)})


class Bowl(Objective):
    """A quadratic bowl in unit coordinates."""

    name = "bowl"

    def __init__(self, space=None):
        self.space = space or Space({f"x{i}": Float(0.0, 1.0) for i in range(4)})
        self._target = np.linspace(0.3, 0.7, len(self.space))

    def evaluate(self, config, fidelity=None, *, seed):
        return Evaluation(float(np.sum((self.space.to_unit(config) - self._target) ** 2)))


def bowl(config):
    return Bowl(MIXED).evaluate(config, seed=0).value


def generation(strategy, value_of):
    """Ask for and tell every suggestion of the current generation; its configs."""
    current, configs = strategy.generation, []
    while strategy.generation == current:
        suggestion = strategy.ask()
        configs.append(suggestion.config)
        strategy.tell(suggestion, value_of(suggestion.config))
    return configs


def test_the_first_generation_is_the_random_initial_population():
    objective = Bowl(MIXED)
    mine = run("genetic[population=12]", objective, 3, 30)
    baseline = run("random", objective, 3, 30)
    assert mine.configs[:12] == baseline.configs[:12]
    assert mine.configs[12:] != baseline.configs[12:]


def test_elites_survive_into_the_next_generation_without_being_asked_again():
    strategy = Genetic(MIXED, seed=0, budget=Budget(100), population=10, elite=3)
    first = generation(strategy, bowl)
    assert len(first) == 10 and strategy.generation == 1
    ranked = sorted(first, key=bowl)
    survivors = [MIXED.from_unit(g) for g in strategy.genomes[:3]]
    assert survivors == ranked[:3]
    assert strategy.fitness[:3].tolist() == [bowl(c) for c in ranked[:3]]
    second = generation(strategy, bowl)
    assert len(second) == 7
    best_of_both = sorted([*ranked[:3], *second], key=bowl)[:3]
    assert [MIXED.from_unit(g) for g in strategy.genomes[:3]] == best_of_both


def test_the_best_value_of_the_population_never_gets_worse():
    strategy = Genetic(MIXED, seed=1, budget=Budget(200), population=8, elite=1)
    bests = []
    for _ in range(10):
        generation(strategy, bowl)
        bests.append(strategy.fitness[0])
    assert bests == sorted(bests, reverse=True)
    assert bests[-1] < bests[0]


def test_children_lie_in_the_space_with_the_right_types():
    trace = run("genetic[population=10,mutation=0.5,sigma=0.3]", Bowl(MIXED), 2, 150)
    assert len(trace) == 150
    for config in trace.configs[10:]:
        MIXED.validate(config)
        for name, dim in MIXED.items():
            if isinstance(dim, Float):
                assert isinstance(config[name], float)
            elif isinstance(dim, Int):
                assert type(config[name]) is int
            else:
                assert type(config[name]) is type(dim.choices[0])


def test_tournament_selection_favours_fitter_parents():
    def parent_ranks(tournament):
        strategy = Genetic(
            LINE,
            seed=0,
            budget=Budget(1000),
            population=200,
            elite=0,
            tournament=tournament,
            crossover=0.0,
            mutation=0.0,
        )
        parents = generation(strategy, lambda c: c["x"])
        rank = {c["x"]: r for r, c in enumerate(sorted(parents, key=lambda c: c["x"]))}
        return np.array([rank[c["x"]] for c in generation(strategy, lambda c: c["x"])])

    uniform, three = parent_ranks(1), parent_ranks(3)
    assert 85 < uniform.mean() < 115
    assert 35 < three.mean() < 65, "the mean rank of the fittest of 3 of 200 is about 49"
    assert three.max() < 198, "the two worst can never win a tournament of three"
    assert np.count_nonzero(three < 50) > 2 * np.count_nonzero(three >= 150)


def test_without_crossover_or_mutation_children_are_copies_of_parents():
    strategy = Genetic(
        MIXED, seed=4, budget=Budget(100), population=10, crossover=0.0, mutation=0.0
    )
    parents = generation(strategy, bowl)
    children = generation(strategy, bowl)
    assert all(c in parents for c in children)


def test_crossover_without_mutation_takes_every_gene_from_a_parent():
    strategy = Genetic(
        MIXED, seed=4, budget=Budget(100), population=10, crossover=1.0, mutation=0.0
    )
    parents = generation(strategy, bowl)
    children = generation(strategy, bowl)
    for child in children:
        for name in MIXED:
            assert child[name] in {p[name] for p in parents}
    assert any(c not in parents for c in children)


def test_mutation_moves_numeric_genes_by_about_sigma():
    strategy = Genetic(
        LINE,
        seed=5,
        budget=Budget(100),
        population=50,
        elite=0,
        crossover=0.0,
        mutation=1.0,
        sigma=0.01,
    )
    parents = np.array([c["x"] for c in generation(strategy, lambda c: c["x"])])
    children = np.array([c["x"] for c in generation(strategy, lambda c: c["x"])])
    nearest = np.abs(children[:, None] - parents[None, :]).min(axis=1)
    assert (nearest > 0).all() and nearest.max() < 0.05


def test_mutation_reflects_at_the_bounds_instead_of_piling_up_on_them():
    strategy = Genetic(
        LINE,
        seed=5,
        budget=Budget(100),
        population=50,
        elite=0,
        crossover=0.0,
        mutation=1.0,
        sigma=0.5,
    )
    generation(strategy, lambda c: c["x"])
    children = np.array([c["x"] for c in generation(strategy, lambda c: c["x"])])
    assert ((children > 0.0) & (children < 1.0)).all()
    assert children.min() < 0.1 and children.max() > 0.9


def test_reflect_folds_back_into_the_unit_interval():
    x = np.array([-0.1, 1.1, 2.3, -1.3, 0.5, 0.0, 1.0])
    np.testing.assert_allclose(reflect(x), [0.1, 0.9, 0.3, 0.7, 0.5, 0.0, 1.0])


def test_categorical_genes_take_only_valid_choices_and_all_of_them():
    space = Space({"act": Categorical(("relu", "tanh", "gelu")), "width": Categorical((16, 32))})
    trace = run("genetic[population=6,mutation=1.0]", Bowl(space), 0, 60)
    for config in trace.configs:
        space.validate(config)
    assert {c["act"] for c in trace.configs[6:]} == {"relu", "tanh", "gelu"}
    assert {c["width"] for c in trace.configs[6:]} == {16, 32}


def test_failed_evaluations_never_become_elites():
    strategy = Genetic(LINE, seed=0, budget=Budget(100), population=10, elite=3)
    first = generation(strategy, lambda c: None if c["x"] < 0.5 else c["x"])
    ok = sorted((c for c in first if c["x"] >= 0.5), key=lambda c: c["x"])
    assert len(first) - len(ok) >= 3
    assert [LINE.from_unit(g) for g in strategy.genomes[:3]] == ok[:3]
    assert np.isfinite(strategy.fitness[:3]).all()


def test_failed_evaluations_lose_every_tournament():
    strategy = Genetic(
        LINE,
        seed=0,
        budget=Budget(100),
        population=10,
        elite=0,
        tournament=10,
        crossover=0.0,
        mutation=0.0,
    )
    first = generation(strategy, lambda c: None if c["x"] < 0.5 else c["x"])
    best = min((c for c in first if c["x"] >= 0.5), key=lambda c: c["x"])
    assert generation(strategy, lambda c: 1.0) == [best] * 10


@pytest.mark.parametrize("successes", [0, 1])
def test_with_fewer_successes_than_elites_only_the_successes_survive(successes):
    strategy = Genetic(LINE, seed=0, budget=Budget(100), population=10, elite=3)
    told = iter([0.5] * successes + [None] * 10)
    generation(strategy, lambda c: next(told) if successes else math.nan)
    assert len(generation(strategy, lambda c: 1.0)) == 10 - successes


def test_asking_before_the_generation_is_told_waits():
    strategy = Genetic(LINE, seed=0, budget=Budget(100), population=2, elite=0, tournament=2)
    first, second = strategy.ask(), strategy.ask()
    with pytest.raises(Wait, match="tell them before asking"):
        strategy.ask()
    strategy.tell(first, 1.0)
    with pytest.raises(ValueError, match="not awaiting a value"):
        strategy.tell(first, 1.0)
    strategy.tell(second, 2.0)
    assert strategy.generation == 1


def test_evolution_beats_random_search_on_a_smooth_bowl():
    mine = median_final_best("genetic", Bowl(), 100, 10)
    baseline = median_final_best("random", Bowl(), 100, 10)
    assert mine < baseline / 2, (mine, baseline)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"population": 1}, "population must be an integer >= 2, got 1"),
        ({"population": 10.0}, "population must be an integer >= 2, got 10.0"),
        ({"elite": -1}, r"elite must be an integer >= 0 and <= population - 1 \(19\), got -1"),
        ({"elite": 20}, r"elite must be an integer >= 0 and <= population - 1 \(19\), got 20"),
        ({"tournament": 0}, r"tournament must be an integer >= 1 and <= population \(20\)"),
        (
            {"population": 5, "tournament": 6},
            r"tournament must be an integer >= 1 and <= population \(5\), got 6",
        ),
        ({"crossover": 1.5}, r"crossover must be a probability in \[0, 1\], got 1.5"),
        ({"crossover": True}, r"crossover must be a probability in \[0, 1\], got True"),
        ({"mutation": -0.1}, r"mutation must be a probability in \[0, 1\], got -0.1"),
        ({"sigma": 0}, "sigma must be a positive number, got 0"),
        ({"sigma": math.inf}, "sigma must be a positive number, got inf"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message(options, message):
    with pytest.raises(ValueError, match=f"genetic: {message}"):
        Genetic(LINE, seed=0, budget=Budget(10), **options)
