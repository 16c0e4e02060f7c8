"""The tabular and surrogate MLPs, from the shipped table of learning curves:
the tabular one replays real trainings bit-for-bit; the surrogate ranks
held-out configurations as the recorded trainings do, keeps the recorded
relation between low and full fidelity and the seeds' noise, answers
deterministically, and refuses a table that is missing or was built by other
code."""

import json
import re
import shutil
import warnings

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy.stats import spearmanr

from bench.curves import KEY, TableError
from bench.fingerprint import fingerprint
from objectives.mlp import MLPSGD, Diverged, MLPAdam
from objectives.surrogate import OFFSET, SurrogateMLPSGD, design_points, fit, holdout
from objectives.tabular import TABLE, Curves, TabularMLPAdam, TabularMLPSGD, shipped_table


@pytest.fixture(scope="module")
def digits_sgd() -> Curves:
    return Curves(shipped_table(), "mlp-sgd[dataset=digits]", MLPSGD("digits").space)


@pytest.mark.parametrize(
    "tabular, real, config, epochs, seed",
    [
        (TabularMLPSGD("digits"), MLPSGD("digits"), "328", 27, 1),
        (TabularMLPSGD("digits"), MLPSGD("digits"), "5", 3, 0),
        (TabularMLPAdam("wine"), MLPAdam("wine"), "300", 9, 2),
    ],
)
def test_the_tabular_objective_replays_the_real_training_bit_for_bit(
    tabular, real, config, epochs, seed
):
    """On configurations whose training is not chaotic: the table recorded on
    an AMD EPYC and the one recorded on an Intel Xeon (OpenBLAS SkylakeX)
    agree on them bit for bit, where a few high-learning-rate curves (config
    100 of digits, lr 0.52, among them) drift apart after some epochs, the two
    CPUs' kernels rounding differently."""
    replayed = tabular.evaluate({"config": config}, epochs, seed=seed)
    trained = real.evaluate(tabular.configuration({"config": config}), epochs, seed=seed)
    assert replayed.value == trained.value
    assert replayed.extras["test"] == trained.extras["test"]


def test_the_tabular_objective_maps_seeds_onto_the_recorded_ones():
    tabular = TabularMLPSGD("digits")
    seeds = tabular.curves.seeds
    first = tabular.evaluate({"config": "17"}, None, seed=0)
    again = tabular.evaluate({"config": "17"}, None, seed=seeds)
    other = tabular.evaluate({"config": "17"}, None, seed=1)
    assert first.value == again.value and again.extras["recorded_seed"] == 0
    assert other.extras["recorded_seed"] == 1
    assert len(tabular.space["config"].choices) == tabular.curves.configs


def test_a_recorded_divergence_is_a_failed_evaluation(digits_sgd):
    config, seed, epoch = (int(i) for i in np.argwhere(digits_sgd.diverged != "")[0])
    with pytest.raises(Diverged, match="recorded, seed"):
        TabularMLPSGD("digits").evaluate({"config": str(config)}, epoch + 1, seed=seed)


@pytest.fixture(scope="module")
def held_out(digits_sgd):
    space = MLPSGD("digits").space
    fit_on, held = holdout(digits_sgd.configs)
    surrogate = fit(digits_sgd, space, fit_on)
    return surrogate, design_points(digits_sgd, space)[held], held


@pytest.mark.parametrize("epochs", [3, 9, 27])
def test_the_surrogate_ranks_held_out_configurations_as_their_trainings_do(
    digits_sgd, held_out, epochs
):
    surrogate, u, held = held_out
    predicted = surrogate.mean.predict(u)[:, epochs - 1]
    with np.errstate(invalid="ignore"):
        recorded = np.nanmean(digits_sgd.validation[held, :, epochs - 1], axis=1)
    keep = np.isfinite(recorded)
    assert spearmanr(predicted[keep], recorded[keep]).statistic >= 0.9


def test_the_surrogate_keeps_the_recorded_low_to_full_fidelity_correlation(digits_sgd, held_out):
    surrogate, u, held = held_out
    outputs, sources, _ = surrogate.curves(u, 0)
    keep = np.isfinite(digits_sgd.validation[held, 0, -1]) & (
        surrogate.diverged_at[sources, 0] > 27
    )
    recorded = digits_sgd.validation[held, 0][keep]
    predicted = outputs[keep]
    rho_recorded = spearmanr(recorded[:, 2], recorded[:, 26]).statistic
    rho_surrogate = spearmanr(predicted[:, 2], predicted[:, 26]).statistic
    assert abs(rho_surrogate - rho_recorded) <= 0.05


def test_the_surrogates_seed_noise_is_the_recorded_spread(digits_sgd, held_out):
    """Pooled over held-out configurations (unbiased for 3 or 24 draws alike),
    the seed-to-seed SD of its 24 distinct noise draws is within 30 % of the
    recorded one (measured: 1.2 times)."""
    surrogate, u, held = held_out
    draws = []
    for seed in range(24):
        outputs, sources, recorded = surrogate.curves(u, seed)
        value = np.clip(np.exp(outputs[:, 26]) - OFFSET, 0.0, 1.0)
        value[surrogate.diverged_at[sources, recorded] <= 27] = np.nan
        draws.append(value)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        pooled = np.sqrt(np.nanmean(np.nanvar(np.stack(draws, axis=1), axis=1, ddof=1)))
        recorded = np.sqrt(
            np.nanmean(np.nanvar(digits_sgd.validation[held, :, -1], axis=1, ddof=1))
        )
    assert 0.77 <= pooled / recorded <= 1.3


def test_one_query_is_the_batch_query_of_that_point(held_out):
    surrogate, u, _ = held_out
    for seed in (0, 4, 29):
        batch, sources, _ = surrogate.curves(u[:20], seed)
        for i in range(20):
            one, source, _ = surrogate.query(u[i], seed, 9)
            assert source == sources[i]
            np.testing.assert_allclose(one, batch[i, [8, 35, 62]], rtol=0, atol=1e-9)


def test_the_surrogate_answers_deterministically_within_bounds_and_with_seed_noise():
    objective = SurrogateMLPSGD("digits")
    rng = np.random.default_rng(0)
    configs = [objective.space.sample(rng) for _ in range(30)]
    answers = {}
    for i, config in enumerate(configs):
        for seed in (0, 1):
            try:
                answers[i, seed] = objective.evaluate(config, 9, seed=seed)
            except Diverged:
                continue
    assert len(answers) >= 50
    for (i, seed), first in answers.items():
        again = objective.evaluate(configs[i], 9, seed=seed)
        assert again.value == first.value and again.extras == first.extras
        assert 0.0 <= first.value <= 1.0 and 0.0 <= first.extras["test"] <= 1.0
        assert first.extras["seconds"] > 0
    differ = [answers[i, 0].value != answers[i, 1].value for i, _ in answers if (i, 1) in answers]
    assert sum(differ) >= 0.8 * len(differ)


def test_the_table_is_part_of_the_objectives_fingerprint():
    modules = fingerprint(SurrogateMLPSGD).modules
    assert modules["data:mlp-curves.parquet"] != "absent"
    assert "objectives.mlp" in modules


def test_a_table_built_by_other_code_is_refused(tmp_path):
    table = pq.read_table(TABLE)
    meta = json.loads(table.schema.metadata[KEY])
    meta["code"]["mlp-sgd[dataset=digits]"]["libraries"]["scikit-learn"] = "0.1"
    stale = tmp_path / "mlp-curves.parquet"
    pq.write_table(
        table.replace_schema_metadata({**table.schema.metadata, KEY: json.dumps(meta).encode()}),
        stale,
    )
    with pytest.raises(
        TableError,
        match=r"mlp-curves\.parquet: the curves of mlp-sgd\[dataset=digits\] .*scikit-learn 0\.1 ->",
    ):
        shipped_table(stale)


def test_a_missing_table_says_how_to_build_it(tmp_path):
    shutil.copyfile(TABLE, tmp_path / "copy.parquet")
    assert shipped_table(tmp_path / "copy.parquet").rows is not None
    with pytest.raises(TableError, match=r"gone\.parquet: no table .* `make tabulate`"):
        shipped_table(tmp_path / "gone.parquet")


def test_a_query_whose_nearest_training_diverged_fails_as_that_training_did(digits_sgd):
    config, seed, epoch = (int(i) for i in np.argwhere(digits_sgd.diverged != "")[0])
    objective = SurrogateMLPSGD("digits")
    at_design_point = TabularMLPSGD("digits").configuration({"config": str(config)})
    with pytest.raises(Diverged, match=f"design point {config}, seed {seed}"):
        objective.evaluate(at_design_point, 27, seed=seed)
    if epoch > 0:
        assert np.isfinite(objective.evaluate(at_design_point, epoch, seed=seed).value)


def test_without_a_table_list_names_the_objectives_it_cannot_build_and_a_suite_is_refused(
    tmp_path, monkeypatch, capsys, caplog
):
    import objectives.surrogate
    import objectives.tabular
    from bench.cli import main
    from bench.curves import read_table

    def missing(path=None):
        return read_table(tmp_path / "mlp-curves.parquet")

    monkeypatch.setattr(objectives.tabular, "shipped_table", missing)
    monkeypatch.setattr(objectives.surrogate, "shipped_table", missing)
    assert main(["list", "objectives"]) == 0
    listed = capsys.readouterr().out
    assert "branin " in listed and "mlp-sgd " in listed
    assert re.search(r"surrogate-mlp-sgd +unavailable: .*mlp-curves\.parquet: no table", listed)
    assert re.search(r"tabular-mlp-adam +unavailable: .*`make tabulate`", listed)
    suite = ["run", "default", "--objectives", "surrogate-mlp-sgd", "--results", str(tmp_path)]
    assert main(suite) == 2
    assert "key 'objectives': objective 'surrogate-mlp-sgd'" in caplog.text
    assert "no table of learning curves there; build it with `make tabulate`" in caplog.text


def test_a_table_replaced_after_a_process_read_it_keeps_the_hash_it_was_read_with(tmp_path):
    """A long-lived worker keeps the table it read; its fingerprint must say so,
    so the driver's check refuses it once the file on disk is another."""

    table = tmp_path / "t.parquet"
    shutil.copyfile(TABLE, table)

    class Reads(SurrogateMLPSGD):
        data_files = (table,)

    first = fingerprint(Reads).modules["data:t.parquet"]
    table.write_bytes(table.read_bytes() + b"\0")
    assert fingerprint(Reads).modules["data:t.parquet"] == first
