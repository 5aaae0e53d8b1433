"""Batched replicates: each run of a batch is its lone run, bit for bit (issue 21, item 2).

For presets with different phase features (a strict regime with dual investigation, a tolerant
one, fast tracks and self-recommendation, a regime switch mid-run), with and without the
inaction accounting, on the compiled path: every batched replicate's per-step table (floats
compared exactly) and final cadre arrays equal those of ``CadreModel(config, seed).run()``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.engine import batching
from experiments.engine.batch import run_batch
from experiments.engine.batching import replicates_per_batch
from experiments.engine.design import run_id
from experiments.engine.run import RunSettings, RunTask
from simulation import accounting, kernels
from simulation.batched import BatchStreams, ReplicateBatch
from simulation.cadres import CadreArrays
from simulation.loading import load_config
from simulation.model import CadreModel
from simulation.streams import Streams

pytestmark = pytest.mark.skipif(not kernels.numba_available(), reason="needs Numba")

#: (preset, overrides): the default; strict accountability (dual investigation, leaders);
#: a tolerant regime; fast tracks and self-recommendation with policy reversals; a switch.
CASES = {
    "default": ("default", {}),
    "strict": ("strict_accountability", {}),
    "tolerant": ("guangdong_three_distinctions", {}),
    "fast_track": ("comprehensive_package", {"regime.support.policy_volatility": 0.3}),
    "switch": ("strict_accountability", {"switch.step": 6, "switch.preset": "hubei_opinions"}),
    # No measurement noise: records tie, and some years' bands and places are left to NumPy.
    "ties": ("comprehensive_package", {"regime.evaluation.noise_sd": 0.0}),
}


def config_of(case: str, n: int, steps: int):
    """The case's config at ``n`` cadres and ``steps`` years."""
    preset, overrides = CASES[case]
    return load_config(preset, {"organisation.n_cadres": n, "steps": steps, **overrides})


def assert_same_run(batched: CadreModel, table: pd.DataFrame, config, seed: int) -> None:
    """The batched run's table and final state equal the lone run's, bit for bit."""
    lone = CadreModel(config, seed=seed)
    expected = lone.run()
    pd.testing.assert_frame_equal(table, expected, check_exact=True)
    for name in expected.select_dtypes("number").columns:
        a, b = table[name].to_numpy(), expected[name].to_numpy()
        assert np.array_equal(a, b, equal_nan=True), name
    for name in CadreArrays.__dataclass_fields__:
        assert np.array_equal(getattr(batched.cadres, name), getattr(lone.cadres, name)), name
    assert batched.next_person == lone.next_person
    assert np.array_equal(batched.rulebook.credited, lone.rulebook.credited)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("replicates", [1, 2, 5])
def test_each_replicate_is_its_lone_run(case: str, replicates: int) -> None:
    config = config_of(case, 300 if replicates == 5 else 500, 15)
    seeds = [11 + 7 * i for i in range(replicates)]
    with kernels.using("numba"):
        batch = ReplicateBatch(config, seeds)
        tables = batch.run()
        for model, table, seed in zip(batch.models, tables, seeds, strict=True):
            assert_same_run(model, table, config, seed)


def drawn_configs(case: str, n: int, steps: int, runs: int) -> list:
    """``runs`` configs of the case differing in every ``PER_RUN`` field, as a posterior's draws.

    Run 0's Beta shapes are below 1 (drawn with a boost), run 1's risk aversion is constant.
    """
    preset, overrides = CASES[case]
    return [load_config(preset, {
        "organisation.n_cadres": n, "steps": steps, **overrides,
        "behaviour.temperature": 0.15 + 0.1 * i, "behaviour.effort_cost": 0.12 + 0.2 * i,
        "behaviour.promotion_prize": 3.0 + 2.5 * i, "population.ability_mean": 0.5 + 0.05 * i,
        "population.motivation_mean": 0.55 + 0.06 * i,
        "population.trait_concentration": 1.5 if i == 0 else 6.0 + i,
        "population.risk_aversion_mean": 0.4 + 0.3 * i,
        "population.risk_aversion_sd": 0.0 if i == 1 else 0.3 + 0.1 * i,
        "population.violation_prone_share": 0.02 + 0.03 * i,
        "learning.belief_rate": 0.2 + 0.12 * i,
    }) for i in range(runs)]


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize(("case", "account"), [
    ("default", True), ("strict", True), ("switch", True), ("tolerant", False),
    ("default", False)])
def test_runs_of_different_draws_in_one_batch_are_their_lone_runs(
    case: str, account: bool, backend: str
) -> None:
    """Several points of one size (a posterior's draws) share a batch, each still its lone run."""
    configs = drawn_configs(case, 300, 12, 3)
    seeds = [41, 42, 43]
    outputs = () if account else ("bold",)  # "bold" needs no accounting
    with kernels.using(backend), accounting.only_for(outputs if not account else ("afraid",)):
        batch = ReplicateBatch(configs, seeds)
        assert batch.varied
        tables = batch.run()
        for model, table, config, seed in zip(batch.models, tables, configs, seeds, strict=True):
            assert_same_run(model, table, config, seed)
        assert tables[0]["inaction"].to_numpy().tolist() != tables[1]["inaction"].to_numpy(
        ).tolist()


def test_runs_that_differ_outside_the_per_run_fields_are_not_batched() -> None:
    from simulation.batched import batch_mates, differences

    a, b = drawn_configs("default", 300, 5, 2)
    assert differences(a, b) == {
        "behaviour.temperature", "behaviour.effort_cost", "behaviour.promotion_prize",
        "population.ability_mean", "population.motivation_mean",
        "population.trait_concentration", "population.risk_aversion_mean",
        "population.risk_aversion_sd", "population.violation_prone_share",
        "learning.belief_rate"}
    assert batch_mates(a, b)
    tolerant = a.model_copy(update={"regime": load_config("guangdong_three_distinctions").regime})
    assert not batch_mates(a, tolerant)
    with pytest.raises(ValueError, match=r"regime\.fault_tolerance\.tolerance"):
        ReplicateBatch([a, tolerant], [1, 2])


def test_differences_are_the_fields_that_differ_leaf_by_leaf() -> None:
    """Against every field compared one by one: each pair of presets, drawn configs, a switch
    on one side only (its fields are unset on the other)."""
    from simulation.batched import differences
    from simulation.config import config_value
    from simulation.loading import known_paths, list_presets

    def leaf_by_leaf(a, b):
        return {p for p in known_paths() if config_value(a, p) != config_value(b, p)}

    configs = [load_config(name) for name in ["default", *list_presets()]]
    configs += list(drawn_configs("default", 300, 5, 2))
    configs.append(load_config("default", {"switch.step": 5,
                                           "switch.preset": "strict_accountability"}))
    for a in configs:
        for b in configs:
            assert differences(a, b) == leaf_by_leaf(a, b)
    assert differences(configs[0], configs[-1]) >= {
        "switch.step", "switch.regime.accountability.generalised_accountability"}


@pytest.mark.parametrize("case", ["default", "switch"])
def test_a_batched_model_keeps_mesas_clock_and_runs_on_alone(case: str) -> None:
    """Mesa's clock moves with each batched year, so a model taken out of its batch steps on
    as its lone run does (one year a step, the same years after). Before, the clock stayed at
    its start and the first lone step ran every year Mesa thought pending."""
    config = config_of(case, 300, 8)
    with kernels.using("numba"):
        batch = ReplicateBatch(config, [5, 6])
        batch.run(5)
        for model in batch.models:
            assert (model.year, model.time) == (5, 5.0)
            assert model.running
        model = batch.models[1]
        model.step()
        assert (model.year, model.time) == (6, 6.0)
        table = model.run(2)  # to the config's 8 years
        assert not model.running
        assert_same_run(model, table, config, 6)


@pytest.mark.parametrize("case", ["default", "switch"])
def test_without_the_accounting(case: str) -> None:
    """Skipping the accounting (as a sweep does) decides the whole batch in one call."""
    config = config_of(case, 400, 20)
    seeds = [3, 4, 5]
    with kernels.using("numba"), accounting.only_for(["real_output"]):
        batch = ReplicateBatch(config, seeds)
        assert not batch.models[0].accounts_inaction
        tables = batch.run()
        assert np.isnan(tables[0]["lying_flat"]).sum() == 0  # read off actions
        for model, table, seed in zip(batch.models, tables, seeds, strict=True):
            assert_same_run(model, table, config, seed)


@pytest.mark.parametrize("case", ["strict", "fast_track"])
def test_on_the_numpy_path(case: str) -> None:
    """The reference path learns and starts careers run by run: the same equality holds."""
    config = config_of(case, 300, 10)
    with kernels.using("numpy"):
        batch = ReplicateBatch(config, [1, 2, 3])
        for model, table, seed in zip(batch.models, batch.run(), [1, 2, 3], strict=True):
            assert_same_run(model, table, config, seed)


def test_tied_tournaments_are_held_alone(monkeypatch) -> None:
    """A run whose band or places tie at a top-k edge holds its tournament alone, as alone."""
    from simulation.kernels import segments

    config = config_of("ties", 300, 12)
    seeds = [1, 2, 3, 4, 5]
    left = {"places": 0, "bands": 0, "settled": 0}
    promote, band = segments.promote_each, segments.band_each

    def counted_promote(*args):
        out = promote(*args)
        left["places"] += int((~out[-1]).sum())
        left["settled"] += int(out[-1].sum())
        return out

    def counted_band(*args):
        out = band(*args)
        left["bands"] += int((~out[1]).sum())
        return out

    monkeypatch.setattr(segments, "promote_each", counted_promote)
    monkeypatch.setattr(segments, "band_each", counted_band)
    with kernels.using("numba"):
        batch = ReplicateBatch(config, seeds)
        for model, table, seed in zip(batch.models, batch.run(), seeds, strict=True):
            assert_same_run(model, table, config, seed)
    assert left["places"] > 0 and left["bands"] > 0 and left["settled"] > 0, left


def test_a_short_last_unit() -> None:
    """Cadres not a multiple of the unit size: each run's last unit is short, leaders per run."""
    config = config_of("strict", 310, 12)
    assert config.organisation.n_cadres % config.organisation.unit_size
    with kernels.using("numba"):
        batch = ReplicateBatch(config, [8, 9, 10])
        for model, table, seed in zip(batch.models, batch.run(), [8, 9, 10], strict=True):
            assert_same_run(model, table, config, seed)


def test_a_thousand_cadres_twenty_five_years() -> None:
    config = config_of("default", 1000, 25)
    with kernels.using("numba"):
        batch = ReplicateBatch(config, [1, 2])
        for model, table, seed in zip(batch.models, batch.run(), [1, 2], strict=True):
            assert_same_run(model, table, config, seed)


def test_replicates_differ() -> None:
    """The segments draw with their own keys: two seeds give two different runs."""
    config = config_of("default", 300, 5)
    with kernels.using("numba"):
        first, second = ReplicateBatch(config, [1, 2]).run()
    assert not first["real_output"].equals(second["real_output"])


def test_batch_streams_are_each_runs_words() -> None:
    config = config_of("default", 300, 5)
    batch = ReplicateBatch(config, [5, 6, 7])
    words = batch.streams.words(3, 7, 900)
    for model, part in zip(batch.models, batch.parts, strict=True):
        assert np.array_equal(words[part], model.streams.words(3, 7, 300))
    with pytest.raises(ValueError, match="every slot"):
        BatchStreams(batch.streams.runs, 300).words(3, 7, 300)


# --------------------------------------------------------------------------------------------
# The engine: batches chosen by run size, a failing run failing alone
# --------------------------------------------------------------------------------------------


def engine_tasks(config, seeds, point=0):
    """One design point's runs, as a sweep plans them."""
    return [RunTask(run_id(point, i), point, i, seed, config.name, {}, config)
            for i, seed in enumerate(seeds)]


def rows_of(sink) -> pd.DataFrame:
    return sink.runs_table().drop(columns=["seconds"])


def test_batch_size_falls_with_run_size() -> None:
    assert replicates_per_batch(400) == 16
    assert replicates_per_batch(1000) == 8
    assert replicates_per_batch(5000) == 1
    assert replicates_per_batch(10_000) == 1


def batched_equals_alone(tasks, settings, monkeypatch):
    """Run ``tasks`` through the engine with its batches and every run alone; the two runs and
    series tables are asserted equal. The batched sink, and the size of each batch made."""
    batched = []
    real = batching.simulate_batch
    monkeypatch.setattr(batching, "simulate_batch",
                        lambda tasks, steps: batched.append(len(tasks)) or real(tasks, steps))
    with kernels.using("numba"):
        together = run_batch(tasks, settings, chunk_size=len(tasks))
        made = list(batched)
        monkeypatch.setattr(batching, "MAX_REPLICATES", 1)
        alone = run_batch(tasks, settings, chunk_size=len(tasks))
    assert batched == made  # nothing batched alone
    pd.testing.assert_frame_equal(rows_of(together), rows_of(alone), check_exact=True)
    pd.testing.assert_frame_equal(together.series_table(), alone.series_table(),
                                  check_exact=True)
    return together, made


def test_a_sweep_with_batches_equals_one_without(monkeypatch) -> None:
    config = config_of("default", 300, 12)
    other = config.model_copy(update={"regime": load_config("strict_accountability").regime})
    tasks = engine_tasks(config, [1, 2, 3, 4, 5]) + engine_tasks(other, [1, 2, 3], point=1)
    settings = RunSettings(12, 2, ("real_output", "inaction", "promotions"), ("real_output",))
    together, batched = batched_equals_alone(tasks, settings, monkeypatch)
    assert batched == [5, 3]  # one batch per design point
    assert (together.runs_table()["status"] == "ok").all()


def test_a_sweep_of_posterior_draws_batches_them_and_equals_one_without(monkeypatch) -> None:
    """Replicates that each draw their own particle (a posterior sweep) share batches."""
    draws = drawn_configs("default", 300, 10, 4)
    tasks = [RunTask(run_id(0, i), 0, i, 70 + i, config.name, {}, config)
             for i, config in enumerate(draws)]
    settings = RunSettings(10, 2, ("real_output", "inaction", "afraid"), ("bold",))
    together, batched = batched_equals_alone(tasks, settings, monkeypatch)
    assert batched == [4]
    assert together.runs_table()["inaction"].nunique() == 4


def test_a_failing_run_in_a_batch_fails_alone(monkeypatch) -> None:
    """A run that raises breaks its batch; run again alone, the others of the batch succeed."""
    config = config_of("default", 300, 8)
    tasks = engine_tasks(config, [21, 22, 23, 24])
    settings = RunSettings(8, 0, ("real_output",))
    with kernels.using("numba"):
        expected = run_batch(tasks, settings, chunk_size=len(tasks)).runs_table()
        made = Streams.from_seed.__func__

        def fails_for_23(cls, seed):
            if seed == 23:
                raise RuntimeError("a model that fails for seed 23")
            return made(cls, seed)

        monkeypatch.setattr(Streams, "from_seed", classmethod(fails_for_23))
        runs = run_batch(tasks, settings, chunk_size=len(tasks)).runs_table()
    assert runs["status"].tolist() == ["ok", "ok", "failed", "ok"]
    assert "fails for seed 23" in runs["error"][2]
    ok = runs["status"] == "ok"
    assert runs.loc[ok, "real_output"].tolist() == expected.loc[ok, "real_output"].tolist()


def test_runs_with_a_timeout_or_on_numpy_run_alone() -> None:
    config = config_of("default", 300, 5)
    tasks = engine_tasks(config, [1, 2, 3])
    with kernels.using("numba"):
        assert [len(b) for b in batching.batches(tasks, RunSettings(5, 0, ()))] == [3]
        timed = RunSettings(5, 0, (), timeout=60.0)
        assert [len(b) for b in batching.batches(tasks, timed)] == [1, 1, 1]
    with kernels.using("numpy"):
        assert [len(b) for b in batching.batches(tasks, RunSettings(5, 0, ()))] == [1, 1, 1]


def test_default_chunks_hold_a_whole_batch(monkeypatch) -> None:
    """A small batch of runs (default chunks of one run each) is still batched whole."""
    config = config_of("default", 300, 6)
    tasks = engine_tasks(config, [1, 2, 3, 4, 5, 6])
    settings = RunSettings(6, 0, ("real_output",))
    sizes = []
    real = batching.simulate_batch
    monkeypatch.setattr(batching, "simulate_batch",
                        lambda tasks, steps: sizes.append(len(tasks)) or real(tasks, steps))
    with kernels.using("numba"):  # batches are made on the compiled path only
        run_batch(tasks, settings)
        assert sizes == [6]
        assert batching.chunk_size(1, 300, 6, 2, settings) == 3  # an even share per worker
        assert batching.chunk_size(1, 300, 100, 2, settings) == 16
        assert batching.chunk_size(4, 10_000, 100, 2, settings) == 4
