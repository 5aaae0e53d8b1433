"""Shipping a calibration: only a fit that passes its checks, with provenance, the defaults
set in config.py's param() calls and the old values kept in the changelog."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments.calibration import ship
from experiments.calibration.priors import load_priors
from experiments.calibration.targets import load_targets
from simulation.config import ModelConfig, config_value

ROOT = Path(__file__).resolve().parents[1]
#: The defaults as the model reads them (not as ship parses config.py), to compare with.
TEMPERATURE = config_value(ModelConfig(), "behaviour.temperature")
MOTIVATION = config_value(ModelConfig(), "population.motivation_mean")
TARGETS = load_targets(ROOT / "configs" / "targets" / "peoples_tribune_2015_2018.yaml")
PRIORS = load_priors(ROOT / "configs" / "priors" / "behaviour.yaml")


def fake_fit(folder: Path, weights: np.ndarray | None = None, held_out=(), z=0.5) -> Path:
    """A finished calibration folder of the shipped targets and priors."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    n = 400
    posterior = pd.DataFrame({name: rng.uniform(p.low, p.high, n)
                              for name, p in PRIORS.parameters.items()})
    posterior["weight"] = np.ones(n) if weights is None else weights
    posterior.to_parquet(folder / "posterior.parquet")
    (folder / "manifest.json").write_text(json.dumps({
        "status": "done", "held_out": list(held_out), "command": "cadresim calibrate ...",
        "code_version": "abc1234", "finished": "2027-01-01T00:00:00+00:00", "seed": 1,
        "budget": {"population_size": n}, "simulations": 9999, "fingerprint": "f",
        "targets": TARGETS.model_dump(mode="json"), "priors": PRIORS.model_dump(mode="json"),
    }))
    pd.DataFrame([{"target": t.name, "fitted": t.name not in held_out, "observed": t.value,
                   "predictive_median": t.value, "predictive_low": 0.0, "predictive_high": 1.0,
                   "z": z, "within_tolerance": abs(z) <= 2} for t in TARGETS.targets]
                 ).to_csv(folder / "predictive_check.csv", index=False)
    return folder


def coverage_file(path: Path, ok=True) -> Path:
    path.write_text(json.dumps({"settings": {"targets": TARGETS.name, "priors": PRIORS.name},
                                "summary": {"ok": ok}}))
    return path


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "simulation").mkdir(parents=True)
    shutil.copy(ROOT / "simulation" / "config.py", root / "simulation" / "config.py")
    return root


def test_every_fitted_parameter_has_a_param_default_in_config_py():
    source = (ROOT / "simulation" / "config.py").read_text()
    spans = ship.default_spans(source, PRIORS.names)
    for path, (_, _, _, value) in spans.items():
        assert value == config_value(ModelConfig(), path), path


def test_new_defaults_change_only_their_own_param_calls():
    source = (ROOT / "simulation" / "config.py").read_text()
    values = {"behaviour.temperature": 0.123, "population.motivation_mean": 0.711}
    new, old = ship.with_defaults(source, values)
    assert old == {"behaviour.temperature": TEMPERATURE, "population.motivation_mean": MOTIVATION}
    assert {p: v[3] for p, v in ship.default_spans(new, list(values)).items()} == values
    changed = [a for a, b in zip(source.splitlines(), new.splitlines(), strict=True) if a != b]
    assert len(changed) == 2


def test_a_fit_that_passes_ships_with_provenance_defaults_and_changelog(tmp_path):
    root = project(tmp_path)
    fit = fake_fit(tmp_path / "fit")
    holdout = fake_fit(tmp_path / "holdout", held_out=("drive_2018_not_sufficient",))
    done = ship.ship(fit, root=root, holdout=holdout, coverage=coverage_file(tmp_path / "c.json"),
                     regenerate=False)
    shipped = pd.read_parquet(root / "configs" / "posteriors" / "status_quo_2018.parquet")
    assert len(shipped) == 400
    record = yaml.safe_load((root / "configs" / "posteriors" / "status_quo_2018.yaml").read_text())
    assert record["effective_sample_size"] == pytest.approx(400.0)
    assert record["command"] == "cadresim calibrate ..." and record["code_version"] == "abc1234"
    assert "drive_2018_not_sufficient" in record["out_of_sample"]["predictions"]
    spans = ship.default_spans((root / "simulation" / "config.py").read_text(), PRIORS.names)
    assert {p: v[3] for p, v in spans.items()} == done["point_estimate"]
    log = (root / "docs" / "calibration-changelog.md").read_text()
    assert f"| `behaviour.temperature` | {TEMPERATURE} |" in log and "abc1234" in log


def test_shipping_the_same_fit_twice_logs_one_change(tmp_path):
    """The second ship of one fit finds its point already the defaults: the changelog keeps the
    one section that says what the defaults replaced, not a second one replacing them by
    themselves."""
    root = project(tmp_path)
    fit = fake_fit(tmp_path / "fit")
    cover = coverage_file(tmp_path / "c.json")
    ship.ship(fit, root=root, coverage=cover, regenerate=False)
    log = root / "docs" / "calibration-changelog.md"
    first = log.read_text()
    assert first.count("## ") == 1
    again = ship.ship(fit, root=root, coverage=cover, regenerate=False)
    assert again["old_defaults"] == again["point_estimate"]
    assert log.read_text() == first


@pytest.mark.parametrize("case, message", [
    ("degenerate", "effective sample size 1.3 is below 200"),
    ("held out", "targets are held out"),
    ("missed", "not reproduced within 2 tolerances"),
    ("no coverage", "no coverage result"),
    ("under-covers", "under-coverage"),
])
def test_a_fit_that_fails_a_check_is_not_shipped(tmp_path, case, message):
    root = project(tmp_path)
    # Kish's ESS of these weights is 1.29: one particle carries almost all of them.
    weights = np.r_[np.full(398, 1e-4), 1.0, 0.1] if case == "degenerate" else None
    fit = fake_fit(tmp_path / "fit", weights=weights,
                   held_out=("drive_2018_insufficient",) if case == "held out" else (),
                   z=3.0 if case == "missed" else 0.5)
    cover = None if case == "no coverage" else coverage_file(tmp_path / "c.json",
                                                             ok=case != "under-covers")
    before = (root / "simulation" / "config.py").read_text()
    with pytest.raises(ship.Refused, match=message):
        ship.ship(fit, root=root, coverage=cover or tmp_path / "missing.json", regenerate=False)
    assert (root / "simulation" / "config.py").read_text() == before
    assert not (root / "configs").exists()


def test_the_command_refuses_a_failing_fit_and_dry_runs_a_passing_one(tmp_path, capsys):
    from experiments.cli.main import main

    cover = coverage_file(tmp_path / "c.json")
    bad = fake_fit(tmp_path / "bad", z=3.0)
    assert main(["ship", str(bad), "--coverage", str(cover), "--dry-run"]) == 1
    assert "not reproduced within 2 tolerances" in capsys.readouterr().err
    good = fake_fit(tmp_path / "good")
    before = (ROOT / "simulation" / "config.py").read_text()
    assert main(["ship", str(good), "--coverage", str(cover), "--dry-run"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["old_defaults"]["behaviour.temperature"] == TEMPERATURE
    assert (ROOT / "simulation" / "config.py").read_text() == before  # a dry run changes nothing


def screen_folder(folder: Path, fit: Path, effects: dict[int, dict[str, float]]) -> Path:
    """A ``validate-posterior`` folder of ``fit``: draw k is particle 10 + k at the fit's values,
    measured on two seeds that differ by +-0.001 around ``effects[k]``."""
    folder.mkdir(parents=True)
    posterior = pd.read_parquet(fit / "posterior.parquet")
    rows = []
    for k, effect in effects.items():
        for seed, shift in ((0, -0.001), (1, 0.001)):
            rows.append({"draw": k, "particle": 10 + k, "seed": seed,
                         **posterior.iloc[10 + k][PRIORS.names].to_dict(),
                         **{name: value + shift for name, value in effect.items()}})
    pd.DataFrame(rows).to_parquet(folder / "draws.parquet")
    (folder / "summary.json").write_text(json.dumps({
        "posterior": str(fit),
        "effects": [{"effect": name, "criterion": value} for name, value in CRITERIA.items()]}))
    return folder


#: The screened effects' signed minimums, as a screen's summary.json reports them.
CRITERIA = {"formal_rise_poor": 0.05, "formal_fall_good": -0.03, "effort_rise_prize": 0.03,
            "effort_fall_noise": -0.03, "idle_jump_ceiling": 0.05, "chilled_rise": 0.01}
#: Effects meeting every criterion.
SHOWS = {"formal_rise_poor": 0.06, "formal_fall_good": -0.05, "effort_rise_prize": 0.04,
         "effort_fall_noise": -0.04, "idle_jump_ceiling": 0.07, "chilled_rise": 0.02}


def test_the_pattern_point_is_the_medoid_of_the_draws_meeting_every_criterion(tmp_path):
    """Draws 0-3 meet every criterion and draw 4 misses the age ceiling; of the kept draws, the
    one nearest the others (in posterior standard deviations) is chosen, and its own values."""
    from experiments.calibration.patterns import load_screen, pattern_point

    fit = fake_fit(tmp_path / "fit")
    effects = {k: dict(SHOWS) for k in range(5)}
    effects[4]["idle_jump_ceiling"] = 0.049
    table, _ = load_screen(screen_folder(tmp_path / "screen", fit, effects))
    chosen = pattern_point(table, CRITERIA, PRIORS.names)
    assert (chosen.kept, chosen.screened) == (4, 5)
    kept = table[table["draw"] < 4].groupby("draw")[PRIORS.names].mean()
    z = (kept / table.groupby("draw")[PRIORS.names].mean().std()).to_numpy()
    sums = [np.linalg.norm(z - z[i], axis=1).sum() for i in range(4)]
    medoid = int(np.argmin(sums))
    assert chosen.particle == 10 + medoid
    assert chosen.values == pytest.approx(kept.iloc[medoid].to_dict())
    assert chosen.effects["idle_jump_ceiling"] == pytest.approx(0.07)


def figures_met(values):
    """A stand-in for the survey figures at ``values``: every z 0.5 (met)."""
    return {t.name: 0.5 for t in TARGETS.targets}


def test_ship_with_patterns_writes_the_pattern_point_and_says_so(tmp_path):
    root = project(tmp_path)
    fit = fake_fit(tmp_path / "fit")
    screen = screen_folder(tmp_path / "screen", fit, {0: dict(SHOWS)})
    done = ship.ship(fit, root=root, coverage=coverage_file(tmp_path / "c.json"),
                     regenerate=False, screen=screen, figures=figures_met)
    particle = pd.read_parquet(fit / "posterior.parquet").iloc[10]
    assert done["point_estimate"] == ship.rounded(particle[PRIORS.names].to_dict())
    assert done["point"]["particle"] == 10 and done["point"]["kept"] == 1
    assert done["point"]["fitting"] == 1
    log = (root / "docs" / "calibration-changelog.md").read_text()
    assert "pattern-oriented: posterior particle 10" in log


def test_kept_draws_that_miss_a_survey_figure_are_left_out_of_the_medoid(tmp_path):
    """Draws 0-3 all meet every criterion; the medoid of all four misses a figure (z 2.4), so
    the medoid of the other three is shipped, and the record says three fit."""
    from experiments.calibration.patterns import kept_draws, load_screen, medoid

    root = project(tmp_path)
    fit = fake_fit(tmp_path / "fit")
    screen = screen_folder(tmp_path / "screen", fit, {k: dict(SHOWS) for k in range(4)})
    kept, scale = kept_draws(load_screen(screen)[0], CRITERIA, PRIORS.names)
    first = medoid(kept, scale)
    rest = medoid([p for p in kept if p is not first], scale)
    assert rest.particle != first.particle

    def figures(values):
        return {t.name: (2.4 if values == ship.rounded(first.values) else 0.5)
                for t in TARGETS.targets}

    done = ship.ship(fit, root=root, coverage=coverage_file(tmp_path / "c.json"),
                     regenerate=False, screen=screen, figures=figures)
    assert done["point"]["particle"] == rest.particle
    assert done["point"]["fitting"] == 3 and done["point"]["kept"] == 4
    assert done["point_estimate"] == ship.rounded(rest.values)


@pytest.mark.parametrize("case, message", [
    ("none meets", "none of the 2 screened draws meets every criterion"),
    ("other fit", "drew from"),
    ("no figures", "meets every survey figure within 2 tolerances"),
])
def test_ship_refuses_a_pattern_screen_it_cannot_use(tmp_path, case, message):
    root = project(tmp_path)
    fit = fake_fit(tmp_path / "fit")
    missing = dict(SHOWS, effort_rise_prize=0.02)
    effects = {0: missing, 1: missing} if case == "none meets" else {0: dict(SHOWS)}
    screened = fake_fit(tmp_path / "other") if case == "other fit" else fit
    screen = screen_folder(tmp_path / "screen", screened, effects)
    before = (root / "simulation" / "config.py").read_text()
    def figures(values):
        return {t.name: (3.0 if case == "no figures" else 0.5) for t in TARGETS.targets}

    with pytest.raises(ship.Refused, match=message):
        ship.ship(fit, root=root, coverage=coverage_file(tmp_path / "c.json"),
                  regenerate=False, screen=screen, figures=figures)
    assert (root / "simulation" / "config.py").read_text() == before


def test_a_particle_drawn_twice_is_one_candidate(tmp_path):
    """Draws are by weight with replacement: draws 0 and 1 of particle 10 count once among the
    kept and the screened."""
    from experiments.calibration.patterns import kept_draws, load_screen

    fit = fake_fit(tmp_path / "fit")
    screen = screen_folder(tmp_path / "screen", fit, {k: dict(SHOWS) for k in range(3)})
    table = pd.read_parquet(screen / "draws.parquet")
    table.loc[table["draw"] == 1, "particle"] = 10
    kept, _ = kept_draws(table, CRITERIA, PRIORS.names)
    assert sorted(p.particle for p in kept) == [10, 12]
    assert (kept[0].kept, kept[0].screened) == (2, 2)
    assert load_screen(screen)[0]["draw"].nunique() == 3
