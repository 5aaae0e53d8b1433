"""CadreModel works with Mesa's own idioms: keyword levers, rng, running, batch_run, reporters.

``mesa.batch_run`` and ``model.steps`` are Mesa 3's: Mesa 4 removes them, so their tests are
``@mesa3_only`` (tests/test_mesa4_readiness.py allows them there and nowhere else).
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from simulation import ACTIONS, CadreModel, ConfigError, load_config
from simulation.step import STEP_COLUMNS

SMALL = {"organisation.n_cadres": 100, "steps": 4}
MESA_MAJOR = int(mesa.__version__.split(".")[0])
#: A test of a Mesa 3 idiom that Mesa 4 removes (batch_run, model.steps).
mesa3_only = pytest.mark.skipif(MESA_MAJOR >= 4, reason="Mesa 4 removes batch_run and steps")


@pytest.fixture
def config():
    return load_config(None, SMALL)


def outcomes(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


# ---- Levers as keywords -----------------------------------------------------------------------


def test_levers_as_dotted_or_double_underscore_keywords_set_the_config():
    dotted = CadreModel(preset="hubei_opinions", **{"regime.fault_tolerance.tolerance": 0.5})
    flat = CadreModel(preset="hubei_opinions", regime__fault_tolerance__tolerance=0.5)
    assert dotted.config == flat.config
    assert flat.config.regime.fault_tolerance.tolerance == 0.5
    assert flat.config.name == "hubei_opinions"
    preset = load_config("hubei_opinions")
    assert (flat.config.regime.accountability == preset.regime.accountability)


def test_keyword_levers_apply_on_top_of_a_config_object(config):
    model = CadreModel(config, regime__support__care=0.7, seed=3)
    assert model.config.regime.support.care == 0.7
    assert model.config.organisation.n_cadres == 100
    assert config.regime.support.care == 0.0  # the caller's config is not changed


def test_a_bad_keyword_lever_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match=r"override regime\.fault_tolerance\.tolerance: got 5"):
        CadreModel(regime__fault_tolerance__tolerance=5)
    with pytest.raises(ConfigError, match=r"did you mean 'regime\.fault_tolerance\.tolerance'"):
        CadreModel(regime__fault_tolerance__tolerence=0.5)
    with pytest.raises(ValueError, match="either config or preset"):
        CadreModel(load_config(None), preset="hubei_opinions")


# ---- Seeds and rng ----------------------------------------------------------------------------


def test_the_existing_signature_still_gives_the_same_runs(config):
    by_keyword = CadreModel(config, seed=5, snapshot_steps=[2]).run(3)
    by_position = CadreModel(config, 5, [2])
    pd.testing.assert_frame_equal(by_position.run(3), by_keyword)
    assert sorted(by_position.snapshots) == [2]
    pd.testing.assert_frame_equal(CadreModel(config, rng=5).run(3), by_keyword)
    # No seed at all: config.seed, every time.
    pd.testing.assert_frame_equal(CadreModel(config).run(3), CadreModel(config).run(3))
    assert CadreModel(config).seed == config.seed
    assert CadreModel(config, seed=None).seed == config.seed
    with pytest.raises(TypeError, match="both by position and by keyword"):
        CadreModel(config, 5, seed=6)


def test_rng_none_means_fresh_entropy_with_the_seed_recorded(config):
    a, b = CadreModel(config, rng=None), CadreModel(config, rng=None)
    assert a.seed != b.seed
    table = a.run(3)
    assert not table.equals(b.run(3))
    pd.testing.assert_frame_equal(CadreModel(config, seed=a.seed).run(3), table)


def test_seed_with_rng_none_uses_the_seed_and_both_set_is_an_error(config):
    assert CadreModel(config, seed=11, rng=None).seed == 11
    with pytest.raises(ValueError, match="either seed or rng"):
        CadreModel(config, seed=11, rng=12)
    with pytest.raises(ValueError, match=r"seed: got 1\.5"):
        CadreModel(config, seed=1.5)


def test_a_generator_as_rng_is_used_as_is(config):
    a = CadreModel(config, rng=np.random.default_rng(4)).run(2)
    b = CadreModel(config, rng=np.random.default_rng(4)).run(2)
    pd.testing.assert_frame_equal(a, b)


# ---- running, rows, collectors ----------------------------------------------------------------


def test_the_model_stops_after_config_steps(config):
    model = CadreModel(config, seed=1)
    while model.running:
        model.step()
    assert model.year == config.steps == 4
    # run() with an explicit count still runs on.
    assert len(model.run(2)) == 6


@mesa3_only
def test_mesas_step_counter_agrees_with_the_models_year(config):
    model = CadreModel(config, seed=1)
    model.run(3)
    assert model.steps == model.year == 3


def test_results_table_survives_a_replaced_datacollector(config):
    model = CadreModel(config, seed=2)
    model.datacollector = mesa.DataCollector(model_reporters={"inaction": lambda m: 0.0})
    table = model.run(3)
    assert list(table["step"]) == [1, 2, 3]
    assert list(table.columns) == ["step", "regime", *STEP_COLUMNS]
    assert len(model.datacollector.get_model_vars_dataframe()) == 3


def test_the_collector_records_regime_and_seed_but_no_second_step_column(config):
    model = CadreModel(config, seed=8)
    model.run(2)
    frame = model.datacollector.get_model_vars_dataframe()
    assert "step" not in frame.columns and "Step" not in frame.columns
    assert list(frame["seed"]) == [8, 8]
    np.testing.assert_array_equal(frame["inaction"], model.results_table()["inaction"])


def test_a_collector_first_used_mid_run_holds_every_step(config):
    """The DataCollector is made on first use, filled with the steps run before, then collects."""
    early = CadreModel(config, seed=9)
    collected = early.datacollector  # used from the start: collects every step
    early.run(3)
    late = CadreModel(config, seed=9)
    late.run(2)
    assert late.datacollector is late.datacollector
    late.run(1)
    pd.testing.assert_frame_equal(late.datacollector.get_model_vars_dataframe(),
                                  collected.get_model_vars_dataframe())
    assert late.datacollector._collection_steps == collected._collection_steps == [1, 2, 3]
    assert late.stats == early.stats and late.regime_label == early.regime_label


def test_results_table_and_history_hold_every_step_beyond_the_planned_length(config):
    model = CadreModel(config, seed=2)
    assert model.results_table().empty
    table = model.run(2 * config.steps + 1)  # the record grows past config.steps
    assert list(table["step"]) == list(range(1, 2 * config.steps + 2))
    assert table["step"].dtype == np.int64
    assert table[list(STEP_COLUMNS)].dtypes.eq(np.float64).all()
    assert [step for step, _, _ in model.history] == list(table["step"])
    _, regime, stats = model.history[-1]
    assert regime == model.regime_label and stats == model.stats
    assert list(table.iloc[-1][list(STEP_COLUMNS)]) == [stats[k] for k in STEP_COLUMNS]


# ---- Agent reporters --------------------------------------------------------------------------


def test_agent_reporters_are_off_by_default(config):
    model = CadreModel(config, seed=1)
    assert model.datacollector.agent_reporters == {}


def test_agent_reporters_give_person_slot_and_action_names(config):
    model = CadreModel(config, seed=4, agent_reporters=True, snapshot_steps=[4])
    model.run(4)
    frame = model.datacollector.get_agent_vars_dataframe()
    assert len(frame) == 4 * 100
    assert {"person", "slot", "rank", "ability", "motivation", "action"} <= set(frame.columns)
    assert set(frame["action"]) <= {"none", *ACTIONS}  # none: entrants, not yet chosen
    last = frame.xs(4, level="Step").set_index("slot").sort_index()
    snap = model.snapshots[4]
    np.testing.assert_array_equal(last["person"], snap["person"])
    np.testing.assert_array_equal(last["action"], snap["action_name"].astype(str))
    np.testing.assert_allclose(last["ability"], snap["ability"])
    # Keyed by person: a panel over people, even where a slot changed hands.
    panel = frame.reset_index().set_index(["Step", "person"])
    assert panel.index.is_unique


def test_slots_change_hands_so_people_and_slots_differ():
    model = CadreModel(load_config(None, {"organisation.n_cadres": 100}), seed=1,
                       agent_reporters=["record"])
    model.run(12)
    frame = model.datacollector.get_agent_vars_dataframe()
    assert set(frame.columns) == {"person", "slot", "record"}
    assert (frame["person"] != frame["slot"]).any()


def test_unknown_agent_fields_are_refused(config):
    with pytest.raises(ValueError, match="unknown field 'wealth'"):
        CadreModel(config, agent_reporters=["wealth"])


# ---- mesa.batch_run ---------------------------------------------------------------------------


@mesa3_only
def test_batch_run_replicates_with_rng_none_differ_and_record_their_seeds(config):
    rows = outcomes(mesa.batch_run(CadreModel, {"config": [config]}, rng=[None] * 5,
                                   display_progress=False))
    assert len(rows) == 5
    assert set(rows["Step"]) == {config.steps}
    assert rows["seed"].nunique() == 5
    assert rows["inaction"].nunique() > 1 or rows["mean_ability"].nunique() == 5
    first = rows.iloc[0]
    again = CadreModel(config, seed=int(first["seed"])).run(config.steps).iloc[-1]
    assert again["mean_ability"] == first["mean_ability"]


@mesa3_only
def test_batch_run_with_seed_as_a_parameter_runs_each_seed(config):
    rows = outcomes(mesa.batch_run(CadreModel, {"config": [config], "seed": [1, 2, 3]},
                                   display_progress=False))
    assert list(rows["seed"]) == [1, 2, 3]
    assert rows["mean_ability"].nunique() == 3
    expected = CadreModel(config, seed=2).run(config.steps).iloc[-1]
    assert rows.loc[rows["seed"] == 2, "mean_ability"].item() == expected["mean_ability"]


@mesa3_only
@pytest.mark.parametrize("lever", ["regime.support.burden", "regime__support__burden"])
def test_batch_run_varies_a_lever_by_name_with_replicates(lever):
    parameters = {"preset": "default", "organisation__n_cadres": 200, "steps": 5,
                  lever: [0.0, 3.0]}
    rows = outcomes(mesa.batch_run(CadreModel, parameters, rng=[1, 2, 3],
                                   display_progress=False))
    assert len(rows) == 6
    assert set(rows["Step"]) == {5}
    assert "step" not in rows.columns
    by_lever = rows.groupby(lever)
    assert (by_lever.size() == 3).all()
    assert (by_lever["seed"].apply(sorted).map(tuple) == (1, 2, 3)).all()
    # Same seeds, different lever: different runs; a heavier burden means more lying flat.
    inaction = rows.pivot(index="seed", columns=lever, values="inaction")
    assert (inaction[3.0] > inaction[0.0]).all()


@mesa3_only
def test_batch_run_collects_agent_rows_with_action_names(config):
    rows = outcomes(mesa.batch_run(CadreModel, {"config": [config], "agent_reporters": True},
                                   rng=[7], display_progress=False))
    assert len(rows) == 100
    assert {"AgentID", "person", "slot", "action"} <= set(rows.columns)
    assert set(rows["action"]) <= {"none", *ACTIONS}
