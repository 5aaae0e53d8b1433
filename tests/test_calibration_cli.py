"""``cadresim calibrate``: the calibration command wired into the ``cadresim`` CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from experiments.calibration.__main__ import main as calibration_main
from experiments.cli import main

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "configs" / "targets" / "peoples_tribune_2015_2018.yaml"


def bad_targets(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump({"name": "t", "targets": [{
        "name": "fear", "figure": "51.8% fear", "value": 1.5,
        "statistic": "reason_afraid / inaction", "mapping_sd": 0.1, "looseness": "loose",
        "source": {"authors": "A", "venue": "V", "year": 2015, "firmness": "secondary"},
    }]}))
    return path


def test_calibrate_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["calibrate", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "usage: cadresim calibrate" in out
    for option in ("targets", "--priors", "--out", "--population", "--generations",
                   "--max-simulations", "--ppc-draws", "--seed", "--workers", "--compare",
                   "--draws", "--smallest-effect", "--quiet"):
        assert option in out


def test_calibrate_is_listed_in_cadresim_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "calibrate" in capsys.readouterr().out


def test_bad_targets_exit_2_with_one_message_naming_the_problem(tmp_path, capsys):
    code = main(["calibrate", str(bad_targets(tmp_path)), "--out", str(tmp_path / "out")])
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("cadresim: error: ")
    assert "targets.0.value" in captured.err and "1.5" in captured.err
    assert "Traceback" not in captured.err
    assert not (tmp_path / "out").exists()


def test_missing_targets_file_exits_2(tmp_path, capsys):
    assert main(["calibrate", str(tmp_path / "nowhere.yaml")]) == 2
    err = capsys.readouterr().err
    assert "nowhere.yaml" in err and "no such file" in err


def test_bad_priors_exit_2_with_one_message_naming_the_problem(tmp_path, capsys):
    priors = tmp_path / "priors.yaml"
    priors.write_text(yaml.safe_dump({"name": "p", "parameters": {
        "behaviour.temperature": {"distribution": "uniform", "low": 0.5, "high": 0.1,
                                  "why": "reversed bounds"}}}))
    code = main(["calibrate", str(TARGETS), "--priors", str(priors),
                 "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("cadresim: error: ") and "priors.yaml" in err
    assert "behaviour.temperature" in err and "low < high" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("flag", "value", "allowed"), [
    ("--population", "0", "1 or more"), ("--seed", "-1", "0 or more"),
    ("--workers", "0", "1 or more"), ("--workers", "-1", "1 or more"),
    ("--max-simulations", "0", "1 or more"), ("--ppc-draws", "0", "1 or more"),
    ("--draws", "x", "whole number"),
])
def test_bad_flags_are_parser_errors_naming_flag_value_and_range(tmp_path, capsys, flag, value,
                                                                 allowed):
    with pytest.raises(SystemExit) as exit_:
        main(["calibrate", str(TARGETS), flag, value, "--out", str(tmp_path / "out")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: " in err and value in err and allowed in err
    assert not (tmp_path / "out").exists()


def test_a_bad_flag_is_reported_before_the_model_or_pyabc_is_imported():
    code = ("import sys; from experiments.cli.main import main\n"
            "try:\n    main(['calibrate', 'x.yaml', '--ppc-draws', '0'])\n"
            "except SystemExit as e:\n    print(e.code, sorted(m for m in sys.modules if "
            "m.split('.')[0] in ('pyabc', 'numba', 'mesa', 'pandas')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert proc.stdout.strip() == "2 []"


def test_python_m_and_cadresim_share_the_arguments_and_the_errors(tmp_path, capsys):
    assert calibration_main([str(bad_targets(tmp_path))]) == 2
    assert "targets.0.value" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        calibration_main(["--help"])
    assert "usage: cadresim calibrate" in capsys.readouterr().out


def test_cadresim_help_does_not_import_pyabc():
    code = ("import sys; from experiments.cli.main import build_parser; build_parser(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pyabc' "
            "or m == 'experiments.calibration.fit'))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert proc.stdout.strip() == "[]"
