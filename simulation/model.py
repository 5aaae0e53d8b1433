"""CadreModel: the Mesa model that owns the cadre arrays, the schedule and the data collector."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import mesa
import numpy as np
import pandas as pd

from simulation import accounting, per_regime
from simulation.agents import Cadre
from simulation.cadres import CadreArrays
from simulation.config import ModelConfig, Regime
from simulation.formulas import ACTIONS, rank_capacities
from simulation.loading import config_with_overrides, load_config
from simulation.perceived import RuleBook
from simulation.population import initial_population
from simulation.promotion import no_promotions_seen
from simulation.record import RESULT_COLUMNS, StepRecord
from simulation.records import Tournament
from simulation.schedule import regime_in_force
from simulation.step import STEP_COLUMNS, advance
from simulation.streams import Streams
from simulation.timing import PhaseClock

__all__ = ["AGENT_FIELDS", "RESULT_COLUMNS", "CadreModel", "agent_reporters_for",
           "fresh_seed", "lever_overrides"]
#: Per-cadre values reported by ``agent_reporters=True`` (``person`` and ``slot`` always are).
AGENT_FIELDS: tuple[str, ...] = ("person", "slot", "rank", "age", "ability", "motivation",
                                 "action")


class _ConfigSeed:
    """Default of ``rng``: seed the run from ``config.seed`` (a run is reproducible as is)."""

    def __repr__(self) -> str:
        return "<config.seed>"


CONFIG_SEED: Any = _ConfigSeed()


def fresh_seed() -> int:
    """A new seed from operating-system entropy, in config.seed's range (0 to 2**32 - 1)."""
    return int(np.random.SeedSequence().generate_state(1, np.uint32)[0])


def lever_overrides(params: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments naming config fields as dotted overrides.

    A field is named by its dotted path (``**{"regime.fault_tolerance.tolerance": 0.5}``) or by
    the same path with ``__`` for each dot (``regime__fault_tolerance__tolerance=0.5``), which is
    unambiguous because no field name contains a double underscore.
    """
    return {key.replace("__", "."): value for key, value in params.items()}


def agent_reporters_for(fields: bool | Iterable[str]) -> dict[str, str]:
    """DataCollector agent reporters for ``fields`` (True: AGENT_FIELDS; False: none).

    Every table has ``person`` (who is in the slot) and ``slot`` (the agent's index) besides
    the fields asked for; ``action`` is reported as its name ('idle' ... 'bold', 'none' before
    the first step).
    """
    if fields is False or fields is None:
        return {}
    names = AGENT_FIELDS if fields is True else ("person", "slot", *fields)
    allowed = ("slot", *(f for f in CadreArrays.__dataclass_fields__ if f != "peers"))
    reporters = {}
    for name in names:
        if name not in allowed:
            raise ValueError(
                f"agent_reporters: unknown field {name!r}; allowed: {', '.join(allowed)}"
            )
        reporters[name] = {"action": "action_name"}.get(name, name)
    return reporters


class CadreModel(mesa.Model):
    """Civil-service cadres choosing how hard to work under a regime (docs/ODD.md).

    Built the CadreSim way, ``CadreModel(config, seed=7)``, or the Mesa way, with levers as
    keywords (as ``mesa.batch_run`` passes its parameters)::

        CadreModel(preset="hubei_opinions", **{"regime.fault_tolerance.tolerance": 0.5})
        CadreModel(preset="hubei_opinions", regime__fault_tolerance__tolerance=0.5)
        mesa.batch_run(CadreModel, {"preset": ["default"], "regime__support__care": [0, 1]},
                       rng=[None] * 5)

    Which seed a run uses:

    - neither ``seed`` nor ``rng`` given: ``config.seed``, so ``CadreModel(config)`` always
      gives the same run;
    - ``seed`` an integer: that seed (``seed=None`` means "not given", as the CLI passes it);
    - ``rng`` as Mesa takes it: an integer seeds the run; ``None`` means fresh entropy, as in
      Mesa, so ``mesa.batch_run(..., rng=[None] * 5)`` gives five different runs; a
      ``numpy.random.Generator`` or ``SeedSequence`` is used as is (``model.seed`` is then None);
    - both ``seed`` (an integer) and ``rng=None``: the seed (``mesa.batch_run`` passes
      ``rng=None`` even when ``seed`` is a varied parameter); an integer seed and a non-None
      ``rng`` together are an error.

    The seed used is ``model.seed`` (also a model reporter, so batch_run rows record it); the
    run is reproduced by ``CadreModel(config, seed=model.seed)``. ``seed`` is deliberately not a
    named parameter: ``mesa.batch_run`` would pass its ``rng`` values under that name and
    overwrite a varied seed.

    Step columns: :meth:`results_table` (CadreSim's per-step table, stored by sweeps) has
    ``step``; the DataCollector has none of its own, so ``mesa.batch_run`` rows carry only
    Mesa's ``Step``, and ``get_agent_vars_dataframe()`` is indexed by Mesa's (``Step``,
    ``AgentID``), where Step is Mesa's float time and AgentID a slot (``person`` names who is in
    it).

    The model stops (``model.running`` becomes False) after ``config.steps`` steps, so
    ``mesa.batch_run`` and SolaraViz's play button run the configured number of years;
    :meth:`run` with an explicit number of steps runs on regardless. ``model.year`` counts the
    years run; Mesa 3's ``model.steps`` and ``mesa.batch_run`` are gone in Mesa 4
    (docs/architecture.md, "Mesa 4").

    Args:
        config: a validated ModelConfig (``simulation.load_config``), or a preset name or YAML
            path; defaults if None.
        *legacy: ``seed`` and ``snapshot_steps`` given positionally, as before.
        rng: Mesa's random-number argument (see above).
        snapshot_steps: steps after which every cadre's state is kept (``model.snapshots``).
            Without them, what a step records does not grow with the number of cadres.
        preset: a preset name or YAML path to build the config from (instead of ``config``).
        agent_reporters: per-cadre data in ``model.datacollector`` for
            ``get_agent_vars_dataframe()``: True for AGENT_FIELDS, or a list of field names
            (any cadre array, e.g. ``["belief_punish", "record"]``); off by default, because it
            costs a Python call per cadre and field each step.
        **params: ``seed``; any config field by dotted or ``__`` path (see
            :func:`lever_overrides`), checked like ``--set`` overrides; ``scenario`` (Mesa's)
            is ignored: the config is CadreSim's scenario.
    """

    def __init__(
        self,
        config: ModelConfig | str | os.PathLike[str] | None = None,
        *legacy: Any,
        rng: Any = CONFIG_SEED,
        snapshot_steps: Iterable[int] = (),
        preset: str | os.PathLike[str] | None = None,
        agent_reporters: bool | Iterable[str] = False,
        **params: Any,
    ) -> None:
        if len(legacy) > 2:
            raise TypeError("CadreModel takes at most config, seed and snapshot_steps by position")
        seed = params.pop("seed", None)
        if legacy:
            if seed is not None:
                raise TypeError("CadreModel got seed both by position and by keyword")
            seed = legacy[0]
        if len(legacy) == 2:
            snapshot_steps = legacy[1]
        params.pop("scenario", None)
        config = self._build_config(config, preset, lever_overrides(params))
        seed, generator = self._resolve_seed(config, seed, rng)
        super().__init__(rng=generator if seed is None else seed)
        self.config = config
        self.seed = seed
        self.regime: Regime = config.regime
        self.regime_label = config.name
        #: Years run so far (the year the last step simulated). CadreSim's own counter: Mesa 3's
        #: ``model.steps`` holds the same number, but Mesa 4 removes it.
        self.year = 0
        org = config.organisation
        self.capacities = rank_capacities(org.n_cadres, org.n_ranks, org.pyramid_ratio)
        # Every draw is keyed by (year, purpose, slot) under the run's seed, so runs with the
        # same seed share the draws both make (common random numbers, docs/ODD.md 7).
        self.streams = (
            Streams.from_seed(seed) if seed is not None else Streams.from_generator(self.rng)
        )
        self.cadres: CadreArrays = initial_population(config, self.streams)
        self.next_person = org.n_cadres
        #: The rules as announced and as credited (simulation.perceived): cadres start believing
        #: the starting regime's written rules; later announcements are credited in part.
        self.rulebook = RuleBook.of(self.regime)
        #: Promotion cases seen in each unit, discounted over the years (promotion.remember):
        #: what the promotion belief is learnt from (docs/ODD.md 7.5.2).
        self.promotions_seen = no_promotions_seen(org.n_cadres, org.unit_size)
        # Agents are made on first use (model.agents, cadre_agents): a run that never looks at
        # them (a sweep, a national run) does not pay for n Python objects.
        self._cadre_agents: list[Cadre] | None = None
        self.stats: dict[str, float] = {}
        self.step_record = StepRecord(config.steps)  # every step's aggregates: results_table()
        self.snapshot_steps = frozenset(int(s) for s in snapshot_steps)
        self.snapshots: dict[int, pd.DataFrame] = {}
        self.phase_clock: PhaseClock | None = None  # set one to time the phases of each step
        #: Whether each step accounts for inaction (its forms, causes, reasons): False only for
        #: a run made inside ``accounting.only_for`` outputs that do not need it; the accounted
        #: columns are then NaN and every other output is the same (simulation/accounting.py).
        self.accounts_inaction: bool = accounting.wanted()
        per_regime.forget()  # this run computes its per-regime constants afresh
        # Called with each year's Tournament right after promotion (validation probes).
        self.tournament_observer: Callable[[Tournament], None] | None = None
        #: The year's aggregates when a batch of replicates ran this model's year
        #: (``simulation.batched``): the next step records them instead of simulating.
        self._advanced: dict[str, float] | None = None
        # The DataCollector is made when first used; per-cadre reporters need it from step 1.
        self._agent_reporters = agent_reporters_for(agent_reporters)
        self._datacollector: mesa.DataCollector | None = None
        if self._agent_reporters:
            self._datacollector = self._new_datacollector()

    # ---- Agents and DataCollector, made on first use --------------------------------------

    @property
    def cadre_agents(self) -> list[Cadre]:
        """One Mesa agent per slot (``cadre_agents[i].index == i``), made on first use."""
        if self._cadre_agents is None:
            self._cadre_agents = []  # set first: registering each agent must not rebuild
            self._cadre_agents.extend(Cadre(self, i) for i in range(self.cadres.n))
        return self._cadre_agents

    def _agents(self) -> Any:
        self.cadre_agents  # noqa: B018 - made on first use, registered in slot order
        return mesa.Model.agents.fget(self)

    #: Mesa's AgentSet of all agents (the cadres are made on first use).
    agents = property(_agents, mesa.Model.agents.fset, doc=mesa.Model.agents.__doc__)

    @property
    def agents_by_type(self) -> dict[type, Any]:
        """Mesa's agent sets by type (the cadres are made on first use)."""
        self.cadre_agents  # noqa: B018
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        """Mesa's agent types (the cadres are made on first use)."""
        self.cadre_agents  # noqa: B018
        return super().agent_types

    def register_agent(self, agent: Any) -> None:
        """Register an agent with Mesa; the cadres come first, so their ids are 1 .. n."""
        self.cadre_agents  # noqa: B018
        super().register_agent(agent)

    @property
    def datacollector(self) -> mesa.DataCollector:
        """Mesa's DataCollector: the regime, the seed and every step's aggregates.

        Made on first use and filled with the steps already run (from ``self.step_record``, the
        values it would have collected), then collected every step; a run that never asks for
        it (a sweep) skips collecting. Per-cadre reporters collect from step 1. Mesa's
        ``batch_run`` adds its own "Step" column, so the collector has no "step" of its own
        (``results_table()`` has one).
        """
        if self._datacollector is None:
            self._datacollector = self._new_datacollector()
            self._replay(self._datacollector)
        return self._datacollector

    @datacollector.setter
    def datacollector(self, collector: mesa.DataCollector) -> None:
        self._datacollector = collector

    def _new_datacollector(self) -> mesa.DataCollector:
        return mesa.DataCollector(
            model_reporters={"regime": "regime_label", "seed": "seed"}
            | {name: lambda m, name=name: m.stats[name] for name in STEP_COLUMNS},
            agent_reporters=self._agent_reporters,
        )

    def _replay(self, collector: mesa.DataCollector) -> None:
        """Collect every recorded step into ``collector`` as if it had collected all along."""
        now = (self.time, self.regime_label, self.stats)
        try:
            for row in range(len(self.step_record)):
                self.time = float(self.step_record.times[row])
                self.regime_label = self.step_record.regimes[row]
                self.stats = self.step_record.stats(row)
                collector.collect(self)
        finally:
            self.time, self.regime_label, self.stats = now

    @staticmethod
    def _build_config(
        config: ModelConfig | str | os.PathLike[str] | None,
        preset: str | os.PathLike[str] | None,
        overrides: dict[str, Any],
    ) -> ModelConfig:
        if preset is not None and config is not None:
            raise ValueError("pass either config or preset, not both")
        if isinstance(config, ModelConfig):
            return config_with_overrides(config, overrides)
        source = preset if preset is not None else config
        if source is None and not overrides:
            return ModelConfig()
        return load_config(source, overrides)

    @staticmethod
    def _resolve_seed(
        config: ModelConfig, seed: Any, rng: Any
    ) -> tuple[int | None, np.random.Generator | None]:
        """(seed, None) for a seeded run; (None, generator) when rng is a Generator etc."""
        if seed is not None:
            if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
                raise ValueError(f"seed: got {seed!r}; allowed: an integer")
            if rng is not None and rng is not CONFIG_SEED:
                raise ValueError("pass either seed or rng, not both")
            return int(seed), None
        if rng is CONFIG_SEED:
            return config.seed, None
        if rng is None:
            return fresh_seed(), None
        if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
            return int(rng), None
        return None, np.random.default_rng(rng)

    def step(self) -> None:
        """One year: the regime in force (simulation.schedule), then choose, outcomes,
        accountability, promotion, learning, demography; then record the year's aggregates."""
        clock = self.phase_clock
        if self._advanced is not None:  # a batch ran the year (take_year)
            self.stats, self._advanced, clock = self._advanced, None, None
        else:
            self.year += 1
            if self.config.switch is not None:
                self.regime, self.regime_label = regime_in_force(self.config, self.year)
            # The rules in force are announced; a changed rule is credited in part (docs/ODD.md
            # 7.5.2).
            self.rulebook.announce(self.regime, self.cadres, self.config.learning)
            self.stats, self.next_person = advance(
                self.cadres, self.config, self.regime, self.capacities, self.streams,
                self.year, self.next_person, clock, self.tournament_observer,
                account=self.accounts_inaction, rules=self.rulebook, seen=self.promotions_seen,
            )
        self.step_record.add(self.year, self.time, self.regime_label, self.stats)
        if self._datacollector is not None:
            self._datacollector.collect(self)
        if self.year >= self.config.steps:
            self.running = False
        if self.year in self.snapshot_steps:
            self.snapshots[self.year] = self.snapshot()
        if clock:
            clock.lap("data collection")

    def take_year(self, stats: dict[str, float]) -> None:
        """Record year ``self.year``, which a batch of replicates ran for this model.

        The batch has set the year, announced its rules and run its phases; this is the rest of
        :meth:`step`, called through Mesa's step so that Mesa's clock (``time``, ``steps``)
        moves on as a lone run's does.
        """
        self._advanced = stats
        self.step()

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

    @property
    def history(self) -> list[tuple[int, str, dict[str, float]]]:
        """``(step, regime, aggregates)`` of every step so far, oldest first (``step_record``)."""
        return self.step_record.entries()

    def results_table(self) -> pd.DataFrame:
        """One row per step so far: step, regime and the aggregates in ``STEP_COLUMNS``.

        Built once from the model's own record (``self.step_record``), so it does not depend on
        ``self.datacollector``, which a user may replace with their own.
        """
        return self.step_record.table()

    def snapshot(self) -> pd.DataFrame:
        """Per-cadre state now, one row per slot, read straight from the arrays (copied).

        ``action`` is the code (-1 before the first choice, then an index into ``ACTIONS``);
        ``action_name`` is the same as a category: 'none', 'idle', 'formal', 'routine', 'bold'.
        """
        c = self.cadres
        columns = {name: getattr(c, name).copy() for name in c.field_names() if name != "peers"}
        columns["action_name"] = pd.Categorical.from_codes(
            c.action.astype(np.int64) + 1, categories=["none", *ACTIONS]
        )
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
