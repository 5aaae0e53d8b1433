"""What the page compares a run with: a baseline run kept beside it, and replicate bands.

A baseline is a frozen copy of a run (its per-step table, config and name). Replicates are the
run's config with other seeds, run in full; their band is the 95% t-interval of the mean of each
output, year by year, over the run and its replicates (replicate r's seed comes from
``SeedSequence(seed, spawn_key=(r,))``, as a sweep's replicate seeds do).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from simulation.config import ModelConfig, config_value
from simulation.loading import field_info
from simulation.model import CadreModel
from simulation.viz.presets import DEFAULT_PRESET, preset_title

#: Replicate counts the page offers (0: no band).
REPLICATE_CHOICES: tuple[int, ...] = (0, 5, 10)
#: Confidence level of the replicate band.
LEVEL = 0.95
#: Most cadre-years the page spends on replicates (10 replicates of 30 years at 10 000 cadres):
#: about 15 s on one core; beyond it the page asks for a sweep instead.
MAX_REPLICATE_CADRE_YEARS = 3_000_000


@dataclass(frozen=True)
class Run:
    """A run as the page shows and compares it: its name, preset, config and per-step table."""

    label: str
    preset: str
    config: ModelConfig
    table: pd.DataFrame


def changed_fields(config: ModelConfig, base: ModelConfig,
                   paths: Sequence[str]) -> dict[str, object]:
    """The fields among ``paths`` where ``config`` differs from ``base``, with their new values."""
    return {path: config_value(config, path) for path in paths
            if config_value(config, path) != config_value(base, path)}


def run_label(preset: str, config: ModelConfig, base: ModelConfig, paths: Sequence[str]) -> str:
    """A run's name for legends: preset, the levers moved off it, population and seed.

    ``Strict accountability, fault tolerance 0.8; 1,000 cadres, seed 1``.
    """
    title = "Default" if preset == DEFAULT_PRESET else preset_title(preset)
    moved = [f"{str(field_info(path).title).lower()} {value:g}"
             for path, value in changed_fields(config, base, paths).items()]
    return (", ".join([title, *moved]) + f"; {config.organisation.n_cadres:,} cadres, "
            f"seed {config.seed}")


def freeze(model: CadreModel, preset: str, label: str) -> Run:
    """The model's run so far, copied so that later steps do not change it (a baseline)."""
    return Run(label, preset, model.config, model.results_table().copy())


def replicate_seed(seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate`` (1, 2, ...) of a run seeded ``seed``."""
    return int(np.random.SeedSequence(seed, spawn_key=(replicate,)).generate_state(1)[0])


def replicate_cost(config: ModelConfig, n: int) -> int:
    """Cadre-years ``n`` replicates of ``config`` take."""
    return n * config.organisation.n_cadres * config.steps


def run_replicates(config: ModelConfig, n: int,
                   progress: Callable[[int], None] | None = None) -> list[pd.DataFrame]:
    """The per-step tables of ``n`` runs of ``config`` with replicate seeds, each run in full.

    ``progress(k)`` is called after the k-th run. Refuses more than MAX_REPLICATE_CADRE_YEARS.
    """
    cost = replicate_cost(config, n)
    if cost > MAX_REPLICATE_CADRE_YEARS:
        raise ValueError(f"{n} replicates of this run are {cost:,} cadre-years; the page runs at "
                         f"most {MAX_REPLICATE_CADRE_YEARS:,} (fewer cadres or years, or a sweep)")
    tables = []
    for r in range(1, n + 1):
        seeded = config.model_copy(update={"seed": replicate_seed(config.seed, r)})
        tables.append(CadreModel(seeded).run())
        if progress is not None:
            progress(r)
    return tables


def band(tables: Sequence[pd.DataFrame], column: str, level: float = LEVEL) -> pd.DataFrame:
    """Year by year, the mean of ``column`` over ``tables`` and its t-interval.

    Columns ``step``, ``n``, ``mean``, ``low``, ``high``; only years every table reached (a band
    needs at least two runs: with fewer, low and high are NaN).
    """
    steps = min((len(t) for t in tables), default=0)
    values = np.array([t[column].to_numpy(dtype=float)[:steps] for t in tables]).reshape(-1, steps)
    n = values.shape[0]
    mean = values.mean(axis=0) if n else np.full(steps, np.nan)
    if n > 1:
        half = stats.t.ppf(0.5 + level / 2, n - 1) * values.std(axis=0, ddof=1) / np.sqrt(n)
    else:
        half = np.full(steps, np.nan)
    step = tables[0]["step"].to_numpy()[:steps] if n else np.arange(1, steps + 1)
    return pd.DataFrame({"step": step, "n": n, "mean": mean, "low": mean - half,
                         "high": mean + half})


def bands(tables: Sequence[pd.DataFrame], columns: Sequence[str],
          level: float = LEVEL) -> Mapping[str, pd.DataFrame]:
    """:func:`band` of every column in ``columns``."""
    return {column: band(tables, column, level) for column in columns}
