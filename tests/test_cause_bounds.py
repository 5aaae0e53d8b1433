"""How far below zero a cause of inaction goes: the Shapley split is exact, not clipped.

``unwilling``, ``unable`` and ``afraid`` are Shapley shares (docs/ODD.md section 8.2): they add
up to ``inaction`` exactly, and one can be negative where a change creates inaction in some
coalition. On a fixed-seed sample of configs whose levers sit at the ends of their allowed
ranges, this documents both facts and the floor the documentation states (CAUSE_FLOOR).
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation import CadreModel, load_config
from simulation.loading import ConfigError, field_info, known_paths
from tests.strategies import bounds

CAUSES = ["unwilling", "unable", "afraid"]
#: The floor docs/ODD.md 8.2 and docs/results-format.md state for a cause, as a share of cadres.
CAUSE_FLOOR = -0.1
#: Configs drawn, and the chance that each bounded lever is set to one end of its range.
DRAWS, AT_AN_END = 500, 0.15


def extreme_configs(seed: int = 25):
    """Valid configs (60 cadres) with levers of population, behaviour and regime at their ends."""
    levers = []
    for path in known_paths():
        kind = field_info(path).annotation
        if path.startswith(("population.", "behaviour.", "regime.")) and kind in (float, int):
            lo, hi = bounds(path)
            if lo is not None and hi is not None:
                levers.append((path, kind, lo, hi))
    rng = np.random.default_rng(seed)
    for _ in range(DRAWS):
        overrides = {"organisation.n_cadres": 60}
        for path, kind, lo, hi in levers:
            if rng.random() < AT_AN_END:
                overrides[path] = kind(lo if rng.random() < 0.5 else hi)
        try:
            config = load_config(overrides=overrides)
        except ConfigError:  # ends that contradict one another: not a valid config
            continue
        yield config, int(rng.integers(2**30))


@pytest.mark.slow  # a few hundred small runs
def test_causes_add_up_exactly_and_stay_above_the_documented_floor():
    lowest, runs = [], 0
    for config, seed in extreme_configs():
        table = CadreModel(config, seed=seed).run(6)
        causes = table[CAUSES]
        np.testing.assert_allclose(causes.sum(axis=1), table["inaction"], atol=1e-9)
        lowest.append(causes.to_numpy().min())
        runs += 1
    lowest = np.array(lowest)
    assert runs > DRAWS // 2
    assert lowest.min() >= CAUSE_FLOOR, lowest.min()
    # negative causes are real (the labels and the documentation say so), and rare: the worst
    # year of this sample is -0.008 since issue 22 (below -0.01 before)
    assert (lowest < -1e-9).any()
    assert (lowest < -1e-9).mean() < 0.05
