"""Analytic limits of the decision rule (fast checks, exact within numerical tolerance).

Each check calls the model's own code (``simulation.formulas.logit_probabilities``,
``simulation.decision.utilities``, ``decision.choose``) on constructed inputs and compares it
with a closed form written out here from the model description (docs/ODD.md, section 7.1), not
taken from the code. Modules are referenced through their namespace (``decision.utilities``)
so that a test can substitute a broken version and see the check fail.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from experiments.validation import figures
from experiments.validation.core import Check, Condition, Outcome
from experiments.validation.tools import fmt
from simulation import CadreModel, ModelConfig
from simulation import decision as decision
from simulation import formulas as formulas
from simulation.config import Behaviour, Regime
from simulation.decision import DecisionInputs
from simulation.formulas import BOLD, FORMAL, IDLE, ROUTINE

from . import tools

#: Seed of the populations and random draws used by the analytic checks.
SEED = 20261201
TOL = 1e-9  # tolerance on thresholds found by bisection


def _sci(x: float) -> str:
    return f"{x:.1e}"


def _err(x: float) -> str:
    """A numerical error, as reported.

    A numerical error: below 1e-13 only the bound is reported (the last bits of floating point vary
    with the CPU's vectorised exp and the NumPy build).
    """
    return "< 1e-13" if x < 1e-13 else f"= {x:.1e}"


def _population_inputs(overrides: dict | None = None, years: int = 0):
    """Decision inputs of a population drawn as the model draws it.

    Decision inputs of a population drawn as the model draws it (1000 cadres, initial state unless
    ``years`` are run first; the initial state keeps the check independent of how the platform
    rounds the model's dynamics).
    """
    cfg = tools.config(overrides)
    model = CadreModel(cfg, seed=SEED)
    model.run(years)
    return cfg, model.regime, decision.decision_inputs(model.cadres, cfg, model.regime)


# --------------------------------------------------------------------------------------------
# 1. Logit choice probabilities against the closed form
# --------------------------------------------------------------------------------------------

TEMPERATURES = (0.05, 0.15, 1.0, 10.0)


def _closed_form_logit(u: NDArray, temperature: float) -> NDArray:
    """exp(U_k / T) / sum_j exp(U_j / T), directly (valid while |U / T| < 700)."""
    e = np.exp(u / temperature)
    return e / e.sum(axis=1, keepdims=True)


def run_logit() -> Outcome:
    """Measure the ``logit_closed_form`` check (criterion and source: its Check)."""
    rng = np.random.default_rng(SEED)
    u = rng.uniform(-5.0, 5.0, size=(2000, 4))
    errors = [
        float(np.abs(formulas.logit_probabilities(u, t) - _closed_form_logit(u, t)).max())
        for t in TEMPERATURES
    ]
    # Through the model: decision.choose picks the best of utility + T x taste (Gumbel draws).
    cfg, regime, x = _population_inputs()
    t = cfg.behaviour.temperature
    u = decision.utilities(x, cfg.behaviour, regime)
    taste = rng.gumbel(size=u.shape)
    chosen = decision.choose(x, cfg, regime, taste)
    mismatches = int(np.count_nonzero(chosen != np.argmax(u + t * taste, axis=1)))
    probs = formulas.logit_probabilities(u, t)
    model_error = float(np.abs(probs - _closed_form_logit(u, t)).max())
    # Sampling: taste draws make each action as frequent as its logit probability.
    draws = 400_000
    k = int(np.argmax(probs.min(axis=1)))  # the cadre whose four actions are most balanced
    row = probs[k]
    picks = formulas.taste_choice(np.repeat(u[k][None, :], draws, axis=0),
                                  rng.gumbel(size=(draws, 4)), t)
    freq = np.bincount(picks, minlength=4) / draws
    z = float(np.max(np.abs(freq - row) / np.sqrt(row * (1 - row) / draws)))
    worst = max(errors)
    conditions = [
        Condition(
            f"formulas.logit_probabilities = closed form, 2000 random utility rows, T in "
            f"{list(TEMPERATURES)} (max abs error < 1e-12)",
            _err(worst), worst < 1e-12,
        ),
        Condition(
            f"on 1000 cadres at T = {t}: the logit of decision.utilities = closed form (max abs "
            "error < 1e-12), and decision.choose = argmax(U + T x taste) for every cadre",
            f"{_err(model_error)}; {mismatches} mismatches",
            model_error < 1e-12 and mismatches == 0,
        ),
        Condition(
            f"taste draws pick each action with its logit probability ({draws:,} draws, "
            "max |z| < 4.5)",
            f"max |z| = {z:.2f}", z < 4.5,
        ),
    ]
    return Outcome(
        conditions=conditions,
        headline=f"max |P - closed form| {_err(max(worst, model_error))}",
        data={"temperatures": TEMPERATURES, "errors": errors},
    )


LOGIT_CLOSED_FORM = Check(
    name="logit_closed_form",
    title="Logit (quantal response) choice probabilities equal the closed form",
    source="McKelvey and Palfrey (1995); docs/ODD.md 7.1.7",
    criterion="P_k = exp(U_k/T) / sum_j exp(U_j/T) to 1e-12 for random utilities and for the "
    "model's own utilities; sampled frequencies within 4.5 s.e. of P",
    fast=True,
    run=run_logit,
)


# --------------------------------------------------------------------------------------------
# 2. Temperature -> 0: the choice becomes the best response
# --------------------------------------------------------------------------------------------

LIMIT_TEMPERATURES = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001)


def run_best_response() -> Outcome:
    """Measure the ``logit_best_response_limit`` check (criterion and source: its Check)."""
    cfg, regime, x = _population_inputs()
    u = decision.utilities(x, cfg.behaviour, regime)
    best = formulas.logit_probabilities(u, 0.0)
    ordered = np.sort(u, axis=1)
    gap = ordered[:, -1] - ordered[:, -2]  # utility gap of the best action over the second
    argmax = u.argmax(axis=1)
    distance, bound_ok = [], True
    for t in LIMIT_TEMPERATURES:
        p = formulas.logit_probabilities(u, t)
        distance.append(float(0.5 * np.abs(p - best).sum(axis=1).mean()))
        # Exact logit bound: 1 - P_best <= (K - 1) exp(-gap / T).
        miss = 1.0 - p[np.arange(u.shape[0]), argmax]
        bound_ok &= bool(np.all(miss <= 3.0 * np.exp(-gap / t) + 1e-15))
    decreasing = all(b < a for a, b in itertools.pairwise(distance))
    zero_cfg = cfg.model_copy(update={"behaviour": cfg.behaviour.model_copy(
        update={"temperature": 0.0})})
    rng = np.random.default_rng(SEED)
    action = decision.choose(x, zero_cfg, regime, rng.gumbel(size=u.shape))
    no_ties = bool(gap.min() > 0)
    exact = bool(np.all(action == argmax))
    conditions = [
        Condition(
            "mean total-variation distance to the best response falls strictly as T falls "
            f"({LIMIT_TEMPERATURES[0]} -> {LIMIT_TEMPERATURES[-1]})",
            " > ".join(_sci(d) for d in distance), decreasing,
        ),
        Condition(
            "every cadre, every T: 1 - P(best action) <= 3 exp(-gap / T)",
            "holds" if bound_ok else "violated", bound_ok,
        ),
        Condition(
            "at T = 0 decision.choose picks the utility-maximising action for all 1000 cadres",
            f"{int(np.count_nonzero(action == argmax))}/{u.shape[0]} (no ties: {no_ties})",
            exact and no_ties,
        ),
    ]
    return Outcome(
        conditions=conditions,
        headline=f"distance to best response {_sci(distance[0])} at T = 1 -> "
        f"{_sci(distance[-1])} at T = 0.001; exact at T = 0",
        data={"temperatures": LIMIT_TEMPERATURES, "distance": distance,
              "gap_median": float(np.median(gap))},
    )


LOGIT_BEST_RESPONSE_LIMIT = Check(
    name="logit_best_response_limit",
    title="As the temperature goes to 0 the logit choice becomes the best response",
    source="McKelvey and Palfrey (1995): the logit QRE tends to best response as noise vanishes",
    criterion="distance to the best response falls monotonically with T, within the exact "
    "bound 3 exp(-gap/T) for every cadre; at T = 0 the choice is the argmax",
    fast=True,
    run=run_best_response,
    figure=figures.best_response,
)


# --------------------------------------------------------------------------------------------
# Shared: constructed cadres for the Becker thresholds
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """A grid of constructed cadres (one per combination of traits)."""

    ability: NDArray
    motivation: NDArray
    risk_aversion: NDArray
    sanction_cost: NDArray
    career: NDArray
    belief_promote: NDArray

    @property
    def n(self) -> int:
        """Cadres in the grid."""
        return self.ability.size


def _grid() -> Grid:
    """540 cadres: ability x motivation x risk aversion x next-sanction cost x career stake."""
    stakes = [(0.0, 0.0), (1.0, 0.05), (1.0, 0.2)]  # (career weight, belief_promote)
    mesh = np.array(np.meshgrid(
        [0.3, 0.45, 0.6, 0.75, 0.9], [0.1, 0.4, 0.7, 1.0], [0.0, 1.0, 2.0], [0.4, 1.5, 4.0],
        range(len(stakes)), indexing="ij",
    )).reshape(5, -1)
    stake = np.array(stakes)[mesh[4].astype(int)]
    return Grid(mesh[0], mesh[1], mesh[2], mesh[3], stake[:, 0], stake[:, 1])


def _inputs(g: Grid, belief_punish: NDArray, belief_detect: NDArray) -> DecisionInputs:
    """The grid's cadres with these beliefs.

    Formal work is believed examined like lying flat (both Becker checks: formalism detection
    1, or no detection at all) and no routine mishap is believed punished.
    """
    n = g.n
    detect = np.broadcast_to(belief_detect, (n,)).astype(np.float64)
    return DecisionInputs(
        motivation=g.motivation, ability=g.ability, risk_aversion=g.risk_aversion,
        violation_prone=np.zeros(n, dtype=np.bool_), visibility=np.ones(n), career=g.career,
        belief_punish=np.broadcast_to(belief_punish, (n,)).astype(np.float64),
        belief_detect=detect, belief_promote=g.belief_promote, belief_accuse=np.zeros(n),
        belief_detect_formal=detect, belief_punish_routine=np.zeros(n),
        sanction_cost=g.sanction_cost,
    )


def _bisect(acts: Callable[[NDArray], NDArray], n: int, iterations: int = 64) -> NDArray:
    """Per cadre, the lever level above which the model's choice flips to acting.

    Per cadre, the level in [0, 1] of a lever above which the model's choice flips to acting
    (``acts(level)`` is increasing in the level).
    """
    lo, hi = np.zeros(n), np.ones(n)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        yes = acts(mid)
        hi = np.where(yes, mid, hi)
        lo = np.where(yes, lo, mid)
    return 0.5 * (lo + hi)


def _effort_cost(b: Behaviour, regime: Regime, effort: float, ability: NDArray) -> NDArray:
    """ODD 7.1.3, written out: kappa (1 + B)(1 - c_r care) e^2 (1 + lambda (1 - a))."""
    sup = regime.support
    return (
        b.effort_cost * (1 + sup.burden) * (1 - b.care_cost_relief * sup.care) * effort**2
        * (1 + b.ability_cost_slope * (1 - ability))
    )


def _p_success(b: Behaviour, ability: NDArray) -> NDArray:
    """ODD 7.1.2: 1 / (1 + exp(-(a - d) / s))."""
    return 1.0 / (1.0 + np.exp(-(ability - b.bold_difficulty) / b.bold_spread))


def _best(x: DecisionInputs, cfg: ModelConfig) -> NDArray:
    return decision.utilities(x, cfg.behaviour, cfg.regime).argmax(axis=1)


def _example_curve(
    g: Grid,
    critical: NDArray,
    inside: NDArray,
    inputs_at: Callable[[NDArray, Grid], DecisionInputs],
    cfg: ModelConfig,
    action: int,
) -> dict:
    """For the figure: one grid cadre's chance of acting along the lever.

    One grid cadre (threshold nearest 0.5): the chance that it takes ``action`` as the lever
    goes from 0 to 1, at T = 0 and at the default temperature.
    """
    k = int(np.flatnonzero(inside)[np.argmin(np.abs(critical[inside] - 0.5))])
    levels = np.linspace(0.0, 1.0, 201)
    one = Grid(*(np.repeat(getattr(g, f)[k], levels.size) for f in Grid.__dataclass_fields__))
    u = decision.utilities(inputs_at(levels, one), cfg.behaviour, cfg.regime)
    return {
        "levels": levels,
        "p_best_response": formulas.logit_probabilities(u, 0.0)[:, action],
        "p_logit": formulas.logit_probabilities(u, cfg.behaviour.temperature)[:, action],
        "example_critical": float(critical[k]),
    }


# --------------------------------------------------------------------------------------------
# 3. Becker: bold work against lying flat, and the critical tolerance
# --------------------------------------------------------------------------------------------

#: Only bold work and lying flat are worth considering: formal and routine work produce nothing
#: measurable, so their effort cost makes them strictly worse than idle (no detection belief).
BECKER_BOLD = {
    "behaviour.output_formal": 0.0,
    "behaviour.output_routine": 0.0,
    "behaviour.formal_visibility": 0.0,
}


def run_becker_bold() -> Outcome:
    """Measure the ``becker_tolerance_threshold`` check (criterion and source: its Check)."""
    cfg = tools.config(BECKER_BOLD)
    b, regime = cfg.behaviour, cfg.regime
    g = _grid()
    p = _p_success(b, g.ability)
    # Benefit of the risky action before sanctions: intrinsic value of expected output + career
    # value (expected measured output on the common scale Z, ODD 7.1.2) - cost.
    expected_output = p * b.output_bold * (1 - regime.support.policy_volatility)
    scale = max(b.output_bold, b.output_routine, b.output_formal + b.formal_visibility)
    benefit = (
        b.intrinsic_value * g.motivation * expected_output
        + b.promotion_prize * g.career * g.belief_promote * expected_output / scale
        - _effort_cost(b, regime, b.effort_bold, g.ability)
    )
    # Risk-weighted expected sanction at tolerance tau: P(fail) P(punished) (1 + rho) S, with
    # the learnt belief at its rational-expectations value P(punished | failure) = 1 - tau.
    exposure = (1 + g.risk_aversion) * (1 - p) * g.sanction_cost
    critical = 1.0 - benefit / exposure  # tau* : acts iff tau > tau*

    def acts(tau: NDArray) -> NDArray:
        return _best(_inputs(g, 1.0 - tau, 0.0), cfg) == BOLD

    inside = (critical > 1e-6) & (critical < 1 - 1e-6)
    found = _bisect(acts, g.n)
    error = float(np.abs(found[inside] - critical[inside]).max())
    never = critical >= 1  # benefit <= 0: no tolerance makes bold work worth it
    always = critical <= 0  # benefit covers even certain punishment
    ends_ok = bool(
        np.all(~acts(np.ones(g.n))[never]) and np.all(acts(np.zeros(g.n))[always])
    )
    # Random cases: the model acts exactly when benefit > expected sanction.
    rng = np.random.default_rng(SEED)
    tau = rng.uniform(0, 1, g.n * 40)
    rep = np.tile(np.arange(g.n), 40)
    gr = Grid(*(getattr(g, f)[rep] for f in Grid.__dataclass_fields__))
    model_acts = _best(_inputs(gr, 1.0 - tau, 0.0), cfg) == BOLD
    margin = benefit[rep] - exposure[rep] * (1 - tau)
    clear = np.abs(margin) > 1e-9
    mismatches = int(np.count_nonzero((model_acts != (margin > 0)) & clear))
    only_two = bool(np.all(np.isin(_best(_inputs(gr, 1.0 - tau, 0.0), cfg), [IDLE, BOLD])))
    # At tau* the cadre is indifferent: with the default temperature P(bold) = P(idle).
    t = b.temperature
    probs = formulas.logit_probabilities(
        decision.utilities(_inputs(g, 1.0 - critical, 0.0), b, regime)[inside], t
    )
    indifference = float(np.abs(np.log(probs[:, BOLD] / probs[:, IDLE])).max())
    conditions = [
        Condition(
            f"bisection on tolerance finds the model's switch at the closed-form tau* for the "
            f"{int(inside.sum())} of {g.n} grid cadres with 0 < tau* < 1 (max error < {TOL:g})",
            _err(error), error < TOL,
        ),
        Condition(
            "cadres with benefit <= 0 never act; benefit >= (1 + rho)(1 - p) S always act",
            f"{int(never.sum())} never, {int(always.sum())} always: "
            + ("as predicted" if ends_ok else "violated"), ends_ok,
        ),
        Condition(
            f"{rep.size:,} random (cadre, tolerance) cases: bold exactly when benefit > "
            "(1 - p)(1 - tau)(1 + rho) S",
            f"{mismatches} mismatches", mismatches == 0 and only_two,
        ),
        Condition(
            f"at tau* the cadre is indifferent: |log P(bold)/P(idle)| < 1e-9 at T = {t}",
            _err(indifference), indifference < 1e-9,
        ),
    ]
    return Outcome(
        conditions=conditions,
        headline=f"max |tau*(model) - tau*(closed form)| {_err(error)} over "
        f"{int(inside.sum())} cadres; {mismatches} mismatches in {rep.size:,} cases",
        data={"critical": critical[inside], "found": found[inside],
              **_example_curve(g, critical, inside, lambda lv, gi: _inputs(gi, 1.0 - lv, 0.0),
                               cfg, BOLD)},
    )


BECKER_TOLERANCE_THRESHOLD = Check(
    name="becker_tolerance_threshold",
    title="Deterrence threshold of bold work, and the critical fault tolerance",
    source="Becker (1968), J. Political Economy 76(2): an act is deterred when its benefit is "
    "below the expected punishment, probability x sanction",
    criterion="a cadre choosing between bold work and lying flat acts iff benefit > "
    "P(fail) x P(punished) x (1 + rho) x penalty, P(punished) = 1 - tolerance; the model's "
    "switch equals tau* = 1 - benefit / ((1 + rho)(1 - p) S) to 1e-9",
    fast=True,
    run=run_becker_bold,
    figure=figures.becker_tolerance,
)


# --------------------------------------------------------------------------------------------
# 4. Becker: lying flat against routine work, and the critical detection probability
# --------------------------------------------------------------------------------------------

#: Only routine work and lying flat are worth considering: formal work is examined exactly like
#: inaction (formalism_detection 1) and produces nothing, bold work produces nothing, and
#: routine failures are not punished (no generalised accountability).
BECKER_IDLE = {
    "behaviour.output_formal": 0.0,
    "behaviour.formal_visibility": 0.0,
    "behaviour.output_bold": 0.0,
    "regime.evaluation.formalism_detection": 1.0,
    "regime.accountability.generalised_accountability": 0.0,
}


def run_becker_idle() -> Outcome:
    """Measure the ``becker_detection_threshold`` check (criterion and source: its Check)."""
    cfg = tools.config(BECKER_IDLE)
    b, regime = cfg.behaviour, cfg.regime
    g = _grid()
    # Lying flat saves the effort cost but forgoes the value of routine output and its career
    # value (its measured output on the common scale Z, ODD 7.1.2); it risks detection x
    # sanction.
    scale = max(b.output_bold, b.output_routine, b.output_formal + b.formal_visibility)
    gain = (
        _effort_cost(b, regime, b.effort_routine, g.ability)
        - b.intrinsic_value * g.motivation * b.output_routine
        - b.promotion_prize * g.career * g.belief_promote * b.output_routine / scale
    )
    felt = (1 + g.risk_aversion) * g.sanction_cost
    critical = gain / felt  # works iff perceived detection > p*

    def works(detect: NDArray) -> NDArray:
        return _best(_inputs(g, 1.0, detect), cfg) == ROUTINE

    inside = (critical > 1e-6) & (critical < 1 - 1e-6)
    found = _bisect(works, g.n)
    error = float(np.abs(found[inside] - critical[inside]).max())
    rng = np.random.default_rng(SEED + 1)
    detect = rng.uniform(0, 1, g.n * 40)
    rep = np.tile(np.arange(g.n), 40)
    gr = Grid(*(getattr(g, f)[rep] for f in Grid.__dataclass_fields__))
    best = _best(_inputs(gr, 1.0, detect), cfg)
    margin = felt[rep] * detect - gain[rep]
    clear = np.abs(margin) > 1e-9
    mismatches = int(np.count_nonzero(((best == ROUTINE) != (margin > 0)) & clear))
    only_two = bool(np.all(np.isin(best, [IDLE, ROUTINE])))
    share_deterred = float(np.mean(critical <= 0))
    conditions = [
        Condition(
            f"bisection on the detection belief finds the model's switch at the closed-form p* "
            f"for the {int(inside.sum())} of {g.n} grid cadres with 0 < p* < 1 "
            f"(max error < {TOL:g})",
            _err(error), error < TOL,
        ),
        Condition(
            f"{rep.size:,} random (cadre, detection) cases: routine work exactly when "
            "detection x (1 + rho) x S > effort cost - value of routine output",
            f"{mismatches} mismatches; choices only idle/routine: {only_two}",
            mismatches == 0 and only_two,
        ),
    ]
    return Outcome(
        conditions=conditions,
        headline=f"max |p*(model) - p*(closed form)| {_err(error)} over "
        f"{int(inside.sum())} cadres; {mismatches} mismatches in {rep.size:,} cases",
        data={"critical": critical[inside], "found": found[inside],
              "share_work_anyway": share_deterred,
              **_example_curve(g, critical, inside, lambda lv, gi: _inputs(gi, 1.0, lv),
                               cfg, ROUTINE)},
    )


BECKER_DETECTION_THRESHOLD = Check(
    name="becker_detection_threshold",
    title="Deterrence of lying flat, and the critical detection probability",
    source="Becker (1968), J. Political Economy 76(2): the offence (here, shirking) is committed "
    "iff its gain exceeds probability x sanction",
    criterion="a cadre choosing between routine work and lying flat works iff perceived "
    "detection x (1 + rho) x S > effort cost - value of routine output; the model's switch "
    "equals p* to 1e-9",
    fast=True,
    run=run_becker_idle,
    figure=figures.becker_detection,
)


# --------------------------------------------------------------------------------------------
# 5. Holmstrom-Milgrom multitask: incentives on measured output shift effort to the visible task
# --------------------------------------------------------------------------------------------

CREDITS = (0.0, 0.25, 0.5, 0.75, 1.0)  # phi (1 - precision) with visibility phi = 1
STAKES = (0.0, 0.5, 1.0, 2.0)  # W = prize x career x belief_promote (utility per share)
#: Every post equally visible, so the credit is the same for every cadre.
HM_POPULATION = {"behaviour.formal_visibility": 1.0, "organisation.post_visibility_sd": 0.0}


def run_holmstrom_milgrom() -> Outcome:
    """Measure the ``holmstrom_milgrom_multitask`` check (criterion and source: its Check)."""
    cfg, _, x = _population_inputs(HM_POPULATION)
    b = cfg.behaviour
    n = x.ability.size
    t = b.temperature
    formal = np.zeros((len(STAKES), len(CREDITS)))
    tilt = np.zeros((len(STAKES), len(CREDITS)))  # mean over cadres of P_F / (P_F + P_R)
    log_odds = np.zeros((len(STAKES), len(CREDITS), n))
    for j, credit in enumerate(CREDITS):
        regime = cfg.regime.model_copy(update={"evaluation": cfg.regime.evaluation.model_copy(
            update={"precision": 1.0 - credit / b.formal_visibility})})
        for i, w in enumerate(STAKES):
            xi = x.with_(career=np.ones(n), belief_promote=np.full(n, w / b.promotion_prize))
            p = formulas.logit_probabilities(decision.utilities(xi, b, regime), t)
            formal[i, j] = p[:, FORMAL].mean()
            tilt[i, j] = np.mean(p[:, FORMAL] / (p[:, FORMAL] + p[:, ROUTINE]))
            log_odds[i, j] = np.log(p[:, FORMAL]) - np.log(p[:, ROUTINE])
    # Closed form of the slope of log(P_F / P_R) in W (ODD 7.1.2, 7.1.6): (z_F - z_R) / (Z T),
    # Z the common scale max(o_B, o_R, o_F + phi).
    scale = max(b.output_bold, b.output_routine, b.output_formal + b.formal_visibility)
    slope_error = 0.0
    for j, credit in enumerate(CREDITS):
        z_formal, z_routine = b.output_formal + credit, b.output_routine
        expected = (z_formal - z_routine) / (scale * t)
        for i in range(1, len(STAKES)):
            measured = (log_odds[i, j] - log_odds[0, j]) / STAKES[i]
            slope_error = max(slope_error, float(np.abs(measured - expected).max()))
    threshold = b.output_routine - b.output_formal  # credit at which formal measures as routine
    flat_at_zero = float(np.ptp(formal[0]))
    rising_in_credit = bool(np.all(np.diff(formal[1:], axis=1) > 0))
    tilt_up = [j for j, c in enumerate(CREDITS) if c > threshold + 1e-12]
    tilt_down = [j for j, c in enumerate(CREDITS) if c < threshold - 1e-12]
    tilt_flat = [j for j, c in enumerate(CREDITS) if abs(c - threshold) <= 1e-12]
    d_tilt = np.diff(tilt, axis=0)
    direction_ok = bool(
        np.all(d_tilt[:, tilt_up] > 0) and np.all(d_tilt[:, tilt_down] < 0)
        and np.all(np.abs(d_tilt[:, tilt_flat]) < 1e-12)
    )
    conditions = [
        Condition(
            "without a career stake (W = 0) the formal share does not depend on the credit "
            "hollow work gets in measured output (max difference < 1e-12)",
            _err(flat_at_zero), flat_at_zero < 1e-12,
        ),
        Condition(
            f"with a stake (W in {list(STAKES[1:])}) the formal share rises strictly with the "
            f"credit {list(CREDITS)}",
            " / ".join(fmt(v) for v in formal[-1]) + f" at W = {STAKES[-1]}", rising_in_credit,
        ),
        Condition(
            "per cadre, d log(P_formal / P_routine) / dW = (z_F - z_R) / (Z T) "
            "(max error < 1e-9)",
            _err(slope_error), slope_error < 1e-9,
        ),
        Condition(
            "raising W tilts each cadre's formal/(formal + routine) toward formal iff the credit "
            f"exceeds o_R - o_F = {threshold:g} (away from it below, unchanged at it)",
            "as predicted" if direction_ok else "violated", direction_ok,
        ),
    ]
    return Outcome(
        conditions=conditions,
        headline=f"formal share at W = {STAKES[-1]}: {fmt(formal[-1, 0])} (credit 0) -> "
        f"{fmt(formal[-1, -1])} (credit 1); at W = 0: {fmt(formal[0, 0])} whatever the credit",
        data={"credits": CREDITS, "stakes": STAKES, "formal": formal, "tilt": tilt,
              "threshold": threshold},
    )


HOLMSTROM_MILGROM_MULTITASK = Check(
    name="holmstrom_milgrom_multitask",
    title="Incentives on measured output shift effort toward the visible task",
    source="Holmstrom and Milgrom (1991), J. Law, Economics & Organization 7: 24-52",
    criterion="the credit formal work earns in measured output matters only through the career "
    "stake; with a stake, formal share rises with that credit; a larger stake tilts effort to "
    "formal work iff its measured output exceeds routine work's (exact, per cadre)",
    fast=True,
    run=run_holmstrom_milgrom,
    figure=figures.hm_decision,
)
