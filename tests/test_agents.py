"""Cadres are real Mesa agents whose attributes are views onto the model's arrays."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from simulation import ACTIONS, Cadre
from simulation.step import STEP_COLUMNS

N = 200


@pytest.fixture
def model(make_model):
    return make_model(seed=3, n_cadres=N)


def test_cadres_are_registered_mesa_agents(model):
    assert len(model.agents) == N
    assert all(isinstance(a, Cadre) and isinstance(a, mesa.Agent) for a in model.agents)
    assert len(model.agents_by_type[Cadre]) == N
    assert sorted(a.index for a in model.agents) == list(range(N))
    assert len({a.unique_id for a in model.agents}) == N
    assert all(a.model is model for a in model.agents)
    assert model.cadre_agents[17].index == 17


def test_agents_are_made_on_first_use_in_slot_order(make_model):
    """A run that never looks at agents makes none; the first look makes all, ids 1 .. n."""
    model = make_model(seed=3, n_cadres=N)
    model.run(2)
    assert len(mesa.Model.agents.fget(model)) == 0  # Mesa's own set: nothing made yet
    agents = model.cadre_agents
    assert [a.unique_id for a in agents] == list(range(1, N + 1))
    assert model.agents_by_type[Cadre] is not None and len(model.agents) == N
    # An agent of the user's own, registered first, still comes after the cadres.
    other = make_model(seed=3, n_cadres=N)
    extra = mesa.Agent(other)
    assert extra.unique_id == N + 1
    assert [a.unique_id for a in other.cadre_agents][:2] == [1, 2]
    assert set(other.agent_types) == {Cadre, mesa.Agent}


def test_agent_attributes_read_the_model_arrays(model):
    model.step()
    c = model.cadres
    for agent in model.cadre_agents[::37]:
        i = agent.index
        assert agent.ability == c.ability[i]
        assert agent.motivation == c.motivation[i]
        assert agent.rank == c.rank[i]
        assert agent.age == c.age[i]
        assert agent.belief_punish == c.belief_punish[i]
        assert agent.action == c.action[i]
        assert agent.violation_prone == bool(c.violation_prone[i])
    # Scalars come back as plain Python values, not 0-d arrays.
    agent = model.cadre_agents[0]
    assert type(agent.ability) is float
    assert type(agent.rank) is int
    assert type(agent.violation_prone) is bool


def test_agent_attribute_writes_go_through_to_the_arrays(model):
    agent = model.cadre_agents[5]
    others = model.cadres.ability.copy()
    agent.ability = 0.123
    agent.motivation = 0.987
    agent.rank = 1
    assert model.cadres.ability[5] == 0.123
    assert model.cadres.motivation[5] == 0.987
    assert model.cadres.rank[5] == 1
    # ... and array writes are seen by the agent.
    model.cadres.belief_detect[5] = 0.42
    assert agent.belief_detect == 0.42
    # No other slot changed.
    others[5] = 0.123
    np.testing.assert_array_equal(model.cadres.ability, others)


def test_agent_writes_change_the_next_decision(make_model):
    """Through the agent view, make every cadre unable to bear any effort: all lie flat."""
    m = make_model(
        {"behaviour.temperature": 0.0, "behaviour.effort_cost": 10.0,
         "behaviour.promotion_prize": 0.0, "population.violation_prone_share": 0.0},
        seed=1,
        n_cadres=N,
    )
    m.agents.do(lambda a: setattr(a, "ability", 0.0))
    assert np.all(m.cadres.ability == 0.0)
    m.step()
    assert m.stats["inaction"] == 1.0


def test_agent_action_name_and_peers(model):
    agent = model.cadre_agents[0]
    assert agent.action_name == "none"
    model.step()
    assert agent.action_name in (*ACTIONS, "none")
    assert agent.action_name == (ACTIONS[agent.action] if agent.action >= 0 else "none")
    peers = agent.peers
    assert [p.index for p in peers] == list(model.cadres.peers[0])
    assert all(isinstance(p, Cadre) for p in peers)
    assert "Cadre(slot=0" in repr(agent)
    assert agent.slot == agent.index == 0


def test_agentset_operations_work_on_cadres(model):
    senior = model.agents.select(lambda a: a.rank >= 1)
    assert len(senior) == int(np.count_nonzero(model.cadres.rank >= 1))
    abilities = model.agents.get("ability")
    np.testing.assert_allclose(sorted(abilities), np.sort(model.cadres.ability))


def test_datacollector_agent_reporters_read_ability_and_action(model):
    collector = mesa.DataCollector(agent_reporters={"ability": "ability", "action": "action"})
    steps = 2
    for _ in range(steps):
        model.step()
        collector.collect(model)
    frame = collector.get_agent_vars_dataframe()
    assert len(frame) == steps * N
    last = frame.xs(frame.index.get_level_values(0).max(), level=0)
    by_id = {a.unique_id: a.index for a in model.agents}
    slots = np.array([by_id[uid] for uid in last.index])
    np.testing.assert_array_equal(last["ability"].to_numpy(), model.cadres.ability[slots])
    np.testing.assert_array_equal(last["action"].to_numpy(), model.cadres.action[slots])
    assert set(np.unique(last["action"])) <= {-1, 0, 1, 2, 3}


def test_model_datacollector_reports_every_step_column(model):
    table = model.run(3)
    assert list(table["step"]) == [1, 2, 3]
    assert set(STEP_COLUMNS) <= set(table.columns)
    assert (table["regime"] == model.regime_label).all()


def test_snapshot_has_one_row_per_cadre_from_the_arrays(model):
    model.step()
    snap = model.snapshot()
    assert len(snap) == N
    assert snap.index.name == "slot"
    np.testing.assert_array_equal(snap.index.to_numpy(), np.arange(N))
    np.testing.assert_array_equal(snap["ability"].to_numpy(), model.cadres.ability)
    np.testing.assert_array_equal(snap["rank"].to_numpy(), model.cadres.rank)
    np.testing.assert_array_equal(snap["action"].to_numpy(), model.cadres.action)
    assert "peers" not in snap.columns
    expected = set(model.cadres.field_names()) - {"peers"} | {"action_name"}
    assert set(snap.columns) == expected


def test_snapshot_labels_each_action_by_name(model):
    assert set(model.snapshot()["action_name"]) == {"none"}
    model.step()
    snap = model.snapshot()
    names = np.array(["none", *ACTIONS])[snap["action"].to_numpy() + 1]
    np.testing.assert_array_equal(snap["action_name"].astype(str).to_numpy(), names)
    assert set(snap["action_name"].cat.categories) == {"none", *ACTIONS}


def test_snapshot_is_not_changed_by_later_steps(model):
    snap = model.snapshot()
    kept = snap.copy(deep=True)
    model.run(2)
    assert not np.array_equal(model.cadres.action, kept["action"].to_numpy())
    np.testing.assert_array_equal(snap.to_numpy(), kept.to_numpy())
