"""What each stored output column means, written into the tables and the manifest themselves.

Every Parquet file CadreSim writes (a sweep's runs and series parts, ``cadresim run --out``)
carries, on each output column, the output's label, unit, scale, shown unit, group, direction
(``better``), how a run reduces it and the outputs' definition version, all read from the
output registry (``simulation.outputs``), so a new output is described without a line here.
The schema carries CadreSim's version, the outputs' version, what kind of table it is and the
same descriptions as JSON (``cadresim.outputs``: the file-level key-value metadata that polars
and DuckDB read, which do not show Arrow field metadata). A sweep's manifest lists the same
descriptions under ``outputs``. Readers never need any of it: older files load as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import pyarrow as pa

from simulation.outputs import OUTPUTS, OUTPUTS_VERSION, canonical

#: Schema metadata keys (bytes, as Arrow stores them).
VERSION_KEY = b"cadresim.version"
OUTPUTS_VERSION_KEY = b"cadresim.outputs_version"
TABLE_KEY = b"cadresim.table"
OUTPUTS_KEY = b"cadresim.outputs"
#: The field metadata every output column carries, in this order.
FIELD_KEYS: tuple[str, ...] = (
    "label", "short", "unit", "scale", "shown_unit", "group", "better", "reduce", "of", "per",
    "policy", "outputs_version",
)
#: How a run reduces an output, in words (``Output.reduce``; docs/results-format.md).
REDUCTIONS: dict[str, str] = {
    "mean": "mean over the steps after the burn-in",
    "final": "value in the final step",
    "ratio": "mean of `of` over the mean of `per`, both after the burn-in",
}
#: What the ``value`` column of a series part holds (its metrics are described in the schema).
SERIES_VALUE = "value of the output named in `metric` in that step (see cadresim.outputs)"


@cache
def cadresim_version() -> str:
    """The installed CadreSim version (``unknown`` when running from an uninstalled tree)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cadresim")
    except PackageNotFoundError:  # pragma: no cover - an uninstalled tree
        return "unknown"


def describe_output(name: str) -> dict[str, Any]:
    """An output's description from the registry (JSON values): what every copy of it says."""
    out = OUTPUTS[canonical(name)]
    return {
        "label": out.label, "short": out.short, "unit": out.unit, "scale": out.scale,
        "shown_unit": out.shown_unit, "group": out.group, "better": out.better,
        "reduce": out.reduce, "of": out.of, "per": out.per, "policy": out.policy,
        "outputs_version": OUTPUTS_VERSION,
    }


def describe_outputs(names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The description of each named output that the registry knows (others left out)."""
    return {name: describe_output(name) for name in names if canonical(name) in OUTPUTS}


def _text(value: Any) -> str:
    """A description value as field metadata text (numbers as written, booleans lower-case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return "" if value is None else str(value)


def field_metadata(name: str) -> dict[bytes, bytes]:
    """An output column's Arrow field metadata (the keys of ``FIELD_KEYS`` that have a value)."""
    described = describe_output(name)
    return {key.encode(): _text(described[key]).encode() for key in FIELD_KEYS
            if described[key] is not None}


def describe_schema(
    schema: pa.Schema, kind: str, outputs: Iterable[str] | None = None
) -> pa.Schema:
    """``schema`` with every output column described and CadreSim's versions in its metadata.

    Args:
        schema: the table's schema; its own metadata (the spec hash, pandas') is kept.
        kind: what the table is: ``runs`` (one row per run, reduced values), ``series`` (long
            per-step values), ``per_step`` (a run's per-step table) or another word.
        outputs: the outputs the table holds (default: its columns that are outputs); for a
            series part, the metrics of its ``metric`` column.
    """
    names = [f.name for f in schema] if outputs is None else list(outputs)
    described = describe_outputs(names)
    fields = []
    for f in schema:
        extra: Mapping[bytes, bytes] = {}
        if f.name in described and kind != "series":
            extra = field_metadata(f.name)
        elif kind == "series" and f.name == "value":
            extra = {b"meaning": SERIES_VALUE.encode(),
                     b"outputs_version": str(OUTPUTS_VERSION).encode()}
        fields.append(f.with_metadata({**(f.metadata or {}), **extra}) if extra else f)
    metadata = {
        **(schema.metadata or {}),
        VERSION_KEY: cadresim_version().encode(),
        OUTPUTS_VERSION_KEY: str(OUTPUTS_VERSION).encode(),
        TABLE_KEY: kind.encode(),
        OUTPUTS_KEY: json.dumps(described, sort_keys=True).encode(),
    }
    return pa.schema(fields, metadata=metadata)


def described_table(table: pa.Table, kind: str) -> pa.Table:
    """``table`` with its schema described (for a series table, by the metrics it holds)."""
    outputs = None
    if kind == "series" and "metric" in table.column_names:
        outputs = sorted(set(table.column("metric").to_pylist()))
    return pa.Table.from_arrays(table.columns, schema=describe_schema(table.schema, kind, outputs))


def read_descriptions(schema: pa.Schema) -> dict[str, dict[str, Any]]:
    """The output descriptions a file's schema carries (empty for a file written before)."""
    raw = (schema.metadata or {}).get(OUTPUTS_KEY)
    return json.loads(raw) if raw else {}
