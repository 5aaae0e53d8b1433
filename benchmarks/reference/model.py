"""ReferenceModel: the model's annual step written the per-agent Mesa way.

The same year as ``simulation.step.advance``, phase by phase, but each phase is a method of
``ReferenceCadre`` dispatched with ``self.agents.shuffle_do(...)``, and the tournament is built
from AgentSet ``select`` (eligibility) and ``sort`` (record, score). Departing cadres are
``remove()``d and a new agent takes over their post. It exists to be read and to check the
vectorised model against (``tests/test_reference_agreement.py``), and as the per-agent baseline
of ``benchmarks/bench.py``. It runs ~1 000-2 000 agent-steps/s (fewer where more cadres are
inactive: each inactive cadre's causes and reason come from ``decision.account_inaction`` on
length-1 arrays), most of it in NumPy calls on length-1 arrays: the price of reusing the
model's array formulas rather than writing them again.

Random draws come from the model's ``numpy.random.Generator`` (``self.rng``); only the
activation order of ``shuffle_do`` comes from Mesa's ``self.random``, and no result depends on
it except through which draw goes to which cadre. Both are seeded from the seed, so a run is a
pure function of (config, seed). The draws are made in a different order (and only where
needed) than in the vectorised model, so the two agree in distribution, not bit for bit. The
initial population is ``simulation.population.initial_population`` with the model's streams
of the seed (``simulation.streams``), so for one seed both models start from the identical
population.
"""

from __future__ import annotations

import math
from collections import Counter
from types import SimpleNamespace

import mesa
import numpy as np
import pandas as pd

from benchmarks.reference.agents import STATE, ReferenceCadre
from simulation import formulas as f
from simulation.cadres import BELIEFS, PERCEIVED_BELIEFS, PERCEIVED_EVIDENCE
from simulation.config import ModelConfig, Regime
from simulation.decision import AVOIDANCE, FORMALISM, LYING_FLAT
from simulation.perceived import RuleBook, credited_view
from simulation.population import draw_traits, initial_population
from simulation.step import STEP_COLUMNS
from simulation.streams import Streams

#: Columns that describe the year-end population; all others are events of the year.
STATE_COLUMNS = (
    "senior_vacancy_rate",
    "meritocracy",
    "mean_motivation",
    "mean_ability",
    "belief_promote",
    "belief_accuse",
    *PERCEIVED_BELIEFS,
)


class ReferenceModel(mesa.Model):
    """Per-agent reference implementation of CadreModel (same config, seed and outputs).

    Args:
        config: a validated ModelConfig (``simulation.load_config``); defaults if None.
        seed: overrides ``config.seed``.
    """

    def __init__(self, config: ModelConfig | None = None, seed: int | None = None) -> None:
        config = config if config is not None else ModelConfig()
        seed = config.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.config = config
        self.seed = seed
        self.regime: Regime = config.regime
        self.regime_label = config.name
        org = config.organisation
        self.n_ranks = org.n_ranks
        self.capacities = [
            int(c) for c in f.rank_capacities(org.n_cadres, org.n_ranks, org.pyramid_ratio)
        ]

        # The same year-0 population as CadreModel, copied into agents post by post.
        arrays = initial_population(config, Streams.from_seed(seed))
        columns = {name: getattr(arrays, name).tolist() for name in STATE}
        self.posts: list[ReferenceCadre] = [
            ReferenceCadre(
                self,
                slot=i,
                unit=int(arrays.unit[i]),
                front_line=bool(arrays.front_line[i]),
                visibility=float(arrays.visibility[i]),
                peer_slots=tuple(int(j) for j in arrays.peers[i]),
                **{name: values[i] for name, values in columns.items()},
            )
            for i in range(org.n_cadres)
        ]
        self.next_person = org.n_cadres
        #: The posts of each unit (fixed: an entrant takes over its predecessor's post).
        self.unit_slots: dict[int, list[int]] = {}
        for post in self.posts:
            self.unit_slots.setdefault(post.unit, []).append(post.slot)

        self.reversal = False
        self.unit_leaders: dict[int, ReferenceCadre] = {}
        # Responsiveness of promotion to performance seen in each unit, where there is one.
        self.responsiveness: dict[int, float] = {}
        # Candidates behind each statistic: the smaller of its top-half and bottom-half groups.
        self.responsiveness_size: dict[int, float] = {}
        # Promotion cases each unit has seen, discounted over the years: top- and bottom-half
        # candidates and the promoted of each.
        self.promotions_seen: dict[int, np.ndarray] = {}
        self.year: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters={"step": "steps", "regime": "regime_label"}
            | {
                name: (lambda m, name=name: m.year[name])
                for name in STEP_COLUMNS
                if name not in STATE_COLUMNS
            }
            | {
                "senior_vacancy_rate": ReferenceModel.senior_vacancy_rate,
                "meritocracy": lambda m: f.rank_ability_correlation(
                    m.agents.get("rank"), m.agents.get("ability")
                ),
                "mean_motivation": lambda m: m.agents.agg("motivation", np.mean),
                "mean_ability": lambda m: m.agents.agg("ability", np.mean),
            }
            | {name: (lambda m, name=name: m.agents.agg(name, np.mean))
               for name in (*PERCEIVED_BELIEFS, "belief_promote")}
            | {"belief_accuse": lambda m: float(np.mean(
                [a.belief_accused * a.belief_upheld for a in m.agents]))}
        )
        #: The rules as announced and credited; ``credited`` is what learning reads each year.
        self.rulebook = RuleBook.of(self.regime)
        self.credited = None

    # ----------------------------------------------------------------------------------------
    # The year
    # ----------------------------------------------------------------------------------------

    def step(self) -> None:
        """One year: regime switch if due; decide, produce, accountability, promotion,
        learning, demography; record the year."""
        switch = self.config.switch
        if switch is not None and int(self.time) == switch.step:  # Mesa 4 has no model.steps
            self.regime = switch.regime
            self.regime_label = switch.label or "switched"
        self.announce()

        # 1. Every cadre chooses from its start-of-year state.
        self.agents.shuffle_do("decide")
        # 2. Outcomes; one policy-reversal draw for the whole organisation.
        self.reversal = bool(self.rng.random() < self.regime.support.policy_volatility)
        self.agents.shuffle_do("produce")
        # 3. Accountability. Leaders are fixed first (rank, then this year's record), because a
        #    member's review may bring a warning on its leader before the leader's own sanction.
        self.unit_leaders = {
            unit: max(members, key=lambda a: (a.rank, a.record))
            for unit, members in self.agents.groupby("unit", result_type="list")
        }
        self.agents.shuffle_do("face_review")
        self.agents.shuffle_do("take_sanction")
        self.demote(self.agents.select(lambda a: a.to_demote and a.rank > 0))
        # 4. Promotion.
        self.hold_tournament()
        # 5. Learning.
        self.commend()
        cases = self.organisation_cases()
        self.credited = credited_view(
            self.rulebook.credited, self.regime, cases, self.regime.fault_tolerance.publicity,
            self.config.learning.published_reach, len(self.agents))
        self.rulebook.record(cases)
        self.agents.shuffle_do("learn")
        self.agents.do("adopt_motivation")
        self.year = self.tally_events()
        # 6. Demography.
        self.agents.shuffle_do("age_one_year")
        self.renew()

        self.datacollector.collect(self)

    def announce(self) -> None:
        """Announce the regime in force: each cadre's beliefs move as far as a changed rule is
        credited (``RuleBook.announce`` on the agents' beliefs, gathered and put back)."""
        agents = list(self.posts)
        gathered = SimpleNamespace(**{
            name: np.array([getattr(a, name) for a in agents], dtype=np.float64)
            for name in (*PERCEIVED_BELIEFS, *PERCEIVED_EVIDENCE)
        })
        if self.rulebook.announce(self.regime, gathered, self.config.learning).any():
            for name in (*PERCEIVED_BELIEFS, *PERCEIVED_EVIDENCE):
                for agent, value in zip(agents, getattr(gathered, name), strict=True):
                    setattr(agent, name, float(value))

    def organisation_cases(self) -> np.ndarray:
        """This year's cases in the whole service, (quantities, 2): events and exposures."""
        agents = self.agents
        safe_ratio = self.config.behaviour.safe_work_accusation_ratio

        def count(attribute: str) -> float:
            return float(sum(bool(getattr(a, attribute)) for a in agents))

        exposure = float(sum(a.action == f.BOLD for a in agents)) + safe_ratio * float(
            sum(a.action in (f.FORMAL, f.ROUTINE) for a in agents))
        return np.array([
            (count("caught_idle"), count("idle")),
            (count("caught_formal"), count("formal")),
            (count("routine_punished"), count("routine_failure")),
            (count("failure_punished"), count("failure_reviewed")),
            (count("accused"), exposure),
            (count("accusation_upheld"), count("accused")),
            (count("warned"), count("warned")),
            (count("demoted"), count("demoted")),
            (count("removed"), count("removed")),
        ])

    def demote(self, movers: mesa.agent.AgentSet) -> None:
        """Move each mover one rank down, or further where the rank below is full.

        Movers first leave their posts; then ranks are filled from the top, a random order
        deciding who gets scarce places; the overflow wants one rank lower; rank 0 takes all.
        """
        if not len(movers):
            return
        queue = movers.to_list()
        queue = [queue[i] for i in self.rng.permutation(len(queue))]  # who gets scarce places
        wants = {a: a.rank - 1 for a in queue}
        movers.set("rank", 0)  # vacate their posts while places are counted
        occupied = Counter(self.agents.get("rank"))
        for r in range(self.n_ranks - 1, 0, -1):
            for agent in queue:
                if wants[agent] != r:
                    continue
                if occupied[r] < self.capacities[r]:
                    agent.rank = r
                    occupied[r] += 1
                else:
                    wants[agent] = r - 1  # no room: one rank further down
        movers.set("years_in_rank", 0)

    def hold_tournament(self) -> None:  # noqa: C901 - per-agent reference, mirrors promotion
        """Fill vacancies from the top rank down with the best-scored candidates below."""
        promo = self.regime.promotion
        top_rank = self.n_ranks - 1

        # Fast-track band: the top share of records in each rank that can still rise.
        self.agents.set("fast_track", False)
        if promo.fast_track_share > 0:
            for r in range(top_rank):
                members = self.agents.select(lambda a, r=r: a.rank == r)
                k = math.floor(promo.fast_track_share * len(members))
                if k > 0:
                    best = members.sort("record", ascending=False).select(at_most=k)
                    best.set("fast_track", True)

        self.agents.shuffle_do("apply_for_promotion")
        self.responsiveness = {}
        self.responsiveness_size = {}
        # Per unit: candidates in the top and bottom half of their rank's records, and winners.
        seen: dict[int, list[int]] = {}
        occupied = Counter(self.agents.get("rank"))
        for r in range(top_rank - 1, -1, -1):
            candidates = self.agents.select(lambda a, r=r: a.in_pool and a.rank == r)
            if not len(candidates):
                continue
            candidates.set("candidate", True)
            free = self.capacities[r + 1] - occupied[r + 1]
            records = np.array(candidates.get("record"))
            scores = f.promotion_score(
                records,
                np.array(candidates.get("years_in_rank")),
                promo.performance_weight,
                self.rng.normal(0.0, promo.score_noise, len(candidates)),
            )
            for agent, score in zip(candidates, scores, strict=True):
                agent.score = float(score)

            winners: list[ReferenceCadre] = []
            if free > 0:
                # Front-line quota: reserved places go to the best front-line candidates first.
                reserved = math.ceil(promo.front_line_quota * min(free, len(candidates)))
                if reserved > 0:
                    front = candidates.select(lambda a: a.front_line)
                    winners = front.sort("score").select(at_most=reserved).to_list()
                chosen = set(winners)
                rest = candidates.select(lambda a, chosen=chosen: a not in chosen)
                winners += rest.sort("score").select(at_most=free - len(winners)).to_list()
            for agent in winners:
                agent.promoted = True
            occupied[r + 1] += len(winners)
            occupied[r] -= len(winners)

            # What each unit sees: its candidates above and below their rank's median record.
            median = np.median(records)
            for agent in candidates:
                counts = seen.setdefault(agent.unit, [0, 0, 0, 0])
                low = int(agent.record < median)
                counts[low] += 1
                counts[2 + low] += agent.promoted
            top_third = np.quantile(records, 2 / 3)
            candidates.select(lambda a, q=top_third: a.record >= q and not a.promoted).set(
                "passed_over", True
            )

        memory = self.config.learning.promotion_memory
        for unit in self.promotions_seen.keys() | seen.keys():
            kept = memory * self.promotions_seen.get(unit, np.zeros(4))
            self.promotions_seen[unit] = kept + np.array(seen.get(unit, [0, 0, 0, 0]), float)
        # Promotions are announced: each unit's record adds the average unit's, weighted.
        published = self.config.learning.published_promotions
        org = self.config.organisation
        n_units = f.unit_count(org.n_cadres, org.unit_size)
        average = sum(self.promotions_seen.values(), np.zeros(4)) / n_units
        for unit in range(n_units) if published > 0 else ():
            self.promotions_seen.setdefault(unit, np.zeros(4))
        for unit, own in self.promotions_seen.items():
            top, bottom, won_top, won_bottom = own + published * average
            self.responsiveness_size[unit] = min(top, bottom)
            if top > 0 and bottom > 0:
                self.responsiveness[unit] = won_top / top - won_bottom / bottom
        for agent in self.agents.select(lambda a: a.promoted):
            agent.rank += 1
            agent.years_in_rank = 0
            agent.probation_years = promo.probation_years

    def commend(self) -> None:
        """Role models: the best-measured successful bold cadres, a share of all cadres."""
        k = round(self.regime.support.commendation * len(self.agents))
        if k <= 0:
            return
        heroes = self.agents.select(lambda a: a.bold_success)
        heroes.sort("measured", ascending=False).select(at_most=k).set("commended", True)

    def renew(self) -> None:
        """Retired and removed cadres leave; an entrant takes each post at rank 0."""
        leaving = self.agents.select(lambda a: a.retiring or a.removed)
        self.year["retirements"] = leaving.agg("retiring", sum) / len(self.agents)
        self.year["turnover"] = len(leaving) / len(self.agents)
        if not len(leaving):
            return
        staff = self.agents.select(lambda a: a.rank == 0 and not (a.retiring or a.removed))
        entry_record = staff.agg("record", np.mean) if len(staff) else 0.0
        # Socialisation: an entrant holds the mean beliefs its new peers held this year,
        # read before anyone is replaced.
        inherited = {
            old: {name: float(np.mean([getattr(p, name) for p in old.peers])) for name in BELIEFS}
            for old in leaving
        }
        pop = self.config.population
        for old in leaving.to_list():
            words = self.rng.integers(0, 2**64, (1, 20), dtype=np.uint64)  # streams.TRAITS
            traits = {k: v[0].item() for k, v in draw_traits(pop, words).items()}
            entrant = ReferenceCadre(
                self,
                slot=old.slot,
                unit=old.unit,
                front_line=old.front_line,
                visibility=old.visibility,
                peer_slots=old.peer_slots,
                person=self.next_person,
                age=int(self.rng.integers(pop.entry_age_min, pop.entry_age_max + 1)),
                rank=0,
                years_in_rank=0,
                record=float(entry_record),
                sanction_years=0,
                strikes=0,
                years_since_sanction=99,
                probation_years=0,
                fast_track=False,
                action=-1,
                **traits,
                **inherited[old],
            )
            self.next_person += 1
            old.remove()
            self.posts[old.slot] = entrant

    # ----------------------------------------------------------------------------------------
    # Reporting
    # ----------------------------------------------------------------------------------------

    def tally_events(self) -> dict[str, float]:
        """This year's events as shares of all cadres (before anyone leaves)."""
        agents = self.agents
        n = len(agents)

        def share(test) -> float:
            return sum(1 for a in agents if test(a)) / n

        actions = Counter(agents.get("action"))
        forms = Counter(agents.get("form"))
        causes = np.sum(agents.get("causes"), axis=0) / n
        named = np.sum(agents.get("named"), axis=0) / n
        reasons = Counter(agents.get("reason"))
        sanctioned = agents.select(lambda a: a.sanctioned)
        rungs = Counter(sanctioned.get("rung"))
        year = {
            "inaction": sum(forms[k] for k in (LYING_FLAT, FORMALISM, AVOIDANCE)) / n,
            "lying_flat": forms[LYING_FLAT] / n,
            "formalism": forms[FORMALISM] / n,
            "avoidance": forms[AVOIDANCE] / n,
            "avoidance_fear": share(lambda a: a.fear_only),
            "routine": actions[f.ROUTINE] / n,
            "bold": actions[f.BOLD] / n,
            "names_unwilling": float(named[0]),
            "names_unable": float(named[1]),
            "names_afraid": float(named[2]),
            "effort_over_reward": float(np.mean([a.answers["effort_over_reward"]
                                                 for a in agents])),
            "held_back_by_fear": float(np.mean([a.answers["held_back_by_fear"] for a in agents])),
            "unwilling": float(causes[0]),
            "unable": float(causes[1]),
            "afraid": float(causes[2]),
            "reason_unwilling": reasons[0] / n,
            "reason_unable": reasons[1] / n,
            "reason_afraid": reasons[2] / n,
            "real_output": agents.agg("real", np.mean),
            "measured_output": agents.agg("measured", np.mean),
            "bold_success": share(lambda a: a.bold_success),
            "bold_failure": share(lambda a: a.bold_failure),
            "tolerated_failures": share(lambda a: a.failure_tolerated),
            "punished_failures": share(lambda a: a.failure_punished),
            "violations_exposed": share(lambda a: a.violation_exposed),
            "shielded_violations": share(lambda a: a.violation_shielded),
            "caught_inaction": share(lambda a: a.caught_idle or a.caught_formal),
            "false_accusations": share(lambda a: a.accused),
            "cleared_accusations": share(lambda a: a.accused and not a.accusation_upheld),
            "wrongful_sanctions": share(lambda a: a.wrongful),
            "leader_sanctions": share(lambda a: a.leader_sanctioned),
            "sanctions": len(sanctioned) / n,
            "warnings": rungs[f.WARNING] / n,
            "demotions": rungs[f.DEMOTION] / n,
            "removals": rungs[f.REMOVAL] / n,
            "probation_failures": share(lambda a: a.probation_failed),
            "promotions": share(lambda a: a.promoted),
            "self_recommendations": share(lambda a: a.self_recommended),
            "policy_reversal": float(self.reversal),
            "effort_cost": agents.agg("effort", np.mean),
            "sanction_cost": agents.agg("expected_sanction", np.mean),
        }
        w = self.config.welfare
        year["welfare"] = f.welfare(year["real_output"], year["effort_cost"],
                                    year["wrongful_sanctions"], year["shielded_violations"],
                                    w.effort_weight, w.wrongful_sanction_harm,
                                    w.shielded_violation_harm)
        year["policy_cost"] = f.policy_cost(self.regime, self.config.policy_cost.levers())
        return year

    def senior_vacancy_rate(self) -> float:
        """Vacant share of the positions at ranks >= 1, now."""
        occupied = Counter(self.agents.get("rank"))
        senior = sum(self.capacities[1:])
        vacant = sum(max(self.capacities[r] - occupied[r], 0) for r in range(1, self.n_ranks))
        return vacant / senior if senior else 0.0

    def run(self, steps: int | None = None) -> pd.DataFrame:
        """Run ``steps`` years (default ``config.steps``) and return the per-step table."""
        for _ in range(self.config.steps if steps is None else steps):
            self.step()
        return self.results_table()

    def results_table(self) -> pd.DataFrame:
        """One row per step: ``step``, ``regime`` and the columns of ``step.STEP_COLUMNS``."""
        table = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return table[["step", "regime", *STEP_COLUMNS]].astype({"step": np.int64})


def run_reference(config: ModelConfig, seed: int, steps: int) -> pd.DataFrame:
    """Run the reference model; the per-step table, like ``CadreModel(config, seed).run(steps)``."""
    return ReferenceModel(config, seed=seed).run(steps)
