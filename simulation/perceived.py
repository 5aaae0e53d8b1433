"""The regime as cadres perceive it: every rule that enters a decision, as a learnt belief.

Each quantity below is a rule the regime writes down (a detection chance, a punishment rate, a
rung's cost) that cadres know only as far as they credit its announcement and as far as the
cases they see bear it out (docs/ODD.md 7.5.2). Per cadre, a quantity is a belief (``belief_*``
in ``simulation.cadres``) with the weight of case evidence behind it (``evidence_*``); the
organisation holds the rules as announced and as credited (:class:`RuleBook`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.cadres import PERCEIVED_BELIEFS, PERCEIVED_EVIDENCE, CadreArrays
from simulation.config import Learning, Regime
from simulation.records import Outcomes, Review

#: The perceived rules, in the order of every (Q,) array here. All are risks: a higher value
#: is a harsher rule, so a fall is a relief. The first six are probabilities.
QUANTITIES: tuple[str, ...] = (
    "detect",  # P(lying flat is caught)
    "detect_formal",  # P(formal work is caught and treated as inaction)
    "punish_routine",  # P(a routine mishap is punished): generalised accountability
    "punish",  # P(an honest failed bold action is punished): 1 - tolerance granted
    "accused",  # P(bold work is falsely accused); safe work at safe_work_accusation_ratio times
    "upheld",  # P(a false accusation is upheld): 1 - clarification
    "warning_cost",  # utility cost of each rung of the ladder, as written
    "demotion_cost",
    "removal_cost",
)
Q = len(QUANTITIES)
INDEX = {name: q for q, name in enumerate(QUANTITIES)}
#: Quantities that are probabilities (kept in [0, 1]); the rest are the ladder's costs.
RATES: tuple[str, ...] = QUANTITIES[:6]
IS_RATE = np.array([name in RATES for name in QUANTITIES])


def written(regime: Regime) -> NDArray[np.float64]:
    """The written value of every quantity under ``regime`` (what an announcement says)."""
    acc, ft, ev, sup = (regime.accountability, regime.fault_tolerance, regime.evaluation,
                        regime.supervision)
    detect = f.detection_probability(acc.annual_evaluation, sup.public_clues,
                                     sup.media_exposure)
    return np.array([
        detect,
        detect * ev.formalism_detection,
        acc.generalised_accountability,
        1.0 - ft.tolerance,
        sup.false_accusation_rate * (1.0 - sup.accuser_deterrence),
        1.0 - sup.clarification,
        acc.warning_cost,
        acc.demotion_cost,
        acc.removal_cost,
    ], dtype=np.float64)


class Credited(NamedTuple):
    """What the learning phase reads of the rules this year (arrays over QUANTITIES)."""

    rule: NDArray[np.float64]  # the rule as credited: each belief's anchor
    case_value: NDArray[np.float64]  # what a case shows: 1 for a rate, the written cost for a rung
    published: NDArray[np.float32]  # (Q, 2): published events and exposures each cadre reads
    is_rate: NDArray[np.bool_]  # a probability, kept in [0, 1]


@dataclass
class RuleBook:
    """The written rules as announced, and how far the service credits them.

    One per run. ``announce`` is called at the start of every year with the regime in force;
    when a rule's written value changes, cadres credit the change by a credibility: the base
    credibility of a tightening or a relief, times the regime's trust (lost by reversals), times
    1 minus the gap between what the rule last announced and what the organisation's cases
    showed since.
    """

    announced: NDArray[np.float64]  # (Q,) written values last announced
    credited: NDArray[np.float64]  # (Q,) the rules as credited: the anchors of beliefs
    last_change: NDArray[np.float64] = field(default_factory=lambda: np.zeros(Q))  # sign
    trust: float = 1.0  # share of the base credibility left after reversals
    track: NDArray[np.float64] = field(default_factory=lambda: np.zeros((Q, 2)))  # cases since
    credibility: NDArray[np.float64] = field(default_factory=lambda: np.full(Q, np.nan))  # last
    reversals: int = 0

    @classmethod
    def of(cls, regime: Regime) -> RuleBook:
        """The rules of the starting regime, announced and fully credited (year 0)."""
        rules = written(regime)
        return cls(announced=rules, credited=rules.copy())

    def gaps(self) -> NDArray[np.float64]:
        """Per quantity, how far the cases since the last announcement departed from it.

        |observed - announced| beyond two standard errors of the observed rate (a departure
        chance explains is no gap), capped at 1. Rates only: 0 where fewer than one case was
        seen, and for the costs, which every sanction shows as written.
        """
        events, exposure = self.track[:, 0], self.track[:, 1]
        seen = exposure >= 1.0
        observed = np.divide(events, exposure, out=self.announced.copy(), where=seen)
        rate = np.clip(self.announced, 0.0, 1.0)
        chance = 2.0 * np.sqrt(np.divide(rate * (1.0 - rate), exposure,
                                         out=np.zeros(Q), where=seen))
        gap = np.clip(np.abs(observed - self.announced) - chance, 0.0, 1.0)
        return np.where(IS_RATE & seen, gap, 0.0)

    def announce(self, regime: Regime, cadres: CadreArrays, learning: Learning
                 ) -> NDArray[np.bool_]:
        """Announce ``regime``'s rules to ``cadres``; returns which quantities changed.

        For each changed quantity the credited rule moves the credibility's share of the way to
        the announced value, and each cadre sets aside the same share of its case evidence as
        describing the old rules (``shift_beliefs``), in place.
        """
        new = written(regime)
        changed = new != self.announced
        if not changed.any():
            return changed
        sign = np.sign(new - self.announced)
        reversed_ = changed & (sign == -self.last_change)
        if reversed_.any():
            self.trust *= 1.0 - learning.reversal_penalty
            self.reversals += 1
        base = np.where(sign > 0, learning.credibility_tightening, learning.credibility_relief)
        credibility = base * self.trust * (1.0 - self.gaps())
        for q in np.flatnonzero(changed):
            rule = self.credited[q] + credibility[q] * (new[q] - self.credited[q])
            shift_beliefs(getattr(cadres, PERCEIVED_BELIEFS[q]),
                          getattr(cadres, PERCEIVED_EVIDENCE[q]), self.credited[q], rule,
                          credibility[q], learning.rule_weight)
            self.credited[q] = rule
        self.credibility = np.where(changed, credibility, self.credibility)
        self.announced = new
        self.last_change = np.where(changed, sign, self.last_change)
        self.track[changed] = 0.0
        return changed

    def record(self, cases: NDArray[np.float64]) -> None:
        """Add this year's organisation-wide cases (Q, 2: events, exposures) to the record."""
        self.track += cases


def shift_beliefs(belief: NDArray, evidence: NDArray, old_rule: float, new_rule: float,
                  credibility: float, rule_weight: float) -> None:
    """Move beliefs in place for an announcement credited at ``credibility``.

    With belief = (w a + E) / (w + X): the anchor a becomes ``new_rule`` and the share
    ``credibility`` of the case evidence (E and X) is set aside. At credibility 1 every belief
    is the new rule; at 0 nothing moves.
    """
    kept = 1.0 - credibility
    events = belief * (rule_weight + evidence) - rule_weight * old_rule
    evidence *= kept
    weight = rule_weight + evidence
    moved = (rule_weight * new_rule + kept * events) / np.where(weight > 0.0, weight, 1.0)
    np.copyto(belief, np.where(weight > 0.0, moved, new_rule))


#: Whether each quantity's cases are published in a case collection (detection and the rate
#: of accusations are not: publishing who was caught or accused does not say who was not).
PUBLISHED = np.array([name not in ("detect", "detect_formal", "accused") for name in QUANTITIES])


def credited_view(rule: NDArray[np.float64], regime: Regime, cases: NDArray[np.float64],
                  publicity: float, reach: float, n: int) -> Credited:
    """The rules as credited, what a case of each quantity shows, and the published cases.

    A published case collection shows each cadre the organisation's cases per cadre times
    ``publicity`` times ``reach`` (a rate, so the same at any population size).
    """
    case_value = np.where(IS_RATE, 1.0, written(regime))
    published = np.where(PUBLISHED[:, None], publicity * reach * cases / n, 0.0)
    return Credited(rule=np.asarray(rule, dtype=np.float64), case_value=case_value,
                    published=published.astype(np.float32), is_rate=IS_RATE)


def organisation_cases(action: NDArray[np.int8], out: Outcomes, rev: Review,
                       safe_work_accusation_ratio: float) -> NDArray[np.float64]:
    """This year's cases in the whole organisation: (Q, 2) events and exposures per quantity.

    Counts, so exact in any order of summation (the rung costs' rows count sanctions).
    """
    idle, formal, bold = action == f.IDLE, action == f.FORMAL, action == f.BOLD
    safe = np.count_nonzero(formal | (action == f.ROUTINE))
    reviewed = rev.failure_punished | rev.failure_tolerated
    accused = np.count_nonzero(rev.accused)
    rungs = np.bincount(rev.rung[rev.rung >= 0], minlength=len(f.RUNGS)).astype(np.float64)
    count = np.count_nonzero
    return np.array([
        (count(rev.caught_idle), count(idle)),
        (count(rev.caught_formal), count(formal)),
        (count(rev.routine_punished), count(out.routine_failure)),
        (count(rev.failure_punished), count(reviewed)),
        (accused, count(bold) + safe_work_accusation_ratio * safe),
        (count(rev.accusation_upheld), accused),
        *((k, k) for k in rungs),
    ], dtype=np.float64)
