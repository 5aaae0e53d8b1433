"""The experiment engine: a spec (data) becomes design points, seeded runs and a results folder.

* ``spec``: the experiment declared as data and validated (docs/results-format.md);
* ``design``: its points, each run's seed and each point's config;
* ``posterior``: a calibration's posterior, one particle per replicate (a spec's ``posterior``);
* ``execution``: runs on any ``concurrent.futures.Executor``, results to a sink as they arrive
  (a results folder, or memory: ``run_arm``);
* ``storage``: atomic Parquet parts and the manifest of a results folder.

Exports load on first use, so the command line imports PyArrow and SciPy only for commands that
need them.
"""

from simulation.lazy import lazy_exports

_EXPORTS = {
    **dict.fromkeys(
        ("ConfigBuilder", "Design", "Point", "RunKey", "config_hash", "expand", "iter_runs",
         "run_id", "run_seed"),
        "experiments.engine.design",
    ),
    **dict.fromkeys(
        ("MemorySink", "RunSettings", "RunTask", "SerialExecutor", "SweepPlan", "SweepReport",
         "plan_sweep", "run_arm", "run_sweep", "simulate_run"),
        "experiments.engine.execution",
    ),
    **dict.fromkeys(("Spec", "load_spec", "parse_spec"), "experiments.engine.spec"),
    **dict.fromkeys(
        ("PartWriter", "atomic_file", "read_manifest", "results_lock", "write_json_atomic",
         "write_parquet_atomic"),
        "experiments.engine.storage",
    ),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
