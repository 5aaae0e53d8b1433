"""The front: non-dominated candidates, re-evaluated on fresh seeds against the shipped presets.

A candidate that looks best on the search's seeds was partly lucky (the winner's curse), so
every front member, the status quo and each shipped preset are run again on replicate seeds the
search never used (the same fresh seeds for all: still common random numbers). A member that
turns out infeasible or dominated on the fresh runs is dropped from the reported front and
listed as such.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import yaml

from experiments.analysis.intervals import t_interval
from experiments.search.evaluate import (
    Evaluator,
    Replicates,
    constraint_bounds,
    fresh_seed,
    objective_matrix,
)
from experiments.search.optimise import SearchRun, preset_levers
from experiments.search.spec import SearchSpec
from simulation.loading import STATUS_QUO, list_presets

#: Prefixes of the re-evaluated runs' labels.
MEMBER, PRESET = "front", "preset"


def non_dominated(f: np.ndarray) -> np.ndarray:
    """Indices of the rows of ``f`` (minimised) that no other row dominates."""
    keep = []
    for i, row in enumerate(f):
        dominated = np.any(np.all(f <= row, axis=1) & np.any(f < row, axis=1))
        if not dominated:
            keep.append(i)
    return np.array(keep, dtype=int)


def search_front(run: SearchRun) -> pd.DataFrame:
    """The feasible, non-dominated candidates over the whole search (each lever set once)."""
    spec = run.spec
    table = run.candidates[run.candidates["feasible"]]
    table = table.drop_duplicates(subset=spec.lever_paths, keep="first")
    if table.empty:
        return table
    f, _ = objective_matrix(spec, table, run.bounds)
    return table.iloc[non_dominated(f)].reset_index(drop=True)


def label_of(kind: str, name: str) -> str:
    """``front-03``, ``preset-care_and_training``."""
    return f"{kind}-{name}"


def reevaluate(run: SearchRun, front: pd.DataFrame, evaluator: Evaluator) -> pd.DataFrame:
    """The front's members, the status quo and every shipped preset on fresh seeds: their runs."""
    spec = run.spec
    replicates = Replicates.of(fresh_seed(spec.seed), spec.reevaluate, evaluator.posterior)
    candidates = [
        (label_of(MEMBER, f"{k:02d}"), {p: row[p] for p in spec.lever_paths}, None)
        for k, row in enumerate(front.to_dict("records"))
    ]
    candidates += [(label_of(PRESET, name), {}, name)
                   for name in [STATUS_QUO, *list_presets()]]
    return evaluator.run(candidates, replicates)


def fresh_bounds(spec: SearchSpec, evaluator: Evaluator, runs: pd.DataFrame) -> dict[str, float]:
    """The constraints' bounds on the fresh seeds: ``status_quo`` is its value on those seeds."""
    status_quo = evaluator.judge(runs[runs["regime"] == label_of(PRESET, STATUS_QUO)]).iloc[0]
    return constraint_bounds(spec, status_quo)


def summarise(spec: SearchSpec, evaluator: Evaluator, runs: pd.DataFrame,
              bounds: dict[str, float]) -> pd.DataFrame:
    """One row per re-evaluated regime: judged value, mean and 95 % interval of each output.

    Columns ``kept`` (a member still feasible and non-dominated among the members) and
    ``why`` (the reason a member was dropped).
    """
    judged = evaluator.judge(runs)
    table = judged.copy()
    for name in evaluator.outputs:
        stats = runs.groupby("regime", sort=False)[name].apply(
            lambda v: t_interval(v.to_numpy(float)))
        table[f"{name}_low"] = [stats[label][3] for label in table.index]
        table[f"{name}_high"] = [stats[label][4] for label in table.index]
    members = table.index.str.startswith(f"{MEMBER}-")
    f, g = objective_matrix(spec, judged, bounds)
    feasible = (g <= 0).all(axis=1) if g.size else np.ones(len(table), bool)
    table["kept"] = False
    table["why"] = ""
    table.loc[members & ~feasible, "why"] = "infeasible on fresh seeds"
    candidates = np.flatnonzero(members & feasible)
    kept = candidates[non_dominated(f[candidates])] if len(candidates) else candidates
    table.iloc[kept, table.columns.get_loc("kept")] = True
    dominated = members & feasible & ~table["kept"].to_numpy()
    table.loc[dominated, "why"] = "dominated on fresh seeds"
    return table


def regime_document(spec: SearchSpec, evaluator: Evaluator, label: str,
                    levers: dict[str, float], judged: pd.Series) -> dict:
    """A regime preset (name, description, regime) holding a front member's levers."""
    config = evaluator.config(levers, None)
    regime = config.regime.model_dump(mode="json")
    values = ", ".join(f"{o.output} {judged[o.output]:.4g}" for o in spec.objective_list)
    name = f"{spec.name}_{label.replace('-', '_')}"
    return {"name": name,
            "description": f"Front member {label} of search {spec.name} (on fresh seeds: "
                           f"{values})",
            "regime": regime}


def write_regimes(spec: SearchSpec, evaluator: Evaluator, front: pd.DataFrame,
                  summary: pd.DataFrame, folder) -> list:
    """Each kept member as ``regimes/<name>.yaml``, a preset ``cadresim run`` and sweeps take."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for k, row in enumerate(front.to_dict("records")):
        label = label_of(MEMBER, f"{k:02d}")
        if not summary.loc[label, "kept"]:
            continue
        levers = {p: row[p] for p in spec.lever_paths}
        document = regime_document(spec, evaluator, label, levers, summary.loc[label])
        header = "".join(f"#   {p}: {v}\n" for p, v in levers.items())
        path = folder / f"{document['name']}.yaml"
        path.write_text(f"# Found by `cadresim search` ({spec.name}); its levers:\n{header}"
                        + yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        written.append(path)
    return written


def trade_table(spec: SearchSpec, runs: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """What each kept member trades against the status quo, objective by objective.

    The paired difference member - status quo over the fresh replicates (the same seeds: paired),
    its 95 % t-interval, and ``better``, ``worse`` or ``unclear`` (the interval covers 0) in the
    objective's direction.
    """
    status_quo = runs[runs["regime"] == label_of(PRESET, STATUS_QUO)].set_index("replicate")
    rows = []
    for label in summary.index[summary["kept"]]:
        member = runs[runs["regime"] == label].set_index("replicate")
        for objective in spec.objective_list:
            name = objective.output
            diff = (member[name] - status_quo[name]).to_numpy(float)
            _, mean, _, low, high = t_interval(diff)
            rows.append({"member": label, "objective": name, "better": objective.direction,
                         "member_value": float(member[name].mean()),
                         "status_quo_value": float(status_quo[name].mean()),
                         "difference": mean, "low": low, "high": high,
                         "verdict": verdict(mean, low, high, objective.direction)})
    return pd.DataFrame(rows)


def verdict(mean: float, low: float, high: float, direction: str) -> str:
    """``better``, ``worse`` or ``unclear`` for a difference and its interval."""
    if mean == 0 and low == high:
        return "same"
    if math.isnan(low) or low <= 0 <= high:
        return "unclear"
    gain = mean < 0 if direction == "lower" else mean > 0
    return "better" if gain else "worse"


def member_levers(spec: SearchSpec, front: pd.DataFrame) -> pd.DataFrame:
    """The front's lever values by member label."""
    table = front[spec.lever_paths].copy()
    table.index = [label_of(MEMBER, f"{k:02d}") for k in range(len(front))]
    return table


def preset_lever_table(spec: SearchSpec, evaluator: Evaluator) -> pd.DataFrame:
    """Each preset's lever values (for the parallel-coordinates figure)."""
    return pd.DataFrame({label_of(PRESET, name): preset_levers(evaluator, name)
                         for name in [STATUS_QUO, *list_presets()]}).T
