"""Calibration targets as data: published figures, the model output each maps to, and how loosely.

A targets file (``configs/targets/*.yaml``) lists figures such as "51.8% name fear as the real
cause of inaction". Each figure says which model statistic it is compared with (a step-table
column, or a ratio of two, e.g. ``reason_afraid / inaction``), under which regime (a preset, or
``default``), its sample size where known, its source, and a note and a number for how loose the
mapping is (``mapping_sd``). Figures that were considered but cannot be mapped are kept under
``unmapped`` with the reason, so a reader sees what was left out and why.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from functools import cache
from typing import Annotated

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


class Target(Strict):
    """One published figure and the model statistic it is compared with."""

    name: Name = Field(description="Short identifier, used as a column name.")
    figure: Text = Field(description="The figure in words, as published.")
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


class SimulationSettings(Strict):
    """How each parameter draw is simulated."""

    n_cadres: int = Field(400, ge=20, le=100_000, description="Cadres per run.")
    steps: int = Field(30, ge=2, le=500, description="Years per run, burn-in included.")
    burn_in: int = Field(10, ge=0, description="Years dropped before the statistics are taken.")
    replications: int = Field(
        1, ge=1, le=100, description="Seeds per draw; the statistics average their runs."
    )

    @model_validator(mode="after")
    def _burn_in_shorter(self) -> SimulationSettings:
        if self.burn_in >= self.steps:
            raise ValueError(f"burn_in ({self.burn_in}) must be smaller than steps ({self.steps})")
        return self


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
        return self

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
    """Every target's model statistic, from one table per regime the targets need."""
    burn_in = targets.simulation.burn_in
    return {
        t.name: statistic_value(tables[t.regime], t.statistic, burn_in) for t in targets.targets
    }
