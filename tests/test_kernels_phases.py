"""The compiled kernels of phases 2-6 and the step's statistics equal the NumPy path bit for bit.

Each case runs one step on two copies of the same state, one under ``kernels.using("numba")``
and one under ``using("numpy")``, keeps every phase's output and the cadres' arrays right after
it, and asserts them equal (``np.array_equal``, same dtypes; NaN equals NaN), phase by phase, over
the presets, extreme parameters and Hypothesis-drawn configs. Whole runs must give equal results
tables and final arrays. The kernels' twins of pure formulas and their NumPy-order sums are
pinned to the NumPy functions they mirror.
"""

from __future__ import annotations

import copy
import dataclasses
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import CadreModel, kernels, load_config
from simulation import formulas as f
from simulation import step as step_module
from simulation.kernels import reductions, scalar
from simulation.kernels.promotion import promotion_score, standardise
from simulation.kernels.statistics import rank_ability_correlation
from simulation.loading import config_with_overrides, field_info, known_paths
from tests.strategies import allowed_floats, configs

PRESETS = sorted(p.stem for p in (Path(__file__).parent.parent / "configs" / "regimes").glob(
    "*.yaml"))
#: The step's phases (functions of simulation.step) whose outputs are compared, in step order.
PHASES = {
    "outcomes": "produce",
    "accountability": "review",
    "promotion": "hold_tournament",
    "learning": "learn",
    "retirement": "age_one_year",
    "renewal": "renew",
    "statistics": "aggregates",
}
EXTREMES = {
    "everything_off": {
        "behaviour.temperature": 0.0, "regime.evaluation.noise_sd": 0.0,
        "regime.promotion.score_noise": 0.0, "regime.fault_tolerance.tolerance": 0.0,
        "regime.accountability.annual_evaluation": 0.0, "regime.support.policy_volatility": 0.0,
        "regime.supervision.false_accusation_rate": 0.0, "learning.belief_rate": 0.0,
        "learning.own_weight": 0.0, "learning.statistic_pseudocount": 0.0,
        "regime.promotion.record_memory": 0.0, "population.risk_aversion_sd": 0.0,
    },
    "everything_on": {
        "regime.fault_tolerance.tolerance": 1.0, "regime.fault_tolerance.precision": 0.0,
        "regime.fault_tolerance.reuse_disciplined": 1.0,
        "regime.accountability.annual_evaluation": 1.0,
        "regime.accountability.dual_investigation": 1.0,
        "regime.accountability.generalised_accountability": 1.0,
        "regime.accountability.sanction_years": 20, "regime.accountability.strike_expiry": 1,
        "regime.supervision.false_accusation_rate": 1.0, "regime.supervision.clarification": 1.0,
        "regime.support.policy_volatility": 1.0, "regime.support.commendation": 0.2,
        "regime.support.training": 0.5, "regime.support.education": 0.5,
        "regime.support.care": 1.0, "regime.promotion.self_recommendation": 1.0,
        "regime.promotion.self_recommendation_ability": 0.0,
        "regime.promotion.fast_track_share": 0.5, "regime.promotion.front_line_quota": 1.0,
        "regime.promotion.probation_years": 5, "regime.promotion.probation_min_performance": 5.0,
        "regime.promotion.age_ceiling": 45, "regime.promotion.min_tenure": 0,
        "population.violation_prone_share": 1.0, "learning.own_weight": 100.0,
        "learning.belief_rate": 1.0, "learning.conformity": 1.0, "learning.skill_decay": 1.0,
        "learning.experience_gain": 1.0, "learning.role_model_boost": 1.0,
        "learning.recognition_boost": 1.0, "learning.unfairness_penalty": 1.0,
        "learning.passed_over_penalty": 1.0, "behaviour.routine_failure_rate": 0.5,
    },
    "perfect_evaluation": {
        "regime.evaluation.precision": 1.0, "regime.fault_tolerance.precision": 1.0,
        "regime.evaluation.formalism_detection": 1.0, "regime.promotion.performance_weight": 1.0,
        "regime.promotion.record_memory": 0.99, "behaviour.temperature": 10.0,
    },
    "one_unit_no_colleagues": {
        "organisation.n_cadres": 20, "organisation.unit_size": 20,
        "organisation.peers_in_unit": 0, "organisation.peers_cross_unit": 1,
        "organisation.n_ranks": 2,
    },
    "dense_network_many_ranks": {
        "organisation.n_cadres": 400, "organisation.unit_size": 60,
        "organisation.peers_in_unit": 50, "organisation.peers_cross_unit": 50,
        "organisation.n_ranks": 8, "organisation.pyramid_ratio": 0.95,
        "organisation.initial_fill": 0.5, "regime.accountability.dual_investigation": 0.5,
    },
    "short_careers": {
        "population.entry_age_min": 40, "population.entry_age_max": 50,
        "population.retirement_age": 51, "regime.promotion.probation_years": 2,
    },
}


def same(a, b, where: str = "") -> None:
    """Assert two phase outputs are identical: arrays equal with equal dtypes, NaN equal NaN."""
    if dataclasses.is_dataclass(a):
        a, b = vars(a), vars(b)
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, f"{where}: {a.dtype} != {b.dtype}"
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), where
    else:
        assert a == b or (a != a and b != b), f"{where}: {a!r} != {b!r}"


def arrays(cadres) -> dict[str, np.ndarray]:
    return {name: getattr(cadres, name).copy() for name in cadres.field_names()}


def step_by_phase(model: CadreModel, backend: str) -> dict[str, tuple]:
    """One step of ``model``'s state (left untouched): each phase's output and arrays after it."""
    cadres = copy.deepcopy(model.cadres)
    seen: dict[str, tuple] = {}

    def spy(phase: str, function):
        def wrapper(*args, **kwargs):
            result = function(*args, **kwargs)
            seen[phase] = (copy.deepcopy(result), arrays(cadres))
            return result
        return wrapper

    with ExitStack() as stack, kernels.using(backend):
        for phase, name in PHASES.items():
            original = getattr(step_module, name)
            stack.enter_context(mock.patch.object(step_module, name, spy(phase, original)))
        step_module.advance(cadres, model.config, model.regime, model.capacities,
                            model.streams, model.year + 1, model.next_person)
    assert seen.keys() == PHASES.keys()
    return seen


def assert_phases_agree(model: CadreModel) -> None:
    """Every phase of the next step gives the same output and state under both backends."""
    reference = step_by_phase(model, "numpy")
    compiled = step_by_phase(model, "numba")
    for phase in PHASES:  # in step order: the first phase to differ is the one named
        same(compiled[phase], reference[phase], phase)


def warmed(config, seed: int, steps: int) -> CadreModel:
    with kernels.using("numpy"):
        model = CadreModel(config, seed=seed)
        for _ in range(steps):
            model.step()
    return model


@pytest.mark.parametrize("preset", ["default", *PRESETS])
def test_every_phase_agrees_on_each_preset(preset):
    config = load_config(preset, {"organisation.n_cadres": 400})
    assert_phases_agree(warmed(config, seed=3, steps=4))


@pytest.mark.parametrize("case", sorted(EXTREMES))
def test_every_phase_agrees_at_extreme_parameters(case):
    overrides = {"organisation.n_cadres": 300, **EXTREMES[case]}
    config = load_config(None, overrides)
    for steps in (0, 3):
        assert_phases_agree(warmed(config, seed=11, steps=steps))


#: Float parameters the phases read, drawn anywhere in their ranges (efforts must stay ordered,
#: and only the decide phase reads them).
DRAWN_FLOATS = tuple(
    path for path in known_paths()
    if path.startswith(("learning.", "behaviour.", "regime.evaluation.", "regime.promotion.",
                        "regime.support.", "regime.supervision."))
    and field_info(path).annotation is float and ".effort_" not in path
)


@st.composite
def any_configs(draw):
    """test_invariants' configs (organisation, levers, switches) with DRAWN_FLOATS drawn too."""
    base = draw(configs())
    return config_with_overrides(base, {path: draw(allowed_floats(path)) for path in DRAWN_FLOATS})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=any_configs(), seed=st.integers(0, 2**32 - 1), steps=st.integers(0, 4))
def test_every_phase_agrees_on_drawn_configs(config, seed, steps):
    assert_phases_agree(warmed(config, seed, steps))


@pytest.mark.parametrize("overrides", [{}, *EXTREMES.values()], ids=["default", *EXTREMES])
def test_organisation_cases_agree_every_year(overrides):
    """The year's cases (phase 5's rule record and published cases), counted in one pass."""
    from simulation.kernels.learning import organisation_cases as compiled_cases
    from simulation.perceived import organisation_cases

    seen = []
    original = step_module.learn

    def spy(cadres, action, out, rev, *rest, **kwargs):
        seen.append((action.copy(), copy.deepcopy(out), copy.deepcopy(rev)))
        return original(cadres, action, out, rev, *rest, **kwargs)

    config = load_config(None, {"organisation.n_cadres": 300, **overrides})
    with kernels.using("numpy"), mock.patch.object(step_module, "learn", spy):
        CadreModel(config, seed=5).run(6)
    ratio = config.behaviour.safe_work_accusation_ratio
    for action, out, rev in seen:
        expected = organisation_cases(action, out, rev, ratio)
        got = compiled_cases(action, out, rev, ratio)
        assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_learning_reads_missing_and_infinite_promotion_statistics_as_numpy_does():
    """A unit with no statistic (NaN) is not updated; an infinite one counts as the largest."""
    from simulation.phases import compiled, reference

    seen = []
    original = step_module.learn

    def spy(*args, **kwargs):
        seen.append(copy.deepcopy(args[:7]))
        return original(*args, **kwargs)

    config = load_config(None, {"organisation.n_cadres": 300})
    with kernels.using("numpy"), mock.patch.object(step_module, "learn", spy):
        CadreModel(config, seed=2).run(3)
    cadres, action, out, rev, tour, config, regime = seen[-1]
    stat = tour.responsiveness.copy()
    stat[:4] = [np.nan, np.inf, -np.inf, 1e308]
    tour = dataclasses.replace(tour, responsiveness=stat)
    after = {}
    for name, table in (("numpy", reference), ("numba", compiled)):
        state = copy.deepcopy(cadres)
        with kernels.using(name):
            step_module.learn(state, action, out, rev, tour, config, regime, table())
        after[name] = arrays(state)
    same(after["numba"], after["numpy"], "cadres")


@pytest.mark.parametrize(("preset", "seed"), [
    ("default", 1), ("default", 2), ("strict_accountability", 5), ("comprehensive_package", 7),
    ("nanyang_self_recommendation", 9), ("guangdong_three_distinctions", 4),
])
def test_whole_runs_agree(preset, seed):
    """Results tables and final arrays of 12-year runs (a regime switch included) are equal."""
    overrides = {"organisation.n_cadres": 500}
    if seed == 2:
        overrides |= {"switch.step": 5, "switch.regime.fault_tolerance.tolerance": 0.7}
    config = load_config(preset, overrides)
    runs = {}
    for backend in ("numpy", "numba"):
        with kernels.using(backend):
            model = CadreModel(config, seed=seed)
            runs[backend] = (model.run(12), arrays(model.cadres))
    assert runs["numba"][0].equals(runs["numpy"][0])
    same(runs["numba"][1], runs["numpy"][1], "cadres")


#: Where each phase hands over to its compiled kernels (the wrappers the dispatch imports).
KERNEL_ENTRIES = (
    ("simulation.kernels.outcomes", "produce"),
    ("simulation.kernels.accountability", "judge"),
    ("simulation.kernels.promotion", "form_pool"),
    ("simulation.kernels.promotion", "publish"),
    ("simulation.kernels.learning", "learn"),
    ("simulation.kernels.demography", "age_one_year"),
    ("simulation.kernels.demography", "start_careers"),
    ("simulation.kernels.statistics", "tally"),
    ("simulation.kernels.statistics", "averages"),
)


@pytest.mark.parametrize(("backend", "calls"), [("numba", 1), ("numpy", 0)])
def test_kernels_run_only_on_the_compiled_path(backend, calls):
    model = warmed(load_config(None, {"organisation.n_cadres": 200}), seed=1, steps=1)
    with ExitStack() as stack:
        spies = []
        for module, name in KERNEL_ENTRIES:
            target = getattr(__import__(module, fromlist=[name]), name)
            spies.append(stack.enter_context(mock.patch(f"{module}.{name}", wraps=target)))
        with kernels.using(backend):
            model.step()
    assert [spy.call_count for spy in spies] == [calls] * len(KERNEL_ENTRIES)


# --------------------------------------------------------------------------------------------
# The kernels' twins of pure formulas, and sums in NumPy's order
# --------------------------------------------------------------------------------------------

unit_floats = st.floats(-2.0, 2.0, allow_nan=False)
any_floats = st.floats(allow_nan=True, allow_infinity=True)


@settings(max_examples=300, deadline=None)
@given(old=unit_floats, new=unit_floats, rate=unit_floats, events=st.floats(0, 200),
       exposure=st.floats(0, 200), evidence=st.floats(0, 200), memory=st.floats(0, 1),
       weight=st.floats(0, 1000))
def test_scalar_twins_equal_their_formulas(old, new, rate, events, exposure, evidence, memory,
                                           weight):
    assert scalar.smooth(old, new, rate) == f.smooth(old, new, rate)
    belief, kept = f.perceived_update(old, evidence, new, events, exposure, memory, weight)
    assert scalar.perceived_update(old, evidence, new, events, exposure, memory, weight) == (
        belief, kept)
    assert scalar.perceived_update(old, 0.0, new, 0.0, 0.0, memory, 0.0) == (old, 0.0)
    assert scalar.formal_credit(old, rate) == f.formal_credit(old, rate)


@settings(max_examples=300, deadline=None)
@given(a=any_floats, b=any_floats)
def test_scalar_clip_and_maximum_behave_as_numpy(a, b):
    same(np.float64(scalar.clip01(a)), np.clip(np.float64(a), 0.0, 1.0))
    same(np.float64(scalar.maximum(a, b)), np.maximum(np.float64(a), np.float64(b)))


def test_pairwise_sums_and_means_equal_numpy_at_every_length():
    rng = np.random.default_rng(0)
    for n in [*range(1, 1100), 4095, 8192, 8193, 100_003, 1_000_001]:
        values = rng.random(n) * 10.0 ** rng.uniform(-6, 6, n) * rng.choice([-1.0, 1.0], n)
        assert reductions.pairwise_sum(values, 0, n) == values.sum(), n
        assert reductions.mean(values) == values.mean(), n


def test_pairwise_sums_equal_numpy_row_means():
    """Entrants' beliefs are row means over peers: NumPy sums each row pairwise too."""
    rng = np.random.default_rng(1)
    for ties in range(1, 101):
        rows = rng.random((40, ties)) * 10.0 ** rng.uniform(-6, 6, (40, ties))
        mine = [reductions.pairwise_sum(row, 0, ties) / ties for row in rows]
        assert np.array_equal(mine, rows.mean(axis=1)), ties


def spread_values(rng: np.random.Generator, m: int, kind: str) -> np.ndarray:
    """Values of one of three kinds: all equal, a few repeated (ties), or all distinct."""
    if kind == "constant":
        return np.full(m, rng.normal())
    if kind == "ties":
        return rng.choice(rng.normal(size=3) * 100.0, m)
    return rng.normal(size=m) * 10.0 ** rng.uniform(-3, 3, m)


kinds = st.sampled_from(["constant", "ties", "distinct"])


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 400), n_groups=st.integers(1, 8),
       kinds=st.tuples(kinds, kinds), weight=st.floats(0.0, 1.0))
def test_within_group_scores_equal_the_formulas(seed, m, n_groups, kinds, weight):
    rng = np.random.default_rng(seed)
    record = spread_values(rng, m, kinds[0])
    seniority = np.abs(np.round(spread_values(rng, m, kinds[1])))
    noise = rng.normal(size=m)
    groups = rng.integers(0, n_groups, m).astype(np.intp)
    same(standardise(record, groups), f.standardise(record, groups))
    same(promotion_score(record, seniority, weight, noise, groups),
         f.promotion_score(record, seniority, weight, noise, groups=groups))


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 2000), kinds=st.tuples(kinds, kinds))
def test_meritocracy_equals_the_formula(seed, n, kinds):
    rng = np.random.default_rng(seed)
    rank = np.abs(np.round(spread_values(rng, n, kinds[0]))).clip(0, 7).astype(np.int8)
    ability = np.clip(spread_values(rng, n, kinds[1]), 0.0, 1.0)
    assert rank_ability_correlation(rank, ability) == f.rank_ability_correlation(rank, ability)


def test_kernel_caches_follow_every_source_file_of_the_model(tmp_path, monkeypatch):
    """A kernel's cache goes stale when any model file changes, not only the kernel's own."""
    from simulation.kernels import jit, learning

    locator = learning._learn._cache._impl.locator
    assert isinstance(locator, jit.PackageStamped)
    assert locator.get_source_stamp()[1] == jit.source_stamp()
    model, kernels_dir = tmp_path / "simulation", tmp_path / "simulation" / "kernels"
    kernels_dir.mkdir(parents=True)
    (model / "formulas.py").write_text("IDLE = 0\n")
    (kernels_dir / "learning.py").write_text("pass\n")
    monkeypatch.setattr(jit, "MODEL", model)
    monkeypatch.setattr(jit, "KERNELS", kernels_dir)
    before = jit.source_stamp.__wrapped__()
    (model / "formulas.py").write_text("IDLE = 1\n")
    assert jit.source_stamp.__wrapped__() != before
