"""A whole search: run (or resume) it, re-evaluate its front, write what a researcher reads.

The folder gets ``candidates.parquet`` (every judged candidate), ``front.csv`` (the front and
the presets on fresh seeds, with 95 % intervals and why a member was dropped), ``trades.csv``
and ``trades.md`` (each kept member against the status quo), ``regimes/`` (each kept member as
a preset), ``findings.md`` (the presets against the front, the levers along it and the spec's
pairs of levers; tables in ``dominance.csv``, ``levers.csv``, ``pairs.csv``) and ``figures/``
(the frontier and the levers along the front).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from experiments.engine.storage import write_parquet_atomic
from experiments.search.evaluate import Evaluator
from experiments.search.figures import frontier_figure, levers_figure
from experiments.search.findings import (
    dominance_table,
    findings_markdown,
    kept_members,
    lever_table,
    pair_table,
)
from experiments.search.front import (
    fresh_bounds,
    member_levers,
    preset_lever_table,
    reevaluate,
    search_front,
    summarise,
    trade_table,
    write_regimes,
)
from experiments.search.optimise import search
from experiments.search.spec import SearchSpec
from experiments.search.store import SearchStore


@dataclass
class SearchReport:
    """What :func:`run_search` wrote and found."""

    folder: Path
    candidates: pd.DataFrame
    front: pd.DataFrame
    summary: pd.DataFrame
    trades: pd.DataFrame
    dominance: pd.DataFrame
    regimes: list[Path]
    figures: list[Path]


def run_search(spec: SearchSpec, folder: str | Path, executor: Executor | None = None,
               report: Callable[[str], None] | None = None, figures: bool = True) -> SearchReport:
    """Search, re-evaluate the front on fresh seeds, and write the results into ``folder``."""
    folder = Path(folder)
    run = search(spec, folder, executor, report)
    write_parquet_atomic(run.candidates, folder / "candidates.parquet")
    front = search_front(run)
    evaluator = Evaluator(spec, SearchStore(folder, spec), executor)
    runs = reevaluate(run, front, evaluator)
    bounds = fresh_bounds(spec, evaluator, runs)  # the status quo on the same fresh seeds
    summary = summarise(spec, evaluator, runs, bounds)
    levers = member_levers(spec, front)
    table = levers.join(summary, how="right")
    table.index.name = "regime"
    table.to_csv(folder / "front.csv")
    trades = trade_table(spec, runs, summary)
    trades.to_csv(folder / "trades.csv", index=False)
    (folder / "trades.md").write_text(trades_markdown(spec, trades), encoding="utf-8")
    regimes = write_regimes(spec, evaluator, front, summary, folder / "regimes")
    presets = preset_lever_table(spec, evaluator)
    dominance = write_findings(spec, folder, run.candidates, front, summary, runs, levers,
                               presets, bounds)
    drawn: list[Path] = []
    if figures and not front.empty:
        drawn += frontier_figure(spec, summary, folder / "figures" / "frontier")
        drawn += levers_figure(spec, summary, levers, presets, folder / "figures" / "levers")
    return SearchReport(folder, run.candidates, front, summary, trades, dominance, regimes,
                        drawn)


def write_findings(spec: SearchSpec, folder: Path, candidates: pd.DataFrame,
                   front: pd.DataFrame, summary: pd.DataFrame, runs: pd.DataFrame,
                   levers: pd.DataFrame, presets: pd.DataFrame,
                   bounds: dict[str, float]) -> pd.DataFrame:
    """``findings.md`` and its tables (``experiments.search.findings``); the dominance table."""
    dominance = dominance_table(spec, summary, runs, bounds)
    dominance.to_csv(folder / "dominance.csv", index=False)
    table = lever_table(spec, summary, levers, presets)
    table.to_csv(folder / "levers.csv", index=False)
    members = kept_members(summary, levers)
    pairs = [pd.concat([pair_table(spec, members, x, y, "front"),
                        pair_table(spec, candidates, x, y, "candidates")], ignore_index=True)
             for x, y in spec.pairs]
    if pairs:
        pd.concat(pairs, ignore_index=True).to_csv(folder / "pairs.csv", index=False)
    counts = {"candidates": len(candidates), "front": len(front),
              "kept": int(summary["kept"].sum())}
    (folder / "findings.md").write_text(findings_markdown(spec, counts, dominance, table, pairs),
                                        encoding="utf-8")
    return dominance


def trades_markdown(spec: SearchSpec, trades: pd.DataFrame) -> str:
    """The trade table as Markdown: one row per member, one column per objective."""
    if trades.empty:
        return f"# {spec.name}: no front member survived re-evaluation\n"
    lines = [f"# What each front member of {spec.name} trades against the status quo", "",
             "Difference member - status quo on fresh seeds (paired), 95 % interval, and whether "
             "it is better, worse or unclear in the objective's direction.", ""]
    names = [o.output for o in spec.objective_list]
    lines += ["| member | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for member, group in trades.groupby("member", sort=True):
        cells = []
        for name in names:
            row = group[group["objective"] == name].iloc[0]
            cells.append(f"{row['difference']:+.4g} [{row['low']:+.3g}, {row['high']:+.3g}] "
                         f"{row['verdict']}")
        lines.append(f"| {member} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
