"""The benchmark's summary judges each target on wall-clock time, naming CPU-only successes."""

from __future__ import annotations

import json

import pytest

from benchmarks import measure, report


def _result(wall_10k: float, cpu_10k: float, over_mesa: float, over_mesa_cpu: float) -> dict:
    def row(label: str, n: int, wall: float, cpu: float) -> dict:
        return {"label": label, "n": n, "agent_steps_per_second": wall,
                "agent_steps_per_cpu_second": cpu, "build_seconds": 0.1,
                "build_cpu_seconds": 0.1, "peak_rss_mb": 200.0,
                "phase_cpu_seconds_per_step": {"decide": 0.001}}

    single = [
        {"command": report.SINGLE_RUN, "seconds": 2.0, "cpu_seconds": 1.5,
         "over_mesa_seconds": over_mesa, "over_mesa_cpu_seconds": over_mesa_cpu},
    ]
    return {
        "throughput": {"rows": [row("model-numba", 10_000, wall_10k, cpu_10k),
                                row("model-numpy", 10_000, 1e6, 1e6)],
                       "ratios": {"10000": {"numba_over_numpy": {"wall": 2.0, "cpu": 2.5}}}},
        "single_run": {"repeats": 1, "rows": single},
        "sweep": {"numba": {"runs": 200, "workers": 2, "repeats": 1, "cpu_seconds": 5.0,
                            "steady_runs_per_second": 61.0, "seconds": 9.0, "peak_mb": 500.0}},
        "national": {"n": 7_200_000, "years": 30, "total_seconds": 320.0,
                     "total_cpu_seconds": 280.0, "peak_rss_mb": 4000.0, "backend": "numba",
                     "build_seconds": 5.0, "build_cpu_seconds": 4.0, "build_peak_rss_mb": 900.0},
    }


def test_targets_are_met_on_wall_clock_time_or_said_to_be_met_in_cpu_time_only():
    lines = report.targets(_result(8e6, 9e6, over_mesa=0.7, over_mesa_cpu=0.4))
    by_target = {line.split(" | ")[0]: line for line in lines[2:]}
    assert by_target["| at least 3 M agent-steps/s at 10,000 cadres"].endswith("| met |")
    assert by_target["| single run at most 0.5 s over `import mesa`"].endswith(
        "| CPU time only |")
    national = next(line for line in lines if "7,200,000 cadres" in line)
    assert national.endswith("| CPU time only |")  # 320 s wall is over 5 minutes
    sweep = next(line for line in lines if "demo sweep" in line)
    assert "| 61.0 runs/s |" in sweep and "| 80.0 runs/s (whole sweep) |" in sweep
    assert sweep.endswith("| met |")
    slow = report.targets(_result(2e6, 2.9e6, over_mesa=0.6, over_mesa_cpu=0.6))
    assert slow[2].endswith("| not met |")
    assert next(line for line in slow if "import mesa" in line).endswith("| not met |")


def test_the_readme_block_is_replaced_and_a_missing_block_refused():
    text = f"intro\n{report.README_START}\nold table\n{report.README_END}\nrest\n"
    updated = report.readme_with(text, "| new | table |")
    assert updated == f"intro\n{report.README_START}\n| new | table |\n{report.README_END}\nrest\n"
    with pytest.raises(SystemExit, match=r"no .* block"):
        report.readme_with("no markers here", "x")


def test_a_run_breakdown_is_measured_in_a_process_and_printed_as_json(capsys):
    assert measure.main(["per_run", "1"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["backend"] in ("numba", "numpy")
    parts = record["cpu_ms"]
    assert set(parts) == {"build", "stepping", "results_table", "reduce_run", "datacollector",
                          "run_one"}
    assert parts["stepping"] > parts["build"] > 0


def test_batched_replicates_are_reported_as_runs_per_cpu_second_and_their_ratio():
    rows = [{"cadres": 400, "replicates": 8, "years": 40, "rounds": 3, "lone_cpu": 0.4,
             "lone_wall": 0.5, "batch_cpu": 0.16, "batch_wall": 0.2}]
    lines = report.batched({"batched": rows})
    assert lines[-1] == "| 400 | 8 | 20.0 | 50.0 | 2.50 |"  # 8 runs in 0.4 s and in 0.16 s
    assert report.batched({}) == []


def test_a_million_cadres_are_judged_against_a_hundred_thousand_per_agent_step():
    result = _result(8e6, 9e6, 0.4, 0.4)
    rows = result["throughput"]["rows"]
    rows.append({**rows[0], "n": 100_000, "agent_steps_per_second": 1.8e6,
                 "agent_steps_per_cpu_second": 1.8e6})
    rows.append({**rows[0], "n": 1_000_000, "agent_steps_per_second": 1.6e6,
                 "agent_steps_per_cpu_second": 1.9e6})
    line = next(x for x in report.targets(result) if "1,000,000 cadres" in x)
    assert "| throughput x 0.89 | x 1.06 |" in line and line.endswith("| CPU time only |")


def test_the_calibration_bench_judges_the_middle_round_against_the_issues_target():
    from benchmarks import calibration_bench as cb

    def record(runs: int, cpu: float) -> dict:
        return cb.rates({"runs": runs, "seconds": cpu, "cpu_seconds": cpu,
                         "command_cpu_seconds": 1.0})

    fit, sweep = record(100, 12.0), record(100, 10.0)
    result = {"n_cadres": 400, "steps": 20, "workers": 2, "calibration": fit, "sweep": sweep,
              "sweep_over_calibration_per_cpu": 1.2, "ratios": [1.6, 1.2, 1.1],
              "target": cb.TARGET_RATIO, "met": True}
    text = cb.markdown(result)
    assert cb.TARGET_RATIO == 1.25
    assert "1.20x" in text and "target at most 1.25x: met" in text
    assert "the median of 3 rounds: 1.60, 1.20, 1.10" in text
    one = cb.markdown(result | {"ratios": [1.2]})
    assert "rounds" not in one
