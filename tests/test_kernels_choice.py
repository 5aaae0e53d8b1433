"""Which backend runs the hot path: the switch, its errors and the rule for a lone small run."""

from __future__ import annotations

import pytest

from experiments.cli import main
from simulation import kernels


@pytest.fixture
def unchosen(monkeypatch):
    """A process in which no backend has been chosen yet, and CADRESIM_KERNELS is unset."""
    monkeypatch.setattr(kernels, "_chosen", None)
    monkeypatch.delenv(kernels.ENVIRONMENT, raising=False)


def test_the_default_backend_is_numba(unchosen):
    assert kernels.backend() == "numba" and kernels.compiled()


def test_a_small_lone_run_takes_the_numpy_path(unchosen):
    assert kernels.prefer_for_one_run(kernels.WORTH_COMPILING - 1) == "numpy"


def test_a_large_lone_run_takes_the_kernels(unchosen):
    assert kernels.prefer_for_one_run(kernels.WORTH_COMPILING) == "numba"


def test_an_explicit_choice_wins_over_the_rule(unchosen, monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT, "numba")
    assert kernels.prefer_for_one_run(10) == "numba"
    monkeypatch.setattr(kernels, "_chosen", None)
    monkeypatch.delenv(kernels.ENVIRONMENT)
    kernels.use("numba")
    assert kernels.prefer_for_one_run(10) == "numba"


def test_a_bad_environment_value_names_the_variable_and_the_choices(unchosen, monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT, "fortran")
    with pytest.raises(ValueError, match="CADRESIM_KERNELS: got 'fortran'; allowed: numba, numpy"):
        kernels.backend()


def test_using_restores_the_backend_after_the_block(unchosen):
    kernels.use("numba")
    with kernels.using("numpy"):
        assert not kernels.compiled()
    assert kernels.compiled()


def test_cadresim_run_of_a_small_config_steps_on_the_numpy_path(unchosen, capsys):
    assert main(["run", "default", "--steps", "3", "--set", "organisation.n_cadres=100"]) == 0
    assert kernels.backend() == "numpy"
