"""What the four tasks ask of a cadre and what they are worth: read off the config alone.

Effort per action, the measured output that earns the full promotion value, and the reference
levels of the cause split. They depend on no cadre, year or regime, so the NumPy utility and
the compiled decide kernel share them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.config import Behaviour


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


def reference_levels(behaviour: Behaviour) -> tuple[float, float]:
    """(motivated enough, able enough): the reference levels of the split (docs/ODD.md 8).

    Both are read off the tasks, not the population or the regime, so they do not move with
    the year, the regime or who happens to be in the service. Able enough: the ability at
    which a bold task succeeds with probability ``able_enough_success``. Motivated enough: the
    motivation at which the intrinsic value of routine work covers ``motivated_enough_cover``
    of its effort cost for a cadre that able, without burden or care.
    """
    b = behaviour
    able = f.ability_for_success(b.able_enough_success, b.bold_difficulty, b.bold_spread)
    cost = f.effort_cost(b.effort_routine, able, b.effort_cost, b.ability_cost_slope, 0.0, 0.0)
    value = b.intrinsic_value * b.output_routine
    motivated = min(b.motivated_enough_cover * float(cost) / value, 1.0) if value > 0 else 1.0
    return motivated, able
