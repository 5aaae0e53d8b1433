"""Results describe themselves: every Parquet file CadreSim writes carries, on each output column,
the registry's label, unit, scale, group and direction, and the manifest lists the same; pyarrow
reads it back, polars and DuckDB still read the tables, and older files still load."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from experiments.analysis.results import load_results
from experiments.cli import main
from experiments.engine.descriptions import read_descriptions
from experiments.engine.executors import SerialExecutor
from experiments.engine.spec import load_spec
from experiments.engine.storage import drop_runs, part_files
from experiments.engine.sweep import run_sweep
from simulation.outputs import OUTPUTS, OUTPUTS_VERSION
from tests.synthetic_results import write_results

KEPT = ["inaction", "afraid", "wrongful_sanctions", "real_output"]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """A 4-run sweep keeping a share, a cause, an event rate and output, with series."""
    folder = tmp_path_factory.mktemp("described")
    spec = {"name": "described", "steps": 4, "burn_in": 1, "replications": 2,
            "regimes": ["seniority_baseline", "jilin_three_ups_downs"],
            "set": {"organisation.n_cadres": 60}, "metrics": KEPT,
            "series": ["inaction", "wrongful_sanctions"], "output": str(folder / "out")}
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    run_sweep(load_spec(path), SerialExecutor())
    return folder / "out"


def _field(schema, name: str) -> dict[str, str]:
    metadata = schema.field(name).metadata or {}
    return {k.decode(): v.decode() for k, v in metadata.items()}


def test_runs_parts_describe_every_metric_column_from_the_registry(sweep):
    schema = pq.read_schema(part_files(sweep, "runs")[0])
    # The derived outputs (final_inaction, afraid_share) are stored and described too.
    described = [f.name for f in schema if f.metadata and b"label" in f.metadata]
    assert described == [*KEPT, "final_inaction", "afraid_share"]
    rate = _field(schema, "wrongful_sanctions")
    assert rate["label"] == "Wrongful sanctions"
    assert (rate["unit"], rate["scale"], rate["shown_unit"]) == (
        "share", "1000", "per 1 000 cadres a year")
    assert (rate["group"], rate["better"], rate["reduce"]) == ("review", "lower", "mean")
    assert rate["outputs_version"] == str(OUTPUTS_VERSION)
    share = _field(schema, "afraid_share")
    assert (share["reduce"], share["of"], share["per"]) == ("ratio", "afraid", "inaction")
    assert _field(schema, "real_output")["better"] == "higher"
    assert _field(schema, "run_id") == {}  # bookkeeping columns are not outputs
    meta = schema.metadata
    assert meta[b"cadresim.outputs_version"] == str(OUTPUTS_VERSION).encode()
    assert meta[b"cadresim.version"] and meta[b"cadresim.table"] == b"runs"
    assert b"cadresim.spec_hash" in meta  # the resume machinery's key is kept
    assert read_descriptions(schema)["inaction"]["label"] == OUTPUTS["inaction"].label


def test_series_parts_and_the_manifest_carry_the_same_descriptions(sweep):
    schema = pq.read_schema(part_files(sweep, "series")[0])
    assert set(read_descriptions(schema)) == {"inaction", "wrongful_sanctions"}
    assert b"metric" in _field(schema, "value")["meaning"].encode()
    assert schema.metadata[b"cadresim.table"] == b"series"
    manifest = json.loads((sweep / "manifest.json").read_text(encoding="utf-8"))
    runs = read_descriptions(pq.read_schema(part_files(sweep, "runs")[0]))
    assert manifest["outputs"] == runs
    assert list(manifest["outputs"]) == [*KEPT, "final_inaction", "afraid_share"]
    assert manifest["outputs"]["inaction"]["scale"] == 1.0


def test_run_out_table_describes_its_per_step_columns(tmp_path):
    out = tmp_path / "run.parquet"
    assert main(["run", "seniority_baseline", "--steps", "2", "--set",
                 "organisation.n_cadres=40", "--out", str(out), "--quiet"]) == 0
    schema = pq.read_schema(out)
    assert schema.metadata[b"cadresim.table"] == b"per_step"
    described = {f.name for f in schema if f.metadata and b"label" in f.metadata}
    assert described == {n for n in schema.names if n in OUTPUTS}
    assert described >= {"inaction", "bold", "sanctions"}
    assert _field(schema, "sanctions")["shown_unit"] == "per 1 000 cadres a year"


def test_polars_and_duckdb_read_the_described_tables(sweep):
    polars = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    runs = polars.read_parquet(sweep / "runs" / "*.parquet")
    assert runs.height == 4 and set(KEPT) <= set(runs.columns)
    pattern = str(sweep / "runs" / "*.parquet")
    assert duckdb.sql(f"select count(*) from read_parquet('{pattern}')").fetchall() == [(4,)]
    # DuckDB gives the file's key-value metadata as bytes.
    found = duckdb.sql(f"select decode(value) from parquet_kv_metadata('{pattern}') "
                       "where decode(key) = 'cadresim.outputs'").fetchall()
    assert found and json.loads(found[0][0])["inaction"]["better"] == "lower"
    if hasattr(polars, "read_parquet_metadata"):  # polars >= 1.x
        first = part_files(sweep, "runs")[0]
        outputs = json.loads(polars.read_parquet_metadata(first)["cadresim.outputs"])
        assert outputs["wrongful_sanctions"]["shown_unit"] == "per 1 000 cadres a year"


def test_a_folder_written_without_metadata_still_loads(tmp_path):
    folder = write_results(tmp_path / "old", [{"regime": "a"}, {"regime": "b"}],
                           lambda p, params, r, rng: {"inaction": 0.1 + 0.01 * p}, 3)
    assert pq.read_schema(part_files(folder, "runs")[0]).field("inaction").metadata is None
    results = load_results(folder)
    assert len(results.runs) == 6


def test_the_results_format_documents_every_output_column_as_the_registry_says():
    from scripts.gen_docs import output_table

    text = (Path(__file__).parent.parent / "docs" / "results-format.md").read_text("utf-8")
    assert output_table() in text  # `python -m scripts.gen_docs --check` guards it too
    rows = [line for line in output_table().splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(OUTPUTS)
    rate = next(row for row in rows if row.startswith("| `wrongful_sanctions`"))
    assert "| 1000 (per 1 000 cadres a year) | review | lower |" in rate


def test_a_folder_mixing_parts_with_and_without_descriptions_loads_and_resumes(sweep, tmp_path):
    import shutil

    import pyarrow as pa

    folder = tmp_path / "out"
    shutil.copytree(sweep, folder)
    first = part_files(folder, "runs")[0]
    table = pq.read_table(first)
    bare = pa.schema([f.remove_metadata() for f in table.schema],
                     metadata={b"cadresim.spec_hash": table.schema.metadata[b"cadresim.spec_hash"]})
    pq.write_table(pa.Table.from_arrays(table.columns, schema=bare), first)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["outputs"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert len(load_results(folder).runs) == 4
    last = part_files(folder, "runs")[-1]  # its run is dropped, as a failed run's row is
    drop_runs(folder, {pq.read_table(last).column("run_id")[0].as_py(): last.name})
    spec = yaml.safe_load((sweep.parent / "spec.yaml").read_text(encoding="utf-8"))
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump({**spec, "output": str(folder)}), "utf-8")
    run_sweep(load_spec(path), SerialExecutor())  # resumes: the run again, in a new part
    parts = part_files(folder, "runs")
    assert pq.read_schema(parts[0]).field("inaction").metadata is None
    assert parts[-1].name.startswith("part-0002-")  # the second session's
    assert read_descriptions(pq.read_schema(parts[-1]))["inaction"]["group"] == "headline"
    assert len(load_results(folder).runs) == 4
    assert json.loads((folder / "manifest.json").read_text("utf-8"))["outputs"]
