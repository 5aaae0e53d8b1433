"""CadreModel: the Mesa model that owns the cadre arrays, the schedule and the data collector."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import mesa
import numpy as np
import pandas as pd

from simulation.agents import Cadre
from simulation.config import ModelConfig, Regime
from simulation.formulas import rank_capacities
from simulation.population import CadreArrays, initial_population
from simulation.promotion import Tournament
from simulation.step import STEP_COLUMNS, advance
from simulation.timing import PhaseClock


class CadreModel(mesa.Model):
    """Civil-service cadres choosing how hard to work under a regime (docs/ODD.md).

    Args:
        config: a validated ModelConfig (``simulation.load_config``); defaults if None.
        seed: overrides ``config.seed``; a run is a pure function of (config, seed).
        snapshot_steps: steps after which every cadre's state is kept (``model.snapshots``).
            Without them, what a step records does not grow with the number of cadres.
    """

    def __init__(
        self,
        config: ModelConfig | None = None,
        seed: int | None = None,
        snapshot_steps: Iterable[int] = (),
    ) -> None:
        config = config if config is not None else ModelConfig()
        seed = config.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.config = config
        self.seed = seed
        self.regime: Regime = config.regime
        self.regime_label = config.name
        org = config.organisation
        self.capacities = rank_capacities(org.n_cadres, org.n_ranks, org.pyramid_ratio)
        self.cadres: CadreArrays = initial_population(config, self.rng)
        self.next_person = org.n_cadres
        self.cadre_agents: list[Cadre] = [Cadre(self, i) for i in range(org.n_cadres)]
        self.stats: dict[str, float] = {}
        self.snapshot_steps = frozenset(int(s) for s in snapshot_steps)
        self.snapshots: dict[int, pd.DataFrame] = {}
        self.phase_clock: PhaseClock | None = None  # set one to time the phases of each step
        # Called with each year's Tournament right after promotion (validation probes).
        self.tournament_observer: Callable[[Tournament], None] | None = None
        self.datacollector = mesa.DataCollector(
            model_reporters={"step": "steps", "regime": "regime_label"}
            | {name: lambda m, name=name: m.stats[name] for name in STEP_COLUMNS}
        )

    def step(self) -> None:
        """One year: switch regime if due, then choose, outcomes, accountability, promotion,
        learning, demography; then record the year's aggregates."""
        switch = self.config.switch
        if switch is not None and self.steps == switch.step:
            self.regime = switch.regime
            self.regime_label = switch.label or "switched"
        clock = self.phase_clock
        self.stats, self.next_person = advance(
            self.cadres, self.config, self.regime, self.capacities, self.rng, self.next_person,
            clock, self.tournament_observer,
        )
        self.datacollector.collect(self)
        if self.steps in self.snapshot_steps:
            self.snapshots[self.steps] = self.snapshot()
        if clock:
            clock.lap("data collection")

    def run(self, steps: int | None = None, progress: bool = False) -> pd.DataFrame:
        """Run ``steps`` years (default ``config.steps``) and return the per-step table.

        ``progress`` shows a progress bar (on stderr) for long single runs.
        """
        steps = self.config.steps if steps is None else steps
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=steps, unit="year", desc=self.config.name, leave=False, disable=None)
            with bar:
                for _ in range(steps):
                    self.step()
                    bar.update()
        else:
            for _ in range(steps):
                self.step()
        return self.results_table()

    def results_table(self) -> pd.DataFrame:
        """One row per step so far: the aggregates in ``STEP_COLUMNS`` plus step and regime."""
        table = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return table.astype({"step": np.int64})

    def snapshot(self) -> pd.DataFrame:
        """Per-cadre state now, one row per slot, read straight from the arrays (copied)."""
        c = self.cadres
        columns = {name: getattr(c, name).copy() for name in c.field_names() if name != "peers"}
        return pd.DataFrame(columns).rename_axis("slot")

    def snapshots_table(self) -> pd.DataFrame:
        """The kept snapshots in long format: one row per (step, slot)."""
        if not self.snapshots:
            return pd.DataFrame()
        frames = [
            frame.reset_index().assign(step=step) for step, frame in sorted(self.snapshots.items())
        ]
        table = pd.concat(frames, ignore_index=True)
        return table[["step", *[c for c in table.columns if c != "step"]]]
