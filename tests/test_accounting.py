"""Work only where it is needed: the skipped inaction accounting, the pruned coalitions and the
per-regime constants change no result."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from simulation import CadreModel, accounting, decision, kernels, load_config
from simulation.accounting import ACCOUNTED
from simulation.outputs import STEP_COLUMNS
from simulation.per_regime import forget, once_per_regime
from simulation.records import DecisionInputs
from simulation.tasks import reference_levels
from tests.conftest import small_config

kd = pytest.importorskip("simulation.kernels.decide")


def test_the_accounting_is_needed_only_by_the_outputs_that_read_it():
    assert accounting.needed(["bold", "inaction"])
    assert accounting.needed(["afraid_share"])  # a composition divides by inaction
    assert accounting.needed(["final_inaction"])
    assert accounting.needed(["avoidance_fear"])
    assert accounting.needed(["no_such_output"])  # unknown: kept on the safe side
    assert not accounting.needed(["bold", "real_output", "lying_flat", "formalism", "welfare"])
    assert not accounting.needed([])


def run(backend: str, account: bool, preset: str = "default") -> tuple[pd.DataFrame, dict]:
    with kernels.using(backend):
        model = CadreModel(load_config(preset, {"organisation.n_cadres": 400}), seed=11)
        model.accounts_inaction = account
        table = model.run(12)
    return table, {name: getattr(model.cadres, name).copy()
                   for name in model.cadres.field_names() if name != "peers"}


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("preset", ["default", "strict_accountability"])
def test_skipping_the_accounting_leaves_every_other_output_and_the_state_alone(backend, preset):
    full, state = run(backend, True, preset)
    lean, lean_state = run(backend, False, preset)
    others = [c for c in full.columns if c not in ACCOUNTED]
    pd.testing.assert_frame_equal(lean[others], full[others], check_exact=True)
    assert lean[sorted(ACCOUNTED)].isna().all().all()
    assert full[sorted(ACCOUNTED)].notna().all().all()
    assert full["avoidance"].gt(0).any()  # there was avoidance to account for
    for name, values in state.items():
        assert np.array_equal(lean_state[name], values), name


def test_a_model_made_inside_only_for_reads_the_need():
    with accounting.only_for(["bold"]):
        assert not CadreModel(load_config(None, {"organisation.n_cadres": 50})).accounts_inaction
    with accounting.only_for(["bold", "avoidance"]):
        assert CadreModel(load_config(None, {"organisation.n_cadres": 50})).accounts_inaction
    assert CadreModel(load_config(None, {"organisation.n_cadres": 50})).accounts_inaction


def test_a_sweep_run_that_keeps_no_accounted_output_skips_it_and_agrees(monkeypatch):
    from experiments.engine import run as engine_run
    from experiments.engine.run import RunSettings, RunTask, run_one

    config = load_config(None, {"organisation.n_cadres": 300})
    made = []

    def simulate(config, seed, steps):
        model = CadreModel(config, seed=seed)
        made.append(model.accounts_inaction)
        return model.run(steps)

    monkeypatch.setattr(engine_run, "simulate_run", simulate)
    task = RunTask("r", 0, 0, 5, "default", {}, config)
    lean, _ = run_one(task, RunSettings(10, 2, ("bold", "real_output", "welfare")))
    full, _ = run_one(task, RunSettings(10, 2, ("bold", "real_output", "welfare", "inaction")))
    assert made == [False, True]
    assert lean["status"] == full["status"] == "ok"
    for name in ("bold", "real_output", "welfare"):
        assert lean[name] == full[name]


# --------------------------------------------------------------------------------------------
# Pruned coalitions: a lift that changes none of a cadre's inputs
# --------------------------------------------------------------------------------------------


def one_cadre(**values) -> DecisionInputs:
    base = dict(motivation=0.3, ability=0.3, risk_aversion=1.0, violation_prone=False,
                visibility=1.0, career=0.5, belief_punish=0.5, belief_detect=0.2,
                belief_promote=0.1, belief_accuse=0.05, belief_detect_formal=0.06,
                belief_punish_routine=0.3, sanction_cost=0.4)
    base |= values
    fear = base.pop("fear", 1.0)
    arrays = {k: np.array([v]) for k, v in base.items()}
    return DecisionInputs(**arrays, fear=fear)


@pytest.mark.parametrize(("values", "idle"), [
    ({}, 0),
    ({"motivation": 1.0, "career": 1.0, "belief_promote": 1.0}, 1),
    ({"motivation": 1.0, "career": 0.5, "belief_promote": 1.0}, 0),  # career still short
    ({"motivation": 1.0, "career": 1.0, "belief_promote": -0.5}, 0),  # belief still short
    ({"ability": 1.0}, 2),
    ({"fear": 0.0}, 4),
    ({"belief_accuse": 0.0, "belief_punish": 0.0}, 0),  # routine work still carries its risk
])
def test_idle_lifts_are_those_that_change_no_input(values, idle):
    config = load_config(None, {})
    t = kd.terms(config.behaviour, config.regime)
    x = kd.inputs(one_cadre(**values), config.behaviour, t.able)
    assert kd.idle_lifts(0, x, t, kd.fearless_bit(x)) == idle


@pytest.mark.parametrize("fear", [1.0, 0.0])
def test_cadres_at_the_reference_levels_decide_as_the_numpy_path(fear):
    """Many cadres at or above every level, so most coalitions are copied, not recomputed."""
    config = load_config(None, {"regime.accountability.generalised_accountability": 0.0})
    refs = reference_levels(config.behaviour, config.regime)
    rng = np.random.default_rng(3)
    n = 3000

    def level(ref: float) -> np.ndarray:
        return np.where(rng.random(n) < 0.6, np.maximum(ref, 1.0), rng.uniform(0, 1, n))

    x = DecisionInputs(
        motivation=level(refs.motivated), ability=level(refs.able),
        risk_aversion=rng.uniform(0, 3, n), violation_prone=rng.random(n) < 0.1,
        visibility=rng.uniform(0, 2, n), career=level(1.0),
        belief_punish=np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0, 1, n)),
        belief_detect=rng.uniform(0, 0.5, n), belief_promote=level(refs.rewarded),
        belief_accuse=np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0, 0.2, n)),
        belief_detect_formal=rng.uniform(0, 0.15, n), belief_punish_routine=np.zeros(n),
        sanction_cost=rng.choice([0.4, 1.5, 4.0], n), fear=fear,
    )
    taste = rng.gumbel(size=(n, 4))
    with kernels.using("numpy"):
        action, expected = decision.decide(x, config, config.regime, taste)
    got_action, got = kd.decide(x, config, config.regime, taste)
    assert np.array_equal(got_action, action)
    assert np.array_equal(got.form, expected.form)
    assert np.array_equal(got.causes, expected.causes)
    assert np.array_equal(got.reasons, expected.reasons)
    assert got.fear_only == expected.fear_only
    assert expected.causes.sum() > 100  # enough inactive cadres for the comparison to bite


# --------------------------------------------------------------------------------------------
# Per-regime constants
# --------------------------------------------------------------------------------------------


def counted_levels() -> tuple[Callable[..., object], list[int]]:
    """``reference_levels`` remembered per regime, and the list its recomputations append to."""
    calls: list[int] = []

    @once_per_regime
    def levels(behaviour, regime):
        calls.append(1)
        return reference_levels(behaviour, regime)

    return levels, calls


def test_a_constant_per_regime_is_recomputed_when_the_config_changes_in_place():
    levels, calls = counted_levels()
    config = load_config(None, {})
    first = levels(config.behaviour, config.regime)
    assert levels(config.behaviour, config.regime) == first and len(calls) == 1
    config.regime.support.policy_volatility = 0.5  # changed in place: a different regime
    assert levels(config.behaviour, config.regime) == reference_levels(config.behaviour,
                                                                       config.regime)
    assert len(calls) == 2
    forget()
    levels(config.behaviour, config.regime)
    assert len(calls) == 3


def test_a_constant_per_regime_follows_replaced_sections_and_equal_copies():
    levels, calls = counted_levels()
    config = load_config(None, {})
    levels(config.behaviour, config.regime)
    # An equal copy (another object): the same answer, not recomputed.
    copy = config.regime.model_copy(deep=True)
    assert levels(config.behaviour, copy) == levels(config.behaviour, config.regime)
    assert len(calls) == 1
    # A nested section replaced by an equal one: unchanged.
    copy.support = copy.support.model_copy()
    levels(config.behaviour, copy)
    assert len(calls) == 1
    # ... by a different one, or that one changed in place afterwards: recomputed.
    copy.support = copy.support.model_copy(update={"policy_volatility": 0.5})
    assert levels(config.behaviour, copy) == reference_levels(config.behaviour, copy)
    assert len(calls) == 2
    copy.support.policy_volatility = 0.25
    assert levels(config.behaviour, copy) == reference_levels(config.behaviour, copy)
    assert len(calls) == 3
    config.behaviour.motivated_enough_cover = config.behaviour.motivated_enough_cover + 0.5
    assert levels(config.behaviour, copy) == reference_levels(config.behaviour, copy)
    assert len(calls) == 4


def test_a_constant_per_regime_compares_fields_only_after_an_assignment(monkeypatch):
    """No config field assigned since an answer was found good: it is given without comparing."""
    from simulation import per_regime

    compared: list[int] = []
    compare = per_regime.unchanged

    def counted(snapshot):
        compared.append(1)
        return compare(snapshot)

    monkeypatch.setattr(per_regime, "unchanged", counted)
    levels, calls = counted_levels()
    config, other = load_config(None, {}), load_config(None, {"regime.support.care": 0.5})
    for _ in range(5):
        levels(config.behaviour, config.regime)
    assert len(calls) == 1 and not compared
    other.regime.support.care = 0.25  # another config assigned: compared once, then not again
    for _ in range(5):
        assert levels(config.behaviour, config.regime) == reference_levels(config.behaviour,
                                                                           config.regime)
    assert len(calls) == 1 and len(compared) == 1
    config.regime.support.care = 0.5  # its own: compared, changed, recomputed
    levels(config.behaviour, config.regime)
    assert len(calls) == 2


def test_runs_step_without_assigning_a_config_field():
    """Lone runs and batches, with a regime switch too: the count stays, so no field compares."""
    from simulation.batched import ReplicateBatch
    from simulation.config import assignments

    switched = small_config({"steps": 6, "switch.step": 3,
                             "switch.preset": "jilin_three_ups_downs"}, n_cadres=200)
    model = CadreModel(switched, seed=1)
    batch = ReplicateBatch([switched, switched.model_copy(
        update={"behaviour": switched.behaviour.model_copy(update={"promotion_prize": 6.0})})],
        [1, 2])
    before = assignments()
    for _ in range(6):
        model.step()
        batch.step()
    assert assignments() == before


def test_a_constant_per_regime_is_kept_for_each_run_of_a_batch():
    """Runs of a batch ask in turn with their own configs: each answer is computed once."""
    from simulation.per_regime import KEPT

    levels, calls = counted_levels()
    configs = [load_config(None, {"regime.support.policy_volatility": 0.05 * k})
               for k in range(KEPT)]
    for _ in range(3):
        for config in configs:
            assert levels(config.behaviour, config.regime) == reference_levels(
                config.behaviour, config.regime)
    assert len(calls) == KEPT
    configs[3].regime.support.policy_volatility = 0.95  # changed in place: that one again
    levels(configs[3].behaviour, configs[3].regime)
    assert len(calls) == KEPT + 1
    extra = load_config(None, {"regime.support.care": 0.5})  # one more: the oldest is dropped
    levels(extra.behaviour, extra.regime)
    levels(configs[3].behaviour, configs[3].regime)
    assert len(calls) == KEPT + 2
    levels(configs[0].behaviour, configs[0].regime)  # the least recently used: dropped
    assert len(calls) == KEPT + 3


def test_the_accounted_columns_are_step_columns():
    assert set(STEP_COLUMNS) >= ACCOUNTED
