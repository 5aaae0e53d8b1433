"""Experiment specs: a sweep declared as data, validated as strictly as a model config.

The format is the contract in ``docs/results-format.md``. Every problem ends in
:class:`~simulation.loading.ConfigError` with one line per problem naming the field, the bad
value and what is allowed; parameter paths are checked against the config schema, with close
matches suggested.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import math
import os
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    Tag,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from experiments.engine.posterior import load_posterior
from simulation.burn_in import default_burn_in
from simulation.errors import describe_error
from simulation.loading import (
    ConfigError,
    allowed_values,
    field_info,
    known_paths,
    read_yaml,
    resolve_source,
    shown,
    unknown_key_message,
)
from simulation.outputs import OUTPUTS, STEP_COLUMNS, run_outputs

#: Config fields a spec may not set or vary: the spec itself gives the steps and each run's seed.
RESERVED_PATHS = {
    "seed": "each run's seed comes from the spec's seed (see docs/results-format.md)",
    "steps": "the spec's steps field sets the length of every run",
    "name": "the regime column comes from the preset or base config's name",
    "description": "it is not a model parameter",
}
FOLDER_SAFE = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
DESIGN_KINDS = ("grid", "lhs", "sobol", "morris", "points")
#: Longest per-run timeout a spec may set: a week.
MAX_RUN_TIMEOUT = 7 * 24 * 3600.0
#: The largest design a spec may declare (points, regimes included) and the most runs (points
#: x replications): far beyond any planned study, yet planning stays within about a minute and
#: the manifest within about 80 MB.
MAX_POINTS = 100_000
MAX_RUNS = 500_000
#: Longest file or folder name most filesystems take, and longest path, in bytes.
NAME_MAX = 255
PATH_MAX = 4096
#: Fields that say how a sweep runs, not what it computes: left out of the spec hash, so
#: changing them keeps a results folder resumable.
EXECUTION_FIELDS = ("run_timeout",)
#: Fields that say where the results go: left out of the spec hash too, so a results folder that
#: is moved or renamed (and the spec's output changed to match) still resumes.
LOCATION_FIELDS = ("output",)
#: Fields that say how the results are judged, not what the runs compute: left out of the spec
#: hash, so choosing other objectives keeps a results folder resumable.
ANALYSIS_FIELDS = ("objectives",)
#: What a regime is judged on when the spec names no ``objectives`` (docs/ODD.md 9.1): the
#: headline, what the service produces, welfare, and the harm review does to the innocent.
DEFAULT_OBJECTIVES = ("inaction", "real_output", "welfare", "wrongful_sanctions")
#: Characters an output path may not hold: control characters (newlines, terminal escapes),
#: line and paragraph separators, and the controls that reverse how text is shown.
BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class SpecSection(BaseModel):
    """Base of every spec section: unknown keys and wrong types are errors, never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class GridRange(SpecSection):
    """Evenly spaced grid values: ``{from: 0.0, to: 1.0, num: 5}``."""

    from_: float = Field(alias="from")
    to: float
    num: int = Field(ge=1, le=100_000)


#: Error type of a value that is not a number (our own, so messages never depend on how pydantic
#: names the members of an ``int | float`` union).
NOT_A_NUMBER = "not_a_number"


def _number(value: Any) -> int | float:
    """A number as written, int or float (a bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError(NOT_A_NUMBER, "input should be a number")
    return value


Number = Annotated[int | float, PlainValidator(_number)]
Bounds = Annotated[list[Number], Field(min_length=2, max_length=2)]
#: Tags of the two forms of grid values (a mapping is a range, anything else a list): errors
#: then concern the form the input was meant as, and their location carries our tag.
GRID_FORMS = ("values", "range")


def _grid_form(value: Any) -> str:
    """``range`` for a mapping (or a validated range, when serialising), else ``values``."""
    return "range" if isinstance(value, dict | GridRange) else "values"


GridValues = Annotated[
    Annotated[list[Number], Tag("values")] | Annotated[GridRange, Tag("range")],
    Discriminator(_grid_form),
]


class GridDesign(SpecSection):
    """Full factorial: every combination of the listed values (first parameter outermost)."""

    kind: Literal["grid"]
    parameters: dict[str, GridValues] = Field(min_length=1)


class LhsDesign(SpecSection):
    """Latin hypercube sample of ``samples`` points within ``[low, high]`` per parameter."""

    kind: Literal["lhs"]
    parameters: dict[str, Bounds] = Field(min_length=1)
    samples: int = Field(ge=1, le=10_000_000)


class SobolDesign(SpecSection):
    """Saltelli sample for Sobol indices.

    ``samples x (D + 2)`` points, ``x (2D + 2)`` with second-order indices.
    """

    kind: Literal["sobol"]
    parameters: dict[str, Bounds] = Field(min_length=1)
    samples: int = Field(ge=1, le=10_000_000)
    second_order: bool = False


class MorrisDesign(SpecSection):
    """Morris elementary effects (SALib).

    ``trajectories x (D + 1)`` points on a grid of ``num_levels`` levels within ``[low, high]`` per
    parameter.
    """

    kind: Literal["morris"]
    parameters: dict[str, Bounds] = Field(min_length=1)
    trajectories: int = Field(ge=2, le=1_000_000)
    num_levels: int = Field(4, ge=2, le=1000)


class PointsDesign(SpecSection):
    """Explicit points, each a mapping of dotted paths to values."""

    kind: Literal["points"]
    points: list[dict[str, Number]] = Field(min_length=1)


DesignSpec = Annotated[
    GridDesign | LhsDesign | SobolDesign | MorrisDesign | PointsDesign,
    Field(discriminator="kind"),
]
#: The design classes, for messages that list a design's keys.
DESIGN_CLASSES: tuple[type[SpecSection], ...] = (
    GridDesign, LhsDesign, SobolDesign, MorrisDesign, PointsDesign,
)


class SpecSwitch(SpecSection):
    """A regime change at ``step``, as in configs: to a preset and/or partial regime values."""

    step: int = Field(ge=1, le=10_000)
    preset: str | None = None
    regime: dict[str, Any] | None = None
    label: str | None = None
    phase_in: int | None = Field(None, ge=0, le=100)
    back_step: int | None = Field(None, ge=0, le=10_000)


class ReplicationTarget(SpecSection):
    """Replications by precision.

    Add replications in batches until every named metric's 95% half-width is at most its target at
    every point, from ``min`` up to ``max`` per point (``experiments.engine.adaptive``).
    """

    precision: dict[str, Annotated[float, Field(gt=0)]] = Field(min_length=1)
    min: int = Field(10, ge=2, le=1_000_000)
    max: int = Field(200, ge=2, le=1_000_000)

    def __str__(self) -> str:
        """``10 to 200 (by precision)``, for messages."""
        return f"{self.min} to {self.max} (by precision)"


#: The tags of the two forms of ``replications``, chosen from the input like GRID_FORMS.
REPLICATION_FORMS = ("count", "target")


def _replication_form(value: Any) -> str:
    """``target`` for a mapping (or a validated target), else ``count``."""
    return "target" if isinstance(value, dict | ReplicationTarget) else "count"


Replications = Annotated[
    Annotated[int, Field(ge=1, le=1_000_000), Tag("count")]
    | Annotated[ReplicationTarget, Tag("target")],
    Discriminator(_replication_form),
]


class Spec(SpecSection):
    """An experiment: what to vary, how often, for how long, what to keep and where."""

    name: str = Field(pattern=FOLDER_SAFE, max_length=200)
    description: str = ""
    base: str | None = None
    regimes: list[str] | None = Field(None, min_length=1)
    set: dict[str, Any] = Field(default_factory=dict)
    design: DesignSpec | None = None
    replications: Replications = 1
    steps: int = Field(ge=1, le=10_000)
    #: Not given: ``simulation.burn_in.default_burn_in(steps)``, as for ``cadresim run``.
    burn_in: int = Field(0, ge=0)
    metrics: list[str] | None = Field(None, min_length=1)
    series: list[str] = Field(default_factory=list)
    switch: SpecSwitch | None = None
    seed: int = Field(20261121, ge=0, le=2**32 - 1)
    common_random_numbers: bool = True
    smallest_effect: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    #: The outputs regimes are judged on, each better lower or higher (``analyze``: differences,
    #: dominance, robustness); None: ``DEFAULT_OBJECTIVES`` the sweep keeps.
    objectives: list[str] | None = Field(None, min_length=1)
    output: str | None = None
    #: A calibration's posterior (its folder, or a Parquet file of particles): replicate r of
    #: every point runs with one particle drawn by weight (experiments.engine.posterior).
    posterior: str | None = Field(None, min_length=1, max_length=PATH_MAX)
    #: Seconds a run may take before it is stopped and recorded as failed (None: no limit).
    run_timeout: float | None = Field(None, gt=0, le=MAX_RUN_TIMEOUT)

    @model_validator(mode="before")
    @classmethod
    def _fill_burn_in(cls, data: Any) -> Any:
        """A spec without ``burn_in`` gets the default a run gets (``simulation.burn_in``)."""
        if not isinstance(data, dict) or "burn_in" in data:
            return data
        steps = data.get("steps")
        if isinstance(steps, int) and not isinstance(steps, bool) and steps >= 1:
            return {**data, "burn_in": default_burn_in(steps)}
        return data  # a bad or missing steps is reported as such

    @property
    def replication_target(self) -> ReplicationTarget | None:
        """The precision targets, when replications are set by precision."""
        return self.replications if isinstance(self.replications, ReplicationTarget) else None

    @property
    def initial_replications(self) -> int:
        """Replications every point runs first: the fixed number, or the target's ``min``."""
        target = self.replication_target
        return target.min if target is not None else int(self.replications)  # type: ignore[arg-type]

    @property
    def objective_names(self) -> list[str]:
        """The objectives: the spec's, else the default ones the sweep keeps."""
        if self.objectives is not None:
            return list(self.objectives)
        return default_objectives(run_outputs(tuple(self.kept_metrics)))

    @property
    def output_dir(self) -> str:
        """Where results go, as an absolute path: ``output``, or ``results/<name>``.

        ``~`` is expanded; a relative path is relative to the working directory (the folder
        the command is run from, as for ``base`` and ``posterior``), resolved here once.
        """
        return output_folder(self.output or os.path.join("results", self.name))

    @property
    def kept_metrics(self) -> list[str]:
        """The per-step outputs summarised per run (all of them by default)."""
        return list(self.metrics) if self.metrics is not None else list(STEP_COLUMNS)

    def as_data(self) -> dict[str, Any]:
        """The spec as plain JSON-ready data, defaults filled in (for the manifest).

        An empty ``smallest_effect`` and a missing ``posterior`` or ``objectives`` are left out,
        so older specs keep their hash.
        """
        data = self.model_dump(mode="json", by_alias=True)
        if not data.get("smallest_effect"):
            data.pop("smallest_effect", None)
        for optional in ("posterior", "objectives"):
            if data.get(optional) is None:
                data.pop(optional, None)
        return data

    def spec_hash(self) -> str:
        """The spec's identity: see :func:`spec_identity`."""
        return spec_identity(self.as_data())


def default_objectives(kept: tuple[str, ...] | list[str]) -> list[str]:
    """The default objectives among the run outputs ``kept``."""
    return [name for name in DEFAULT_OBJECTIVES if name in kept]


def output_folder(output: str) -> str:
    """An ``output`` path as the sweep uses it: ``~`` expanded, made absolute (not resolved)."""
    return os.path.abspath(os.path.expanduser(output))


def spec_identity(data: dict[str, Any]) -> str:
    """The spec hash of spec data as ``Spec.as_data`` gives it (and the manifest records it).

    sha256 of the canonical JSON (sorted keys, no spaces) without EXECUTION_FIELDS,
    LOCATION_FIELDS and ANALYSIS_FIELDS: what the runs compute, not how, where or how judged.
    """
    left_out = (*EXECUTION_FIELDS, *LOCATION_FIELDS, *ANALYSIS_FIELDS)
    return canonical_hash({k: v for k, v in data.items() if k not in left_out})


def former_spec_hash(data: dict[str, Any]) -> str:
    """The spec hash as folders written before the output left the spec's identity have it."""
    return canonical_hash({k: v for k, v in data.items() if k not in EXECUTION_FIELDS})


def recorded_spec_hashes(manifest: dict[str, Any]) -> set[str]:
    """The hashes that name the spec a manifest records: its ``spec_hash`` and both forms.

    A folder written before the output left the spec's identity has parts that carry the
    former hash; these hashes are all the same spec's.
    """
    hashes = {manifest["spec_hash"]} if isinstance(manifest.get("spec_hash"), str) else set()
    recorded = manifest.get("spec")
    if isinstance(recorded, dict):
        with contextlib.suppress(TypeError, ValueError, RecursionError):  # a damaged manifest
            hashes |= {spec_identity(recorded), former_spec_hash(recorded)}
    return hashes


def canonical_hash(data: Any) -> str:
    """sha256 hex digest of ``data`` as canonical JSON."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """Read and validate a spec file; any problem is a ConfigError naming the field."""
    return parse_spec(read_yaml(path, what="spec"), origin=str(path))


def parse_spec(data: dict[str, Any], origin: str = "<spec>") -> Spec:
    """Validate spec data (a mapping as read from YAML)."""
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        problems = dict.fromkeys(_describe(err) for err in _relevant(exc.errors()))
        raise ConfigError(_format_errors(list(problems), origin)) from None
    problems = check_spec(spec)
    if problems:
        raise ConfigError(_format_errors(problems, origin))
    return spec


def _relevant(errors: list[Any]) -> list[Any]:
    """Errors with the tags of tagged unions removed from their location.

    The design's tag is its ``kind`` (the value the spec gave); a grid parameter's is one of
    ``GRID_FORMS``, chosen by ``_grid_form`` from the input, so only that form's errors arise.
    """
    kept = []
    for err in errors:
        loc = list(err["loc"])
        if loc[:1] == ["design"] and len(loc) > 1 and loc[1] in DESIGN_KINDS:
            del loc[1]  # the design's kind
        if loc[:2] == ["design", "parameters"] and len(loc) > 3 and loc[3] in GRID_FORMS:
            del loc[3]  # the grid value's form
        if loc[:1] == ["replications"] and len(loc) > 1 and loc[1] in REPLICATION_FORMS:
            del loc[1]  # the replications' form
        kept.append({**err, "loc": tuple(loc)})
    return kept


def _format_errors(problems: list[str], origin: str) -> str:
    return "\n".join([f"spec {origin!r} is not valid:", *(f"  - {p}" for p in problems)])


def spec_paths() -> list[str]:
    """Dotted keys a spec accepts (for unknown-key messages)."""
    paths: list[str] = []
    for name, info in Spec.model_fields.items():
        key = info.alias or name
        if name == "design":
            fields = {
                f.alias or n for cls in DESIGN_CLASSES
                for n, f in cls.model_fields.items()
            }
            paths += [f"design.{f}" for f in sorted(fields)]
        elif name == "switch":
            paths += [f"switch.{f}" for f in SpecSwitch.model_fields]
        elif name == "replications":
            paths += [key, *(f"replications.{f}" for f in ReplicationTarget.model_fields)]
        else:
            paths.append(key)
    return paths


def _spec_field(loc: tuple[Any, ...]) -> FieldInfo | None:
    """The FieldInfo of a spec location such as ('design', 'samples'), if it is a field."""
    models: tuple[type[BaseModel], ...] = (Spec,)
    for i, part in enumerate(loc):
        fields = {f.alias or n: f for m in models for n, f in m.model_fields.items()}
        if part not in fields:
            return None
        if i == len(loc) - 1:
            return fields[part]
        if part == "design":
            models = DESIGN_CLASSES
        elif part == "switch":
            models = (SpecSwitch,)
        else:
            return None
    return None


def _describe(err: Any) -> str:
    """One line for a pydantic error: the spec's own forms, else the shared translator."""
    loc = list(err["loc"])
    where = ".".join(str(p) for p in loc)
    value = err.get("input")
    kind = err["type"]
    if kind == "extra_forbidden" and loc[:2] == ["design", "parameters"] and len(loc) == 4:
        return f"{where}: unknown key; allowed: from, to, num"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        got = value.get("kind") if isinstance(value, dict) else value
        shown = f"got {got!r}; " if kind == "union_tag_invalid" else "missing; "
        return f"{where}.kind: {shown}allowed: {', '.join(DESIGN_KINDS)}"
    if kind == "missing":
        return f"{where}: required field is missing"
    if kind in NUMBER_ERRORS and not _allowed_at(tuple(loc), kind):
        return f"{where}: got {value!r}; allowed: a number"
    if loc == ["name"] and kind == "string_pattern_mismatch":
        return f"name: got {value!r}; allowed: a folder-safe name (letters, digits, _ - .)"
    return describe_error(
        err, allowed=lambda at: _allowed_at(at, kind),
        unknown=lambda at: unknown_key_message(at, spec_paths()),
    )


#: Error types of a value that should have been a number.
NUMBER_ERRORS = ("int_type", "float_type", "int_parsing", "float_parsing", NOT_A_NUMBER)


def _allowed_at(loc: tuple[Any, ...], kind: str) -> str:
    """What the spec field at a location accepts ("" if nothing to say)."""
    if loc[:2] == ("design", "parameters") and len(loc) == 3:
        return "a list of values or {from, to, num}" if kind == "list_type" else "[low, high]"
    if loc == ("replications",):
        return "an integer from 1 to 1000000, or {precision: {metric: half-width}, min, max}"
    if loc[:1] == ("objectives",):
        return ("a list of output names better lower or higher, e.g. "
                f"[{', '.join(DEFAULT_OBJECTIVES)}]")
    info = _spec_field(loc)
    if info is not None and info.annotation in (int, float, str, bool):
        return allowed_values(info)
    return ""


# --------------------------------------------------------------------------------------------
# Checks that need the config schema, the presets or several fields at once
# --------------------------------------------------------------------------------------------


def check_spec(spec: Spec) -> list[str]:
    """Problems with a structurally valid spec; an empty list if it can run."""
    problems: list[str] = []
    if spec.burn_in >= spec.steps:
        problems.append(f"burn_in: got {spec.burn_in}; allowed: 0 to {spec.steps - 1} (< steps)")
    problems += _source_problems(spec)
    if spec.switch is not None and spec.switch.step > spec.steps:
        problems.append(
            f"switch.step: got {spec.switch.step}; allowed: 1 to {spec.steps} (<= steps)"
        )
    problems += _metric_problems(spec)
    problems += _statistics_problems(spec)
    problems += objective_problems(spec.objectives, run_outputs(tuple(spec.kept_metrics)))
    for path in spec.set:
        problem = _path_problem(path, spec, numeric=False)
        if problem:
            problems.append(f"set.{problem}")
    problems += _design_problems(spec)
    problems += _posterior_problems(spec)
    problems += _size_problems(spec) + _output_problems(spec.output)
    return problems


def planned_points(spec: Spec) -> int:
    """How many points the spec's design expands to (regimes included), without expanding it.

    For a grid, an upper bound: integer values may round together.
    """
    design = spec.design
    regimes = len(spec.regimes) if spec.regimes else 1
    if design is None:
        rows = 1
    elif isinstance(design, GridDesign):
        rows = math.prod(
            v.num if isinstance(v, GridRange) else len(v) for v in design.parameters.values()
        )
    elif isinstance(design, LhsDesign):
        rows = design.samples
    elif isinstance(design, SobolDesign):
        d = len(design.parameters)
        rows = design.samples * (2 * d + 2 if design.second_order else d + 2)
    elif isinstance(design, MorrisDesign):
        rows = design.trajectories * (len(design.parameters) + 1)
    else:
        rows = len(design.points)
    return regimes * rows


def _size_problems(spec: Spec) -> list[str]:
    """The design and the sweep must stay within MAX_POINTS points and MAX_RUNS runs."""
    points = planned_points(spec)
    if points > MAX_POINTS:
        return [f"design: {points:,} points (regimes x design rows); allowed: at most "
                f"{MAX_POINTS:,}"]
    target = spec.replication_target
    most = target.max if target is not None else int(spec.replications)
    runs = points * most
    if runs > MAX_RUNS:
        return [f"replications: up to {most:,} x {points:,} points = {runs:,} runs; "
                f"allowed: at most {MAX_RUNS:,} runs"]
    return []


def _output_problems(output: str | None) -> list[str]:
    """``output`` must be a path the filesystem can hold, printable, and ``~`` a known home."""
    if output is None:
        return []
    if not output.strip() or "\0" in output:
        return [f"output: got {shown(output)}; allowed: a folder path (not empty, no NUL)"]
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in BIDI_CONTROLS for c in output):
        return [f"output: got {shown(output)}; allowed: a folder path without control "
                "characters (newlines, tabs, terminal escapes)"]
    expanded = os.path.expanduser(output)
    if expanded.startswith("~"):
        user = expanded.split("/", 1)[0]
        return [f"output: got {shown(output)}: {shown(user)} names no home folder here; "
                "allowed: ~/folder, ~user/folder of a known user, or a path without ~"]
    try:
        encoded = os.fsencode(expanded)
    except UnicodeError:  # a lone surrogate
        return [f"output: got {shown(output)}; allowed: a path the filesystem can encode"]
    if len(encoded) > PATH_MAX or any(len(p) > NAME_MAX for p in encoded.split(b"/")):
        return [f"output: got {shown(output)}; allowed: folder names of at most {NAME_MAX} "
                f"bytes, a path of at most {PATH_MAX}"]
    return []


def _source_problems(spec: Spec) -> list[str]:
    """The base, the regimes and the switch's preset must exist; each regime once."""
    problems: list[str] = []
    sources = [("base", spec.base)] if spec.base is not None else []
    sources += [(f"regimes.{i}", name) for i, name in enumerate(spec.regimes or [])]
    if spec.switch is not None and spec.switch.preset is not None:
        sources.append(("switch.preset", spec.switch.preset))
    for where, source in sources:
        try:
            resolve_source(source)
        except ConfigError as exc:
            problems.append(f"{where}: {exc}")
    if spec.regimes is not None and len(set(spec.regimes)) != len(spec.regimes):
        problems.append(f"regimes: got {spec.regimes}; allowed: each preset once")
    return problems


def _metric_problems(spec: Spec) -> list[str]:
    """``metrics`` and ``series`` must name per-step outputs, each once."""
    problems: list[str] = []
    for name in ("metrics", "series"):
        chosen = getattr(spec, name) or []
        for i, metric in enumerate(chosen):
            if metric not in STEP_COLUMNS:
                problems.append(f"{name}.{i}: {_unknown_metric(metric)}")
        if len(set(chosen)) != len(chosen):
            problems.append(f"{name}: got {chosen}; allowed: each metric once")
    return problems


def _statistics_problems(spec: Spec) -> list[str]:
    """``smallest_effect`` and ``replications.precision`` name run outputs the sweep keeps.

    ``replications.min`` <= ``max``.
    """
    problems: list[str] = []
    kept = run_outputs(tuple(spec.kept_metrics))
    target = spec.replication_target
    named = [("smallest_effect", m) for m in spec.smallest_effect]
    if target is not None:
        named += [("replications.precision", m) for m in target.precision]
        if target.min > target.max:
            problems.append(f"replications.min: got {target.min}; allowed: at most "
                            f"replications.max ({target.max})")
    for where, metric in named:
        if metric not in kept:
            problems.append(f"{where}.{metric}: not a kept run output; allowed: "
                            f"{', '.join(kept)}")
    return problems


def objective_problems(objectives: list[str] | None, kept: tuple[str, ...]) -> list[str]:
    """``objectives`` name kept run outputs that are better lower or higher, each once."""
    if objectives is None:
        return []
    rankable = [n for n in kept if OUTPUTS.get(n) is not None and OUTPUTS[n].better != "neither"
                and OUTPUTS[n].policy]
    allowed = f"allowed: a kept run output better lower or higher: {', '.join(rankable)}"
    problems = []
    for i, name in enumerate(objectives):
        where = f"objectives.{i}: got {name!r}"
        out = OUTPUTS.get(name)
        if out is None:
            close = difflib.get_close_matches(name, rankable, n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
            problems.append(f"{where}: not an output{hint}; {allowed}")
        elif out.better == "neither" or not out.policy:
            why = "no policy moves it" if not out.policy else "it is better neither lower nor " \
                "higher (its direction in simulation/outputs.py)"
            problems.append(f"{where}: regimes cannot be judged on it, {why}; {allowed}")
        elif name not in kept:
            problems.append(f"{where}: the spec's metrics do not keep it; {allowed}")
    if len(set(objectives)) != len(objectives):
        problems.append(f"objectives: got {objectives}; allowed: each output once")
    return problems


def _unknown_metric(metric: str) -> str:
    close = difflib.get_close_matches(metric, STEP_COLUMNS, n=3, cutoff=0.6)
    if close:
        return f"unknown metric {metric!r}; did you mean {' or '.join(map(repr, close))}?"
    return f"unknown metric {metric!r}; allowed: {', '.join(STEP_COLUMNS)}"


def _path_problem(path: str, spec: Spec, numeric: bool) -> str | None:
    """Why ``path`` cannot be set or varied by this spec, or None if it can."""
    if path in RESERVED_PATHS:
        return f"{path}: cannot be set by a spec: {RESERVED_PATHS[path]}"
    in_switch = path.startswith("switch.") or path == "switch"
    if in_switch and (spec.switch is None or not numeric):
        return f"{path}: use the spec's switch field for a regime change"
    if path not in known_paths():
        fields_below = [p for p in known_paths() if p.startswith(f"{path}.")]
        if fields_below:
            return f"{path}: is a section; name one of its fields, e.g. {fields_below[0]!r}"
        return unknown_key_message(path, known_paths())
    if numeric and field_info(path).annotation not in (int, float):
        return f"{path}: is not a number field; a design varies numbers only"
    return None


def parameter_type(path: str) -> type:
    """``int`` or ``float``: the type of a numeric config field."""
    return field_info(path).annotation  # type: ignore[return-value]


def _value_problem(path: str, value: Any) -> str | None:
    """Why ``value`` is not allowed for the config field ``path``, or None."""
    info = field_info(path)
    if info.annotation is int and isinstance(value, float):
        if not value.is_integer():
            return f"got {value!r}; allowed: {allowed_values(info)}"
        value = int(value)
    adapter = TypeAdapter(Annotated[info.annotation, info], config=ConfigDict(strict=True))
    try:
        adapter.validate_python(value)
    except ValidationError:
        return f"got {value!r}; allowed: {allowed_values(info)}"
    return None


def varied_paths(spec: Spec) -> list[str]:
    """The config paths the spec's design varies, in design order."""
    design = spec.design
    if design is None:
        return []
    if isinstance(design, PointsDesign):
        return list(dict.fromkeys(p for point in design.points for p in point))
    return list(design.parameters)


#: Prefixes of the policy levers: designed or set, never drawn from a posterior.
LEVERS = ("regime.", "switch.")


def _posterior_problems(spec: Spec) -> list[str]:
    """The posterior must load; its columns must be number fields, not levers, left free.

    Each column's values must be allowed for its field (checked on the smallest and largest
    value, and on whole numbers for an integer field).
    """
    if spec.posterior is None:
        return []
    try:
        posterior = load_posterior(spec.posterior)
    except ConfigError as exc:
        return [str(exc)]
    problems: list[str] = []
    varied = set(varied_paths(spec))
    for i, path in enumerate(posterior.parameters):
        where = f"posterior: column {path!r}"
        if path.startswith(LEVERS):
            problems.append(f"{where}: a policy lever; allowed: behavioural and population "
                            "parameters (levers are set or designed, not drawn)")
        elif problem := _path_problem(path, spec, numeric=True):
            problems.append(f"posterior: column {problem}")
        elif path in spec.set or path in varied:
            how = "fixed by set; draw it or fix it" if path in spec.set else (
                "varied by the design; draw it or vary it")
            problems.append(f"{where}: also {how}, not both")
        elif (bad := _drawn_value_problem(path, posterior.values[:, i])) is not None:
            problems.append(f"{where}: {bad}")
    return problems


def _drawn_value_problem(path: str, values: Any) -> str | None:
    """Why a posterior column's values are not allowed for the field ``path``, or None."""
    if parameter_type(path) is int:
        fractional = [v for v in values.tolist() if not float(v).is_integer()]
        if fractional:
            return _value_problem(path, fractional[0])
        values = values.astype(int)
    for value in (values.min(), values.max()):
        if (bad := _value_problem(path, value.item())) is not None:
            return bad
    return None


#: Designs that sample within ``[low, high]`` bounds per parameter.
Sampled = LhsDesign | SobolDesign | MorrisDesign


def _design_problems(spec: Spec) -> list[str]:
    design = spec.design
    if design is None:
        return []
    if isinstance(design, PointsDesign):
        return _points_problems(spec, design)
    problems: list[str] = []
    for path, values in design.parameters.items():
        problems += _parameter_problems(spec, design, path, values)
    if isinstance(design, SobolDesign) and design.samples & (design.samples - 1):
        problems.append(
            f"design.samples: got {design.samples}; allowed: a power of 2 (Sobol sequences "
            "keep their balance only then), e.g. 256"
        )
    return problems


def _points_problems(spec: Spec, design: PointsDesign) -> list[str]:
    """Problems with the explicit points of a points design.

    Each explicit point's paths must be numeric fields not fixed by ``set``, with allowed values.
    """
    problems: list[str] = []
    for i, point in enumerate(design.points):
        for path, value in point.items():
            where = f"design.points.{i}.{path}"
            problem = _path_problem(path, spec, numeric=True) or (
                f"{path}: also fixed by set; vary it or fix it, not both"
                if path in spec.set else None
            )
            if problem:
                problems.append(f"design.points.{i}.{problem}")
            elif (bad := _value_problem(path, value)) is not None:
                problems.append(f"{where}: {bad}")
    return problems


def _parameter_problems(
    spec: Spec, design: GridDesign | Sampled, path: str, values: Any
) -> list[str]:
    """Problems with one varied parameter of a grid or sampled design.

    A varied parameter must be a numeric field not fixed by ``set``, with allowed values: distinct
    grid values, or ``[low, high]`` bounds with low < high for a sampled design.
    """
    where = f"design.parameters.{path}"
    problem = _path_problem(path, spec, numeric=True)
    if problem:
        return [f"design.parameters.{problem}"]
    if path in spec.set:
        return [f"{where}: also fixed by set; vary it or fix it, not both"]
    problems: list[str] = []
    if isinstance(values, GridRange):
        checked = [values.from_, values.to]
        if values.num == 1 and values.from_ != values.to:
            problems.append(f"{where}: num 1 needs from == to")
    else:
        checked = list(values)
    if isinstance(design, Sampled) and not checked[0] < checked[1]:
        problems.append(f"{where}: got {checked}; allowed: [low, high] with low < high")
    for value in checked:
        bad = _value_problem(path, value)
        if bad:
            problems.append(f"{where}: {bad}")
            break
    if isinstance(design, GridDesign) and not isinstance(values, GridRange):
        problems += _grid_list_problems(where, values)
    return problems


def _grid_list_problems(where: str, values: list[Number]) -> list[str]:
    """A grid's listed values: at least one, each once."""
    if not values:
        return [f"{where}: got []; allowed: a non-empty list of values"]
    if len(set(values)) != len(values):
        return [f"{where}: got {values}; allowed: each value once"]
    return []
