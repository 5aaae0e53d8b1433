"""A page's run as files: its table (CSV, Parquet), config (YAML) and ``cadresim run`` line.

The command names the preset, the run's seed and length, and one ``--set`` per config field that
differs from the preset's value, so loading it with the project's loader gives the page's config.
"""

from __future__ import annotations

import functools
import io
import shlex
from typing import Any

import pandas as pd
import yaml

from simulation.config import ModelConfig, config_value
from simulation.loading import known_paths, load_config
from simulation.viz.presets import DEFAULT_PRESET

#: Fields the command gives as flags (``--seed``, ``--steps``), not as ``--set``.
FLAGS: dict[str, str] = {"seed": "--seed", "steps": "--steps"}


@functools.lru_cache(maxsize=32)
def preset_config(preset: str) -> ModelConfig:
    """The preset's own config (the built-in defaults for 'default'; read once, not changed)."""
    return load_config(None if preset == DEFAULT_PRESET else preset)


def overrides(preset: str, config: ModelConfig) -> dict[str, Any]:
    """Every config field (seed and steps aside) whose value differs from the preset's."""
    base = preset_config(preset)
    return {path: config_value(config, path) for path in known_paths()
            if path not in FLAGS and not path.startswith("switch.")
            and config_value(config, path) != config_value(base, path)}


def yaml_value(value: Any) -> str:
    """A value as YAML reads it back (``0.8``, ``3``, ``true``, ``'text'``), on one line."""
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).removesuffix("\n...\n") \
        .strip()


def run_command(preset: str, config: ModelConfig, out: str | None = None) -> str:
    """The ``cadresim run`` command line that runs ``config`` (a shell line, quoted as needed).

    ``out``: the Parquet file the command writes the per-step table to (none if omitted).
    """
    words = ["cadresim", "run", preset]
    for field, flag in FLAGS.items():
        words += [flag, str(config_value(config, field))]
    for path, value in overrides(preset, config).items():
        words += ["--set", f"{path}={yaml_value(value)}"]
    if out:
        words += ["--out", out]
    return shlex.join(words)


def config_yaml(preset: str, config: ModelConfig) -> str:
    """The config in full as YAML, headed by its command line (``cadresim run FILE.yaml``)."""
    data = config.model_dump(exclude_none=True)
    head = (f"# CadreSim config: preset {preset}, as the page ran it.\n"
            f"# The same run from the command line:\n#   {run_command(preset, config)}\n")
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def table_csv(table: pd.DataFrame) -> bytes:
    """The per-step table as CSV (UTF-8, no index)."""
    return table.to_csv(index=False).encode()


def table_parquet(table: pd.DataFrame) -> bytes:
    """The per-step table as Parquet (what ``cadresim run --out`` writes)."""
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return buffer.getvalue()


def file_stem(preset: str, config: ModelConfig, year: int) -> str:
    """``cadresim_strict_accountability_seed1_year12``: names the downloaded files."""
    return f"cadresim_{preset}_seed{config.seed}_year{year}"
