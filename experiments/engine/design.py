"""Turning a spec into design points, run seeds and the config of each point.

Points are numbered in design order with the regime outermost; each run's seed comes from
``SeedSequence(seed, spawn_key=(replicate,))`` (docs/results-format.md), so a run's result
does not depend on which worker runs it, or when. With a ``posterior``, replicate r of every
point also draws one particle (``experiments.engine.posterior``), whose values the run's config
takes on top of the point's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from experiments.engine.posterior import Posterior, load_posterior
from experiments.engine.spec import (
    GridDesign,
    GridRange,
    LhsDesign,
    MorrisDesign,
    PointsDesign,
    SobolDesign,
    Spec,
    canonical_hash,
    parameter_type,
)
from simulation.config import ModelConfig, config_value
from simulation.loading import read_yaml, resolve_source, set_dotted, validate_config

Value = int | float


@dataclass(frozen=True)
class Point:
    """One design point: a regime crossed with one row of the design."""

    point: int
    regime: str
    parameters: dict[str, Value]


@dataclass(frozen=True)
class RunKey:
    """One run: a point and a replicate, with its seed (and its posterior particle, if any)."""

    run_id: str
    point: int
    replicate: int
    seed: int
    particle: int | None = None


@dataclass
class Design:
    """The expanded design: points in order, parameter types, and a description for the manifest."""

    points: list[Point]
    parameters: dict[str, type]
    info: dict[str, Any] = field(default_factory=dict)


def run_id(point: int, replicate: int) -> str:
    """``p00003-r0007``: sorts in point, then replicate order."""
    return f"p{point:05d}-r{replicate:04d}"


def run_seed(root: int, point: int, replicate: int, common: bool = True) -> int:
    """The seed of replicate ``replicate`` of point ``point`` (a uint32 as a Python int).

    With common random numbers (the default) the replicate alone decides the seed, so
    replicate r of every point shares its random streams and points differ only by their
    levers; otherwise each (point, replicate) has its own seed.
    """
    key = (replicate,) if common else (point, replicate)
    return int(np.random.SeedSequence(root, spawn_key=key).generate_state(1)[0])


def iter_runs(
    spec: Spec,
    n_points: int,
    counts: Sequence[int] | None = None,
    posterior: Posterior | None = None,
) -> Iterator[RunKey]:
    """Every run of the sweep, in run_id order.

    ``counts[point]`` replicates per point (default: the spec's fixed or initial replications);
    with a ``posterior``, each run's particle (the same for replicate r of every point).
    """
    particles: dict[int, int] = {}
    for point in range(n_points):
        for replicate in range(spec.initial_replications if counts is None else counts[point]):
            if posterior is not None and replicate not in particles:
                particles[replicate] = posterior.particle(spec.seed, replicate)
            yield RunKey(
                run_id(point, replicate), point, replicate,
                run_seed(spec.seed, point, replicate, spec.common_random_numbers),
                particles.get(replicate),
            )


# --------------------------------------------------------------------------------------------
# Design rows: each a mapping of dotted parameter paths to values
# --------------------------------------------------------------------------------------------


def _typed(path: str, value: float) -> Value:
    """A sampled or listed value as its field's type (ints rounded half up)."""
    if parameter_type(path) is int:
        return int(np.floor(float(value) + 0.5))
    return float(value)


def _grid_values(path: str, values: list[Value] | GridRange) -> list[Value]:
    if isinstance(values, GridRange):
        raw = np.linspace(values.from_, values.to, values.num).tolist()
    else:
        raw = list(values)
    return list(dict.fromkeys(_typed(path, v) for v in raw))  # ints may round together


def grid_rows(design: GridDesign) -> list[dict[str, Value]]:
    """Every combination of the listed values; the first parameter varies slowest."""
    names = list(design.parameters)
    axes = [_grid_values(path, design.parameters[path]) for path in names]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*axes)]


def lhs_rows(design: LhsDesign, seed: int) -> list[dict[str, Value]]:
    """A Latin hypercube sample (scipy.stats.qmc), reproducible from the spec's seed."""
    from scipy.stats import qmc

    names = list(design.parameters)
    lows = [float(design.parameters[p][0]) for p in names]
    highs = [float(design.parameters[p][1]) for p in names]
    unit = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng(seed)).random(
        design.samples
    )
    sample = qmc.scale(unit, lows, highs)
    return [{p: _typed(p, x) for p, x in zip(names, row, strict=True)} for row in sample]


def salib_problem(bounds: Mapping[str, Sequence[float]]) -> dict[str, Any]:
    """The SALib problem dictionary of parameters' ``[low, high]`` bounds, in their order."""
    names = list(bounds)
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [[float(v) for v in bounds[p]] for p in names],
    }


def sobol_rows(design: SobolDesign, seed: int) -> list[dict[str, Value]]:
    """Saltelli's sample for a Sobol design.

    Saltelli's sample (SALib.sample.sobol) in SALib's order, so SALib.analyze.sobol applies to
    per-point results in point order.
    """
    from SALib.sample import sobol

    return _salib_rows(design.parameters, lambda problem: sobol.sample(
        problem, design.samples, calc_second_order=design.second_order, seed=seed
    ))


def morris_rows(design: MorrisDesign, seed: int) -> list[dict[str, Value]]:
    """Morris trajectories for a Morris design.

    Morris trajectories (SALib.sample.morris) in SALib's order, so SALib.analyze.morris applies to
    per-point results in point order.
    """
    from SALib.sample import morris

    return _salib_rows(design.parameters, lambda problem: morris.sample(
        problem, design.trajectories, num_levels=design.num_levels, seed=seed
    ))


def _salib_rows(
    bounds: Mapping[str, Sequence[float]], sample: Callable[[dict[str, Any]], Any]
) -> list[dict[str, Value]]:
    """Rows of a SALib sample of the parameters' bounds, each value as its field's type."""
    problem = salib_problem(bounds)
    names = problem["names"]
    return [{p: _typed(p, x) for p, x in zip(names, row, strict=True)} for row in sample(problem)]


#: Each sampled design's sampler: ``(design, seed) -> rows``.
SAMPLERS: dict[str, Callable[[Any, int], list[dict[str, Value]]]] = {
    "lhs": lhs_rows, "sobol": sobol_rows, "morris": morris_rows,
}


# --------------------------------------------------------------------------------------------
# Configs
# --------------------------------------------------------------------------------------------


class ConfigBuilder:
    """Builds each point's validated config.

    Base (or a regime preset over it), then ``set``, the switch, then the point's parameters,
    then (with a posterior) the values of the run's particle.

    A regime preset replaces the base's ``regime`` section whole (presets are written against
    the defaults, so a comparison of presets compares exactly them); the other sections come
    from the base.
    """

    def __init__(self, spec: Spec, origin: str = "<spec>") -> None:
        self.spec = spec
        self.origin = origin
        if spec.base is None:
            base: dict[str, Any] = {}
        else:
            path = resolve_source(spec.base)
            base = read_yaml(path)
            base.setdefault("name", path.stem)
        base.setdefault("name", "default")
        self._data: dict[str, dict[str, Any]] = {}
        for regime in spec.regimes or [None]:
            data = dict(base)
            if regime is not None:
                path = resolve_source(regime)
                preset = read_yaml(path)
                data["regime"] = preset.get("regime") or {}
                data["name"] = str(preset.get("name") or path.stem)
            data["steps"] = spec.steps
            for key, value in spec.set.items():
                data = set_dotted(data, key, value)
            if spec.switch is not None:
                switch = spec.switch.model_dump(exclude_none=True)
                for key, value in _flatten(switch, "switch"):
                    data = set_dotted(data, key, value)
            self._data[str(data["name"]) if regime is None else regime] = data
        self.posterior = load_posterior(spec.posterior) if spec.posterior is not None else None

    @property
    def regimes(self) -> list[str]:
        """The regime factor's labels in order (one: the base's name, without regimes)."""
        return list(self._data)

    def regime_label(self, regime: str) -> str:
        """The name written in the regime column."""
        return str(self._data[regime]["name"])

    def config(
        self, regime: str, parameters: dict[str, Value], particle: int | None = None
    ) -> ModelConfig:
        """The validated config of a regime with the given parameter values (and particle)."""
        data = self._data[regime]
        where = f"{self.origin}, regime {regime}"
        drawn: dict[str, Value] = {}
        if particle is not None:
            if self.posterior is None:
                raise ValueError(f"particle {particle} given, but the spec has no posterior")
            drawn = {k: _typed(k, v) for k, v in self.posterior.draw(particle).items()}
            where += f", posterior particle {particle}"
        for key, value in {**parameters, **drawn}.items():
            data = set_dotted(data, key, value)
        return validate_config(data, origin=where)


def _flatten(data: dict[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    """Dotted leaves of a nested mapping (``switch.regime.support.care``)."""
    for key, value in data.items():
        path = f"{prefix}.{key}"
        if isinstance(value, dict):
            yield from _flatten(value, path)  # an empty section sets nothing
        else:
            yield path, value


def config_hash(config: ModelConfig) -> str:
    """sha256 of a config without its seed: the replicates of a point share it."""
    return canonical_hash(config.model_dump(mode="json", exclude={"seed"}))


def expand(spec: Spec, builder: ConfigBuilder | None = None) -> Design:
    """The spec's points: regimes (outermost) crossed with the design's rows."""
    builder = builder or ConfigBuilder(spec)
    design = spec.design
    info: dict[str, Any] = {"kind": None, "parameters": {}}
    if design is None:
        rows: list[dict[str, Value]] = [{}]
        names: list[str] = []
    elif isinstance(design, GridDesign):
        rows = grid_rows(design)
        names = list(design.parameters)
        info = {
            "kind": "grid",
            "parameters": {p: _grid_values(p, design.parameters[p]) for p in names},
        }
    elif isinstance(design, LhsDesign | SobolDesign | MorrisDesign):
        rows = SAMPLERS[design.kind](design, spec.seed)
        names = list(design.parameters)
        info = {
            "kind": design.kind, "parameters": {p: list(design.parameters[p]) for p in names},
            **design.model_dump(exclude={"kind", "parameters"}),
        }
        if not isinstance(design, LhsDesign):  # SALib analyses these
            info["problem"] = salib_problem(design.parameters)
    elif isinstance(design, PointsDesign):
        names = list(dict.fromkeys(p for row in design.points for p in row))
        rows = [{p: _typed(p, v) for p, v in row.items()} for row in design.points]
        info = {"kind": "points", "parameters": {p: None for p in names}}
    else:  # pragma: no cover - the spec's union is exhaustive
        raise TypeError(f"unknown design {design!r}")
    points = []
    for regime in builder.regimes:
        for row in rows:
            parameters = row
            if len(row) < len(names):  # explicit points leave some out: record their value
                config = builder.config(regime, row)
                parameters = {
                    p: row[p] if p in row else _typed(p, config_value(config, p)) for p in names
                }
            points.append(Point(len(points), regime, parameters))
    return Design(points, {p: parameter_type(p) for p in names}, info)
