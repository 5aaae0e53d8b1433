"""The plan of a sweep: its points, each point's validated config, seeds and schemas.

Every point's config is validated before anything runs, so a spec that cannot run as declared
fails at once, naming the points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from experiments.engine.design import (
    ConfigBuilder,
    Design,
    Point,
    RunKey,
    config_hash,
    expand,
    iter_runs,
)
from experiments.engine.posterior import Posterior
from experiments.engine.run import RunSettings, RunTask
from experiments.engine.spec import Spec
from experiments.engine.storage import SERIES_COLUMNS
from simulation.config import ModelConfig
from simulation.loading import ConfigError

#: Largest automatic chunk: bounds the work lost to a kill and the wait for the first part.
MAX_CHUNK = 32
#: Configs validated while planning are kept for this many points (about 14 KiB each), so each
#: is validated once; later points are validated again as their runs are submitted.
KEPT_CONFIGS = 4096


@dataclass
class SweepPlan:
    """A validated sweep: its points, each point's config hash, and how runs are stored."""

    spec: Spec
    origin: str
    design: Design
    builder: ConfigBuilder
    point_hashes: list[str]
    #: Configs validated while planning, handed to the first task of their point (then dropped).
    configs: dict[int, ModelConfig] = field(default_factory=dict, repr=False)
    #: With a posterior: the config hash of each (point, particle) the replicates can draw.
    drawn_hashes: dict[tuple[int, int], str] = field(default_factory=dict, repr=False)
    settings: RunSettings = field(init=False)
    #: Replicates planned per point (grows stage by stage with replications by precision).
    counts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        spec = self.spec
        self.settings = RunSettings(
            spec.steps, spec.burn_in, tuple(spec.kept_metrics), tuple(spec.series),
            spec.run_timeout,
        )
        self.counts = [spec.initial_replications] * len(self.design.points)

    @property
    def points(self) -> list[Point]:
        """The design points in order."""
        return self.design.points

    @property
    def n_runs(self) -> int:
        """Runs planned: points x replications (by precision: the replicates planned so far)."""
        return sum(self.counts)

    @property
    def out(self) -> Path:
        """The results folder."""
        return Path(self.spec.output_dir)

    def runs(self) -> Iterator[RunKey]:
        """Every run of the sweep in run_id order."""
        return iter_runs(self.spec, len(self.points), self.counts, self.builder.posterior)

    def config(self, point: Point) -> ModelConfig:
        """The validated config of a point: the one planning validated, else built now."""
        config = self.configs.pop(point.point, None)
        return config if config is not None else self.builder.config(point.regime,
                                                                     point.parameters)

    def tasks(self, keys: Iterable[RunKey]) -> Iterator[RunTask]:
        """Tasks for the given runs, each with its point's config.

        Tasks for the given runs, with each point's config once per stretch of its replicates
        (beyond the first KEPT_CONFIGS points, configs are made as they are submitted, so memory
        stays bounded however large the design).
        """
        cached: tuple[int, ModelConfig] | None = None
        drawn: dict[int, ModelConfig] = {}  # this point's configs by particle
        for key in keys:
            point = self.points[key.point]
            if cached is None or cached[0] != key.point:
                cached = (key.point, self.config(point))
                drawn.clear()
            config = cached[1]
            if key.particle is not None:
                if key.particle not in drawn:
                    drawn[key.particle] = self.builder.config(
                        point.regime, point.parameters, key.particle)
                config = drawn[key.particle]
            yield RunTask(
                key.run_id, key.point, key.replicate, key.seed,
                self.builder.regime_label(point.regime), point.parameters, config, key.particle,
            )

    def runs_schema(self) -> pa.Schema:
        """Columns of runs/ parts (docs/results-format.md)."""
        fields = [
            ("run_id", pa.string()), ("point", pa.int64()), ("replicate", pa.int64()),
            ("seed", pa.int64()), ("regime", pa.string()), ("status", pa.string()),
            ("error", pa.string()), ("seconds", pa.float64()),
        ]
        if self.builder.posterior is not None:
            fields.append(("particle", pa.int64()))
        fields += [
            (path, pa.int64() if kind is int else pa.float64())
            for path, kind in self.design.parameters.items()
        ]
        fields += [(name, pa.float64()) for name in self.settings.outputs]
        return pa.schema(fields)

    def series_schema(self) -> pa.Schema | None:
        """Columns of series/ parts, or None when the spec keeps no series."""
        if not self.settings.series:
            return None
        types = {"point": pa.int64(), "replicate": pa.int64(), "step": pa.int64(),
                 "value": pa.float64()}
        return pa.schema([(name, types.get(name, pa.string())) for name in SERIES_COLUMNS])

    def run_records(self) -> dict[str, dict[str, Any]]:
        """The manifest's ``runs``: point, replicate, seed and config hash of every run.

        With a posterior, also the run's particle, and the hash is of the config with its values.
        """
        records: dict[str, dict[str, Any]] = {}
        for key in self.runs():
            record = {"point": key.point, "replicate": key.replicate, "seed": key.seed,
                      "config_hash": self.point_hashes[key.point]}
            if key.particle is not None:
                record |= {"particle": key.particle,
                           "config_hash": self.drawn_hashes[(key.point, key.particle)]}
            records[key.run_id] = record
        return records


def plan_sweep(spec: Spec, origin: str = "<spec>") -> SweepPlan:
    """Expand a spec and validate every point's config before anything runs.

    A point whose config is invalid (e.g. two varied fields that must stay ordered) is a spec
    error: the sweep cannot run as declared.
    """
    builder = ConfigBuilder(spec, origin)
    design = expand(spec, builder)
    particles = drawn_particles(spec, builder.posterior)
    hashes: list[str] = []
    drawn_hashes: dict[tuple[int, int], str] = {}
    problems: list[str] = []
    configs: dict[int, ModelConfig] = {}
    for point in design.points:
        particle = None
        try:
            config = builder.config(point.regime, point.parameters)
            for particle in particles:
                drawn = builder.config(point.regime, point.parameters, particle)
                drawn_hashes[(point.point, particle)] = config_hash(drawn)
        except ConfigError as exc:
            hashes.append("")
            if len(problems) < 5:
                problems.append(_point_problem(point, particle, exc))
            elif len(problems) == 5:
                problems.append("  - ... (more points fail)")
            continue
        hashes.append(config_hash(config))
        if point.point < KEPT_CONFIGS:
            configs[point.point] = config
    if problems:
        raise ConfigError(
            f"spec {origin!r}: design points with invalid configs:\n" + "\n".join(problems)
        )
    return SweepPlan(spec, origin, design, builder, hashes, configs, drawn_hashes)


def drawn_particles(spec: Spec, posterior: Posterior | None) -> list[int]:
    """The distinct particles the spec's replicates can draw (up to ``replications.max``)."""
    if posterior is None:
        return []
    target = spec.replication_target
    most = target.max if target is not None else spec.initial_replications
    return sorted({posterior.particle(spec.seed, r) for r in range(most)})


def _point_problem(point: Point, particle: int | None, exc: ConfigError) -> str:
    """One line for a point whose config (or the config of one of its particles) is invalid."""
    shown = "; ".join([point.regime, *(f"{k}={v:g}" for k, v in point.parameters.items())])
    if particle is not None:
        shown += f"; posterior particle {particle}"
    lines = str(exc).splitlines()
    detail = " ".join(line.strip(" -") for line in lines[1:]) or lines[0]
    return f"  - point {point.point} ({shown}): {detail}"


def default_chunk_size(pending: int, parallelism: int) -> int:
    """Runs per executor task: about eight tasks per worker, at most MAX_CHUNK runs each."""
    return max(1, min(MAX_CHUNK, math.ceil(pending / (8 * max(1, parallelism)))))
