"""Features for large runs: snapshots on request, phase timing, a time estimate, a progress bar."""

from __future__ import annotations

import pandas as pd

from experiments.cli import main
from experiments.cli.run import estimate_run_seconds
from simulation import CadreModel, load_config
from simulation.timing import PHASES, PhaseClock

SMALL = {"organisation.n_cadres": 300}


def test_snapshots_are_kept_only_at_the_chosen_steps_and_do_not_change_the_run():
    config = load_config(None, SMALL)
    plain = CadreModel(config, seed=3).run(6)
    model = CadreModel(config, seed=3, snapshot_steps=[2, 5])
    table = model.run(6)
    pd.testing.assert_frame_equal(plain, table)
    assert sorted(model.snapshots) == [2, 5]
    long = model.snapshots_table()
    assert list(long.groupby("step").size()) == [300, 300]
    # A snapshot is a copy: the state it recorded differs from the final state.
    assert not long.loc[long["step"] == 2, "age"].reset_index(drop=True).equals(
        model.snapshot()["age"].reset_index(drop=True)
    )


def test_without_snapshots_a_step_records_the_same_amount_whatever_the_size():
    sizes = []
    for n in (100, 2000):
        model = CadreModel(load_config(None, {"organisation.n_cadres": n}), seed=1)
        model.run(3)
        sizes.append((model.results_table().shape, len(model.snapshots)))
    assert sizes[0] == sizes[1]


def test_phase_clock_charges_every_phase():
    model = CadreModel(load_config(None, SMALL), seed=1)
    model.phase_clock = PhaseClock()
    model.run(3)
    assert set(model.phase_clock.totals) == set(PHASES)
    assert all(seconds > 0 for seconds in model.phase_clock.totals.values())


def test_estimate_is_positive_and_grows_with_steps_and_size():
    small = load_config(None, {"organisation.n_cadres": 1000})
    large = load_config(None, {"organisation.n_cadres": 100_000})
    one = estimate_run_seconds(small, 10, sample_cadres=500)
    assert one > 0
    assert estimate_run_seconds(small, 1000, sample_cadres=500) > one
    assert estimate_run_seconds(large, 10, sample_cadres=500) > one


def test_cli_writes_snapshots_and_checks_their_flags(tmp_path, capsys):
    target = tmp_path / "snap.parquet"
    args = ["run", "default", "--steps", "4", "--set", "organisation.n_cadres=200"]
    assert main([*args, "--snapshot-at", "1,4", "--snapshot-out", str(target)]) == 0
    snapshots = pd.read_parquet(target)
    assert sorted(snapshots["step"].unique()) == [1, 4]
    assert len(snapshots) == 400
    capsys.readouterr()
    assert main([*args, "--snapshot-at", "9", "--snapshot-out", str(target)]) == 2
    assert "--snapshot-at" in capsys.readouterr().err
    assert main([*args, "--snapshot-at", "2"]) == 2
    assert "go together" in capsys.readouterr().err


def test_cli_estimates_long_runs_on_stderr(capsys, monkeypatch):
    import experiments.cli.run as cli

    monkeypatch.setattr(cli, "ESTIMATE_FROM", 1000)
    monkeypatch.setattr(cli, "LONG_RUN", 0.0)
    assert main(["run", "default", "--steps", "5", "--set", "organisation.n_cadres=300"]) == 0
    assert "about" in capsys.readouterr().err
    assert main(["run", "default", "--steps", "5", "--quiet",
                 "--set", "organisation.n_cadres=300"]) == 0
    assert capsys.readouterr().err == ""
