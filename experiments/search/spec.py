"""A search spec: the levers to search, the objectives and constraints, how a candidate is judged.

Read from YAML (``configs/experiments/search_small.yaml``) and checked before any run: every
lever is a numeric field under ``regime`` with bounds inside its allowed range, every objective
and constraint an output of the registry (``simulation.outputs``) whose direction is known.
"""

from __future__ import annotations

import hashlib
import json
import math
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from experiments.engine.spec import parameter_type
from simulation.errors import ConfigError
from simulation.loading import (
    STATUS_QUO,
    field_info,
    read_yaml,
    resolve_source,
    set_dotted,
    validate_config,
)
from simulation.outputs import OUTPUTS, canonical
from simulation.suggest import did_you_mean

#: The objectives of a spec that names none: the headline, what gets done, the harm review does
#: and what the levers cost (a search without a cost turns every lever to its maximum).
DEFAULT_OBJECTIVES = ("inaction", "real_output", "wrongful_sanctions", "policy_cost")
#: A constraint's bound may be this word: the status quo's judged value, same seeds.
STATUS_QUO_BOUND = "status_quo"


class SearchSection(BaseModel):
    """Base of every spec section: unknown keys and wrong types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Objective(SearchSection):
    """An output to optimise, in the registry's direction unless ``better`` overrides it."""

    output: str
    better: Literal["lower", "higher"] | None = None

    @property
    def direction(self) -> str:
        """``lower`` or ``higher``: the registry's, or the spec's for an output with neither."""
        return self.better or OUTPUTS[self.output].better

    @property
    def sign(self) -> float:
        """+1 to minimise, -1 to maximise (pymoo minimises)."""
        return 1.0 if self.direction == "lower" else -1.0


class Constraint(SearchSection):
    """An output kept at most (or at least) a number or the status quo's value."""

    output: str
    at_most: float | Literal["status_quo"] | None = None
    at_least: float | Literal["status_quo"] | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Constraint:
        if (self.at_most is None) == (self.at_least is None):
            raise ValueError("give exactly one of at_most and at_least")
        return self

    @property
    def bound(self) -> float | str:
        """The number or ``status_quo``."""
        return self.at_most if self.at_most is not None else self.at_least  # type: ignore[return-value]

    @property
    def upper(self) -> bool:
        """True for ``at_most``."""
        return self.at_most is not None


class Judge(SearchSection):
    """How a candidate's replicates become one value per objective.

    ``mean``: the mean over replicates (seeds, or posterior draws with ``posterior:``);
    ``quantile``: the ``q`` quantile on the bad side (q = 0.9: the value that 90 % of replicates
    do no worse than), a cautious judge for a skewed outcome.
    """

    statistic: Literal["mean", "quantile"] = "mean"
    q: float = Field(0.9, ge=0.5, lt=1.0)


class Budget(SearchSection):
    """How many candidates the search evaluates: generations x population."""

    generations: int = Field(ge=1, le=10_000)
    population: int = Field(ge=4, le=10_000)


class SearchSpec(SearchSection):
    """A whole search spec (see docs/search.md)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,100}$")
    description: str = ""
    #: The regime preset the levers start from: its values are one member of the first
    #: population, and its regime (with the levers set) is what each candidate runs.
    preset: str = STATUS_QUO
    levers: dict[str, list[float]]
    objectives: list[str | Objective] = Field(default_factory=lambda: list(DEFAULT_OBJECTIVES))
    constraints: list[Constraint] = Field(default_factory=list)
    judge: Judge = Field(default_factory=Judge)
    replications: int = Field(4, ge=1, le=10_000)
    #: Replications of each front member (and each preset) with fresh seeds, after the search.
    reevaluate: int = Field(8, ge=2, le=10_000)
    budget: Budget
    steps: int = Field(30, ge=1, le=10_000)
    burn_in: int = Field(10, ge=0, le=9_999)
    seed: int = Field(20261121, ge=0, le=2**32 - 1)
    #: Dotted config overrides applied to every run (``organisation.n_cadres: 300``).
    set: dict[str, Any] = Field(default_factory=dict)
    #: A calibration folder or posterior file: replicate r runs with its particle r's values.
    posterior: str | None = None
    #: Pairs of levers the report sets against each other along the front (``findings.md``):
    #: reading only, so not part of the spec's identity.
    pairs: list[list[str]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _burn_in_short(self) -> SearchSpec:
        if self.burn_in >= self.steps:
            raise ValueError(f"burn_in ({self.burn_in}) must be smaller than steps ({self.steps})")
        return self

    @cached_property
    def objective_list(self) -> list[Objective]:
        """The objectives, each with its direction."""
        return [Objective(output=o) if isinstance(o, str) else o for o in self.objectives]

    @property
    def lever_paths(self) -> list[str]:
        """The levers' dotted config paths, in spec order."""
        return list(self.levers)

    def is_integer(self, path: str) -> bool:
        """True for a lever whose config field is an integer (searched on whole numbers)."""
        return parameter_type(path) is int

    def spec_hash(self) -> str:
        """sha256 of what decides the search's result, the levers' order included."""
        data = self.model_dump(mode="json", exclude={"description", "pairs"})
        data["lever_order"] = self.lever_paths  # the levers' order orders pymoo's variables
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def base_data(self, preset: str | None = None) -> dict[str, Any]:
        """The config data a run starts from: a preset (default the spec's), ``set`` applied."""
        path = resolve_source(preset or self.preset)
        data = read_yaml(path)
        data.setdefault("name", path.stem)
        data["steps"] = self.steps
        for key, value in self.set.items():
            data = set_dotted(data, key, value)
        return data


def load_search_spec(path: str) -> SearchSpec:
    """Read and check a search spec; every problem is one ConfigError naming the field."""
    data = read_yaml(path, what="search spec")
    return parse_search_spec(data, origin=str(path))


def parse_search_spec(data: dict[str, Any], origin: str = "<search spec>") -> SearchSpec:
    """Validate search-spec data; every problem is one ConfigError naming the field."""
    try:
        spec = SearchSpec.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in err['loc']) or 'spec'}: {err['msg']}"
                    for err in exc.errors()]
        raise ConfigError(f"{origin}:\n  " + "\n  ".join(problems)) from None
    problems = [*_lever_problems(spec), *_output_problems(spec)]
    if not problems:
        problems = _config_problems(spec, origin)
    if problems:
        raise ConfigError(f"{origin}:\n  " + "\n  ".join(problems))
    return spec


def _lever_problems(spec: SearchSpec) -> list[str]:
    """Levers that are not numeric regime fields, or whose bounds are not a [low, high] pair."""
    problems = []
    if not spec.levers:
        problems.append("levers: name at least one regime field with [low, high] bounds")
    for path, bounds in spec.levers.items():
        if not path.startswith("regime."):
            problems.append(f"levers.{path}: a lever is a regime field (regime.…); set other "
                            "fields under set:")
            continue
        try:
            kind = field_info(path).annotation
        except ConfigError as exc:
            problems.append(f"levers.{path}: {exc}")
            continue
        if kind not in (int, float):
            problems.append(f"levers.{path}: is not a number field")
        elif len(bounds) != 2 or not all(math.isfinite(b) for b in bounds) \
                or not bounds[0] < bounds[1]:
            problems.append(f"levers.{path}: got {bounds}; allowed: [low, high] with low < high")
    for pair in spec.pairs:
        if len(pair) != 2 or pair[0] == pair[1] or not set(pair) <= set(spec.levers):
            problems.append(f"pairs: got {pair}; allowed: two different levers of the spec")
    return problems


def _output_problems(spec: SearchSpec) -> list[str]:
    """Objectives and constraints that are not outputs, or have no direction."""
    problems = []
    named = [("objectives", o.output) for o in spec.objective_list]
    named += [("constraints", c.output) for c in spec.constraints]
    for where, name in named:
        if canonical(name) not in OUTPUTS:
            hint = did_you_mean(name, list(OUTPUTS)) or "cadresim run --help lists the outputs"
            problems.append(f"{where}: {name!r} is not an output; {hint}")
    for objective in spec.objective_list:
        if objective.output in OUTPUTS and objective.direction == "neither":
            problems.append(f"objectives: {objective.output!r} is neither better lower nor "
                            "higher; write {output: NAME, better: lower} to choose")
    if len(spec.objective_list) < 2:
        problems.append("objectives: name at least two (one objective is a plain optimisation)")
    if len({o.output for o in spec.objective_list}) != len(spec.objective_list):
        problems.append("objectives: an output is named twice")
    return problems


def _config_problems(spec: SearchSpec, origin: str) -> list[str]:
    """The preset, ``set`` and each lever's bounds must make valid configs."""
    try:
        data = spec.base_data()
        for i in (0, 1):
            corner = data
            for path, bounds in spec.levers.items():
                value = bounds[i]
                corner = set_dotted(corner, path, int(value) if spec.is_integer(path) else value)
            validate_config(corner, origin=f"{origin}, levers at their {('low', 'high')[i]} "
                            "bounds")
    except ConfigError as exc:
        return [str(exc)]
    return []
