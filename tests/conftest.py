"""Shared fixtures for the CadreSim test suite.

Configs are built through the public loader (``simulation.load_config``) with dotted overrides,
so every test config passes the same validation a researcher's config does. Populations are
small (a few hundred cadres) to keep the whole suite fast.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from simulation import CadreModel, ModelConfig, load_config

#: Population size used unless a test asks for another.
SMALL_N = 300

# Markers: `make test-fast` leaves out all five, `make test` only `validation`.
#   slow       a test over ~2 s of CPU on an idle core: statistical checks, end-to-end figures,
#              fits, worker pools, subprocesses;
#   sweep      a sweep run end to end through its executor: kills, resumes, timeouts, damage;
#   browser    a real browser;  notebooks  runs the notebooks;  validation  make validate.
# Mark a test with @pytest.mark.<name>; a file whose every test is of one kind goes here instead.
FILE_MARKS = {
    "test_sweep.py": "sweep",
    "test_fuzz_reliability.py": "sweep",
    "test_adaptive.py": "sweep",
    "test_app_browser.py": "browser",
    "test_notebooks.py": "notebooks",
    # Every test renders whole publication figures to measure their text (1-4 s each).
    "test_figure_layout.py": "slow",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Give every test of a file in ``FILE_MARKS`` that file's marker."""
    for item in items:
        mark = FILE_MARKS.get(item.path.name)
        if mark:
            item.add_marker(mark)


def small_config(
    overrides: Mapping[str, Any] | None = None, n_cadres: int = SMALL_N
) -> ModelConfig:
    """Default config with ``n_cadres`` cadres and the given dotted overrides applied."""
    return load_config(overrides={"organisation.n_cadres": n_cadres, **(overrides or {})})


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the Numba kernels once, in the main process, before any worker starts.

    On a clean clone the kernels' cache is empty and compiling them takes 10-15 s of CPU. Done
    here, every pytest-xdist worker and every sweep worker a test starts loads them from the
    cache instead, so the first run of a test does not spend its ``run_timeout`` compiling.
    """
    if not hasattr(session.config, "workerinput"):
        import simulation.kernels.warm  # noqa: F401 - importing it readies the kernels


@pytest.fixture(scope="session", autouse=True)
def temporary_folder_of_the_session(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """The system temporary folder, for this session: a folder under pytest's own.

    Whatever the code under test puts in the temporary folder (run boards, a forkserver's
    socket, Dask's scratch space), in this process or in the sweeps and kernels it starts, stays
    under pytest's temporary folders rather than littering the machine's.
    """
    folder = str(tmp_path_factory.mktemp("tmp"))
    saved = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"], tempfile.tempdir = folder, folder
    yield folder
    if saved[0] is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = saved[0]
    tempfile.tempdir = saved[1]


@pytest.fixture(scope="module", autouse=True)
def backend_chosen_in_a_module_stays_there() -> Iterator[None]:
    """A backend a module's fixture chooses is forgotten after the module.

    A module-scoped fixture runs before the per-test guard below takes its note (the app's
    stepped model picks the NumPy path for its small run, ``app.choose_kernels``), so without
    this the modules after it on the same pytest worker would run on that path too.
    """
    from simulation import kernels

    before = kernels._chosen
    yield
    kernels._chosen = before


@pytest.fixture(autouse=True)
def backend_chosen_in_a_test_stays_there() -> Iterator[None]:
    """A backend a test chooses is forgotten after it.

    ``kernels.use``, or ``cadresim run`` picking the NumPy path for a small run
    (``kernels.prefer_for_one_run``), sets the backend for the whole process; without this, the
    next tests on the same pytest worker would run on it too, depending on the order.
    """
    from simulation import kernels

    before = kernels._chosen
    yield
    kernels._chosen = before


@pytest.fixture
def make_config() -> Callable[..., ModelConfig]:
    """Factory: ``make_config({"regime.fault_tolerance.tolerance": 0.8}, n_cadres=500)``."""
    return small_config


@pytest.fixture
def make_model() -> Callable[..., CadreModel]:
    """Factory: ``make_model(overrides, seed=1, n_cadres=300)`` -> a fresh CadreModel."""

    def factory(
        overrides: Mapping[str, Any] | None = None, seed: int = 1, n_cadres: int = SMALL_N
    ) -> CadreModel:
        return CadreModel(small_config(overrides, n_cadres), seed=seed)

    return factory
