"""The validation suite (experiments/validation) and its report (docs/validation.md).

Fast: every analytic check passes, and docs/validation.md quotes exactly what it computes; the
checks can fail (a deliberately broken model makes each analytic check fail); the tournament
probe leaves a run unchanged; the ``cadresim validate`` command's output, flags and exit codes.

Slow (marked ``validation``, run by ``make validate``): every stylised-fact sweep passes, and the
report quotes exactly what it computes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from matplotlib.container import BarContainer, ErrorbarContainer
from scipy import stats

import simulation.decision
import simulation.formulas
from experiments.cli import validate as validate_command
from experiments.validation import core, figures, patterns, probes, report, tools
from simulation import CadreModel, ConfigError, load_config

try:
    VALIDATION = pytest.mark.validation
except pytest.fail.Exception:  # the marker is not registered yet (pyproject.toml)
    VALIDATION = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "validation.md"
FIGURES = ROOT / "docs" / "figures" / "validation"
FAST = [c.name for c in core.all_checks() if c.fast]
SLOW = [c.name for c in core.all_checks() if not c.fast]


def _run(name: str) -> core.Result:
    return core.run_check(core.select([name])[0])


def _assert_quoted(result: core.Result) -> None:
    problems = report.mismatches(REPORT.read_text(encoding="utf-8"), [result])
    assert not problems, (
        "\n".join(problems)
        + "\nregenerate with: cadresim validate --update-report docs/validation.md "
        "--figures docs/figures/validation"
    )


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FAST)
def test_fast_check_passes_and_the_report_quotes_it(name):
    result = _run(name)
    failed = [c for c in result.outcome.conditions if not c.passed]
    assert result.passed, failed
    _assert_quoted(result)


@VALIDATION
@pytest.mark.parametrize("name", SLOW)
def test_slow_check_passes_and_the_report_quotes_it(name):
    result = _run(name)
    failed = [c for c in result.outcome.conditions if not c.passed]
    assert result.passed, failed
    _assert_quoted(result)


def test_registry_has_analytic_checks_and_at_least_six_stylised_facts():
    assert {"logit_closed_form", "logit_best_response_limit", "becker_tolerance_threshold",
            "holmstrom_milgrom_multitask"} <= set(FAST)
    assert {"li_zhou_relative_performance", "li_zhou_record_vs_single_year",
            "tu_gong_accountability_shift", "wang_chilling_effect"} <= set(SLOW)
    assert len(SLOW) >= 6
    for check in core.all_checks():
        assert check.source and check.criterion and check.title


def test_every_check_has_its_section_and_figure_in_the_report():
    text = REPORT.read_text(encoding="utf-8")
    rows = report.summary_rows(text)
    for check in core.all_checks():
        assert check.name in rows, check.name
        report.result_text(text, check.name)  # raises if the markers are missing
        if check.figure is not None:
            figure = FIGURES / f"{check.name}.png"
            assert figure.exists(), figure
            assert figure.stat().st_size < 400_000, figure  # 300 dpi
            assert f"figures/validation/{check.name}.png" in text, check.name


def test_a_fast_check_is_deterministic():
    a, b = _run("holmstrom_milgrom_multitask"), _run("holmstrom_milgrom_multitask")
    assert report.result_block(a) == report.result_block(b)


# --------------------------------------------------------------------------------------------
# The checks can fail: a broken model fails them
# --------------------------------------------------------------------------------------------


def test_logit_check_fails_if_the_temperature_is_misapplied(monkeypatch):
    original = simulation.formulas.logit_probabilities
    monkeypatch.setattr(
        simulation.formulas, "logit_probabilities",
        lambda u, t: original(u, 1.01 * t),
    )
    assert not _run("logit_closed_form").passed


def test_becker_check_fails_if_tolerance_is_ignored_in_part(monkeypatch):
    """A utility that counts 1% of the failure risk twice moves the threshold."""
    original = simulation.decision.utilities

    def biased(x, behaviour, regime):
        u = original(x, behaviour, regime)
        u[:, 3] -= 0.01 * x.belief_punish * x.sanction_cost
        return u

    monkeypatch.setattr(simulation.decision, "utilities", biased)
    assert not _run("becker_tolerance_threshold").passed


def test_detection_check_fails_if_detection_is_misweighted(monkeypatch):
    original = simulation.decision.utilities

    def biased(x, behaviour, regime):
        u = original(x, behaviour, regime)
        u[:, 0] -= 0.01 * x.belief_detect
        return u

    monkeypatch.setattr(simulation.decision, "utilities", biased)
    assert not _run("becker_detection_threshold").passed


def test_multitask_check_fails_if_evaluation_credits_no_formalism(monkeypatch):
    monkeypatch.setattr(simulation.formulas, "formal_credit", lambda visibility, precision: 0.0)
    assert not _run("holmstrom_milgrom_multitask").passed


# --------------------------------------------------------------------------------------------
# Probes
# --------------------------------------------------------------------------------------------


def test_tournament_probe_leaves_the_run_unchanged_and_sees_every_winner():
    cfg = load_config(overrides={"organisation.n_cadres": 300})
    plain = CadreModel(cfg, seed=5).run(8)
    views: list[probes.TournamentView] = []
    model = CadreModel(cfg, seed=5)
    with probes.tournament_probe(model, views):
        probed = model.run(8)
    assert probed.equals(plain)
    assert len(views) == 8
    promoted = sum(int(v.promoted.sum()) for v in views)
    assert promoted == round(plain["promotions"].sum() * 300)
    assert all(not np.any(v.promoted & ~v.pool) for v in views)
    assert model.tournament_observer is None  # restored


def test_chilling_counts_active_cadres_deterred_from_bold_work():
    action = np.array([0, 1, 2, 3, 2, -1])
    best = np.array([0, 1, 2, 3, 3, 2])
    fearless = np.array([3, 3, 3, 3, 3, 3])
    # Idle and entrant slots are not active; the bold chooser is active but not chilled, nor is
    # the routine chooser whose best response is already bold.
    assert probes.chilling(action, best, fearless) == (2, 4)


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def validate(argv: list[str]) -> int:
    """``cadresim validate ARGV`` as experiments.cli.main runs it (ConfigError -> exit 2)."""
    parser = argparse.ArgumentParser(prog="cadresim")
    sub = parser.add_subparsers(dest="command", required=True)
    validate_command.register(sub)
    args = parser.parse_args(["validate", *argv])
    try:
        return args.handler(args)
    except ConfigError as exc:
        print(f"cadresim: error: {exc}")
        return 2


def test_a_slow_check_announces_each_model_run_it_makes(monkeypatch):
    from experiments.validation.progress import on_each_run

    monkeypatch.setattr(tools, "STEPS", 12)  # 2 years after the burn-in, 60 cadres
    monkeypatch.setattr(tools, "config", lambda overrides=None: load_config(
        overrides={"organisation.n_cadres": 60, **(overrides or {})}))
    ended = []
    with on_each_run(lambda: ended.append("run")):
        means = tools.arm_table_means({}, [1, 2, 3], {"idle": "lying_flat"})
        tools.run_stepwise({}, 4, lambda model: None, lambda model, state: None)
    assert len(means["idle"]) == 3
    assert len(ended) == 4  # three runs of the arm, one stepwise run
    tools.run_stepwise({}, 5, lambda model: None, lambda model, state: None)
    assert len(ended) == 4  # nobody listens any more


def test_validate_shows_a_line_after_the_first_run_and_every_ten_in_a_log(capsys):
    from experiments.validation.progress import run_finished

    with validate_command._runs_counted("some_check"):  # capsys's stderr is no terminal
        for _ in range(21):
            run_finished()
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" done")[0].strip() for line in lines] == [
        "some_check: 1 model run", "some_check: 10 model runs", "some_check: 20 model runs"]


def test_validate_fast_prints_one_line_per_check_with_figure_and_criterion(capsys):
    assert validate(["--fast"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(FAST) + 1  # one line per check, then the verdict
    for name in FAST:
        line = next(line for line in lines if f"  {name} " in line)
        assert line.startswith("PASS") and "[criterion: " in line
    assert lines[-1].startswith(f"{len(FAST)} checks, all passed")


def test_validate_verbose_prints_the_figure_of_each_condition(capsys):
    assert validate(["--only", "becker_tolerance_threshold", "--verbose"]) == 0
    out = capsys.readouterr().out
    assert "    ok   bisection on tolerance" in out


def test_validate_json(capsys):
    assert validate(["--fast", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["passed"] is True
    assert [c["name"] for c in record["checks"]] == FAST
    assert all(c["conditions"] and c["criterion"] for c in record["checks"])


def test_validate_exits_1_when_a_check_fails(monkeypatch, capsys):
    monkeypatch.setattr(simulation.formulas, "formal_credit", lambda visibility, precision: 0.0)
    assert validate(["--only", "holmstrom_milgrom_multitask"]) == 1
    assert capsys.readouterr().out.startswith("FAIL")


def test_validate_unknown_check_is_a_usage_error(capsys):
    assert validate(["--only", "no_such_check"]) == 2
    out = capsys.readouterr().out
    assert "no_such_check" in out and "logit_closed_form" in out


def test_validate_list_names_every_check(capsys):
    assert validate(["--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in FAST + SLOW)


# --------------------------------------------------------------------------------------------
# Figures of the sweeps: estimates with their intervals
# --------------------------------------------------------------------------------------------


@pytest.fixture
def drawn(monkeypatch):
    """The figures a drawing function would save, captured instead of written."""
    figures_drawn = []
    monkeypatch.setattr(figures, "_save", lambda fig, path: figures_drawn.append(fig))
    return figures_drawn


def _interval_segments(ax) -> list[tuple[float, float, float]]:
    """(x, low, high) of every vertical error bar drawn on ``ax``."""
    out = []
    for container in ax.containers:
        if isinstance(container, ErrorbarContainer):
            for segment in container.lines[2][0].get_segments():
                (x, low), (_, high) = segment
                out.append((float(x), float(low), float(high)))
    return sorted(out)


def test_seed_figures_show_each_arms_mean_with_its_95_percent_t_interval(drawn):
    rng = np.random.default_rng(5)
    arms = {"default": rng.normal(0.44, 0.01, 20), "certainty x 2": rng.normal(0.29, 0.02, 20),
            "severity x 2": rng.normal(0.38, 0.015, 20)}
    figures.nagin_bars(core.Outcome([], "", {"arms": arms}), Path("unused.png"))
    segments = _interval_segments(drawn[0].axes[0])
    assert len(segments) == 3
    for (_, low, high), values in zip(segments, arms.values(), strict=True):
        expected = stats.t.interval(0.95, values.size - 1, loc=values.mean(),
                                    scale=stats.sem(values))
        assert (low, high) == (pytest.approx(expected[0]), pytest.approx(expected[1]))


def test_action_share_figure_draws_every_bar_with_an_interval(drawn):
    rng = np.random.default_rng(6)
    shares = {"idle": 0.45, "formal": 0.18, "routine": 0.34, "bold": 0.03}
    arms = {name: {a: rng.normal(v, 0.01, 20) for a, v in shares.items()}
            for name in ("default", "intensified")}
    figures.tu_gong_shares(core.Outcome([], "", {"arms": arms}), Path("unused.png"))
    ax = drawn[0].axes[0]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 4 and all(b.errorbar is not None for b in bars)
    heights = np.array([[patch.get_height() for patch in b] for b in bars])
    assert heights.sum(axis=0) == pytest.approx([1.0, 1.0], abs=0.05)  # shares, not stacked


def test_the_action_shares_the_checks_measure_are_the_four_actions_and_add_up_to_one():
    shares = tools.arm_table_means({}, tools.seeds(1, 0, 2), patterns.SHARES)
    total = shares["idle"] + shares["formal"] + shares["routine"] + shares["bold"]
    assert total == pytest.approx(np.ones(2))
    assert np.all(shares["formal"] > 0) and np.all(shares["idle"] > 0)


def test_validate_writes_figures(tmp_path, capsys):
    assert validate(["--only", "becker_tolerance_threshold,holmstrom_milgrom_multitask",
                     "--figures", str(tmp_path)]) == 0
    for name in ("becker_tolerance_threshold", "holmstrom_milgrom_multitask"):
        png = tmp_path / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_update_report_rewrites_only_the_generated_blocks(tmp_path, capsys):
    copy = tmp_path / "validation.md"
    text = REPORT.read_text(encoding="utf-8")
    name = "logit_best_response_limit"
    start, stop = report._between(text, report.result_begin(name), report.result_end(name))
    copy.write_text(text[:start] + "\nstale\n" + text[stop:], encoding="utf-8")
    assert validate(["--only", name, "--update-report", str(copy)]) == 0
    assert copy.read_text(encoding="utf-8") == text


def test_update_report_without_markers_is_a_usage_error(tmp_path, capsys):
    bare = tmp_path / "bare.md"
    bare.write_text("# nothing generated here\n", encoding="utf-8")
    assert validate(["--fast", "--update-report", str(bare)]) == 2
    assert bare.read_text(encoding="utf-8") == "# nothing generated here\n"


def test_cadresim_main_has_validate_once_wired():
    from experiments.cli import build_parser

    try:
        build_parser().parse_args(["validate", "--fast"])
    except SystemExit:
        pytest.skip("validate_command.register is not wired into experiments/cli/main.py yet")
    from experiments.cli import main

    assert main(["validate", "--fast"]) == 0
