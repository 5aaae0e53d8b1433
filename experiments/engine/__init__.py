"""The experiment engine: a spec (data) becomes design points, seeded runs and a results folder.

* ``spec``: the experiment declared as data and validated (docs/results-format.md);
* ``design``: its points, each run's seed and each point's config;
* ``posterior``: a calibration's posterior, one particle per replicate (a spec's ``posterior``);
* ``execution``: runs on any ``concurrent.futures.Executor``, results to a sink as they arrive
  (a results folder, or memory: ``run_arm``);
* ``storage``: atomic Parquet parts and the manifest of a results folder.
"""

from experiments.engine.design import (
    ConfigBuilder,
    Design,
    Point,
    RunKey,
    config_hash,
    expand,
    iter_runs,
    run_id,
    run_seed,
)
from experiments.engine.execution import (
    MemorySink,
    RunSettings,
    RunTask,
    SerialExecutor,
    SweepPlan,
    SweepReport,
    plan_sweep,
    run_arm,
    run_sweep,
    simulate_run,
)
from experiments.engine.spec import Spec, load_spec, parse_spec
from experiments.engine.storage import (
    PartWriter,
    atomic_file,
    read_manifest,
    results_lock,
    write_json_atomic,
    write_parquet_atomic,
)

__all__ = [
    "ConfigBuilder",
    "Design",
    "MemorySink",
    "PartWriter",
    "Point",
    "RunKey",
    "RunSettings",
    "RunTask",
    "SerialExecutor",
    "Spec",
    "SweepPlan",
    "SweepReport",
    "atomic_file",
    "config_hash",
    "expand",
    "iter_runs",
    "load_spec",
    "parse_spec",
    "plan_sweep",
    "read_manifest",
    "results_lock",
    "run_arm",
    "run_id",
    "run_seed",
    "run_sweep",
    "simulate_run",
    "write_json_atomic",
    "write_parquet_atomic",
]
