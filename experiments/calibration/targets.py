"""Calibration targets as data: published figures, the model output each maps to, and how loosely.

A targets file (``configs/targets/*.yaml``) lists figures such as "51.8% name fear as the real
cause of inaction". Each figure says which model statistic it is compared with (a step-table
column, or a ratio of two, e.g. ``names_afraid / inaction``), under which regime (a preset, or
``default``), who was asked and how they could answer (the statistic emulates that question put
to those respondents), its sample size where known, its source, and a note and a number for how
loose the mapping is (``mapping_sd``). Figures that were considered but cannot be mapped are kept
under ``unmapped`` with the reason, so a reader sees what was left out and why.

**Two periods, one population.** With a calendar (``simulation.start_year``) each target names
the survey years it is read in, and ``simulation.switch`` changes the regime between them (phased
in over years, ``simulation.schedule``): every draw runs one population through both periods, so
the figures before the change and after it test the change, not only two states.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from experiments.calibration.errors import validated
from simulation.loading import STATUS_QUO, list_presets, read_yaml
from simulation.step import STEP_COLUMNS

Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


#: A figure is met when its simulated statistic is within this many tolerances (|z|): the bar
#: a shipped fit and its defaults must meet.
MET_WITHIN = 2.0


class Strict(BaseModel):
    """Base of every section: unknown keys and wrong types are errors, never coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def known_outputs() -> tuple[str, ...]:
    """Model outputs a target may use: the per-step columns (``simulation.step.STEP_COLUMNS``)."""
    return STEP_COLUMNS


@cache
def known_regimes() -> tuple[str, ...]:
    """``default`` and the preset names in ``configs/regimes``."""
    return (STATUS_QUO, *list_presets())


def parse_statistic(text: str) -> tuple[str, str | None]:
    """Split ``"a / b"`` into ``("a", "b")`` and ``"a"`` into ``("a", None)``; check the names.

    Raises:
        ValueError: a malformed expression or a name that is not a model output; the message
            lists the outputs allowed.
    """
    parts = [p.strip() for p in text.split("/")]
    if len(parts) > 2 or not all(parts):
        raise ValueError(
            f"statistic {text!r}: write one output (e.g. 'lying_flat') or a ratio of two "
            "(e.g. 'reason_afraid / inaction')"
        )
    for name in parts:
        if name not in known_outputs():
            raise ValueError(
                f"statistic {text!r}: {name!r} is not a model output; allowed: "
                f"{', '.join(known_outputs())}"
            )
    return parts[0], (parts[1] if len(parts) == 2 else None)


class Source(Strict):
    """Where a figure was published."""

    authors: Text = Field(description="Authors or the publishing body.")
    venue: Text = Field(description="Journal, magazine or report.")
    year: int = Field(ge=1900, le=2100, description="Year of the survey or publication.")
    reference: str = Field("", description="DOI, URL or page; empty if only cited second-hand.")
    firmness: Text = Field(description="How firm the figure is (primary, secondary report, ...).")


#: How respondents could answer: one option, every option that applies, a point on a scale.
Response = Literal["single choice", "multiple choice", "rating scale", "unknown"]


class Target(Strict):
    """One published figure and the model statistic it is compared with."""

    name: Name = Field(description="Short identifier, used as a column name.")
    figure: Text = Field(description="The figure in words, as published.")
    asked: str = Field("", description="Who was asked (the respondents the statistic emulates).")
    response: Response = Field(
        "unknown", description="How respondents could answer: one option (single choice), every "
        "option that applies (multiple choice), a point on a scale, or unknown.",
    )
    years: list[Annotated[int, Field(ge=1900, le=2100)]] | None = Field(
        None, min_length=1,
        description="Calendar years the statistic is read in (needs simulation.start_year); "
        "default: every year after the burn-in.",
    )
    value: float = Field(ge=0.0, le=1.0, description="The published value, as a share in [0, 1].")
    n: int | None = Field(None, ge=1, description="Sample size, where known.")
    se: float | None = Field(
        None, gt=0.0, le=1.0,
        description="Sampling standard error if not binomial (e.g. the mean of a rating scale); "
        "if absent and n is given, the binomial s.e. sqrt(p(1-p)/n) is used.",
    )
    statistic: Text = Field(description="Model output: a step column or a ratio 'a / b'.")
    regime: Text = Field(STATUS_QUO, description="Preset the survey's status quo maps to.")
    mapping_sd: float = Field(
        ge=0.0, le=1.0,
        description="How loose the mapping is, as a standard deviation on the value's scale; "
        "added in quadrature to the sampling s.e. to weight the target.",
    )
    looseness: Text = Field(description="Why the mapping is loose, in words.")
    source: Source

    @field_validator("statistic")
    @classmethod
    def _statistic_known(cls, text: str) -> str:
        parse_statistic(text)
        return text

    @field_validator("regime")
    @classmethod
    def _regime_known(cls, name: str) -> str:
        if name not in known_regimes():
            raise ValueError(f"regime {name!r} is unknown; allowed: {', '.join(known_regimes())}")
        return name

    @model_validator(mode="after")
    def _has_an_error_scale(self) -> Target:
        if self.tolerance <= 0.0:
            raise ValueError(
                f"target {self.name!r}: give n, se or a positive mapping_sd, so that its distance "
                "to the model has a scale"
            )
        return self

    @property
    def sampling_se(self) -> float | None:
        """The survey's sampling standard error: ``se`` if given, else binomial from ``n``."""
        if self.se is not None:
            return self.se
        if self.n is not None:
            return math.sqrt(self.value * (1.0 - self.value) / self.n)
        return None

    @property
    def tolerance(self) -> float:
        """Scale of this target's distance: sqrt(sampling s.e.^2 + mapping_sd^2)."""
        return math.hypot(self.sampling_se or 0.0, self.mapping_sd)

    def z(self, simulated: float) -> float:
        """How far a simulated statistic is from the published figure, in tolerances."""
        return (simulated - self.value) / self.tolerance


class Switch(Strict):
    """What changed between two survey periods: a regime phased in from a calendar year."""

    preset: Text = Field(description="The regime switched to (a preset in configs/regimes).")
    year: int = Field(ge=1900, le=2100, description="First calendar year of the change.")
    phase_in: int = Field(
        0, ge=0, le=100,
        description="Years over which the change spreads (year k of P is (k + 1) / P of the "
        "way, as switch.phase_in); 0 or 1: at once.",
    )

    @field_validator("preset")
    @classmethod
    def _preset_known(cls, name: str) -> str:
        if name not in list_presets():
            raise ValueError(f"preset {name!r} is unknown; allowed: {', '.join(list_presets())}")
        return name


class SimulationSettings(Strict):
    """How each parameter draw is simulated."""

    n_cadres: int = Field(400, ge=20, le=100_000, description="Cadres per run.")
    steps: int = Field(30, ge=2, le=500, description="Years per run, burn-in included.")
    burn_in: int = Field(10, ge=0, description="Years dropped before the statistics are taken.")
    replications: int = Field(
        1, ge=1, le=100, description="Seeds per draw; the statistics average their runs."
    )
    start_year: int | None = Field(
        None, ge=1800, le=2100,
        description="Calendar year of the run's first step (targets then name their years).",
    )
    switch: Switch | None = Field(
        None, description="A regime change between survey periods (needs start_year)."
    )

    @model_validator(mode="after")
    def _burn_in_shorter(self) -> SimulationSettings:
        if self.burn_in >= self.steps:
            raise ValueError(f"burn_in ({self.burn_in}) must be smaller than steps ({self.steps})")
        if self.switch is not None:
            if self.start_year is None:
                raise ValueError("a switch needs start_year (the calendar year of step 1)")
            if not self.start_year < self.switch.year <= self.last_year:
                raise ValueError(
                    f"switch.year ({self.switch.year}) must fall after start_year "
                    f"({self.start_year}) and by the last simulated year ({self.last_year})")
        return self

    @property
    def first_kept_year(self) -> int | None:
        """The calendar year of the first step after the burn-in (None without a calendar)."""
        return None if self.start_year is None else self.start_year + self.burn_in

    @property
    def last_year(self) -> int | None:
        """The calendar year of the last step (None without a calendar)."""
        return None if self.start_year is None else self.start_year + self.steps - 1

    def step_of(self, year: int) -> int:
        """The step (1-based) simulated as calendar ``year``."""
        if self.start_year is None:
            raise ValueError("no calendar: set simulation.start_year")
        return year - self.start_year + 1

    def switch_overrides(self) -> dict[str, object]:
        """Config overrides that put the switch into a run (none without one)."""
        if self.switch is None:
            return {}
        return {"switch.preset": self.switch.preset, "switch.step": self.step_of(self.switch.year),
                "switch.phase_in": self.switch.phase_in}

    def resized(self, n_cadres: int | None = None, burn_in: int | None = None
                ) -> SimulationSettings:
        """The same calendar of kept years with another population or burn-in (smaller runs).

        The run starts ``burn_in`` years before the first kept year, so every target's years
        and the switch keep their steps relative to the kept years.
        """
        burn_in = self.burn_in if burn_in is None else burn_in
        start = None if self.start_year is None else self.start_year + self.burn_in - burn_in
        return self.model_copy(update={
            "n_cadres": n_cadres or self.n_cadres, "burn_in": burn_in,
            "steps": self.steps - self.burn_in + burn_in, "start_year": start})


class Unmapped(Strict):
    """A figure considered and left out, with the reason."""

    figure: Text
    source: Source
    why: Text


class TargetSet(Strict):
    """A targets file: the figures one calibration fits, and how each draw is simulated."""

    name: Name
    description: str = ""
    simulation: SimulationSettings = Field(default_factory=SimulationSettings)
    targets: list[Target] = Field(min_length=1)
    unmapped: list[Unmapped] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names_unique(self) -> TargetSet:
        names = [t.name for t in self.targets]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"target names must be unique; repeated: {', '.join(dup)}")
        sim = self.simulation
        for t in self.targets:
            if t.years is None:
                continue
            if sim.start_year is None:
                raise ValueError(f"target {t.name!r} names years {t.years}: set "
                                 "simulation.start_year, the calendar year of step 1")
            outside = [y for y in t.years if not sim.first_kept_year <= y <= sim.last_year]
            if outside:
                raise ValueError(
                    f"target {t.name!r}: years {outside} lie outside the kept years "
                    f"{sim.first_kept_year}-{sim.last_year} (start_year + burn_in to the last "
                    "step)")
        return self

    def kept_rows(self, target: Target) -> np.ndarray | None:
        """Which of a run's kept years (0 = the first after the burn-in) ``target`` reads.

        None: every kept year.
        """
        if target.years is None:
            return None
        first = self.simulation.first_kept_year
        return np.array(sorted({y - first for y in target.years}), dtype=np.intp)

    def split(self, held_out: list[str] | tuple[str, ...]) -> tuple[TargetSet, list[Target]]:
        """The targets fitted and the ones held out, by name or by survey year.

        Raises:
            ValueError: a name or year that matches no target, or nothing left to fit.
        """
        chosen: set[str] = set()
        for key in held_out:
            match = ([t.name for t in self.targets if t.years and int(key) in t.years]
                     if str(key).isdigit() else [t.name for t in self.targets if t.name == key])
            if not match:
                raise ValueError(f"hold-out {key!r} matches no target; targets: "
                                 f"{', '.join(self.names)} (or a survey year they name)")
            chosen.update(match)
        fitted = [t for t in self.targets if t.name not in chosen]
        if not fitted:
            raise ValueError("every target is held out: nothing is left to fit")
        held = [t for t in self.targets if t.name in chosen]
        return self.model_copy(update={"targets": fitted}), held

    @property
    def names(self) -> list[str]:
        """Target names in file order."""
        return [t.name for t in self.targets]

    @property
    def regimes(self) -> list[str]:
        """The regimes the targets need, each once, in first-use order."""
        return list(dict.fromkeys(t.regime for t in self.targets))

    def observed(self) -> dict[str, float]:
        """Target name -> published value."""
        return {t.name: t.value for t in self.targets}

    def tolerances(self) -> dict[str, float]:
        """Target name -> distance scale (``Target.tolerance``)."""
        return {t.name: t.tolerance for t in self.targets}


def validate_targets(data: dict, origin: str = "<targets>") -> TargetSet:
    """Validate a mapping as a :class:`TargetSet`.

    Raises:
        CalibrationError: naming each bad field, its value and what is allowed.
    """
    return validated(TargetSet, data, origin, "targets")  # type: ignore[return-value]


def load_targets(path: str | os.PathLike[str]) -> TargetSet:
    """Read and validate a targets YAML file (``configs/targets/*.yaml``)."""
    return validate_targets(read_yaml(path), origin=str(path))


def statistic_value(table: pd.DataFrame, statistic: str, burn_in: int) -> float:
    """A statistic over the years after ``burn_in``: a column's mean, or a ratio of run means.

    Args:
        table: one or more runs' per-step tables (``CadreModel.run``), with a ``step`` column.
        statistic: ``"col"`` or ``"num / den"``.
        burn_in: years dropped (steps 1..burn_in).

    Returns:
        The mean of the column, or sum(num) / sum(den) over the kept rows (the ratio of the run
        means, as docs/ODD.md 8.2 defines composition shares); NaN if the denominator is 0.
    """
    kept = table[table["step"] > burn_in]
    return kept_statistic({name: kept[name].to_numpy(float)
                           for name in parse_statistic(statistic) if name}, statistic)


def kept_statistic(columns: Mapping[str, np.ndarray], statistic: str) -> float:
    """:func:`statistic_value` of the kept years' values, one array per column read.

    Summed and divided as pandas' ``mean`` and ``sum`` do (NaN left out), so a draw's
    statistics are the same whether its runs come as tables or as arrays.
    """
    num, den = parse_statistic(statistic)
    values = columns[num]
    if den is None:
        total, count = _nansum(values)
        return float(total / count) if count > 0 else float("nan")
    denominator = float(_nansum(columns[den])[0])
    return float(_nansum(values)[0]) / denominator if denominator > 0 else float("nan")


def _nansum(values: np.ndarray) -> tuple[np.float64, np.float64]:
    """The sum of the values that are not NaN, and their count (as pandas' reductions)."""
    missing = np.isnan(values)
    if missing.any():
        values = np.where(missing, 0.0, values)
    return values.sum(), np.float64(len(values) - int(missing.sum()))


def target_statistics(tables: dict[str, pd.DataFrame], targets: TargetSet) -> dict[str, float]:
    """Every target's model statistic, from one table per regime the targets need.

    A target with ``years`` reads only the steps of those calendar years.
    """
    sim = targets.simulation
    stats = {}
    for t in targets.targets:
        table = tables[t.regime]
        if t.years is not None:
            steps = [sim.step_of(y) for y in t.years]
            table = table[table["step"].isin(steps)]
        stats[t.name] = statistic_value(table, t.statistic, sim.burn_in)
    return stats
