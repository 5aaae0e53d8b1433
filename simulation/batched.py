"""Batched runs: R runs of one size, each with its own seed, stepped as one array.

Every random number is named by its run's key and the number's own name (``simulation.streams``),
so R runs can share one array of R x n slots: each run's segment draws with its own key and sees
every number its lone run sees. The runs are replicates of one config, or of configs that differ
only in ``PER_RUN`` fields (a posterior's draws, a calibration's particles): the phases that
read those take each run's own values (``varied`` below). What the phases do with the whole array:

- elementwise, one call over the whole array: the decision without the inaction accounting,
  outcomes, the review's findings (units offset to the whole array), the clocks, the entrants'
  traits, and the draws (one run of words per run and purpose, end to end);
- on the compiled path, one call that runs the lone kernel on each segment
  (``simulation.kernels.segments``, through the phase table): the decision with the
  accounting (its sums are each run's), promotion, learning (each run's published cases and
  credited rules), the entrants' careers, demotions into scarce posts and the year's counts
  and means; the NumPy path runs these run by run;
- run by run: role models, the entrants' slot words, the rule book, a run whose policy
  reversal differs from most runs' (worked out again from its records), a tournament with a
  tie at a top-k edge (left to NumPy alone).
- with runs of different configs, also run by run: the sanction costs (the stakes of a
  promotion prize) and the effort cost (taste noise, effort cost, prize); the decision and
  learning take each run's own scalars, the entrants' traits each run's population.

Each run's per-step table and final state are its lone run's, bit for bit
(tests/test_batched_replicates.py). What a batch does not do: an observer, a phase clock,
snapshots or per-cadre reporters (a run that wants them runs alone, ``CadreModel``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel

from simulation import formulas as f
from simulation import streams as s
from simulation.accountability import detection_chance, unit_leaders
from simulation.accounting import ACCOUNTED
from simulation.cadres import CadreArrays
from simulation.config import ModelConfig, Regime
from simulation.decision import decision_inputs, sanction_costs
from simulation.demography import age_one_year
from simulation.learning import commend
from simulation.loading import section_class
from simulation.model import CadreModel
from simulation.outputs import STEP_COLUMNS
from simulation.perceived import IS_RATE, PUBLISHED, written
from simulation.phases import Phases, in_force
from simulation.population import draw_traits
from simulation.positions import move_down
from simulation.promotion import fast_track_band, hold_tournament, statistic
from simulation.records import (
    AVERAGED,
    TALLIED,
    Inaction,
    OutcomeDraws,
    Outcomes,
    Review,
    Tournament,
    unaccounted,
)
from simulation.schedule import regime_in_force
from simulation.step import aggregates, learn
from simulation.streams import Streams
from simulation.survey import survey_answers

#: Cadre arrays that never change in a run (a slot's unit, post and peers): the whole array
#: holds them offset to the whole (units, peer slots); each segment keeps its own, as alone.
FIXED: tuple[str, ...] = ("unit", "peers")
#: Config fields in which the runs of one batch may differ: each is read only where a batch of
#: differing runs uses each run's own config (the stakes, the decision, its effort cost,
#: learning's rates, the entrants' traits). A posterior's parameters are among them.
PER_RUN: frozenset[str] = frozenset({
    "seed",
    "behaviour.temperature", "behaviour.effort_cost", "behaviour.promotion_prize",
    "population.ability_mean", "population.motivation_mean", "population.trait_concentration",
    "population.risk_aversion_mean", "population.risk_aversion_sd",
    "population.violation_prone_share",
    "learning.belief_rate",
})


def differences(a: ModelConfig, b: ModelConfig) -> set[str]:
    """The dotted paths of the config fields in which ``a`` and ``b`` differ.

    Equal sections are skipped whole (one comparison), so only the sections that differ are
    walked down to their fields: a calibration's batches ask this for every pair of particles.
    """
    return set(_differing(a, b, ModelConfig, ""))


def _differing(a: Any, b: Any, section: type[BaseModel], prefix: str) -> Iterator[str]:
    """The leaf paths under ``section`` where ``a`` and ``b`` (sections, or None) differ."""
    for name, info in section.model_fields.items():
        x, y = getattr(a, name, None), getattr(b, name, None)
        if x == y:
            continue
        inner = section_class(info.annotation)
        if inner is None:
            yield f"{prefix}{name}"
        else:
            yield from _differing(x, y, inner, f"{prefix}{name}.")


def same_point(a: ModelConfig, b: ModelConfig) -> bool:
    """Whether ``a`` and ``b`` are one design point: everything equal but the seed."""
    return a is b or a.model_copy(update={"seed": b.seed}) == b


def batch_mates(a: ModelConfig, b: ModelConfig) -> bool:
    """Whether runs of ``a`` and ``b`` may share a batch: they differ in ``PER_RUN`` fields only."""
    return same_point(a, b) or differences(a, b) <= PER_RUN


class BatchStreams:
    """The streams of R runs as one: a purpose's words are each run's words, one run after another.

    Each run's words are its lone run's (its key, its slots 0 .. n - 1), so a phase drawing
    ``words(year, purpose, R * n)`` gives every segment its own numbers.
    """

    def __init__(self, runs: Sequence[Streams], n: int) -> None:
        """``runs``: each segment's streams, in segment order; ``n``: slots per segment."""
        self.runs = list(runs)
        self.n = n
        self._last: tuple[tuple[int, ...], NDArray[np.uint64]] | None = None

    def words(self, year: int, purpose: int, count: int, width: int | None = None,
              start: int = 0) -> NDArray[np.uint64]:
        """All segments' words of ``purpose`` in ``year``: (R * n, width), read-only."""
        if count != self.n * len(self.runs) or start != 0:
            raise ValueError("a batch draws every slot of every segment")
        name = (year, purpose, count, -1 if width is None else width)
        if self._last is not None and self._last[0] == name:
            return self._last[1]
        words = np.concatenate([run.words(year, purpose, self.n, width) for run in self.runs])
        words.flags.writeable = False
        self._last = (name, words)
        return words

    def taste(self, year: int, count: int) -> NDArray[np.float64]:
        """The year's Gumbel taste draws (R * n, 4), each segment its own."""
        return s.gumbel(self.words(year, s.TASTE, count))


def join(parts: Sequence[CadreArrays]) -> CadreArrays:
    """The segments' arrays end to end; units and peer slots offset to the whole array."""
    columns: dict[str, Any] = {}
    for name in CadreArrays.__dataclass_fields__:
        columns[name] = np.concatenate([getattr(part, name) for part in parts])
    slots = np.cumsum([0, *(part.n for part in parts[:-1])])
    units = np.cumsum([0, *(int(part.unit.max()) + 1 for part in parts[:-1])])
    columns["unit"] = np.concatenate([
        part.unit + np.int32(u) for part, u in zip(parts, units, strict=True)])
    columns["peers"] = np.concatenate([
        part.peers + np.int32(first) for part, first in zip(parts, slots, strict=True)])
    return CadreArrays(**columns)


def segment(whole: CadreArrays, own: CadreArrays, first: int) -> CadreArrays:
    """Views of ``whole``'s slots ``first .. first + own.n - 1``, with ``own``'s fixed arrays."""
    end = first + own.n
    columns = {name: (getattr(own, name) if name in FIXED else getattr(whole, name)[first:end])
               for name in CadreArrays.__dataclass_fields__}
    return CadreArrays(**columns)


def cut(record: Any, part: slice, **scalars: Any) -> Any:
    """A phase's record (a dataclass of per-cadre arrays) restricted to one segment (views)."""
    values = {name: (value[part] if isinstance(value, np.ndarray) else value)
              for name, value in record.__dict__.items()}
    return type(record)(**(values | scalars))


class ReplicateBatch:
    """R lone models stepped together; ``models[i]`` is run i, as it would be alone.

    The models are made as alone (``CadreModel(config, seed=seed)``); their cadre arrays then
    become views of one whole array. Each model keeps its own year, streams, rule book, next
    person id and per-step record, so ``models[i].results_table()`` and ``models[i].cadres``
    are read as from a lone run.
    """

    def __init__(self, config: ModelConfig | Sequence[ModelConfig], seeds: Sequence[int]
                 ) -> None:
        """Make one model per seed (the inaction accounting as ``accounting.wanted()`` says).

        ``config`` is every run's, or one per seed; those may differ in ``PER_RUN`` fields only.
        """
        if not seeds:
            raise ValueError("a batch needs at least one seed")
        configs = [config] * len(seeds) if isinstance(config, ModelConfig) else list(config)
        if len(configs) != len(seeds):
            raise ValueError(f"{len(configs)} configs for {len(seeds)} seeds")
        for other in configs[1:]:
            if not batch_mates(configs[0], other):
                raise ValueError("runs of one batch may differ only in "
                                 f"{', '.join(sorted(PER_RUN))}; these also differ in "
                                 f"{', '.join(sorted(differences(configs[0], other) - PER_RUN))}")
        self.config = configs[0]
        #: Each run's config; ``varied``: whether any differs from the first (not only its seed).
        self.configs = configs
        self.varied = not all(same_point(configs[0], c) for c in configs[1:])
        self.models = [CadreModel(c, seed=int(seed)) for c, seed in zip(configs, seeds,
                                                                         strict=True)]
        self.n = self.config.organisation.n_cadres
        self.whole = join([m.cadres for m in self.models])
        self.parts = [slice(i * self.n, (i + 1) * self.n) for i in range(len(self.models))]
        for model, part in zip(self.models, self.parts, strict=True):
            model.cadres = segment(self.whole, model.cadres, part.start)
        self.streams = BatchStreams([m.streams for m in self.models], self.n)
        #: Each run's own peers (R, n, k) and units (R, n), for the compiled per-segment calls.
        self.own_peers = np.ascontiguousarray(np.stack([m.cadres.peers for m in self.models]))
        self.own_units = np.ascontiguousarray(np.stack([m.cadres.unit for m in self.models]))

    def step(self) -> None:
        """One year of every run (``CadreModel.step`` without observer, clock or snapshots)."""
        lead = self.models[0]
        year = lead.year + 1
        regime = lead.regime
        if self.config.switch is not None:
            regime, label = regime_in_force(self.config, year)
        for model in self.models:
            model.year = year
            if self.config.switch is not None:
                model.regime, model.regime_label = regime, label
            model.rulebook.announce(regime, model.cadres, model.config.learning)
        stats = advance_batch(self, regime, year)
        for model, year_stats in zip(self.models, stats, strict=True):
            model.take_year(year_stats)  # the record and Mesa's clock, as a lone step has them

    def run(self, steps: int | None = None) -> list[pd.DataFrame]:
        """Run ``steps`` years (default ``config.steps``); each run's per-step table."""
        for _ in range(self.config.steps if steps is None else steps):
            self.step()
        return [model.results_table() for model in self.models]


def advance_batch(batch: ReplicateBatch, regime: Regime, year: int) -> list[dict[str, float]]:
    """``step.advance`` for every run of ``batch`` in one pass; each run's year's aggregates.

    The phases and their order are ``advance``'s; each run's numbers are its own (its key).
    """
    whole, parts, models, streams = batch.whole, batch.parts, batch.models, batch.streams
    config, capacities = batch.config, models[0].capacities
    p = in_force()
    account = models[0].accounts_inaction
    # 1. Choose: elementwise, but the accounting's sums are each run's own.
    price = _each_at_its_stakes(models, regime, p) if batch.varied else p.sanctions_at
    inputs = decision_inputs(whole, config, regime, p.career_weights, copy=False,
                             price_sanctions=price)
    taste = streams.taste(year, whole.n)
    action, inactions, answers = _choose(inputs, batch.configs, batch.varied, regime, taste,
                                         parts, p, account)
    if batch.varied:
        cost = np.concatenate([
            p.effort_costs(inputs.ability[part], action[part], m.config.behaviour, regime)
            for m, part in zip(models, parts, strict=True)])
    else:
        cost = p.effort_costs(inputs.ability, action, config.behaviour, regime)
    if p.means_each is not None:
        felt = list(zip(p.means_each(cost, batch.n).tolist(),
                        p.means_each(inputs.sanction_cost, batch.n).tolist(), strict=True))
    else:
        felt = [(float(cost[part].mean()), float(inputs.sanction_cost[part].mean()))
                for part in parts]
    whole.action[:] = action
    # 2. Outcomes: elementwise, but the policy reversal is each run's own.
    out, reversals = _outcomes(batch, action, regime, year, p)
    # 3. Accountability: findings elementwise (units offset), demotions per run.
    rev = _review(batch, action, out, regime, year, p)
    removed = rev.rung == f.REMOVAL
    # Each run's records, cut from the whole ones, for the phases that run run by run.
    alone = not all((p.promote_each, p.learn_each, p.statistics_each))
    outs = [cut(out, part, reversal=r) for part, r in zip(parts, reversals, strict=True)
            ] if alone else []
    revs = [cut(rev, part) for part in parts] if alone else []
    # 4. Promotion: one compiled call on the compiled path, else run by run.
    if p.promote_each is not None:
        tours = _promote_together(batch, removed, regime, year, p)
    else:
        tours = [hold_tournament(m.cadres, m.config, regime, capacities, m.streams, year,
                                 removed[part], p.form_pool, p.publish, p.fill, p.fast_track,
                                 m.promotions_seen)
                 for m, part in zip(models, parts, strict=True)]
    # 5. Learning: each run's published cases; one compiled call on the compiled path.
    if p.learn_each is not None:
        _learn_together(batch, action, out, rev, tours, regime, p)
    else:
        for i, m in enumerate(models):
            learn(m.cadres, action[parts[i]], outs[i], revs[i], tours[i], m.config, regime, p,
                  m.rulebook)
    # 6. Demography: the clocks and the entrants' traits elementwise, careers per run.
    retiring = age_one_year(whole, config, regime, streams, year, p.grow_older)
    leaving = retiring | removed
    _renew(batch, [leaving[part] for part in parts], year, p)
    if p.statistics_each is not None:
        return _aggregates_together(batch, action, out, rev, tours, retiring, inactions,
                                    reversals, felt, regime, answers, p)
    return [aggregates(m.cadres, capacities, action[part], inactions[i], outs[i], revs[i],
                       tours[i], retiring[part], removed[part], p, felt[i], m.config, regime,
                       answers[i])
            for i, (m, part) in enumerate(zip(models, parts, strict=True))]


def _each_at_its_stakes(models: list[CadreModel], regime: Regime, p: Phases
                        ) -> Callable[[CadreArrays, Any], NDArray[np.float64]]:
    """How a batch of varied runs prices its sanctions: each run at its own stakes.

    Its promotion prize and discount, not the first run's, which ``decision_inputs`` passes.
    """

    def price(whole: CadreArrays, first_runs: Any) -> NDArray[np.float64]:
        return np.concatenate([sanction_costs(m.cadres, m.config, regime, p.sanctions_at)
                               for m in models])
    return price


def _choose(
    inputs: Any, configs: list[ModelConfig], varied: bool, regime: Regime,
    taste: NDArray[np.float64], parts: list[slice], p: Phases, account: bool,
) -> tuple[NDArray[np.int8], list[Inaction], list[dict[str, float]]]:
    """Phase 1's choices, each run's inaction and survey answers.

    ``configs`` are the runs' own; ``varied``: whether they differ (beyond the seed). Without
    the accounting, runs of one config choose elementwise, in one call over the whole array.
    Otherwise each run decides by its own config: one compiled call that decides each segment
    alone (``phases.decide_each``; the accounting's sums are each run's), or each segment in
    turn on the NumPy path.
    """
    if not account and not varied:
        action, inaction = p.decide(inputs, configs[0], regime, taste, False)
        inactions = [unaccounted(inaction.form[part], _form_counts(inaction.form[part]))
                     for part in parts]
        return action, inactions, [{} for _ in parts]
    if p.decide_each is not None:
        action, inactions = p.decide_each(inputs, configs if varied else configs[0], regime,
                                          taste, parts[0].stop, account)
        return action, inactions, [inaction.answers or {} for inaction in inactions]
    action = np.empty(taste.shape[0], dtype=np.int8)
    inactions, answers = [], []
    for config, part in zip(configs, parts, strict=True):
        own = inputs.subset(part)
        action[part], inaction = p.decide(own, config, regime, taste[part], account)
        inactions.append(inaction)
        if not account:
            answers.append({})
        elif inaction.answers is not None:
            answers.append(inaction.answers)
        else:
            answers.append(survey_answers(own, action[part], taste[part], config.behaviour,
                                          regime))
    return action, inactions, answers


def _form_counts(form: NDArray[np.int8]) -> NDArray[np.int64]:
    """Cadres in each form of inaction (counts: exact whichever way they are counted)."""
    return np.bincount(form[form >= 0], minlength=3)


def _outcomes(
    batch: ReplicateBatch, action: NDArray[np.int8], regime: Regime, year: int, p: Phases,
) -> tuple[Outcomes, list[bool]]:
    """Phase 2 over the whole array: the outcomes and each run's policy reversal.

    A run whose reversal differs from most runs' is worked out again, alone.
    """
    whole, parts, config = batch.whole, batch.parts, batch.config
    words = batch.streams.words(year, s.OUTCOMES, whole.n)
    ev, b = regime.evaluation, config.behaviour
    reversals = [bool(s.uniform(words[part.start, 3]) < regime.support.policy_volatility)
                 for part in parts]
    draws = OutcomeDraws(
        success=s.uniform(words[:, 0]), reversal=False,
        noise=f.measurement_noise_sd(ev.noise_sd, ev.precision) * s.normal(words[:, 2]),
        routine=s.uniform(words[:, 1]),
    )
    # One pass with the policy reversal most runs have; the runs that had the other are
    # worked out again from their records as they were (the pass rewrote them).
    usual = reversals.count(True) * 2 > len(reversals)
    redo = [i for i, reversal in enumerate(reversals) if reversal != usual]
    before = whole.record.copy() if redo else None
    p_success = f.bold_success_probability(whole.ability, b.bold_difficulty, b.bold_spread)
    out = p.realise(whole, action, config, regime, replace(draws, reversal=usual), p_success)
    for i in redo:
        part, model = parts[i], batch.models[i]
        model.cadres.record[:] = before[part]
        own = p.realise(model.cadres, action[part], config, regime,
                        cut(draws, part, reversal=not usual), p_success[part])
        for field in dataclasses.fields(Outcomes):
            if field.name != "reversal":
                getattr(out, field.name)[part] = getattr(own, field.name)
    return out, reversals


def _review(
    batch: ReplicateBatch, action: NDArray[np.int8], out: Outcomes, regime: Regime, year: int,
    p: Phases,
) -> Review:
    """Phase 3: each run's findings in one pass (units offset); demotions per run."""
    whole, parts, config = batch.whole, batch.parts, batch.config
    draw = s.uniform_rows(batch.streams.words(year, s.REVIEW, whole.n))
    leaders = None
    if regime.accountability.dual_investigation > 0:
        unit_size = config.organisation.unit_size
        if batch.n % unit_size == 0:  # every unit whole: the whole array's units are the runs'
            leaders = unit_leaders(whole, unit_size)
        else:
            leaders = np.concatenate([unit_leaders(m.cadres, unit_size) + part.start
                                      for m, part in zip(batch.models, parts, strict=True)])
    p_detect = detection_chance(action, config, regime, leaders)
    rev = p.judge(whole, action, out, config, regime, leaders, p_detect, draw[:7])
    demoted = (rev.rung == f.DEMOTION) | rev.probation_failed
    if p.demote_each is not None:
        p.demote_each(whole, demoted, draw[7], batch.models[0].capacities, batch.n)
        return rev
    for model, part in zip(batch.models, parts, strict=True):
        demote = np.flatnonzero(demoted[part])
        if demote.size:
            moved = move_down(model.cadres.rank, demote, model.capacities, draw[7][part])
            model.cadres.years_in_rank[moved] = 0
    return rev


def _aggregates_together(
    batch: ReplicateBatch, action: NDArray[np.int8], out: Outcomes, rev: Review,
    tours: list[Tournament], retiring: NDArray[np.bool_], inactions: list[Inaction],
    reversals: list[bool], felt: list[tuple[float, float]], regime: Regime,
    answers: list[dict[str, float]], p: Phases,
) -> list[dict[str, float]]:
    """Every run's year's aggregates (``step.aggregates`` of each run), column by column.

    The counts and means come from one call of the phase table's ``statistics_each``; each
    column is then formed for all runs at once by the same arithmetic ``step.aggregates``
    does for one (elementwise, so each run's value has the same bits).
    """
    whole, n, config = batch.whole, batch.n, batch.config
    runs = len(batch.models)
    capacities = batch.models[0].capacities
    counts, means = p.statistics_each(
        action, out, rev, np.concatenate([tour.promoted for tour in tours]),
        np.concatenate([tour.self_recommended for tour in tours]), retiring,
        rev.rung == f.REMOVAL, whole, n)
    columns: dict[str, Any] = dict(zip(TALLIED, (counts / n).T, strict=True))
    columns |= zip(AVERAGED, means.T, strict=True)
    forms = np.stack([inaction.counts() for inaction in inactions]) / n
    causes = np.stack([inaction.causes for inaction in inactions]) / n
    reasons = np.stack([inaction.reasons for inaction in inactions]) / n
    named = np.stack([inaction.named for inaction in inactions]) / n
    occupied = np.bincount(np.repeat(np.arange(runs) * capacities.size, n) + whole.rank,
                           minlength=runs * capacities.size).reshape(runs, capacities.size)
    free = capacities - occupied
    free[:, 0] = 0
    senior = capacities[1:].sum()
    columns |= {
        "inaction": forms.sum(axis=1),
        "lying_flat": forms[:, 0],
        "formalism": forms[:, 1],
        "avoidance": forms[:, 2],
        "avoidance_fear": np.array([inaction.fear_only for inaction in inactions]) / n,
        "unwilling": causes[:, 0], "unable": causes[:, 1], "afraid": causes[:, 2],
        "reason_unwilling": reasons[:, 0], "reason_unable": reasons[:, 1],
        "reason_afraid": reasons[:, 2],
        "names_unwilling": named[:, 0], "names_unable": named[:, 1], "names_afraid": named[:, 2],
        "senior_vacancy_rate": (np.maximum(free, 0).sum(axis=1) / senior if senior
                                else np.zeros(runs)),
        "policy_reversal": np.array([float(reversal) for reversal in reversals]),
        "effort_cost": np.array([effort for effort, _ in felt]),
        "sanction_cost": np.array([cost for _, cost in felt]),
    }
    w = config.welfare
    columns["welfare"] = f.welfare(columns["real_output"], columns["effort_cost"],
                                   columns["wrongful_sanctions"], columns["shielded_violations"],
                                   w.effort_weight, w.wrongful_sanction_harm,
                                   w.shielded_violation_harm)
    columns["policy_cost"] = np.full(runs, f.policy_cost(regime, config.policy_cost.levers()))
    for name in answers[0]:
        columns[name] = np.array([own[name] for own in answers])
    if not inactions[0].accounted:
        columns |= dict.fromkeys(ACCOUNTED, np.full(runs, np.nan))
    table = np.stack([np.asarray(columns[k], dtype=np.float64) for k in STEP_COLUMNS], axis=1)
    return [dict(zip(STEP_COLUMNS, row, strict=True)) for row in table.tolist()]


def _promote_together(batch: ReplicateBatch, removed: NDArray[np.bool_], regime: Regime,
                      year: int, p: Phases) -> list[Tournament]:
    """Phase 4 of every run in one call of the phase table's ``promote_each``.

    A run whose band or places have a tie at a top-k edge (left to NumPy's argpartition
    alone) holds its tournament alone (``promotion.hold_tournament``), from the same state.
    """
    whole, n, config = batch.whole, batch.n, batch.config
    promo, n_ranks = regime.promotion, config.organisation.n_ranks
    band, banded = p.band_each(whole, n_ranks, promo.fast_track_share, n)
    for i in np.flatnonzero(~banded):
        band[batch.parts[i]] = fast_track_band(batch.models[i].cadres, n_ranks,
                                               promo.fast_track_share)
    whole.fast_track[:] = band
    words = batch.streams.words(year, s.CAREER, whole.n)
    competed_rank, seniority = whole.rank.copy(), whole.years_in_rank.copy()
    n_units = f.unit_count(n, config.organisation.unit_size)
    promoted, passed_over, pool, self_recommended, cases, settled = p.promote_each(
        whole, removed, s.uniform(words[:, 0]), promo.score_noise * s.normal(words[:, 1]),
        n_ranks, promo, batch.models[0].capacities, batch.own_units, n_units)
    tours = []
    for i, (model, part) in enumerate(zip(batch.models, batch.parts, strict=True)):
        if not settled[i]:
            tours.append(hold_tournament(model.cadres, config, regime, model.capacities,
                                         model.streams, year, removed[part], p.form_pool,
                                         p.publish, p.fill, p.fast_track, model.promotions_seen))
            continue
        units = slice(i * n_units, (i + 1) * n_units)
        published, size = statistic(cases[:, units], model.promotions_seen,
                                    config.learning.promotion_memory,
                                    config.learning.published_promotions)
        tours.append(Tournament(
            promoted=promoted[part], pool=pool[part], competed_rank=competed_rank[part],
            seniority=seniority[part], passed_over=passed_over[part],
            responsiveness=published, responsiveness_size=size,
            self_recommended=self_recommended[part]))
    return tours


def _learn_together(batch: ReplicateBatch, action: NDArray[np.int8], out: Outcomes, rev: Review,
                    tours: list[Tournament], regime: Regime, p: Phases) -> None:
    """Phase 5 of every run in one call of the phase table's ``learn_each`` (``step.learn``).

    Each run's organisation cases are published to its own cadres and added to its own rule
    book; role models are chosen among its own cadres.
    """
    config, whole, n, models = batch.config, batch.whole, batch.n, batch.models
    lrn = config.learning
    share = regime.support.commendation
    commended = np.zeros(whole.n, dtype=np.bool_)
    if round(share * n) > 0:
        for part in batch.parts:
            commended[part] = commend(cut(out, part), share)
    seen = p.seen_each(action, out, rev, commended,
                       np.concatenate([tour.promoted for tour in tours]),
                       np.concatenate([tour.passed_over for tour in tours]))
    cases = p.cases_each(seen, config.behaviour.safe_work_accusation_ratio, n)
    # perceived.credited_view of each run, elementwise over the runs' cases.
    reach = regime.fault_tolerance.publicity * lrn.published_reach
    published = np.where(PUBLISHED[None, :, None], reach * cases / n, 0.0).astype(np.float32)
    rule = np.stack([m.rulebook.credited for m in models]).astype(np.float64)
    weight = np.concatenate([
        m.config.learning.belief_rate * f.pool_weight(tour.responsiveness_size,
                                                      lrn.statistic_pseudocount)
        for m, tour in zip(models, tours, strict=True)])
    stat = np.concatenate([tour.responsiveness for tour in tours])
    p.learn_each(seen, whole, batch.own_peers, batch.own_units, stat, weight, rule,
                 np.where(IS_RATE, 1.0, written(regime)), published, IS_RATE,
                 [m.config for m in models], regime)
    for model, own in zip(models, cases, strict=True):
        model.rulebook.record(own)


def _renew(batch: ReplicateBatch, leaving: list[NDArray[np.bool_]], year: int, p: Phases
           ) -> None:
    """Phase 6's entrants (``population.replace_departed``): traits in one pass, careers per run.

    Each run's entrants draw their own slots' words (its key); the traits are elementwise in
    the words. A career starts from its run's staff (their mean record) and peers.
    """
    pop = batch.config.population
    departed = [np.flatnonzero(gone) for gone in leaving]
    if not any(d.size for d in departed):
        return
    words = np.concatenate([p.slot_words(m.streams, year, s.TRAITS, d, batch.n)
                            for m, d in zip(batch.models, departed, strict=True)])
    if batch.varied:  # each run's entrants from its own population's distributions
        traits = draw_traits([m.config.population for m in batch.models], words,
                             [d.size for d in departed])
    else:
        traits = draw_traits(pop, words)
    where = np.concatenate([d + part.start for d, part in zip(departed, batch.parts,
                                                                strict=True)])
    for name, values in traits.items():
        getattr(batch.whole, name)[where] = values
    ages = s.integers(words[:, 16], pop.entry_age_min, pop.entry_age_max + 1)
    if p.start_each is not None:
        entry_age = np.zeros(batch.whole.n, dtype=np.int64)
        entry_age[where] = ages
        first = np.cumsum([0, *(d.size for d in departed)])
        next_person = np.array([m.next_person for m in batch.models], dtype=np.int64)
        p.start_each(batch.whole, np.concatenate(departed), first, entry_age, next_person,
                     batch.own_peers)
        for model, d in zip(batch.models, departed, strict=True):
            model.next_person += d.size
        return
    first = 0
    for model, d in zip(batch.models, departed, strict=True):
        if not d.size:
            continue
        entry_age = np.zeros(batch.n, dtype=np.int64)
        entry_age[d] = ages[first : first + d.size]
        first += d.size
        p.start_careers(model.cadres, d, entry_age, model.next_person)
        model.next_person += d.size


def run_replicates(config: ModelConfig | Sequence[ModelConfig], seeds: Sequence[int],
                   steps: int) -> list[pd.DataFrame]:
    """Each seed's per-step table, as ``CadreModel(config, seed=seed).run(steps)`` gives it.

    ``config`` is every run's, or one per seed (differing in ``PER_RUN`` fields only).
    """
    return ReplicateBatch(config, seeds).run(steps)


__all__ = ["PER_RUN", "BatchStreams", "ReplicateBatch", "advance_batch", "batch_mates",
           "differences", "run_replicates"]
