"""A full disk, a read-only folder or a forbidden one under a sweep or a calibration.

Each write of a results folder goes through ``storage.atomic_file``; here the k-th such write
fails as the machine would make it fail (its bytes written, then the error), for every k of
interest. The command ends with the clean exit-2 message naming the file and what to do, leaves
nothing half-written, and, once the cause is removed, the same command completes with exactly
the results of an uninterrupted run. (The tests run as root, for whom a folder's mode stops no
write: faults are injected.)
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import experiments.calibration.store as store
import experiments.engine.storage as storage
from experiments.calibration.errors import CalibrationError
from experiments.cli import main
from experiments.engine.executors import SerialExecutor
from tests.helpers import tiny_spec

#: Each fault, with words of the advice its message gives.
FAULTS = {
    errno.ENOSPC: "free some space",
    errno.EROFS: "read-only filesystem",
    errno.EACCES: "change the folder's permissions",
}


def cli(argv: list[str]) -> int:
    """``cadresim ARGV`` in this process; argparse's exit is an exit code too."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


class FailingWrites:
    """Makes the k-th atomic write fail with ``number``, after its bytes were written.

    Counts every atomic write, and keeps their paths (``written``) to choose k from.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, k: int = 0,
                 number: int = errno.ENOSPC) -> None:
        self.k, self.number, self.written = k, number, []
        real = storage.atomic_file

        @contextlib.contextmanager
        def atomic_file(path: str | os.PathLike[str]) -> Iterator[Path]:
            self.written.append(Path(path))
            with real(path) as tmp:
                yield tmp
                if len(self.written) == self.k:
                    raise OSError(self.number, os.strerror(self.number), str(tmp))

        monkeypatch.setattr(storage, "atomic_file", atomic_file)
        monkeypatch.setattr(store, "atomic_file", atomic_file)


def leftovers(folder: Path) -> list[Path]:
    """What an interrupted write may leave: temporary files, staging folders, orphan parts."""
    found = [p for p in folder.rglob("*") if p.name.endswith(".tmp") or ".staging" in p.name]
    runs = {p.name for p in storage.part_files(folder, storage.RUNS)}
    found += [p for p in storage.part_files(folder, storage.SERIES) if p.name not in runs]
    return found


def results(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A results folder's runs (without their timings) and series, in a fixed order."""
    runs = pd.read_parquet(folder / "runs").drop(columns="seconds")
    series = pd.read_parquet(folder / "series")
    return (runs.sort_values("run_id", ignore_index=True),
            series.sort_values(["run_id", "metric", "step"], ignore_index=True))


SWEEP = ["--in-process", "--quiet", "--chunk-size", "2"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tiny sweep (12 runs: 6 parts of runs, 6 of series, 2 manifests) run without a fault."""
    folder = tmp_path_factory.mktemp("whole")
    assert cli(["sweep", tiny_spec(folder, replications=2), *SWEEP]) == 0
    return results(folder / "tiny")


@pytest.mark.sweep
@pytest.mark.parametrize("k, number", [
    (1, errno.ENOSPC),  # the first manifest
    (2, errno.ENOSPC),  # the first series part
    (3, errno.ENOSPC),  # the first runs part: its series twin must go too
    (8, errno.ENOSPC),
    (14, errno.ENOSPC),  # the final manifest, every run done
    (5, errno.EROFS),
    (6, errno.EACCES),
])
def test_a_sweep_whose_kth_write_fails_stops_cleanly_and_resumes_exactly(
    tmp_path, capsys, monkeypatch, uninterrupted, k, number
):
    spec = tiny_spec(tmp_path, replications=2)
    folder = tmp_path / "tiny"
    faults = FailingWrites(monkeypatch, k, number)
    assert cli(["sweep", spec, *SWEEP]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cadresim: error: cannot write ") and "Traceback" not in err
    assert str(folder) in err and FAULTS[number] in err and "rerun the same command" in err
    assert faults.written[k - 1].parent in (folder, folder / "runs", folder / "series")
    assert not leftovers(folder)
    monkeypatch.undo()
    assert cli(["sweep", spec, *SWEEP]) == 0
    runs, series = results(folder)
    pd.testing.assert_frame_equal(runs, uninterrupted[0])
    pd.testing.assert_frame_equal(series, uninterrupted[1])


@pytest.mark.sweep
def test_a_sweep_on_a_pool_whose_disk_fills_stops_cleanly_and_resumes_exactly(
    tmp_path, capsys, monkeypatch, uninterrupted
):
    spec = tiny_spec(tmp_path, replications=2)
    FailingWrites(monkeypatch, 4)
    assert cli(["sweep", spec, "--workers", "2", "--quiet", "--chunk-size", "2"]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert not leftovers(tmp_path / "tiny")
    monkeypatch.undo()
    assert cli(["sweep", spec, *SWEEP]) == 0
    runs, series = results(tmp_path / "tiny")
    pd.testing.assert_frame_equal(runs, uninterrupted[0])
    pd.testing.assert_frame_equal(series, uninterrupted[1])


@pytest.mark.parametrize("number", sorted(FAULTS))
def test_a_lock_that_cannot_be_written_is_a_clean_error_and_nothing_is_written(
    tmp_path, capsys, monkeypatch, number
):
    spec = tiny_spec(tmp_path, replications=2)
    real_open = open

    def refusing_open(file, *args, **kwargs):
        if Path(file).name == storage.LOCK:
            raise OSError(number, os.strerror(number), str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(storage, "open", refusing_open, raising=False)
    assert cli(["sweep", spec, *SWEEP]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "tiny" / ".lock") in err and FAULTS[number] in err
    assert not (tmp_path / "tiny" / "manifest.json").exists()


@pytest.mark.sweep
@pytest.mark.parametrize("number", [errno.EROFS, errno.EACCES])
def test_fresh_on_a_folder_that_cannot_be_changed_is_a_clean_error_and_keeps_it(
    tmp_path, capsys, monkeypatch, uninterrupted, number
):
    spec = tiny_spec(tmp_path, replications=2)
    folder = tmp_path / "tiny"
    assert cli(["sweep", spec, *SWEEP]) == 0

    def refusing_rmtree(path, *args, **kwargs):
        raise OSError(number, os.strerror(number), str(path))

    monkeypatch.setattr(storage.shutil, "rmtree", refusing_rmtree)
    assert cli(["sweep", spec, *SWEEP, "--fresh"]) == 2
    err = capsys.readouterr().err
    assert str(folder) in err and FAULTS[number] in err and "Traceback" not in err
    monkeypatch.undo()
    pd.testing.assert_frame_equal(results(folder)[0], uninterrupted[0])  # kept whole
    assert cli(["sweep", spec, *SWEEP, "--fresh"]) == 0
    pd.testing.assert_frame_equal(results(folder)[0], uninterrupted[0])


# --------------------------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------------------------


def tiny_fit(out: Path):
    """The tiny calibration of test_calibration_fit (2 generations of 8 particles), in process."""
    from experiments.calibration.fit import Budget, calibrate
    from experiments.calibration.priors import validate_priors
    from experiments.calibration.targets import validate_targets

    source = {"authors": "synthetic", "venue": "test", "year": 2026, "firmness": "known"}
    targets = validate_targets({
        "name": "synthetic", "simulation": {"n_cadres": 40, "steps": 6, "burn_in": 2},
        "targets": [{"name": "motivation", "figure": "simulated", "value": 0.6,
                     "statistic": "mean_motivation", "mapping_sd": 0.02,
                     "looseness": "run-to-run noise", "source": source}],
    })
    priors = validate_priors({"name": "one", "parameters": {
        "population.motivation_mean": {"distribution": "uniform", "low": 0.3, "high": 0.9,
                                       "why": "drive's driver"}}})
    return calibrate(targets, priors, out, Budget(population_size=8, generations=2, ppc_draws=3),
                     seed=5, executor=SerialExecutor(), progress=False, plots=False)


@pytest.fixture(scope="module")
def whole_fit(tmp_path_factory: pytest.TempPathFactory):
    """The tiny calibration without a fault, and the paths it wrote in order."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        writes = FailingWrites(monkeypatch)
        result = tiny_fit(tmp_path_factory.mktemp("fit") / "whole")
    return result, writes.written


@pytest.mark.slow  # three tiny fits
@pytest.mark.parametrize("which", ["evaluations", "ppc", "report.md"])
def test_a_calibration_whose_write_fails_stops_cleanly_and_resumes_exactly(
    tmp_path, monkeypatch, whole_fit, which
):
    from experiments.cli.faults import fault_message

    whole, written = whole_fit
    k = 1 + next(i for i, path in enumerate(written) if which in str(path))
    FailingWrites(monkeypatch, k)
    out = tmp_path / "fit"
    with pytest.raises(OSError) as raised:
        tiny_fit(out)
    message = fault_message(raised.value)
    assert message is not None and str(out) in message and "free some space" in message
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    monkeypatch.undo()
    resumed = tiny_fit(out)
    pd.testing.assert_frame_equal(resumed.posterior, whole.posterior)
    pd.testing.assert_frame_equal(resumed.ppc, whole.ppc)
    assert (out / "report.md").read_text() == (whole.out / "report.md").read_text()


@pytest.mark.parametrize("damage, named", [
    (lambda path: path.write_bytes(b"\xff\xfe{not json"), "not UTF-8"),
    (lambda path: path.write_text("[1, 2]"), "JSON object"),
    (lambda path: path.write_text("{"), "cannot be read as JSON"),
    (lambda path: (path.unlink(), os.mkfifo(path)), "FIFO"),
])
def test_a_damaged_calibration_manifest_is_a_clean_error(tmp_path, damage, named):
    from experiments.calibration.fit import _check_folder

    (tmp_path / "manifest.json").write_text("{}")
    damage(tmp_path / "manifest.json")
    with pytest.raises(CalibrationError, match=named) as raised:
        _check_folder(tmp_path, "key")
    assert "manifest.json" in str(raised.value)


def test_a_damaged_calibration_part_is_a_clean_error_naming_it(tmp_path):
    pd.DataFrame({"item": [0]}).to_parquet(tmp_path / "ppc-00000000.parquet")
    (tmp_path / "ppc-00000001.parquet").write_bytes(b"PAR1 cut short")
    with pytest.raises(CalibrationError) as raised:
        store.read_parts(tmp_path, "ppc")
    assert "ppc-00000001.parquet': cannot be read" in str(raised.value)
    assert "delete it and rerun" in str(raised.value)


def test_a_history_database_on_a_full_disk_is_the_clean_error_and_is_kept(tmp_path):
    from experiments.calibration.fit import _open_history

    db = tmp_path / "abc.db"
    db.write_bytes(b"a history")

    class FullDisk:
        def load(self, url, run):
            raise RuntimeError("(sqlite3.OperationalError) database or disk is full")

    with pytest.raises(OSError) as raised:
        _open_history(FullDisk(), db, {})
    assert raised.value.errno == errno.ENOSPC and raised.value.filename == str(db)
    assert db.read_bytes() == b"a history"
