"""Priors as data: which behavioural and population parameters are fitted, and over what range.

A priors file (``configs/priors/*.yaml``) maps dotted config paths to a distribution, its bounds
and a one-line justification. Only behavioural, learning and population parameters may be fitted;
policy levers (``regime.*``) are what the comparisons vary, so fitting them is an error, as are
bounds outside the range the config schema allows for that field.
"""

from __future__ import annotations

import os
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, StringConstraints, field_validator, model_validator
from scipy import stats

from experiments.calibration.errors import validated
from experiments.calibration.targets import Name, Strict, Text
from simulation.loading import ConfigError, field_info, read_yaml

#: Config sections a prior may cover: how cadres are, not the policy they work under.
FITTABLE_SECTIONS = ("behaviour", "population", "learning")

Path_ = Annotated[str, StringConstraints(pattern=r"^[a-z_]+(\.[a-z_]+)+$")]


def field_bounds(path: str) -> tuple[float, float, bool, bool]:
    """A config field's allowed range as (low, high, low_open, high_open), from its constraints.

    Raises:
        ConfigError: the path is not a config field (the message suggests close names).
    """
    info = field_info(path)
    low, high, low_open, high_open = -np.inf, np.inf, False, False
    for meta in info.metadata:
        if getattr(meta, "ge", None) is not None:
            low = float(meta.ge)
        if getattr(meta, "gt", None) is not None:
            low, low_open = float(meta.gt), True
        if getattr(meta, "le", None) is not None:
            high = float(meta.le)
        if getattr(meta, "lt", None) is not None:
            high, high_open = float(meta.lt), True
    return low, high, low_open, high_open


def check_fittable(path: str) -> None:
    """Raise ValueError unless ``path`` is a float field of a behavioural or population section."""
    section = path.split(".")[0]
    if section == "regime" or path.startswith("switch."):
        raise ValueError(
            f"{path} is a policy lever: priors cover behavioural and population parameters "
            f"only ({', '.join(s + '.*' for s in FITTABLE_SECTIONS)}); regimes are compared, "
            "not fitted"
        )
    if section not in FITTABLE_SECTIONS:
        raise ValueError(
            f"{path}: only {', '.join(s + '.*' for s in FITTABLE_SECTIONS)} may be fitted"
        )
    try:
        info = field_info(path)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    if info.annotation is not float:
        raise ValueError(f"{path} is not a real-valued parameter ({info.annotation}); "
                         "only float fields can be fitted")


class Prior(Strict):
    """One parameter's prior distribution."""

    distribution: Literal["uniform", "loguniform", "truncnormal"]
    low: float = Field(description="Lower bound (all three distributions are bounded).")
    high: float = Field(description="Upper bound.")
    mean: float | None = Field(None, description="Mean of the untruncated normal (truncnormal).")
    sd: float | None = Field(None, gt=0.0, description="S.d. of the untruncated normal.")
    why: Text = Field(description="One line of justification for the distribution and range.")

    @model_validator(mode="after")
    def _shape(self) -> Prior:
        if not self.low < self.high:
            raise ValueError(f"need low < high, got low={self.low}, high={self.high}")
        if self.distribution == "loguniform" and self.low <= 0:
            raise ValueError(f"loguniform needs low > 0, got low={self.low}")
        normal = self.distribution == "truncnormal"
        if normal and (self.mean is None or self.sd is None):
            raise ValueError("truncnormal needs mean and sd")
        if not normal and (self.mean is not None or self.sd is not None):
            raise ValueError(f"mean and sd apply to truncnormal only, not {self.distribution}")
        return self

    def frozen(self) -> stats.rv_continuous:
        """The scipy frozen distribution."""
        if self.distribution == "uniform":
            return stats.uniform(loc=self.low, scale=self.high - self.low)
        if self.distribution == "loguniform":
            return stats.loguniform(self.low, self.high)
        a = (self.low - self.mean) / self.sd
        b = (self.high - self.mean) / self.sd
        return stats.truncnorm(a, b, loc=self.mean, scale=self.sd)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantile function: maps uniforms in (0, 1) onto the prior."""
        return np.asarray(self.frozen().ppf(u), dtype=float)

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        """Log density (-inf outside the bounds)."""
        return np.asarray(self.frozen().logpdf(x), dtype=float)

    @property
    def log_scale(self) -> bool:
        """Whether widths and kernels are best measured on the log scale."""
        return self.distribution == "loguniform"


class PriorSet(Strict):
    """A priors file: the parameters fitted and their priors, in file order."""

    name: Name
    description: str = ""
    parameters: dict[Path_, Prior] = Field(min_length=1)

    @field_validator("parameters")
    @classmethod
    def _fittable_and_in_range(cls, parameters: dict[str, Prior]) -> dict[str, Prior]:
        for path, prior in parameters.items():
            check_fittable(path)
            lo, hi, lo_open, hi_open = field_bounds(path)
            below = prior.low < lo or (lo_open and prior.low == lo)
            above = prior.high > hi or (hi_open and prior.high == hi)
            if below or above:
                allowed = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
                raise ValueError(
                    f"{path}: prior bounds [{prior.low:g}, {prior.high:g}] leave the range the "
                    f"config allows, {allowed}"
                )
        return parameters

    @property
    def names(self) -> list[str]:
        """Parameter paths in file order."""
        return list(self.parameters)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent draws, one column per parameter (shape ``(size, k)``)."""
        u = rng.uniform(size=(size, len(self.parameters)))
        return np.column_stack([p.ppf(u[:, j]) for j, p in enumerate(self.parameters.values())])

    def logpdf(self, theta: np.ndarray) -> np.ndarray:
        """Joint log prior density of rows of ``theta`` (independent parameters)."""
        theta = np.atleast_2d(theta)
        return sum(p.logpdf(theta[:, j]) for j, p in enumerate(self.parameters.values()))

    def to_unbounded(self, theta: np.ndarray) -> np.ndarray:
        """Map draws to an unbounded space, where Gaussian perturbation kernels work.

        The logit of the position in the bounds, on the log scale for loguniform priors.
        """
        theta = np.atleast_2d(theta)
        cols = []
        for j, p in enumerate(self.parameters.values()):
            x, lo, hi = theta[:, j], p.low, p.high
            if p.log_scale:
                x, lo, hi = np.log(x), np.log(lo), np.log(hi)
            z = np.clip((x - lo) / (hi - lo), 1e-12, 1 - 1e-12)
            cols.append(np.log(z) - np.log1p(-z))
        return np.column_stack(cols)

    def from_unbounded(self, eta: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_unbounded`."""
        eta = np.atleast_2d(eta)
        cols = []
        for j, p in enumerate(self.parameters.values()):
            z = 1.0 / (1.0 + np.exp(-eta[:, j]))
            if p.log_scale:
                cols.append(np.exp(np.log(p.low) + z * (np.log(p.high) - np.log(p.low))))
            else:
                cols.append(p.low + z * (p.high - p.low))
        return np.column_stack(cols)

    def log_jacobian(self, eta: np.ndarray) -> np.ndarray:
        """Log |d theta / d eta| at rows of ``eta``: turns a density in theta into one in eta."""
        eta = np.atleast_2d(eta)
        total = np.zeros(len(eta))
        for j, p in enumerate(self.parameters.values()):
            e = eta[:, j]
            log_dz = -np.logaddexp(0.0, -e) - np.logaddexp(0.0, e)  # z(1-z)
            if p.log_scale:
                width = np.log(p.high) - np.log(p.low)
                z = 1.0 / (1.0 + np.exp(-e))
                log_x = np.log(p.low) + z * width
                total += log_dz + np.log(width) + log_x
            else:
                total += log_dz + np.log(p.high - p.low)
        return total


def validate_priors(data: dict, origin: str = "<priors>") -> PriorSet:
    """Validate a mapping as a :class:`PriorSet`.

    Raises:
        CalibrationError: naming each bad parameter, its value and what is allowed.
    """
    return validated(PriorSet, data, origin, "priors")  # type: ignore[return-value]


def load_priors(path: str | os.PathLike[str]) -> PriorSet:
    """Read and validate a priors YAML file (``configs/priors/*.yaml``)."""
    return validate_priors(read_yaml(path), origin=str(path))
