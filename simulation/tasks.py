"""What the four tasks ask of a cadre and what they are worth: read off the config alone.

Effort per action, the measured output that earns the full promotion value, and the reference
levels of the cause split. They depend on no cadre, year or regime, so the NumPy utility and
the compiled decide kernel share them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.config import Behaviour, Regime


def efforts(behaviour: Behaviour) -> NDArray[np.float64]:
    """Effort level of each action, in ACTIONS order."""
    return np.array(
        [0.0, behaviour.effort_formal, behaviour.effort_routine, behaviour.effort_bold]
    )


def promotion_scale(behaviour: Behaviour) -> float:
    """Measured output that earns the full promotion value: a good year's work, as shown.

    The largest expected measured output of any action for a fully able cadre in a post of
    average visibility under a blind evaluator (formal work in a very visible post can show
    more, and is then worth more than the full value: that is the lure of image projects).
    It is the same for every cadre, so the career value of an action does not depend on the
    cadre's own other options.
    """
    b = behaviour
    return max(b.output_bold, b.output_routine, b.output_formal + b.formal_visibility, 1e-12)


class References(NamedTuple):
    """The reference levels of the cause split: what 'enough' means for each cause."""

    motivated: float  # motivation at which routine work's intrinsic value covers its cost
    able: float  # ability at which a bold task succeeds with probability able_enough_success
    rewarded: float  # belief that performance is promoted at which the hard task pays its way


def reference_levels(behaviour: Behaviour, regime: Regime | None = None) -> References:
    """The reference levels of the split (docs/ODD.md 8.2).

    Able enough: the ability at which a bold task succeeds with probability
    ``able_enough_success``. Motivated enough: the motivation at which the intrinsic value of
    routine work covers ``motivated_enough_cover`` of its effort cost for a cadre that able,
    without burden or care. Both are read off the tasks alone, so they do not move with the
    year, the regime or who is in the service. Rewarded enough (``rewarded_level``) is read off
    the hard task as the regime in force sets it (its burden, care and policy reversals; none
    when ``regime`` is None): the reward that makes it worth taking on.
    """
    b = behaviour
    able = f.ability_for_success(b.able_enough_success, b.bold_difficulty, b.bold_spread)
    cost = f.effort_cost(b.effort_routine, able, b.effort_cost, b.ability_cost_slope, 0.0, 0.0)
    value = b.intrinsic_value * b.output_routine
    motivated = min(b.motivated_enough_cover * float(cost) / value, 1.0) if value > 0 else 1.0
    return References(motivated, able, rewarded_level(b, regime, motivated, able))


def rewarded_level(behaviour: Behaviour, regime: Regime | None, motivated: float, able: float
                   ) -> float:
    """Belief in promotion for performance at which the hard task pays its way, in [0, 1].

    For a cadre at ``motivated`` and ``able``, eligible now (career weight 1) and unafraid,
    under the regime's burden, care and policy reversals: the belief b* at which
    intrinsic value x extra expected output + prize x b* x extra measured output / scale
    covers ``motivated_enough_cover`` of bold work's extra effort cost over routine work.
    1 when no belief can make it pay (bold work shows no more than routine work, or even full
    belief falls short).
    """
    b = behaviour
    burden = regime.support.burden if regime is not None else 0.0
    relief = b.care_cost_relief * regime.support.care if regime is not None else 0.0
    kept = 1.0 - regime.support.policy_volatility if regime is not None else 1.0
    p = float(f.bold_success_probability(able, b.bold_difficulty, b.bold_spread))
    extra_output = p * b.output_bold * kept - b.output_routine
    cost = f.effort_cost(np.array([b.effort_routine, b.effort_bold]), able, b.effort_cost,
                         b.ability_cost_slope, burden, relief)
    extra_cost = b.motivated_enough_cover * float(cost[1] - cost[0])
    pays = b.promotion_prize * extra_output  # what full belief adds per unit of scale
    needed = (extra_cost - b.intrinsic_value * motivated * extra_output) * promotion_scale(b)
    if extra_output <= 0 or not pays > 0 or needed >= pays:  # a prize too small to count
        return 1.0 if needed > 0 or extra_output <= 0 else 0.0
    return float(min(max(needed / pays, 0.0), 1.0))
