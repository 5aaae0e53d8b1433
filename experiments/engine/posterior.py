"""Sweeps under a calibrated status quo: behavioural parameters drawn from a posterior.

A spec's ``posterior`` names a calibration folder (its ``posterior.parquet``, as written by
``cadresim calibrate``) or a Parquet file of particles: one column per parameter, named by its
dotted config path, an optional ``weight`` column (equal weights without it) and an optional
``generation`` column (ignored). Replicate ``r`` of every point runs with the parameter values of
one particle, drawn by weight from a seeded stream of its own (:func:`draw_particle`), so:

- replicate ``r`` of every regime and design point uses the same particle: regime comparisons
  stay paired, and their intervals across replicates carry the parameter uncertainty;
- the draw depends only on the spec's seed, the replicate and the weights: not on the design,
  the executor or the order of runs, and adding replicates leaves earlier draws alone.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.loading import ConfigError, path_kind, read_file_bytes, shown_path

#: The file a calibration folder holds its posterior in.
POSTERIOR_FILE = "posterior.parquet"
#: Largest posterior file read, in bytes (a calibration writes well under 1 MB).
MAX_POSTERIOR_BYTES = 256 * 2**20
WEIGHT = "weight"
#: Columns of a posterior file that are not parameters.
NOT_PARAMETERS = (WEIGHT, "generation")
#: Entropy tag of the particle stream, so that it never coincides with a run's seed stream
#: (``SeedSequence(seed, spawn_key=...)``, docs/results-format.md): "part" in ASCII.
PARTICLE_STREAM = 0x70617274
ALLOWED = (
    "a calibration folder holding posterior.parquet (cadresim calibrate --out) or a Parquet "
    "file with one column per parameter (dotted config paths) and an optional weight column"
)


@dataclass(frozen=True)
class Posterior:
    """A weighted sample of parameter vectors (particles), as read from a posterior file.

    Attributes:
        source: the path the spec gave.
        file: the Parquet file read.
        parameters: dotted config paths, in the file's column order.
        values: particles x parameters.
        weights: normalised weights, one per particle.
        sha256: digest of the file's bytes (recorded in the manifest).
    """

    source: str
    file: Path
    parameters: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray
    sha256: str

    @property
    def size(self) -> int:
        """How many particles the posterior holds."""
        return len(self.weights)

    def particle(self, seed: int, replicate: int) -> int:
        """The particle replicate ``replicate`` of a sweep with root seed ``seed`` runs with."""
        return draw_particle(self.weights, seed, replicate)

    def draw(self, particle: int) -> dict[str, float]:
        """The parameter values of one particle, by dotted path."""
        return dict(zip(self.parameters, self.values[particle].tolist(), strict=True))

    def manifest_entry(self, particles: list[int]) -> dict[str, object]:
        """What the manifest records: the file, its digest and the values of the particles used."""
        return {
            "path": self.source, "file": str(self.file), "sha256": self.sha256,
            "particles": self.size, "parameters": list(self.parameters),
            "drawn": {str(k): self.draw(k) for k in sorted(set(particles))},
        }


def draw_particle(weights: np.ndarray, seed: int, replicate: int) -> int:
    """Index of the particle drawn, by weight, for ``replicate`` of a sweep seeded ``seed``.

    One uniform from ``SeedSequence((seed, PARTICLE_STREAM), spawn_key=(replicate,))`` picked
    through the weights' cumulative sum: a particle of weight w is drawn with probability w
    (weights normalised), one of weight 0 never.
    """
    stream = np.random.SeedSequence((seed, PARTICLE_STREAM), spawn_key=(replicate,))
    u = np.random.default_rng(stream).random()
    cumulative = np.cumsum(weights)
    index = int(np.searchsorted(cumulative, u * cumulative[-1], side="right"))
    return min(index, len(weights) - 1)


def posterior_file(source: str) -> Path:
    """The Parquet file a spec's ``posterior`` names: the file, or a folder's posterior.parquet."""
    path = Path(source)
    if path_kind(path, "posterior:") == "dir":
        path = path / POSTERIOR_FILE
        if not path.is_file():
            raise ConfigError(f"posterior: got {shown_path(source)}, a folder without "
                              f"{POSTERIOR_FILE}; allowed: {ALLOWED}")
        return path
    if path_kind(path, "posterior:") is None:
        raise ConfigError(f"posterior: got {shown_path(source)}: no such file or folder (run "
                          f"`cadresim calibrate` first?); allowed: {ALLOWED}")
    return path


def load_posterior(source: str) -> Posterior:
    """Read and check a posterior: numeric parameter columns, finite values, usable weights.

    Raises:
        ConfigError: naming the field (``posterior``), the value and what is allowed.
    """
    file = posterior_file(source)
    data = read_file_bytes(file, what="posterior:", limit=MAX_POSTERIOR_BYTES)
    try:
        table = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises many kinds for a damaged or foreign file
        raise ConfigError(f"posterior: {shown_path(file)} cannot be read as Parquet "
                          f"({type(exc).__name__}); allowed: {ALLOWED}") from None
    where = f"posterior: {shown_path(file)}"
    parameters = tuple(str(c) for c in table.columns if c not in NOT_PARAMETERS)
    if len(table) == 0 or not parameters:
        raise ConfigError(f"{where} holds {len(table)} particles and {len(parameters)} "
                          f"parameter columns; allowed: {ALLOWED}, with at least one row")
    values = _numeric(table, parameters, where)
    weights = _weights(table, where)
    return Posterior(source, file, parameters, values, weights,
                     hashlib.sha256(data).hexdigest())


def _numeric(table: pd.DataFrame, parameters: tuple[str, ...], where: str) -> np.ndarray:
    """The parameter columns as a float array; a text column or a NaN is an error."""
    for name in parameters:
        column = table[name]
        if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            raise ConfigError(f"{where}, column {name!r}: got {column.dtype} values; allowed: "
                              "numbers")
        bad = ~np.isfinite(column.to_numpy(float))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            value = float(column.iloc[row])
            raise ConfigError(f"{where}, column {name!r}, row {row}: got {value!r}; allowed: a "
                              "finite number")
    return table[list(parameters)].to_numpy(float)


def _weights(table: pd.DataFrame, where: str) -> np.ndarray:
    """Normalised weights: the ``weight`` column (finite, >= 0, not all 0), else equal."""
    if WEIGHT not in table:
        return np.full(len(table), 1.0 / len(table))
    raw = table[WEIGHT]
    if not pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw):
        raise ConfigError(f"{where}, column 'weight': got {raw.dtype} values; allowed: numbers")
    weights = raw.to_numpy(float)
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ConfigError(f"{where}, column 'weight', row {row}: got {float(weights[row])!r}; "
                          "allowed: a finite number >= 0")
    total = math.fsum(weights)
    if total <= 0:
        raise ConfigError(f"{where}, column 'weight': all weights are 0; allowed: weights >= 0 "
                          "with a positive sum")
    return weights / total
