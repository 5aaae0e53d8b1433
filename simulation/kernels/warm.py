"""Importing this module readies every kernel: compiled, or loaded from Numba's cache.

A sweep's forkserver preloads it, so each worker forks with the kernels in memory and its first
run is timed (``run_timeout``) without Numba's start-up (about 0.3 s per process, 10-15 s on a
clean clone whose cache is empty). With ``CADRESIM_KERNELS=numpy`` it does nothing.
"""

from __future__ import annotations

from simulation import kernels


def warm_up() -> None:
    """Run a tiny model for a few years, which calls every kernel once.

    With a fast-track band, whose kernel a regime without one never calls.
    """
    if not kernels.compiled():
        return
    from simulation.loading import load_config
    from simulation.model import CadreModel

    config = load_config(None, {"organisation.n_cadres": 60,
                                "regime.promotion.fast_track_share": 0.1})
    CadreModel(config, seed=1).run(3)


warm_up()
