"""How firm the cause split is: the same run measured against other reference levels.

The reference levels of the split ("able enough", "motivated enough", and the reward derived
from them; docs/ODD.md 8.2) are a yardstick, not a mechanism: they change no choice, so the same
config and seed give the same run. What moves is the attribution of its inaction to unwilling,
unable and afraid, and, since avoidance asks what a cadre would do were its causes lifted to
those levels, avoidance and so the headline. This module reruns one run over a stated grid of
levels through the sweep engine's in-memory runner and reports the band of inaction, of
avoidance and of each cause, as a level and as a share of inaction.
"""

from __future__ import annotations

import itertools

import pandas as pd

from experiments.engine.batch import run_arm
from simulation import ModelConfig
from simulation.outputs import CAUSES

#: The stated range: bold success at the "able enough" ability, and the share of routine
#: work's effort cost that "motivated enough" intrinsic value covers (defaults 0.5 and 1).
ABLE_ENOUGH_SUCCESS: tuple[float, ...] = (0.35, 0.5, 0.65)
MOTIVATED_ENOUGH_COVER: tuple[float, ...] = (0.75, 1.0, 1.25)


def with_yardstick(config: ModelConfig, success: float, cover: float) -> ModelConfig:
    """The config with other reference levels (and nothing else) changed."""
    behaviour = config.behaviour.model_copy(
        update={"able_enough_success": success, "motivated_enough_cover": cover}
    )
    return config.model_copy(update={"behaviour": behaviour})


def split_sensitivity(
    config: ModelConfig, seed: int, steps: int, burn_in: int = 0
) -> pd.DataFrame:
    """One row per pair of reference levels: each cause's run value and share of inaction."""
    grid = list(itertools.product(ABLE_ENOUGH_SUCCESS, MOTIVATED_ENOUGH_COVER))
    configs = [with_yardstick(config, success, cover) for success, cover in grid]
    sink = run_arm(configs, [seed] * len(grid), steps, burn_in,
                   ("inaction", "avoidance", *CAUSES))
    runs = sink.runs_table()
    columns = ["inaction", "avoidance", *CAUSES, *(f"{c}_share" for c in CAUSES)]
    table = runs[columns].copy()
    table.insert(0, "able_enough_success", [s for s, _ in grid])
    table.insert(1, "motivated_enough_cover", [c for _, c in grid])
    return table


def split_band(table: pd.DataFrame, config: ModelConfig) -> pd.DataFrame:
    """Per measure: the value at the config's own levels and the band over the grid.

    Inaction and avoidance as levels, each cause as a level and as a share of inaction.
    """
    b = config.behaviour
    own = (table["able_enough_success"] == b.able_enough_success) & (
        table["motivated_enough_cover"] == b.motivated_enough_cover
    )
    rows = []
    measured = [(name, (("level", name),)) for name in ("inaction", "avoidance")]
    measured += [(cause, (("level", cause), ("share of inaction", f"{cause}_share")))
                 for cause in CAUSES]
    for cause, kinds in measured:
        for kind, column in kinds:
            values = table[column]
            rows.append({
                "cause": cause, "measure": kind,
                "at_config": float(values[own].iloc[0]) if own.any() else float("nan"),
                "low": float(values.min()), "high": float(values.max()),
            })
    return pd.DataFrame(rows)


def format_split_band(band: pd.DataFrame) -> str:
    """The band as aligned lines for a terminal."""
    lines = [
        "How firm is the split? The same run measured against other reference levels:",
        f"  able enough: bold success {list(ABLE_ENOUGH_SUCCESS)}; motivated enough: intrinsic "
        f"value covers {list(MOTIVATED_ENOUGH_COVER)} of routine work's effort cost",
        f"  {'what':<10} {'measure':<18} {'this config':>11}   band",
    ]
    for row in band.itertuples():
        lines.append(f"  {row.cause:<10} {row.measure:<18} {row.at_config:>11.1%}   "
                     f"{row.low:.1%} to {row.high:.1%}")
    return "\n".join(lines)
