"""ASHA follows Li et al. (2020), Algorithm 2: promote the first not-yet-promoted
configuration among the top 1/eta of the highest rung that has one, else grow
the bottom rung; failed evaluations are never promoted; nothing waits."""

import math

import pytest

from bench import Budget, Fidelity, Float, Space
from bench.registry import default_registry
from strategies.asha import ASHA, Job

SPACE = Space({"x": Float(0.0, 1.0)})
EPOCHS = Fidelity("epochs", 1, 27, 3)


def make(eta=None) -> ASHA:
    return ASHA(SPACE, seed=0, budget=Budget(100), fidelity=EPOCHS, eta=eta)


def test_rungs_run_from_the_lowest_to_the_highest_fidelity():
    assert make().levels == [1, 3, 9, 27]
    assert make(eta=2).levels == [27 / 16, 27 / 8, 27 / 4, 27 / 2, 27]


def test_get_job_promotes_the_best_unpromoted_of_the_top_third_else_grows_rung_zero():
    asha = make()
    first = [asha.ask() for _ in range(3)]
    assert [(s.token.rung, s.fidelity) for s in first] == [(0, 1)] * 3
    for suggestion, loss in zip(first, [3.0, 1.0, 2.0]):
        asha.tell(suggestion, loss)
    promoted = asha.ask()
    assert promoted.token == Job(1, 1) and promoted.fidelity == 3
    assert promoted.config == first[1].config
    # while that promotion is out, rung 0's top third is taken: a new configuration
    grown = asha.ask()
    assert grown.token == Job(3, 0)
    asha.tell(promoted, 0.5)
    asha.tell(grown, 5.0)
    # rung 1 holds one told (floor(1/3) = 0 promotable); rung 0 holds 4 (top 1: promoted)
    assert asha.ask().token == Job(4, 0)


def test_promotion_checks_the_highest_rung_first():
    asha = make()
    while True:  # losses grow with the index: the earliest configurations are the best
        suggestion = asha.ask()
        if suggestion.token.rung == 1 and len(asha.losses[1]) == 2:
            pending = suggestion
            break
        asha.tell(suggestion, float(suggestion.token.index))
    fresh = asha.ask()
    assert fresh.token.rung == 0
    asha.tell(fresh, -1.0)  # rung 0 now has a promotable configuration
    asha.tell(pending, float(pending.token.index))  # and so has rung 1, its third told
    best_of_rung_1 = min(asha.losses[1], key=asha.losses[1].get)
    assert asha.promotable() == Job(best_of_rung_1, 2)
    assert asha.ask().fidelity == 9
    assert asha.promotable() == Job(fresh.token.index, 1)


def test_a_failed_evaluation_counts_in_its_rung_but_is_never_promoted():
    asha = make()
    asked = [asha.ask() for _ in range(3)]
    asha.tell(asked[0], None)
    asha.tell(asked[1], math.nan)
    asha.tell(asked[2], math.inf)
    assert asha.promotable() is None
    assert asha.ask().token.rung == 0


def test_telling_a_job_twice_is_refused():
    asha = make()
    suggestion = asha.ask()
    asha.tell(suggestion, 1.0)
    with pytest.raises(ValueError, match="told twice"):
        asha.tell(suggestion, 1.0)


def test_an_eta_of_one_or_less_is_refused():
    with pytest.raises(ValueError, match=r"^asha: eta must be a number > 1"):
        make(eta=1)


def test_asha_is_registered_as_a_multi_fidelity_searcher():
    cls = default_registry().strategy("asha")[1]
    assert cls is ASHA and cls.needs_fidelity and not cls.model_based
