"""The survey answers the calibration's targets read: named causes (multi-response), effort
against reward, and being held back by fear (simulation.survey, records.named_causes)."""

from __future__ import annotations

import numpy as np

from simulation import CadreModel, load_config
from simulation import formulas as f
from simulation.decision import choose
from simulation.records import DecisionInputs, named_causes
from simulation.survey import effort_exceeds_reward, held_back_by_fear


def inputs(n: int, **fields) -> DecisionInputs:
    """Mid-range inputs for ``n`` cadres, with some fields replaced."""
    base = dict(
        motivation=np.full(n, 0.6), ability=np.full(n, 0.6), risk_aversion=np.full(n, 1.0),
        violation_prone=np.zeros(n, dtype=bool), visibility=np.ones(n), career=np.ones(n),
        belief_punish=np.full(n, 0.5), belief_detect=np.full(n, 0.15),
        belief_promote=np.full(n, 0.1), belief_accuse=np.full(n, 0.04),
        belief_detect_formal=np.full(n, 0.05), belief_punish_routine=np.full(n, 0.1),
        sanction_cost=np.full(n, 0.4),
    )
    return DecisionInputs(**(base | fields))


def test_a_cadre_names_each_cause_with_at_least_a_third_of_its_inaction():
    shares = np.array([
        [1.0, 0.0, 0.0],  # unwilling alone holds it back
        [0.5, 0.5, 0.0],  # two causes, jointly or each alone
        [1 / 3, 1 / 3, 1 / 3],  # any one lifted ends it, or only all three
        [2 / 3, 1 / 6, 1 / 6],  # the first, and either of the others beside it
        [-1 / 6, 2 / 3, 1 / 2],  # a signed share (non-monotone pattern)
    ])
    assert named_causes(shares).tolist() == [4.0, 3.0, 2.0]


def test_every_inactive_cadre_names_a_cause_and_none_names_more_than_three():
    table = CadreModel(load_config(overrides={"organisation.n_cadres": 200}), seed=5).run(8)
    named = table[["names_unwilling", "names_unable", "names_afraid"]]
    assert (named.sum(axis=1) >= table["inaction"] - 1e-12).all()
    assert (named.sum(axis=1) <= 3 * table["inaction"] + 1e-12).all()
    assert (named.max(axis=1) <= table["inaction"] + 1e-12).all()


def test_effort_exceeds_reward_for_working_cadres_without_a_career_and_never_when_idle():
    config = load_config(overrides={"behaviour.promotion_prize": 0.0})
    x = inputs(4)
    action = np.array([f.IDLE, f.FORMAL, f.ROUTINE, f.BOLD], dtype=np.int8)
    assert effort_exceeds_reward(x, action, config.behaviour, config.regime).tolist() == [
        False, True, True, True]
    rich = load_config(overrides={"behaviour.promotion_prize": 20.0})
    eager = inputs(4, belief_promote=np.ones(4), ability=np.ones(4))
    assert not effort_exceeds_reward(eager, action, rich.behaviour, rich.regime)[1:].any()


def test_no_cadre_is_held_back_by_fear_it_does_not_feel():
    config = load_config()
    n = 300
    taste = np.random.default_rng(1).gumbel(size=(n, 4))
    fearless = inputs(n, risk_aversion=np.zeros(n), sanction_cost=np.zeros(n))
    action = choose(fearless, config, config.regime, taste)
    assert not held_back_by_fear(fearless, action, taste, config.behaviour, config.regime).any()
    afraid = inputs(n, risk_aversion=np.full(n, 4.0), sanction_cost=np.full(n, 4.0),
                    belief_punish=np.full(n, 0.9), belief_detect=np.zeros(n))
    action = choose(afraid, config, config.regime, taste)
    held = held_back_by_fear(afraid, action, taste, config.behaviour, config.regime)
    assert held.mean() > 0.2
    assert not held[action == f.BOLD].any()  # nothing is more effortful than bold work
