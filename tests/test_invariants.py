"""Property tests: invariants that hold for every valid configuration and seed.

Hypothesis draws organisation sizes and regime levers from their allowed ranges (see
simulation/config.py); populations stay small and runs short (<= 8 steps) so each example is
cheap. Each test checks its invariant after every step, not only at the end.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import CadreModel, load_config
from simulation.positions import occupancy
from simulation.step import STEP_COLUMNS
from tests.strategies import configs

PROPERTY_SETTINGS = settings(
    # CADRESIM_PROPERTY_EXAMPLES raises the count for an occasional deeper search.
    max_examples=int(os.environ.get("CADRESIM_PROPERTY_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

seeds = st.integers(0, 2**32 - 1)
n_steps = st.integers(1, 8)

BOUNDED_FIELDS = (
    "ability",
    "motivation",
    "innate_motivation",
    "belief_detect",
    "belief_detect_formal",
    "belief_punish_routine",
    "belief_punish",
    "belief_accused",
    "belief_upheld",
)
#: Signed in [-1, 1]: perceived responsiveness of promotion, a difference of two shares.
SIGNED_FIELDS = ("belief_promote",)


def senior_occupancy_within_capacity(model: CadreModel) -> bool:
    occupied = occupancy(model.cadres.rank, model.config.organisation.n_ranks)
    return bool(np.all(occupied[1:] <= model.capacities[1:]))


@PROPERTY_SETTINGS
@given(config=configs(), seed=seeds, steps=n_steps)
def test_positions_never_exceed_capacity(config, seed, steps):
    model = CadreModel(config, seed=seed)
    assert senior_occupancy_within_capacity(model)
    for _ in range(steps):
        model.step()
        assert senior_occupancy_within_capacity(model), model.cadres.rank
        ranks = model.cadres.rank
        assert ranks.min() >= 0 and ranks.max() < config.organisation.n_ranks


@PROPERTY_SETTINGS
@given(config=configs(), seed=seeds, steps=n_steps)
def test_action_shares_and_inaction_split_add_up(config, seed, steps):
    table = CadreModel(config, seed=seed).run(steps)
    assert len(table) == steps
    shares = table[["lying_flat", "formalism", "routine", "bold"]]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-12)
    assert (shares >= 0).all().all()
    assert (table["avoidance"] <= table["routine"] + 1e-12).all()
    forms = table[["lying_flat", "formalism", "avoidance"]]
    np.testing.assert_allclose(forms.sum(axis=1), table["inaction"], atol=1e-12)
    for parts in (["unwilling", "unable", "afraid"],
                  ["reason_unwilling", "reason_unable", "reason_afraid"]):
        split = table[parts]
        # A Shapley share can dip below 0 where a change creates inaction (ability raised can
        # make safe work count as avoidance); it never exceeds the inaction it splits.
        assert (split >= -table[["inaction"]].to_numpy() - 1e-12).all().all()
        if parts[0] == "reason_unwilling":
            assert (split >= 0).all().all()
        np.testing.assert_allclose(split.sum(axis=1), table["inaction"], atol=1e-9)


@PROPERTY_SETTINGS
@given(config=configs(), seed=seeds, steps=n_steps)
def test_outputs_and_state_stay_finite_and_in_range(config, seed, steps):
    model = CadreModel(config, seed=seed)
    c = model.cadres
    for _ in range(steps):
        model.step()
        for name in c.field_names():
            values = getattr(c, name)
            if values.dtype.kind == "f":
                assert np.all(np.isfinite(values)), name
        for name in BOUNDED_FIELDS:
            values = getattr(c, name)
            assert values.min() >= 0.0 and values.max() <= 1.0, name
        for name in SIGNED_FIELDS:
            values = getattr(c, name)
            assert values.min() >= -1.0 and values.max() <= 1.0, name
        assert np.all(c.risk_aversion >= 0.0)
        assert np.all((c.action >= -1) & (c.action <= 3))
        assert np.all(c.sanction_years >= 0) and np.all(c.probation_years >= 0)
        assert np.all(c.age < config.population.retirement_age)
    table = model.results_table()
    numeric = table[list(STEP_COLUMNS)].to_numpy(dtype=np.float64)
    assert np.all(np.isfinite(numeric))
    # Every column but the signed ones (meritocracy, a correlation, and belief_promote, a
    # difference of shares, both in [-1, 1]) and the mean outputs (measured output carries
    # zero-mean noise) is a share or mean of quantities in [0, 1].
    signed = {"meritocracy", "belief_promote", "unwilling", "unable", "afraid"}
    for column in signed:  # the causes are Shapley shares, which can be slightly negative
        assert np.all(np.abs(table[column]) <= 1.0 + 1e-12)
    # Effort cost is in utility per cadre (up to the cost of bold work); welfare nets costs and
    # harms off output and can be negative: it must equal its formula (docs/ODD.md 9.1).
    assert (table["effort_cost"] >= 0).all()
    w = config.welfare
    np.testing.assert_allclose(
        table["welfare"],
        table["real_output"] - w.effort_weight * table["effort_cost"]
        - w.wrongful_sanction_harm * table["wrongful_sanctions"]
        - w.shielded_violation_harm * table["shielded_violations"], rtol=0, atol=1e-12)
    # Believed rung costs and the expected cost of the next sanction are utilities, not shares.
    costs = {"belief_warning_cost", "belief_demotion_cost", "belief_removal_cost",
             "sanction_cost"}
    assert (table[sorted(costs)] >= 0).all().all()
    shares = table[[c for c in STEP_COLUMNS if c not in signed | costs | {
        "measured_output", "real_output", "effort_cost", "welfare"}]]
    assert (shares >= -1e-12).all().all() and (shares <= 1.0 + 1e-12).all().all()
    assert list(table["step"]) == list(range(1, steps + 1))


@PROPERTY_SETTINGS
@given(config=configs(), seed=seeds, steps=n_steps)
def test_run_is_a_pure_function_of_config_and_seed(config, seed, steps):
    first = CadreModel(config, seed=seed)
    second = CadreModel(config, seed=seed)
    pd.testing.assert_frame_equal(first.run(steps), second.run(steps))
    pd.testing.assert_frame_equal(first.snapshot(), second.snapshot())


@settings(max_examples=10, deadline=None)
@given(config=configs(), seed=seeds)
def test_different_seeds_give_different_runs(config, seed):
    # Six steps of a few dozen cadres or more: identical tables from two seeds would need every
    # aggregate of every step to coincide.
    a = CadreModel(config, seed=seed).run(6)
    b = CadreModel(config, seed=seed + 1).run(6)
    assert not a.equals(b)
    assert not CadreModel(config, seed=seed).snapshot().equals(
        CadreModel(config, seed=seed + 1).snapshot()
    )


def test_config_seed_is_used_when_no_seed_is_given():
    config = load_config(overrides={"organisation.n_cadres": 100, "seed": 99})
    pd.testing.assert_frame_equal(
        CadreModel(config).run(3), CadreModel(config, seed=99).run(3)
    )


def test_model_runs_are_independent_of_each_other():
    """Interleaving two models' steps must not change either (no shared global state)."""
    config = load_config(overrides={"organisation.n_cadres": 200})
    alone = CadreModel(config, seed=5).run(4)
    a, b = CadreModel(config, seed=5), CadreModel(config, seed=6)
    for _ in range(4):
        a.step()
        b.step()
    pd.testing.assert_frame_equal(a.results_table(), alone)




def _peer_model() -> CadreModel:
    config = load_config(
        overrides={
            "organisation.n_cadres": 400,
            "organisation.unit_size": 20,
            "organisation.peers_in_unit": 6,
            "organisation.peers_cross_unit": 2,
        }
    )
    return CadreModel(config, seed=0)


def test_in_unit_peers_are_distinct_colleagues_from_the_own_unit():
    c = _peer_model().cadres
    in_unit = c.peers[:, :6]
    np.testing.assert_array_equal(c.unit[in_unit], np.broadcast_to(c.unit[:, None], (400, 6)))
    assert not np.any(in_unit == np.arange(400)[:, None])
    assert all(len(set(row)) == 6 for row in in_unit.tolist())


def test_no_cadre_is_its_own_peer():
    c = _peer_model().cadres
    assert not np.any(c.peers == np.arange(c.n)[:, None])


def test_cross_unit_peers_belong_to_other_units():
    """config: peers_cross_unit = "Network ties each cadre has to cadres in other units";
    population.build_peers: "cross-unit ties are uniform over the other slots"."""
    c = _peer_model().cadres
    assert not np.any(c.unit[c.peers[:, 6:]] == c.unit[:, None])


def test_the_peer_network_does_not_depend_on_the_block_it_is_built_in(monkeypatch):
    """build_peers draws block by block (bounded memory) the ties one pass would give."""
    from simulation import network
    from simulation.streams import Streams

    def built(block: int) -> np.ndarray:
        monkeypatch.setattr(network, "BLOCK_SLOTS", block)
        # 1 003 slots in units of 21: the short last unit (16 slots) cannot supply 19 colleagues.
        return network.build_peers(1003, 21, 19, 3, Streams.from_seed(5))

    whole = built(1 << 16)
    for block in (1, 42, 100):
        np.testing.assert_array_equal(built(block), whole)
    last_unit = np.arange(987, 1003)
    assert not np.any(whole[last_unit] == last_unit[:, None])
    # Its slots have their 15 colleagues, then 4 ties borrowed from outside the unit.
    colleagues = whole[last_unit, :15]
    assert ((colleagues >= 987) & (colleagues < 1003)).all()
    assert all(len(set(row)) == 15 for row in colleagues.tolist())
    assert (whole[last_unit, 15:19] < 987).all()
