"""The incentive checks across a posterior (``cadresim validate-posterior``)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from helpers import hand_set_behaviour

from experiments.cli.main import main
from experiments.validation import across_posterior as ap


def test_a_criterion_is_met_in_its_own_direction():
    rise, fall = ap.BY_NAME["effort_rise_prize"], ap.BY_NAME["formal_fall_good"]
    assert rise.met(np.array([0.029, 0.03, 0.2])).tolist() == [False, True, True]
    assert fall.met(np.array([-0.029, -0.03, -0.2])).tolist() == [False, True, True]


def test_an_incentive_moves_effort_only_where_choices_follow_utility():
    """Two seeds, both arms on each: at the hand-set behaviour (where the slow checks passed)
    the prize and the performance weight move behaviour by more than their criteria; at the
    highest temperature allowed (10: choices nearly uniform) by almost nothing (< 0.01)."""
    hand_set = hand_set_behaviour()
    noisy = {**hand_set, "behaviour.temperature": 10.0}
    for name in ("effort_rise_prize", "formal_rise_poor"):
        effect = ap.BY_NAME[name]
        sharp = [effect.measure(hand_set, seed) for seed in (1, 2)]
        flat = [effect.measure(noisy, seed) for seed in (1, 2)]
        assert np.all(effect.met(np.array(sharp))), (name, sharp)
        assert np.max(np.abs(flat)) < 0.01, (name, flat)


def _synthetic(draws: int, seeds: int) -> pd.DataFrame:
    """Effects with known shares and a known slope on one parameter, the other irrelevant."""
    rng = np.random.default_rng(3)
    a, b = rng.normal(0.0, 2.0, draws), rng.normal(5.0, 1.0, draws)
    rows = []
    for k in range(draws):
        for s in range(seeds):
            rows.append({"draw": k, "seed": s, "x.a": a[k], "x.b": b[k],
                         "effort_rise_prize": 0.02 + 0.01 * a[k] + rng.normal(0, 0.001),
                         "formal_fall_good": -0.05 if k % 4 else -0.01})
    return pd.DataFrame(rows)


def test_the_summary_counts_draws_meeting_each_criterion_and_finds_the_driver():
    table = _synthetic(400, 2)
    summary = ap.summarise(table, ["x.a", "x.b"], ["effort_rise_prize", "formal_fall_good"])
    shares = summary.per_effect.set_index("effect")["share_met"]
    a = table.groupby("draw")["x.a"].first()
    assert shares["effort_rise_prize"] == pytest.approx(np.mean(0.02 + 0.01 * a >= 0.03),
                                                        abs=0.01)
    assert shares["formal_fall_good"] == pytest.approx(0.75)
    k, n, low, high = summary.all_met
    assert n == 400 and low <= k / n <= high
    drivers = summary.drivers.set_index(["effect", "parameter"])
    # slope per posterior s.d. of a: 0.01 x its s.d. (about 2); b has none.
    slope = drivers.loc[("effort_rise_prize", "x.a"), "slope_per_sd"]
    assert slope == pytest.approx(0.01 * a.std(), rel=0.02)
    assert abs(drivers.loc[("effort_rise_prize", "x.b"), "t"]) < 4


def test_too_few_draws_give_no_drivers_rather_than_a_singular_fit():
    summary = ap.summarise(_synthetic(5, 1), ["x.a", "x.b"], ["effort_rise_prize"])
    assert summary.drivers.empty


def test_the_command_writes_its_folder_and_prints_the_shares(tmp_path, capsys):
    posterior = tmp_path / "posterior.parquet"
    hand_set = hand_set_behaviour()
    pd.DataFrame([hand_set, {**hand_set, "behaviour.temperature": 10.0}]).assign(
        weight=[1.0, 0.0]).to_parquet(posterior)
    out = tmp_path / "not yet made" / "screen"
    code = main(["validate-posterior", str(posterior), "--draws", "2", "--seeds", "1",
                 "--only", "effort_rise_prize", "--workers", "1", "--out", str(out)])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "draws.parquet", "effects.pdf", "effects.png", "report.md", "summary.json"]
    draws = pd.read_parquet(out / "draws.parquet")
    assert draws["particle"].tolist() == [0, 0]  # the particle of weight 0 is never drawn
    summary = json.loads((out / "summary.json").read_text())
    assert summary["effects"][0]["share_met"] == 1.0
    assert "every criterion met by 2 of 2 draws" in capsys.readouterr().out


def test_an_unknown_effect_is_refused_by_name_and_nothing_is_written(tmp_path, capsys):
    out = tmp_path / "screen"
    code = main(["validate-posterior", "--only", "effort_rise_prise", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "effort_rise_prise" in err and "effort_rise_prize" in err
    assert not out.exists()
