"""Avoidance sees initiative withheld for any of the three causes (docs/ODD.md 8.1).

The properties the definition must have: a regime under which nobody takes on hard tasks cannot
score low on inaction, whatever keeps them from it; a population with no reason to hold back
shows no avoidance; the forms add up to the headline and the causes to the forms, exactly; and
the reasons cadres give cover avoiders too.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import CadreModel, load_config
from simulation import formulas as f
from simulation.decision import ACTIVE, AVOIDANCE, account_inaction, choose, counterfactual
from simulation.records import DecisionInputs
from simulation.tasks import reference_levels
from tests.helpers import hand_set_behaviour

N_CADRES = 600
STEPS = 15
BURN_IN = 5

#: Lying flat is caught for sure, so a cadre who will not take on the hard task does safe work.
CAUGHT = {"regime.accountability.annual_evaluation": 1.0}

#: Four ways to keep everyone from the hard task, one cause at a time (plus the issue's extreme).
HELD_BACK = {
    # Certain detection and a harsh ladder: fear.
    "certain detection, harsh ladder": {
        **CAUGHT,
        "regime.accountability.warning_cost": 5.0,
        "regime.accountability.demotion_cost": 10.0,
        "regime.accountability.removal_cost": 20.0,
        "regime.accountability.generalised_accountability": 1.0,
        "regime.fault_tolerance.tolerance": 0.0,
    },
    # Promotion ignores performance and nobody believes otherwise: no reward.
    "no reward for performance": {
        **CAUGHT,
        "regime.promotion.performance_weight": 0.0,
        "learning.prior_promote": 0.0,
    },
    # A service of cadres far below 'able enough': inability.
    "unable service": {**CAUGHT, "population.ability_mean": 0.15},
    # A service of cadres far below 'motivated enough': unwillingness.
    "unmotivated service": {**CAUGHT, "population.motivation_mean": 0.1},
}


#: The hand-set behaviour (before calibration: noise 0.05, effort cost 0.5, prize 5, ...). A
#: regime keeps *everyone* from the hard task only where the hard task is dear and choices
#: follow incentives; at the calibrated parameters effort is so cheap that 10-29% of cadres
#: take it on under each of these regimes (measured 7 December 2026, at temperature 0.05).
HAND_SET = hand_set_behaviour()


def _means(overrides: dict, seed: int = 3) -> dict[str, float]:
    config = load_config(overrides={"organisation.n_cadres": N_CADRES, **HAND_SET, **overrides})
    table = CadreModel(config, seed=seed).run(STEPS)
    return table.iloc[BURN_IN:].mean(numeric_only=True).to_dict()


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(HELD_BACK))
def test_a_regime_under_which_nobody_takes_on_hard_tasks_cannot_score_low(case):
    """Whatever keeps cadres from the hard task, their safe work counts as withheld initiative:
    with bold work under 5% of cadres, inaction is at least a third of all cadres, and most of
    it is avoidance (lying flat is caught)."""
    s = _means(HELD_BACK[case])
    assert s["bold"] < 0.05, s
    assert s["inaction"] >= 1 / 3, s
    assert s["avoidance"] >= 0.25, s


@pytest.mark.slow
def test_killing_initiative_by_fear_no_longer_beats_the_comprehensive_package():
    """The issue's measurement: strict accountability ranked first on inaction with a thirtieth
    of the package's bold work. Now the regime that kills initiative scores worse."""
    strict = _means(HELD_BACK["certain detection, harsh ladder"])
    package = load_config("comprehensive_package",
                          overrides={"organisation.n_cadres": N_CADRES, **HAND_SET})
    comprehensive = CadreModel(package, seed=3).run(STEPS).iloc[BURN_IN:].mean(
        numeric_only=True)
    assert comprehensive["bold"] > 10 * strict["bold"]
    assert strict["inaction"] > comprehensive["inaction"] + 0.1
    # The version-2 headline (lying flat + formalism + fear-only avoidance; the first two are
    # about 0 here) still ranks it the other way: fear alone sees too little.
    assert strict["avoidance_fear"] < comprehensive["inaction"]


def _unhindered(data, n: int, behaviour, regime) -> DecisionInputs:
    """Cadres at or above every reference level, believing in no sanction for acting."""
    refs = reference_levels(behaviour, regime)
    draw = lambda low: np.array(data.draw(st.lists(  # noqa: E731 - a local shorthand
        st.floats(low, 1.0), min_size=n, max_size=n)))
    return DecisionInputs(
        motivation=draw(refs.motivated),
        ability=draw(refs.able),
        risk_aversion=draw(0.0) * 3,
        violation_prone=np.zeros(n, dtype=np.bool_),
        visibility=draw(0.0) * 2,
        career=np.ones(n),
        belief_punish=np.zeros(n),
        belief_detect=draw(0.0),
        belief_promote=draw(refs.rewarded),
        belief_accuse=np.zeros(n),
        belief_detect_formal=draw(0.0),
        belief_punish_routine=np.zeros(n),
        sanction_cost=draw(0.0) * 5,
    )


@settings(max_examples=40, deadline=None)
@given(data=st.data(), temperature=st.sampled_from([0.0, 0.05, 0.5]),
       seed=st.integers(0, 2**32 - 1))
def test_a_population_with_no_reason_to_hold_back_shows_no_avoidance(data, temperature, seed):
    """Motivated, rewarded and able enough, with no perceived sanction for acting (and routine
    mishaps not punished): lifting any cause changes nothing, so no routine work is withheld
    initiative, whatever the cadres' tastes."""
    config = load_config(overrides={
        "behaviour.temperature": temperature,
        "regime.accountability.generalised_accountability": 0.0,
    })
    n = 30
    x = _unhindered(data, n, config.behaviour, config.regime)
    taste = np.random.default_rng(seed).gumbel(size=(n, 4))
    action = choose(x, config, config.regime, taste)
    result = account_inaction(x, action, taste, config, config.regime)
    assert not np.any(result.form == AVOIDANCE)
    assert result.fear_only == 0
    # Whatever inaction remains (lying flat, formal work) is the cadres' own taste: unwilling.
    inactive = np.count_nonzero(result.form != ACTIVE)
    assert result.causes[0] == pytest.approx(inactive)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), case=st.sampled_from(sorted(HELD_BACK)))
def test_forms_add_up_to_the_headline_and_causes_and_reasons_to_the_forms(seed, case):
    config = load_config(overrides={"organisation.n_cadres": 200, **HELD_BACK[case]})
    model = CadreModel(config, seed=seed)
    model.step()
    s = model.stats
    forms = s["lying_flat"] + s["formalism"] + s["avoidance"]
    assert forms == pytest.approx(s["inaction"], abs=1e-12)
    assert s["unwilling"] + s["unable"] + s["afraid"] == pytest.approx(forms, abs=1e-12)
    reasons = s["reason_unwilling"] + s["reason_unable"] + s["reason_afraid"]
    assert reasons == pytest.approx(forms, abs=1e-12)
    assert s["avoidance"] <= s["routine"] + 1e-12
    assert s["avoidance_fear"] <= s["avoidance"] + 1e-12


def test_the_reasons_cover_avoiders_too():
    """A service of routine workers held back from the hard task (lying flat caught, no formal
    credit): every avoider names a reason, so the survey emulator's shares cover them."""
    config = load_config(overrides={
        "organisation.n_cadres": 400,
        **HELD_BACK["certain detection, harsh ladder"],
        "behaviour.formal_visibility": 0.0,
    })
    model = CadreModel(config, seed=5)
    model.step()
    s = model.stats
    assert s["avoidance"] > 0.3, s
    reasons = s["reason_unwilling"] + s["reason_unable"] + s["reason_afraid"]
    assert reasons == pytest.approx(s["inaction"], abs=1e-12)
    assert reasons > s["lying_flat"] + s["formalism"] + 0.3  # avoiders name reasons too


def test_a_cadre_held_back_by_several_causes_at_once_is_an_avoider():
    """Motivated but unrewarded, unable and afraid, in safe work: lifting fear alone would not
    turn it bold (the version-2 figure missed it), lifting all three does. It is an avoider,
    and the split shares its one unit of inaction among the causes, not to fear alone."""
    config = load_config(overrides={"behaviour.temperature": 0.0})
    b, regime = config.behaviour, config.regime
    refs = reference_levels(b, regime)
    x = DecisionInputs(
        motivation=np.array([0.9]), ability=np.array([0.1]), risk_aversion=np.array([1.0]),
        violation_prone=np.array([False]), visibility=np.array([1.0]), career=np.array([0.0]),
        belief_punish=np.array([1.0]), belief_detect=np.array([1.0]),
        belief_promote=np.array([0.0]), belief_accuse=np.array([0.3]),
        belief_detect_formal=np.array([regime.evaluation.formalism_detection]),
        belief_punish_routine=np.array([regime.accountability.generalised_accountability]),
        sanction_cost=np.array([4.0]),
    )
    taste = np.zeros((1, 4))
    action = choose(x, config, regime, taste)
    assert action[0] == f.ROUTINE
    result = account_inaction(x, action, taste, config, regime)
    assert result.form[0] == AVOIDANCE
    assert result.fear_only == 0
    assert result.causes.sum() == pytest.approx(1.0)
    assert result.causes[2] < 1.0 and result.causes[:2].sum() > 0
    lifted = choose(counterfactual(x, 7, refs), config, regime, taste)
    assert lifted[0] == f.BOLD
