"""cadresim search: a killed search resumes to the same front, the front stays non-dominated on
fresh seeds, its regimes load as presets, candidates share their replicate seeds, and the spec
is checked before any run. Tiny sizes: 80 cadres, 5 steps, population 4, 2 generations."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from experiments.cli.main import main
from experiments.engine.design import run_seed
from experiments.search.front import MEMBER, non_dominated
from experiments.search.optimise import search
from experiments.search.report import run_search
from experiments.search.spec import parse_search_spec
from simulation.config import config_value
from simulation.errors import ConfigError
from simulation.loading import load_config

ROOT = Path(__file__).resolve().parent.parent
TINY = {
    "name": "tiny",
    "levers": {"regime.fault_tolerance.tolerance": [0.0, 1.0], "regime.support.care": [0.0, 1.0],
               "regime.promotion.min_tenure": [0, 8]},
    "constraints": [{"output": "wrongful_sanctions", "at_most": "status_quo"}],
    "replications": 2, "reevaluate": 3, "budget": {"generations": 2, "population": 4},
    "steps": 5, "burn_in": 1, "seed": 5, "set": {"organisation.n_cadres": 80},
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    folder = tmp_path_factory.mktemp("search") / "whole"
    return run_search(parse_search_spec(TINY), folder, report=lambda line: None)


def test_a_search_killed_mid_way_resumes_to_the_same_search(tmp_path, finished):
    folder = tmp_path / "killed"
    spec_file = tmp_path / "tiny.yaml"
    spec_file.write_text(yaml.safe_dump(TINY, sort_keys=False), encoding="utf-8")
    # The child stores three candidates' runs, then kills itself with SIGKILL in the middle of
    # the search (before the first generation ends): no clean-up of any kind runs.
    child = textwrap.dedent(f"""
        import os, signal
        from experiments.search import store
        from experiments.cli.main import main
        original = store.SearchStore.write
        def write(self, rows, series=None):
            name = original(self, rows, series)
            if len(list(self.parts.glob("*.parquet"))) == 3:
                os.kill(os.getpid(), signal.SIGKILL)
            return name
        store.SearchStore.write = write
        main(["search", {str(spec_file)!r}, "--out", {str(folder)!r}, "--no-figures"])
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", child], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == -9, done.stderr
    assert len(list((folder / "evaluations").glob("*.parquet"))) == 3
    assert main(["search", str(spec_file), "--out", str(folder), "--no-figures"]) == 0
    resumed = run_search(parse_search_spec(TINY), folder, report=lambda line: None,
                         figures=False)
    levers = list(TINY["levers"])
    assert resumed.candidates.equals(finished.candidates)
    assert resumed.front[levers].equals(finished.front[levers])
    assert resumed.summary.equals(finished.summary)


def test_the_kept_front_is_feasible_and_non_dominated_on_fresh_seeds(finished):
    summary = finished.summary
    kept = summary[summary["kept"]]
    assert len(kept) >= 1
    sq = summary.loc["preset-default"]
    assert (kept["wrongful_sanctions"] <= sq["wrongful_sanctions"]).all()
    signs = np.array([1.0, -1.0, 1.0, 1.0])  # inaction, real output, wrongful, policy cost
    f = kept[["inaction", "real_output", "wrongful_sanctions", "policy_cost"]].to_numpy() * signs
    assert len(non_dominated(f)) == len(kept)
    dropped = summary[summary.index.str.startswith(f"{MEMBER}-") & ~summary["kept"]]
    assert (dropped["why"] != "").all()


def test_front_regimes_load_as_presets_with_the_members_levers(finished):
    assert finished.regimes
    kept = finished.summary.index[finished.summary["kept"]]
    assert len(finished.regimes) == len(kept)
    for path, label in zip(finished.regimes, kept, strict=True):
        config = load_config(path)
        row = finished.front.iloc[int(label.split("-")[1])]
        for lever in TINY["levers"]:
            assert config_value(config, lever) == pytest.approx(row[lever])
        assert isinstance(config.regime.promotion.min_tenure, int)


def test_integer_levers_stay_whole_and_candidates_share_replicate_seeds(finished, tmp_path):
    tenure = finished.candidates["regime.promotion.min_tenure"]
    assert (tenure == tenure.round()).all()
    store = finished.folder / "evaluations"
    import pandas as pd

    runs = pd.concat([pd.read_parquet(p) for p in store.glob("g*.parquet")])
    for replicate, group in runs.groupby("replicate"):
        assert set(group["seed"]) == {run_seed(TINY["seed"], 0, replicate)}


def test_the_trade_table_compares_each_kept_member_with_the_status_quo(finished):
    trades = finished.trades
    kept = set(finished.summary.index[finished.summary["kept"]])
    assert set(trades["member"]) == kept
    assert set(trades["verdict"]) <= {"better", "worse", "unclear", "same"}
    cost = trades[trades["objective"] == "policy_cost"]
    member_cost = finished.summary.loc[cost["member"], "policy_cost"].to_numpy()
    assert cost["difference"].to_numpy() == pytest.approx(member_cost - 0.08)


def test_figures_are_written(finished):
    names = {p.name for p in finished.figures}
    assert {"frontier.png", "frontier.pdf", "levers.png", "levers.pdf"} <= names


def test_the_same_spec_in_the_same_folder_replays_without_running(finished, tmp_path):
    again = search(parse_search_spec(TINY), finished.folder, report=lambda line: None)
    assert again.candidates.equals(finished.candidates)


def test_a_changed_spec_refuses_the_folder(finished):
    with pytest.raises(ConfigError, match="another spec"):
        search(parse_search_spec({**TINY, "seed": 6}), finished.folder)
    reordered = dict(reversed(list(TINY["levers"].items())))  # another variable order
    with pytest.raises(ConfigError, match="another spec"):
        search(parse_search_spec({**TINY, "levers": reordered}), finished.folder)


@pytest.mark.parametrize(("change", "message"), [
    ({"objectives": ["inaction", "welfare_typo"]}, "not an output"),
    ({"objectives": ["inaction", "belief_punish"]}, "neither better"),
    ({"levers": {"organisation.n_cadres": [80, 200]}}, "a lever is a regime field"),
    ({"levers": {"regime.support.training": [0.0, 0.9]}}, "training"),
    ({"levers": {"regime.support.care": [0.5, 0.2]}}, "low < high"),
    ({"constraints": [{"output": "inaction"}]}, "exactly one"),
])
def test_bad_specs_fail_before_any_run(change, message):
    with pytest.raises(ConfigError, match=message):
        parse_search_spec({**TINY, **change})


def test_the_shipped_small_spec_is_valid():
    from experiments.search.spec import load_search_spec

    spec = load_search_spec(ROOT / "configs" / "experiments" / "search_small.yaml")
    assert len(spec.objective_list) == 4
