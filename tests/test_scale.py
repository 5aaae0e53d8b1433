"""Features for large runs: snapshots on request, phase timing, a time estimate, a progress bar."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import experiments.cli.run as cli
from experiments.cli import main
from experiments.cli.run import estimate_run_seconds
from simulation import CadreModel, load_config
from simulation.timing import PHASES, PhaseClock

SMALL = {"organisation.n_cadres": 300}
ROOT = Path(__file__).resolve().parents[1]


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


RUN = ["run", "default", "--set", "organisation.n_cadres=300"]


@pytest.fixture
def progress_asked(monkeypatch):
    """What ``cadresim run`` asked of ``CadreModel.run``: a progress bar or not, per run."""
    asked = []
    original = CadreModel.run

    def run(self, steps=None, progress=False):
        asked.append(progress)
        return original(self, steps)

    monkeypatch.setattr(CadreModel, "run", run)
    return asked


def test_a_run_of_estimate_from_cadre_years_prints_its_estimate_even_when_quick(
    capsys, monkeypatch, progress_asked
):
    monkeypatch.setattr(cli, "ESTIMATE_FROM", 1500)  # 300 cadres x 5 years; LONG_RUN as shipped
    assert main([*RUN, "--steps", "5"]) == 0
    err = capsys.readouterr().err
    assert "5 years of 300 cadres (1,500 cadre-years)" in err
    assert "on this machine" in err
    assert progress_asked == [False]  # a quick run gets no progress bar


def test_a_smaller_run_or_a_quiet_one_prints_no_estimate(capsys, monkeypatch, progress_asked):
    monkeypatch.setattr(cli, "ESTIMATE_FROM", 1500)
    assert main([*RUN, "--steps", "4"]) == 0  # 1 200 cadre-years
    assert capsys.readouterr().err == ""
    assert main([*RUN, "--steps", "5", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert progress_asked == [False, False]


def test_a_run_estimated_over_long_run_seconds_gets_a_progress_bar(
    capsys, monkeypatch, progress_asked
):
    monkeypatch.setattr(cli, "ESTIMATE_FROM", 1500)
    monkeypatch.setattr(cli, "estimate_run_seconds", lambda config, steps: 600.0)
    assert main([*RUN, "--steps", "5"]) == 0
    assert "about 10.0 min on this machine" in capsys.readouterr().err
    assert progress_asked == [True]


def test_the_shipped_threshold_is_the_readmes_two_million_cadre_years():
    assert cli.ESTIMATE_FROM == 2_000_000
    assert "over 2 million cadre-years" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize(("seconds", "text"), [
    (0.4, "under 1 s"), (1.0, "about 1 s"), (40.2, "about 40 s"), (89.0, "about 89 s"),
    (210.0, "about 3.5 min"), (3600.0, "about 60.0 min"),
])
def test_durations_read_in_seconds_then_minutes(seconds, text):
    assert cli.duration_text(seconds) == text
