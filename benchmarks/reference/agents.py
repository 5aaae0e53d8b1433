"""The reference cadre: one Mesa agent per cadre, its state in ordinary Python attributes.

Each method is one phase of the year for one cadre, written the way a typical Mesa user would
write it, and dispatched by ``ReferenceModel.step`` through ``AgentSet.shuffle_do``. The
formulas come from ``simulation.formulas`` (and the utility and the accounting of inaction,
its form, causes and reason, from ``simulation.decision``, called on length-1 arrays), so they
are not written twice; what is written again here is the per-cadre bookkeeping around them,
which is what the agreement test checks against the vectorised model.

Synchronous updating: a phase only reads what earlier phases of this year wrote, or what the
cadre itself wrote in this phase; where a cadre would read a peer's value that the same phase
changes (motivation), the new value is staged and adopted in a second pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation import formulas as f
from simulation.cadres import BELIEFS, PERCEIVED_BELIEFS, PERCEIVED_EVIDENCE
from simulation.decision import (
    ACTIVE,
    DecisionInputs,
    account_inaction,
    effort_costs,
    regime_stakes,
    utilities,
)
from simulation.learning import CASES, UNIT_SEEN
from simulation.survey import survey_answers

if TYPE_CHECKING:
    from benchmarks.reference.model import ReferenceModel

#: The per-cadre state copied from ``simulation.population.CadreArrays`` (peers aside).
STATE = (
    "person",
    "ability",
    "motivation",
    "innate_motivation",
    "risk_aversion",
    "violation_prone",
    "rank",
    "years_in_rank",
    "age",
    "record",
    "sanction_years",
    "strikes",
    "years_since_sanction",
    "probation_years",
    "fast_track",
    *BELIEFS,
    "action",
)


class ReferenceCadre(mesa.Agent):
    """A cadre in one post (slot). The post owns the unit, the front-line flag, the visibility
    of hollow work (the unit's multiplier of formal credit) and the ties.

    ``peers`` are agents, looked up through the model's post list, so when a cadre leaves and an
    entrant takes the post, everyone tied to the post now sees the entrant.
    """

    model: ReferenceModel

    def __init__(
        self,
        model: ReferenceModel,
        slot: int,
        unit: int,
        front_line: bool,
        visibility: float,
        peer_slots: tuple[int, ...],
        **state: float | int | bool,
    ) -> None:
        super().__init__(model)
        self.slot = slot
        self.unit = unit
        self.front_line = front_line
        self.visibility = visibility
        self.peer_slots = peer_slots
        missing = set(STATE) - set(state)
        if missing:
            raise TypeError(f"missing state: {sorted(missing)}")
        for name in STATE:
            setattr(self, name, state[name])
        self.forget_last_year()
        self.next_motivation = self.motivation

    # ----------------------------------------------------------------------------------------
    # Helpers
    # ----------------------------------------------------------------------------------------

    @property
    def peers(self) -> list[ReferenceCadre]:
        """The cadres now holding the posts this post is tied to."""
        posts = self.model.posts
        return [posts[j] for j in self.peer_slots]

    @property
    def unit_mates(self) -> list[ReferenceCadre]:
        """The cadres now holding the other posts of this cadre's unit."""
        posts = self.model.posts
        return [posts[j] for j in self.model.unit_slots[self.unit] if j != self.slot]

    @property
    def idle(self) -> bool:
        """Whether the cadre lies flat this year."""
        return self.action == f.IDLE

    @property
    def active(self) -> bool:
        """Whether the cadre does any work this year (formal, routine or bold)."""
        return self.action != f.IDLE

    @property
    def formal(self) -> bool:
        """Whether the cadre does formal work this year."""
        return self.action == f.FORMAL

    @property
    def failure_reviewed(self) -> bool:
        """Whether a failed bold action of this cadre went to review (tolerated or punished)."""
        return self.failure_punished or self.failure_tolerated

    @property
    def upheld(self) -> bool:
        """A false accusation against this cadre was upheld this year."""
        return self.accusation_upheld

    @property
    def warned(self) -> bool:
        """Sanctioned on the warning rung this year."""
        return self.rung == f.WARNING

    @property
    def demoted(self) -> bool:
        """Sanctioned on the demotion rung this year."""
        return self.rung == f.DEMOTION

    @property
    def accuse_exposure(self) -> float:
        """Weight of this year's action as exposure to false accusation (bold 1, safe less)."""
        if self.action == f.BOLD:
            return 1.0
        if self.action in (f.FORMAL, f.ROUTINE):
            return self.model.config.behaviour.safe_work_accusation_ratio
        return 0.0

    def forget_last_year(self) -> None:
        """Clear last year's events (what happened to this cadre this year starts empty)."""
        self.form = ACTIVE  # decision.LYING_FLAT, FORMALISM, AVOIDANCE or ACTIVE
        self.fear_only = False  # routine work that removing fear alone would turn bold
        self.effort = 0.0  # effort cost borne for this year's action
        self.expected_sanction = 0.0  # the cost it expected of its next sanction this year
        self.causes = (0.0, 0.0, 0.0)  # (unwilling, unable, afraid) weights if inactive
        self.named = (0.0, 0.0, 0.0)  # 1 for each cause it names among its reasons if inactive
        self.answers: dict[str, float] = {}  # its survey answers (survey.survey_answers), 0 or 1
        self.reason = -1  # index of the main reason it gives (into decision.CAUSES) if inactive
        self.real = 0.0
        self.measured = 0.0
        self.bold_success = False
        self.bold_failure = False
        self.routine_failure = False
        self.caught_idle = False
        self.caught_formal = False
        self.failure_tolerated = False
        self.failure_punished = False
        self.violation_exposed = False
        self.violation_shielded = False
        self.routine_punished = False
        self.accused = False
        self.accusation_upheld = False
        self.leader_sanctioned = False
        self.sanctioned = False
        self.wrongful = False
        self.rung = -1
        self.probation_failed = False
        self.to_demote = False
        self.removed = False
        self.in_pool = False
        self.self_recommended = False
        self.candidate = False
        self.score = 0.0
        self.promoted = False
        self.passed_over = False
        self.commended = False
        self.retiring = False

    # ----------------------------------------------------------------------------------------
    # 1. Decide
    # ----------------------------------------------------------------------------------------

    def career_weight(self) -> float:
        """Weight of the promotion prize this year (0 if the cadre cannot compete)."""
        model = self.model
        promo = model.regime.promotion
        if self.probation_years > 0:
            return 1.0  # keeping the new post depends on measured work
        top = self.rank >= model.config.organisation.n_ranks - 1
        years_short = 0 if self.fast_track else max(promo.min_tenure - self.years_in_rank, 0)
        too_old = promo.age_ceiling > 0 and self.age >= promo.age_ceiling and not self.fast_track
        eligible = not top and self.sanction_years == 0 and not too_old
        weight = float(
            f.career_weight(years_short, model.config.behaviour.future_discount, eligible)
        )
        if promo.self_recommendation > 0:
            barred = not top and self.sanction_years == 0 and (years_short > 0 or too_old)
            if barred and self.ability >= promo.self_recommendation_ability:
                weight = max(weight, promo.self_recommendation)
        return weight

    def sanction_cost(self) -> float:
        """The cost of this cadre's next sanction: the rung's cost as it believes it, plus what
        the rung takes from its career (rank, prospects up to retirement or the age ceiling)."""
        model = self.model
        config = model.config
        stakes = regime_stakes(config.organisation, config.population, config.behaviour,
                               model.regime)
        rung = int(f.next_rung(self.strikes))
        believed = (self.belief_warning_cost, self.belief_demotion_cost,
                    self.belief_removal_cost)[rung]
        years = min(max(stakes.retirement_age - self.age, 0), stakes.retirement_age)
        if stakes.age_ceiling > 0:
            years = min(years, max(stakes.age_ceiling - self.age, 0))
        prospects = stakes.prospects[self.rank, years]
        return believed + float(f.career_stakes(rung, self.rank, prospects, stakes.bar,
                                                stakes.prize))

    def decision_inputs(self) -> DecisionInputs:
        """This cadre's start-of-year utility inputs, as length-1 arrays."""
        return DecisionInputs(
            motivation=np.array([self.motivation]),
            ability=np.array([self.ability]),
            risk_aversion=np.array([self.risk_aversion]),
            violation_prone=np.array([self.violation_prone]),
            visibility=np.array([self.visibility]),
            career=np.array([self.career_weight()]),
            belief_punish=np.array([self.belief_punish]),
            belief_detect=np.array([self.belief_detect]),
            belief_promote=np.array([self.belief_promote]),
            belief_accuse=np.array([self.belief_accused * self.belief_upheld]),
            belief_detect_formal=np.array([self.belief_detect_formal]),
            belief_punish_routine=np.array([self.belief_punish_routine]),
            sanction_cost=np.array([self.sanction_cost()]),
        )

    def decide(self) -> None:
        """Choose the best action after this year's taste draws (a logit choice); classify
        inaction by its form, split it by its causes, and name the cadre's main reason."""
        self.forget_last_year()
        model = self.model
        config, regime = model.config, model.regime
        b = config.behaviour
        inputs = self.decision_inputs()
        self.expected_sanction = float(inputs.sanction_cost[0])
        taste = model.rng.gumbel(size=(1, len(f.ACTIONS)))
        action = f.taste_choice(utilities(inputs, b, regime), taste, b.temperature)
        self.action = int(action[0])
        self.effort = float(effort_costs(inputs.ability, action, b, regime)[0])
        self.answers = survey_answers(inputs, action, taste, b, regime)
        if self.action != f.BOLD:
            # Not taking on the hard task: what the cadre would do, with the same taste, under
            # each coalition of lifted causes decides whether and why it is inactive.
            inaction = account_inaction(inputs, action, taste, config, regime)
            self.form = int(inaction.form[0])
            self.fear_only = inaction.fear_only == 1
            if self.form != ACTIVE:
                self.causes = tuple(float(c) for c in inaction.causes)
                self.named = tuple(float(c) for c in inaction.named)
                self.reason = int(np.argmax(inaction.reasons))

    # ----------------------------------------------------------------------------------------
    # 2. Produce
    # ----------------------------------------------------------------------------------------

    def produce(self) -> None:
        """Real and measured output of this year's action; update the performance record."""
        model = self.model
        rng, b, regime = model.rng, model.config.behaviour, model.regime
        ev = regime.evaluation
        if self.action == f.BOLD:
            p_success = f.bold_success_probability(self.ability, b.bold_difficulty, b.bold_spread)
            self.bold_success = bool(rng.random() < p_success)
            self.bold_failure = not self.bold_success
        if self.action == f.FORMAL:
            self.real = b.output_formal
        elif self.action == f.ROUTINE:
            self.real = b.output_routine
            self.routine_failure = bool(rng.random() < b.routine_failure_rate)
        elif self.bold_success and not model.reversal:
            self.real = b.output_bold
        self.measured = self.real + rng.normal(
            0.0, f.measurement_noise_sd(ev.noise_sd, ev.precision)
        )
        if self.action == f.FORMAL:
            self.measured += f.formal_credit(b.formal_visibility * self.visibility, ev.precision)
        self.record = float(
            f.smooth(self.record, self.measured, 1.0 - regime.promotion.record_memory)
        )

    # ----------------------------------------------------------------------------------------
    # 3. Accountability: review (may flag the unit leader), then the sanction
    # ----------------------------------------------------------------------------------------

    def face_review(self) -> None:  # noqa: C901 - per-agent reference, mirrors accountability
        """Detection, fault-tolerance review, generalised accountability, false accusations;
        under dual investigation, a cadre caught idle may bring a warning on its leader."""
        model = self.model
        rng, b, regime = model.rng, model.config.behaviour, model.regime
        acc, ft, sup = regime.accountability, regime.fault_tolerance, regime.supervision
        p_detect = f.detection_probability(
            acc.annual_evaluation, sup.public_clues, sup.media_exposure
        )
        leader = model.unit_leaders[self.unit]
        if acc.dual_investigation > 0:
            watching = leader.action in (f.ROUTINE, f.BOLD)
            watch = acc.dual_investigation * b.leader_monitoring * watching
            p_detect = f.detection_probability(p_detect, watch)

        if self.action == f.IDLE:
            self.caught_idle = bool(rng.random() < p_detect)
        elif self.action == f.FORMAL:
            self.caught_formal = bool(
                rng.random() < p_detect * regime.evaluation.formalism_detection
            )
        if self.bold_failure:
            self.failure_tolerated = bool(rng.random() < ft.tolerance)
            self.failure_punished = not self.failure_tolerated
        if self.action == f.BOLD and self.violation_prone:
            self.violation_exposed = bool(rng.random() < b.violation_exposure)
            if self.violation_exposed:
                shield = f.shield_probability(ft.tolerance, ft.precision)
                self.violation_shielded = bool(rng.random() < shield)
        if self.routine_failure:
            self.routine_punished = bool(rng.random() < acc.generalised_accountability)
        if not self.idle:
            # False accusations fall most on bold work, which stirs interests.
            exposure = 1.0 if self.action == f.BOLD else b.safe_work_accusation_ratio
            rate = sup.false_accusation_rate * (1.0 - sup.accuser_deterrence) * exposure
            self.accused = bool(rng.random() < rate)
            if self.accused:
                self.accusation_upheld = not rng.random() < sup.clarification
        if self.caught_idle and rng.random() < acc.dual_investigation:
            leader.leader_sanctioned = True  # dual investigation: the leader answers for it

    def take_sanction(self) -> None:
        """At most one sanction a year, on the ladder; the probation check."""
        regime = self.model.regime
        acc, promo = regime.accountability, regime.promotion
        deserved = (
            self.caught_idle
            or self.caught_formal
            or (self.violation_exposed and not self.violation_shielded)
        )
        wrongful_grounds = self.failure_punished or self.routine_punished or self.accusation_upheld
        own = deserved or wrongful_grounds
        self.sanctioned = own or self.leader_sanctioned
        # Wrongful: sanctioned on a wrongful ground without a deserved one. A violation-prone
        # cadre's punished bold failure does not count: it is not the honest actor tolerance
        # protects, though the review did not see the violation.
        disguised = self.violation_prone and self.action == f.BOLD
        honest_failure_punished = self.failure_punished and not disguised
        self.wrongful = not deserved and (
            honest_failure_punished or self.routine_punished or self.accusation_upheld
        )
        if self.leader_sanctioned:
            self.rung = f.WARNING  # a leader's warning for the unit does not climb the ladder
        if own:
            self.rung = min(self.strikes, f.REMOVAL)
            self.strikes = min(self.strikes + 1, 100)
            self.years_since_sanction = 0
        if self.sanctioned:
            self.sanction_years = acc.sanction_years
        if self.probation_years > 0:
            # Poor work fails it, unless a tolerated failure or a success (even one scrapped by
            # a policy reversal).
            poor = (
                self.measured < promo.probation_min_performance
                and not self.failure_tolerated
                and not self.bold_success
            )
            self.probation_failed = self.sanctioned or poor
            self.probation_years = 0 if self.probation_failed else self.probation_years - 1
        self.to_demote = self.rung == f.DEMOTION or self.probation_failed
        self.removed = self.rung == f.REMOVAL

    # ----------------------------------------------------------------------------------------
    # 4. Promotion (the tournament itself runs in the model, over AgentSets)
    # ----------------------------------------------------------------------------------------

    def apply_for_promotion(self) -> None:
        """Enter the pool if eligible; an able cadre barred by tenure or age may self-recommend."""
        model = self.model
        promo = model.regime.promotion
        unbarred = (
            self.sanction_years == 0
            and self.probation_years == 0
            and self.rank < model.config.organisation.n_ranks - 1
            and not self.removed
        )
        if not unbarred:
            return
        tenure_ok = self.years_in_rank >= promo.min_tenure or self.fast_track
        age_ok = promo.age_ceiling == 0 or self.age < promo.age_ceiling or self.fast_track
        if tenure_ok and age_ok:
            self.in_pool = True
        elif (
            promo.self_recommendation > 0
            and self.ability >= promo.self_recommendation_ability
            and model.rng.random() < promo.self_recommendation
        ):
            self.self_recommended = True
            self.in_pool = True

    # ----------------------------------------------------------------------------------------
    # 5. Learn
    # ----------------------------------------------------------------------------------------

    def learn(self) -> None:
        """Beliefs from what this cadre and its peers saw; stage the new motivation; ability."""
        model = self.model
        lrn, sup = model.config.learning, model.regime.support
        rate = lrn.belief_rate
        peers = self.peers

        # Each perceived rule: this year's cases (events among exposures) of this cadre
        # (counted own_weight times), its peers, its unit mates for detection and sanctions
        # (announced in the unit) and the published ones, added to the discounted evidence
        # behind the belief, anchored on the rule as credited. Safe work is falsely accused at
        # safe_work_accusation_ratio times the rate of bold work, so its exposure is weighted
        # by that ratio; a case of a rung's cost shows the rung's written cost.
        mates = self.unit_mates
        credited = model.credited
        for q, (event, exposure) in enumerate(CASES):
            events = lrn.own_weight * float(getattr(self, event)) + sum(
                float(getattr(o, event)) for o in peers)
            exposed = lrn.own_weight * float(getattr(self, exposure)) + sum(
                float(getattr(o, exposure)) for o in peers)
            if event in UNIT_SEEN:
                events += sum(float(getattr(o, event)) for o in mates)
                exposed += sum(float(getattr(o, exposure)) for o in mates)
            events += float(credited.published[q, 0])
            exposed += float(credited.published[q, 1])
            belief, evidence = PERCEIVED_BELIEFS[q], PERCEIVED_EVIDENCE[q]
            updated, weight = f.perceived_update(
                getattr(self, belief), getattr(self, evidence), credited.rule[q],
                events * credited.case_value[q], exposed, lrn.memory, lrn.rule_weight)
            updated = float(updated)
            if credited.is_rate[q]:
                updated = min(max(updated, 0.0), 1.0)
            setattr(self, belief, updated)
            setattr(self, evidence, float(weight))
        # Promotion belief: the responsiveness seen in this cadre's unit, where there is one,
        # weighted by the candidates behind it (unclipped: few are shrunk toward the belief).
        stat = model.responsiveness.get(self.unit)
        if stat is not None:
            size = model.responsiveness_size[self.unit]
            weight = rate * f.pool_weight(size, lrn.statistic_pseudocount)
            self.belief_promote = float(f.smooth(self.belief_promote, stat, weight))

        # Motivation: staged, because peers read this year's motivation as the norm.
        m = self.motivation
        norm = sum(p.motivation for p in peers) / len(peers)
        target = self.innate_motivation + lrn.care_motivation_lift * sup.care * (
            1.0 - self.innate_motivation
        )
        role_models = sum(p.commended for p in peers)
        delta = (
            lrn.motivation_reversion * (target - m)
            + sup.education * (1.0 - m)
            + lrn.conformity * (norm - m)
            + lrn.recognition_boost * (self.promoted or self.commended)
            - lrn.unfairness_penalty * self.wrongful
            - lrn.passed_over_penalty * self.passed_over
            + lrn.role_model_boost * role_models
        )
        self.next_motivation = min(max(m + delta, 0.0), 1.0)

        a = self.ability
        gain = (sup.training + lrn.experience_gain * (self.action == f.BOLD)) * (1.0 - a)
        loss = lrn.skill_decay * self.idle * a
        self.ability = min(max(a + gain - loss, 0.0), 1.0)

    def adopt_motivation(self) -> None:
        """Second pass of learning: take up the motivation staged in ``learn``."""
        self.motivation = self.next_motivation

    # ----------------------------------------------------------------------------------------
    # 6. Age
    # ----------------------------------------------------------------------------------------

    def age_one_year(self) -> None:
        """Clocks advance, the promotion bar runs down (or is lifted), strikes expire."""
        model = self.model
        regime = model.regime
        self.age += 1
        self.years_in_rank += 1
        self.years_since_sanction = min(self.years_since_sanction + 1, 10_000)
        self.sanction_years = max(self.sanction_years - 1, 0)
        reuse = regime.fault_tolerance.reuse_disciplined
        if reuse > 0 and self.sanction_years > 0 and model.rng.random() < reuse:
            self.sanction_years = 0
        if self.years_since_sanction > regime.accountability.strike_expiry:
            self.strikes = 0
        self.retiring = self.age >= model.config.population.retirement_age

    def __repr__(self) -> str:
        return (
            f"ReferenceCadre(slot={self.slot}, rank={self.rank}, age={self.age}, "
            f"ability={self.ability:.2f}, motivation={self.motivation:.2f}, "
            f"action={self.action})"
        )
