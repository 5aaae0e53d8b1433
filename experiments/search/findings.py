"""What a re-evaluated front says: which presets it dominates, and where its levers sit.

Three readings of the fresh-seed runs, written by ``report.run_search`` into ``findings.md``
(and ``dominance.csv``, ``levers.csv``, ``pairs.csv``):

- **Presets against the front.** For each shipped preset and the status quo: whether it meets
  the spec's constraints, and which kept members dominate it, on the judged values and
  *clearly* (every objective's paired 95 % interval better, or the same value).
- **Levers along the front.** Each lever's spread over the kept members against its bounds and
  the status quo, and its rank correlation with each objective along the front (which levers buy
  which objective).
- **Pairs of levers** (the spec's ``pairs``, fault tolerance against accountability say): their
  rank correlation along the front, the members in each third of the two levers' bounds, and
  every candidate the search judged by the same thirds (where it looked, and how those
  combinations did: a front that settles in one corner says little about the others).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from experiments.search.evaluate import objective_matrix
from experiments.search.front import MEMBER, PRESET, verdict
from experiments.search.spec import SearchSpec
from simulation.loading import STATUS_QUO
from simulation.outputs import OUTPUTS

#: Names of the thirds of a lever's bounds in the pair tables.
THIRDS = ("low", "middle", "high")


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether row ``a`` dominates row ``b`` (both minimised): no worse anywhere, better once."""
    return bool(np.all(a <= b) and np.any(a < b))


def paired_verdicts(spec: SearchSpec, runs: pd.DataFrame, member: str, other: str) -> list[str]:
    """``better``/``worse``/``unclear``/``same`` of ``member`` against ``other``, per objective.

    The difference over the shared fresh replicates (paired) and its 95 % t-interval, as in the
    trade table.
    """
    from experiments.analysis.intervals import t_interval

    a = runs[runs["regime"] == member].set_index("replicate")
    b = runs[runs["regime"] == other].set_index("replicate")
    verdicts = []
    for objective in spec.objective_list:
        diff = (a[objective.output] - b[objective.output]).to_numpy(float)
        _, mean, _, low, high = t_interval(diff)
        verdicts.append(verdict(mean, low, high, objective.direction))
    return verdicts


def dominance_table(spec: SearchSpec, summary: pd.DataFrame, runs: pd.DataFrame,
                    bounds: dict[str, float]) -> pd.DataFrame:
    """One row per preset: its judged objectives, constraints met, and the members beating it.

    ``dominated_by``: the kept members that dominate it on the judged values (fresh seeds);
    ``clearly_dominated_by``: those among them whose paired interval is better on every
    objective where the two differ at all.
    """
    f, g = objective_matrix(spec, summary, bounds)
    feasible = (g <= 0).all(axis=1) if g.size else np.ones(len(summary), bool)
    kept = [i for i, label in enumerate(summary.index)
            if label.startswith(f"{MEMBER}-") and summary["kept"].iloc[i]]
    rows = []
    for i, label in enumerate(summary.index):
        if not label.startswith(f"{PRESET}-"):
            continue
        beating = [summary.index[k] for k in kept if dominates(f[k], f[i])]
        clearly = [m for m in beating
                   if set(paired_verdicts(spec, runs, m, label)) <= {"better", "same"}]
        row = {"preset": label.removeprefix(f"{PRESET}-"), "meets_constraints": bool(feasible[i])}
        row.update({o.output: float(summary.loc[label, o.output]) for o in spec.objective_list})
        row.update({"dominated_by": " ".join(beating), "clearly_dominated_by": " ".join(clearly)})
        rows.append(row)
    return pd.DataFrame(rows)


def kept_members(summary: pd.DataFrame, levers: pd.DataFrame) -> pd.DataFrame:
    """The kept members' levers and judged values, one row per member."""
    kept = summary[summary["kept"] & summary.index.str.startswith(f"{MEMBER}-")]
    return levers.loc[kept.index].join(kept)


def lever_table(spec: SearchSpec, summary: pd.DataFrame, levers: pd.DataFrame,
                presets: pd.DataFrame) -> pd.DataFrame:
    """One row per lever: bounds, every preset's value, the front's spread and correlations.

    ``rho_<objective>`` is Spearman's rank correlation between the lever and the objective's
    judged value over the kept members (NaN with fewer than three members or a constant lever).
    """
    members = kept_members(summary, levers)
    rows = []
    for path in spec.lever_paths:
        values = members[path].to_numpy(float)
        low, high = spec.levers[path]
        row: dict[str, object] = {"lever": path, "low": low, "high": high}
        row.update({label.removeprefix(f"{PRESET}-"): float(presets.loc[label, path])
                    for label in presets.index})
        if len(values):
            row.update({"front_min": values.min(), "front_q10": np.quantile(values, 0.1),
                        "front_median": float(np.median(values)),
                        "front_q90": np.quantile(values, 0.9), "front_max": values.max()})
        for objective in spec.objective_list:
            row[f"rho_{objective.output}"] = rank_correlation(
                values, members[objective.output].to_numpy(float))
        rows.append(row)
    return pd.DataFrame(rows)


def rank_correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho, NaN when it is undefined (under three points, or a constant side)."""
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def third(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Which third of ``[low, high]`` each value lies in: 0, 1 or 2."""
    return np.clip(np.floor(3 * (values - low) / (high - low)), 0, 2).astype(int)


def pair_table(spec: SearchSpec, table: pd.DataFrame, x: str, y: str,
               among: str) -> pd.DataFrame:
    """Rows of ``table`` by third of lever ``x`` and third of lever ``y``: count, mean objectives.

    ``table`` holds the levers and judged objectives (the kept members, or every candidate, with
    ``among`` naming which). Every one of the nine cells is listed, empty ones with ``count`` 0;
    ``feasible`` is the share meeting the constraints where ``table`` says (NaN otherwise);
    ``rho`` (the same in every row) is Spearman's rank correlation of the two levers.
    """
    cells = pd.DataFrame({
        "x": third(table[x].to_numpy(float), *spec.levers[x]),
        "y": third(table[y].to_numpy(float), *spec.levers[y]),
    }, index=table.index)
    names = [o.output for o in spec.objective_list]
    rho = rank_correlation(table[x].to_numpy(float), table[y].to_numpy(float))
    rows = []
    for i in range(3):
        for j in range(3):
            inside = table[(cells["x"] == i) & (cells["y"] == j)]
            row = {"among": among, "x": x, "y": y, "x_third": THIRDS[i], "y_third": THIRDS[j],
                   "count": len(inside), "rho": rho,
                   "feasible": (float(inside["feasible"].mean())
                                if "feasible" in inside and len(inside) else float("nan"))}
            row.update({n: float(inside[n].mean()) if len(inside) else float("nan")
                        for n in names})
            rows.append(row)
    return pd.DataFrame(rows)


def _shown(name: str, value: float) -> str:
    """A value in the output's shown unit (event rates per 1 000), four significant digits."""
    return "-" if pd.isna(value) else f"{value * OUTPUTS[name].scale:.4g}"


def _unit_note(spec: SearchSpec) -> str:
    scaled = [o.output for o in spec.objective_list if OUTPUTS[o.output].scale != 1]
    return (f" ({', '.join(scaled)} per 1 000 cadres a year)" if scaled else "")


def findings_markdown(spec: SearchSpec, counts: dict[str, int], dominance: pd.DataFrame,
                      levers: pd.DataFrame, pairs: list[pd.DataFrame]) -> str:
    """``findings.md``: the presets against the front, the levers along it, the pairs."""
    names = [o.output for o in spec.objective_list]
    lines = [f"# What the front of {spec.name} says", "",
             f"{counts['candidates']} candidates judged on {spec.replications} replicates; "
             f"{counts['front']} on the front, {counts['kept']} kept after re-evaluation on "
             f"{spec.reevaluate} fresh replicates. Values below are judged on the fresh "
             f"replicates{_unit_note(spec)}.", "",
             "## The presets against the front", "",
             "A preset is dominated by a kept member that is no worse on every objective and "
             "better on one (judged values); *clearly* when the member's paired 95 % interval "
             "is better on every objective where the two differ.", "",
             "| preset | meets constraints | " + " | ".join(names)
             + " | dominated by | clearly dominated by |",
             "|---|---|" + "---|" * len(names) + "---|---|"]
    for row in dominance.to_dict("records"):
        beaten = row["dominated_by"].split()
        clearly = row["clearly_dominated_by"].split()
        lines.append(f"| {row['preset']} | {'yes' if row['meets_constraints'] else 'no'} | "
                     + " | ".join(_shown(n, row[n]) for n in names)
                     + f" | {_members(beaten)} | {_members(clearly)} |")
    lines += ["", "## The levers along the front", "",
              "Each lever over the kept members (median and 10-90 % range) against its bounds "
              "and the status quo, and Spearman's rank correlation with each objective along "
              "the front (a lever that rises with an objective's judged value: rho > 0).", "",
              "| lever | bounds | status quo | front median [10 %, 90 %] | "
              + " | ".join(f"rho {n}" for n in names) + " |",
              "|---|---|---|---|" + "---|" * len(names)]
    for row in levers.to_dict("records"):
        spread = (f"{row['front_median']:.3g} [{row['front_q10']:.3g}, {row['front_q90']:.3g}]"
                  if "front_median" in row and not pd.isna(row["front_median"]) else "-")
        lines.append(f"| {row['lever']} | {row['low']:g} to {row['high']:g} | "
                     f"{row[STATUS_QUO]:.3g} | {spread} | "
                     + " | ".join(_rho(row[f"rho_{n}"]) for n in names) + " |")
    for table in pairs:
        lines += _pair_lines(spec, table, levers, names)
    return "\n".join(lines) + "\n"


def _members(labels: list[str]) -> str:
    """``3 (front-01, front-07, front-12)``, at most five named."""
    if not labels:
        return "none"
    named = ", ".join(labels[:5]) + (", ..." if len(labels) > 5 else "")
    return f"{len(labels)} ({named})"


def _rho(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:+.2f}"


def _pair_lines(spec: SearchSpec, table: pd.DataFrame, levers: pd.DataFrame,
                names: list[str]) -> list[str]:
    """One pair's section: the two levers along the front, and the nine cells of each table."""
    front = table[table["among"] == "front"]
    judged = table[table["among"] == "candidates"]
    x, y = front["x"].iloc[0], front["y"].iloc[0]
    rho = levers.set_index("lever")
    lines = ["", f"## {x} against {y}", ""]
    lines.append(f"Along the front: {x} median {_median(rho, x)}, {y} median {_median(rho, y)} "
                 f"(status quo {rho.loc[x, STATUS_QUO]:.3g} and {rho.loc[y, STATUS_QUO]:.3g}); "
                 f"Spearman's rank correlation of the two over the kept members "
                 f"{_rho(front['rho'].iloc[0])}. Kept members by third of each lever's bounds, "
                 "with their mean judged objectives (fresh seeds):")
    lines += _cell_table(spec, front, x, y, names, "members", feasible=False)
    lines += ["", "Every candidate the search judged, by the same thirds (the search's own "
              "seeds): how many, the share meeting the constraints, their mean objectives. "
              "Where the search looked is not a random sample of the box: it crowds where "
              "the front is."]
    lines += _cell_table(spec, judged, x, y, names, "candidates", feasible=True)
    return lines


def _cell_table(spec: SearchSpec, table: pd.DataFrame, x: str, y: str, names: list[str],
                counted: str, feasible: bool) -> list[str]:
    """The nine cells of one pair table as Markdown rows."""
    extra = " feasible |" if feasible else ""
    lines = ["", f"| {x} | {y} | {counted} |{extra} " + " | ".join(names) + " |",
             "|---|---|---|" + ("---|" if feasible else "") + "---|" * len(names)]
    for row in table.to_dict("records"):
        share = (f" {'-' if pd.isna(row['feasible']) else format(row['feasible'], '.0%')} |"
                 if feasible else "")
        lines.append(f"| {_third_range(spec, x, row['x_third'])} | "
                     f"{_third_range(spec, y, row['y_third'])} | {row['count']} |{share} "
                     + " | ".join(_shown(n, row[n]) for n in names) + " |")
    return lines


def _median(levers: pd.DataFrame, path: str) -> str:
    value = levers.loc[path].get("front_median", float("nan"))
    return "-" if pd.isna(value) else f"{value:.3g}"


def _third_range(spec: SearchSpec, path: str, name: str) -> str:
    """``low (0 to 0.333)``."""
    low, high = spec.levers[path]
    k = THIRDS.index(name)
    step = (high - low) / 3
    return f"{name} ({low + k * step:.3g} to {low + (k + 1) * step:.3g})"
