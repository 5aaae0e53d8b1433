"""The compiled decide phase (simulation/kernels/decide.py) gives the NumPy path's results exactly.

Equality is exact (``np.array_equal``, ``==``), never close: the kernel evaluates every
floating-point expression in the NumPy code's order and leaves NumPy's ``exp``, ``pow`` and the
sum of the causes to NumPy, so on one machine the two paths agree bit for bit. The pieces are
pinned to the formulas they restate (``formulas.taste_choice``, ``formulas.shapley_three``,
``decision.utility_parts`` under ``decision.counterfactual``, ``decision.career_weights``), then
the whole phase and whole runs to the NumPy path, over the presets, temperature 0, extreme and
Hypothesis-drawn parameters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import CadreModel, decision, kernels, list_presets, load_config
from simulation import formulas as f
from simulation.decision import (
    DecisionInputs,
    account_inaction,
    career_weights,
    choose,
    counterfactual,
    decision_inputs,
    reference_levels,
    utility_parts,
)
from simulation.loading import field_info
from simulation.records import ACTIVE
from simulation.survey import survey_answers

kd = pytest.importorskip("simulation.kernels.decide")

PRESETS = sorted(list_presets())
EXAMPLES = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
PART_NAMES = ("benefit", "cost", "sanction", "gain")  # rows of the kernel's parts, in order

# --------------------------------------------------------------------------------------------
# Inputs: configs, cadre states, decision inputs
# --------------------------------------------------------------------------------------------

#: Fields that enter the decide phase (utilities, reference levels, career weights).
DECIDE_FIELDS = [
    *(f"behaviour.{name}" for name in (
        "temperature", "output_formal", "output_routine", "output_bold", "formal_visibility",
        "bold_difficulty", "bold_spread", "routine_failure_rate", "intrinsic_value",
        "promotion_prize", "effort_cost", "ability_cost_slope", "future_discount",
        "violation_gain", "violation_exposure", "care_cost_relief",
        "safe_work_accusation_ratio", "motivated_enough_cover", "able_enough_success")),
    "regime.evaluation.precision", "regime.evaluation.formalism_detection",
    "regime.support.care", "regime.support.burden", "regime.support.policy_volatility",
    "regime.accountability.warning_cost", "regime.accountability.demotion_cost",
    "regime.accountability.removal_cost", "regime.accountability.generalised_accountability",
    "regime.fault_tolerance.tolerance", "regime.fault_tolerance.precision",
    "regime.promotion.min_tenure", "regime.promotion.age_ceiling",
    "regime.promotion.self_recommendation", "regime.promotion.self_recommendation_ability",
]


def allowed(path: str) -> st.SearchStrategy:
    """Values of a config field over its whole declared range, ends included."""
    info = field_info(path)
    low = next(m.ge for m in info.metadata if hasattr(m, "ge"))
    high = next(m.le for m in info.metadata if hasattr(m, "le"))
    if info.annotation is int:
        return st.integers(int(low), int(high))
    # Round values often: exact ties between utilities then happen.
    levels = [v for v in (0.0, 0.25, 0.5, 1.0, 2.0) if low <= v <= high]
    return st.sampled_from([low, high, *levels]) | st.floats(low, high)


@st.composite
def decide_configs(draw):
    """A valid config with every decide-phase parameter drawn from its allowed range."""
    overrides = {path: draw(allowed(path)) for path in DECIDE_FIELDS}
    efforts = sorted(draw(st.lists(allowed("behaviour.effort_bold"), min_size=3, max_size=3)))
    overrides |= dict(zip(("behaviour.effort_formal", "behaviour.effort_routine",
                           "behaviour.effort_bold"), efforts, strict=True))
    if draw(st.booleans()):
        overrides["behaviour.temperature"] = 0.0
    return load_config(overrides=overrides | {"organisation.n_cadres": 60})


def random_inputs(seed: int, n: int, coarse: bool) -> DecisionInputs:
    """Decision inputs over their ranges, or (``coarse``) from a few levels each.

    Coarse inputs make many cadres alike, so that utilities tie (taste breaks ties at
    temperature 0).
    """
    rng = np.random.default_rng(seed)

    def unit() -> np.ndarray:
        return rng.choice([0.0, 0.25, 0.5, 1.0], n) if coarse else rng.uniform(0.0, 1.0, n)

    return DecisionInputs(
        motivation=unit(), ability=unit(), risk_aversion=3.0 * unit(),
        violation_prone=rng.random(n) < 0.3, visibility=2.0 * unit(), career=unit(),
        belief_punish=unit(), belief_detect=unit(), belief_promote=2.0 * unit() - 1.0,
        belief_accuse=unit(), belief_detect_formal=unit(), belief_punish_routine=unit(),
        sanction_cost=rng.choice([0.0, 1.0, 4.0, 50.0], n),
    )


def model_inputs(config, seed: int, years: int) -> list[tuple]:
    """(regime, inputs, taste) at the start of each of a NumPy-path run's first ``years`` years."""
    found = []
    with kernels.using("numpy"):
        model = CadreModel(config, seed=seed)
        for _ in range(years):
            x = decision_inputs(model.cadres, config, model.regime)
            taste = model.streams.taste(model.year + 1, model.cadres.n)
            found.append((model.regime, x, taste))
            model.step()
    return found


# --------------------------------------------------------------------------------------------
# The pieces, pinned to the formulas they restate
# --------------------------------------------------------------------------------------------

edge_values = st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, np.inf, -np.inf, np.nan])


@EXAMPLES
@given(st.lists(edge_values | st.floats(allow_nan=True), min_size=1, max_size=6))
def test_first_argmax_is_numpys_argmax(values):
    array = np.array(values, dtype=np.float64)
    assert kd.first_argmax(array, array.size) == np.argmax(array)


@EXAMPLES
@given(seed=st.integers(0, 2**32 - 1), temperature=st.sampled_from([0.0, 0.05, 1.0, 10.0]),
       coarse=st.booleans())
def test_taste_choice_is_the_formula(seed, temperature, coarse):
    """Including ties (taste breaks them at temperature 0), infinities and NaN."""
    rng = np.random.default_rng(seed)
    n = 50
    levels = [0.0, 0.5, 1.0, np.inf, -np.inf, np.nan]
    utility = rng.choice(levels, (n, 4)) if coarse else rng.normal(size=(n, 4))
    taste = rng.gumbel(size=(n, 4))
    expected = f.taste_choice(utility, taste, temperature)
    parts = np.zeros((8, 4, 4))
    scratch = np.empty(4)
    for i in range(n):
        parts[3, kd.BENEFIT] = utility[i]  # the total of (u, 0, 0, 0) is u
        assert kd.taste_choice(parts, 3, taste, i, temperature, scratch) == expected[i]


def test_shapley_split_is_the_formula_for_every_pattern_of_inaction():
    patterns = ((np.arange(256)[:, None] >> np.arange(8)) & 1).astype(np.float64)
    gains = np.vstack([patterns, np.random.default_rng(5).normal(size=(200, 8))])
    expected = f.shapley_three(gains)
    got = np.empty_like(expected)
    for row, gain in enumerate(gains):
        kd.shapley_three(gain, got, row)
    assert np.array_equal(got, expected)


def assert_parts_match(x: DecisionInputs, config, regime) -> None:
    """Every cadre's kernel utility parts under every coalition equal decision.utility_parts."""
    b = config.behaviour
    t = kd.terms(b, regime)
    assert (t.motivated, t.able, t.rewarded) == reference_levels(b, regime)
    inputs = kd.inputs(x, b, t.able)
    parts = np.empty((8, 4, 4))
    for coalition in range(8):
        refs = reference_levels(b, regime)
        expected = utility_parts(counterfactual(x, coalition, refs), b, regime)
        got = np.empty((4, 4, x.ability.size))
        for i in range(x.ability.size):
            kd.cadre_parts(parts, coalition, i, inputs, t)
            got[..., i] = parts[coalition]
        for row, name in enumerate(PART_NAMES):
            assert np.array_equal(got[row], getattr(expected, name)), (coalition, name)


@pytest.mark.parametrize("name", PRESETS)
def test_utility_parts_are_decisions_under_every_coalition_for_each_preset(name):
    config = load_config(name, overrides={"organisation.n_cadres": 60})
    for regime, x, _ in model_inputs(config, seed=4, years=3):
        assert_parts_match(x, config, regime)


@EXAMPLES
@given(config=decide_configs(), seed=st.integers(0, 2**32 - 1), coarse=st.booleans())
def test_utility_parts_are_decisions_for_any_parameters(config, seed, coarse):
    assert_parts_match(random_inputs(seed, 40, coarse), config, config.regime)


@EXAMPLES
@given(config=decide_configs(), seed=st.integers(0, 2**32 - 1))
def test_career_weights_are_decisions_for_any_rules_and_state(config, seed):
    rng = np.random.default_rng(seed)
    model = CadreModel(config, seed=1)
    c, n = model.cadres, model.cadres.n
    top = config.organisation.n_ranks - 1
    c.rank[:] = rng.integers(0, top + 1, n)
    c.years_in_rank[:] = rng.integers(0, 25, n)
    c.age[:] = rng.integers(20, 70, n)
    c.fast_track[:] = rng.random(n) < 0.3
    c.sanction_years[:] = rng.choice([0, 0, 1, 3], n)
    c.probation_years[:] = rng.choice([0, 0, 0, 2], n)
    c.ability[:] = rng.choice([0.0, 0.5, 1.0], n) if seed % 2 else rng.uniform(0, 1, n)
    with kernels.using("numpy"):
        expected = career_weights(c, config, config.regime)
    assert np.array_equal(kd.career_weights(c, config, config.regime), expected)


@EXAMPLES
@given(config=decide_configs(), seed=st.integers(0, 2**32 - 1))
def test_sanction_costs_are_decisions_for_any_rules_and_state(config, seed):
    rng = np.random.default_rng(seed)
    model = CadreModel(config, seed=1)
    c, n = model.cadres, model.cadres.n
    c.rank[:] = rng.integers(0, config.organisation.n_ranks, n)
    c.age[:] = rng.integers(15, 80, n)  # past retirement and the age ceiling too
    c.strikes[:] = rng.integers(0, 5, n)
    for name in ("belief_warning_cost", "belief_demotion_cost", "belief_removal_cost"):
        getattr(c, name)[:] = rng.choice([0.0, 0.5, 3.0], n) if seed % 2 else rng.uniform(0, 9, n)
    stakes = decision.regime_stakes(config.organisation, config.population, config.behaviour,
                                    config.regime)
    expected = decision.sanctions_at(c, stakes)
    assert np.array_equal(kd.sanctions_at(c, stakes), expected)
    assert np.array_equal(decision.sanction_costs(c, config, config.regime, kd.sanctions_at),
                          expected)


@EXAMPLES
@given(config=decide_configs(), seed=st.integers(0, 2**32 - 1), coarse=st.booleans())
def test_effort_costs_are_decisions_for_any_parameters(config, seed, coarse):
    x = random_inputs(seed, 300, coarse)
    action = np.random.default_rng(seed).integers(0, 4, 300).astype(np.int8)
    b, regime = config.behaviour, config.regime
    assert np.array_equal(kd.effort_costs(x.ability, action, b, regime),
                          decision.effort_costs(x.ability, action, b, regime))


# --------------------------------------------------------------------------------------------
# The whole phase, against the NumPy path
# --------------------------------------------------------------------------------------------


def assert_decides_alike(x: DecisionInputs, config, regime, taste) -> None:
    """The kernel's actions, forms, causes, reasons, named causes and survey answers equal
    NumPy's."""
    with kernels.using("numpy"):
        action = choose(x, config, regime, taste)
        expected = account_inaction(x, action, taste, config, regime)
    got_action, got = kd.decide(x, config, regime, taste)
    assert got_action.dtype == action.dtype and np.array_equal(got_action, action)
    assert got.form.dtype == expected.form.dtype and np.array_equal(got.form, expected.form)
    assert got.form_counts is not None and np.array_equal(got.counts(), expected.counts())
    assert np.array_equal(got.causes, expected.causes), (got.causes, expected.causes)
    assert np.array_equal(got.reasons, expected.reasons), (got.reasons, expected.reasons)
    assert np.array_equal(got.named, expected.named), (got.named, expected.named)
    # The survey's answers, asked in the same pass, are the NumPy path's.
    assert got.answers == survey_answers(x, action, taste, config.behaviour, regime)


@pytest.mark.parametrize("name", PRESETS)
def test_decide_phase_matches_numpy_for_each_preset_over_the_years(name):
    config = load_config(name, overrides={"organisation.n_cadres": 500})
    for regime, x, taste in model_inputs(config, seed=7, years=6):
        assert_decides_alike(x, config, regime, taste)


EXTREMES = {
    "best response": {"behaviour.temperature": 0.0},
    "best response, everything free and worthless: all tie, taste decides": {
        "behaviour.temperature": 0.0, "behaviour.effort_cost": 0.0,
        "behaviour.intrinsic_value": 0.0, "behaviour.promotion_prize": 0.0,
        "behaviour.violation_gain": 0.0, "regime.accountability.warning_cost": 0.0,
        "regime.accountability.demotion_cost": 0.0, "regime.accountability.removal_cost": 0.0,
    },
    "hot": {"behaviour.temperature": 10.0},
    "harsh and feared": {
        "regime.accountability.warning_cost": 20.0, "regime.accountability.demotion_cost": 20.0,
        "regime.accountability.removal_cost": 50.0, "regime.supervision.clarification": 0.0,
        "regime.supervision.false_accusation_rate": 1.0,
        "regime.accountability.generalised_accountability": 1.0,
        "regime.fault_tolerance.tolerance": 0.0,
    },
    "all violation-prone, fully shielded": {
        "population.violation_prone_share": 1.0, "regime.fault_tolerance.tolerance": 1.0,
        "regime.fault_tolerance.precision": 0.0, "behaviour.violation_gain": 10.0,
    },
    "sharp bold threshold, steep costs": {
        "behaviour.bold_spread": 0.01, "behaviour.ability_cost_slope": 20.0,
        "behaviour.effort_cost": 10.0, "regime.support.burden": 3.0,
        "behaviour.able_enough_success": 0.99, "behaviour.motivated_enough_cover": 5.0,
    },
    "career is everything": {
        "behaviour.promotion_prize": 20.0, "behaviour.future_discount": 1.0,
        "regime.promotion.min_tenure": 0, "behaviour.intrinsic_value": 0.0,
    },
    "self-recommendation, age ceiling, probation": {
        "regime.promotion.self_recommendation": 1.0, "regime.promotion.age_ceiling": 35,
        "regime.promotion.min_tenure": 20, "regime.promotion.probation_years": 5,
        "behaviour.future_discount": 0.0,
    },
}


@pytest.mark.parametrize("case", sorted(EXTREMES))
def test_decide_phase_matches_numpy_at_extreme_parameters(case):
    config = load_config(overrides={"organisation.n_cadres": 400, **EXTREMES[case]})
    for regime, x, taste in model_inputs(config, seed=3, years=4):
        assert_decides_alike(x, config, regime, taste)


@EXAMPLES
@given(config=decide_configs(), seed=st.integers(0, 2**32 - 1), coarse=st.booleans(),
       fear=st.sampled_from([1.0, 0.5, 0.0]))
def test_decide_phase_matches_numpy_for_any_parameters_and_inputs(config, seed, coarse, fear):
    n = 200
    x = random_inputs(seed, n, coarse).with_(fear=fear)
    taste = np.random.default_rng(seed + 1).gumbel(size=(n, 4))
    assert_decides_alike(x, config, config.regime, taste)


@pytest.mark.parametrize("seed", [0, 1])
def test_causes_summed_over_many_cadres_are_numpys_sums(seed):
    # The kernel adds the inactive cadres' shares one after another, as NumPy's sum over the
    # rows of the (m, 3) shares does; with thousands of shares in sixths, thirds and halves a
    # pairwise or otherwise reordered sum would round differently.
    config = load_config(overrides={"organisation.n_cadres": 50})
    n = 30_000
    x = random_inputs(seed, n, coarse=False)
    taste = np.random.default_rng(seed + 1).gumbel(size=(n, 4))
    _, inaction = kd.decide(x, config, config.regime, taste)
    assert np.count_nonzero(inaction.form != ACTIVE) > 10_000
    assert_decides_alike(x, config, config.regime, taste)


def test_no_inactive_cadre_gives_zero_causes_and_reasons():
    config = load_config(overrides={"organisation.n_cadres": 50})
    x = random_inputs(2, 50, coarse=False)
    taste = np.zeros((50, 4))
    taste[:, f.BOLD] = 1e6  # everyone's taste for bold work outweighs all else
    action, _ = kd.decide(x, config, config.regime, taste)
    assert (action == f.BOLD).all()
    assert_decides_alike(x, config, config.regime, taste)


def test_main_reason_breaks_a_tie_between_routine_and_bold_work_as_numpy_does():
    # Routine and bold work are worth exactly -0.25 to an idle cadre; lying flat is worth 0.
    # Against bold work its reason is the missing benefit (unwilling); against routine work it
    # would be the sanction risk (afraid). The NumPy path takes bold work on a tie.
    config = load_config(overrides={
        "behaviour.temperature": 0.0, "behaviour.intrinsic_value": 1.0,
        "behaviour.promotion_prize": 0.0, "behaviour.output_formal": 0.0,
        "behaviour.output_routine": 1.0, "behaviour.output_bold": 0.0,
        "behaviour.effort_formal": 0.5, "behaviour.effort_routine": 0.5,
        "behaviour.effort_bold": 0.5, "behaviour.effort_cost": 1.0,
        "behaviour.ability_cost_slope": 0.0, "behaviour.routine_failure_rate": 0.5,
        "behaviour.violation_exposure": 0.0, "regime.support.care": 0.0,
        "regime.support.burden": 0.0, "regime.accountability.generalised_accountability": 0.5,
    })
    n = 5
    zeros, ones = np.zeros(n), np.ones(n)
    x = DecisionInputs(
        motivation=np.full(n, 0.25), ability=ones, risk_aversion=zeros,
        violation_prone=np.zeros(n, dtype=np.bool_), visibility=ones, career=zeros,
        belief_punish=zeros, belief_detect=zeros, belief_promote=zeros, belief_accuse=zeros,
        belief_detect_formal=zeros, belief_punish_routine=np.full(n, 0.5), sanction_cost=ones,
    )
    u = decision.utilities(x, config.behaviour, config.regime)
    assert (u == [0.0, -0.25, -0.25, -0.25]).all()
    taste = np.random.default_rng(0).gumbel(size=(n, 4))
    action, inaction = kd.decide(x, config, config.regime, taste)
    assert (action == f.IDLE).all()
    assert inaction.reasons.tolist() == [n, 0, 0]
    assert_decides_alike(x, config, config.regime, taste)


# --------------------------------------------------------------------------------------------
# Dispatch and whole runs
# --------------------------------------------------------------------------------------------


def test_compiled_backend_runs_the_kernels_and_numpy_backend_does_not(monkeypatch):
    calls = []
    for name in ("decide_cadres", "career_weights_of"):
        kernel = getattr(kd, name)
        monkeypatch.setattr(kd, name, lambda *a, _k=kernel, _n=name: calls.append(_n) or _k(*a))
    config = load_config(overrides={"organisation.n_cadres": 50})
    with kernels.using("numpy"):
        CadreModel(config, seed=1).step()
    assert calls == []
    with kernels.using("numba"):
        CadreModel(config, seed=1).step()
    assert sorted(set(calls)) == ["career_weights_of", "decide_cadres"]


RUNS = [
    ("default", 1, {}),
    ("strict_accountability", 2, {"behaviour.temperature": 0.0}),
    ("nanyang_self_recommendation", 3, {}),
    ("seniority_baseline", 4, {"switch.step": 4, "switch.preset": "comprehensive_package"}),
]


@pytest.mark.parametrize(("name", "seed", "overrides"), RUNS)
def test_whole_runs_give_identical_tables_with_either_backend(name, seed, overrides):
    source = None if name == "default" else name
    config = load_config(source, overrides={"organisation.n_cadres": 300, **overrides})
    tables = {}
    for backend in kernels.BACKENDS:
        with kernels.using(backend):
            tables[backend] = CadreModel(config, seed=seed).run(12)
    pd.testing.assert_frame_equal(tables["numba"], tables["numpy"], check_exact=True)
