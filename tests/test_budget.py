import pytest

from bench import Budget


def test_spending_sums_fractions_without_drift():
    budget = Budget(2)
    for _ in range(54):
        budget.spend(1 / 27)
    assert budget.spent == 2.0
    assert budget.exhausted
    assert budget.remaining == 0.0


def test_affords_only_what_is_left():
    budget = Budget(1)
    budget.spend(1 / 3)
    assert budget.affords(2 / 3)
    assert not budget.affords(0.7)


def test_fresh_is_unspent_and_the_same_size():
    budget = Budget(5)
    budget.spend(2)
    fresh = budget.fresh()
    assert fresh.evaluations == 5 and fresh.spent == 0 and budget.spent == 2


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), "10", True])
def test_rejects_non_positive_or_non_numeric_sizes(bad):
    with pytest.raises(ValueError, match="Budget"):
        Budget(bad)


def test_rejects_negative_costs():
    with pytest.raises(ValueError, match="cost"):
        Budget(1).spend(-0.5)


def test_budget_is_exhausted_once_running_evaluations_fill_what_is_left():
    budget = Budget(3)
    budget.spend(1.0)
    assert budget.exhausted_with(2.0) and not budget.exhausted_with(1.5)
    assert not budget.exhausted and budget.affords(1.0, 1.0) and not budget.affords(1.0, 1.5)
