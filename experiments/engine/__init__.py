"""The experiment engine: a spec (data) becomes design points, seeded runs and a results folder.

* ``spec``: the experiment declared as data and validated (docs/results-format.md);
* ``design``: its points, each run's seed and each point's config;
* ``posterior``: a calibration's posterior, one particle per replicate (a spec's ``posterior``);
* ``plan``: a sweep's points validated, its runs as tasks;
* ``run``: one run (and one chunk of runs), what a worker executes;
* ``executors``: this process, or a pool of warm worker processes;
* ``interrupts``: the user's Ctrl-C or SIGTERM to a sweep, told apart from a run's own
  KeyboardInterrupt (that run's failure);
* ``supervise``: runs fed to any ``concurrent.futures.Executor``, workers that die or hang
  survived, results to a sink as they arrive;
* ``sweep``: a sweep into a results folder (``manifest``: its manifest);
* ``batch``: a batch of runs into memory (``run_arm``, ``run_batch``);
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
    **dict.fromkeys(("MemorySink", "run_arm", "run_batch"), "experiments.engine.batch"),
    **dict.fromkeys(("SerialExecutor", "local_pool", "parallelism"),
                    "experiments.engine.executors"),
    **dict.fromkeys(("SweepPlan", "plan_sweep"), "experiments.engine.plan"),
    **dict.fromkeys(("RunSettings", "RunTask", "run_one", "simulate_run"),
                    "experiments.engine.run"),
    **dict.fromkeys(("SweepReport", "run_sweep"), "experiments.engine.sweep"),
    **dict.fromkeys(("Spec", "load_spec", "parse_spec"), "experiments.engine.spec"),
    **dict.fromkeys(
        ("PartWriter", "atomic_file", "read_manifest", "results_lock", "write_json_atomic",
         "write_parquet_atomic"),
        "experiments.engine.storage",
    ),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
