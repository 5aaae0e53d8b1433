"""Survey answers: what each cadre would say, this year, to two questions the surveys asked.

The People's Tribune surveys asked cadres whether their effort exceeds their reward (2015, 2018)
and whether strict discipline will weaken officials' drive (2014). Neither answer is an action
or a cause of inaction, so each is read off the cadre's own utility this year, at its start-of-
year inputs and with its own taste draws (docs/calibration.md, section 1, gives the mapping of
each question):

- *effort exceeds reward*: the effort cost of the action it chose exceeds the extrinsic reward
  it expects from it (the career value of its measured output; intrinsic motivation is not a
  reward). A cadre lying flat spends no effort and says no;
- *held back by fear*: with the perceived sanction risk of acting removed (the 'afraid'
  counterfactual of docs/ODD.md 8.2) it would choose a more effortful action.

The NumPy reference, on the decision's inputs; the compiled decide phase asks the same two
questions in its pass over cadres (``simulation.kernels.decide``), with the same answers bit for
bit (tests/test_kernels_decide.py).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from simulation import formulas as f
from simulation.config import Behaviour, Regime
from simulation.decision import utilities, utility_parts
from simulation.records import DecisionInputs


def effort_exceeds_reward(x: DecisionInputs, action: NDArray[np.int8], behaviour: Behaviour,
                          regime: Regime) -> NDArray[np.bool_]:
    """Per cadre: the effort cost of its action is larger than the extrinsic reward it expects.

    The reward is the utility's benefit with intrinsic motivation set to 0 (what promotion and
    recognition pay for the work's measured output).
    """
    unmotivated = utility_parts(x.with_(motivation=np.zeros_like(x.motivation)), behaviour,
                                regime)
    cadre = np.arange(action.size)
    return unmotivated.cost[action, cadre] > unmotivated.benefit[action, cadre]


def held_back_by_fear(x: DecisionInputs, action: NDArray[np.int8], taste: NDArray[np.float64],
                      behaviour: Behaviour, regime: Regime) -> NDArray[np.bool_]:
    """Per cadre: without the perceived sanction risk of acting it would choose more effort."""
    fearless = f.taste_choice(utilities(x.with_(fear=0.0), behaviour, regime), taste,
                              behaviour.temperature)
    return fearless > action


def survey_answers(x: DecisionInputs, action: NDArray[np.int8], taste: NDArray[np.float64],
                   behaviour: Behaviour, regime: Regime) -> dict[str, float]:
    """This year's answers as shares of all cadres, named as the step's outputs."""
    n = action.size
    return {
        "effort_over_reward": np.count_nonzero(
            effort_exceeds_reward(x, action, behaviour, regime)) / n,
        "held_back_by_fear": np.count_nonzero(
            held_back_by_fear(x, action, taste, behaviour, regime)) / n,
    }
